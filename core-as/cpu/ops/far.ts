// Far control transfers: JMP ptr16:16/32 and m16:16/32, CALL far, RETF,
// IRET, in real mode, protected mode (same and changed privilege, conforming
// code, call gates, task gates and TSS descriptors) and virtual-8086 mode
// (SDM Vol. 2A "CALL", "IRET", "JMP", Vol. 2B "RET", Operation sections;
// Vol. 3A §5.8 privilege changes, §7.3 task switching, §20.3 v86 entry/exit).
//
// Every transfer reads and checks everything first; stack frames are
// written all or nothing (protected/frame.ts); registers change last.

import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, REG_ESP, ATTR_DB, ATTR_CODE, ATTR_DC, ATTR_S,
  FLAG_TF, FLAG_IF, FLAG_IOPL, FLAG_IOPL_SHIFT, FLAG_NT, FLAG_RF, FLAG_VM, FLAG_AC, FLAG_ID, FLAG_VIF, FLAG_VIP, FLAGS_WRITABLE,
  CR4_VME, cpl, setCpl, cr4, segSel, segLimit, segAttr, reg32, setReg32, loadRealSegment, loadNullSegment,
} from '../state';
import { getEflags } from '../flags';
import { imm, imm2, eaSeg, eaOff, nextEip, setNextEip } from '../decode';
import { readMem16, readMemSized, invalidateFetch } from '../memory';
import { stackOffset, setStackPointer } from '../operands';
import { faulted, raiseGP, raiseNP, raiseSS } from '../fault';
import {
  readNonNullDescriptor, descLo, descHi, descAddr, descriptorBase, descriptorLimit, descriptorAttr, descriptorDpl,
  descriptorType, descriptorPresent, requirePresent, descriptorAccessible, isSegmentDescriptor, isCodeDescriptor, isConformingCode,
  isWritableData, isAvailableTss, setAccessedBit, loadCodeSegment, commitDataSegment, loadV86Segment, protectedMode, v86Mode,
  isNullSelector, selectorError, SEL_RPL_MASK, SEL_TI, SEL_ERROR_MASK, SYS_TASK_GATE, SYS_CALL_GATE16, SYS_CALL_GATE32,
  SYS_TYPE_32,
} from '../protected/descriptors';
import { frameBegin, frameBeginCurrent, framePush, frameSp } from '../protected/frame';
import {
  switchTask, switchTaskThroughGate, taskReturn, readTssStack, checkInnerStack, tssSs, tssEsp, stackLo, stackHi, stackAddr,
  TASK_JMP, TASK_CALL,
} from '../protected/tasks';
import { setStackTop, currentStackIsBig } from '../protected/interrupts';
import { nmiUnblock } from '../external';
import { writeEflagsMasked, EFLAGS_ALWAYS } from '../protected/eflags';

/** The parameter count field of a call gate (bits 0-4 of the high word). */
const CALL_GATE_PARAMS_MASK: u32 = 0x1f;
const V86_IP_LIMIT: u32 = 0xffff;

// ---------------------------------------------------------------- entries

/** JMP ptr16:16 / ptr16:32 (EA). */
export function jmpFarImm(size: u32): void {
  farJump(imm2, imm, size);
}

/** JMP m16:16 / m16:32 (FF /5). */
export function jmpFarE(size: u32): void {
  if (!readFarPointer(size)) return;
  farJump(farSel, farOff, size);
}

/** CALL ptr16:16 / ptr16:32 (9A). */
export function callFarImm(size: u32): void {
  farCall(imm2, imm, size);
}

/** CALL m16:16 / m16:32 (FF /3). */
export function callFarE(size: u32): void {
  if (!readFarPointer(size)) return;
  farCall(farSel, farOff, size);
}

// The far pointer readFarPointer read.
let farOff: u32 = 0;
let farSel: u32 = 0;

