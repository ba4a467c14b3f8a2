// Rounding a binary significand to IEEE single or double precision, shared
// by the x87 stores to m32fp/m64fp (x87/float80.ts toFloat) and the SSE
// arithmetic (sse/ieee.ts roundPack). Both round the same way (IEEE 754
// §4.3, the four directions); they differ only in which flags they raise
// and in the overflow/underflow responses, which stay with the callers.
// x86 detects tininess after rounding (SDM Vol. 1 §4.9.1.5, §8.5.4):
// tiny means below 2^emin once rounded to full precision with the
// exponent unbounded.

export const ROUND_NEAREST: u32 = 0;
export const ROUND_DOWN: u32 = 1;
export const ROUND_UP: u32 = 2;

// Outcome of the last roundBinary.
/** The delivered result is inexact. */
export let binInexact: bool = false;
/** The delivered magnitude was rounded up (x87 C1). */
export let binRoundedUp: bool = false;
/** The result rounded to full precision (exponent unbounded) is inexact. */
export let binInexactUnbounded: bool = false;
/** The result rounded to full precision (exponent unbounded) is below 2^emin. */
export let binTiny: bool = false;
/** The result rounded to full precision exceeds the largest finite value; no bits were produced. */
export let binOverflow: bool = false;

let shiftInexact: bool = false;
let shiftUp: bool = false;

/** sig >> shift rounded in direction `mode` (sign `neg`); sets shiftInexact and shiftUp. */
function shiftRound(sig: u64, shift: u32, neg: bool, mode: u32): u64 {
  let q: u64 = 0;
  let half = false;
  let sticky = false;
  if (shift == 0) {
    shiftInexact = false;
    shiftUp = false;
    return sig;
  } else if (shift < 64) {
    q = sig >> shift;
    half = ((sig >> (shift - 1)) & 1) != 0;
    sticky = (sig & (((<u64>1) << (shift - 1)) - 1)) != 0;
  } else if (shift == 64) {
    half = (sig >> 63) != 0;
    sticky = (sig << 1) != 0;
  } else {
    sticky = sig != 0;
  }
  const inexact = half || sticky;
  shiftInexact = inexact;
  let up = false;
  if (mode == ROUND_NEAREST) up = half && (sticky || (q & 1) != 0);
  else if (mode == ROUND_DOWN) up = neg && inexact;
  else if (mode == ROUND_UP) up = !neg && inexact;
  shiftUp = up;
  return up ? q + 1 : q;
}

/**
 * Round sig × 2^(exp - 63) (bit 63 of sig set; bit 0 may be a sticky bit) to
 * single (is32) or double precision in direction `mode` (ROUND_* or 3,
 * toward zero) and return its magnitude bits (exponent and fraction, no
 * sign): normal, denormal, zero, or the smallest normal when a tiny value
 * rounds up to it. Sets the bin* outcome; on binOverflow returns 0.
 */
export function roundBinary(neg: bool, exp: i32, sig: u64, is32: bool, mode: u32): u64 {
  const p: u32 = is32 ? 24 : 53;
  const fracBits: u32 = p - 1;
  const emin: i32 = is32 ? -126 : -1022;
  const emax: i32 = is32 ? 127 : 1023;
  const bias: i32 = is32 ? 127 : 1023;
  let q = shiftRound(sig, 64 - p, neg, mode);
  binInexactUnbounded = shiftInexact;
  let e = exp;
  if (q >> p != 0) {
    q >>= 1;
    e++;
  }
  binOverflow = e > emax;
  binTiny = e < emin;
  if (binOverflow) {
    binInexact = true;
    binRoundedUp = false;
    return 0;
  }
  if (!binTiny) {
    binInexact = shiftInexact;
    binRoundedUp = shiftUp;
    // Rounding up to 2^emin from below gives the smallest normal on both grids.
    return ((<u64>(e + bias)) << fracBits) | (q & (((<u64>1) << fracBits) - 1));
  }
  // Denormal (or zero): round the original significand at the denormal
  // position. A result of 2^(p-1) encodes the smallest normal (exponent 1).
  const qd = shiftRound(sig, 64 - p + <u32>(emin - exp), neg, mode);
  binInexact = shiftInexact;
  binRoundedUp = shiftUp;
  return qd;
}
