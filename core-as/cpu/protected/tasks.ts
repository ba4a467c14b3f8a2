// Hardware task switching and the TSS (SDM Vol. 3A ch. 7).
//
//   switchTask(sel, lo, hi, addr, source, returnEip, ext)
//       JMP/CALL/IRET/interrupt to the TSS descriptor (sel, lo, hi) at GDT
//       address addr (§7.3, the 14 steps); the caller did the privilege and
//       busy-state checks its instruction needs.
//   switchTaskThroughGate(gateSel, gateLo, gateHi, source, returnEip, ext)
//       the same through a task gate (GDT, LDT or IDT).
//   readTssStack(dpl, ext), checkInnerStack(ss, dpl, ext)
//       the privilege-level stacks of the current TSS (§7.2.1), for call
//       gates and interrupts.
//
// Faults before the commit point leave the old task untouched (everything is
// read and probed first). After it, faults belong to the new task: EIP is
// already the new task's, so the loop delivers them there (§7.3 step 12).

import { CPU_STATE } from '../../machine/layout';
import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
  OFF_CR0, OFF_CR3, OFF_GDTR_BASE, CR0_PG, CR0_TS, CR4_PGE, FLAG_NT, FLAG_VM, FLAGS_WRITABLE, ATTR_S, ATTR_CODE, ATTR_RW,
  cr0, cr4, reg32, setReg32, setEip, segSel, segBase, segLimit, segAttr, setCpl, dr, setDr,
  loadSegmentCache, loadNullSegment,
} from '../state';
import { getEflags } from '../flags';
import { setNextEip } from '../decode';
import { readSys16, readSys32, writeSys8, writeSys16, writeSys32, invalidateFetch, readSys8 } from '../memory';
import { translate, ACCESS_WRITE, tlbFlushAll } from '../paging';
import { faulted, raiseGP, raiseTS, raiseNP, raiseSS, raiseFault, EXC_DB } from '../fault';
import { push } from '../operands';
import { DR6_BT, DR6_FIXED_ONES } from '../debug';
import {
  readDescriptor, readGdtDescriptorOrGP, descLo, descHi, descAddr, descriptorBase, descriptorLimit, descriptorAttr, descriptorDpl, descriptorType,
  descriptorPresent, requirePresent, isWritableData, isConformingCode, setAccessedBit, loadCodeSegment, commitDataSegment, loadV86Segment,
  selectorError, isNullSelector, SEL_TI, SEL_RPL_MASK, SYS_TYPE_32, SYS_TSS_BUSY_BIT, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL, SYS_LDT,
  DESC_HI_TSS_BUSY,
} from './descriptors';
import { writeEflagsMasked } from './eflags';

/** What started a task switch: decides busy bits, NT and the back link (§7.3, Table 7-2). */
export const TASK_JMP: u32 = 0;
export const TASK_CALL: u32 = 1;
export const TASK_IRET: u32 = 2;
export const TASK_INT: u32 = 3;

// 32-bit TSS (SDM Vol. 3A Figure 7-2).
export const TSS32_LINK: u32 = 0x00;
const TSS32_STACKS: u32 = 0x04; // ESPn at 4 + 8n, SSn at 8 + 8n
const TSS32_CR3: u32 = 0x1c;
const TSS32_EIP: u32 = 0x20;
const TSS32_EFLAGS: u32 = 0x24;
const TSS32_GPRS: u32 = 0x28;
const TSS32_SEGS: u32 = 0x48; // ES CS SS DS FS GS, 4 bytes apart
const TSS32_LDT: u32 = 0x60;
const TSS32_TRAP: u32 = 0x64;
const TSS32_MIN_LIMIT: u32 = 0x67;
const TSS32_SAVE_LAST: u32 = 0x5f;
const TSS_TRAP_T: u32 = 1;
// 16-bit TSS (SDM Vol. 3A Figure 7-11).
const TSS16_STACKS: u32 = 0x02; // SPn at 2 + 4n, SSn at 4 + 4n
const TSS16_IP: u32 = 0x0e;
const TSS16_FLAGS: u32 = 0x10;
const TSS16_GPRS: u32 = 0x12;
const TSS16_SEGS: u32 = 0x22; // ES CS SS DS, 2 bytes apart
const TSS16_LDT: u32 = 0x2a;
const TSS16_MIN_LIMIT: u32 = 0x2b;
const TSS16_SAVE_LAST: u32 = 0x29;