/** Read the m16:16/m16:32 operand: the offset, then the selector after it; false after a fault. */
function readFarPointer(size: u32): bool {
  const off = readMemSized(eaSeg, eaOff, size);
  if (faulted) return false;
  const sel = readMem16(eaSeg, eaOff + (size >> 3));
  if (faulted) return false;
  farOff = off;
  farSel = sel;
  return true;
}

/** RETF / RETF imm16 (CB, CA): `popBytes` more bytes are released after CS:EIP. */
export function retFar(size: u32, popBytes: u32): void {
  if (!protectedMode() || v86Mode()) {
    retFarReal(size, popBytes & 0xffff);
    return;
  }
  returnProtected(size, popBytes & 0xffff, false);
}

/** IRET / IRETD (CF). */
export function iret(size: u32): void {
  iretBody(size);
  // A completed IRET ends NMI blocking (SDM Vol. 3A §6.7.1; QEMU's iret helpers likewise).
  if (!faulted) nmiUnblock();
}

function iretBody(size: u32): void {
  if (!protectedMode()) {
    iretReal(size);
    return;
  }
  if (v86Mode()) {
    iretV86(size);
    return;
  }
  if ((getEflags() & FLAG_NT) != 0) {
    // Nested task: return to the task in the back link (SDM Vol. 3A §7.4).
    taskReturn(nextEip);
    return;
  }
  returnProtected(size, 0, true);
}

// ---------------------------------------------------------------- real and v86 mode

/** Real mode and v86 mode: CS = selector, base = selector × 16. */
function loadCsReal(sel: u32): void {
  if (v86Mode()) loadV86Segment(SEG_CS, sel);
  else loadRealSegment(SEG_CS, sel);
  invalidateFetch();
}

/** The CS limit a real-mode or v86 transfer checks the new IP against. */
@inline function realCodeLimit(): u32 {
  return v86Mode() ? V86_IP_LIMIT : segLimit(SEG_CS);
}

function farJumpReal(sel: u32, off: u32): void {
  if (off > realCodeLimit()) {
    raiseGP(0);
    return;
  }
  loadCsReal(sel);
  setNextEip(off);
}

function farCallReal(sel: u32, off: u32, size: u32): void {
  if (off > realCodeLimit()) {
    raiseGP(0);
    return;
  }
  const bytes = size >> 3;
  const user = cpl() == 3;
  for (let pass = 0; pass < 2; pass++) {
    frameBeginCurrent(user, 0, pass == 1);
    framePush(segSel(SEG_CS), bytes);
    framePush(nextEip, bytes);
    if (faulted) return;
  }
  setStackTop(frameSp(), currentStackIsBig());
  loadCsReal(sel);
  setNextEip(off);
}

function retFarReal(size: u32, popBytes: u32): void {
  const bytes = size >> 3;
  const off = readMemSized(SEG_SS, stackOffset(0), size);
  const sel = readMemSized(SEG_SS, stackOffset(bytes), size) & 0xffff;
  if (faulted) return;
  if (off > realCodeLimit()) {
    raiseGP(0);
    return;
  }
  setStackPointer(stackOffset((bytes << 1) + popBytes));
  loadCsReal(sel);
  setNextEip(off);
}

/** Pop IP/EIP, CS and FLAGS/EFLAGS without committing; false after a fault. */
let popEip: u32 = 0;
let popCs: u32 = 0;
let popFlags: u32 = 0;
function readIretFrame(size: u32): bool {
  const bytes = size >> 3;
  const off = readMemSized(SEG_SS, stackOffset(0), size);
  const sel = readMemSized(SEG_SS, stackOffset(bytes), size) & 0xffff;
  const flags = readMemSized(SEG_SS, stackOffset(bytes << 1), size);
  if (faulted) return false;
  popEip = off;
  popCs = sel;
  popFlags = flags;
  return true;
}

