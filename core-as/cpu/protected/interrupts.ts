// Protected-mode and virtual-8086-mode interrupt delivery through the IDT
// (SDM Vol. 3A §6.10-6.13, §20.3; Vol. 2A "INT n/INTO/INT3/INT1", Operation):
// interrupt, trap and task gates, privilege-level stack switches through the
// TSS, error codes, and the v86 → ring 0 transition.
//
// Error codes raised while delivering an exception or an external interrupt
// carry EXT (bit 0); those naming the IDT carry bit 1 (§6.13).

import { CPU_STATE } from '../../machine/layout';
import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, REG_ESP, OFF_IDTR_BASE, OFF_IDTR_LIMIT, ATTR_DB,
  FLAG_TF, FLAG_NT, FLAG_RF, FLAG_VM, FLAG_IF, FLAG_IOPL, FLAG_IOPL_SHIFT,
  cpl, segSel, segAttr, reg32, setReg32, loadNullSegment,
} from '../state';
import { getEflags } from '../flags';
import { setNextEip } from '../decode';
import { readSys32 } from '../memory';
import { faulted, raiseGP, raiseNP, EXC_DB, EXC_NMI, EXC_BP, EXC_OF, EXC_DF, EXC_MC } from '../fault';
import {
  readNonNullDescriptor, descLo, descHi, descAddr, descriptorBase, descriptorLimit, descriptorAttr, descriptorDpl, descriptorType,
  descriptorPresent, requirePresent, isCodeDescriptor, isConformingCode, setAccessedBit, loadCodeSegment, commitDataSegment, v86Mode,
  selectorError, ERR_EXT, ERR_IDT, SEL_ERROR_MASK,
  SYS_TASK_GATE, SYS_INT_GATE16, SYS_TRAP_GATE16, SYS_INT_GATE32, SYS_TRAP_GATE32, SYS_TYPE_32,
} from './descriptors';
import { frameBegin, frameBeginCurrent, framePush, frameSp } from './frame';
import {
  switchTaskThroughGate, pushTaskErrorCode, readTssStack, checkInnerStack, tssSs, tssEsp, stackLo, stackHi, stackAddr, TASK_INT,
} from './tasks';
import { clearEflags } from './eflags';
import { INT_EXCEPTION, INT_SOFTWARE, INT_EXTERNAL, INT_ICEBP, isSoftwareKind } from '../interrupts';

/** Interrupt gates (type bit 0 clear) also clear IF; trap gates leave it. */
const GATE_TRAP_BIT: u32 = 1;

/** Faults push RF = 1 so the restarted instruction is not stopped by its own breakpoint (Vol. 3B §17.3.1.1). */
function isFaultClass(vector: u32): bool {
  return vector != EXC_DB && vector != EXC_NMI && vector != EXC_BP && vector != EXC_OF && vector != EXC_DF && vector != EXC_MC;
}

@inline export function currentStackIsBig(): bool {
  return (segAttr(SEG_SS) & ATTR_DB) != 0;
}

/** ESP after pushing onto a stack of the given size (a 16-bit stack changes only SP). */
export function setStackTop(sp: u32, big: bool): void {
  if (big) setReg32(REG_ESP, sp);
  else setReg32(REG_ESP, (reg32(REG_ESP) & 0xffff0000) | (sp & 0xffff));
}

// The frame of the delivery in progress (written twice: check pass, write pass).
let frameV86: bool = false;
let frameInner: bool = false;
let frameGate32: bool = false;
let frameFlags: u32 = 0;
let frameEip: u32 = 0;
let frameHasCode: bool = false;
let frameCode: u32 = 0;

function pushFrame(): void {
  const bytes: u32 = frameGate32 ? 4 : 2;
  if (frameInner) {
    if (frameV86) {
      framePush(segSel(SEG_GS), bytes);
      framePush(segSel(SEG_FS), bytes);
      framePush(segSel(SEG_DS), bytes);
      framePush(segSel(SEG_ES), bytes);
    }
    framePush(segSel(SEG_SS), bytes);
    framePush(reg32(REG_ESP), bytes);
  }
  framePush(frameFlags, bytes);
  framePush(segSel(SEG_CS), bytes);
  framePush(frameEip, bytes);
  if (frameHasCode) framePush(frameCode, bytes);
}

/**
 * Deliver `vector` through the IDT with the return address `returnEip`.
 * On success CS:nextEip is the handler; on failure `faulted` is set and no
 * architectural state has changed (except after a task switch's commit).
 */