/** DR7 L0-L3: local breakpoints end with the task (SDM Vol. 3B §17.2.4). */
const DR7_LOCAL_ENABLES: u32 = 0x55;

// The incoming task's state, read completely before anything changes.
// Slots: 0-7 general registers, 8-13 ES CS SS DS FS GS, then the rest.
const NEW_STATE: usize = memory.data(80);
const SLOT_SEG: u32 = 8;
const SLOT_LDT: u32 = 14;
const SLOT_EIP: u32 = 15;
const SLOT_EFLAGS: u32 = 16;
const SLOT_CR3: u32 = 17;
const SLOT_TRAP: u32 = 18;

@inline function slot(i: u32): u32 {
  return load<u32>(NEW_STATE + (i << 2));
}
@inline function setSlot(i: u32, v: u32): void {
  store<u32>(NEW_STATE + (i << 2), v);
}

/** Probe that implicit supervisor writes to [first, last] will not fault. */
function probeSysRange(first: u32, last: u32): void {
  if (!translate(first, ACCESS_WRITE, false)) return;
  if ((first >>> 12) != (last >>> 12)) translate(last, ACCESS_WRITE, false);
}

@inline function currentTssIs32(): bool {
  return (segAttr(SEG_TR) & SYS_TYPE_32) != 0;
}

/** GDT address of the current TSS's descriptor. */
@inline function currentTssDescriptor(): u32 {
  return load<u32>(CPU_STATE + OFF_GDTR_BASE) + (segSel(SEG_TR) & 0xfff8);
}

/**
 * Task switch through a task gate (SDM Vol. 2A "JMP"/"CALL" TASK-GATE, INT
 * TASK-GATE): the gate names an available TSS in the GDT.
 */
export function switchTaskThroughGate(gateSel: u32, gateHi: u32, tssSel: u32, source: u32, returnEip: u32, ext: u32): void {
  if (!requirePresent(gateSel, gateHi, ext)) return;
  const sel = tssSel & 0xffff;
  if (!readGdtDescriptorOrGP(sel, ext)) return;
  const type = descriptorType(descHi);
  if (type != SYS_TSS16_AVAIL && type != SYS_TSS32_AVAIL) {
    raiseGP(selectorError(sel) | ext);
    return;
  }
  switchTask(sel, descLo, descHi, descAddr, source, returnEip, ext);
}

