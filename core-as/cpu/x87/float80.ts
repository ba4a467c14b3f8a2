// Software 80-bit extended-precision arithmetic, exact as the P6 x87 FPU
// computes it (SDM Vol. 1 §4.2.2, §4.8, §8.2.2, §8.5; rounding: IEEE 754
// round-to-nearest-even/down/up/toward-zero with the x87 precision control,
// which narrows the significand but keeps the 15-bit exponent range).
// The algorithms follow Berkeley SoftFloat 3e (extF80 with the 8086
// specialization: tininess detected after rounding); division and square
// root are bit-by-bit so the sticky bit is exact.
//
// Values: sign/exponent word `se` (u32, 16 bits used) and 64-bit
// significand `sig` with the explicit integer bit J (bit 63). Results go to
// module globals (no allocation): `resSe`, `resSig`; the exceptions an
// operation raises accumulate in `fpFlags` (FSW bit positions), and
// `roundedUp` says whether the last rounding increased the magnitude (C1).

import { binInexact, binOverflow, binRoundedUp, binTiny, roundBinary } from '../fp-binary-round';

export const FLAG_IE: u32 = 1 << 0;
export const FLAG_DE: u32 = 1 << 1;
export const FLAG_ZE: u32 = 1 << 2;
export const FLAG_OE: u32 = 1 << 3;
export const FLAG_UE: u32 = 1 << 4;
export const FLAG_PE: u32 = 1 << 5;

export const RC_NEAREST: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_CHOP: u32 = 3;

/** Precision control values (FCW.PC) as significand widths. */
export const PREC_24: u32 = 24;
export const PREC_53: u32 = 53;
export const PREC_64: u32 = 64;

export const EXP_MAX: i32 = 0x7fff;
export const EXP_BIAS: i32 = 0x3fff;
export const J_BIT: u64 = 0x8000000000000000;
export const QUIET_BIT: u64 = 0x4000000000000000;
const FRAC_MASK: u64 = 0x7fffffffffffffff;
/** The real indefinite: negative QNaN with only J and the quiet bit set. */
export const INDEFINITE_SE: u32 = 0xffff;
export const INDEFINITE_SIG: u64 = 0xc000000000000000;
/** Exponent wrap of unmasked overflow/underflow results (SDM Vol. 1 §8.5.3, §8.5.4). */
const BIAS_ADJUST: i32 = 24576;

export let resSe: u32 = 0;
export let resSig: u64 = 0;
export let fpFlags: u32 = 0;
export let roundedUp: bool = false;

// Control for the operation in progress.
let roundMode: u32 = RC_NEAREST;
let maskOverflow: bool = true;
let maskUnderflow: bool = true;

/** Start an operation: rounding control, masks for OE/UE (they change the result), flags cleared. */
export function fpBegin(rc: u32, fcwMasks: u32): void {
  roundMode = rc & 3;
  maskOverflow = (fcwMasks & FLAG_OE) != 0;
  maskUnderflow = (fcwMasks & FLAG_UE) != 0;
  fpFlags = 0;
  roundedUp = false;
  loadDenormal = false;
}

/** Set the rounding direction for C1 (results the x87 delivers as rounded without a rounding here). */
export function setRoundedUp(up: bool): void {
  roundedUp = up;
}

export function fpRaise(flags: u32): void {
  fpFlags |= flags;
}

@inline export function setResult(se: u32, sig: u64): void {
  resSe = se & 0xffff;
  resSig = sig;
}

@inline function clz64(v: u64): i32 {
  return <i32>clz<u64>(v);
}

// ---------- classification ----------

@inline export function expOf(se: u32): i32 {
  return <i32>(se & 0x7fff);
}
@inline export function signOf(se: u32): u32 {
  return (se >> 15) & 1;
}
export function isNaN80(se: u32, sig: u64): bool {
  return expOf(se) == EXP_MAX && (sig & FRAC_MASK) != 0 && (sig & J_BIT) != 0;
}
export function isSNaN80(se: u32, sig: u64): bool {
  return isNaN80(se, sig) && (sig & QUIET_BIT) == 0;
}
export function isInf80(se: u32, sig: u64): bool {
  return expOf(se) == EXP_MAX && sig == J_BIT;
}
/** Encodings the P6 does not support as operands (pseudo-NaN/infinity, unnormal): #IA. */
export function isUnsupported80(se: u32, sig: u64): bool {
  const e = expOf(se);
  return e != 0 && (sig & J_BIT) == 0;
}
/** Denormal or pseudo-denormal: the denormal-operand exception applies. */
export function isDenormal80(se: u32, sig: u64): bool {
  return expOf(se) == 0 && sig != 0;
}
export function isZero80(se: u32, sig: u64): bool {
  return expOf(se) == 0 && sig == 0;
}

