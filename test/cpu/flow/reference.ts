// Differential runner for the flow family (stack, near branches, string ops):
// the same byte snippets run on a 32-bit x86 reference and on tabvm, and the
// final registers, flags, EIP, fault and DATA bytes are compared.
//
// Reference: test/cpu/native/harness.c (its protocol is documented there),
// the 32-bit build from test/cpu/native/build.ts: run natively, or under
// qemu-i386(-static) user-mode emulation when the host kernel cannot run
// 32-bit code (e.g. PVM guests without a 32-bit code segment). Without
// gcc -m32 or a way to run its output the tests are skipped with a message.
//
// tabvm mirrors the harness's address space: flat CPL 3 segments with paging
// on, where only the DATA pages (0x00200000, 8 KiB) and the CODE page
// (0x00300000) are mapped, so a stray access faults at the same address on
// both sides. The snippet is followed by UD2 on tabvm; reaching it is the
// harness's "completed" (its epilogue runs there).

import type { Core } from '../../../host/core.js';
import * as L from '../../../host/generated/cpu-layout.js';
import { buildHarness32, runHarness, type BuiltHarness } from '../native/build.js';

export const CODE_ADDR = 0x00300000;
export const DATA_ADDR = 0x00200000;
export const DATA_SIZE = 8192;
const MAX_CODE = 240;
const HEADER_BYTES = 44;
const RESULT_BYTES = 64;

/** EFLAGS bits a case sets and compares: CF PF AF ZF SF OF DF. */
export const CASE_FLAGS = 0x0cd5;
export const FLAG_DF = 0x0400;
export const FLAG_IF = 0x0200;
export const FLAG_IOPL = 0x3000;
/** What a Linux process always has: IF and the reserved bit 1. */
const BASE_FLAGS = 0x0202;

export const VEC_DB = 1;
export const VEC_BP = 3;
export const VEC_UD = 6;
export const VEC_GP = 13;
export const VEC_PF = 14;

const SIGILL = 4;
const SIGTRAP = 5;
const SIGSEGV = 11;
const SEGV_MAPERR = 1;
const SEGV_ACCERR = 2;

export const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export type Reg = (typeof REGS)[number];

export interface FlowCase {
  label: string;
  code: number[];
  regs?: Partial<Record<Reg, number>>;
  /** CF PF AF ZF SF OF DF bits. */
  eflags?: number;
  /** DATA is filled from this seed (splitmix32, as harness.c) before patches. */
  seed?: number;
  patches?: { offset: number; bytes: number[] }[];
  /** Extra EFLAGS bits to compare beyond CASE_FLAGS (e.g. IF and IOPL after POPF). */
  compareFlags?: number;
}

export interface Outcome {
  kind: 'ok' | 'fault';
  vector?: number;
  cr2?: number;
  regs: number[];
  eflags: number;
  eipOffset: number;
  data: Uint8Array;
  note?: string;
}

/** Registers a case starts with unless it says otherwise: ESP in the middle of DATA. */
const DEFAULT_REGS: Record<Reg, number> = {
  eax: 0x11223344,
  ecx: 0x00000005,
  edx: 0x55667788,
  ebx: DATA_ADDR + 0x100,
  esp: DATA_ADDR + 0x1000,
  ebp: DATA_ADDR + 0x1800,
  esi: DATA_ADDR + 0x200,
  edi: DATA_ADDR + 0x400,
};

export function initialRegs(c: FlowCase): number[] {
  return REGS.map((r) => (c.regs?.[r] ?? DEFAULT_REGS[r]) >>> 0);
}

/** DATA before the run: splitmix32 words (harness.c fill_data), then patches. */
export function initialData(c: FlowCase): Uint8Array {
  const out = new Uint8Array(DATA_SIZE);
  const view = new DataView(out.buffer);
  let s = (c.seed ?? 0x1234) >>> 0;
  for (let i = 0; i < DATA_SIZE / 4; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    view.setUint32(i * 4, (z ^ (z >>> 16)) >>> 0, true);
  }
  for (const p of c.patches ?? []) out.set(p.bytes, p.offset);
  return out;
}

// ---------- the reference (harness.c) ----------

export interface Reference {
  /** How the harness runs, for test names and reports. */
  name: string;
  run(cases: readonly FlowCase[]): Outcome[];
}

/** Build harness.c with gcc -m32 and find a way to run it; a string says why not. */
export function buildReference(): Reference | string {
  const built = buildHarness32();
  return typeof built === 'string' ? built : makeReference(built);
}

function makeReference(harness: BuiltHarness): Reference {
  return {
    name: harness.name,
    run(cases) {
      return parse(runHarness(harness, Buffer.concat(cases.map(serialize))), cases);
    },
  };
}

