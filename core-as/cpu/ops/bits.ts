// Bit instructions: BT BTS BTR BTC, BSF BSR, BSWAP, SETcc, CMOVcc
// (SDM Vol. 2A "BT", "BTS", "BTR", "BTC", "BSF", "BSR", "BSWAP"; Vol. 2B
// "SETcc"; Vol. 2A "CMOVcc").

import { reg32, setReg32, setReg16, FLAG_CF, FLAG_ZF } from '../state';
import { setFlag, testCondition } from '../flags';
import { modIsReg, eaSeg, eaOff, addr32, opSize, imm } from '../decode';
import { readE, writeE, readG, writeG } from '../operands';
import {
  segLinear, probeWrite, readLin16, readLin32, writeLin16, writeLin32, readMemSized,
  SEG_RIGHT_READ, SEG_RIGHT_WRITE,
} from '../memory';
import { faulted } from '../fault';

// Operations of BT/BTS/BTR/BTC (0F BA /4../7 order).
export const BIT_TEST: u32 = 0;
export const BIT_SET: u32 = 1;
export const BIT_RESET: u32 = 2;
export const BIT_COMPLEMENT: u32 = 3;

@inline function applyBit(op: u32, v: u32, mask: u32): u32 {
  if (op == BIT_SET) return v | mask;
  if (op == BIT_RESET) return v & ~mask;
  return v ^ mask;
}

/**
 * The bit operation on the E operand at offset (eaOff + delta), bit `bit`.
 * CF = the old bit; ZF unchanged; OF SF AF PF undefined (left unchanged).
 */
function bitOnE(op: u32, size: u32, delta: u32, bit: u32): void {
  const mask: u32 = <u32>1 << bit;
  if (modIsReg) {
    const v = readE(size);
    if (op != BIT_TEST) writeE(applyBit(op, v, mask), size);
    setFlag(FLAG_CF, (v & mask) != 0);
    return;
  }
  let off = eaOff + delta;
  if (!addr32) off &= 0xffff;
  if (op == BIT_TEST) {
    const v = readMemSized(eaSeg, off, size);
    if (faulted) return;
    setFlag(FLAG_CF, (v & mask) != 0);
    return;
  }
  // Read-modify-write at an address readEForWrite cannot name: the same checks by hand.
  const bytes = size >> 3;
  const lin = segLinear(eaSeg, off, bytes, SEG_RIGHT_READ | SEG_RIGHT_WRITE);
  if (faulted) return;
  if (!probeWrite(lin, bytes)) return;
  const v = size == 32 ? readLin32(lin) : readLin16(lin);
  if (faulted) return;
  const nv = applyBit(op, v, mask);
  if (size == 32) writeLin32(lin, nv);
  else writeLin16(lin, nv);
  if (faulted) return;
  setFlag(FLAG_CF, (v & mask) != 0);
}

/**
 * BT/BTS/BTR/BTC E, G. With a memory operand the register is a signed bit
 * offset that may reach outside the addressed word: the access is at
 * eaOff + (offset SAR log2(size)) * (size / 8), the bit offset & (size - 1)
 * (SDM Vol. 2A "BT", Table 3-2 "Bit Offset").
 */
export function btEG(op: u32, size: u32): void {
  const off = readG(size);
  let delta: u32 = 0;
  if (!modIsReg) {
    if (size == 32) delta = <u32>((<i32>off >> 5) << 2);
    else delta = <u32>((<i32>(<i16>off) >> 4) << 1);
  }
  bitOnE(op, size, delta, off & (size - 1));
}

/** BT/BTS/BTR/BTC E, imm8: the immediate is taken modulo the operand size. */
export function btEI(op: u32, size: u32): void {
  bitOnE(op, size, 0, imm & (size - 1));
}

/**
 * BSF G, E. A zero source sets ZF and leaves the destination unchanged (the
 * SDM says undefined; Intel and AMD hardware keep it). Other flags: undefined,
 * left unchanged.
 */
export function bsf(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  if (v == 0) {
    setFlag(FLAG_ZF, true);
    return;
  }
  writeG(ctz<u32>(v), size);
  setFlag(FLAG_ZF, false);
}

/** BSR G, E: index of the highest set bit; zero source as BSF. */
export function bsr(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  if (v == 0) {
    setFlag(FLAG_ZF, true);
    return;
  }
  writeG(31 - clz<u32>(v), size);
  setFlag(FLAG_ZF, false);
}

/**
 * BSWAP r32. With a 16-bit operand size the result is undefined (SDM); Intel
 * and AMD hardware clear the low word (as Bochs and QEMU do), so we do too.
 */
export function bswap(r: u32): void {
  if (opSize == 16) {
    setReg16(r, 0);
    return;
  }
  // (The builtin bswap<T> is shadowed by this handler's name.)
  const v = reg32(r);
  setReg32(r, (v << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24));
}

/** SETcc E8 */
export function setcc(cc: u32): void {
  writeE(testCondition(cc) ? 1 : 0, 8);
}

/**
 * CMOVcc G, E. The source is read (and may fault) whatever the condition; a
 * false condition leaves the destination unchanged (in 32-bit modes no
 * zero-extension happens; SDM Vol. 2A "CMOVcc").
 */
export function cmov(cc: u32, size: u32): void {
  const v = readE(size);
  if (faulted) return;
  if (testCondition(cc)) writeG(v, size);
}