// ---------- shifts on 64/128 bits ----------

let x64: u64 = 0; // shift results: high/value part
let x0: u64 = 0; // low/extra part

function shiftRightJam64(a: u64, dist: i32): u64 {
  if (dist <= 0) return a;
  if (dist < 63) return (a >> (<u64>dist)) | <u64>((a << (<u64>(64 - dist))) != 0);
  return <u64>(a != 0);
}

/** (a, extra) >> dist with the jammed-out bits in x0; dist >= 1. */
function shiftRightJam64Extra(a: u64, extra: u64, dist: i32): void {
  if (dist < 64) {
    x64 = a >> (<u64>dist);
    x0 = a << (<u64>(64 - dist));
  } else {
    x64 = 0;
    x0 = dist == 64 ? a : <u64>(a != 0);
  }
  x0 |= <u64>(extra != 0);
}

/** 128-bit (a64:a0) >> dist, jamming; dist >= 1. */
function shiftRightJam128(a64: u64, a0: u64, dist: i32): void {
  if (dist < 64) {
    const nd = <u64>(64 - dist);
    x64 = a64 >> (<u64>dist);
    x0 = (a64 << nd) | (a0 >> (<u64>dist)) | <u64>((a0 << nd) != 0);
  } else {
    x64 = 0;
    if (dist < 127) {
      const d = <u64>(dist & 63);
      const lost: u64 = d == 0 ? 0 : a64 & ((<u64>1 << d) - 1);
      x0 = dist == 64 ? a64 | <u64>(a0 != 0) : (a64 >> d) | <u64>((lost | a0) != 0);
    } else {
      x0 = <u64>((a64 | a0) != 0);
    }
  }
}

let mulHi: u64 = 0;
let mulLo: u64 = 0;
export function mul64To128(a: u64, b: u64): void {
  const a32 = a >> 32;
  const a0 = a & 0xffffffff;
  const b32 = b >> 32;
  const b0 = b & 0xffffffff;
  let lo = a0 * b0;
  let mid1 = a32 * b0;
  const mid2 = a0 * b32;
  let hi = a32 * b32;
  mid1 += mid2;
  hi += (<u64>(mid1 < mid2) << 32) + (mid1 >> 32);
  const midLo = mid1 << 32;
  lo += midLo;
  hi += <u64>(lo < midLo);
  mulHi = hi;
  mulLo = lo;
}

// ---------- rounding ----------

/**
 * Round (sign, exp, sig:sigExtra) to `prec` significand bits and pack into
 * resSe/resSig, raising PE/UE/OE. `exp` is biased; sig has J set unless the
 * value is tiny. Overflow and underflow with the exception unmasked give the
 * exponent-wrapped result (±24576) the x87 delivers to a register.
 */
