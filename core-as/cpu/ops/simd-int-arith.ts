// MMX and SSE2/SSSE3/SSE4.1/SSE4.2 packed-integer operations on MMX and XMM
// registers: arithmetic, compares, packs, unpacks, shuffles, shifts (SDM
// Vol. 2 entries of each mnemonic; Vol. 1 ch. 9, 11, 12).
//
// Every lane operation is computed on 128 bits with wasm SIMD. An MMX form
// runs the same operation on a v128 whose low half is the MMX operand and
// keeps the low 64 bits; the few operations whose lanes cross the middle
// (packs, high unpacks, horizontal ops, PSHUFB, PALIGNR) arrange their MMX
// inputs so that the low half of the result is right.

import { modReg, modRm, imm } from '../decode';
import { faulted } from '../fault';
import {
  mmxAvailable, sseAvailable, enterMmxMode, mmGet, mmSet, xmmGet, xmmSet, readQ, readW, v128FromLow, v128Low,
} from '../simd-int-access';

// Lane operations (binary: dst op src).
export const SIMD_PADDB: u32 = 0;
export const SIMD_PADDW: u32 = 1;
export const SIMD_PADDD: u32 = 2;
export const SIMD_PADDQ: u32 = 3;
export const SIMD_PSUBB: u32 = 4;
export const SIMD_PSUBW: u32 = 5;
export const SIMD_PSUBD: u32 = 6;
export const SIMD_PSUBQ: u32 = 7;
export const SIMD_PADDSB: u32 = 8;
export const SIMD_PADDSW: u32 = 9;
export const SIMD_PADDUSB: u32 = 10;
export const SIMD_PADDUSW: u32 = 11;
export const SIMD_PSUBSB: u32 = 12;
export const SIMD_PSUBSW: u32 = 13;
export const SIMD_PSUBUSB: u32 = 14;
export const SIMD_PSUBUSW: u32 = 15;
export const SIMD_PAND: u32 = 16;
export const SIMD_PANDN: u32 = 17;
export const SIMD_POR: u32 = 18;
export const SIMD_PXOR: u32 = 19;
export const SIMD_PCMPEQB: u32 = 20;
export const SIMD_PCMPEQW: u32 = 21;
export const SIMD_PCMPEQD: u32 = 22;
export const SIMD_PCMPEQQ: u32 = 23;
export const SIMD_PCMPGTB: u32 = 24;
export const SIMD_PCMPGTW: u32 = 25;
export const SIMD_PCMPGTD: u32 = 26;
export const SIMD_PCMPGTQ: u32 = 27;
export const SIMD_PACKSSWB: u32 = 28;
export const SIMD_PACKUSWB: u32 = 29;
export const SIMD_PACKSSDW: u32 = 30;
export const SIMD_PACKUSDW: u32 = 31;
export const SIMD_PUNPCKLBW: u32 = 32;
export const SIMD_PUNPCKLWD: u32 = 33;
export const SIMD_PUNPCKLDQ: u32 = 34;
export const SIMD_PUNPCKLQDQ: u32 = 35;
export const SIMD_PUNPCKHBW: u32 = 36;
export const SIMD_PUNPCKHWD: u32 = 37;
export const SIMD_PUNPCKHDQ: u32 = 38;
export const SIMD_PUNPCKHQDQ: u32 = 39;
export const SIMD_PMULLW: u32 = 40;
export const SIMD_PMULHW: u32 = 41;
export const SIMD_PMULHUW: u32 = 42;
export const SIMD_PMULUDQ: u32 = 43;
export const SIMD_PMADDWD: u32 = 44;
export const SIMD_PSADBW: u32 = 45;
export const SIMD_PAVGB: u32 = 46;
export const SIMD_PAVGW: u32 = 47;
export const SIMD_PMINUB: u32 = 48;
export const SIMD_PMAXUB: u32 = 49;
export const SIMD_PMINSW: u32 = 50;
export const SIMD_PMAXSW: u32 = 51;
export const SIMD_PSHUFB: u32 = 52;
export const SIMD_PHADDW: u32 = 53;
export const SIMD_PHADDD: u32 = 54;
export const SIMD_PHADDSW: u32 = 55;
export const SIMD_PMADDUBSW: u32 = 56;
export const SIMD_PHSUBW: u32 = 57;
export const SIMD_PHSUBD: u32 = 58;
export const SIMD_PHSUBSW: u32 = 59;
export const SIMD_PSIGNB: u32 = 60;
export const SIMD_PSIGNW: u32 = 61;
export const SIMD_PSIGND: u32 = 62;
export const SIMD_PMULHRSW: u32 = 63;
export const SIMD_PABSB: u32 = 64;
export const SIMD_PABSW: u32 = 65;
export const SIMD_PABSD: u32 = 66;
export const SIMD_PBLENDVB: u32 = 67;
export const SIMD_PMULDQ: u32 = 68;
export const SIMD_PMINSB: u32 = 69;
export const SIMD_PMINSD: u32 = 70;
export const SIMD_PMINUW: u32 = 71;
export const SIMD_PMINUD: u32 = 72;
export const SIMD_PMAXSB: u32 = 73;
export const SIMD_PMAXSD: u32 = 74;
export const SIMD_PMAXUW: u32 = 75;
export const SIMD_PMAXUD: u32 = 76;
export const SIMD_PMULLD: u32 = 77;
export const SIMD_PHMINPOSUW: u32 = 78;
// Shifts (by register or immediate count).
export const SIMD_PSRLW: u32 = 80;
export const SIMD_PSRLD: u32 = 81;
export const SIMD_PSRLQ: u32 = 82;
export const SIMD_PSRAW: u32 = 83;
export const SIMD_PSRAD: u32 = 84;
export const SIMD_PSLLW: u32 = 85;
export const SIMD_PSLLD: u32 = 86;
export const SIMD_PSLLQ: u32 = 87;
export const SIMD_PSRLDQ: u32 = 88;
export const SIMD_PSLLDQ: u32 = 89;
// Operations with an imm8.
export const SIMD_PSHUFW: u32 = 96;
export const SIMD_PSHUFD: u32 = 97;
export const SIMD_PSHUFHW: u32 = 98;
export const SIMD_PSHUFLW: u32 = 99;
export const SIMD_PALIGNR: u32 = 100;
export const SIMD_PBLENDW: u32 = 101;
export const SIMD_MPSADBW: u32 = 102;