/** The 14 steps of SDM Vol. 3A §7.3 from step 3 on. */
export function switchTask(sel: u32, lo: u32, hi: u32, addr: u32, source: u32, returnEip: u32, ext: u32): void {
  if (!requirePresent(sel, hi, ext)) return;
  const big = (descriptorType(hi) & SYS_TYPE_32) != 0;
  const base = descriptorBase(lo, hi);
  const limit = descriptorLimit(lo, hi);
  const minLimit = big ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT;
  if ((sel & SEL_TI) != 0 || limit < minLimit) {
    raiseTS(selectorError(sel) | ext);
    return;
  }

  // Read the new task's state.
  if (big) {
    for (let i: u32 = 0; i < 8; i++) setSlot(i, readSys32(base + TSS32_GPRS + (i << 2)));
    for (let i: u32 = 0; i < 6; i++) setSlot(SLOT_SEG + i, readSys16(base + TSS32_SEGS + (i << 2)));
    setSlot(SLOT_LDT, readSys16(base + TSS32_LDT));
    setSlot(SLOT_EIP, readSys32(base + TSS32_EIP));
    setSlot(SLOT_EFLAGS, readSys32(base + TSS32_EFLAGS));
    setSlot(SLOT_CR3, readSys32(base + TSS32_CR3));
    setSlot(SLOT_TRAP, readSys16(base + TSS32_TRAP));
  } else {
    for (let i: u32 = 0; i < 8; i++) setSlot(i, readSys16(base + TSS16_GPRS + (i << 1)));
    for (let i: u32 = 0; i < 4; i++) setSlot(SLOT_SEG + i, readSys16(base + TSS16_SEGS + (i << 1)));
    // A 16-bit TSS has no FS/GS: they are loaded null.
    setSlot(SLOT_SEG + SEG_FS, 0);
    setSlot(SLOT_SEG + SEG_GS, 0);
    setSlot(SLOT_LDT, readSys16(base + TSS16_LDT));
    setSlot(SLOT_EIP, readSys16(base + TSS16_IP));
    setSlot(SLOT_EFLAGS, readSys16(base + TSS16_FLAGS));
    setSlot(SLOT_CR3, 0);
    setSlot(SLOT_TRAP, 0);
  }
  if (faulted) return;

  // Step 5: everything the switch writes must be present and writable.
  const oldBase = segBase(SEG_TR);
  const oldBig = currentTssIs32();
  const oldDesc = currentTssDescriptor();
  if (oldBig) probeSysRange(oldBase + TSS32_EIP, oldBase + TSS32_SAVE_LAST);
  else probeSysRange(oldBase + TSS16_IP, oldBase + TSS16_SAVE_LAST);
  if (faulted) return;
  if (source == TASK_CALL || source == TASK_INT) probeSysRange(base, base + 1);
  if (faulted) return;
  if (source == TASK_JMP || source == TASK_IRET) probeSysRange(oldDesc + 5, oldDesc + 5);
  if (faulted) return;
  if (source != TASK_IRET) probeSysRange(addr + 5, addr + 5);
  if (faulted) return;

  // Steps 6-8: release and save the outgoing task.
  if (source == TASK_JMP || source == TASK_IRET) {
    writeSys8(oldDesc + 5, readSys8(oldDesc + 5) & ~(DESC_HI_TSS_BUSY >>> 8));
  }
  let oldFlags = getEflags();
  if (source == TASK_IRET) oldFlags &= ~FLAG_NT;
  if (oldBig) {
    writeSys32(oldBase + TSS32_EIP, returnEip);
    writeSys32(oldBase + TSS32_EFLAGS, oldFlags);
    for (let i: u32 = 0; i < 8; i++) writeSys32(oldBase + TSS32_GPRS + (i << 2), reg32(i));
    for (let i: u32 = 0; i < 6; i++) writeSys16(oldBase + TSS32_SEGS + (i << 2), segSel(i));
  } else {
    writeSys16(oldBase + TSS16_IP, returnEip);
    writeSys16(oldBase + TSS16_FLAGS, oldFlags);
    for (let i: u32 = 0; i < 8; i++) writeSys16(oldBase + TSS16_GPRS + (i << 1), reg32(i));
    for (let i: u32 = 0; i < 4; i++) writeSys16(oldBase + TSS16_SEGS + (i << 1), segSel(i));
  }

  // Steps 9-11: link and mark the incoming task, make it current.
  let newFlags = slot(SLOT_EFLAGS);
  if (source == TASK_CALL || source == TASK_INT) {
    writeSys16(base + TSS32_LINK, segSel(SEG_TR));
    newFlags |= FLAG_NT;
  }
  if (source != TASK_IRET) writeSys8(addr + 5, ((hi | DESC_HI_TSS_BUSY) >>> 8) & 0xff);
  if (faulted) return;
  loadSegmentCache(SEG_TR, sel, base, limit, descriptorAttr(hi) | SYS_TSS_BUSY_BIT);
  store<u32>(CPU_STATE + OFF_CR0, cr0() | CR0_TS);

  // Step 12: load the new task's state; from here faults are the new task's.
  if (big && (cr0() & CR0_PG) != 0) {
    store<u32>(CPU_STATE + OFF_CR3, slot(SLOT_CR3));
    tlbFlushAll((cr4() & CR4_PGE) != 0);
    invalidateFetch();
  }
  const newEip = slot(SLOT_EIP);
  setEip(newEip);
  setNextEip(newEip);
  if (big) {
    writeEflagsMasked(newFlags, FLAGS_WRITABLE);
    for (let i: u32 = 0; i < 8; i++) setReg32(i, slot(i));
  } else {
    writeEflagsMasked(newFlags, FLAGS_WRITABLE & 0xffff);
    for (let i: u32 = 0; i < 8; i++) setReg32(i, (reg32(i) & 0xffff0000) | slot(i));
  }
  setDr(7, dr(7) & ~DR7_LOCAL_ENABLES);

  const v86 = big && (newFlags & FLAG_VM) != 0;
  if (v86) {
    for (let s: u32 = 0; s < 6; s++) loadV86Segment(s, slot(SLOT_SEG + s));
    setCpl(3);
    invalidateFetch();
  } else {
    // Selectors first, so a fault below shows the new task's selectors.
    for (let s: u32 = 0; s < 6; s++) loadNullSegment(s, slot(SLOT_SEG + s));
    setCpl(slot(SLOT_SEG + SEG_CS) & SEL_RPL_MASK);
    invalidateFetch();
  }

  loadTaskLdt(slot(SLOT_LDT), ext);
  if (faulted) return;

  if (!v86) {
    const newCpl = slot(SLOT_SEG + SEG_CS) & SEL_RPL_MASK;
    loadTaskSegment(SEG_CS, slot(SLOT_SEG + SEG_CS), newCpl, ext);
    if (faulted) return;
    loadTaskSegment(SEG_SS, slot(SLOT_SEG + SEG_SS), newCpl, ext);
    if (faulted) return;
    loadTaskSegment(SEG_ES, slot(SLOT_SEG + SEG_ES), newCpl, ext);
    if (faulted) return;
    loadTaskSegment(SEG_DS, slot(SLOT_SEG + SEG_DS), newCpl, ext);
    if (faulted) return;
    loadTaskSegment(SEG_FS, slot(SLOT_SEG + SEG_FS), newCpl, ext);
    if (faulted) return;
    loadTaskSegment(SEG_GS, slot(SLOT_SEG + SEG_GS), newCpl, ext);
    if (faulted) return;
  }

  // Step 14: the new task starts; its EIP must lie in its code segment.
  if (newEip > segLimit(SEG_CS)) {
    raiseGP(0 | ext);
    return;
  }
  if ((slot(SLOT_TRAP) & TSS_TRAP_T) != 0) {
    // The T bit: a debug trap before the new task's first instruction (§7.2.1).
    setDr(6, dr(6) | DR6_BT | DR6_FIXED_ONES);
    raiseFault(EXC_DB);
  }
}

