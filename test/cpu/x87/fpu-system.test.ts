// System-level x87/SSE tests: images/tests/fpu/fpu.asm (FNSTENV/FNSAVE/
// FLDENV/FRSTOR images in the 32- and 16-bit formats, protected and real mode, FXSAVE/FXRSTOR of the
// whole 512-byte area, CR0.TS/EM/MP and #NM, CLTS then FNINIT, #MF with
// CR0.NE=1, SSE #UD without CR4.OSFXSR and the #GP(0) of misaligned 16-byte
// operands) runs on QEMU (qemu-system-i386 -cpu max: SSE and FXSR) and on
// tabvm; the COM1 transcripts must match line for line, as in
// test/system/kernels.test.ts.
//
// Parts QEMU cannot judge run on tabvm only (the TABVM_ONLY build), against
// the SDM or the host CPU:
// - the reserved upper halves of FCW/FSW/FTW in the 32-bit FNSTENV image
//   (the host CPU stores FFFFh, QEMU TCG 0) and bytes 10-15 of FXSAVE's
//   ST/MM slots (the host CPU writes zeros, QEMU TCG leaves memory alone):
//   compared with the host CPU running native/fpu-reserved.c;
// - #XM versus #UD by CR4.OSXMMEXCPT: QEMU TCG 7.2
//   never raises #XM;
// - FXRSTOR's #GP(0) for reserved MXCSR bits: QEMU TCG 7.2 loads them;
// - CR0.NE=0, FERR# on IRQ 13: QEMU 7.2 aborts
//   (tcg_handle_interrupt assertion) when the x87 raises FERR#.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { haveQemu, runOnQemu } from '../../system/qemu.js';
import { runOnTabvm } from '../../system/tabvm.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TESTS_DIR = join(REPO_ROOT, 'images', 'tests');
const FPU_DIR = join(TESTS_DIR, 'fpu');
const BUILD_DIR = join(FPU_DIR, 'build');
const LINKER_SCRIPT = join(TESTS_DIR, 'link.ld');
const TABVM_CLI_MODULE = join(REPO_ROOT, 'dist', 'helper', 'cli.js');
const QEMU_CPU = 'max';
const MEM_MIB = 32;
const QEMU_TIMEOUT_MS = 20_000;
const TABVM_TIMEOUT_MS = 60_000;
const STATUS_DONE = 1;

/** Assembles fpu.asm with the given -D defines; returns the ELF path. */
function buildKernel(name: string, defines: string[]): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const obj = join(BUILD_DIR, `${name}.o`);
  const elf = join(BUILD_DIR, `${name}.elf`);
  const nasm = spawnSync(
    'nasm',
    ['-f', 'elf32', '-I', `${TESTS_DIR}/`, ...defines.map((d) => `-D${d}`), '-o', obj, join(FPU_DIR, 'fpu.asm')],
    {
      encoding: 'utf8',
    },
  );
  if (nasm.status !== 0) throw new Error(`nasm failed: ${nasm.stderr}`);
  const ld = spawnSync('ld', ['-m', 'elf_i386', '-T', LINKER_SCRIPT, '-o', elf, obj], { encoding: 'utf8' });
  if (ld.status !== 0) throw new Error(`ld failed: ${ld.stderr}`);
  return elf;
}

/** The first differing line with its neighbours, or undefined. */
function firstDifference(want: string[], got: string[]): string | undefined {
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (want[i] === got[i]) continue;
    const ctx = (l: string[]): string => l.slice(Math.max(0, i - 2), i + 3).join('\n');
    return `line ${i + 1}:\nQEMU:\n${ctx(want)}\ntabvm:\n${ctx(got)}`;
  }
  return undefined;
}

/** FXSAVE: FOP..FDS (pointer fields, zeroed by the kernel) and MXCSR_MASK. */
const FX_FOP = 6;
const FX_PTR_BYTES = 18;
const FX_MXCSR_MASK = 28;
/** Header and ST0-ST1, the slots FLD1 and FLDPI filled. */
const FX_VALID_BYTES = 64;
/** Reserved upper halves of FCW, FSW and FTW in the 32-bit environment. */
const ENV32_RESERVED = [2, 3, 6, 7, 10, 11];
/** Bytes 10-15 of FXSAVE's eight ST/MM slots (from offset 32, 16 bytes each). */
const FX_SLOT_PADDING = Array.from({ length: 8 }, (_, slot) => Array.from({ length: 6 }, (_, k) => 32 + slot * 16 + 10 + k)).flat();

