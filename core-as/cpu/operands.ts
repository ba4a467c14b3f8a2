// Operand access for instruction handlers: the ModRM "E" operand (register
// or memory), the "G" register operand, and the stack.
//
// Sizes are in bits (8, 16, 32). Memory forms may fault: check `faulted`
// after every call that touches memory and return without side effects.

import {
  regSized, setRegSized, reg32, setReg32, reg16, setReg16, REG_ESP,
  SEG_SS, segAddr, SEG_ATTR, ATTR_DB,
} from './state';
import { modIsReg, modRm, modReg, eaSeg, eaOff } from './decode';
import { readMem8, readMem16, readMem32, readMemSized, writeMemSized, readMemForWrite, writeMemBack } from './memory';
import { faulted } from './fault';

@inline export function readE(size: u32): u32 {
  if (modIsReg) return regSized(modRm, size);
  // Inlined per size (a constant here): a memory operand read costs no call.
  if (size == 32) return readMem32(eaSeg, eaOff);
  if (size == 16) return readMem16(eaSeg, eaOff);
  return readMem8(eaSeg, eaOff);
}
@inline export function writeE(v: u32, size: u32): void {
  if (modIsReg) setRegSized(modRm, v, size);
  else writeMemSized(eaSeg, eaOff, v, size);
}
@inline export function readG(size: u32): u32 {
  return regSized(modReg, size);
}
@inline export function writeG(v: u32, size: u32): void {
  setRegSized(modReg, v, size);
}

// Read-modify-write of the E operand: the read already checks write access
// (segment rights, page W bit, D bit), as hardware does for RMW instructions,
// so the write-back cannot fault and a fault leaves memory untouched.
@inline export function readEForWrite(size: u32): u32 {
  if (modIsReg) return regSized(modRm, size);
  return readMemForWrite(eaSeg, eaOff, size);
}
@inline export function writeEBack(v: u32, size: u32): void {
  if (modIsReg) setRegSized(modRm, v, size);
  else writeMemBack(v, size);
}

// ---------- stack (SDM Vol. 1 §6.2) ----------

/** True when SS is a 32-bit stack (ESP), false for a 16-bit stack (SP). */
@inline export function stack32(): bool {
  return (load<u32>(segAddr(SEG_SS) + SEG_ATTR) & ATTR_DB) != 0;
}
@inline export function stackPointer(): u32 {
  return stack32() ? reg32(REG_ESP) : reg16(REG_ESP);
}
@inline export function setStackPointer(v: u32): void {
  if (stack32()) setReg32(REG_ESP, v);
  else setReg16(REG_ESP, v);
}
/** SS offset `delta` bytes from the stack pointer, wrapped to the stack size. */
@inline export function stackOffset(delta: u32): u32 {
  const sp = reg32(REG_ESP) + delta;
  return stack32() ? sp : sp & 0xffff;
}

/** Push a value of `size` bits; ESP changes only when the write succeeds. */
export function push(v: u32, size: u32): void {
  const bytes = size >> 3;
  const off = stackOffset(-bytes);
  writeMemSized(SEG_SS, off, v, size);
  if (faulted) return;
  setStackPointer(off);
}
@inline export function push16(v: u32): void {
  push(v, 16);
}
@inline export function push32(v: u32): void {
  push(v, 32);
}
/** Pop a value of `size` bits; ESP changes only when the read succeeds. */
export function pop(size: u32): u32 {
  const v = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return 0;
  setStackPointer(stackOffset(size >> 3));
  return v;
}
