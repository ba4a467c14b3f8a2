// SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic: ADD/SUB/MUL/DIV/SQRT/MIN/MAX
// (PS/SS/PD/SD), RCP/RSQRT, ADDSUB, HADD/HSUB, DPPS/DPPD, ROUND* (SDM Vol. 2
// instruction pages; exceptions per Vol. 1 §11.5). The IEEE work is in
// cpu/sse/ieee.ts; here are the lanes and operand forms.

import {
  beginFp, commitFp, stepFp, f32Op, f64Op, approxRecip, roundOp, setRounding, suppressPrecision, mxcsr,
  FOP_ADD, FOP_SUB, FOP_MUL, FOP_SQRT, MXCSR_RC_SHIFT,
} from '../sse/ieee';
import { sseReady, fetchSrc128, fetchSrc64, fetchSrc32, xmmAddr, copy16, SRC, RES } from '../sse/xmm';
import { modReg, imm } from '../decode';

// Operation selectors for the table's exec strings (same values as ieee.ts FOP_*).
export const SSE_ADD: u32 = 0;
export const SSE_SUB: u32 = 1;
export const SSE_MUL: u32 = 2;
export const SSE_DIV: u32 = 3;
export const SSE_MIN: u32 = 4;
export const SSE_MAX: u32 = 5;
export const SSE_SQRT: u32 = 6;

/** ROUND* imm8: bit 2 selects MXCSR.RC over bits 1:0, bit 3 suppresses precision. */
const ROUND_USE_MXCSR: u32 = 4;
const ROUND_NO_PRECISION: u32 = 8;

@inline function lane32(op: u32, d: u32, s: u32): u32 {
  return op == FOP_SQRT ? f32Op(op, s, 0) : f32Op(op, d, s);
}
@inline function lane64(op: u32, d: u64, s: u64): u64 {
  return op == FOP_SQRT ? f64Op(op, s, 0) : f64Op(op, d, s);
}

export function sseArithPs(op: u32): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(RES + i, lane32(op, load<u32>(d + i), load<u32>(SRC + i)));
  if (commitFp()) copy16(d, RES);
}

export function sseArithPd(op: u32): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 16; i += 8) store<u64>(RES + i, lane64(op, load<u64>(d + i), load<u64>(SRC + i)));
  if (commitFp()) copy16(d, RES);
}

export function sseArithSs(op: u32): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  const d = xmmAddr(modReg);
  const r = lane32(op, load<u32>(d), load<u32>(SRC));
  if (commitFp()) store<u32>(d, r);
}

export function sseArithSd(op: u32): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  const d = xmmAddr(modReg);
  const r = lane64(op, load<u64>(d), load<u64>(SRC));
  if (commitFp()) store<u64>(d, r);
}

/** RCPPS/RSQRTPS: approximations that signal no exceptions. */
export function sseApproxPs(isRsqrt: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(d + i, approxRecip(load<u32>(SRC + i), isRsqrt));
}

export function sseApproxSs(isRsqrt: bool): void {
  if (!sseReady() || !fetchSrc32()) return;
  store<u32>(xmmAddr(modReg), approxRecip(load<u32>(SRC), isRsqrt));
}

/** ADDSUBPS: subtract in even lanes, add in odd ones. */
export function addsubps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 16; i += 4) {
    store<u32>(RES + i, f32Op(i & 4 ? FOP_ADD : FOP_SUB, load<u32>(d + i), load<u32>(SRC + i)));
  }
  if (commitFp()) copy16(d, RES);
}

export function addsubpd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  store<u64>(RES, f64Op(FOP_SUB, load<u64>(d), load<u64>(SRC)));
  store<u64>(RES + 8, f64Op(FOP_ADD, load<u64>(d + 8), load<u64>(SRC + 8)));
  if (commitFp()) copy16(d, RES);
}

