// IEEE 754 binary32/binary64 arithmetic as the SSE units compute it
// (SDM Vol. 1 §4.8 "Real numbers", §4.9 exceptions, §10.2.3 MXCSR, §11.5
// "SSE/SSE2 exceptions"; reference: the host CPU, test/cpu/sse).
//
// Operations take raw bit patterns (f32 in a u32, f64 in a u64), honour the
// MXCSR rounding control, DAZ and FTZ, and record the exception conditions
// they detect in `preFlags` (invalid, denormal, divide-by-zero: found before
// computing) and `postFlags` (overflow, underflow, precision: found after
// rounding). A packed instruction runs all its lanes, then `commitFp()`
// applies the SDM §11.5.1 rule for unmasked exceptions.
//
// The slow path is a small soft-float on u64 significands (exact: results,
// flags and all four rounding modes); the common case (round-to-nearest, PE
// already set and masked, normal operands and result) uses wasm's correctly
// rounded f32/f64 operations, which then give the same bits and no new flags.

import { CPU_STATE } from '../../machine/layout';
import { OFF_MXCSR, cr4, CR4_OSXMMEXCPT } from '../state';
import { raiseFault, EXC_XM, EXC_UD } from '../fault';
import { binInexact, binInexactUnbounded, binOverflow, binTiny, roundBinary } from '../fp-binary-round';

// MXCSR (SDM Vol. 1 §10.2.3).
export const MXCSR_IE: u32 = 1 << 0;
export const MXCSR_DE: u32 = 1 << 1;
export const MXCSR_ZE: u32 = 1 << 2;
export const MXCSR_OE: u32 = 1 << 3;
export const MXCSR_UE: u32 = 1 << 4;
export const MXCSR_PE: u32 = 1 << 5;
export const MXCSR_DAZ: u32 = 1 << 6;
export const MXCSR_MASK_SHIFT: u32 = 7;
export const MXCSR_PM: u32 = MXCSR_PE << MXCSR_MASK_SHIFT;
export const MXCSR_RC_SHIFT: u32 = 13;
export const MXCSR_FTZ: u32 = 1 << 15;
export const MXCSR_FLAGS: u32 = 0x3f;
/** Bits LDMXCSR may set (DAZ included): the MXCSR_MASK this CPU reports. */
export const MXCSR_WRITABLE: u32 = 0xffff;
export const MXCSR_RESET: u32 = 0x1f80;

export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

// Binary32 / binary64 encodings.
const F32_SIGN: u32 = 0x80000000;
const F32_EXP: u32 = 0x7f800000;
const F32_FRAC: u32 = 0x007fffff;
const F32_QUIET: u32 = 0x00400000;
const F32_MAX: u32 = 0x7f7fffff;
export const F32_DEFAULT_NAN: u32 = 0xffc00000;
const F64_SIGN: u64 = 0x8000000000000000;
const F64_EXP: u64 = 0x7ff0000000000000;
const F64_FRAC: u64 = 0x000fffffffffffff;
const F64_QUIET: u64 = 0x0008000000000000;
const F64_MAX: u64 = 0x7fefffffffffffff;
export const F64_DEFAULT_NAN: u64 = 0xfff8000000000000;

/** The integer indefinite: what an invalid float→int32 conversion returns. */
export const INT32_INDEFINITE: u32 = 0x80000000;

// Operand classes after unpacking.
const CLS_ZERO: u32 = 0;
const CLS_FINITE: u32 = 1;
const CLS_INF: u32 = 2;
const CLS_QNAN: u32 = 3;
const CLS_SNAN: u32 = 4;

// Operations of f32Op / f64Op.
export const FOP_ADD: u32 = 0;
export const FOP_SUB: u32 = 1;
export const FOP_MUL: u32 = 2;
export const FOP_DIV: u32 = 3;
export const FOP_MIN: u32 = 4;
export const FOP_MAX: u32 = 5;
export const FOP_SQRT: u32 = 6;