const XMM0: u32 = 0;
/** PSHUFB index bits: bit 7 zeroes the byte; 4 (XMM) or 3 (MMX) low bits select. */
const PSHUFB_XMM_MASK: i8 = <i8>0x8f;
const PSHUFB_MMX_MASK: i8 = <i8>0x87;
const I16_MIN: i16 = -32768;
const BYTES_PER_V128: u32 = 16;

// Scratch for the operations done element by element (lanes by variable index).
const SCRATCH: usize = memory.data(48, 16);
const IOTA: v128 = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

@inline function zero(): v128 {
  return i64x2.splat(0);
}

/** Even and odd 16-bit lanes of the pair (x, y): the inputs of the horizontal word ops. */
@inline function evenW(x: v128, y: v128): v128 {
  return i16x8.shuffle(x, y, 0, 2, 4, 6, 8, 10, 12, 14);
}
@inline function oddW(x: v128, y: v128): v128 {
  return i16x8.shuffle(x, y, 1, 3, 5, 7, 9, 11, 13, 15);
}
@inline function evenD(x: v128, y: v128): v128 {
  return i32x4.shuffle(x, y, 0, 2, 4, 6);
}
@inline function oddD(x: v128, y: v128): v128 {
  return i32x4.shuffle(x, y, 1, 3, 5, 7);
}

/** PSIGN: dst negated where src < 0, zeroed where src == 0. */
@inline function psign(d: v128, neg: v128, srcNeg: v128, srcZero: v128): v128 {
  return v128.andnot(v128.bitselect(neg, d, srcNeg), srcZero);
}

/** PSADBW: per 64-bit half, the sum of absolute byte differences in the low word. */
function psadbw(a: v128, b: v128): v128 {
  const diff = i8x16.sub(i8x16.max_u(a, b), i8x16.min_u(a, b));
  const d = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(diff));
  const sum = i32x4.add(d, i32x4.shuffle(d, d, 1, 0, 3, 2));
  return v128.and(sum, i64x2.splat(0xffff));
}

/** PMADDUBSW: unsigned bytes of dst × signed bytes of src, adjacent products added with signed saturation. */
function pmaddubsw(a: v128, b: v128): v128 {
  const aEven = v128.and(a, i16x8.splat(0xff));
  const aOdd = i16x8.shr_u(a, 8);
  const bEven = i16x8.shr_s(i16x8.shl(b, 8), 8);
  const bOdd = i16x8.shr_s(b, 8);
  return i16x8.add_sat_s(i16x8.mul(aEven, bEven), i16x8.mul(aOdd, bOdd));
}