/** The bytes of the dump printed after `title` (lines "  OOOO: dword dword ..."). */
function dumpBytes(out: string[], title: string): number[] {
  const bytes: number[] = [];
  for (let i = out.indexOf(title) + 1; i > 0 && i < out.length && /^ {2}[0-9a-f]{4}:/.test(out[i]); i++) {
    for (const word of out[i].slice(7).trim().split(' ')) {
      const v = parseInt(word, 16);
      for (let b = 0; b < word.length / 2; b++) bytes.push((v >>> (8 * b)) & 0xff);
    }
  }
  return bytes;
}

/** The host CPU's FNSTENV/FXSAVE images from native/fpu-reserved.c, or undefined without gcc. */
function hostImages(): { env32: number[]; fxsave: number[] } | undefined {
  mkdirSync(BUILD_DIR, { recursive: true });
  const exe = join(BUILD_DIR, 'fpu-reserved');
  const cc = spawnSync('gcc', ['-O2', '-o', exe, join(dirname(fileURLToPath(import.meta.url)), 'native', 'fpu-reserved.c')], {
    encoding: 'utf8',
  });
  if (cc.status !== 0) return undefined;
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  const field = (name: string): number[] =>
    (run.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')
      .split(' ')
      .slice(1)
      .map((h) => parseInt(h, 16));
  return { env32: field('env32'), fxsave: field('fxsave') };
}
const hostReserved = hostImages();

let tabvmOnly: string[] | undefined;
/** COM1 lines of the TABVM_ONLY build on tabvm (run once). */
function tabvmOnlyOutput(): string[] {
  tabvmOnly ??= lines(runOnTabvm(buildKernel('fpu-tabvm', ['TABVM_ONLY']), { memMiB: MEM_MIB, timeoutMs: TABVM_TIMEOUT_MS }).stdout);
  return tabvmOnly;
}

function lines(text: string): string[] {
  const out = text.replace(/\r\n/g, '\n').split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

const haveNasm = !spawnSync('nasm', ['-v'], { stdio: 'ignore' }).error;
const missing = [
  haveQemu() ? '' : 'qemu-system-i386',
  haveNasm ? '' : 'nasm',
  existsSync(TABVM_CLI_MODULE) ? '' : 'the tabvm CLI (npm run build:host)',
].filter((s) => s !== '');
if (missing.length) console.log(`fpu system tests: SKIPPED, missing ${missing.join(', ')}`);

describe.skipIf(missing.length > 0)('x87/SSE system behaviour (QEMU vs tabvm)', () => {
  it('state images, #NM, #MF and SSE faults match QEMU line for line', () => {
    const elf = buildKernel('fpu', []);
    const ref = runOnQemu(elf, { cpu: QEMU_CPU, memMiB: MEM_MIB, timeoutMs: QEMU_TIMEOUT_MS });
    expect(ref.status, `QEMU: ${ref.stdout}${ref.stderr}`).toBe(STATUS_DONE);
    const got = runOnTabvm(elf, { memMiB: MEM_MIB, timeoutMs: TABVM_TIMEOUT_MS });
    const mismatch = firstDifference(lines(ref.stdout), lines(got.stdout));
    if (mismatch !== undefined) throw new Error(`fpu.asm: tabvm output differs from QEMU\n${mismatch}\n${got.stderr}`);
    expect(got.status).toBe(STATUS_DONE);
  }, 120_000);

  // SDM Vol. 3A 6.15 (interrupt 19) and 2.5 (CR4.OSXMMEXCPT): an unmasked
  // SIMD floating-point exception raises #XM when OSXMMEXCPT=1 and #UD when
  // it is 0; the exception is detected first, so the MXCSR flag is set in
  // both cases and the destination is kept.
  // The host CPU is the oracle for the reserved parts (test/cpu/x87/native/fpu-reserved.c).
  it.skipIf(hostReserved === undefined)(
    'reserved parts of the FNSTENV and FXSAVE images are written like the host CPU',
    () => {
      const out = tabvmOnlyOutput();
      const host = hostReserved!;
      expect(host.env32.length).toBe(28);
      expect(host.fxsave.length).toBe(160);
      const env = dumpBytes(out, 'fnstenv 32-bit:');
      expect(ENV32_RESERVED.map((i) => env[i])).toEqual(ENV32_RESERVED.map((i) => host.env32[i]));
      const fx = dumpBytes(out, 'fxsave of a known x87+SSE state (whole 512 bytes):');
      expect(FX_SLOT_PADDING.map((i) => fx[i])).toEqual(FX_SLOT_PADDING.map((i) => host.fxsave[i]));
    },
    120_000,
  );

  // FXSAVE without REX.W in 64-bit mode stores the same x87 part as in 32-bit
  // mode, so the host CPU is the oracle for the header and the two valid
  // slots (FOP, FIP, FCS, FDP and FDS aside, and MXCSR_MASK, which is the
  // CPU model's). The empty slots hold whatever the registers held before
  // FNINIT, which differs between the kernel and a fresh process.
  it.skipIf(hostReserved === undefined)(
    'FXSAVE of FNINIT, FLD1, FLDPI matches the host CPU byte for byte',
    () => {
      const fx = dumpBytes(tabvmOnlyOutput(), 'fxsave after fninit, fld1, fldpi:');
      const host = hostReserved!.fxsave;
      const compared = (i: number): boolean =>
        i < FX_VALID_BYTES && (i < FX_FOP || i >= FX_FOP + FX_PTR_BYTES) && (i < FX_MXCSR_MASK || i >= FX_MXCSR_MASK + 4);
      expect(fx.length).toBe(host.length);
      expect(fx.filter((_, i) => compared(i)).length).toBe(FX_VALID_BYTES - FX_PTR_BYTES - 4);
      expect(fx.filter((_, i) => compared(i))).toEqual(host.filter((_, i) => compared(i)));
    },
    120_000,
  );

  // SDM Vol. 2, FXRSTOR: #GP(0) when the image sets reserved MXCSR bits (QEMU TCG 7.2 loads them).
  it('FXRSTOR of an image with reserved MXCSR bits takes #GP(0)', () => {
    const out = tabvmOnlyOutput();
    expect(out.find((l) => l.startsWith('fxrstor with reserved MXCSR bits:'))).toMatch(/: #GP v=0d err=00000000 /);
  }, 120_000);

  // SDM Vol. 1 D.2.1 and the PC/AT: with CR0.NE=0 an unmasked x87 error is
  // not #MF but FERR#, wired to IRQ 13 (slave 8259 input 5), reported at the
  // next waiting instruction; the handler ends it with a write to port F0h
  // (a level that stayed asserted would interrupt again at once).
  it('CR0.NE=0: the x87 error arrives once as IRQ 13, at FWAIT or at the next STI', () => {
    const out = tabvmOnlyOutput();
    const after = (label: string): string[] => out.slice(out.findIndex((l) => l.startsWith(label))).slice(0, 2);
    expect(after('NE=0 1/0 unmasked then fwait (IF=1):')).toEqual([
      'NE=0 1/0 unmasked then fwait (IF=1): no exception',
      // FSW as the handler sees it: B, TOP=6, ES, ZE.
      ' irq13 count=00000001 fsw in handler=b084',
    ]);
    expect(after('NE=0 1/0 unmasked then fwait (IF=0), then sti:')).toEqual([
      'NE=0 1/0 unmasked then fwait (IF=0), then sti: (after fwait) no exception',
      ' irq13 count=00000001',
    ]);
  }, 120_000);

  it('unmasked SSE divide by zero: #XM with CR4.OSXMMEXCPT=1, #UD without', () => {
    const elf = buildKernel('fpu-tabvm', ['TABVM_ONLY']);
    const out = lines(runOnTabvm(elf, { memMiB: MEM_MIB, timeoutMs: TABVM_TIMEOUT_MS }).stdout);
    const at = (label: string): string => out[out.findIndex((l) => l.startsWith(label)) + 1] ?? '';
    expect(out.find((l) => l.startsWith('divps by 0 unmasked, OSXMMEXCPT=1:'))).toMatch(/: #XM v=13 /);
    expect(at('divps by 0 unmasked, OSXMMEXCPT=1:')).toBe(' mxcsr=00001d84');
    expect(out.find((l) => l.startsWith('divps by 0 unmasked, OSXMMEXCPT=0:'))).toMatch(/: #UD v=06 /);
    expect(at('divps by 0 unmasked, OSXMMEXCPT=0:')).toBe(' mxcsr=00001d84');
  }, 120_000);
});