export function roundPack(sign: u32, exp: i32, sig: u64, sigExtra: u64, prec: u32): void {
  const rc = roundMode;
  const nearEven = rc == RC_NEAREST;
  const towardSign = rc == (sign != 0 ? RC_DOWN : RC_UP);
  if (!maskUnderflow && exp <= 0 && sig != 0 && exp + BIAS_ADJUST <= 0) {
    // Beyond even the wrapped range (FSCALE can get there): a signed zero (host CPU).
    fpFlags |= FLAG_UE | FLAG_PE;
    roundedUp = false;
    setResult(sign << 15, 0);
    return;
  }
  if (!maskUnderflow && exp <= 0 && sig != 0) {
    // Unmasked underflow: deliver the normalized, rounded value scaled up by 2^24576.
    fpFlags |= FLAG_UE;
    roundPack(sign, exp + BIAS_ADJUST, sig, sigExtra, prec);
    return;
  }
  if (prec != PREC_64) {
    let roundIncrement: u64 = prec == PREC_53 ? 0x400 : 0x0000008000000000;
    let roundMask: u64 = prec == PREC_53 ? 0x7ff : 0x000000ffffffffff;
    sig |= <u64>(sigExtra != 0);
    if (!nearEven) roundIncrement = towardSign ? roundMask : 0;
    let roundBits = sig & roundMask;
    if (<u32>(exp - 1) >= 0x7ffd) {
      if (exp <= 0) {
        // Tininess after rounding (8086): tiny unless rounding at unbounded exponent carries to 2^emin.
        const isTiny = exp < 0 || sig + roundIncrement >= sig;
        sig = shiftRightJam64(sig, 1 - exp);
        roundBits = sig & roundMask;
        if (roundBits != 0) {
          if (isTiny) fpFlags |= FLAG_UE;
          fpFlags |= FLAG_PE;
        }
        const truncated = sig & ~roundMask;
        sig += roundIncrement;
        exp = (sig & J_BIT) != 0 ? 1 : 0;
        roundIncrement = roundMask + 1;
        if (nearEven && roundBits << 1 == roundIncrement) roundMask |= roundIncrement;
        sig &= ~roundMask;
        roundedUp = sig > truncated;
        setResult((sign << 15) | <u32>exp, sig);
        return;
      }
      if (exp > 0x7ffe || (exp == 0x7ffe && sig + roundIncrement < sig)) {
        overflow(sign, roundMask, exp, sig, sigExtra, prec);
        return;
      }
    }
    if (roundBits != 0) fpFlags |= FLAG_PE;
    const truncated = sig & ~roundMask;
    sig = sig + roundIncrement;
    if (sig < roundIncrement) {
      exp++;
      sig = J_BIT;
      roundedUp = true;
    } else {
      roundIncrement = roundMask + 1;
      if (nearEven && roundBits << 1 == roundIncrement) roundMask |= roundIncrement;
      sig &= ~roundMask;
      roundedUp = sig > truncated;
    }
    setResult((sign << 15) | <u32>exp, sig);
    return;
  }
  // 64-bit precision.
  let doIncrement = nearEven ? sigExtra >= J_BIT : towardSign && sigExtra != 0;
  if (<u32>(exp - 1) >= 0x7ffd) {
    if (exp <= 0) {
      const isTiny = exp < 0 || !doIncrement || sig < 0xffffffffffffffff;
      shiftRightJam64Extra(sig, sigExtra, 1 - exp);
      exp = 0;
      sig = x64;
      sigExtra = x0;
      if (sigExtra != 0) {
        if (isTiny) fpFlags |= FLAG_UE;
        fpFlags |= FLAG_PE;
      }
      doIncrement = nearEven ? sigExtra >= J_BIT : towardSign && sigExtra != 0;
      if (doIncrement) {
        const before = sig;
        sig++;
        if (nearEven && (sigExtra & FRAC_MASK) == 0) sig &= ~(<u64>1);
        exp = (sig & J_BIT) != 0 ? 1 : 0;
        // A tie rounded to the even neighbour below is not a round-up (C1 = 0).
        roundedUp = sig != before;
      }
      setResult((sign << 15) | <u32>exp, sig);
      return;
    }
    if (exp > 0x7ffe || (exp == 0x7ffe && sig == 0xffffffffffffffff && doIncrement)) {
      overflow(sign, 0, exp, sig, sigExtra, prec);
      return;
    }
  }
  if (sigExtra != 0) fpFlags |= FLAG_PE;
  if (doIncrement) {
    const before = sig;
    sig++;
    if (sig == 0) {
      exp++;
      sig = J_BIT;
      roundedUp = true;
    } else {
      if (nearEven && (sigExtra & FRAC_MASK) == 0) sig &= ~(<u64>1);
      // A tie rounded to the even neighbour below is not a round-up (C1 = 0).
      roundedUp = sig != before;
    }
  }
  setResult((sign << 15) | <u32>exp, sig);
}

function overflow(sign: u32, roundMask: u64, exp: i32, sig: u64, sigExtra: u64, prec: u32): void {
  if (!maskOverflow && exp - BIAS_ADJUST > 0x7ffe) {
    // Beyond even the wrapped range (FSCALE can get there): infinity in every rounding mode (host CPU).
    fpFlags |= FLAG_OE | FLAG_PE;
    roundedUp = true;
    setResult((sign << 15) | 0x7fff, J_BIT);
    return;
  }
  if (!maskOverflow) {
    // Unmasked: the rounded value scaled down by 2^24576 (SDM Vol. 1 §8.5.3).
    fpFlags |= FLAG_OE;
    roundPack(sign, exp - BIAS_ADJUST, sig, sigExtra, prec);
    return;
  }
  fpFlags |= FLAG_OE | FLAG_PE;
  const rc = roundMode;
  if (rc == RC_NEAREST || rc == (sign != 0 ? RC_DOWN : RC_UP)) {
    setResult((sign << 15) | 0x7fff, J_BIT);
    roundedUp = true;
  } else {
    setResult((sign << 15) | 0x7ffe, ~roundMask);
    roundedUp = false;
  }
}