function iretReal(size: u32): void {
  if (!readIretFrame(size)) return;
  if (popEip > segLimit(SEG_CS)) {
    raiseGP(0);
    return;
  }
  commitIretReal(size, popFlags, EFLAGS_ALWAYS | FLAG_TF | FLAG_IF | FLAG_IOPL | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID, 0);
}

/**
 * Finish a real-mode or v86 IRET whose frame readIretFrame read: release it,
 * load CS:EIP, and take the bits of `mask` from `flags` (a 16-bit IRET only
 * those of the low half) and those of `always` whatever the size.
 */
function commitIretReal(size: u32, flags: u32, mask: u32, always: u32): void {
  setStackPointer(stackOffset(3 * (size >> 3)));
  loadCsReal(popCs);
  writeEflagsMasked(flags, (size == 16 ? mask & 0xffff : mask) | always);
  setNextEip(popEip);
}

/**
 * IRET in virtual-8086 mode (SDM Vol. 3A §20.2.7): at IOPL 3 as in real mode
 * but IOPL itself is kept; otherwise #GP(0) to the monitor, except a 16-bit
 * IRET under CR4.VME, which may only move IF into VIF (§20.4).
 */
function iretV86(size: u32): void {
  const flags = getEflags();
  const iopl = (flags & FLAG_IOPL) >> FLAG_IOPL_SHIFT;
  const vme = iopl < 3 && size == 16 && (cr4() & CR4_VME) != 0;
  if (iopl < 3 && !vme) {
    raiseGP(0);
    return;
  }
  if (!readIretFrame(size)) return;
  if (popEip > V86_IP_LIMIT) {
    raiseGP(0);
    return;
  }
  if (vme) {
    if ((popFlags & FLAG_TF) != 0 || ((flags & FLAG_VIP) != 0 && (popFlags & FLAG_IF) != 0)) {
      raiseGP(0);
      return;
    }
    // IF and IOPL stay; the popped IF becomes VIF.
    const vif: u32 = (popFlags & FLAG_IF) != 0 ? FLAG_VIF : 0;
    commitIretReal(size, popFlags | vif, EFLAGS_ALWAYS | FLAG_NT, FLAG_VIF);
    return;
  }
  commitIretReal(size, popFlags, EFLAGS_ALWAYS | FLAG_TF | FLAG_IF | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID, 0);
}

// ---------------------------------------------------------------- protected mode: JMP and CALL

function farJump(sel: u32, off: u32, size: u32): void {
  if (!protectedMode() || v86Mode()) {
    farJumpReal(sel, off);
    return;
  }
  if (!readNonNullDescriptor(sel, 0)) return;
  const lo = descLo;
  const hi = descHi;
  const addr = descAddr;
  const current = cpl();

  if (isSegmentDescriptor(hi)) {
    if (!checkDirectCodeTarget(sel, hi, current)) return;
    jumpSameLevel(sel, lo, hi, addr, off, current);
    return;
  }
  if (isTaskTarget(descriptorType(hi))) {
    farTaskSwitch(sel, lo, hi, addr, TASK_JMP);
    return;
  }
  // JMP through a call gate: the target runs at the same privilege (SDM Vol. 2A "JMP", CALL-GATE).
  if (!readCallGateTarget(sel, lo, hi, current)) return;
  const cHi = descHi;
  if (!checkGateCodeTarget(cHi, current, true)) return;
  jumpSameLevel(gateTarget, descLo, cHi, descAddr, gateOffset, current);
}

/** A TSS or task gate named by JMP/CALL: a task switch (SDM Vol. 3A §7.3). */
@inline function isTaskTarget(type: u32): bool {
  return isAvailableTss(type) || type == SYS_TASK_GATE;
}