/** LDTR of the incoming task: an LDT descriptor in the GDT, else #TS(selector). */
function loadTaskLdt(selector: u32, ext: u32): void {
  const sel = selector & 0xffff;
  loadNullSegment(SEG_LDTR, sel);
  if (isNullSelector(sel)) return;
  if ((sel & SEL_TI) != 0 || !readDescriptor(sel)) {
    if (!faulted) raiseTS(selectorError(sel) | ext);
    return;
  }
  const lo = descLo;
  const hi = descHi;
  if (descriptorType(hi) != SYS_LDT || !descriptorPresent(hi)) {
    raiseTS(selectorError(sel) | ext);
    return;
  }
  loadSegmentCache(SEG_LDTR, sel, descriptorBase(lo, hi), descriptorLimit(lo, hi), descriptorAttr(hi));
}

/** A segment register of the incoming task, with the checks of SDM Vol. 3A Table 7-1. */
function loadTaskSegment(seg: u32, selector: u32, newCpl: u32, ext: u32): void {
  const sel = selector & 0xffff;
  const code = selectorError(sel) | ext;
  if (isNullSelector(sel)) {
    if (seg == SEG_CS || seg == SEG_SS) raiseTS(code);
    else loadNullSegment(seg, sel);
    return;
  }
  if (!readDescriptor(sel)) {
    if (!faulted) raiseTS(code);
    return;
  }
  const lo = descLo;
  const hi = descHi;
  const addr = descAddr;
  const attr = descriptorAttr(hi);
  const dpl = descriptorDpl(hi);
  const rpl = sel & SEL_RPL_MASK;
  if ((attr & ATTR_S) == 0) {
    raiseTS(code);
    return;
  }
  if (seg == SEG_CS) {
    if ((attr & ATTR_CODE) == 0 || (isConformingCode(hi) ? dpl > rpl : dpl != rpl)) {
      raiseTS(code);
      return;
    }
  } else if (seg == SEG_SS) {
    if (!isWritableData(hi) || dpl != newCpl || rpl != newCpl) {
      raiseTS(code);
      return;
    }
  } else {
    if ((attr & (ATTR_CODE | ATTR_RW)) == ATTR_CODE || (!isConformingCode(hi) && (dpl < newCpl || dpl < rpl))) {
      raiseTS(code);
      return;
    }
  }
  if (!descriptorPresent(hi)) {
    if (seg == SEG_SS) raiseSS(code);
    else raiseNP(code);
    return;
  }
  setAccessedBit(addr, hi);
  if (faulted) return;
  if (seg == SEG_CS) loadCodeSegment(sel, lo, hi, rpl);
  else commitDataSegment(seg, sel, lo, hi);
}