// ---- per-instruction mode and detected exceptions ----

let rc: u32 = RC_NEAREST;
let ftz: bool = false;
let daz: bool = false;
/** Exception mask bits, shifted down to the flag positions. */
let masks: u32 = 0x3f;
/** RN with PE already set and masked: normal results add no flags. */
let fast: bool = false;
export let preFlags: u32 = 0;
export let postFlags: u32 = 0;
/** Flags of the completed steps of a multi-step instruction (DPPS, DPPD). */
let stepFlags: u32 = 0;

@inline export function mxcsr(): u32 {
  return load<u32>(CPU_STATE + OFF_MXCSR);
}
@inline export function setMxcsr(v: u32): void {
  store<u32>(CPU_STATE + OFF_MXCSR, v);
}

/** Load the MXCSR mode for one instruction and clear the detected exceptions. */
export function beginFp(): void {
  const m = mxcsr();
  rc = (m >> MXCSR_RC_SHIFT) & 3;
  ftz = (m & MXCSR_FTZ) != 0;
  daz = (m & MXCSR_DAZ) != 0;
  masks = (m >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS;
  fast = rc == RC_NEAREST && (m & (MXCSR_PE | MXCSR_PM)) == (MXCSR_PE | MXCSR_PM);
  preFlags = 0;
  postFlags = 0;
  stepFlags = 0;
}

/** Override the rounding control for the rest of the instruction (CVTT*, ROUND*). */
export function setRounding(mode: u32): void {
  rc = mode & 3;
  fast = false;
}

/** Drop a detected exception (ROUND* with imm8 bit 3 suppresses precision). */
export function suppressPrecision(): void {
  postFlags &= ~MXCSR_PE;
}

/**
 * End of one computation step (SDM Vol. 1 §11.5.1): an unmasked
 * pre-computation exception sets only the pre-computation flags; otherwise all
 * detected flags are set. Any unmasked one raises #XM (#UD when CR4.OSXMMEXCPT
 * is clear) with the flags of the earlier steps, and the destination must
 * stay unchanged: returns false then. DPPS/DPPD call this between their
 * multiply and add steps, which fault separately.
 */
export function stepFp(): bool {
  const unmasked = ~masks & MXCSR_FLAGS;
  const pre = preFlags;
  if ((pre & unmasked) != 0) {
    setMxcsr(mxcsr() | stepFlags | pre);
    raiseSimdFpException();
    return false;
  }
  const all = pre | postFlags;
  if ((all & unmasked) != 0) {
    setMxcsr(mxcsr() | stepFlags | all);
    raiseSimdFpException();
    return false;
  }
  stepFlags |= all;
  preFlags = 0;
  postFlags = 0;
  return true;
}

/** End of an instruction's computation: stepFp, then set the flags of all steps. */
export function commitFp(): bool {
  if (!stepFp()) return false;
  if (stepFlags != 0) setMxcsr(mxcsr() | stepFlags);
  return true;
}

/** #XM, or #UD when the OS has not enabled it (SDM Vol. 3A §6.15 interrupt 19). */
export function raiseSimdFpException(): void {
  raiseFault((cr4() & CR4_OSXMMEXCPT) != 0 ? EXC_XM : EXC_UD);
}

// ---- unpacked operands ----
// value = sig × 2^(exp - 63), sig normalized (bit 63 set) for CLS_FINITE.

let aCls: u32 = 0;
let aNeg: bool = false;
let aExp: i32 = 0;
let aSig: u64 = 0;
let aDen: bool = false;
let bCls: u32 = 0;
let bNeg: bool = false;
let bExp: i32 = 0;
let bSig: u64 = 0;
let bDen: bool = false;

// Unpack into the A or B slot; DAZ turns denormals into zeros.
function unpack(bits: u64, is32: bool, intoB: bool): void {
  let neg: bool;
  let e: u32;
  let frac: u64;
  let fracBits: u32;
  let emax: u32;
  let bias: i32;
  if (is32) {
    neg = (bits & F32_SIGN) != 0;
    e = (<u32>bits >> 23) & 0xff;
    frac = bits & F32_FRAC;
    fracBits = 23;
    emax = 0xff;
    bias = 127;
  } else {
    neg = (bits & F64_SIGN) != 0;
    e = <u32>(bits >> 52) & 0x7ff;
    frac = bits & F64_FRAC;
    fracBits = 52;
    emax = 0x7ff;
    bias = 1023;
  }
  let cls: u32 = CLS_FINITE;
  let exp: i32 = 0;
  let sig: u64 = 0;
  let den = false;
  if (e == emax) {
    if (frac == 0) cls = CLS_INF;
    else cls = (frac >> (fracBits - 1)) != 0 ? CLS_QNAN : CLS_SNAN;
  } else if (e == 0) {
    if (frac == 0 || daz) {
      cls = CLS_ZERO;
    } else {
      den = true;
      const lz = <u32>clz(frac);
      sig = frac << lz;
      exp = 1 - bias - <i32>fracBits + (63 - <i32>lz);
    }
  } else {
    sig = (frac | ((<u64>1) << fracBits)) << (63 - fracBits);
    exp = <i32>e - bias;
  }
  if (intoB) {
    bCls = cls;
    bNeg = neg;
    bExp = exp;
    bSig = sig;
    bDen = den;
  } else {
    aCls = cls;
    aNeg = neg;
    aExp = exp;
    aSig = sig;
    aDen = den;
  }
}

@inline function isNaNCls(c: u32): bool {
  return c >= CLS_QNAN;
}

@inline function quiet(bits: u64, is32: bool): u64 {
  return is32 ? bits | F32_QUIET : bits | F64_QUIET;
}
@inline function defaultNaN(is32: bool): u64 {
  return is32 ? <u64>F32_DEFAULT_NAN : F64_DEFAULT_NAN;
}
@inline function packZero(neg: bool, is32: bool): u64 {
  return neg ? (is32 ? <u64>F32_SIGN : F64_SIGN) : 0;
}
@inline function packInf(neg: bool, is32: bool): u64 {
  return packZero(neg, is32) | (is32 ? <u64>F32_EXP : F64_EXP);
}
/** A DAZ-adjusted copy of an operand: denormals become zeros of the same sign. */
export function dazBits(bits: u64, is32: bool): u64 {
  if (!daz) return bits;
  if (is32) return (bits & F32_EXP) == 0 ? bits & F32_SIGN : bits;
  return (bits & F64_EXP) == 0 ? bits & F64_SIGN : bits;
}

/** x86 NaN rule: an SNaN signals invalid; the first operand's NaN wins, quieted. */
function propagateNaN(a: u64, b: u64, is32: bool): u64 {
  if (aCls == CLS_SNAN || bCls == CLS_SNAN) preFlags |= MXCSR_IE;
  return isNaNCls(aCls) ? quiet(a, is32) : quiet(b, is32);
}

function invalid(is32: bool): u64 {
  preFlags |= MXCSR_IE;
  return defaultNaN(is32);
}

// ---- rounding ----

/**
 * Round sig × 2^(exp - 63) (bit 63 of sig set; bit 0 may be a sticky bit) to
 * the format (fp-binary-round.ts), recording OE/UE/PE. FTZ with UE masked
 * returns a zero and sets UE and PE.
 */
function roundPack(neg: boolean, exp: i32, sig: u64, is32: bool): u64 {
  const sign = packZero(neg, is32);
  const mag = roundBinary(neg, exp, sig, is32, rc);
  if (binOverflow) {
    // Unmasked, overflow reports PE only when the result rounded to the
    // format's precision (exponent unbounded, as x87 would deliver it scaled)
    // is inexact; the destination is not written.
    if ((masks & MXCSR_OE) == 0) {
      postFlags |= binInexactUnbounded ? MXCSR_OE | MXCSR_PE : MXCSR_OE;
      return packInf(neg, is32);
    }
    postFlags |= MXCSR_OE | MXCSR_PE;
    const toInf = rc == RC_NEAREST || (rc == RC_UP && !neg) || (rc == RC_DOWN && neg);
    if (toInf) return packInf(neg, is32);
    return sign | (is32 ? <u64>F32_MAX : F64_MAX);
  }
  if (!binTiny) {
    if (binInexact) postFlags |= MXCSR_PE;
    return sign | mag;
  }
  const underflowMasked = (masks & MXCSR_UE) != 0;
  if (ftz && underflowMasked) {
    postFlags |= MXCSR_UE | MXCSR_PE;
    return sign;
  }
  // Unmasked, underflow is reported for any tiny result, with PE when the
  // result rounded to full precision (exponent unbounded) is inexact.
  if (!underflowMasked) postFlags |= binInexactUnbounded ? MXCSR_UE | MXCSR_PE : MXCSR_UE;
  else if (binInexact) postFlags |= MXCSR_PE | MXCSR_UE;
  return sign | mag;
}

/** Normalize (sig ≠ 0) and round: value = sig × 2^(exp - 63) before normalizing. */
function normRoundPack(neg: bool, exp: i32, sig: u64, is32: bool): u64 {
  const lz = <i32>clz(sig);
  return roundPack(neg, exp - lz, sig << lz, is32);
}

/** Shift right keeping a sticky bit in bit 0. */
@inline function shiftRightJam(v: u64, n: u32): u64 {
  if (n == 0) return v;
  if (n >= 63) return v != 0 ? 1 : 0;
  return (v >> n) | ((v & (((<u64>1) << n) - 1)) != 0 ? 1 : 0);
}

// ---- operations ----

function addSlow(a: u64, b: u64, is32: bool, subtract: bool): u64 {
  unpack(a, is32, false);
  unpack(b, is32, true);
  if (isNaNCls(aCls) || isNaNCls(bCls)) return propagateNaN(a, b, is32);
  if (aDen || bDen) preFlags |= MXCSR_DE;
  const bn = bNeg != subtract;
  if (aCls == CLS_INF) {
    if (bCls == CLS_INF && aNeg != bn) return invalid(is32);
    return packInf(aNeg, is32);
  }
  if (bCls == CLS_INF) return packInf(bn, is32);
  if (aCls == CLS_ZERO && bCls == CLS_ZERO) {
    // Exact zero sum: -0 only for (-0) + (-0), or any opposite signs rounding down.
    return packZero(aNeg == bn ? aNeg : rc == RC_DOWN, is32);
  }
  if (aCls == CLS_ZERO) return roundPack(bn, bExp, bSig, is32);
  if (bCls == CLS_ZERO) return roundPack(aNeg, aExp, aSig, is32);
  // Align with one bit of headroom (bit 62 leading); the significands have
  // at least 10 zero low bits, so the jammed sticky bit stays exact.
  let ea = aExp;
  let sa = aSig >> 1;
  let na = aNeg;
  let eb = bExp;
  let sb = bSig >> 1;
  let nb = bn;
  if (ea < eb) {
    const te = ea;
    ea = eb;
    eb = te;
    const ts = sa;
    sa = sb;
    sb = ts;
    const tn = na;
    na = nb;
    nb = tn;
  }
  sb = shiftRightJam(sb, <u32>(ea - eb));
  if (na == nb) return normRoundPack(na, ea + 1, sa + sb, is32);
  if (sa == sb) return packZero(rc == RC_DOWN, is32);
  if (sa > sb) return normRoundPack(na, ea + 1, sa - sb, is32);
  return normRoundPack(nb, ea + 1, sb - sa, is32);
}

function mulSlow(a: u64, b: u64, is32: bool): u64 {
  unpack(a, is32, false);
  unpack(b, is32, true);
  if (isNaNCls(aCls) || isNaNCls(bCls)) return propagateNaN(a, b, is32);
  if (aDen || bDen) preFlags |= MXCSR_DE;
  const neg = aNeg != bNeg;
  if (aCls == CLS_INF || bCls == CLS_INF) {
    if (aCls == CLS_ZERO || bCls == CLS_ZERO) return invalid(is32);
    return packInf(neg, is32);
  }
  if (aCls == CLS_ZERO || bCls == CLS_ZERO) return packZero(neg, is32);
  // 53 × 53-bit product in two u64 halves.
  const x = aSig >> 11;
  const y = bSig >> 11;
  const x0 = x & 0xffffffff;
  const x1 = x >> 32;
  const y0 = y & 0xffffffff;
  const y1 = y >> 32;
  const p00 = x0 * y0;
  const mid = x0 * y1 + x1 * y0;
  const lo = p00 + (mid << 32);
  const hi = x1 * y1 + (mid >> 32) + (lo < p00 ? 1 : 0);
  // The product is in [2^104, 2^106): hi holds its top 42 bits or so.
  const lz = <u32>clz(hi);
  const sig = (hi << lz) | (lo >> (64 - lz)) | ((lo << lz) != 0 ? 1 : 0);
  return roundPack(neg, aExp + bExp + (127 - <i32>lz) - 104, sig, is32);
}

function divSlow(a: u64, b: u64, is32: bool): u64 {
  unpack(a, is32, false);
  unpack(b, is32, true);
  if (isNaNCls(aCls) || isNaNCls(bCls)) return propagateNaN(a, b, is32);
  const neg = aNeg != bNeg;
  // Division by zero is detected before a denormal dividend (no DE then).
  if (bCls == CLS_ZERO) {
    if (aCls == CLS_ZERO) return invalid(is32);
    if (aCls != CLS_INF) preFlags |= MXCSR_ZE;
    return packInf(neg, is32);
  }
  if (aDen || bDen) preFlags |= MXCSR_DE;
  if (aCls == CLS_INF) {
    if (bCls == CLS_INF) return invalid(is32);
    return packInf(neg, is32);
  }
  if (bCls == CLS_INF) return packZero(neg, is32);
  if (aCls == CLS_ZERO) return packZero(neg, is32);
  // Long division in 11-bit steps: 56 quotient bits plus the remainder as sticky.
  const x = aSig >> 11;
  const y = bSig >> 11;
  let q = x / y;
  let r = x % y;
  for (let i = 0; i < 5; i++) {
    r <<= 11;
    q = (q << 11) | (r / y);
    r %= y;
  }
  if (r != 0) q |= 1;
  // q ≈ (x / y) × 2^55.
  return normRoundPack(neg, aExp - bExp + 63 - 55, q, is32);
}

/** 53 × 53-bit square compared with m × 2^k (k ≤ 60): -1, 0 or 1. */
function compareSquare(s: u64, m: u64, k: u32): i32 {
  const s0 = s & 0xffffffff;
  const s1 = s >> 32;
  const p00 = s0 * s0;
  const mid = (s0 * s1) << 1;
  const lo = p00 + (mid << 32);
  const hi = s1 * s1 + (mid >> 32) + (lo < p00 ? 1 : 0);
  const mhi = k == 0 ? 0 : m >> (64 - k);
  const mlo = m << k;
  if (hi != mhi) return hi > mhi ? 1 : -1;
  if (lo != mlo) return lo > mlo ? 1 : -1;
  return 0;
}

function sqrtSlow(a: u64, is32: bool): u64 {
  unpack(a, is32, false);
  if (aCls == CLS_SNAN) {
    preFlags |= MXCSR_IE;
    return quiet(a, is32);
  }
  if (aCls == CLS_QNAN) return a;
  if (aCls == CLS_ZERO) return packZero(aNeg, is32);
  // A negative operand is invalid before it is a denormal (no DE then).
  if (aNeg) return invalid(is32);
  if (aDen) preFlags |= MXCSR_DE;
  if (aCls == CLS_INF) return packInf(false, is32);
  // Round-to-nearest root in f64 (exact input), then its exact side from an
  // integer square: enough for every mode and both formats.
  const m = aSig >> 11;
  // f64 denormals (exponent below -1022) are scaled by 2^256 first.
  const scale: i32 = aExp < -1022 ? 256 : 0;
  const x = reinterpret<f64>((<u64>(aExp + 1023 + scale) << 52) | (m & F64_FRAC));
  const bits = reinterpret<u64>(Math.sqrt(x));
  const es = <i32>((bits >> 52) & 0x7ff) - 1023 - (scale >> 1);
  const ms = (bits & F64_FRAC) | ((<u64>1) << 52);
  // s² = ms² × 2^(2es - 104); x = m × 2^(aExp - 52).
  const c = compareSquare(ms, m, <u32>(aExp - 2 * es + 52));
  let sig = ms << 11;
  if (c > 0) sig -= 1;
  else if (c < 0) sig |= 1;
  return normRoundPack(false, es, sig, is32);
}

/** MINPS/MAXPS: the second operand when either is a NaN (IE) or both are zero. */
function minMax(a: u64, b: u64, is32: bool, isMax: bool): u64 {
  unpack(a, is32, false);
  unpack(b, is32, true);
  const da = dazBits(a, is32);
  const db = dazBits(b, is32);
  if (isNaNCls(aCls) || isNaNCls(bCls)) {
    preFlags |= MXCSR_IE;
    return db;
  }
  if (aDen || bDen) preFlags |= MXCSR_DE;
  const x = toF64(da, is32);
  const y = toF64(db, is32);
  if (isMax) return x > y ? da : db;
  return x < y ? da : db;
}

/** The value of a non-NaN operand as f64 (exact for both formats). */
@inline export function toF64(bits: u64, is32: bool): f64 {
  return is32 ? <f64>reinterpret<f32>(<u32>bits) : reinterpret<f64>(bits);
}

@inline function f32Normal(bits: u32): bool {
  return (bits & F32_EXP) - 0x00800000 < 0x7f000000;
}
@inline function f64Normal(bits: u64): bool {
  return (bits & F64_EXP) - 0x0010000000000000 < 0x7fe0000000000000;
}
// A fast-path result must be finite and above the smallest normal: a result
// that rounded up to ±2^emin may be tiny after rounding to full precision
// with an unbounded exponent (UE, SDM Vol. 1 §4.9.1.5), so it takes the slow path.
@inline function f32FastResult(bits: u32): bool {
  return (bits & ~F32_SIGN) - 0x00800001 < F32_MAX - 0x00800000;
}
@inline function f64FastResult(bits: u64): bool {
  return (bits & ~F64_SIGN) - 0x0010000000000001 < F64_MAX - 0x0010000000000000;
}

/** One binary32 lane of an arithmetic operation (`b` unused for SQRT). */
export function f32Op(op: u32, a: u32, b: u32): u32 {
  if (fast && op <= FOP_DIV && f32Normal(a) && f32Normal(b)) {
    const x = reinterpret<f32>(a);
    const y = reinterpret<f32>(b);
    const r = op == FOP_ADD ? x + y : op == FOP_SUB ? x - y : op == FOP_MUL ? x * y : x / y;
    const bits = reinterpret<u32>(r);
    if (f32FastResult(bits)) return bits;
  }
  return <u32>fOpSlow(op, a, b, true);
}

/** One binary64 lane of an arithmetic operation. */
export function f64Op(op: u32, a: u64, b: u64): u64 {
  if (fast && op <= FOP_DIV && f64Normal(a) && f64Normal(b)) {
    const x = reinterpret<f64>(a);
    const y = reinterpret<f64>(b);
    const r = op == FOP_ADD ? x + y : op == FOP_SUB ? x - y : op == FOP_MUL ? x * y : x / y;
    const bits = reinterpret<u64>(r);
    if (f64FastResult(bits)) return bits;
  }
  return fOpSlow(op, a, b, false);
}

function fOpSlow(op: u32, a: u64, b: u64, is32: bool): u64 {
  switch (op) {
    case FOP_ADD:
      return addSlow(a, b, is32, false);
    case FOP_SUB:
      return addSlow(a, b, is32, true);
    case FOP_MUL:
      return mulSlow(a, b, is32);
    case FOP_DIV:
      return divSlow(a, b, is32);
    case FOP_MIN:
      return minMax(a, b, is32, false);
    case FOP_MAX:
      return minMax(a, b, is32, true);
    default:
      return sqrtSlow(a, is32);
  }
}

// ---- comparisons ----

/** Relation bits of compare(): */
export const REL_LT: u32 = 1;
export const REL_EQ: u32 = 2;
export const REL_GT: u32 = 4;
export const REL_UNORD: u32 = 8;

/**
 * Compare two operands (DAZ applied). An SNaN always signals invalid, a QNaN
 * only when `signalQNaN` (the ordered/signalling predicates, COMISS).
 */
export function compare(a: u64, b: u64, is32: bool, signalQNaN: bool): u32 {
  unpack(a, is32, false);
  unpack(b, is32, true);
  if (isNaNCls(aCls) || isNaNCls(bCls)) {
    if (signalQNaN || aCls == CLS_SNAN || bCls == CLS_SNAN) preFlags |= MXCSR_IE;
    return REL_UNORD;
  }
  if (aDen || bDen) preFlags |= MXCSR_DE;
  const x = toF64(dazBits(a, is32), is32);
  const y = toF64(dazBits(b, is32), is32);
  return x < y ? REL_LT : x > y ? REL_GT : REL_EQ;
}

// ---- conversions ----

/** binary32 → binary64 (CVTSS2SD): exact; SNaN signals, denormals signal DE. */
export function f32ToF64(a: u32): u64 {
  unpack(a, true, false);
  if (isNaNCls(aCls)) {
    if (aCls == CLS_SNAN) preFlags |= MXCSR_IE;
    return (a & F32_SIGN ? F64_SIGN : 0) | F64_EXP | F64_QUIET | ((<u64>(a & F32_FRAC)) << 29);
  }
  if (aDen) preFlags |= MXCSR_DE;
  return reinterpret<u64>(<f64>reinterpret<f32>(<u32>dazBits(a, true)));
}

/** binary64 → binary32 (CVTSD2SS): rounded by MXCSR. */
export function f64ToF32(a: u64): u32 {
  unpack(a, false, false);
  if (isNaNCls(aCls)) {
    if (aCls == CLS_SNAN) preFlags |= MXCSR_IE;
    return (aNeg ? F32_SIGN : 0) | F32_EXP | F32_QUIET | <u32>((a & F64_FRAC) >> 29);
  }
  if (aDen) preFlags |= MXCSR_DE;
  if (aCls == CLS_INF) return <u32>packInf(aNeg, true);
  if (aCls == CLS_ZERO) return <u32>packZero(aNeg, true);
  return <u32>roundPack(aNeg, aExp, aSig, true);
}

/** int32 → binary32 (CVTSI2SS, CVTDQ2PS, CVTPI2PS): rounded by MXCSR. */
export function i32ToF32(v: u32): u32 {
  if (v == 0) return 0;
  const neg = <i32>v < 0;
  const mag: u64 = neg ? <u64>(-(<i64>(<i32>v))) : <u64>v;
  return <u32>normRoundPack(neg, 63, mag, true);
}

/** int32 → binary64: always exact. */
export function i32ToF64(v: u32): u64 {
  return reinterpret<u64>(<f64>(<i32>v));
}

/**
 * binary32/64 → int32 by the current rounding (set RC_ZERO for CVTT*): NaN
 * and out-of-range values give the integer indefinite and IE; inexact PE.
 */
export function fToI32(a: u64, is32: bool): u32 {
  unpack(a, is32, false);
  if (isNaNCls(aCls) || aCls == CLS_INF) {
    preFlags |= MXCSR_IE;
    return INT32_INDEFINITE;
  }
  const v = toF64(dazBits(a, is32), is32);
  const r = roundToIntegral(v, rc);
  if (!(r >= -2147483648.0 && r <= 2147483647.0)) {
    preFlags |= MXCSR_IE;
    return INT32_INDEFINITE;
  }
  if (r != v) postFlags |= MXCSR_PE;
  return <u32>(<i32>r);
}

@inline function roundToIntegral(v: f64, mode: u32): f64 {
  if (mode == RC_NEAREST) return nearest<f64>(v); // ties to even
  if (mode == RC_DOWN) return Math.floor(v);
  if (mode == RC_UP) return Math.ceil(v);
  return Math.trunc(v);
}

/**
 * ROUNDPS/PD/SS/SD: round to an integral value by `mode`. Only SNaN (IE) and
 * inexact (PE) signal; the caller drops PE when imm8 bit 3 asks.
 */
export function roundOp(a: u64, is32: bool, mode: u32): u64 {
  unpack(a, is32, false);
  if (aCls == CLS_SNAN) {
    preFlags |= MXCSR_IE;
    return quiet(a, is32);
  }
  if (aCls == CLS_QNAN || aCls == CLS_INF) return a;
  const d = dazBits(a, is32);
  const v = toF64(d, is32);
  const r = roundToIntegral(v, mode);
  if (r != v) postFlags |= MXCSR_PE;
  // Keep the sign of a zero result (IEEE roundToIntegral).
  if (r == 0) return packZero(aNeg, is32);
  return is32 ? <u64>reinterpret<u32>(<f32>r) : reinterpret<u64>(r);
}

/**
 * RCPSS/RSQRTSS approximations (relative error ≤ 1.5 × 2^-12, SDM RCPPS):
 * this model returns the correctly rounded value, which is within the bound
 * but not Intel's or AMD's table-driven bits. They signal no exceptions.
 */
/** 2^126 as a single: from here up RCPSS results are tiny (flushed to zero). */
const RCP_TINY_FROM: u32 = 0x7e800000;

export function approxRecip(a: u32, isRsqrt: bool): u32 {
  const neg = (a & F32_SIGN) != 0;
  const e = a & F32_EXP;
  const frac = a & F32_FRAC;
  if (e == F32_EXP) {
    if (frac != 0) return a | F32_QUIET;
    if (isRsqrt && neg) return F32_DEFAULT_NAN;
    return neg ? F32_SIGN : 0;
  }
  // Denormal inputs are treated as zeros by these instructions.
  if (e == 0) return isRsqrt ? (neg ? F32_SIGN | F32_EXP : F32_EXP) : (neg ? F32_SIGN : 0) | F32_EXP;
  if (isRsqrt && neg) return F32_DEFAULT_NAN;
  // Tiny results are flushed to zero (SDM RCPSS). From 2^126 up the exact reciprocal is at most
  // 2^-126 and the hardware's approximation of it lies below, so the result is tiny, although
  // 1/2^126 itself would round to a normal (the host gives +0). Just below 2^126 vendors differ:
  // the SDM guarantees Intel's results tiny from 1.111111111101B*2^125 up, while this AMD host
  // still returns 2^-126 for 1.11111111111111111111110B*2^125, as the exact reciprocal does.
  if (!isRsqrt && (a & ~F32_SIGN) >= RCP_TINY_FROM) return neg ? F32_SIGN : 0;
  const x = <f64>reinterpret<f32>(a);
  const r = isRsqrt ? 1.0 / Math.sqrt(x) : 1.0 / x;
  const rb = reinterpret<u32>(<f32>r);
  // Results too small for a normal come back as zero (no denormal outputs).
  if ((rb & F32_EXP) == 0) return rb & F32_SIGN;
  return rb;
}
