// Stack instructions: PUSH/POP (register, immediate, memory), PUSHA/POPA,
// PUSHF/POPF, ENTER and LEAVE (SDM Vol. 2B "PUSH", "POP", "PUSHA", "POPA",
// "PUSHF", "POPF", "ENTER", "LEAVE"; stack model: SDM Vol. 1 §6.2).
//
// The stack size (ESP or SP) comes from SS.B; the operand size decides how
// many bytes move. Every handler reads or probes all its memory first and
// writes ESP and the other registers last, so a fault leaves them unchanged.

import {
  reg32, setReg32, reg16, setReg16, regSized, setRegSized, REG_ESP, REG_EBP, SEG_SS,
  cr0, CR0_PE, cpl, FLAG_TF, FLAG_IF, FLAG_DF, FLAG_NT, FLAG_AC, FLAG_ID, FLAG_IOPL, FLAG_IOPL_SHIFT,
  FLAG_RF, FLAG_VM, FLAGS_ARITH,
} from '../state';
import { getEflags, setEflagsRaw, sizeMask } from '../flags';
import { imm, imm2, modIsReg, modRm, eaSeg, eaOff, addr32, instrEip } from '../decode';
import { readE, push, stack32, stackOffset, setStackPointer } from '../operands';
import { readMemSized, writeMemSized, probeWriteMem, fetchCode8 } from '../memory';
import { faulted, raiseGP } from '../fault';
import { setDebugChecks } from '../interp';

/** ENTER's nesting level is taken modulo 32 (SDM "ENTER": NestingLevel ← imm8 MOD 32). */
const ENTER_LEVEL_MASK: u32 = 31;
/** The ModRM r/m value that announces a SIB byte in 32-bit addressing. */
const RM_SIB: u32 = 4;
const SIB_BASE_MASK: u32 = 7;
/** POPA skips the saved ESP: its slot is the fourth from the top (SDM "POPA"). */
const POPA_SLOTS: u32 = 8;

/** PUSH r16/r32. PUSH ESP pushes the value ESP had before the instruction. */
@inline export function pushReg(r: u32, size: u32): void {
  push(regSized(r, size), size);
}

/**
 * POP r16/r32. POP ESP: the stack pointer is incremented first, then the
 * popped value is written to it, so the value wins (SDM "POP").
 */
@inline export function popReg(r: u32, size: u32): void {
  const v = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return;
  setStackPointer(stackOffset(size >> 3));
  setRegSized(r, v, size);
}

/** PUSH imm16/imm32 (6A: imm8 sign-extended to the operand size). */
@inline export function pushImm(size: u32): void {
  push(imm & sizeMask(size), size);
}

/** PUSH r/m16 r/m32 (FF /6). An ESP-based address uses ESP before the push. */
export function pushE(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  push(v, size);
}

