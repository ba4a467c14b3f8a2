// x87 D9 F0-FF: F2XM1 FYL2X FPTAN FPATAN FXTRACT FPREM1 FDECSTP FINCSTP,
// FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS.
// Reference: SDM Vol. 2A (each instruction), Vol. 1 §8.3.9-8.3.10.
//
// UNFINISHED: the transcendentals (F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN
// FCOS FSINCOS) are computed through f64 here, so they are correct only to
// double precision and do not round like the x87; FPREM/FPREM1 reduce at
// most 63 exponent steps per execution as the SDM describes, but the
// partial step count of real CPUs for D >= 64 is not verified.

import { modRm } from '../decode';
import {
  EXP_BIAS,
  EXP_MAX,
  FLAG_DE,
  FLAG_IE,
  FLAG_ZE,
  J_BIT,
  PREC_64,
  fpFlags,
  fpRaise,
  fromF64,
  fromI64,
  isDenormal80,
  isNaN80,
  isUnsupported80,
  propagateNaN,
  quietNaN,
  resSe,
  resSig,
  roundPack,
  roundToIntegral,
  setIndefinite,
  setResult,
  sqrt80,
  toFloat,
  outBits,
} from '../x87/float80';
import {
  FSW_C0,
  FSW_C1,
  FSW_C2,
  FSW_C3,
  fpuMasks,
  fpuPrecision,
  fpuRc,
  fpuTop,
  popStack,
  pushValue,
  recordLastInstruction,
  reportFlags,
  setCondition,
  setSt,
  setTop,
  stEmpty,
  stSe,
  stSig,
  stackOverflow,
  stackUnderflow,
  x87Begin,
  fsw as fswNow,
} from '../x87/fpu-state';
import { beginOp, finishResult, underflowResult } from '../x87/exec';

/** Unary ST(0) operation: empty -> underflow; unsupported -> IE; NaN -> quieted. True when handled. */
function unaryPrologue(): bool {
  if (stEmpty(0)) {
    underflowResult(0, false);
    return true;
  }
  const se = stSe(0);
  const sig = stSig(0);
  if (isUnsupported80(se, sig)) {
    setIndefinite();
    finishResult(0, false);
    return true;
  }
  if (isNaN80(se, sig)) {
    quietNaN(se, sig);
    finishResult(0, false);
    return true;
  }
  if (isDenormal80(se, sig)) fpRaise(FLAG_DE);
  if ((fpFlags & FLAG_DE & ~fpuMasks()) != 0) {
    finishResult(0, false);
    return true;
  }
  return false;
}

export function x87D9Group6(rm: u32): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  if (rm == 6 || rm == 7) {
    // FDECSTP / FINCSTP: only TOP moves; C1 = 0.
    setTop(fpuTop() + (rm == 6 ? 7 : 1));
    setCondition(FSW_C1, 0);
    return;
  }
  if (rm == 4) {
    fxtract();
    return;
  }
  if (rm == 5) {
    fprem(true);
    return;
  }
  transcendental(rm);
}

export function x87D9Group7(rm: u32): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  if (rm == 0) {
    fprem(false);
    return;
  }
  if (rm == 2) {
    if (unaryPrologue()) return;
    sqrt80(stSe(0), stSig(0), fpuPrecision());
    finishResult(0, false);
    return;
  }
  if (rm == 4) {
    if (unaryPrologue()) return;
    roundToIntegral(stSe(0), stSig(0), fpuRc());
    finishResult(0, false);
    return;
  }
  if (rm == 5) {
    fscale();
    return;
  }
  transcendental(8 + rm);
}