/** HADDPS/HSUBPS: pairs of the destination, then pairs of the source. */
export function sseHorizontalPs(op: u32): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  store<u32>(RES, f32Op(op, load<u32>(d), load<u32>(d + 4)));
  store<u32>(RES + 4, f32Op(op, load<u32>(d + 8), load<u32>(d + 12)));
  store<u32>(RES + 8, f32Op(op, load<u32>(SRC), load<u32>(SRC + 4)));
  store<u32>(RES + 12, f32Op(op, load<u32>(SRC + 8), load<u32>(SRC + 12)));
  if (commitFp()) copy16(d, RES);
}

export function sseHorizontalPd(op: u32): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  store<u64>(RES, f64Op(op, load<u64>(d), load<u64>(d + 8)));
  store<u64>(RES + 8, f64Op(op, load<u64>(SRC), load<u64>(SRC + 8)));
  if (commitFp()) copy16(d, RES);
}

/**
 * DPPS: products of the lanes selected by imm8[7:4] (others +0.0), summed
 * pairwise ((p0 + p1) + (p2 + p3)) with a rounding at each step, broadcast
 * to the lanes selected by imm8[3:0] (others zero). Each step can fault on
 * its own (an unmasked exception of the products stops before the sums).
 */
export function dpps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  const sel = imm;
  let p0: u32 = 0;
  let p1: u32 = 0;
  let p2: u32 = 0;
  let p3: u32 = 0;
  if (sel & 0x10) p0 = f32Op(FOP_MUL, load<u32>(d), load<u32>(SRC));
  if (sel & 0x20) p1 = f32Op(FOP_MUL, load<u32>(d + 4), load<u32>(SRC + 4));
  if (sel & 0x40) p2 = f32Op(FOP_MUL, load<u32>(d + 8), load<u32>(SRC + 8));
  if (sel & 0x80) p3 = f32Op(FOP_MUL, load<u32>(d + 12), load<u32>(SRC + 12));
  if (!stepFp()) return;
  const lo = f32Op(FOP_ADD, p0, p1);
  const hi = f32Op(FOP_ADD, p2, p3);
  if (!stepFp()) return;
  const sum = f32Op(FOP_ADD, lo, hi);
  for (let i: u32 = 0; i < 4; i++) store<u32>(RES + (i << 2), (sel >> i) & 1 ? sum : 0);
  if (commitFp()) copy16(d, RES);
}

/** DPPD: the same with two binary64 lanes (imm8 bits 5:4 and 1:0). */
export function dppd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  const sel = imm;
  let p0: u64 = 0;
  let p1: u64 = 0;
  if (sel & 0x10) p0 = f64Op(FOP_MUL, load<u64>(d), load<u64>(SRC));
  if (sel & 0x20) p1 = f64Op(FOP_MUL, load<u64>(d + 8), load<u64>(SRC + 8));
  if (!stepFp()) return;
  const sum = f64Op(FOP_ADD, p0, p1);
  store<u64>(RES, sel & 1 ? sum : 0);
  store<u64>(RES + 8, sel & 2 ? sum : 0);
  if (commitFp()) copy16(d, RES);
}

@inline function roundMode(): u32 {
  return imm & ROUND_USE_MXCSR ? (mxcsr() >> MXCSR_RC_SHIFT) & 3 : imm & 3;
}

@inline function endRound(): bool {
  if (imm & ROUND_NO_PRECISION) suppressPrecision();
  return commitFp();
}

export function roundps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const mode = roundMode();
  setRounding(mode);
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(RES + i, <u32>roundOp(load<u32>(SRC + i), true, mode));
  if (endRound()) copy16(xmmAddr(modReg), RES);
}

export function roundpd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const mode = roundMode();
  setRounding(mode);
  for (let i: u32 = 0; i < 16; i += 8) store<u64>(RES + i, roundOp(load<u64>(SRC + i), false, mode));
  if (endRound()) copy16(xmmAddr(modReg), RES);
}

export function roundss(): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  const r = <u32>roundOp(load<u32>(SRC), true, roundMode());
  if (endRound()) store<u32>(xmmAddr(modReg), r);
}

export function roundsd(): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  const r = roundOp(load<u64>(SRC), false, roundMode());
  if (endRound()) store<u64>(xmmAddr(modReg), r);
}
