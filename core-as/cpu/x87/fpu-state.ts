// x87 FPU state: the register stack (TOP, tags), status and control words,
// exception reporting (#MF with CR0.NE=1, FERR#/IRQ 13 without it), device-
// not-available (#NM: CR0.EM/TS/MP) and the MMX aliasing hooks.
// Reference: SDM Vol. 1 ch. 8 (§8.1 registers, §8.5/§8.7 exceptions and
// their delivery), Vol. 3A §2.5 (CR0), §9.2 (x87 initialization).
//
// Storage (cpu/state.ts): the FXSAVE image at OFF_FPU with the physical
// registers R0-R7 in 16-byte slots (64-bit significand, then the sign/exponent
// word), and the full tag word at OFF_FPU_FTW (2 bits per physical register:
// 0 valid, 1 zero, 2 special, 3 empty).

import { CPU_STATE } from '../../machine/layout';
import {
  CR0_EM,
  CR0_MP,
  CR0_NE,
  CR0_TS,
  OFF_FPU,
  OFF_FPU_FCS,
  OFF_FPU_FCW,
  OFF_FPU_FDP,
  OFF_FPU_FDS,
  OFF_FPU_FIP,
  OFF_FPU_FOP,
  OFF_FPU_FSW,
  OFF_FPU_FTW,
  OFF_FPU_ST,
  OFF_MXCSR,
  FPU_REG_STRIDE,
  SEG_CS,
  cr0,
  segSel,
} from '../state';
import { EXC_MF, EXC_NM, raiseFault } from '../fault';
import { instrEip, modrm, opcode, eaOff, eaSeg, modIsReg } from '../decode';
import { raiseIrq } from '../../machine/irq';
import { EXP_MAX, J_BIT, FLAG_IE, roundedUp, INDEFINITE_SE, INDEFINITE_SIG } from './float80';

export const TAG_VALID: u32 = 0;
export const TAG_ZERO: u32 = 1;
export const TAG_SPECIAL: u32 = 2;
export const TAG_EMPTY: u32 = 3;

export const FSW_EXCEPTIONS: u32 = 0x3f;
export const FSW_SF: u32 = 1 << 6;
export const FSW_ES: u32 = 1 << 7;
export const FSW_C0: u32 = 1 << 8;
export const FSW_C1: u32 = 1 << 9;
export const FSW_C2: u32 = 1 << 10;
export const FSW_C3: u32 = 1 << 14;
export const FSW_B: u32 = 1 << 15;
export const FSW_TOP_SHIFT: u32 = 11;
export const FSW_TOP_MASK: u32 = 7 << 11;
export const FSW_CC: u32 = FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3;

export const FCW_PC_SHIFT: u32 = 8;
export const FCW_RC_SHIFT: u32 = 10;
/** FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest. */
export const FCW_INIT: u32 = 0x037f;
/** Power-on control word (SDM Vol. 3A Table 9-1). */
export const FCW_RESET: u32 = 0x0040;
export const MXCSR_DEFAULT: u32 = 0x1f80;
/** FPU "zero" tags for all registers, as after RESET. */
const FTW_RESET: u32 = 0x5555;
const FTW_ALL_EMPTY: u32 = 0xffff;

// ---------- words ----------

@inline export function fcw(): u32 {
  return <u32>load<u16>(CPU_STATE + OFF_FPU_FCW);
}
@inline export function setFcw(v: u32): void {
  store<u16>(CPU_STATE + OFF_FPU_FCW, <u16>v);
}
@inline export function fsw(): u32 {
  return <u32>load<u16>(CPU_STATE + OFF_FPU_FSW);
}
@inline export function setFsw(v: u32): void {
  store<u16>(CPU_STATE + OFF_FPU_FSW, <u16>v);
}
@inline export function ftw(): u32 {
  return <u32>load<u16>(CPU_STATE + OFF_FPU_FTW);
}
@inline export function setFtw(v: u32): void {
  store<u16>(CPU_STATE + OFF_FPU_FTW, <u16>v);
}
@inline export function fpuTop(): u32 {
  return (fsw() >> FSW_TOP_SHIFT) & 7;
}
@inline export function setTop(t: u32): void {
  setFsw((fsw() & ~FSW_TOP_MASK) | ((t & 7) << FSW_TOP_SHIFT));
}
/** Rounding control (0 nearest, 1 down, 2 up, 3 toward zero). */
@inline export function fpuRc(): u32 {
  return (fcw() >> FCW_RC_SHIFT) & 3;
}
/** Precision control as significand bits: 24, 53 or 64 (PC=01, reserved, behaves as 64 on P6? no: 24). */
export function fpuPrecision(): u32 {
  const pc = (fcw() >> FCW_PC_SHIFT) & 3;
  // PC 00 = 24 bits, 10 = 53 bits, 11 = 64 bits; 01 is reserved (the P6 rounds to 64 bits).
  return pc == 0 ? 24 : pc == 2 ? 53 : 64;
}
@inline export function fpuMasks(): u32 {
  return fcw() & FSW_EXCEPTIONS;
}

