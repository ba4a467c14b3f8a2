// Test case and result types shared by the native harness, the tabvm
// adapter, the generator and the comparator.

import type { Insn } from './x86';
import { encodeSnippet, type EncodedSnippet } from './x86';

export const CODE_ADDR = 0x00300000;
export const DATA_ADDR = 0x00200000;
export const DATA_SIZE = 8192;
export const MAX_CODE = 64;

export const FLAG_CF = 0x0001;
export const FLAG_PF = 0x0004;
export const FLAG_AF = 0x0010;
export const FLAG_ZF = 0x0040;
export const FLAG_SF = 0x0080;
export const FLAG_TF = 0x0100;
export const FLAG_IF = 0x0200;
export const FLAG_DF = 0x0400;
export const FLAG_OF = 0x0800;
export const FLAG_AC = 0x40000;
/** The flags a case sets and the comparison checks: CF PF AF ZF SF OF DF. */
export const CASE_FLAGS = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF | FLAG_DF;
export const FLAG_LETTERS: Record<string, number> = {
  c: FLAG_CF,
  p: FLAG_PF,
  a: FLAG_AF,
  z: FLAG_ZF,
  s: FLAG_SF,
  o: FLAG_OF,
  d: FLAG_DF,
};

export function flagBits(letters: string): number {
  let bits = 0;
  for (const ch of letters) bits |= FLAG_LETTERS[ch] ?? 0;
  return bits;
}

export function flagNames(bits: number): string {
  const names: string[] = [];
  for (const [ch, bit] of Object.entries(FLAG_LETTERS)) if (bits & bit) names.push(ch.toUpperCase() + 'F');
  return names.join(' ') || '-';
}

export class SnippetTooLong extends Error {}

export interface Patch {
  offset: number; // into DATA
  bytes: number[];
}

export interface TestCase {
  insns: Insn[];
  code: EncodedSnippet;
  regs: number[]; // EAX ECX EDX EBX ESP EBP ESI EDI, unsigned
  eflags: number; // only CASE_FLAGS bits are used
  dataSeed: number;
  patches: Patch[];
  label?: string; // handwritten cases: the asm
  // Initial FXSAVE image (x87, MXCSR, XMM0-7; 32-bit format, see fpu-image.ts).
  // When present the outcome carries the final image too.
  fpu?: Uint8Array;
  // Bytes of the image the comparison ignores (offset, length) besides the
  // always-ignored pointer fields (FIP FCS FOP FDP FDS, MXCSR_MASK, reserved).
  fpuIgnore?: [number, number][];
  /** Compare FPU registers rounded to this many significand bits (and not FSW.C1); default 64 = exactly. */
  fpuRoundBits?: number;
}

export function makeCase(insns: Insn[], init: Omit<TestCase, 'insns' | 'code'>): TestCase {
  const code = encodeSnippet(insns);
  if (code.code32.bytes.length > MAX_CODE) throw new SnippetTooLong(`snippet longer than ${MAX_CODE} bytes`);
  return { insns, code, ...init };
}

/** DATA contents before patches: splitmix32 words, as harness.c fill_data. */
export function fillData(seed: number): Uint8Array {
  const out = new Uint8Array(DATA_SIZE);
  const view = new DataView(out.buffer);
  let s = seed >>> 0;
  for (let i = 0; i < DATA_SIZE / 4; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    view.setUint32(i * 4, (z ^ (z >>> 16)) >>> 0, true);
  }
  return out;
}

export function initialData(tc: TestCase): Uint8Array {
  const data = fillData(tc.dataSeed);
  for (const p of tc.patches) data.set(p.bytes, p.offset);
  return data;
}

/** Architectural outcome of a case, in 32-bit terms. */
export interface CpuOutcome {
  // 'ok' = reached the end of the snippet; 'fault' = an exception stopped it.
  kind: 'ok' | 'fault';
  vector?: number;
  errorCode?: number;
  cr2?: number;
  regs: number[];
  eflags: number;
  eipOffset: number; // EIP - CODE_ADDR, in the 32-bit encoding
  data: Uint8Array; // the whole DATA region after the run
  note?: string; // raw details (signal, si_code) for reports
  fpu?: Uint8Array; // the final FXSAVE image, for cases that carry one
}

export const VEC_DE = 0;
export const VEC_BP = 3;
export const VEC_OF = 4;
export const VEC_BR = 5;
export const VEC_UD = 6;
export const VEC_NM = 7;
export const VEC_GP = 13;
export const VEC_PF = 14;
export const VEC_MF = 16;
export const VEC_AC = 17;
export const VEC_XM = 19;
export const FPU_IMAGE_BYTES = 512;
export const VECTOR_NAMES: Record<number, string> = {
  0: '#DE',
  3: '#BP',
  4: '#OF',
  5: '#BR',
  6: '#UD',
  7: '#NM',
  13: '#GP',
  14: '#PF',
  16: '#MF',
  17: '#AC',
  19: '#XM',
};

/** A CPU to run cases on: the native harness or tabvm. */
export interface Target {
  readonly name: string;
  run(cases: readonly TestCase[]): Promise<CpuOutcome[]>;
}