/** JMP/CALL (`source`) to a TSS or task gate: DPL >= max(CPL, RPL), then the switch. */
function farTaskSwitch(sel: u32, lo: u32, hi: u32, addr: u32, source: u32): void {
  if (!descriptorAccessible(hi, sel & SEL_RPL_MASK, cpl())) {
    raiseGP(selectorError(sel));
    return;
  }
  if (descriptorType(hi) == SYS_TASK_GATE) {
    switchTaskThroughGate(sel, hi, lo >>> 16, source, nextEip, 0);
    return;
  }
  if (!taskTargetPresent(sel, hi)) return;
  switchTask(sel, lo, hi, addr, source, nextEip, 0);
}

/** A TSS named directly by JMP/CALL: in the GDT and present. */
function taskTargetPresent(sel: u32, hi: u32): bool {
  if ((sel & SEL_TI) != 0) {
    raiseGP(selectorError(sel));
    return false;
  }
  if (!requirePresent(sel, hi, 0)) return false;
  return true;
}

/**
 * A code segment named directly by JMP/CALL: conforming needs DPL <= CPL,
 * non-conforming RPL <= CPL and DPL = CPL; then present.
 */
function checkDirectCodeTarget(sel: u32, hi: u32, current: u32): bool {
  const dpl = descriptorDpl(hi);
  if (!isCodeDescriptor(hi)) {
    raiseGP(selectorError(sel));
    return false;
  }
  if (isConformingCode(hi) ? dpl > current : (sel & SEL_RPL_MASK) > current || dpl != current) {
    raiseGP(selectorError(sel));
    return false;
  }
  if (!requirePresent(sel, hi, 0)) return false;
  return true;
}

/** The new EIP must lie within the new code segment: #GP(0) otherwise. */
function checkCodeLimit(off: u32, lo: u32, hi: u32): bool {
  if (off > descriptorLimit(lo, hi)) {
    raiseGP(0);
    return false;
  }
  return true;
}

/** JMP to a checked code segment at the current privilege: limit, accessed bit, commit. */
function jumpSameLevel(sel: u32, lo: u32, hi: u32, addr: u32, off: u32, current: u32): void {
  if (!checkCodeLimit(off, lo, hi)) return;
  setAccessedBit(addr, hi);
  if (faulted) return;
  loadCodeSegment(sel, lo, hi, current);
  setNextEip(off);
}

/**
 * CALL to a checked code segment at the current privilege: limit, then
 * CS:EIP pushed in `bytes`-sized slots (check pass, then write pass; the
 * accessed bit between them), then the commit.
 */
function callSameLevel(sel: u32, lo: u32, hi: u32, addr: u32, off: u32, bytes: u32, current: u32): void {
  if (!checkCodeLimit(off, lo, hi)) return;
  const user = current == 3;
  for (let pass = 0; pass < 2; pass++) {
    frameBeginCurrent(user, 0, pass == 1);
    framePush(segSel(SEG_CS), bytes);
    framePush(nextEip, bytes);
    if (faulted) return;
    if (pass == 0) {
      setAccessedBit(addr, hi);
      if (faulted) return;
    }
  }
  setStackTop(frameSp(), currentStackIsBig());
  loadCodeSegment(sel, lo, hi, current);
  setNextEip(off);
}

// The call gate being used: its target selector and offset, and whether it is 32-bit.
let gateTarget: u32 = 0;
let gateOffset: u32 = 0;
let gateIs32: bool = false;

/**
 * A call gate named by JMP/CALL (SDM Vol. 2A "CALL"/"JMP", CALL-GATE): a call
 * gate with DPL >= max(CPL, RPL), present; then the code descriptor it names
 * is read into descLo/descHi/descAddr (gateTarget, gateOffset). False after
 * a fault.
 */
