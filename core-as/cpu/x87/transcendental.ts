// The x87 transcendental functions in wide (128-bit significand) precision,
// rounded once to 64 bits: 2^x - 1 (F2XM1), log2 x (FYL2X), log2(1 + x)
// (FYL2XP1), atan2 (FPATAN) and sin/cos after the x87's argument reduction
// (FSIN FCOS FSINCOS FPTAN). References: SDM Vol. 2A (each instruction's
// operation and range), Vol. 1 §8.3.10 (the reduction uses a 66-bit
// approximation of pi: results near multiples of pi keep its error, as the
// host CPU's do). Series: Taylor for e^y - 1, sin and cos; atanh and atan
// series after reducing the argument to a small interval.

import {
  qAdd,
  qConst,
  qCopy,
  qDiv,
  qDivSmall,
  qExp,
  qFromF80,
  qFromU64,
  qHi,
  qIsZero,
  qLo,
  qMul,
  qNeg,
  qSet,
  qSign,
} from './wide';
import { EXP_BIAS, PREC_64, roundPack, setResult } from './float80';

// Slots of ./wide: constants, then scratch.
const ONE: i32 = 0;
const TWO: i32 = 1;
const C_LN2: i32 = 2;
const C_LOG2E: i32 = 3;
const C_PI: i32 = 4;
const C_PI_2: i32 = 5;
const T0: i32 = 8;
const T1: i32 = 9;
const T2: i32 = 10;
const T3: i32 = 11;
const T4: i32 = 12;
const T5: i32 = 13;
export const RES: i32 = 16;
export const RES2: i32 = 17;
const RHO: i32 = 18;

// 128-bit significands (bit 127 set) and exponents of the constants.
const LN2_HI: u64 = 0xb17217f7d1cf79ab;
const LN2_LO: u64 = 0xc9e3b39803f2f6af;
const LOG2E_HI: u64 = 0xb8aa3b295c17f0bb;
const LOG2E_LO: u64 = 0xbe87fed0691d3e88;
const PI_HI: u64 = 0xc90fdaa22168c234;
const PI_LO: u64 = 0xc4c6628b80dc1cd1;
/** atan(k/8), k = 1..8: significand high and low halves, exponent. */
const ATAN_HI: StaticArray<u64> = [
  0xfeadd4d5617b6e32, 0xfadbafc96406eb15, 0xb7b0ca0f26f78473, 0xed63382b0dda7b45, 0x8f005d5ef7f59f9b, 0xa4bc7d1934f70924, 0xb8053e2bc2319e73,
  0xc90fdaa22168c234,
];
const ATAN_LO: StaticArray<u64> = [
  0xc897989f3e888ef7, 0x6dc79ef5f7a217e5, 0x8aa32122dcfe4483, 0x6fe445ecbc3a8d03, 0x5c835e1665c43747, 0x19a87f2a457dac9e, 0xcb2da55210a4443d,
  0xc4c6628b80dc1cd1,
];
const ATAN_EXP: StaticArray<i32> = [-4, -3, -2, -2, -1, -1, -1, -1];

/**
 * pi/2 as the x87 reduces by: 66 significant bits (SDM Vol. 1 §8.3.10), as an
 * integer at scale 2^-65: REDUCE_HI:REDUCE_LO = 0xC90FDAA22168C234 << 2 | 3.
 */
const REDUCE_HI: u64 = 3; // the top two of the 66 bits
const REDUCE_LO: u64 = (0xc90fdaa22168c234 << 2) | 3;

function loadConstants(): void {
  qFromU64(ONE, 1);
  qFromU64(TWO, 2);
  qConst(C_LN2, LN2_HI, LN2_LO, -1);
  qConst(C_LOG2E, LOG2E_HI, LOG2E_LO, 0);
  qConst(C_PI, PI_HI, PI_LO, 1);
  qConst(C_PI_2, PI_HI, PI_LO, 0);
}

/**
 * Round slot `s` to the extended format (resSe/resSig, flags via roundPack).
 * `inexact`: the value is not exactly representable (irrational), so PE is
 * raised and the rounding direction comes from the low bits.
 */
