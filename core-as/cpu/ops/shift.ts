// Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (groups C0 C1 D0-D3) and
// the double shifts SHLD SHRD (SDM Vol. 2A "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR",
// "SHLD", "SHRD").
//
// The count is masked to 5 bits; a masked count of 0 changes nothing, flags
// included. OF is defined only for a count of 1; for larger counts we apply the
// count-1 formula to the final step (what Intel P6+ and Bochs do):
//   ROL, RCL, SHL, SHLD: OF = MSB(result) XOR CF
//   ROR, RCR, SHRD:      OF = MSB(result) XOR MSB-1(result)
//   SHR:                 OF = MSB of the value before the last one-bit step
//   SAR:                 OF = 0
// AF is undefined after a non-zero shift; we clear it. Rotates leave SF ZF AF PF.

import { FLAG_CF, FLAG_OF } from '../state';
import { setFlagsFromResult, setCfOf, getCF, sizeMask, signBit } from '../flags';
import { readEForWrite, writeEBack, readG } from '../operands';
import { faulted } from '../fault';

// Operation numbers are the ModRM.reg values of groups C0/C1/D0-D3 (6, SAL, is SHL).
export const SHIFT_ROL: u32 = 0;
export const SHIFT_ROR: u32 = 1;
export const SHIFT_RCL: u32 = 2;
export const SHIFT_RCR: u32 = 3;
export const SHIFT_SHL: u32 = 4;
export const SHIFT_SHR: u32 = 5;
export const SHIFT_SAR: u32 = 7;

const COUNT_MASK: u32 = 0x1f;

@inline function cfOf(cf: bool, ovf: bool): u32 {
  return (cf ? FLAG_CF : 0) | (ovf ? FLAG_OF : 0);
}

/** Rotate or shift E by `count` (the raw count byte: imm8, CL or 1). */
export function shift(kind: u32, size: u32, count: u32): void {
  count &= COUNT_MASK;
  const v = readEForWrite(size);
  if (faulted) return;
  if (count == 0) return;
  const mask = sizeMask(size);
  const sign = signBit(size);
  let res: u32;
  switch (kind) {
    case SHIFT_ROL: {
      const n = count & (size - 1);
      res = n == 0 ? v : ((v << n) | (v >> (size - n))) & mask;
      const cf = (res & 1) != 0;
      setCfOf(cfOf(cf, ((res & sign) != 0) != cf));
      break;
    }
    case SHIFT_ROR: {
      const n = count & (size - 1);
      res = n == 0 ? v : ((v >> n) | (v << (size - n))) & mask;
      const msb = (res & sign) != 0;
      setCfOf(cfOf(msb, msb != ((res & (sign >> 1)) != 0)));
      break;
    }
    case SHIFT_RCL: {
      // Rotate through CF: a (size+1)-bit rotation, so 8/16-bit counts are modulo 9/17.
      const n = size == 32 ? count : count % (size + 1);
      let cf = getCF();
      res = v;
      if (n != 0) {
        const wide = (<u64>(cf ? 1 : 0) << size) | <u64>v;
        const r = ((wide << n) | (wide >> (size + 1 - n))) & ((<u64>1 << (size + 1)) - 1);
        res = <u32>r & mask;
        cf = ((r >> size) & 1) != 0;
      }
      setCfOf(cfOf(cf, ((res & sign) != 0) != cf));
      break;
    }
    case SHIFT_RCR: {
      const n = size == 32 ? count : count % (size + 1);
      let cf = getCF();
      res = v;
      if (n != 0) {
        const wide = (<u64>(cf ? 1 : 0) << size) | <u64>v;
        const r = ((wide >> n) | (wide << (size + 1 - n))) & ((<u64>1 << (size + 1)) - 1);
        res = <u32>r & mask;
        cf = ((r >> size) & 1) != 0;
      }
      const msb = (res & sign) != 0;
      setCfOf(cfOf(cf, msb != ((res & (sign >> 1)) != 0)));
      break;
    }
    case SHIFT_SHL: {
      // CF is the last bit shifted out; for count > size it is 0 (SDM: undefined).
      const wide = <u64>v << count;
      res = <u32>wide & mask;
      const cf = ((wide >> size) & 1) != 0;
      setFlagsFromResult(res, size, cfOf(cf, ((res & sign) != 0) != cf));
      break;
    }
    case SHIFT_SHR: {
      const before = <u64>v >> (count - 1);
      res = <u32>(before >> 1);
      setFlagsFromResult(res, size, cfOf((before & 1) != 0, (<u32>before & sign) != 0));
      break;
    }
    default: {
      // SAR: shifting the sign-extended value by up to 31 fills with the sign.
      let sv: i32 = size == 8 ? <i32>(<i8>v) : size == 16 ? <i32>(<i16>v) : <i32>v;
      const before = sv >> (count - 1);
      res = <u32>(before >> 1) & mask;
      setFlagsFromResult(res, size, cfOf((before & 1) != 0, false));
      break;
    }
  }
  writeEBack(res, size);
}

/**
 * SHLD E, G, count. 16-bit with count > 16 is undefined (SDM); we shift the
 * 48-bit E:G:E as P6-family processors do (Bochs documents the same).
 */
export function shld(size: u32, count: u32): void {
  doubleShift(true, size, count);
}

/** SHRD E, G, count. 16-bit with count > 16: the 48-bit E:G:E model, as for SHLD. */
export function shrd(size: u32, count: u32): void {
  doubleShift(false, size, count);
}

/** SHLD (`left`) or SHRD; inlined with a constant `left`, so each keeps its own code. */
@inline function doubleShift(left: bool, size: u32, count: u32): void {
  count &= COUNT_MASK;
  const dst = readEForWrite(size);
  if (faulted) return;
  if (count == 0) return;
  const src = readG(size);
  let res: u32;
  let cf: bool;
  if (size == 32) {
    res = left ? (dst << count) | (src >> (32 - count)) : (dst >> count) | (src << (32 - count));
    cf = ((dst >> (left ? 32 - count : count - 1)) & 1) != 0;
  } else {
    // Bits 0-15 E, 16-31 G, 32-47 E: shifting brings G, then E, into the result.
    const wide = (<u64>dst << 32) | (<u64>src << 16) | <u64>dst;
    if (left) {
      res = <u32>((wide << count) >> 32) & 0xffff;
      cf = ((wide >> (48 - count)) & 1) != 0;
    } else {
      res = <u32>(wide >> count) & 0xffff;
      cf = ((wide >> (count - 1)) & 1) != 0;
    }
  }
  const sign = signBit(size);
  const msb = (res & sign) != 0;
  // OF: SHLD as a left shift (MSB XOR CF), SHRD as a right rotate (MSB XOR the bit below).
  const ovf = left ? msb != cf : msb != ((res & (sign >> 1)) != 0);
  setFlagsFromResult(res, size, cfOf(cf, ovf));
  writeEBack(res, size);
}