// ---------- registers ----------

@inline export function physAddr(phys: u32): u32 {
  return CPU_STATE + OFF_FPU_ST + (phys & 7) * FPU_REG_STRIDE;
}
@inline export function stPhys(i: u32): u32 {
  return (fpuTop() + i) & 7;
}
@inline export function physTag(phys: u32): u32 {
  return (ftw() >> ((phys & 7) * 2)) & 3;
}
export function setPhysTag(phys: u32, tag: u32): void {
  const sh = (phys & 7) * 2;
  setFtw((ftw() & ~(<u32>3 << sh)) | ((tag & 3) << sh));
}
@inline export function stEmpty(i: u32): bool {
  return physTag(stPhys(i)) == TAG_EMPTY;
}
@inline export function stSe(i: u32): u32 {
  return <u32>load<u16>(physAddr(stPhys(i)) + 8);
}
@inline export function stSig(i: u32): u64 {
  return load<u64>(physAddr(stPhys(i)));
}

/** The tag a value gets when written (SDM Vol. 1 §8.1.7). */
export function tagFor(se: u32, sig: u64): u32 {
  const e = <i32>(se & 0x7fff);
  if (e == EXP_MAX) return TAG_SPECIAL;
  if (e == 0) return sig == 0 ? TAG_ZERO : TAG_SPECIAL;
  return (sig & J_BIT) != 0 ? TAG_VALID : TAG_SPECIAL;
}

export function writePhys(phys: u32, se: u32, sig: u64): void {
  const a = physAddr(phys);
  store<u64>(a, sig);
  store<u16>(a + 8, <u16>se);
  setPhysTag(phys, tagFor(se, sig));
}
@inline export function setSt(i: u32, se: u32, sig: u64): void {
  writePhys(stPhys(i), se, sig);
}
export function pushValue(se: u32, sig: u64): void {
  const t = (fpuTop() - 1) & 7;
  setTop(t);
  writePhys(t, se, sig);
}
export function popStack(): void {
  setPhysTag(fpuTop(), TAG_EMPTY);
  setTop(fpuTop() + 1);
}

// ---------- instruction entry ----------

/** CR0.EM or CR0.TS: an x87 instruction raises #NM (SDM Vol. 3A §2.5, Table 2-2). */
export function fpuUnavailable(): bool {
  if ((cr0() & (CR0_EM | CR0_TS)) != 0) {
    raiseFault(EXC_NM);
    return true;
  }
  return false;
}

/**
 * A waiting instruction with an unmasked exception pending (FSW.ES): #MF
 * with CR0.NE=1; with CR0.NE=0 the PC's FERR# path raises IRQ 13 and the
 * instruction goes on (as on a PC whose IRQ 13 handler then clears it and
 * writes port F0h). Returns true when the instruction must stop.
 */
export function fpuPendingFault(): bool {
  if ((fsw() & FSW_ES) == 0) return false;
  if ((cr0() & CR0_NE) != 0) {
    raiseFault(EXC_MF);
    return true;
  }
  raiseIrq(IRQ_FERR);
  return false;
}
export const IRQ_FERR: u32 = 13;

/** Entry of a waiting x87 instruction: #NM, then a pending #MF. True = go on. */
export function x87Begin(): bool {
  if (fpuUnavailable()) return false;
  return !fpuPendingFault();
}

/** Entry of a non-waiting control instruction (FNINIT, FNSTSW, ...): #NM only. */
export function x87BeginNoWait(): bool {
  return !fpuUnavailable();
}