/** Normalize (sig:sigExtra), which may lack J, then round. */
export function normRoundPack(sign: u32, exp: i32, sig: u64, sigExtra: u64, prec: u32): void {
  if (sig == 0) {
    exp -= 64;
    sig = sigExtra;
    sigExtra = 0;
  }
  const shift = clz64(sig);
  exp -= shift;
  if (shift != 0) {
    sig = (sig << (<u64>shift)) | (sigExtra >> (<u64>(64 - shift)));
    sigExtra = sigExtra << (<u64>shift);
  }
  roundPack(sign, exp, sig, sigExtra, prec);
}

// ---------- NaN rules ----------

/** Quiet an SNaN (sets IE) or pass a QNaN. */
export function quietNaN(se: u32, sig: u64): void {
  if ((sig & QUIET_BIT) == 0) fpFlags |= FLAG_IE;
  setResult(se, sig | QUIET_BIT);
}

/**
 * The NaN result of a two-operand operation (SDM Vol. 1 Table 4-7, x87):
 * an SNaN raises IE; SNaN with QNaN gives the QNaN; two NaNs of the same
 * kind give the one with the larger significand; one NaN gives itself, quieted.
 */
export function propagateNaN(aSe: u32, aSig: u64, bSe: u32, bSig: u64): void {
  const aNaN = isNaN80(aSe, aSig);
  const bNaN = isNaN80(bSe, bSig);
  const aS = aNaN && (aSig & QUIET_BIT) == 0;
  const bS = bNaN && (bSig & QUIET_BIT) == 0;
  if (aS || bS) fpFlags |= FLAG_IE;
  let pickA: bool;
  if (aNaN && bNaN) {
    if (aS != bS) pickA = bS;
    else {
      const ma = aSig & FRAC_MASK;
      const mb = bSig & FRAC_MASK;
      pickA = ma > mb || (ma == mb && (aSe & 0x8000) == 0);
    }
  } else pickA = aNaN;
  if (pickA) setResult(aSe, aSig | QUIET_BIT);
  else setResult(bSe, bSig | QUIET_BIT);
}

export function setIndefinite(): void {
  fpFlags |= FLAG_IE;
  setResult(INDEFINITE_SE, INDEFINITE_SIG);
}

// ---------- add / sub ----------

/** Effective exponent of a denormal or pseudo-denormal: 1. */
@inline function effExp(se: u32): i32 {
  const e = expOf(se);
  return e == 0 ? 1 : e;
}

function addMags(aSe: u32, aSig: u64, bSe: u32, bSig: u64, signZ: u32, prec: u32): void {
  const expA = expOf(aSe);
  const expB = expOf(bSe);
  if (expA == EXP_MAX || expB == EXP_MAX) {
    if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) {
      propagateNaN(aSe, aSig, bSe, bSig);
      return;
    }
    setResult((signZ << 15) | 0x7fff, J_BIT);
    return;
  }
  let eA = effExp(aSe);
  let eB = effExp(bSe);
  let sigA = aSig;
  let sigB = bSig;
  let expZ: i32;
  let sigExtra: u64 = 0;
  if (eA < eB) {
    const t = sigA;
    sigA = sigB;
    sigB = t;
    const te = eA;
    eA = eB;
    eB = te;
  }
  expZ = eA;
  const diff = eA - eB;
  if (diff != 0) {
    shiftRightJam64Extra(sigB, 0, diff);
    sigB = x64;
    sigExtra = x0;
  }
  let sigZ = sigA + sigB;
  if (sigZ < sigA) {
    // Carry out of bit 63.
    shiftRightJam64Extra(sigZ, sigExtra, 1);
    sigZ = x64 | J_BIT;
    sigExtra = x0;
    expZ++;
    roundPack(signZ, expZ, sigZ, sigExtra, prec);
    return;
  }
  normRoundPack(signZ, expZ, sigZ, sigExtra, prec);
}