export function deliverProtected(vector: u32, kind: u32, errorCode: u32, hasErrorCode: bool, returnEip: u32): void {
  // EXT is clear only for faults while delivering INT n, INT3 and INTO; INT1
  // (ICEBP) is delivered like a hardware debug exception (SDM Vol. 3A §6.13).
  const ext: u32 = kind == INT_EXCEPTION || kind == INT_EXTERNAL || kind == INT_ICEBP ? ERR_EXT : 0;
  const vm = v86Mode();
  const flags = getEflags();
  if (vm && kind == INT_SOFTWARE && ((flags & FLAG_IOPL) >> FLAG_IOPL_SHIFT) < 3) {
    // INT n in virtual-8086 mode at IOPL < 3 traps to the monitor (§20.3.1.1,
    // Vol. 2A "INT n" Operation). INT3 and INTO (INT_BREAKPOINT) do not: they
    // go through the IDT, where a gate DPL below 3 gives #GP(vector*8+2) (§20.3.3).
    raiseGP(0);
    return;
  }

  const gateCode = (vector << 3) | ERR_IDT | ext;
  if ((vector << 3) + 7 > load<u32>(CPU_STATE + OFF_IDTR_LIMIT)) {
    raiseGP(gateCode);
    return;
  }
  const gateAddr = load<u32>(CPU_STATE + OFF_IDTR_BASE) + (vector << 3);
  const gLo = readSys32(gateAddr);
  const gHi = readSys32(gateAddr + 4);
  if (faulted) return;
  const type = descriptorType(gHi);
  if (type != SYS_TASK_GATE && type != SYS_INT_GATE16 && type != SYS_TRAP_GATE16 && type != SYS_INT_GATE32 && type != SYS_TRAP_GATE32) {
    raiseGP(gateCode);
    return;
  }
  const current = cpl();
  // INT n, INT3 and INTO need gate DPL >= CPL; INT1 and hardware events do not (§6.12.1.1).
  if (isSoftwareKind(kind) && descriptorDpl(gHi) < current) {
    raiseGP(gateCode);
    return;
  }
  if (!descriptorPresent(gHi)) {
    raiseNP(gateCode);
    return;
  }

  if (type == SYS_TASK_GATE) {
    switchTaskThroughGate(vector << 3, gHi, gLo >>> 16, TASK_INT, returnEip, ext);
    if (faulted) return;
    if (hasErrorCode) pushTaskErrorCode(errorCode);
    return;
  }

  const gate32 = (type & SYS_TYPE_32) != 0;
  const codeSel = gLo >>> 16;
  const offset = gate32 ? (gHi & 0xffff0000) | (gLo & 0xffff) : gLo & 0xffff;
  if (!readNonNullDescriptor(codeSel, ext)) return;
  const cLo = descLo;
  const cHi = descHi;
  const cAddr = descAddr;
  const dpl = descriptorDpl(cHi);
  if (!isCodeDescriptor(cHi) || dpl > current) {
    raiseGP(selectorError(codeSel) | ext);
    return;
  }
  if (!requirePresent(codeSel, cHi, ext)) return;
  const inner = !isConformingCode(cHi) && dpl < current;
  // From virtual-8086 mode the handler must run in ring 0 on its own stack (§6.12.1, §20.3.1.1).
  if (vm && (!inner || dpl != 0)) {
    raiseGP(selectorError(codeSel) | ext);
    return;
  }
  const newCpl = inner ? dpl : current;
  if (offset > descriptorLimit(cLo, cHi)) {
    raiseGP(ext);
    return;
  }

  frameV86 = vm;
  frameInner = inner;
  frameGate32 = gate32;
  frameFlags = kind == INT_EXCEPTION && isFaultClass(vector) ? flags | FLAG_RF : flags;
  frameEip = returnEip;
  frameHasCode = hasErrorCode;
  frameCode = errorCode;
  const user = newCpl == 3;

  let ssSel: u32 = 0;
  let ssLo: u32 = 0;
  let ssHi: u32 = 0;
  let newStackBig = false;
  if (inner) {
    if (!readTssStack(newCpl, ext)) return;
    ssSel = (tssSs & SEL_ERROR_MASK) | newCpl;
    if (!checkInnerStack(tssSs, newCpl, ext)) return;
    ssLo = stackLo;
    ssHi = stackHi;
    const ssAddr = stackAddr;
    const ssAttr = descriptorAttr(ssHi);
    newStackBig = (ssAttr & ATTR_DB) != 0;
    const ssBase = descriptorBase(ssLo, ssHi);
    const ssLimit = descriptorLimit(ssLo, ssHi);
    const ssCode = selectorError(tssSs) | ext;
    frameBegin(ssBase, ssAttr, ssLimit, tssEsp, user, ssCode, false);
    pushFrame();
    if (faulted) return;
    setAccessedBit(ssAddr, ssHi);
    setAccessedBit(cAddr, cHi);
    if (faulted) return;
    frameBegin(ssBase, ssAttr, ssLimit, tssEsp, user, ssCode, true);
    pushFrame();
  } else {
    frameBeginCurrent(user, ext, false);
    pushFrame();
    if (faulted) return;
    setAccessedBit(cAddr, cHi);
    if (faulted) return;
    frameBeginCurrent(user, ext, true);
    pushFrame();
  }
  if (faulted) return;

  // Commit.
  if (inner) {
    if (vm) {
      loadNullSegment(SEG_ES, 0);
      loadNullSegment(SEG_DS, 0);
      loadNullSegment(SEG_FS, 0);
      loadNullSegment(SEG_GS, 0);
    }
    commitDataSegment(SEG_SS, ssSel, ssLo, ssHi);
    setStackTop(frameSp(), newStackBig);
  } else {
    setStackTop(frameSp(), currentStackIsBig());
  }
  clearEflags((type & GATE_TRAP_BIT) != 0 ? FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM : FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM | FLAG_IF);
  loadCodeSegment(codeSel, cLo, cHi, newCpl);
  setNextEip(offset);
}