/** FXTRACT: ST(0) = exponent, then push the significand (SDM FXTRACT; zero: #Z, -inf exponent). */
function fxtract(): void {
  if (stEmpty(0)) {
    if (stackUnderflow()) {
      setSt(0, 0xffff, 0xc000000000000000);
      pushValue(0xffff, 0xc000000000000000);
    }
    return;
  }
  if (!stEmpty(7)) {
    if (stackOverflow()) {
      setSt(0, 0xffff, 0xc000000000000000);
      pushValue(0xffff, 0xc000000000000000);
    }
    return;
  }
  const se = stSe(0);
  const sig = stSig(0);
  let eSe: u32;
  let eSig: u64;
  let mSe: u32;
  let mSig: u64;
  if (isUnsupported80(se, sig)) {
    setIndefinite();
    eSe = resSe;
    eSig = resSig;
    mSe = resSe;
    mSig = resSig;
  } else if (isNaN80(se, sig)) {
    quietNaN(se, sig);
    eSe = resSe;
    eSig = resSig;
    mSe = resSe;
    mSig = resSig;
  } else if (<i32>(se & 0x7fff) == EXP_MAX) {
    eSe = 0x7fff;
    eSig = J_BIT;
    mSe = se;
    mSig = sig;
  } else if (sig == 0) {
    fpRaise(FLAG_ZE);
    eSe = 0xffff;
    eSig = J_BIT;
    mSe = se;
    mSig = 0;
  } else {
    if (isDenormal80(se, sig)) fpRaise(FLAG_DE);
    let e = <i32>(se & 0x7fff);
    if (e == 0) e = 1;
    const s = <i32>clz<u64>(sig);
    const unbiased = e - s - EXP_BIAS;
    fromI64(<i64>unbiased);
    eSe = resSe;
    eSig = resSig;
    mSe = (se & 0x8000) | <u32>EXP_BIAS;
    mSig = sig << (<u64>s);
  }
  const flags = fpFlags;
  reportFlags(flags);
  if ((flags & (FLAG_IE | FLAG_ZE | FLAG_DE) & ~fpuMasks()) != 0) return;
  setCondition(FSW_C1, 0);
  setSt(0, eSe, eSig);
  pushValue(mSe, mSig);
}

/** FSCALE: ST(0) * 2^trunc(ST(1)). */
function fscale(): void {
  if (stEmpty(0) || stEmpty(1)) {
    underflowResult(0, false);
    return;
  }
  const aSe = stSe(0);
  const aSig = stSig(0);
  const bSe = stSe(1);
  const bSig = stSig(1);
  if (isUnsupported80(aSe, aSig) || isUnsupported80(bSe, bSig)) setIndefinite();
  else if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) propagateNaN(aSe, aSig, bSe, bSig);
  else {
    if (isDenormal80(aSe, aSig) || isDenormal80(bSe, bSig)) fpRaise(FLAG_DE);
    const bInf = <i32>(bSe & 0x7fff) == EXP_MAX;
    const aInf = <i32>(aSe & 0x7fff) == EXP_MAX;
    if (bInf) {
      const bNeg = (bSe & 0x8000) != 0;
      if ((aSig == 0 && !bNeg) || (aInf && bNeg)) setIndefinite();
      else if (aSig == 0 || aInf) setResult(aSe, aSig);
      else setResult(bNeg ? aSe & 0x8000 : (aSe & 0x8000) | 0x7fff, bNeg ? 0 : J_BIT);
    } else if (aInf || aSig == 0) {
      setResult(aSe, aSig);
    } else {
      // trunc(ST(1)), clamped: anything beyond +-2^16 over/underflows anyway.
      roundToIntegral(bSe, bSig, 3);
      let n: i32 = 0;
      const be = <i32>(resSe & 0x7fff) - EXP_BIAS;
      if (resSig != 0) n = be > 16 ? 0x10000 : <i32>(resSig >> (<u64>(63 - be)));
      if ((bSe & 0x8000) != 0) n = -n;
      let e = <i32>(aSe & 0x7fff);
      if (e == 0) e = 1;
      const s = <i32>clz<u64>(aSig);
      roundPack(aSe >> 15, e - s + n, aSig << (<u64>s), 0, PREC_64);
    }
  }
  finishResult(0, false);
}

/** FPREM (truncating quotient) / FPREM1 (IEEE, nearest): partial remainder, C0 C3 C1 = Q2 Q1 Q0, C2 = incomplete. */
function fprem(ieee: bool): void {
  if (stEmpty(0) || stEmpty(1)) {
    setCondition(FSW_C2, 0);
    underflowResult(0, false);
    return;
  }
  const aSe = stSe(0);
  const aSig = stSig(0);
  const bSe = stSe(1);
  const bSig = stSig(1);
  if (isUnsupported80(aSe, aSig) || isUnsupported80(bSe, bSig)) setIndefinite();
  else if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) propagateNaN(aSe, aSig, bSe, bSig);
  else if (<i32>(aSe & 0x7fff) == EXP_MAX || bSig == 0) setIndefinite();
  else {
    if (isDenormal80(aSe, aSig) || isDenormal80(bSe, bSig)) fpRaise(FLAG_DE);
    if (<i32>(bSe & 0x7fff) == EXP_MAX || aSig == 0) {
      setResult(aSe, aSig);
      setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, 0);
    } else {
      remainder(aSe, aSig, bSe, bSig, ieee);
      return;
    }
  }
  finishResult(0, false);
}