export function wideRound(s: i32, inexact: bool): void {
  if (qIsZero(s)) {
    setResult(qSign(s) << 15, 0);
    return;
  }
  roundPack(qSign(s), qExp(s) + EXP_BIAS, qHi(s), qLo(s) | <u64>(inexact ? 1 : 0), PREC_64);
}

/** d = sum_k u^k / (2k + 1), k = 0..terms-1, with u in slot `u` (atanh/atan series factor). */
function oddSeries(d: i32, u: i32, terms: i32): void {
  qDivSmall(d, ONE, <u32>(2 * terms - 1));
  for (let k = terms - 2; k >= 0; k--) {
    qMul(d, d, u);
    qDivSmall(T5, ONE, <u32>(2 * k + 1));
    qAdd(d, d, T5, false);
  }
}

/** d = ln((1 + s) / (1 - s)) = 2 atanh(s), |s| <= 0.172 (26 terms: s^52 < 2^-132). */
function lnRatio(d: i32, s: i32): void {
  qMul(T4, s, s);
  oddSeries(T3, T4, 26);
  qMul(d, T3, s);
  qAdd(d, d, d, false);
}

// ---------- F2XM1 ----------

/** RES = 2^x - 1 for finite non-zero x (|x| <= 1: beyond, the SDM leaves it undefined). */
export function f2xm1Wide(se: u32, sig: u64): void {
  loadConstants();
  qFromF80(T0, se, sig);
  qMul(T0, T0, C_LN2); // y = x ln 2
  // e^y - 1 = y (1 + y/2 (1 + y/3 (1 + ...))): 34 terms, |y| <= ln 2.
  qFromU64(T1, 0);
  for (let n: u32 = 34; n >= 2; n--) {
    qAdd(T1, T1, ONE, false);
    qMul(T1, T1, T0);
    qDivSmall(T1, T1, n);
  }
  qAdd(T1, T1, ONE, false);
  qMul(RES, T1, T0);
}

// ---------- logarithms ----------

/**
 * RES = log2 x for finite x > 0. Returns true when the result is exact
 * (x a power of two).
 */
export function log2Wide(se: u32, sig: u64): bool {
  loadConstants();
  qFromF80(T0, se, sig);
  return log2Slot(T0);
}

/** RES = log2 of the positive value in slot `src` (not RES): true when exact. */
function log2Slot(src: i32): bool {
  let e = qExp(src);
  // m in [sqrt(1/2), sqrt(2)): significand as 1.f, halved when above sqrt(2).
  qSet(T0, 0, 0, qHi(src), qLo(src));
  const SQRT2_HI: u64 = 0xb504f333f9de6484;
  if (qHi(T0) > SQRT2_HI) {
    qSet(T0, 0, -1, qHi(T0), qLo(T0));
    e++;
  }
  qFromU64(T1, e < 0 ? <u64>(-e) : <u64>e);
  if (e < 0) qNeg(T1, T1);
  if (qHi(T0) == 0x8000000000000000 && qLo(T0) == 0 && qExp(T0) == 0) {
    qCopy(RES, T1);
    return true;
  }
  // ln m = 2 atanh((m - 1) / (m + 1)).
  qAdd(T2, T0, ONE, true);
  qAdd(T3, T0, ONE, false);
  qDiv(T2, T2, T3);
  lnRatio(T2, T2);
  qMul(T2, T2, C_LOG2E);
  qAdd(RES, T1, T2, false);
  return false;
}

/** RES = log2(1 + x) for finite non-zero x > -1. */
export function log2p1Wide(se: u32, sig: u64): void {
  loadConstants();
  qFromF80(T0, se, sig);
  if (qExp(T0) >= -2) {
    // |x| >= 1/4: 1 + x loses nothing that matters; take its logarithm.
    qAdd(RES2, ONE, T0, false);
    log2Slot(RES2);
    return;
  }
  // ln(1 + x) = 2 atanh(x / (2 + x)), |x / (2 + x)| < 0.15.
  qAdd(T1, TWO, T0, false);
  qDiv(T2, T0, T1);
  lnRatio(T2, T2);
  qMul(RES, T2, C_LOG2E);
}