/**
 * IRET with NT = 1: return to the task in the current TSS's back link, which
 * must be a busy TSS in the GDT (SDM Vol. 2A "IRET", TASK-RETURN).
 */
export function taskReturn(returnEip: u32): void {
  const link = readSys16(segBase(SEG_TR) + TSS32_LINK);
  if (faulted) return;
  if ((link & SEL_TI) != 0 || !readDescriptor(link)) {
    if (!faulted) raiseTS(selectorError(link));
    return;
  }
  const type = descriptorType(descHi);
  if (type != (SYS_TSS16_AVAIL | SYS_TSS_BUSY_BIT) && type != (SYS_TSS32_AVAIL | SYS_TSS_BUSY_BIT)) {
    raiseTS(selectorError(link));
    return;
  }
  switchTask(link, descLo, descHi, descAddr, TASK_IRET, returnEip, 0);
}

// ---- privilege-level stacks of the current TSS (SDM Vol. 3A §5.8.5, §6.12.1) ----

export let tssSs: u32 = 0;
export let tssEsp: u32 = 0;
/** The checked stack descriptor of checkInnerStack. */
export let stackLo: u32 = 0;
export let stackHi: u32 = 0;
export let stackAddr: u32 = 0;

/** SS:ESP for privilege `dpl` from the current TSS; #TS(TR) when the TSS is too short. */
export function readTssStack(dpl: u32, ext: u32): bool {
  const big = currentTssIs32();
  const off = big ? TSS32_STACKS + (dpl << 3) : TSS16_STACKS + (dpl << 2);
  const last = off + (big ? 7 : 3);
  if (last > segLimit(SEG_TR)) {
    raiseTS(selectorError(segSel(SEG_TR)) | ext);
    return false;
  }
  const base = segBase(SEG_TR);
  let esp: u32;
  let ss: u32;
  if (big) {
    esp = readSys32(base + off);
    ss = readSys16(base + off + 4);
  } else {
    esp = readSys16(base + off);
    ss = readSys16(base + off + 2);
  }
  if (faulted) return false;
  tssEsp = esp;
  tssSs = ss;
  return true;
}

/**
 * The inner stack a privilege change switches to: a present, writable data
 * segment with RPL = DPL = the new CPL; #TS(ss) (#SS(ss) when not present).
 * The descriptor is left in stackLo/stackHi/stackAddr.
 */
export function checkInnerStack(ss: u32, dpl: u32, ext: u32): bool {
  const code = selectorError(ss) | ext;
  if (isNullSelector(ss) || (ss & SEL_RPL_MASK) != dpl || !readDescriptor(ss)) {
    if (!faulted) raiseTS(code);
    return false;
  }
  const hi = descHi;
  if (!isWritableData(hi) || descriptorDpl(hi) != dpl) {
    raiseTS(code);
    return false;
  }
  if (!descriptorPresent(hi)) {
    raiseSS(code);
    return false;
  }
  stackLo = descLo;
  stackHi = hi;
  stackAddr = descAddr;
  return true;
}

/** After a task switch through an exception's task gate: the error code on the new task's stack. */
export function pushTaskErrorCode(code: u32): void {
  push(code, currentTssIs32() ? 32 : 16);
}