function serialize(c: FlowCase): Buffer {
  if (c.code.length > MAX_CODE) throw new Error(`${c.label}: code longer than ${MAX_CODE} bytes`);
  const patches = c.patches ?? [];
  // The harness patches at most 255 bytes at a time; split longer patches.
  const split: { offset: number; bytes: number[] }[] = [];
  for (const p of patches)
    for (let i = 0; i < p.bytes.length; i += 255) split.push({ offset: p.offset + i, bytes: p.bytes.slice(i, i + 255) });
  let patchBytes = 0;
  for (const p of split) patchBytes += 3 + p.bytes.length;
  const buf = Buffer.alloc(HEADER_BYTES + c.code.length + patchBytes);
  initialRegs(c).forEach((v, i) => buf.writeUInt32LE(v, i * 4));
  buf.writeUInt32LE((c.eflags ?? 0) & CASE_FLAGS, 32);
  buf.writeUInt32LE((c.seed ?? 0x1234) >>> 0, 36);
  buf.writeUInt8(c.code.length, 40);
  buf.writeUInt8(split.length, 41);
  buf.set(c.code, HEADER_BYTES);
  let p = HEADER_BYTES + c.code.length;
  for (const patch of split) {
    buf.writeUInt16LE(patch.offset, p);
    buf.writeUInt8(patch.bytes.length, p + 2);
    buf.set(patch.bytes, p + 3);
    p += 3 + patch.bytes.length;
  }
  return buf;
}

function parse(out: Buffer, cases: readonly FlowCase[]): Outcome[] {
  const results: Outcome[] = [];
  let p = 0;
  for (const c of cases) {
    if (p + RESULT_BYTES > out.length) throw new Error(`reference output truncated at case ${c.label}`);
    const u32 = (i: number): number => out.readUInt32LE(p + i * 4);
    const signo = u32(0);
    const regs = Array.from({ length: 8 }, (_, i) => u32(1 + i));
    const eflags = u32(9);
    const eipOffset = u32(10);
    const siCode = u32(11);
    const siAddr = u32(12);
    const nRuns = out.readUInt16LE(p + 60);
    p += RESULT_BYTES;
    const data = initialData(c);
    for (let i = 0; i < nRuns; i++) {
      const off = out.readUInt16LE(p);
      const len = out.readUInt16LE(p + 2);
      data.set(out.subarray(p + 4, p + 4 + len), off);
      p += 4 + len;
    }
    const o: Outcome = {
      kind: signo === 0 ? 'ok' : 'fault',
      regs,
      eflags,
      eipOffset,
      data,
    };
    if (signo !== 0) {
      o.note = `signal ${signo} si_code ${siCode} si_addr 0x${siAddr.toString(16)}`;
      if (signo === SIGSEGV && (siCode === SEGV_MAPERR || siCode === SEGV_ACCERR)) {
        o.vector = VEC_PF;
        o.cr2 = siAddr;
      } else if (signo === SIGSEGV) o.vector = VEC_GP;
      else if (signo === SIGILL) o.vector = VEC_UD;
      else if (signo === SIGTRAP) o.vector = VEC_BP;
      else o.vector = -signo;
    }
    results.push(o);
  }
  if (p !== out.length) throw new Error('trailing reference output');
  return results;
}

// ---------- tabvm ----------

/** Guest-physical page directory and page table for the harness's address space. */
const PD_ADDR = 0x00010000;
const PT_ADDR = 0x00011000;
const PTE_P = 1;
const PTE_W = 2;
const PTE_U = 4;
const CR0_PG = 0x80000000;
const UD2 = [0x0f, 0x0b];

/** Identity-map `pages` 4 KiB pages from `lin` as user read/write (inside the first 4 MiB). */
export function mapPages(core: Core, lin: number, pages: number, present = true): void {
  for (let i = 0; i < pages; i++) {
    const page = lin + i * 0x1000;
    const pte = new Uint8Array(4);
    new DataView(pte.buffer).setUint32(0, present ? (page | PTE_P | PTE_W | PTE_U) >>> 0 : 0, true);
    core.writePhys(PT_ADDR + (page >>> 12) * 4, pte);
  }
  core.exports.flushTlb();
}

/**
 * Flat CPL 3 protected mode with paging: only DATA and CODE are mapped, as in
 * the harness process. EFLAGS gets IF like a Linux process.
 */
