// Integer multiply and divide: MUL IMUL (one, two and three operands), DIV IDIV
// (SDM Vol. 2A "MUL", "IMUL", "DIV", "IDIV").
//
// MUL/IMUL define only CF = OF ("the upper half is significant"); SF ZF AF PF
// are undefined. We derive SF/ZF/PF from the low half of the product and clear
// AF, as Bochs and QEMU do; the differential tests mask them.
// DIV/IDIV leave every flag undefined: we leave them unchanged. #DE (divide by
// zero or a quotient that does not fit) is raised before any register changes.

import {
  reg8, reg16, reg32, setReg16, setReg32, setReg8, REG_EAX, REG_EDX, FLAG_CF, FLAG_OF,
} from '../state';
import { setFlagsFromResult, sizeMask } from '../flags';
import { imm } from '../decode';
import { readE, readG, writeG } from '../operands';
import { faulted, raiseDE } from '../fault';

const CF_OF: u32 = FLAG_CF | FLAG_OF;

/** Sign-extend the low `size` bits of v to 64 bits. */
@inline function sext(v: u32, size: u32): i64 {
  if (size == 8) return <i64>(<i8>v);
  if (size == 16) return <i64>(<i16>v);
  return <i64>(<i32>v);
}

/** MUL E: AX = AL * E8, DX:AX = AX * E16, EDX:EAX = EAX * E32 (unsigned). */
export function mul(size: u32): void {
  const src = readE(size);
  if (faulted) return;
  if (size == 8) {
    const p = reg8(REG_EAX) * src;
    setReg16(REG_EAX, p);
    setFlagsFromResult(p, 8, (p >> 8) != 0 ? CF_OF : 0);
  } else if (size == 16) {
    const p = reg16(REG_EAX) * src;
    setReg16(REG_EAX, p);
    setReg16(REG_EDX, p >> 16);
    setFlagsFromResult(p, 16, (p >> 16) != 0 ? CF_OF : 0);
  } else {
    const p = <u64>reg32(REG_EAX) * <u64>src;
    const lo = <u32>p;
    const hi = <u32>(p >> 32);
    setReg32(REG_EAX, lo);
    setReg32(REG_EDX, hi);
    setFlagsFromResult(lo, 32, hi != 0 ? CF_OF : 0);
  }
}

/** IMUL E (one operand): signed, into AX / DX:AX / EDX:EAX. */
export function imul1(size: u32): void {
  const src = readE(size);
  if (faulted) return;
  const p = sext(regSizedA(size), size) * sext(src, size);
  const lo = <u32>p;
  // CF = OF = the product does not fit in the low half (sign-extended).
  const overflow = sext(lo, size) != p;
  const flags = overflow ? CF_OF : 0;
  if (size == 8) {
    setReg16(REG_EAX, lo);
  } else if (size == 16) {
    setReg16(REG_EAX, lo);
    setReg16(REG_EDX, lo >> 16);
  } else {
    setReg32(REG_EAX, lo);
    setReg32(REG_EDX, <u32>(p >> 32));
  }
  setFlagsFromResult(lo, size, flags);
}

@inline function regSizedA(size: u32): u32 {
  return size == 32 ? reg32(REG_EAX) : size == 16 ? reg16(REG_EAX) : reg8(REG_EAX);
}

/** Signed product truncated to `size`, flags set; the common part of IMUL G,E[,imm]. */
@inline function imulTrunc(a: u32, b: u32, size: u32): u32 {
  const p = sext(a, size) * sext(b, size);
  const lo = <u32>p & sizeMask(size);
  setFlagsFromResult(lo, size, sext(lo, size) != p ? CF_OF : 0);
  return lo;
}

/** IMUL G, E (0F AF) */
@inline export function imul2(size: u32): void {
  const src = readE(size);
  if (faulted) return;
  writeG(imulTrunc(readG(size), src, size), size);
}

/** IMUL G, E, imm (69 Iz, 6B Ibs) */
@inline export function imul3(size: u32): void {
  const src = readE(size);
  if (faulted) return;
  writeG(imulTrunc(src, imm, size), size);
}

/** DIV E: unsigned; #DE on a zero divisor or a quotient wider than `size`. */
export function div(size: u32): void {
  const d = readE(size);
  if (faulted) return;
  if (d == 0) {
    raiseDE();
    return;
  }
  if (size == 8) {
    const n = reg16(REG_EAX);
    const q = n / d;
    if (q > 0xff) {
      raiseDE();
      return;
    }
    setReg8(REG_EAX, q);
    setReg8(REG_EAX + 4, n % d); // AH
  } else if (size == 16) {
    const n = (reg16(REG_EDX) << 16) | reg16(REG_EAX);
    const q = n / d;
    if (q > 0xffff) {
      raiseDE();
      return;
    }
    setReg16(REG_EAX, q);
    setReg16(REG_EDX, n % d);
  } else {
    const n = (<u64>reg32(REG_EDX) << 32) | <u64>reg32(REG_EAX);
    const q = n / <u64>d;
    if (q > 0xffffffff) {
      raiseDE();
      return;
    }
    setReg32(REG_EAX, <u32>q);
    setReg32(REG_EDX, <u32>(n % <u64>d));
  }
}

/** IDIV E: signed, quotient truncated toward zero, remainder takes the dividend's sign. */
export function idiv(size: u32): void {
  const dRaw = readE(size);
  if (faulted) return;
  const d = sext(dRaw, size);
  if (d == 0) {
    raiseDE();
    return;
  }
  let n: i64;
  if (size == 8) n = <i64>(<i16>reg16(REG_EAX));
  else if (size == 16) n = <i64>(<i32>((reg16(REG_EDX) << 16) | reg16(REG_EAX)));
  else n = <i64>((<u64>reg32(REG_EDX) << 32) | <u64>reg32(REG_EAX));
  // i64.MIN / -1 would trap in wasm; its quotient (2^63) overflows every size anyway.
  if (d == -1 && n == i64.MIN_VALUE) {
    raiseDE();
    return;
  }
  const q = n / d;
  const r = n % d;
  const half = <i64>1 << (size - 1);
  if (q >= half || q < -half) {
    raiseDE();
    return;
  }
  if (size == 8) {
    setReg8(REG_EAX, <u32>q);
    setReg8(REG_EAX + 4, <u32>r); // AH
  } else if (size == 16) {
    setReg16(REG_EAX, <u32>q);
    setReg16(REG_EDX, <u32>r);
  } else {
    setReg32(REG_EAX, <u32>q);
    setReg32(REG_EDX, <u32>r);
  }
}