function subMags(aSe: u32, aSig: u64, bSe: u32, bSig: u64, signZ: u32, prec: u32): void {
  const expA = expOf(aSe);
  const expB = expOf(bSe);
  if (expA == EXP_MAX || expB == EXP_MAX) {
    if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) {
      propagateNaN(aSe, aSig, bSe, bSig);
      return;
    }
    if (expA == EXP_MAX && expB == EXP_MAX) {
      setIndefinite();
      return;
    }
    if (expA == EXP_MAX) setResult((signZ << 15) | 0x7fff, J_BIT);
    else setResult(((signZ ^ 1) << 15) | 0x7fff, J_BIT);
    return;
  }
  let eA = effExp(aSe);
  let eB = effExp(bSe);
  let sigA = aSig;
  let sigB = bSig;
  let sign = signZ;
  if (eA < eB || (eA == eB && sigA < sigB)) {
    const t = sigA;
    sigA = sigB;
    sigB = t;
    const te = eA;
    eA = eB;
    eB = te;
    sign ^= 1;
  }
  if (eA == eB && sigA == sigB) {
    // Exact zero: -0 only when rounding down (IEEE 754 §6.3).
    setResult(roundMode == RC_DOWN ? 0x8000 : 0, 0);
    return;
  }
  let sigExtra: u64 = 0;
  const diff = eA - eB;
  if (diff != 0) {
    shiftRightJam128(sigB, 0, diff);
    sigB = x64;
    sigExtra = x0;
  }
  // (sigA:0) - (sigB:sigExtra)
  const lo = 0 - sigExtra;
  const hi = sigA - sigB - <u64>(sigExtra != 0);
  normRoundPack(sign, eA, hi, lo, prec);
}

/** a + b (negB: a - b). */
export function add80(aSe: u32, aSig: u64, bSe: u32, bSig: u64, negB: bool, prec: u32): void {
  const signA = signOf(aSe);
  const signB = signOf(bSe) ^ (negB ? 1 : 0);
  if (signA == signB) addMags(aSe, aSig, bSe, bSig, signA, prec);
  else subMags(aSe, aSig, bSe, bSig, signA, prec);
  // A zero sum of opposite-signed zeros follows the same rule as x - x.
  if (isZero80(aSe, aSig) && isZero80(bSe, bSig)) {
    setResult(signA == signB ? signA << 15 : roundMode == RC_DOWN ? 0x8000 : 0, 0);
  }
}

// ---------- mul / div ----------

/** Normalize a finite non-zero operand: sets normExp/normSig. */
let normExp: i32 = 0;
let normSig: u64 = 0;
function normalize(se: u32, sig: u64): void {
  let e = effExp(se);
  const s = clz64(sig);
  normSig = sig << (<u64>s);
  normExp = e - s;
}

export function mul80(aSe: u32, aSig: u64, bSe: u32, bSig: u64, prec: u32): void {
  const signZ = signOf(aSe) ^ signOf(bSe);
  if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) {
    propagateNaN(aSe, aSig, bSe, bSig);
    return;
  }
  const aInf = expOf(aSe) == EXP_MAX;
  const bInf = expOf(bSe) == EXP_MAX;
  if (aInf || bInf) {
    if ((aInf && isZero80(bSe, bSig)) || (bInf && isZero80(aSe, aSig))) setIndefinite();
    else setResult((signZ << 15) | 0x7fff, J_BIT);
    return;
  }
  if (aSig == 0 || bSig == 0) {
    setResult(signZ << 15, 0);
    return;
  }
  normalize(aSe, aSig);
  const eA = normExp;
  const sA = normSig;
  normalize(bSe, bSig);
  let expZ = eA + normExp - 0x3ffe;
  mul64To128(sA, normSig);
  let hi = mulHi;
  let lo = mulLo;
  if (hi < J_BIT) {
    expZ--;
    hi = (hi << 1) | (lo >> 63);
    lo <<= 1;
  }
  roundPack(signZ, expZ, hi, lo, prec);
}

/** Restoring division of normalized significands: quotient bits into qSig/qExtra. */
let qSig: u64 = 0;
let qExtra: u64 = 0;
function divSig(a: u64, b: u64): bool {
  // Returns true when a < b (the quotient's first bit is 0: one more shift).
  let r = a;
  let q: u64 = 0;
  const lessThan = a < b;
  if (!lessThan) {
    r = a - b;
    q = 1;
  }
  const n = lessThan ? 64 : 63;
  for (let i = 0; i < n; i++) {
    const carry = r >> 63;
    r <<= 1;
    q <<= 1;
    if (carry != 0 || r >= b) {
      r -= b;
      q |= 1;
    }
  }
  // One more bit for rounding, then the sticky remainder.
  const carry = r >> 63;
  r <<= 1;
  let round: u64 = 0;
  if (carry != 0 || r >= b) {
    r -= b;
    round = 1;
  }
  qSig = q;
  qExtra = (round << 63) | <u64>(r != 0);
  return lessThan;
}

