// Runs instruction snippets on the host CPU (runner.c) and in tabvm, and
// compares registers, the defined EFLAGS bits, data memory and faults.
//
// Reference selection: a 32-bit runner when the host runs 32-bit code
// natively; otherwise the 64-bit runner for snippets whose bytes mean the same
// in 64-bit mode (mode 'any': no 40-4F, no 32-bit-only opcodes, no 67 prefix,
// no moffs, no mod=0 rm=5 [disp32] (RIP-relative there), no address
// arithmetic that wraps), and the 32-bit runner under
// qemu-i386 (an emulator, so only a reference for defined behaviour) for the
// 32-bit-only ones (mode '32': DAA, AAM, BOUND, ...).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type Core, type RegName } from '../../../host/core.js';

export const DATA_ADDR = 0x200000;
export const DATA_SIZE = 0x2000;
const CODE_ADDR = 0x1000;
const UD2 = [0x0f, 0x0b];
const STACK_TOP = 0x8000;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const DF = 0x400;
export const OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;
const COMPARED_FLAGS = ARITH | DF;

const SIGILL = 4;
const SIGFPE = 8;
const SIGSEGV = 11;
const VEC_DE = 0;
const VEC_UD = 6;

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'] as const;
type GpName = (typeof REGS)[number];

export interface Case {
  /** Shown on a mismatch. */
  name: string;
  code: number[];
  regs?: Partial<Record<GpName, number>>;
  eflags?: number;
  /** Bytes at DATA_ADDR. */
  data?: number[];
  /** EFLAGS bits the SDM leaves undefined for this case (not compared). */
  undef?: number;
  /** 'any': same meaning in 64-bit mode; '32': needs 32-bit mode. */
  mode?: 'any' | '32';
}

export interface Outcome {
  signo: number;
  regs: number[];
  eflags: number;
  data: string;
}

interface Runner {
  path: string;
  bits: 32 | 64;
  viaQemu: boolean;
}

const SOURCE = fileURLToPath(new URL('./runner.c', import.meta.url));
const QEMU_I386 = ['/usr/bin/qemu-i386-static', '/usr/bin/qemu-i386'];

function build(dir: string, bits: 32 | 64): string | undefined {
  const out = join(dir, `runner${bits}`);
  const flags = bits === 32 ? ['-m32', '-static'] : [];
  const cc = spawnSync('gcc', [...flags, '-O1', '-o', out, SOURCE], { encoding: 'utf8' });
  return cc.status === 0 ? out : undefined;
}

function runs(cmd: string, args: string[], bits: number): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(`bits=${bits}`);
}

export interface References {
  any?: Runner;
  only32?: Runner;
  /** Why a reference is missing, for skip messages. */
  notes: string[];
}

let cached: References | undefined;

/** Build the runners once per process. */
export function references(): References {
  if (cached) return cached;
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tabvm-integer-'));
  const r32 = build(dir, 32);
  const r64 = build(dir, 64);
  let native32: Runner | undefined;
  let qemu32: Runner | undefined;
  if (!r32) notes.push('gcc -m32 cannot build the 32-bit runner');
  else if (runs(r32, ['--info'], 32)) native32 = { path: r32, bits: 32, viaQemu: false };
  else {
    const qemu = QEMU_I386.find((q) => existsSync(q));
    if (qemu && runs(qemu, [r32, '--info'], 32)) qemu32 = { path: r32, bits: 32, viaQemu: true };
    else notes.push('the host cannot run 32-bit code and qemu-i386 is missing');
  }
  let native64: Runner | undefined;
  if (r64 && runs(r64, ['--info'], 64)) native64 = { path: r64, bits: 64, viaQemu: false };
  else notes.push('gcc cannot build a runnable 64-bit runner');
  cached = { any: native32 ?? native64, only32: native32 ?? qemu32, notes };
  return cached;
}

function hex(n: number): string {
  return (n >>> 0).toString(16);
}
function hexBytes(b: readonly number[]): string {
  return b.length ? b.map((x) => (x & 0xff).toString(16).padStart(2, '0')).join('') : '-';
}

