// Wide floating point for the x87 transcendentals: values with a 128-bit
// significand (twice the extended format's 64 bits) and a 32-bit exponent,
// so that F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS and FPTAN can be
// evaluated with about 125 correct bits and then rounded once to 64 bits
// (roundPack: RC, PE, C1, UE/OE with the x87 responses).
//
// A value lives in a numbered slot of a static scratch area (no allocation):
// significand hi:lo with bit 127 set (zero: hi = lo = 0), exponent e with
// value = significand * 2^(e - 127), and a sign. Operations truncate and
// jam the bits they drop into the least significant bit, so a result that
// is not exact never looks exact and errs by at most a few units of 2^-127
// (relative) per operation.

const SLOT_SIZE: usize = 32;
const SLOTS: i32 = 32;
const BUF: usize = memory.data(<i32>SLOT_SIZE * SLOTS);

@inline function addr(i: i32): usize {
  return BUF + <usize>(i & (SLOTS - 1)) * SLOT_SIZE;
}
@inline export function qHi(i: i32): u64 {
  return load<u64>(addr(i));
}
@inline export function qLo(i: i32): u64 {
  return load<u64>(addr(i), 8);
}
@inline export function qExp(i: i32): i32 {
  return load<i32>(addr(i), 16);
}
@inline export function qSign(i: i32): u32 {
  return load<u32>(addr(i), 20);
}
@inline export function qIsZero(i: i32): bool {
  return qHi(i) == 0 && qLo(i) == 0;
}
@inline function put(i: i32, sign: u32, e: i32, hi: u64, lo: u64): void {
  const a = addr(i);
  store<u64>(a, hi);
  store<u64>(a, lo, 8);
  store<i32>(a, e, 16);
  store<u32>(a, sign & 1, 20);
}

/** Store sign * (hi:lo) * 2^(e - 127), normalizing the significand. */
export function qSet(i: i32, sign: u32, e: i32, hi: u64, lo: u64): void {
  if (hi == 0 && lo == 0) {
    put(i, sign, 0, 0, 0);
    return;
  }
  if (hi == 0) {
    hi = lo;
    lo = 0;
    e -= 64;
  }
  const s = <i32>clz<u64>(hi);
  if (s != 0) {
    hi = (hi << (<u64>s)) | (lo >> (<u64>(64 - s)));
    lo <<= <u64>s;
    e -= s;
  }
  put(i, sign, e, hi, lo);
}

export function qCopy(d: i32, a: i32): void {
  put(d, qSign(a), qExp(a), qHi(a), qLo(a));
}
export function qNeg(d: i32, a: i32): void {
  put(d, qSign(a) ^ 1, qExp(a), qHi(a), qLo(a));
}
/** The unsigned integer v. */
export function qFromU64(d: i32, v: u64): void {
  qSet(d, 0, 127, 0, v);
}
/** An extended value (finite; denormals included). */
export function qFromF80(d: i32, se: u32, sig: u64): void {
  let e = <i32>(se & 0x7fff);
  if (e == 0) e = 1;
  qSet(d, (se >> 15) & 1, e - 0x3fff, sig, 0);
}

// ---------- 64 x 64 -> 128 ----------