export function setupHarnessSpace(core: Core): void {
  core.setupFlat32({ cpl: 3 });
  core.writePhys(PT_ADDR, new Uint8Array(0x1000));
  const pde = new Uint8Array(4);
  new DataView(pde.buffer).setUint32(0, PT_ADDR | PTE_P | PTE_W | PTE_U, true);
  core.writePhys(PD_ADDR, pde);
  mapPages(core, DATA_ADDR, DATA_SIZE / 0x1000);
  mapPages(core, CODE_ADDR, 1);
  core.setState(L.OFF_CR3, PD_ADDR);
  core.setState(L.OFF_CR0, (core.getState(L.OFF_CR0) | CR0_PG) >>> 0);
  core.exports.flushTlb();
}

/** Load a case into a core prepared by setupHarnessSpace. */
export function loadCase(core: Core, c: FlowCase): void {
  core.writePhys(CODE_ADDR, new Uint8Array(0x1000));
  core.writePhys(CODE_ADDR, Uint8Array.from([...c.code, ...UD2]));
  core.writePhys(DATA_ADDR, initialData(c));
  initialRegs(c).forEach((v, i) => core.setReg(REGS[i], v));
  core.setReg('eip', CODE_ADDR);
  core.setReg('eflags', ((c.eflags ?? 0) & CASE_FLAGS) | BASE_FLAGS);
}

/** The outcome of running the loaded case until UD2 or another exception. */
export function tabvmOutcome(core: Core, codeLength: number, maxInstructions = 1_000_000): Outcome {
  const r = core.run(maxInstructions, { stopOnException: true });
  const regs = REGS.map((n) => core.getReg(n));
  const eip = core.getReg('eip');
  const base = {
    regs,
    eflags: core.getReg('eflags'),
    eipOffset: (eip - CODE_ADDR) >>> 0,
    data: core.readPhys(DATA_ADDR, DATA_SIZE),
  };
  if (r.reason !== 'exception')
    return {
      kind: 'fault',
      vector: -1,
      ...base,
      note: `run stopped: ${r.reason}`,
    };
  if (r.vector === VEC_UD && eip === CODE_ADDR + codeLength) return { kind: 'ok', ...base };
  const o: Outcome = {
    kind: 'fault',
    vector: r.vector,
    ...base,
    note: `vector ${r.vector} error code 0x${(r.errorCode ?? 0).toString(16)}`,
  };
  if (r.vector === VEC_PF) o.cr2 = r.cr2;
  return o;
}

export function runTabvm(core: Core, c: FlowCase): Outcome {
  loadCase(core, c);
  return tabvmOutcome(core, c.code.length);
}

// ---------- comparison ----------

const h32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** Readable differences between the reference and tabvm; empty when they agree. */
export function compareOutcomes(c: FlowCase, exp: Outcome, act: Outcome): string[] {
  const diffs: string[] = [];
  const what = (o: Outcome): string => (o.kind === 'ok' ? 'completed' : `vector ${o.vector}`);
  if (exp.kind !== act.kind || exp.vector !== act.vector) diffs.push(`outcome: expected ${what(exp)}, got ${what(act)}`);
  if (exp.eipOffset !== act.eipOffset) diffs.push(`eip: expected ${h32(CODE_ADDR + exp.eipOffset)}, got ${h32(CODE_ADDR + act.eipOffset)}`);
  if (exp.vector === VEC_PF && act.vector === VEC_PF && exp.cr2 !== act.cr2)
    diffs.push(`cr2: expected ${h32(exp.cr2 ?? 0)}, got ${h32(act.cr2 ?? 0)}`);
  for (let i = 0; i < 8; i++) {
    if (exp.regs[i] !== act.regs[i]) diffs.push(`${REGS[i]}: expected ${h32(exp.regs[i])}, got ${h32(act.regs[i])}`);
  }
  const mask = CASE_FLAGS | (c.compareFlags ?? 0);
  if (((exp.eflags ^ act.eflags) & mask) !== 0) diffs.push(`eflags: expected ${h32(exp.eflags & mask)}, got ${h32(act.eflags & mask)}`);
  const bad: number[] = [];
  for (let i = 0; i < DATA_SIZE; i++) if (exp.data[i] !== act.data[i]) bad.push(i);
  if (bad.length > 0) {
    const shown = bad
      .slice(0, 6)
      .map((i) => `[${h32(DATA_ADDR + i)}] expected ${exp.data[i].toString(16)} got ${act.data[i].toString(16)}`);
    diffs.push(`memory: ${bad.length} bytes differ: ${shown.join(', ')}`);
  }
  if (diffs.length) {
    diffs.unshift(`${c.label}: ${c.code.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
    if (exp.note) diffs.push(`reference: ${exp.note}`);
    if (act.note) diffs.push(`tabvm: ${act.note}`);
  }
  return diffs;
}