function remainder(aSe: u32, aSig: u64, bSe: u32, bSig: u64, ieee: bool): void {
  let ea = <i32>(aSe & 0x7fff);
  if (ea == 0) ea = 1;
  let eb = <i32>(bSe & 0x7fff);
  if (eb == 0) eb = 1;
  const sa = <i32>clz<u64>(aSig);
  const sb = <i32>clz<u64>(bSig);
  const ma = aSig << (<u64>sa);
  const mb = bSig << (<u64>sb);
  ea -= sa;
  eb -= sb;
  const d = ea - eb;
  const sign = aSe >> 15;
  let r = ma;
  let q: u64 = 0;
  let expR = ea;
  let rSign = sign;
  const partial = d >= 64;
  if (d < 0) {
    // |a| < |b|: the quotient is 0, except FPREM1 rounding |a| > |b|/2 up to 1.
    if (!(ieee && d == -1 && ma > mb)) {
      setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, 0);
      setResult(aSe, aSig);
      finishResult(0, false);
      return;
    }
    r = mb - (ma - mb); // |b| - |a| at a's scale (2·mb - ma)
    q = 1;
    rSign ^= 1;
  } else {
    // Partial: reduce the exponent difference by a number of bits between 32 and 63 (SDM FPREM).
    const n = partial ? 32 + ((d - 32) & 31) : d;
    if (r >= mb) {
      r -= mb;
      q = 1;
    }
    for (let i = 0; i < n; i++) {
      const carry = r >> 63;
      r <<= 1;
      q <<= 1;
      if (carry != 0 || r >= mb) {
        r -= mb;
        q |= 1;
      }
    }
    expR = ea - n;
    if (partial) expR = ea - n;
    if (ieee && !partial) {
      // Round the quotient to nearest even: remainder in [-|b|/2, |b|/2].
      const half = mb >> 1;
      const over = r > half || (r == half && (mb & 1) == 0 && (q & 1) != 0);
      if (over) {
        r = mb - r;
        q++;
        rSign ^= 1;
      }
    }
    expR = eb;
  }
  let cc: u32 = 0;
  if (partial) cc = FSW_C2;
  else {
    if ((q & 1) != 0) cc |= FSW_C1;
    if ((q & 2) != 0) cc |= FSW_C3;
    if ((q & 4) != 0) cc |= FSW_C0;
  }
  setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, cc);
  if (partial) expR = ea - (32 + ((d - 32) & 31));
  if (d < 0) expR = ea;
  if (r == 0) {
    setSt(0, sign << 15, 0);
    reportFlags(fpFlags);
    return;
  }
  const sh = <i32>clz<u64>(r);
  roundPack(rSign, expR - sh, r << (<u64>sh), 0, PREC_64);
  const c = fpuConditionKeep();
  finishResult(0, false);
  setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, c);
}

function fpuConditionKeep(): u32 {
  return fswNow() & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3);
}

const TWO63: f64 = 9223372036854775808.0;

/** Transcendentals via f64 (UNFINISHED: double precision only). k: group 6 rm 0-3, 8 + group 7 rm. */
function transcendental(k: u32): void {
  const twoOperand = k == 1 || k == 3 || k == 9;
  if (stEmpty(0) || (twoOperand && stEmpty(1))) {
    underflowResult(twoOperand ? 1 : 0, twoOperand);
    return;
  }
  if (unaryPrologue()) return;
  toFloat(stSe(0), stSig(0), 64);
  const x = reinterpret<f64>(outBits);
  const trig = k == 2 || k == 11 || k == 14 || k == 15;
  if (trig && Math.abs(x) >= TWO63) {
    // Out of range: C2 = 1, operand unchanged (SDM FSIN).
    setCondition(FSW_C2, FSW_C2);
    return;
  }
  beginOp();
  let y: f64 = 0;
  if (twoOperand) {
    toFloat(stSe(1), stSig(1), 64);
    y = reinterpret<f64>(outBits);
  }
  let r: f64 = 0;
  let second: f64 = 0;
  if (k == 0) r = Math.pow(2, x) - 1;
  else if (k == 1) r = y * Math.log2(x);
  else if (k == 2) r = Math.tan(x);
  else if (k == 3) r = Math.atan2(y, x);
  else if (k == 9) r = y * (Math.log1p(x) / Math.LN2);
  else if (k == 11) {
    r = Math.sin(x);
    second = Math.cos(x);
  } else if (k == 14) r = Math.sin(x);
  else r = Math.cos(x);
  fromF64(reinterpret<u64>(r));
  if (twoOperand) {
    setSt(1, resSe, resSig);
    popStack();
  } else {
    setSt(0, resSe, resSig);
  }
  if (trig) setCondition(FSW_C2, 0);
  if (k == 2) pushValue(0x3fff, J_BIT);
  if (k == 11) {
    fromF64(reinterpret<u64>(second));
    pushValue(resSe, resSig);
  }
  reportFlags(FLAG_PE_CONST);
}
const FLAG_PE_CONST: u32 = 1 << 5;