let mHi: u64 = 0;
let mLo: u64 = 0;
function mul64(a: u64, b: u64): void {
  const a1 = a >> 32;
  const a0 = a & 0xffffffff;
  const b1 = b >> 32;
  const b0 = b & 0xffffffff;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mLo = (mid << 32) | (p00 & 0xffffffff);
  mHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** d = a * b. */
export function qMul(d: i32, a: i32, b: i32): void {
  const sign = qSign(a) ^ qSign(b);
  if (qIsZero(a) || qIsZero(b)) {
    put(d, sign, 0, 0, 0);
    return;
  }
  const ah = qHi(a);
  const al = qLo(a);
  const bh = qHi(b);
  const bl = qLo(b);
  mul64(al, bl);
  const llHi = mHi;
  const llLo = mLo;
  mul64(ah, bl);
  const hlHi = mHi;
  const hlLo = mLo;
  mul64(al, bh);
  const lhHi = mHi;
  const lhLo = mLo;
  mul64(ah, bh);
  let hi = mHi;
  let lo = mLo;
  // Bits 64..127 of the 256-bit product, with their carries into bit 128.
  let w = llHi + hlLo;
  let carry: u64 = <u64>(w < hlLo);
  const w2 = w + lhLo;
  carry += <u64>(w2 < lhLo);
  w = w2;
  const sticky = w != 0 || llLo != 0;
  // Bits 128..255: hi:lo + hlHi + lhHi + carry.
  let t = lo + hlHi;
  let c: u64 = <u64>(t < hlHi);
  const t2 = t + lhHi;
  c += <u64>(t2 < lhHi);
  const t3 = t2 + carry;
  c += <u64>(t3 < carry);
  lo = t3;
  hi += c;
  let e = qExp(a) + qExp(b) + 1;
  let low = w;
  if ((hi >> 63) == 0) {
    hi = (hi << 1) | (lo >> 63);
    lo = (lo << 1) | (low >> 63);
    low <<= 1;
    e--;
  }
  if (sticky || low != 0) lo |= 1;
  put(d, sign, e, hi, lo);
}

// 128-bit shift right with the dropped bits jammed into bit 0.
let sHi: u64 = 0;
let sLo: u64 = 0;
function shrJam(hi: u64, lo: u64, n: i32): void {
  if (n <= 0) {
    sHi = hi;
    sLo = lo;
  } else if (n < 64) {
    const lost = lo << (<u64>(64 - n));
    sLo = (lo >> (<u64>n)) | (hi << (<u64>(64 - n))) | <u64>(lost != 0);
    sHi = hi >> (<u64>n);
  } else if (n == 64) {
    sLo = hi | <u64>(lo != 0);
    sHi = 0;
  } else if (n < 128) {
    const m = n - 64;
    const lost = lo | (hi << (<u64>(64 - m)));
    sLo = (hi >> (<u64>m)) | <u64>(lost != 0);
    sHi = 0;
  } else {
    sHi = 0;
    sLo = <u64>(hi != 0 || lo != 0);
  }
}

/** d = a + b (negB: a - b). */
export function qAdd(d: i32, a: i32, b: i32, negB: bool): void {
  const signB = qSign(b) ^ (negB ? 1 : 0);
  if (qIsZero(b)) {
    qCopy(d, a);
    return;
  }
  if (qIsZero(a)) {
    put(d, signB, qExp(b), qHi(b), qLo(b));
    return;
  }
  let signA = qSign(a);
  let eA = qExp(a);
  let eB = qExp(b);
  let ah = qHi(a);
  let al = qLo(a);
  let bh = qHi(b);
  let bl = qLo(b);
  let sB = signB;
  // Make a the larger magnitude.
  if (eB > eA || (eB == eA && (bh > ah || (bh == ah && bl > al)))) {
    let t = ah;
    ah = bh;
    bh = t;
    t = al;
    al = bl;
    bl = t;
    const te = eA;
    eA = eB;
    eB = te;
    const ts = signA;
    signA = sB;
    sB = ts;
  }
  shrJam(bh, bl, eA - eB);
  bh = sHi;
  bl = sLo;
  if (signA == sB) {
    const lo = al + bl;
    const c: u64 = <u64>(lo < al);
    const hi = ah + bh + c;
    const carryOut = hi < ah || (hi == ah && c != 0);
    if (carryOut) {
      const sticky = lo & 1;
      put(d, signA, eA + 1, (hi >> 1) | 0x8000000000000000, (lo >> 1) | (hi << 63) | sticky);
      return;
    }
    put(d, signA, eA, hi, lo);
    return;
  }
  const lo = al - bl;
  const borrow: u64 = <u64>(al < bl);
  const hi = ah - bh - borrow;
  qSet(d, signA, eA, hi, lo);
}

/** d = a / n for a small positive integer n. */
export function qDivSmall(d: i32, a: i32, n: u32): void {
  const ah = qHi(a);
  const al = qLo(a);
  const dv = <u64>n;
  // Six 32-bit digits: a's four and two zero digits of extra quotient.
  let rem: u64 = 0;
  let q5: u64 = 0;
  let q4: u64 = 0;
  let q3: u64 = 0;
  let q2: u64 = 0;
  let q1: u64 = 0;
  let q0: u64 = 0;
  let cur = (rem << 32) | (ah >> 32);
  q5 = cur / dv;
  rem = cur % dv;
  cur = (rem << 32) | (ah & 0xffffffff);
  q4 = cur / dv;
  rem = cur % dv;
  cur = (rem << 32) | (al >> 32);
  q3 = cur / dv;
  rem = cur % dv;
  cur = (rem << 32) | (al & 0xffffffff);
  q2 = cur / dv;
  rem = cur % dv;
  cur = rem << 32;
  q1 = cur / dv;
  rem = cur % dv;
  cur = rem << 32;
  q0 = cur / dv;
  rem = cur % dv;
  // Quotient bits 191..0 = q5..q0; value = Q * 2^(e - 127 - 64).
  let hi = (q5 << 32) | q4;
  let lo = (q3 << 32) | q2;
  let low = (q1 << 32) | q0;
  let e = qExp(a);
  if (hi == 0) {
    hi = lo;
    lo = low;
    low = 0;
    e -= 64;
  }
  const s = <i32>clz<u64>(hi);
  if (s != 0) {
    hi = (hi << (<u64>s)) | (lo >> (<u64>(64 - s)));
    lo = (lo << (<u64>s)) | (low >> (<u64>(64 - s)));
    low <<= <u64>s;
    e -= s;
  }
  if (low != 0 || rem != 0) lo |= 1;
  put(d, qSign(a), e, hi, lo);
}

/** d = a / b (b non-zero): restoring division, 128 quotient bits and a sticky bit. */
export function qDiv(d: i32, a: i32, b: i32): void {
  const sign = qSign(a) ^ qSign(b);
  if (qIsZero(a)) {
    put(d, sign, 0, 0, 0);
    return;
  }
  const bh = qHi(b);
  const bl = qLo(b);
  let rh = qHi(a);
  let rl = qLo(a);
  let qh: u64 = 0;
  let ql: u64 = 0;
  const less = rh < bh || (rh == bh && rl < bl);
  let n = 128;
  if (!less) {
    const br: u64 = <u64>(rl < bl);
    rl -= bl;
    rh = rh - bh - br;
    ql = 1;
    n = 127;
  }
  for (let k = 0; k < n; k++) {
    const carry = rh >> 63;
    rh = (rh << 1) | (rl >> 63);
    rl <<= 1;
    qh = (qh << 1) | (ql >> 63);
    ql <<= 1;
    if (carry != 0 || rh > bh || (rh == bh && rl >= bl)) {
      const br: u64 = <u64>(rl < bl);
      rl -= bl;
      rh = rh - bh - br;
      ql |= 1;
    }
  }
  if (rh != 0 || rl != 0) ql |= 1;
  put(d, sign, qExp(a) - qExp(b) - (less ? 1 : 0), qh, ql);
}

/** Load a constant given as its 128-bit significand and exponent. */
export function qConst(d: i32, hi: u64, lo: u64, e: i32): void {
  put(d, 0, e, hi, lo);
}