/** WAIT/FWAIT: #NM only when both MP and TS are set, then pending exceptions. */
export function x87WaitCheck(): void {
  if ((cr0() & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) {
    raiseFault(EXC_NM);
    return;
  }
  fpuPendingFault();
}

/** Record FIP/FCS/FOP and, for memory operands, FDP/FDS (non-control instructions). */
export function recordLastInstruction(): void {
  store<u32>(CPU_STATE + OFF_FPU_FIP, instrEip);
  store<u16>(CPU_STATE + OFF_FPU_FCS, <u16>segSel(SEG_CS));
  store<u16>(CPU_STATE + OFF_FPU_FOP, <u16>(((opcode & 7) << 8) | (modrm & 0xff)));
  if (!modIsReg) {
    store<u32>(CPU_STATE + OFF_FPU_FDP, eaOff);
    store<u16>(CPU_STATE + OFF_FPU_FDS, <u16>segSel(eaSeg));
  }
}

// ---------- exception reporting ----------

/**
 * Merge exception flags into FSW; ES and B follow any unmasked one. C1 (when
 * `setC1`) reports the rounding direction, unless a stack fault set it.
 */
export function reportFlags(flags: u32): void {
  let s = fsw() | (flags & FSW_EXCEPTIONS);
  if ((s & FSW_EXCEPTIONS & ~fpuMasks()) != 0) s |= FSW_ES | FSW_B;
  setFsw(s);
}

/** Set C1 from the last rounding (clear when not rounded up). */
export function setC1FromRounding(): void {
  const s = fsw() & ~FSW_C1;
  setFsw(roundedUp ? s | FSW_C1 : s);
}

@inline export function setCondition(mask: u32, bits: u32): void {
  setFsw((fsw() & ~mask) | (bits & mask));
}

/** True when flag is raised in this operation and unmasked: the destination is left alone. */
@inline export function unmaskedRaised(flags: u32, which: u32): bool {
  return (flags & which & ~fpuMasks()) != 0;
}

/**
 * Stack underflow (an empty source register): IE + SF, C1 = 0. Returns true
 * when masked, i.e. the destination receives the QNaN indefinite.
 */
export function stackUnderflow(): bool {
  setFsw(fsw() & ~FSW_C1);
  reportFlags(FLAG_IE | FSW_SF);
  setFsw(fsw() | FSW_SF);
  return (fpuMasks() & FLAG_IE) != 0;
}

/** Stack overflow (push onto a non-empty register): IE + SF, C1 = 1. True when masked. */
export function stackOverflow(): bool {
  reportFlags(FLAG_IE);
  setFsw(fsw() | FSW_SF | FSW_C1);
  return (fpuMasks() & FLAG_IE) != 0;
}

/** Push the indefinite after a masked overflow (the destination of a load). */
export function pushIndefinite(): void {
  pushValue(INDEFINITE_SE, INDEFINITE_SIG);
}

// ---------- whole-state operations ----------

/** FNINIT (SDM Vol. 1 §8.1.9 / Table 8-8): control 037Fh, status 0, all tags empty, pointers 0. */
export function fpuInit(): void {
  setFcw(FCW_INIT);
  setFsw(0);
  setFtw(FTW_ALL_EMPTY);
  store<u16>(CPU_STATE + OFF_FPU_FOP, 0);
  store<u32>(CPU_STATE + OFF_FPU_FIP, 0);
  store<u32>(CPU_STATE + OFF_FPU_FCS, 0);
  store<u32>(CPU_STATE + OFF_FPU_FDP, 0);
  store<u32>(CPU_STATE + OFF_FPU_FDS, 0);
}

/** RESET state (SDM Vol. 3A Table 9-1): FCW 0040h, tags 5555h (all zero), registers +0, MXCSR 1F80h. */
export function fpuReset(): void {
  memory.fill(CPU_STATE + OFF_FPU, 0, 512);
  setFcw(FCW_RESET);
  setFtw(FTW_RESET);
  store<u32>(CPU_STATE + OFF_MXCSR, MXCSR_DEFAULT);
}

/**
 * An MMX instruction (other than EMMS) makes the x87 registers MMX registers:
 * TOP = 0 and every tag valid (SDM Vol. 1 §9.5.1). Called by the MMX handlers
 * after their #NM/#MF checks (`x87Begin` serves them too).
 */
export function fpuEnterMmxMode(): void {
  setTop(0);
  setFtw(0);
}

/** EMMS: all tags empty (SDM Vol. 1 §9.5.2). */
export function fpuEmms(): void {
  setFtw(FTW_ALL_EMPTY);
}

/** Abridged tag byte for FXSAVE: bit i set when Ri is not empty. */
export function abridgedTagByte(): u32 {
  let b: u32 = 0;
  const t = ftw();
  for (let i: u32 = 0; i < 8; i++) if (((t >> (i * 2)) & 3) != TAG_EMPTY) b |= <u32>1 << i;
  return b;
}

/** Full tag word from an abridged byte and the register contents (FXRSTOR). */
export function tagsFromAbridged(b: u32): void {
  let t: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) {
    let tag = TAG_EMPTY;
    if ((b & (<u32>1 << i)) != 0) {
      const a = physAddr(i);
      tag = tagFor(<u32>load<u16>(a + 8), load<u64>(a));
    }
    t |= tag << (i * 2);
  }
  setFtw(t);
}