/** RES = RES * y for a finite y (FYL2X, FYL2XP1). */
export function mulByF80(se: u32, sig: u64): void {
  qFromF80(T0, se, sig);
  qMul(RES, RES, T0);
}

// ---------- arctangent ----------

/** d = atan(t) for 0 <= t <= 1 (slot t): atan(k/8) + atan((t - k/8) / (1 + t k/8)). */
function atanUnit(d: i32, t: i32): void {
  // k = round(8t).
  let k: i32 = 0;
  if (!qIsZero(t)) {
    // t = 1.f * 2^e with e <= 0; 8t's integer part is the significand >> (124 - e).
    const shift = 124 - qExp(t);
    if (shift == 128) k = 1; // 8t in [1/2, 1)
    else if (shift < 128) {
      const sh = <u64>(shift - 64); // 60..63
      k = <i32>(qHi(t) >> sh) + <i32>((qHi(t) >> (sh - 1)) & 1);
    }
  }
  if (k > 8) k = 8;
  if (k == 0) {
    qCopy(T0, t);
  } else {
    qFromU64(T1, <u64>k);
    qSet(T1, 0, qExp(T1) - 3, qHi(T1), qLo(T1)); // c = k / 8
    qAdd(T0, t, T1, true);
    qMul(T2, t, T1);
    qAdd(T2, T2, ONE, false);
    qDiv(T0, T0, T2);
  }
  // atan u = u (1 - u^2/3 + u^4/5 - ...), |u| <= 1/16: 17 terms.
  qMul(T4, T0, T0);
  qNeg(T4, T4);
  oddSeries(T3, T4, 17);
  qMul(d, T3, T0);
  if (k != 0) {
    qConst(T1, unchecked(ATAN_HI[k - 1]), unchecked(ATAN_LO[k - 1]), unchecked(ATAN_EXP[k - 1]));
    qAdd(d, d, T1, false);
  }
}

/** RES = atan2(y, x) for finite non-zero x and y (FPATAN: ST(1) = y, ST(0) = x). */
export function atan2Wide(ySe: u32, ySig: u64, xSe: u32, xSig: u64): void {
  loadConstants();
  qFromF80(RES2, ySe, ySig);
  qFromF80(RHO, xSe, xSig);
  const ySign = qSign(RES2);
  const xNeg = qSign(RHO) != 0;
  qSet(RES2, 0, qExp(RES2), qHi(RES2), qLo(RES2));
  qSet(RHO, 0, qExp(RHO), qHi(RHO), qLo(RHO));
  const yBigger = qExp(RES2) > qExp(RHO) || (qExp(RES2) == qExp(RHO) && (qHi(RES2) > qHi(RHO) || (qHi(RES2) == qHi(RHO) && qLo(RES2) > qLo(RHO))));
  if (yBigger) {
    qDiv(T5, RHO, RES2);
    atanUnit(RES, T5);
    qAdd(RES, C_PI_2, RES, true);
  } else {
    qDiv(T5, RES2, RHO);
    atanUnit(RES, T5);
  }
  if (xNeg) qAdd(RES, C_PI, RES, true);
  if (ySign != 0) qNeg(RES, RES);
}

// ---------- sine and cosine ----------

/** Quadrant (k mod 4) of the last reduction. */
export let quadrant: u32 = 0;

/**
 * Reduce |x| (finite, |x| < 2^63) to rho in [-pi/4, pi/4] with |x| = k * P/2 +
 * rho exactly, P the x87's 66-bit pi; rho goes to slot RHO, k mod 4 to
 * `quadrant`.
 */