/**
 * PMULHRSW: (a × b + 0x4000) >> 15 per word. The only overflow,
 * -32768 × -32768, wraps to 0x8000 on x86 where wasm's q15mulr saturates.
 */
function pmulhrsw(a: v128, b: v128): v128 {
  const q = i16x8.q15mulr_sat_s(a, b);
  const min = i16x8.splat(I16_MIN);
  const both = v128.and(i16x8.eq(a, min), i16x8.eq(b, min));
  return v128.bitselect(min, q, both);
}

/** PHMINPOSUW: the minimum unsigned word and its (lowest) index; the rest zero. */
function phminposuw(b: v128): v128 {
  v128.store(SCRATCH, b);
  let best: u32 = <u32>load<u16>(SCRATCH);
  let at: u32 = 0;
  for (let i: u32 = 1; i < 8; i++) {
    const w = <u32>load<u16>(SCRATCH + (i << 1));
    if (w < best) {
      best = w;
      at = i;
    }
  }
  return v128FromLow(<u64>(best | (at << 16)));
}

/** The lane operation `k` on 128 bits (dst `a`, src `b`). */
function simdOp(k: u32, a: v128, b: v128): v128 {
  switch (k) {
    case SIMD_PADDB: return i8x16.add(a, b);
    case SIMD_PADDW: return i16x8.add(a, b);
    case SIMD_PADDD: return i32x4.add(a, b);
    case SIMD_PADDQ: return i64x2.add(a, b);
    case SIMD_PSUBB: return i8x16.sub(a, b);
    case SIMD_PSUBW: return i16x8.sub(a, b);
    case SIMD_PSUBD: return i32x4.sub(a, b);
    case SIMD_PSUBQ: return i64x2.sub(a, b);
    case SIMD_PADDSB: return i8x16.add_sat_s(a, b);
    case SIMD_PADDSW: return i16x8.add_sat_s(a, b);
    case SIMD_PADDUSB: return i8x16.add_sat_u(a, b);
    case SIMD_PADDUSW: return i16x8.add_sat_u(a, b);
    case SIMD_PSUBSB: return i8x16.sub_sat_s(a, b);
    case SIMD_PSUBSW: return i16x8.sub_sat_s(a, b);
    case SIMD_PSUBUSB: return i8x16.sub_sat_u(a, b);
    case SIMD_PSUBUSW: return i16x8.sub_sat_u(a, b);
    case SIMD_PAND: return v128.and(a, b);
    case SIMD_PANDN: return v128.andnot(b, a); // ~dst & src
    case SIMD_POR: return v128.or(a, b);
    case SIMD_PXOR: return v128.xor(a, b);
    case SIMD_PCMPEQB: return i8x16.eq(a, b);
    case SIMD_PCMPEQW: return i16x8.eq(a, b);
    case SIMD_PCMPEQD: return i32x4.eq(a, b);
    case SIMD_PCMPEQQ: return i64x2.eq(a, b);
    case SIMD_PCMPGTB: return i8x16.gt_s(a, b);
    case SIMD_PCMPGTW: return i16x8.gt_s(a, b);
    case SIMD_PCMPGTD: return i32x4.gt_s(a, b);
    case SIMD_PCMPGTQ: return i64x2.gt_s(a, b);
    case SIMD_PACKSSWB: return i8x16.narrow_i16x8_s(a, b);
    case SIMD_PACKUSWB: return i8x16.narrow_i16x8_u(a, b);
    case SIMD_PACKSSDW: return i16x8.narrow_i32x4_s(a, b);
    case SIMD_PACKUSDW: return i16x8.narrow_i32x4_u(a, b);
    case SIMD_PUNPCKLBW: return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    case SIMD_PUNPCKHBW: return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    case SIMD_PUNPCKLWD: return i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
    case SIMD_PUNPCKHWD: return i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
    case SIMD_PUNPCKLDQ: return i32x4.shuffle(a, b, 0, 4, 1, 5);
    case SIMD_PUNPCKHDQ: return i32x4.shuffle(a, b, 2, 6, 3, 7);
    case SIMD_PUNPCKLQDQ: return i32x4.shuffle(a, b, 0, 1, 4, 5);
    case SIMD_PUNPCKHQDQ: return i32x4.shuffle(a, b, 2, 3, 6, 7);
    case SIMD_PMULLW: return i16x8.mul(a, b);
    case SIMD_PMULHW: {
      const lo = i32x4.extmul_low_i16x8_s(a, b);
      const hi = i32x4.extmul_high_i16x8_s(a, b);
      return i16x8.shuffle(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
    }
    case SIMD_PMULHUW: {
      const lo = i32x4.extmul_low_i16x8_u(a, b);
      const hi = i32x4.extmul_high_i16x8_u(a, b);
      return i16x8.shuffle(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
    }
    case SIMD_PMULUDQ: return i64x2.extmul_low_i32x4_u(i32x4.shuffle(a, a, 0, 2, 0, 2), i32x4.shuffle(b, b, 0, 2, 0, 2));
    case SIMD_PMULDQ: return i64x2.extmul_low_i32x4_s(i32x4.shuffle(a, a, 0, 2, 0, 2), i32x4.shuffle(b, b, 0, 2, 0, 2));
    case SIMD_PMADDWD: return i32x4.dot_i16x8_s(a, b);
    case SIMD_PSADBW: return psadbw(a, b);
    case SIMD_PAVGB: return i8x16.avgr_u(a, b);
    case SIMD_PAVGW: return i16x8.avgr_u(a, b);
    case SIMD_PMINUB: return i8x16.min_u(a, b);
    case SIMD_PMAXUB: return i8x16.max_u(a, b);
    case SIMD_PMINSW: return i16x8.min_s(a, b);
    case SIMD_PMAXSW: return i16x8.max_s(a, b);
    case SIMD_PMINSB: return i8x16.min_s(a, b);
    case SIMD_PMAXSB: return i8x16.max_s(a, b);
    case SIMD_PMINUW: return i16x8.min_u(a, b);
    case SIMD_PMAXUW: return i16x8.max_u(a, b);
    case SIMD_PMINSD: return i32x4.min_s(a, b);
    case SIMD_PMAXSD: return i32x4.max_s(a, b);
    case SIMD_PMINUD: return i32x4.min_u(a, b);
    case SIMD_PMAXUD: return i32x4.max_u(a, b);
    case SIMD_PMULLD: return i32x4.mul(a, b);
    case SIMD_PSHUFB: return i8x16.swizzle(a, v128.and(b, i8x16.splat(PSHUFB_XMM_MASK)));
    case SIMD_PHADDW: return i16x8.add(evenW(a, b), oddW(a, b));
    case SIMD_PHADDD: return i32x4.add(evenD(a, b), oddD(a, b));
    case SIMD_PHADDSW: return i16x8.add_sat_s(evenW(a, b), oddW(a, b));
    case SIMD_PHSUBW: return i16x8.sub(evenW(a, b), oddW(a, b));
    case SIMD_PHSUBD: return i32x4.sub(evenD(a, b), oddD(a, b));
    case SIMD_PHSUBSW: return i16x8.sub_sat_s(evenW(a, b), oddW(a, b));
    case SIMD_PMADDUBSW: return pmaddubsw(a, b);
    case SIMD_PSIGNB: return psign(a, i8x16.neg(a), i8x16.lt_s(b, zero()), i8x16.eq(b, zero()));
    case SIMD_PSIGNW: return psign(a, i16x8.neg(a), i16x8.lt_s(b, zero()), i16x8.eq(b, zero()));
    case SIMD_PSIGND: return psign(a, i32x4.neg(a), i32x4.lt_s(b, zero()), i32x4.eq(b, zero()));
    case SIMD_PMULHRSW: return pmulhrsw(a, b);
    case SIMD_PABSB: return i8x16.abs(b);
    case SIMD_PABSW: return i16x8.abs(b);
    case SIMD_PABSD: return i32x4.abs(b);
    case SIMD_PBLENDVB: return v128.bitselect(b, a, i8x16.shr_s(xmmGet(XMM0), 7));
    case SIMD_PHMINPOSUW: return phminposuw(b);
    default: return a;
  }
}

/** MMX form of a lane operation on 64-bit operands. */
function mmxOp(k: u32, d: u64, s: u64): u64 {
  switch (k) {
    case SIMD_PACKSSWB:
    case SIMD_PACKUSWB:
    case SIMD_PACKSSDW: {
      // Packing dst then src: both in one v128, packed with itself.
      const both = i64x2.replace_lane(v128FromLow(d), 1, s);
      return v128Low(simdOp(k, both, both));
    }
    case SIMD_PUNPCKHBW: return v128Low(simdOp(SIMD_PUNPCKLBW, v128FromLow(d >> 32), v128FromLow(s >> 32)));
    case SIMD_PUNPCKHWD: return v128Low(simdOp(SIMD_PUNPCKLWD, v128FromLow(d >> 32), v128FromLow(s >> 32)));
    case SIMD_PUNPCKHDQ: return (d >> 32) | (s & 0xffffffff00000000);
    case SIMD_PHADDW:
    case SIMD_PHADDD:
    case SIMD_PHADDSW:
    case SIMD_PHSUBW:
    case SIMD_PHSUBD:
    case SIMD_PHSUBSW: {
      // Horizontal: pairs of dst then pairs of src = the low half of (dst:src) paired with anything.
      const both = i64x2.replace_lane(v128FromLow(d), 1, s);
      return v128Low(simdOp(k, both, zero()));
    }
    case SIMD_PSHUFB:
      return v128Low(i8x16.swizzle(v128FromLow(d), v128.and(v128FromLow(s), i8x16.splat(PSHUFB_MMX_MASK))));
    default:
      return v128Low(simdOp(k, v128FromLow(d), v128FromLow(s)));
  }
}

/** MMX lane operation: Pq = Pq op Qq. */
export function mmxBinary(k: u32): void {
  if (!mmxAvailable()) return;
  const s = readQ();
  if (faulted) return;
  enterMmxMode();
  mmSet(modReg, mmxOp(k, mmGet(modReg), s));
}

/** XMM lane operation: Vx = Vx op Wx (m128 aligned). */
export function xmmBinary(k: u32): void {
  if (!sseAvailable()) return;
  const s = readW(true);
  if (faulted) return;
  xmmSet(modReg, simdOp(k, xmmGet(modReg), s));
}

// ---------- shifts ----------

/**
 * Shift every lane by `count` (the full 64-bit count: logical shifts beyond
 * the lane width give 0, arithmetic ones fill with the sign).
 */
function simdShift(k: u32, a: v128, count: u64): v128 {
  switch (k) {
    case SIMD_PSRLW: return count > 15 ? zero() : i16x8.shr_u(a, <i32>count);
    case SIMD_PSRLD: return count > 31 ? zero() : i32x4.shr_u(a, <i32>count);
    case SIMD_PSRLQ: return count > 63 ? zero() : i64x2.shr_u(a, <i32>count);
    case SIMD_PSLLW: return count > 15 ? zero() : i16x8.shl(a, <i32>count);
    case SIMD_PSLLD: return count > 31 ? zero() : i32x4.shl(a, <i32>count);
    case SIMD_PSLLQ: return count > 63 ? zero() : i64x2.shl(a, <i32>count);
    case SIMD_PSRAW: return i16x8.shr_s(a, count > 15 ? 15 : <i32>count);
    case SIMD_PSRAD: return i32x4.shr_s(a, count > 31 ? 31 : <i32>count);
    // Byte shifts of the whole register: indices past the end select 0 in swizzle.
    case SIMD_PSRLDQ: return count > 15 ? zero() : i8x16.swizzle(a, i8x16.add(IOTA, i8x16.splat(<i8>count)));
    case SIMD_PSLLDQ: return count > 15 ? zero() : i8x16.swizzle(a, i8x16.sub(IOTA, i8x16.splat(<i8>count)));
    default: return a;
  }
}

/** MMX shift by the count in Qq. */
export function mmxShift(k: u32): void {
  if (!mmxAvailable()) return;
  const count = readQ();
  if (faulted) return;
  enterMmxMode();
  mmSet(modReg, v128Low(simdShift(k, v128FromLow(mmGet(modReg)), count)));
}

/** XMM shift by the count in the low 64 bits of Wx (m128 aligned). */
export function xmmShift(k: u32): void {
  if (!sseAvailable()) return;
  const count = v128Low(readW(true));
  if (faulted) return;
  xmmSet(modReg, simdShift(k, xmmGet(modReg), count));
}

/** MMX shift of Nq by imm8 (groups 12-14). */
export function mmxShiftImm(k: u32): void {
  if (!mmxAvailable()) return;
  enterMmxMode();
  mmSet(modRm, v128Low(simdShift(k, v128FromLow(mmGet(modRm)), <u64>imm)));
}

/** XMM shift of Ux by imm8 (groups 12-14). */
export function xmmShiftImm(k: u32): void {
  if (!sseAvailable()) return;
  xmmSet(modRm, simdShift(k, xmmGet(modRm), <u64>imm));
}

// ---------- operations with an imm8 ----------

/** PSHUFD/PSHUFW-style selection: element i of the result is element (sel >> 2i) & 3. */
function shuffle4(src: v128, sel: u32, elemBytes: u32, base: u32): v128 {
  v128.store(SCRATCH, src);
  v128.store(SCRATCH + BYTES_PER_V128, src);
  for (let i: u32 = 0; i < 4; i++) {
    const from = SCRATCH + base + ((sel >> (i << 1)) & 3) * elemBytes;
    const to = SCRATCH + BYTES_PER_V128 + base + i * elemBytes;
    if (elemBytes == 4) store<u32>(to, load<u32>(from));
    else store<u16>(to, load<u16>(from));
  }
  return v128.load(SCRATCH + BYTES_PER_V128);
}

/** PALIGNR (XMM): bytes n.. of the 32-byte dst:src, zero past its end. */
function palignr128(d: v128, s: v128, n: u32): v128 {
  if (n >= 32) return zero();
  const lo = i8x16.swizzle(s, i8x16.add(IOTA, i8x16.splat(<i8>n)));
  const hi = i8x16.swizzle(d, i8x16.add(IOTA, i8x16.splat(<i8>(n - 16))));
  return v128.or(lo, hi);
}

/** PALIGNR (MMX): bytes n.. of the 16-byte dst:src. */
function palignr64(d: u64, s: u64, n: u32): u64 {
  if (n == 0) return s;
  if (n < 8) return (s >> (n << 3)) | (d << (64 - (n << 3)));
  if (n < 16) return d >> ((n - 8) << 3);
  return 0;
}

/** PBLENDW: word i from src where imm bit i is set. */
function pblendw(d: v128, s: v128, sel: u32): v128 {
  v128.store(SCRATCH, d);
  v128.store(SCRATCH + BYTES_PER_V128, s);
  for (let i: u32 = 0; i < 8; i++) {
    if ((sel >> i) & 1) store<u16>(SCRATCH + (i << 1), load<u16>(SCRATCH + BYTES_PER_V128 + (i << 1)));
  }
  return v128.load(SCRATCH);
}

/**
 * MPSADBW: eight sums of absolute differences between a 4-byte block of src
 * (imm[1:0] × 4) and the eleven bytes of dst from imm[2] × 4.
 */
function mpsadbw(d: v128, s: v128, sel: u32): v128 {
  v128.store(SCRATCH, d);
  v128.store(SCRATCH + BYTES_PER_V128, s);
  const dOff = SCRATCH + ((sel >> 2) & 1) * 4;
  const sOff = SCRATCH + BYTES_PER_V128 + (sel & 3) * 4;
  for (let i: u32 = 0; i < 8; i++) {
    let sum: i32 = 0;
    for (let j: u32 = 0; j < 4; j++) {
      const diff = <i32>load<u8>(dOff + i + j) - <i32>load<u8>(sOff + j);
      sum += diff < 0 ? -diff : diff;
    }
    store<u16>(SCRATCH + 2 * BYTES_PER_V128 + (i << 1), <u16>sum);
  }
  return v128.load(SCRATCH + 2 * BYTES_PER_V128);
}

/** MMX operation with imm8: PSHUFW, PALIGNR. */
export function mmxBinaryImm(k: u32): void {
  if (!mmxAvailable()) return;
  const s = readQ();
  if (faulted) return;
  enterMmxMode();
  const r = k == SIMD_PALIGNR ? palignr64(mmGet(modReg), s, imm) : v128Low(shuffle4(v128FromLow(s), imm, 2, 0));
  mmSet(modReg, r);
}

/** XMM operation with imm8: PSHUFD/HW/LW, PALIGNR, PBLENDW, MPSADBW (m128 aligned). */
export function xmmBinaryImm(k: u32): void {
  if (!sseAvailable()) return;
  const s = readW(true);
  if (faulted) return;
  const d = xmmGet(modReg);
  let r: v128;
  switch (k) {
    case SIMD_PSHUFD: r = shuffle4(s, imm, 4, 0); break;
    case SIMD_PSHUFLW: r = shuffle4(s, imm, 2, 0); break;
    case SIMD_PSHUFHW: r = shuffle4(s, imm, 2, 8); break;
    case SIMD_PALIGNR: r = palignr128(d, s, imm); break;
    case SIMD_PBLENDW: r = pblendw(d, s, imm); break;
    default: r = mpsadbw(d, s, imm); break;
  }
  xmmSet(modReg, r);
}