export function div80(aSe: u32, aSig: u64, bSe: u32, bSig: u64, prec: u32): void {
  const signZ = signOf(aSe) ^ signOf(bSe);
  if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) {
    propagateNaN(aSe, aSig, bSe, bSig);
    return;
  }
  const aInf = expOf(aSe) == EXP_MAX;
  const bInf = expOf(bSe) == EXP_MAX;
  if (aInf) {
    if (bInf) setIndefinite();
    else setResult((signZ << 15) | 0x7fff, J_BIT);
    return;
  }
  if (bInf) {
    setResult(signZ << 15, 0);
    return;
  }
  if (bSig == 0) {
    if (aSig == 0) setIndefinite();
    else {
      fpFlags |= FLAG_ZE;
      setResult((signZ << 15) | 0x7fff, J_BIT);
    }
    return;
  }
  if (aSig == 0) {
    setResult(signZ << 15, 0);
    return;
  }
  normalize(aSe, aSig);
  const eA = normExp;
  const sA = normSig;
  normalize(bSe, bSig);
  let expZ = eA - normExp + EXP_BIAS;
  if (divSig(sA, normSig)) expZ--;
  roundPack(signZ, expZ, qSig, qExtra, prec);
}

// ---------- sqrt ----------

export function sqrt80(aSe: u32, aSig: u64, prec: u32): void {
  if (isNaN80(aSe, aSig)) {
    quietNaN(aSe, aSig);
    return;
  }
  const sign = signOf(aSe);
  if (aSig == 0) {
    setResult(aSe, 0); // ±0
    return;
  }
  if (sign != 0) {
    setIndefinite();
    return;
  }
  if (expOf(aSe) == EXP_MAX) {
    setResult(0x7fff, J_BIT);
    return;
  }
  normalize(aSe, aSig);
  const e = normExp - EXP_BIAS; // unbiased exponent of 1.f
  // N = sig * 2^63 (e even) or sig * 2^64 (e odd); floor(sqrt(N)) has 64 bits.
  const odd = (e & 1) != 0;
  let nHi: u64 = odd ? normSig : normSig >> 1;
  let nLo: u64 = odd ? 0 : normSig << 63;
  let res: u64 = 0;
  let remHi: u64 = 0;
  let remLo: u64 = 0;
  for (let i = 0; i < 64; i++) {
    // rem = rem * 4 + next two bits of N
    const two = nHi >> 62;
    nHi = (nHi << 2) | (nLo >> 62);
    nLo <<= 2;
    remHi = (remHi << 2) | (remLo >> 62);
    remLo = (remLo << 2) | two;
    // trial = res * 4 + 1 (res < 2^63 here until the last step: 66 bits at most)
    const tHi = res >> 62;
    const tLo = (res << 2) | 1;
    if (remHi > tHi || (remHi == tHi && remLo >= tLo)) {
      const borrow = <u64>(remLo < tLo);
      remLo -= tLo;
      remHi = remHi - tHi - borrow;
      res = (res << 1) | 1;
    } else {
      res <<= 1;
    }
  }
  // Round bit: sqrt(N) >= res + 1/2  <=>  rem > res (a tie is impossible).
  const gtRes = remHi != 0 || remLo > res;
  const extra: u64 = (gtRes ? J_BIT : 0) | <u64>(remHi != 0 || remLo != 0);
  const expZ = ((odd ? e - 1 : e) >> 1) + EXP_BIAS;
  roundPack(0, expZ, res, extra, prec);
}

// ---------- compare ----------

export const CMP_LESS: i32 = -1;
export const CMP_EQUAL: i32 = 0;
export const CMP_GREATER: i32 = 1;
export const CMP_UNORDERED: i32 = 2;

/** Order of two values (NaNs unordered, no exception raised here). */
export function compare80(aSe: u32, aSig: u64, bSe: u32, bSig: u64): i32 {
  if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) return CMP_UNORDERED;
  const aZero = aSig == 0;
  const bZero = bSig == 0;
  if (aZero && bZero) return CMP_EQUAL;
  const sa = signOf(aSe);
  const sb = signOf(bSe);
  if (sa != sb) return sa != 0 ? CMP_LESS : CMP_GREATER;
  // Same sign: compare magnitudes (pseudo-denormals have exponent 1).
  const ea = aZero ? 0 : effExp(aSe);
  const eb = bZero ? 0 : effExp(bSe);
  let mag: i32 = 0;
  if (ea != eb) mag = ea < eb ? -1 : 1;
  else if (aSig != bSig) mag = aSig < bSig ? -1 : 1;
  return sa != 0 ? -mag : mag;
}