function readCallGateTarget(sel: u32, lo: u32, hi: u32, current: u32): bool {
  const type = descriptorType(hi);
  if (type != SYS_CALL_GATE16 && type != SYS_CALL_GATE32) {
    raiseGP(selectorError(sel));
    return false;
  }
  if (!descriptorAccessible(hi, sel & SEL_RPL_MASK, current)) {
    raiseGP(selectorError(sel));
    return false;
  }
  if (!requirePresent(sel, hi, 0)) return false;
  gateIs32 = (type & SYS_TYPE_32) != 0;
  gateTarget = lo >>> 16;
  gateOffset = gateIs32 ? (hi & 0xffff0000) | (lo & 0xffff) : lo & 0xffff;
  return readNonNullDescriptor(gateTarget, 0);
}

/**
 * The code segment a call gate names: code with DPL <= CPL (for JMP,
 * `sameLevel`, non-conforming code also needs DPL = CPL), then present.
 */
function checkGateCodeTarget(cHi: u32, current: u32, sameLevel: bool): bool {
  const cDpl = descriptorDpl(cHi);
  if (!isCodeDescriptor(cHi) || cDpl > current || (sameLevel && !isConformingCode(cHi) && cDpl != current)) {
    raiseGP(selectorError(gateTarget));
    return false;
  }
  if (!requirePresent(gateTarget, cHi, 0)) return false;
  return true;
}

// The call-gate frame being written (check pass, then write pass).
let gateParams: u32 = 0;
let gateBytes: u32 = 0;
let gateOldEsp: u32 = 0;
let gateOldMask: u32 = 0;

function pushCallGateOuterFrame(): void {
  framePush(segSel(SEG_SS), gateBytes);
  framePush(gateOldEsp, gateBytes);
  // Parameters keep their order: the deepest (last pushed by the caller) goes first.
  for (let i: i32 = <i32>gateParams - 1; i >= 0; i--) {
    const v = readMemSized(SEG_SS, (gateOldEsp + <u32>i * gateBytes) & gateOldMask, gateBytes << 3);
    if (faulted) return;
    framePush(v, gateBytes);
  }
  framePush(segSel(SEG_CS), gateBytes);
  framePush(nextEip, gateBytes);
}

function farCall(sel: u32, off: u32, size: u32): void {
  if (!protectedMode() || v86Mode()) {
    farCallReal(sel, off, size);
    return;
  }
  if (!readNonNullDescriptor(sel, 0)) return;
  const lo = descLo;
  const hi = descHi;
  const addr = descAddr;
  const current = cpl();

  if (isSegmentDescriptor(hi)) {
    if (!checkDirectCodeTarget(sel, hi, current)) return;
    callSameLevel(sel, lo, hi, addr, off, size >> 3, current);
    return;
  }
  if (isTaskTarget(descriptorType(hi))) {
    farTaskSwitch(sel, lo, hi, addr, TASK_CALL);
    return;
  }

  // CALL through a call gate (SDM Vol. 2A "CALL", CALL-GATE; Vol. 3A §5.8.5).
  if (!readCallGateTarget(sel, lo, hi, current)) return;
  const cLo = descLo;
  const cHi = descHi;
  const cAddr = descAddr;
  if (!checkGateCodeTarget(cHi, current, false)) return;
  const cDpl = descriptorDpl(cHi);
  const target = gateTarget;
  const targetOff = gateOffset;
  gateBytes = gateIs32 ? 4 : 2;

  if (!isConformingCode(cHi) && cDpl < current) {
    // More privilege: the stack for level cDpl comes from the TSS, the caller's
    // SS:ESP and parameters go onto it.
    if (!readTssStack(cDpl, 0)) return;
    const newSs = tssSs;
    const newEsp = tssEsp;
    if (!checkInnerStack(newSs, cDpl, 0)) return;
    const sLo = stackLo;
    const sHi = stackHi;
    const sAddr = stackAddr;
    if (!checkCodeLimit(targetOff, cLo, cHi)) return;
    gateParams = hi & CALL_GATE_PARAMS_MASK;
    gateOldEsp = reg32(REG_ESP);
    gateOldMask = currentStackIsBig() ? 0xffffffff : 0xffff;
    const sAttr = descriptorAttr(sHi);
    const sBase = descriptorBase(sLo, sHi);
    const sLimit = descriptorLimit(sLo, sHi);
    const newUser = cDpl == 3;
    for (let pass = 0; pass < 2; pass++) {
      frameBegin(sBase, sAttr, sLimit, newEsp, newUser, selectorError(newSs), pass == 1);
      pushCallGateOuterFrame();
      if (faulted) return;
      if (pass == 0) {
        setAccessedBit(sAddr, sHi);
        setAccessedBit(cAddr, cHi);
        if (faulted) return;
      }
    }
    const sp = frameSp();
    commitDataSegment(SEG_SS, (newSs & SEL_ERROR_MASK) | cDpl, sLo, sHi);
    setStackTop(sp, (sAttr & ATTR_DB) != 0);
    loadCodeSegment(target, cLo, cHi, cDpl);
    setNextEip(targetOff);
    return;
  }

  // Same privilege (or a conforming target): push CS:EIP in the gate's size.
  callSameLevel(target, cLo, cHi, cAddr, targetOff, gateBytes, current);
}

