// Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ
// (SDM Vol. 2A "Jcc", "JMP", "CALL", Vol. 2B "RET", "LOOP/LOOPcc").
//
// A near target is an offset in the current code segment: nextEip + rel, or
// a value read from a register or memory, truncated to 16 bits when the
// operand size is 16. The new EIP is checked against the CS limit and a
// target outside it raises #GP(0) at the branch itself (SDM "JMP": "IF
// tempEIP is not within code segment limit THEN #GP(0)"), with nothing changed.

import { reg32, setReg32, reg16, setReg16, REG_ECX, SEG_CS, SEG_SS, segHi } from '../state';
import { testCondition, getZF } from '../flags';
import { imm, nextEip, setNextEip, opSize, addr32 } from '../decode';
import { readE, push, stackOffset, setStackPointer } from '../operands';
import { readMemSized } from '../memory';
import { faulted, raiseGP } from '../fault';

/** LOOP flavours (E0-E2): the extra condition on ZF besides the count. */
export const LOOP_NE: u32 = 0;
export const LOOP_E: u32 = 1;
export const LOOP_ALWAYS: u32 = 2;

/**
 * The target offset at the current operand size, or raise #GP(0) when it is
 * beyond the CS limit. Returns false after a fault.
 */
@inline function checkTarget(target: u32): bool {
  if (target > segHi(SEG_CS)) {
    raiseGP(0);
    return false;
  }
  return true;
}

@inline function truncateTarget(target: u32): u32 {
  return opSize == 16 ? target & 0xffff : target;
}

/** Continue at `target` (already truncated) when it lies inside CS. */
@inline function branchTo(target: u32): void {
  if (checkTarget(target)) setNextEip(target);
}

/** Jcc rel8/rel16/rel32 (70-7F, 0F 80-8F). The limit is checked only when taken. */
@inline export function jcc(cc: u32): void {
  if (testCondition(cc)) branchTo(truncateTarget(nextEip + imm));
}

/** JMP rel8/rel16/rel32 (EB, E9). */
@inline export function jmpNear(size: u32): void {
  branchTo(truncateTarget(nextEip + imm));
}

/** JMP r/m16 r/m32 (FF /4): an absolute offset, zero-extended from 16 bits. */
export function jmpNearE(size: u32): void {
  const target = readE(size);
  if (faulted) return;
  branchTo(target);
}

/**
 * Push the return address, then jump. The target check comes first and the
 * push may fault (#SS, #PF) leaving ESP unchanged (SDM "CALL": the limit
 * check precedes the push).
 */
function callTo(target: u32, size: u32): void {
  if (!checkTarget(target)) return;
  push(nextEip, size);
  if (faulted) return;
  setNextEip(target);
}

/** CALL rel16/rel32 (E8). */
@inline export function callNear(size: u32): void {
  callTo(truncateTarget(nextEip + imm), size);
}

/** CALL r/m16 r/m32 (FF /2). An ESP-based operand uses ESP before the push. */
export function callNearE(size: u32): void {
  const target = readE(size);
  if (faulted) return;
  callTo(target, size);
}

/**
 * RET / RET imm16 (C3, C2): pop the return offset (operand size), check it
 * against the CS limit, then release `release` more bytes of stack. ESP
 * changes only when nothing faulted.
 */
@inline export function retNear(size: u32, release: u32): void {
  const target = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return;
  if (!checkTarget(target)) return;
  setStackPointer(stackOffset((size >> 3) + (release & 0xffff)));
  setNextEip(target);
}

/**
 * LOOP/LOOPE/LOOPNE rel8: decrement the count register (CX or ECX by the
 * ADDRESS size) and branch while it is not zero (and ZF matches). The
 * count is written only after the target check, so a #GP leaves it as it was.
 */
export function loop(kind: u32): void {
  const count = (addr32 ? reg32(REG_ECX) : reg16(REG_ECX)) - 1;
  const live = addr32 ? count != 0 : (count & 0xffff) != 0;
  let taken = live;
  if (taken && kind != LOOP_ALWAYS) taken = getZF() == (kind == LOOP_E);
  if (taken && !checkTarget(truncateTarget(nextEip + imm))) return;
  if (addr32) setReg32(REG_ECX, count);
  else setReg16(REG_ECX, count);
  if (taken) setNextEip(truncateTarget(nextEip + imm));
}

/** JCXZ/JECXZ rel8: branch when CX or ECX (by the address size) is zero. */
export function jcxz(): void {
  const count = addr32 ? reg32(REG_ECX) : reg16(REG_ECX);
  if (count == 0) branchTo(truncateTarget(nextEip + imm));
}