// ---------- conversions ----------

/**
 * Set by fromBinary for a denormal source: the x87 raises DE for it
 * only when the operation does not involve a NaN, so the caller decides.
 * SNaNs load unquieted for the same reason (NaN selection sees them as SNaN).
 */
export let loadDenormal: bool = false;

// IEEE binary formats as FLD m32fp / m64fp read them.
export const F32_EXP_BITS: u32 = 8;
export const F32_FRAC_BITS: u32 = 23;
export const F64_EXP_BITS: u32 = 11;
export const F64_FRAC_BITS: u32 = 52;

/**
 * Load an IEEE binary value (sign, expBits exponent, fracBits fraction in the
 * low bits of `bits`) as extended, exactly: single (8, 23) or double (11, 52).
 */
export function fromBinary(bits: u64, expBits: u32, fracBits: u32): void {
  const sign = <u32>(bits >> (<u64>(expBits + fracBits))) & 1;
  const expMax: i32 = (1 << expBits) - 1;
  const bias: i32 = expMax >> 1;
  const e = <i32>(bits >> (<u64>fracBits)) & expMax;
  const frac = bits & ((<u64>1 << (<u64>fracBits)) - 1);
  // Shift that puts the fraction's top bit at bit 62, under the J bit.
  const align = <i32>(63 - fracBits);
  if (e == expMax) {
    // Infinity (frac 0) or NaN: same payload, SNaNs unquieted.
    setResult((sign << 15) | <u32>EXP_MAX, J_BIT | (frac << (<u64>align)));
    return;
  }
  if (e == 0) {
    if (frac == 0) {
      setResult(sign << 15, 0);
      return;
    }
    loadDenormal = true;
    const s = <i32>clz64(frac);
    setResult((sign << 15) | <u32>(EXP_BIAS - (bias - 1) - (s - align)), frac << (<u64>s));
    return;
  }
  setResult((sign << 15) | <u32>(e - bias + EXP_BIAS), J_BIT | (frac << (<u64>align)));
}

/** Signed 64-bit integer to extended (always exact). */
export function fromI64(v: i64): void {
  if (v == 0) {
    setResult(0, 0);
    return;
  }
  const sign: u32 = v < 0 ? 1 : 0;
  const mag: u64 = v < 0 ? <u64>(0 - v) : <u64>v;
  const s = clz64(mag);
  setResult((sign << 15) | <u32>(EXP_BIAS + 63 - s), mag << (<u64>s));
}

export let outBits: u64 = 0;

/**
 * Round an extended value to single (fmt 32) or double (64) and set outBits.
 * NaNs: SNaN -> IE and quieted; the masked overflow/underflow responses are
 * IEEE's; unsupported encodings are handled by the caller (IE, indefinite).
 */
export function toFloat(se: u32, sig: u64, fmt: u32): void {
  const sign = signOf(se);
  const exp = expOf(se);
  const fracBits: i32 = fmt == 32 ? 23 : 52;
  const expMaxT: i32 = fmt == 32 ? 0xff : 0x7ff;
  const signBit: u64 = <u64>sign << (fmt == 32 ? 31 : 63);
  if (exp == EXP_MAX) {
    if ((sig & FRAC_MASK) == 0) {
      outBits = signBit | (<u64>expMaxT << (<u64>fracBits));
      return;
    }
    if ((sig & QUIET_BIT) == 0) fpFlags |= FLAG_IE;
    const frac = ((sig | QUIET_BIT) & FRAC_MASK) >> (<u64>(63 - fracBits));
    outBits = signBit | (<u64>expMaxT << (<u64>fracBits)) | frac;
    return;
  }
  if (sig == 0) {
    outBits = signBit;
    return;
  }
  normalize(se, sig);
  const rc = roundMode;
  const towardSign = rc == (sign != 0 ? RC_DOWN : RC_UP);
  const mag = roundBinary(sign != 0, normExp - EXP_BIAS, normSig, fmt == 32, rc);
  if (binOverflow) {
    overflowTo(sign, fmt, signBit, expMaxT, fracBits, towardSign);
    return;
  }
  if (binInexact) {
    fpFlags |= FLAG_PE;
    if (binRoundedUp) roundedUp = true;
  }
  if (binTiny && (binInexact || !maskUnderflow)) fpFlags |= FLAG_UE;
  outBits = signBit | mag;
}