function runnerFor(refs: References, tc: Case): Runner | undefined {
  return tc.mode === '32' ? refs.only32 : refs.any;
}

/** Run cases on the host reference (all must use the same runner). */
export function runNative(runner: Runner, cases: readonly Case[]): Outcome[] {
  const input = cases
    .map((tc) => {
      const r = REGS.map((n) => hex(tc.regs?.[n] ?? 0)).join(' ');
      return `${hexBytes(tc.code)} ${r} ${hex(tc.eflags ?? 0)} ${hexBytes(tc.data ?? [])}`;
    })
    .join('\n');
  const cmd = runner.viaQemu ? QEMU_I386.find((q) => existsSync(q))! : runner.path;
  const args = runner.viaQemu ? [runner.path] : [];
  const p = spawnSync(cmd, args, { input: input + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (p.status !== 0) throw new Error(`runner failed (${p.status}): ${p.stderr}`);
  const lines = p.stdout.trim().split('\n');
  if (lines.length !== cases.length) throw new Error(`runner printed ${lines.length} lines for ${cases.length} cases`);
  return lines.map((line) => {
    const f = line.split(' ');
    return {
      signo: parseInt(f[0], 16),
      regs: f.slice(1, 8).map((x) => parseInt(x, 16) >>> 0),
      eflags: parseInt(f[8], 16) >>> 0,
      data: f[9],
    };
  });
}

function vectorToSignal(v: number): number {
  if (v === VEC_DE) return SIGFPE;
  if (v === VEC_UD) return SIGILL;
  // #BR, #GP, #SS, #PF: Linux sends SIGSEGV for all of them.
  return SIGSEGV;
}

function dataString(bytes: Uint8Array): string {
  const parts: string[] = [];
  bytes.forEach((b, i) => {
    if (b) parts.push(`${i.toString(16)}=${b.toString(16).padStart(2, '0')}`);
  });
  return parts.length ? parts.join(',') : '-';
}

let core: Core | undefined;
const zeros = new Uint8Array(DATA_SIZE);

/** Run one case in tabvm: flat 32-bit ring 0, code at 0x1000 followed by UD2. */
export async function runTabvm(tc: Case): Promise<Outcome> {
  core ??= await createCore({ memoryMiB: 4 });
  const c = core;
  c.setupFlat32({ cpl: 0 });
  c.writePhys(DATA_ADDR, zeros);
  if (tc.data) c.writePhys(DATA_ADDR, Uint8Array.from(tc.data));
  c.writePhys(CODE_ADDR, Uint8Array.from([...tc.code, ...UD2]));
  for (const n of REGS) c.setReg(n as RegName, (tc.regs?.[n] ?? 0) >>> 0);
  c.setReg('esp', STACK_TOP);
  c.setReg('eflags', ((tc.eflags ?? 0) & COMPARED_FLAGS) | 2);
  c.setReg('eip', CODE_ADDR);
  const r = c.run(64, { stopOnException: true });
  const regs = REGS.map((n) => c.getReg(n as RegName) >>> 0);
  const eflags = c.getReg('eflags') >>> 0;
  const data = dataString(c.readPhys(DATA_ADDR, DATA_SIZE));
  let signo = 0;
  if (r.reason !== 'exception') signo = -1;
  else if (!(r.vector === VEC_UD && c.getReg('eip') === CODE_ADDR + tc.code.length)) signo = vectorToSignal(r.vector ?? -1);
  return { signo, regs, eflags, data };
}

function describe(o: Outcome, mask: number): string {
  const regs = REGS.map((n, i) => `${n}=${hex(o.regs[i])}`).join(' ');
  return `signo=${o.signo} ${regs} flags=${hex(o.eflags & mask)} data=${o.data}`;
}

export interface Comparison {
  compared: number;
  skipped: number;
  mismatches: string[];
  reference: string;
}

/**
 * Run every case on its reference and in tabvm; return readable mismatches.
 * Cases whose reference is unavailable are counted as skipped.
 */
export async function compareAll(cases: readonly Case[]): Promise<Comparison> {
  const refs = references();
  const groups = new Map<Runner, Case[]>();
  let skipped = 0;
  for (const tc of cases) {
    const r = runnerFor(refs, tc);
    if (!r) {
      skipped++;
      continue;
    }
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(tc);
  }
  const mismatches: string[] = [];
  let compared = 0;
  const names: string[] = [];
  for (const [runner, list] of groups) {
    names.push(`${runner.bits}-bit${runner.viaQemu ? ' under qemu-i386' : ' native'}`);
    const native = runNative(runner, list);
    for (let i = 0; i < list.length; i++) {
      const tc = list[i];
      const want = native[i];
      const got = await runTabvm(tc);
      compared++;
      const mask = COMPARED_FLAGS & ~(tc.undef ?? 0);
      // A fault stops before the flags are written: compare them all then.
      const fmask = want.signo !== 0 ? COMPARED_FLAGS : mask;
      const same =
        want.signo === got.signo &&
        want.regs.every((v, k) => v === got.regs[k]) &&
        (want.eflags & fmask) === (got.eflags & fmask) &&
        want.data === got.data;
      if (!same) {
        mismatches.push(
          `${tc.name} [${hexBytes(tc.code)}] in: ${REGS.map((n) => `${n}=${hex(tc.regs?.[n] ?? 0)}`).join(' ')} ` +
            `flags=${hex(tc.eflags ?? 0)}\n  host:  ${describe(want, fmask)}\n  tabvm: ${describe(got, fmask)}`,
        );
      }
    }
  }
  return { compared, skipped, mismatches, reference: names.join(', ') };
}

// ---------- encoding helpers ----------

export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

/** ModRM byte. */
export function modrm(mod: number, reg: number, rm: number): number {
  return (mod << 6) | (reg << 3) | rm;
}
/** Register-direct ModRM. */
export function rr(reg: number, rm: number): number {
  return modrm(3, reg, rm);
}

/** The operand sizes (bits) of the byte/word/dword forms. */
export const SIZES = [8, 16, 32] as const;

/** Opcode prefix and byte for an 8-bit op or its 16/32-bit sibling (op8 + 1). */
export function sized(size: number, op8: number): number[] {
  return size === 8 ? [op8] : size === 16 ? [0x66, op8 + 1] : [op8 + 1];
}

/** `v` as `size` bits of little-endian bytes (immediates and memory operands). */
export function le(v: number, size: number): number[] {
  return Array.from({ length: size / 8 }, (_, i) => (v >>> (8 * i)) & 0xff);
}

/** Interesting values of a given size (bits). */
export function edgeValues(size: 8 | 16 | 32): number[] {
  const m = size === 32 ? 0xffffffff : (1 << size) - 1;
  const sign = size === 32 ? 0x80000000 : 1 << (size - 1);
  const v = [0, 1, 2, 3, 7, 0x55, 0x7f, 0x80, 0xff, sign - 1, sign, sign + 1, m, m - 1, 0x1234, 0x12345678, 0xdeadbeef];
  return [...new Set(v.map((x) => (x & m) >>> 0))];
}

/** Flag inputs worth trying: none, all arithmetic flags, CF only. */
export const FLAG_INPUTS = [0, ARITH, CF, AF];

/** Compare and fail with the first mismatches (readable) if any. */
export async function expectSame(cases: readonly Case[], expectFn: (v: unknown) => { toBe(x: unknown): void }): Promise<Comparison> {
  const r = await compareAll(cases);
  const shown = r.mismatches.slice(0, 12);
  const more = r.mismatches.length > shown.length ? `\n... and ${r.mismatches.length - shown.length} more` : '';
  expectFn(`${r.mismatches.length} mismatches of ${r.compared} (reference: ${r.reference})\n` + shown.join('\n') + more).toBe(
    `0 mismatches of ${r.compared} (reference: ${r.reference})\n`,
  );
  expectFn(r.compared > 0).toBe(true);
  return r;
}

/** True when there is a reference for the given mode (else the test skips). */
export function hasReference(mode: 'any' | '32'): boolean {
  const refs = references();
  return mode === '32' ? refs.only32 !== undefined : refs.any !== undefined;
}