/** Prefix bytes, for finding the SIB byte of the instruction being executed. */
function isPrefixByte(b: u32): bool {
  return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
    b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

/**
 * True when the memory operand of the current 8F /0 uses ESP as its SIB
 * base. decode.ts keeps no SIB byte, so re-read it: the opcode is the first
 * byte after the prefixes, then ModRM, then SIB (all fetched already, so
 * this cannot fault).
 */
function sibBaseIsEsp(): bool {
  if (!addr32 || modIsReg || modRm != RM_SIB) return false;
  let p = instrEip;
  while (isPrefixByte(fetchCode8(p))) p++;
  return (fetchCode8(p + 2) & SIB_BASE_MASK) == REG_ESP;
}

/**
 * POP r/m16 r/m32 (8F /0). With an ESP-based address the address is
 * computed with ESP after the pop (SDM "POP": "If the ESP register is used
 * as a base register for addressing a destination operand in memory, the POP
 * instruction computes the effective address of the operand after it
 * increments the ESP register").
 */
export function popE(size: u32): void {
  const v = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return;
  const newSp = stackOffset(size >> 3);
  if (modIsReg) {
    setStackPointer(newSp);
    setRegSized(modRm, v, size);
    return;
  }
  let off = eaOff;
  if (sibBaseIsEsp()) {
    const oldEsp = reg32(REG_ESP);
    const newEsp = stack32() ? newSp : (oldEsp & 0xffff0000) | newSp;
    off = off - oldEsp + newEsp;
  }
  writeMemSized(eaSeg, off, v, size);
  if (faulted) return;
  setStackPointer(newSp);
}

/**
 * PUSHA/PUSHAD: EAX ECX EDX EBX (original ESP) EBP ESI EDI. All eight slots
 * are probed first so a fault leaves memory and ESP unchanged.
 */
export function pusha(size: u32): void {
  const bytes = size >> 3;
  for (let i: u32 = 1; i <= POPA_SLOTS; i++) {
    probeWriteMem(SEG_SS, stackOffset(-(i * bytes)), bytes);
    if (faulted) return;
  }
  // ESP itself is not written until the end, so regSized(REG_ESP) is its original value.
  for (let r: u32 = 0; r < POPA_SLOTS; r++) {
    writeMemSized(SEG_SS, stackOffset(-((r + 1) * bytes)), regSized(r, size), size);
    if (faulted) return;
  }
  setStackPointer(stackOffset(-(POPA_SLOTS * bytes)));
}

/** POPA/POPAD: the reverse of PUSHA; the saved ESP slot is skipped (SDM "POPA"). */
export function popa(size: u32): void {
  const bytes = size >> 3;
  const vEdi = readMemSized(SEG_SS, stackOffset(0), size);
  const vEsi = readMemSized(SEG_SS, stackOffset(bytes), size);
  const vEbp = readMemSized(SEG_SS, stackOffset(2 * bytes), size);
  const vEbx = readMemSized(SEG_SS, stackOffset(4 * bytes), size);
  const vEdx = readMemSized(SEG_SS, stackOffset(5 * bytes), size);
  const vEcx = readMemSized(SEG_SS, stackOffset(6 * bytes), size);
  const vEax = readMemSized(SEG_SS, stackOffset(7 * bytes), size);
  if (faulted) return;
  setRegSized(7, vEdi, size);
  setRegSized(6, vEsi, size);
  setRegSized(REG_EBP, vEbp, size);
  setRegSized(3, vEbx, size);
  setRegSized(2, vEdx, size);
  setRegSized(1, vEcx, size);
  setRegSized(0, vEax, size);
  setStackPointer(stackOffset(POPA_SLOTS * bytes));
}

@inline function currentIopl(flags: u32): u32 {
  return (flags & FLAG_IOPL) >> FLAG_IOPL_SHIFT;
}

/**
 * PUSHF/PUSHFD. In virtual-8086 mode with IOPL < 3 it is IOPL-sensitive and
 * raises #GP(0) (this CPU has no VME). VM and RF read as 0 in the pushed
 * image (SDM "PUSHF": "the VM and RF flags are cleared in the image").
 */
export function pushf(size: u32): void {
  const flags = getEflags();
  if ((flags & FLAG_VM) != 0 && currentIopl(flags) < 3) {
    raiseGP(0);
    return;
  }
  push(flags & ~(FLAG_VM | FLAG_RF), size);
}

/**
 * POPF/POPFD (SDM "POPF", Table 4-16):
 * - real mode and CPL 0: every writable flag except VM, RF, VIF and VIP
 *   (the current SDM: "VIP, VIF and VM remain unaffected"), IOPL included;
 * - CPL > 0: IOPL unchanged, IF only when CPL <= IOPL;
 * - virtual-8086 mode: #GP(0) unless IOPL = 3, then IOPL unchanged.
 * The 16-bit form touches only FLAGS[15:0]; the 32-bit form clears RF.
 */
export function popf(size: u32): void {
  const cur = getEflags();
  const iopl = currentIopl(cur);
  const v86 = (cur & FLAG_VM) != 0;
  if (v86 && iopl < 3) {
    raiseGP(0);
    return;
  }
  const v = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return;
  let mask: u32 = FLAGS_ARITH | FLAG_TF | FLAG_DF | FLAG_NT | FLAG_AC | FLAG_ID;
  if (v86) {
    mask |= FLAG_IF;
  } else if ((cr0() & CR0_PE) == 0 || cpl() == 0) {
    mask |= FLAG_IF | FLAG_IOPL;
  } else if (cpl() <= iopl) {
    mask |= FLAG_IF;
  }
  if (size == 16) mask &= 0xffff;
  let next = (cur & ~mask) | (v & mask);
  if (size == 32) next &= ~FLAG_RF;
  setStackPointer(stackOffset(size >> 3));
  setEflagsRaw(next);
  // The interpreter checks TF only while debug checks are on (interp.ts).
  if ((next & FLAG_TF) != 0) setDebugChecks(true);
}

/**
 * ENTER imm16, imm8 (SDM "ENTER"): push EBP, copy `level - 1` frame pointers
 * from the previous frame, push the new frame pointer, then allocate. The
 * stack writes are probed first and ESP/EBP are written last, so a fault
 * leaves both unchanged. EBP receives the frame pointer at the stack size,
 * as the SDM's pseudo-code has it.
 */
export function enter(size: u32): void {
  const bytes = size >> 3;
  const alloc = imm & 0xffff;
  const level = imm2 & ENTER_LEVEL_MASK;
  const big = stack32();
  const frameTemp = stackOffset(-bytes);
  const writes: u32 = level == 0 ? 1 : level + 1;
  for (let i: u32 = 1; i <= writes; i++) {
    probeWriteMem(SEG_SS, stackOffset(-(i * bytes)), bytes);
    if (faulted) return;
  }
  writeMemSized(SEG_SS, frameTemp, regSized(REG_EBP, size), size);
  if (faulted) return;
  if (level > 0) {
    let ebp = reg32(REG_EBP);
    for (let i: u32 = 1; i < level; i++) {
      ebp -= bytes;
      const v = readMemSized(SEG_SS, big ? ebp : ebp & 0xffff, size);
      if (faulted) return;
      writeMemSized(SEG_SS, stackOffset(-((i + 1) * bytes)), v, size);
      if (faulted) return;
    }
    writeMemSized(SEG_SS, stackOffset(-((level + 1) * bytes)), frameTemp, size);
    if (faulted) return;
  }
  const newSp = frameTemp - level * bytes - alloc;
  if (big) {
    setReg32(REG_EBP, frameTemp);
    setReg32(REG_ESP, newSp);
  } else {
    setReg16(REG_EBP, frameTemp);
    setReg16(REG_ESP, newSp);
  }
}

/** LEAVE: ESP ← EBP (stack size), then EBP ← pop (operand size). */
export function leave(size: u32): void {
  const big = stack32();
  const sp = big ? reg32(REG_EBP) : reg16(REG_EBP);
  const v = readMemSized(SEG_SS, sp, size);
  if (faulted) return;
  const newSp = sp + (size >> 3);
  if (big) setReg32(REG_ESP, newSp);
  else setReg16(REG_ESP, newSp);
  setRegSized(REG_EBP, v, size);
}