function overflowTo(sign: u32, fmt: u32, signBit: u64, expMaxT: i32, fracBits: i32, towardSign: bool): void {
  fpFlags |= FLAG_OE | FLAG_PE;
  if (roundMode == RC_NEAREST || towardSign) {
    outBits = signBit | (<u64>expMaxT << (<u64>fracBits));
    roundedUp = true;
  } else {
    outBits = signBit | ((<u64>expMaxT << (<u64>fracBits)) - 1);
    roundedUp = false;
  }
}

export let outInt: i64 = 0;

/**
 * Round an extended value to an integer of `bits` (16/32/64) with rounding
 * mode rc (RC_CHOP for FISTTP). Out of range or NaN/inf: IE and the integer
 * indefinite (the most negative value); inexact: PE.
 */
export function toInt(se: u32, sig: u64, bits: u32, rc: u32): void {
  const sign = signOf(se);
  const exp = expOf(se);
  const indefinite: i64 = <i64>(<u64>1 << (<u64>(bits - 1))) * -1;
  if (exp == EXP_MAX) {
    fpFlags |= FLAG_IE;
    outInt = indefinite;
    return;
  }
  if (sig == 0) {
    outInt = 0;
    return;
  }
  const e = effExp(se) - EXP_BIAS; // value = sig * 2^(e - 63)
  let mag: u64;
  let extra: u64; // bits below the integer point, jammed, MSB = half
  if (e >= 63) {
    if (e > 63) {
      fpFlags |= FLAG_IE;
      outInt = indefinite;
      return;
    }
    mag = sig;
    extra = 0;
  } else if (e < -1) {
    mag = 0;
    extra = 1; // below one half, non-zero
  } else {
    const sh = 63 - e; // 1..64
    if (sh == 64) {
      mag = 0;
      extra = sig;
    } else {
      mag = sig >> (<u64>sh);
      extra = sig << (<u64>(64 - sh));
    }
  }
  let inc = false;
  if (rc == RC_NEAREST) inc = extra > J_BIT || (extra == J_BIT && (mag & 1) != 0);
  else if (rc == (sign != 0 ? RC_DOWN : RC_UP)) inc = extra != 0;
  if (inc) mag++;
  const limit: u64 = <u64>1 << (<u64>(bits - 1)); // |min| for negative, max+1 for positive
  if ((inc && mag == 0) || mag > limit || (sign == 0 && mag == limit)) {
    fpFlags |= FLAG_IE;
    outInt = indefinite;
    return;
  }
  if (extra != 0) {
    fpFlags |= FLAG_PE;
    if (inc) roundedUp = true;
  }
  outInt = sign != 0 ? -(<i64>mag) : <i64>mag;
}

/**
 * Round to an integral value in the extended format (FRNDINT): sets res*.
 */
export function roundToIntegral(se: u32, sig: u64, rc: u32): void {
  const sign = signOf(se);
  const exp = expOf(se);
  if (exp == EXP_MAX) {
    if (isNaN80(se, sig)) quietNaN(se, sig);
    else setResult(se, sig);
    return;
  }
  if (sig == 0) {
    setResult(se, sig);
    return;
  }
  const e = effExp(se) - EXP_BIAS;
  if (e >= 63) {
    setResult(se, sig);
    return;
  }
  let mag: u64;
  let extra: u64;
  if (e < -1) {
    mag = 0;
    extra = 1;
  } else {
    const sh = 63 - e;
    if (sh == 64) {
      mag = 0;
      extra = sig;
    } else {
      mag = sig >> (<u64>sh);
      extra = sig << (<u64>(64 - sh));
    }
  }
  let inc = false;
  if (rc == RC_NEAREST) inc = extra > J_BIT || (extra == J_BIT && (mag & 1) != 0);
  else if (rc == (sign != 0 ? RC_DOWN : RC_UP)) inc = extra != 0;
  if (extra != 0) {
    fpFlags |= FLAG_PE;
    if (inc) roundedUp = true;
  }
  if (inc) mag++;
  if (mag == 0) {
    setResult(sign << 15, 0);
    return;
  }
  // mag fits in 64 bits (e <= 62 gives at most 2^63).
  const s = clz64(mag);
  setResult((sign << 15) | <u32>(EXP_BIAS + 63 - s), mag << (<u64>s));
}