// ---------------------------------------------------------------- protected mode: RETF and IRET

/**
 * After a return to an outer level, data segment registers the new CPL may
 * not use become null (SDM Vol. 2B "RET", Vol. 2A "IRET": data or
 * non-conforming code with DPL < CPL).
 */
function nullInaccessibleSegments(newCpl: u32): void {
  nullIfInaccessible(SEG_ES, newCpl);
  nullIfInaccessible(SEG_DS, newCpl);
  nullIfInaccessible(SEG_FS, newCpl);
  nullIfInaccessible(SEG_GS, newCpl);
}
function nullIfInaccessible(seg: u32, newCpl: u32): void {
  const attr = segAttr(seg);
  const conforming = (attr & (ATTR_S | ATTR_CODE | ATTR_DC)) == (ATTR_S | ATTR_CODE | ATTR_DC);
  if (!conforming && ((attr >> 5) & 3) < newCpl) loadNullSegment(seg, 0);
}

/**
 * RETF (isIret false) and IRET without NT in protected mode: pop EIP, CS
 * (and EFLAGS), then SS:ESP when returning to an outer privilege level, or
 * return to virtual-8086 mode.
 */
function returnProtected(size: u32, popBytes: u32, isIret: bool): void {
  const bytes = size >> 3;
  const off = readMemSized(SEG_SS, stackOffset(0), size);
  const sel = readMemSized(SEG_SS, stackOffset(bytes), size) & 0xffff;
  let flags: u32 = 0;
  if (isIret) flags = readMemSized(SEG_SS, stackOffset(bytes << 1), size);
  if (faulted) return;
  const current = cpl();
  if (isIret && size == 32 && (flags & FLAG_VM) != 0 && current == 0) {
    returnToV86(off, sel, flags);
    return;
  }
  const frameBytes: u32 = isIret ? 3 * bytes : bytes << 1;

  if (!readNonNullDescriptor(sel, 0)) return;
  const cLo = descLo;
  const cHi = descHi;
  const cAddr = descAddr;
  const rpl = sel & SEL_RPL_MASK;
  const dpl = descriptorDpl(cHi);
  if (!isCodeDescriptor(cHi) || rpl < current || (isConformingCode(cHi) ? dpl > rpl : dpl != rpl)) {
    raiseGP(selectorError(sel));
    return;
  }
  if (!requirePresent(sel, cHi, 0)) return;

  if (rpl == current) {
    if (!checkCodeLimit(off, cLo, cHi)) return;
    setAccessedBit(cAddr, cHi);
    if (faulted) return;
    setStackPointer(stackOffset(frameBytes + popBytes));
    loadCodeSegment(sel, cLo, cHi, rpl);
    if (isIret) writeEflagsMasked(flags, iretFlagsMask(size, current));
    setNextEip(off);
    return;
  }

  // Return to an outer privilege level: SS:ESP follow on the stack.
  const newEsp = readMemSized(SEG_SS, stackOffset(frameBytes + popBytes), size);
  const newSs = readMemSized(SEG_SS, stackOffset(frameBytes + popBytes + bytes), size) & 0xffff;
  if (faulted) return;
  // A null SS gives #GP(0), which selectorError of a null selector also is.
  if ((newSs & SEL_RPL_MASK) != rpl) {
    raiseGP(selectorError(newSs));
    return;
  }
  if (!readNonNullDescriptor(newSs, 0)) return;
  const sLo = descLo;
  const sHi = descHi;
  const sAddr = descAddr;
  if (!isWritableData(sHi) || descriptorDpl(sHi) != rpl) {
    raiseGP(selectorError(newSs));
    return;
  }
  if (!descriptorPresent(sHi)) {
    raiseSS(selectorError(newSs));
    return;
  }
  if (!checkCodeLimit(off, cLo, cHi)) return;
  setAccessedBit(cAddr, cHi);
  setAccessedBit(sAddr, sHi);
  if (faulted) return;

  const mask = iretFlagsMask(size, current);
  loadCodeSegment(sel, cLo, cHi, rpl);
  commitDataSegment(SEG_SS, newSs, sLo, sHi);
  setStackTop(newEsp + popBytes, (descriptorAttr(sHi) & ATTR_DB) != 0);
  if (isIret) writeEflagsMasked(flags, mask);
  nullInaccessibleSegments(rpl);
  setNextEip(off);
}