export function trigReduce(se: u32, sig: u64): void {
  loadConstants();
  let e = <i32>(se & 0x7fff);
  if (e == 0) e = 1;
  const ex = e - EXP_BIAS;
  if (ex < -2 || sig == 0) {
    // |x| < 1/4: no reduction.
    qFromF80(RHO, se & 0x7fff, sig);
    quadrant = 0;
    return;
  }
  // N = |x| * 2^65 = sig << (ex + 2), at most 128 bits; divide by D = P/2 * 2^65.
  const sh = ex + 2; // 0..64
  let nHi: u64 = sh == 0 ? 0 : sh >= 64 ? sig : sig >> (<u64>(64 - sh));
  let nLo: u64 = sh >= 64 ? 0 : sig << (<u64>sh);
  let rHi: u64 = 0;
  let rLo: u64 = 0;
  let q: u32 = 0;
  for (let i = 0; i < 128; i++) {
    const bit = nHi >> 63;
    nHi = (nHi << 1) | (nLo >> 63);
    nLo <<= 1;
    rHi = (rHi << 1) | (rLo >> 63);
    rLo = (rLo << 1) | bit;
    q <<= 1;
    if (rHi > REDUCE_HI || (rHi == REDUCE_HI && rLo >= REDUCE_LO)) {
      const br: u64 = <u64>(rLo < REDUCE_LO);
      rLo -= REDUCE_LO;
      rHi = rHi - REDUCE_HI - br;
      q |= 1;
    }
  }
  // Nearest multiple: rho = r or r - D (then k + 1).
  const twoHi = (rHi << 1) | (rLo >> 63);
  const twoLo = rLo << 1;
  let neg: u32 = 0;
  if (twoHi > REDUCE_HI || (twoHi == REDUCE_HI && twoLo > REDUCE_LO)) {
    const br: u64 = <u64>(REDUCE_LO < rLo);
    rLo = REDUCE_LO - rLo;
    rHi = REDUCE_HI - rHi - br;
    neg = 1;
    q++;
  }
  quadrant = q & 3;
  qSet(RHO, neg, 127 - 65, rHi, rLo);
}

/** d = sin(rho) (Taylor, 17 terms: |rho| <= 0.79). */
export function sinWide(d: i32): void {
  qMul(T0, RHO, RHO);
  qFromU64(T1, 0);
  for (let j: u32 = 17; j >= 1; j--) {
    qAdd(T1, ONE, T1, true);
    qMul(T1, T1, T0);
    qDivSmall(T1, T1, 2 * j * (2 * j + 1));
  }
  qAdd(T1, ONE, T1, true);
  qMul(d, T1, RHO);
}

/** d = cos(rho). */
export function cosWide(d: i32): void {
  qMul(T0, RHO, RHO);
  qFromU64(T1, 0);
  for (let j: u32 = 17; j >= 1; j--) {
    qAdd(T1, ONE, T1, true);
    qMul(T1, T1, T0);
    qDivSmall(T1, T1, (2 * j - 1) * (2 * j));
  }
  qAdd(d, ONE, T1, true);
}

/** RES = sin|x| or cos|x| per the quadrant (after trigReduce): which 0 sine, 1 cosine. */
export function trigWide(d: i32, cosine: bool): void {
  const q = cosine ? (quadrant + 1) & 3 : quadrant;
  if ((q & 1) == 0) sinWide(d);
  else cosWide(d);
  if (q >= 2) qNeg(d, d);
}

/** d = a / b on slots (FPTAN: sin / cos). */
export function wideDiv(d: i32, a: i32, b: i32): void {
  qDiv(d, a, b);
}

/** d = -d. */
export function wideNegate(d: i32): void {
  qNeg(d, d);
}

export const ATAN_PI: u32 = 0;
export const ATAN_PI_2: u32 = 1;
export const ATAN_PI_4: u32 = 2;
export const ATAN_3PI_4: u32 = 3;

/** resSe/resSig = (-1)^sign * pi, pi/2, pi/4 or 3pi/4, rounded (FPATAN's exact-argument results). */
export function atanConstant(which: u32, sign: u32): void {
  if (which == ATAN_3PI_4) qConst(RES, 0x96cbe3f9990e91a7, 0x9394c9e8a0a5159c, 1);
  else qConst(RES, PI_HI, PI_LO, which == ATAN_PI ? 1 : which == ATAN_PI_2 ? 0 : -1);
  if (sign != 0) qNeg(RES, RES);
  wideRound(RES, true);
}