/**
 * EFLAGS bits a protected-mode IRET takes from the stack (SDM Vol. 2A
 * "IRET"): IF only when CPL <= IOPL, IOPL/VIF/VIP only at CPL 0, the upper
 * half only for a 32-bit IRET. `current` is the CPL before the return.
 */
function iretFlagsMask(size: u32, current: u32): u32 {
  let mask = EFLAGS_ALWAYS | FLAG_TF | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID;
  const iopl = (getEflags() & FLAG_IOPL) >> FLAG_IOPL_SHIFT;
  if (current <= iopl) mask |= FLAG_IF;
  if (current == 0) mask |= FLAG_IOPL | FLAG_VIF | FLAG_VIP;
  if (size == 16) mask &= 0xffff;
  return mask;
}

/**
 * IRETD at CPL 0 with VM set in the popped EFLAGS: the full v86 frame
 * follows (ESP, SS, ES, DS, FS, GS) and the CPU enters virtual-8086 mode at
 * CPL 3 (SDM Vol. 2A "IRET", RETURN-TO-VIRTUAL-8086-MODE; Vol. 3A §20.2.5).
 */
function returnToV86(off: u32, sel: u32, flags: u32): void {
  const newEsp = readMemSized(SEG_SS, stackOffset(12), 32);
  const newSs = readMemSized(SEG_SS, stackOffset(16), 32);
  const newEs = readMemSized(SEG_SS, stackOffset(20), 32);
  const newDs = readMemSized(SEG_SS, stackOffset(24), 32);
  const newFs = readMemSized(SEG_SS, stackOffset(28), 32);
  const newGs = readMemSized(SEG_SS, stackOffset(32), 32);
  if (faulted) return;
  if (off > V86_IP_LIMIT) {
    raiseGP(0);
    return;
  }
  writeEflagsMasked(flags, FLAGS_WRITABLE);
  loadV86Segment(SEG_CS, sel);
  loadV86Segment(SEG_SS, newSs);
  loadV86Segment(SEG_ES, newEs);
  loadV86Segment(SEG_DS, newDs);
  loadV86Segment(SEG_FS, newFs);
  loadV86Segment(SEG_GS, newGs);
  setReg32(REG_ESP, newEsp);
  setCpl(3);
  invalidateFetch();
  setNextEip(off);
}
