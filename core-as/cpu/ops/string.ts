// String instructions: MOVS CMPS SCAS LODS STOS INS OUTS with REP, REPE and
// REPNE (SDM Vol. 2B "MOVS", "CMPS", "SCAS", "LODS", "STOS", "INS", "OUTS",
// "REP/REPE/REPZ/REPNE/REPNZ"; Vol. 1 §7.3.9).
//
// Operands: the source is seg:(E)SI with seg = DS or the override, the
// destination is always ES:(E)DI. The address size picks SI/DI/CX or
// ESI/EDI/ECX (the upper halves stay untouched with 16-bit addressing); DF
// picks the direction.
//
// REP forms run their loop here, but at most REP_BUDGET iterations per
// execution: then nextEip is left at the instruction, which runs again on
// the next step, so interrupts and the host are served in between. A fault
// in iteration k leaves (E)CX/(E)SI/(E)DI describing the k completed
// iterations and EIP at the instruction, so the instruction resumes after
// the handler returns (SDM Vol. 2B "REP": "the processor ... updates the
// registers after each iteration"). Forward REP MOVS/STOS take a fast path
// that moves whole runs inside one page with memory.copy/fill once the TLB
// shows both pages plainly accessible.

import {
  reg32, setReg32, reg16, setReg16, regSized, setRegSized, REG_EAX, REG_ECX, REG_EDX, REG_ESI, REG_EDI,
  SEG_ES, segAddr, SEG_BASE, SEG_LO, SEG_HI, SEG_VALID, SEG_RIGHT_READ, SEG_RIGHT_WRITE,
  FLAG_DF, FLAG_TF, FLAG_AC, OFF_EFLAGS, cpl, cr0, CR0_AM,
} from '../state';
import { CPU_STATE } from '../../machine/layout';
import { setLazy, sizeMask, sysFlag, LAZY_SUB } from '../flags';
import { addr32, repPrefix, instrEip, setNextEip, stringSrcSeg } from '../decode';
import { readMemSized, writeMemSized, probeWriteMem } from '../memory';
import { tlbEntry, readMask, writeMask, TLB_VALID } from '../paging';
import { faulted } from '../fault';
import { debugChecks } from '../interp';
import { portRead, portWrite } from '../../machine/ports';
import { checkIoPermission } from './io';

/** Iterations of a REP instruction per execution before returning to the loop. */
const REP_BUDGET: u32 = 4096;
/** What one fast-path run (up to a page) costs from the budget. */
const FAST_RUN_COST: u32 = 8;
const REPE: u32 = 0xf3;
const REPNE: u32 = 0xf2;
const PAGE_SIZE: u32 = 0x1000;
const PAGE_OFFSET_MASK: u32 = 0xfff;
const PAGE_FRAME_MASK: u32 = 0xfffff000;
const OFFSET16_END: u32 = 0x10000;
/** Which instruction the shared REP loops run (always a constant: see repStore). */
const STR_MOVS: u32 = 0;
const STR_STOS: u32 = 1;
const STR_LODS: u32 = 2;
const STR_INS: u32 = 3;
const STR_OUTS: u32 = 4;
const STR_CMPS: u32 = 5;
const STR_SCAS: u32 = 6;

// ---------- index and count registers at the address size ----------

@inline function index(r: u32): u32 {
  return addr32 ? reg32(r) : reg16(r);
}
@inline function setIndex(r: u32, v: u32): void {
  if (addr32) setReg32(r, v);
  else setReg16(r, v);
}
/** The per-element step: +bytes, or -bytes when DF is set. */
@inline function step(bytes: u32): u32 {
  return sysFlag(FLAG_DF) ? -bytes : bytes;
}
/** Iterations allowed in this execution; one with single-stepping, which traps after each. */
@inline function budget(): u32 {
  return debugChecks && sysFlag(FLAG_TF) ? 1 : REP_BUDGET;
}
/** Leave the remaining count in (E)CX; with work left, run the instruction again next step. */
@inline function finishRep(count: u32): void {
  setIndex(REG_ECX, count);
  if ((addr32 ? count : count & 0xffff) != 0) setNextEip(instrEip);
}

// ---------- fast path helpers (flat runs inside one page) ----------

/** #AC could fire for unaligned element accesses: leave those to the checked path. */
@inline function alignmentChecked(bytes: u32): bool {
  return bytes > 1 && cpl() == 3 && (cr0() & CR0_AM) != 0 && (load<u32>(CPU_STATE + OFF_EFLAGS) & FLAG_AC) != 0;
}

/**
 * How many whole elements of `bytes` from seg:off stay inside the segment
 * window, the 16-bit offset space (for 16-bit addressing) and the linear
 * page; 0 when the first one does not or the segment lacks `right`.
 */
function elementsInRun(seg: u32, off: u32, bytes: u32, right: u32): u32 {
  const a = segAddr(seg);
  if ((load<u32>(a + SEG_VALID) & right) == 0) return 0;
  const lo = load<u32>(a + SEG_LO);
  const hi = load<u32>(a + SEG_HI);
  if (off < lo || off > hi) return 0;
  let room: u32 = hi - off; // bytes after the first one
  if (!addr32 && room > 0xffff - off) room = 0xffff - off;
  const lin = load<u32>(a + SEG_BASE) + off;
  const toPageEnd = PAGE_SIZE - (lin & PAGE_OFFSET_MASK);
  if (room >= toPageEnd) room = toPageEnd - 1;
  return (room + 1) / bytes;
}

@inline function linearOf(seg: u32, off: u32): u32 {
  return load<u32>(segAddr(seg) + SEG_BASE) + off;
}

// ---------- MOVS ----------

/** One MOVS element; false after a fault (registers untouched). */
@inline function movsOnce(size: u32, srcSeg: u32, delta: u32): bool {
  const si = index(REG_ESI);
  const di = index(REG_EDI);
  const v = readMemSized(srcSeg, si, size);
  if (faulted) return false;
  writeMemSized(SEG_ES, di, v, size);
  if (faulted) return false;
  setIndex(REG_ESI, si + delta);
  setIndex(REG_EDI, di + delta);
  return true;
}

/**
 * Forward REP MOVS run inside one source page and one destination page,
 * when the TLB maps both as plain RAM this privilege may read and write.
 * Returns the elements moved (0: take the checked path for one element).
 */
function movsFastRun(srcSeg: u32, bytes: u32, count: u32): u32 {
  if (alignmentChecked(bytes)) return 0;
  const si = index(REG_ESI);
  const di = index(REG_EDI);
  let n = elementsInRun(srcSeg, si, bytes, SEG_RIGHT_READ);
  const nd = elementsInRun(SEG_ES, di, bytes, SEG_RIGHT_WRITE);
  if (nd < n) n = nd;
  if (count < n) n = count;
  if (n == 0) return 0;
  const user = cpl() == 3;
  const srcLin = linearOf(srcSeg, si);
  const dstLin = linearOf(SEG_ES, di);
  const se = tlbEntry(srcLin);
  const de = tlbEntry(dstLin);
  if ((se & readMask(user)) != TLB_VALID || (de & writeMask(user)) != TLB_VALID) return 0;
  const src = srcLin + (se & PAGE_FRAME_MASK);
  const dst = dstLin + (de & PAGE_FRAME_MASK);
  const len = n * bytes;
  if (dst <= src || dst >= src + len) {
    // No forward overlap: memmove gives the element-by-element result.
    memory.copy(dst, src, len);
  } else {
    // The destination overlaps ahead of the source: each element reads what
    // the earlier ones wrote, so copy one element at a time, as the SDM's loop does.
    if (bytes == 1) {
      for (let i: u32 = 0; i < len; i++) store<u8>(dst + i, load<u8>(src + i));
    } else if (bytes == 2) {
      for (let i: u32 = 0; i < len; i += 2) store<u16>(dst + i, load<u16>(src + i));
    } else {
      for (let i: u32 = 0; i < len; i += 4) store<u32>(dst + i, load<u32>(src + i));
    }
  }
  setIndex(REG_ESI, si + len);
  setIndex(REG_EDI, di + len);
  return n;
}

export function movs(size: u32): void {
  const srcSeg = stringSrcSeg();
  const delta = step(size >> 3);
  if (repPrefix == 0) {
    movsOnce(size, srcSeg, delta);
    return;
  }
  // F2 and F3 both repeat MOVS (no ZF condition).
  repStore(STR_MOVS, size, srcSeg, 0, delta);
}

// ---------- STOS ----------

@inline function stosOnce(size: u32, v: u32, delta: u32): bool {
  const di = index(REG_EDI);
  writeMemSized(SEG_ES, di, v, size);
  if (faulted) return false;
  setIndex(REG_EDI, di + delta);
  return true;
}

/** Forward REP STOS run inside one destination page (see movsFastRun). */
function stosFastRun(v: u32, bytes: u32, count: u32): u32 {
  if (alignmentChecked(bytes)) return 0;
  const di = index(REG_EDI);
  let n = elementsInRun(SEG_ES, di, bytes, SEG_RIGHT_WRITE);
  if (count < n) n = count;
  if (n == 0) return 0;
  const dstLin = linearOf(SEG_ES, di);
  const de = tlbEntry(dstLin);
  if ((de & writeMask(cpl() == 3)) != TLB_VALID) return 0;
  const dst = dstLin + (de & PAGE_FRAME_MASK);
  if (bytes == 1) {
    memory.fill(dst, <u8>v, n);
  } else if (bytes == 2) {
    for (let i: u32 = 0; i < n; i++) store<u16>(dst + (i << 1), <u16>v);
  } else {
    for (let i: u32 = 0; i < n; i++) store<u32>(dst + (i << 2), v);
  }
  setIndex(REG_EDI, di + n * bytes);
  return n;
}

export function stos(size: u32): void {
  const delta = step(size >> 3);
  const v = regSized(REG_EAX, size);
  if (repPrefix == 0) {
    stosOnce(size, v, delta);
    return;
  }
  repStore(STR_STOS, size, 0, v, delta);
}

/**
 * The REP loop of MOVS (source srcSeg:(E)SI) and STOS (value v): forward,
 * whole in-page runs through the fast path while the budget allows, else
 * one checked element at a time. Always inlined with a constant `op`, so the
 * choice between the two folds away and each keeps its own loop.
 */
@inline function repStore(op: u32, size: u32, srcSeg: u32, v: u32, delta: u32): void {
  const bytes = size >> 3;
  let count = index(REG_ECX);
  if (count == 0) return;
  const forward = !sysFlag(FLAG_DF);
  let left = budget();
  for (;;) {
    let done: u32 = 0;
    if (forward && left >= FAST_RUN_COST) {
      done = op == STR_MOVS ? movsFastRun(srcSeg, bytes, count) : stosFastRun(v, bytes, count);
    }
    if (done != 0) {
      left -= FAST_RUN_COST;
    } else {
      if (!elementOnce(op, size, srcSeg, v, delta)) break;
      done = 1;
      left--;
    }
    count -= done;
    if (count == 0 || left == 0) break;
  }
  finishRep(count);
}

// ---------- LODS ----------

@inline function lodsOnce(size: u32, srcSeg: u32, delta: u32): bool {
  const si = index(REG_ESI);
  const v = readMemSized(srcSeg, si, size);
  if (faulted) return false;
  setRegSized(REG_EAX, v, size);
  setIndex(REG_ESI, si + delta);
  return true;
}

export function lods(size: u32): void {
  const srcSeg = stringSrcSeg();
  const delta = step(size >> 3);
  if (repPrefix == 0) {
    lodsOnce(size, srcSeg, delta);
    return;
  }
  const count = index(REG_ECX);
  if (count == 0) return;
  repEach(STR_LODS, size, srcSeg, 0, delta, count);
}

// ---------- CMPS and SCAS ----------

/**
 * Whether REPE/REPNE stop after an iteration whose comparison gave `zero`
 * (SDM "REP": REPE ends when ZF = 0, REPNE when ZF = 1).
 */
@inline function conditionEnds(zero: bool): bool {
  return repPrefix == REPE ? !zero : zero;
}

/**
 * One CMPS element: flags of [src:SI] - ES:[DI]. Returns 1 when ZF is set,
 * 0 when clear, -1 after a fault (registers and flags untouched).
 */
@inline function cmpsOnce(size: u32, srcSeg: u32, delta: u32): i32 {
  const si = index(REG_ESI);
  const di = index(REG_EDI);
  const a = readMemSized(srcSeg, si, size);
  if (faulted) return -1;
  const b = readMemSized(SEG_ES, di, size);
  if (faulted) return -1;
  const res = (a - b) & sizeMask(size);
  setLazy(LAZY_SUB, size, a, b, res);
  setIndex(REG_ESI, si + delta);
  setIndex(REG_EDI, di + delta);
  return res == 0 ? 1 : 0;
}

export function cmps(size: u32): void {
  const srcSeg = stringSrcSeg();
  const delta = step(size >> 3);
  if (repPrefix == 0) {
    cmpsOnce(size, srcSeg, delta);
    return;
  }
  repCompare(STR_CMPS, size, srcSeg, 0, delta);
}

/** One SCAS element: flags of AL/AX/EAX - ES:[DI]; result as cmpsOnce. */
@inline function scasOnce(size: u32, acc: u32, delta: u32): i32 {
  const di = index(REG_EDI);
  const b = readMemSized(SEG_ES, di, size);
  if (faulted) return -1;
  const res = (acc - b) & sizeMask(size);
  setLazy(LAZY_SUB, size, acc, b, res);
  setIndex(REG_EDI, di + delta);
  return res == 0 ? 1 : 0;
}

export function scas(size: u32): void {
  const delta = step(size >> 3);
  const acc = regSized(REG_EAX, size);
  if (repPrefix == 0) {
    scasOnce(size, acc, delta);
    return;
  }
  repCompare(STR_SCAS, size, 0, acc, delta);
}

/**
 * The REPE/REPNE loop of CMPS (source srcSeg:(E)SI) and SCAS (accumulator
 * acc): one element at a time until the count runs out, the condition ends
 * the loop (then the instruction is complete) or the budget is spent.
 * Inlined with a constant `op`, as repStore.
 */
@inline function repCompare(op: u32, size: u32, srcSeg: u32, acc: u32, delta: u32): void {
  let count = index(REG_ECX);
  if (count == 0) return;
  let left = budget();
  for (;;) {
    const z = op == STR_CMPS ? cmpsOnce(size, srcSeg, delta) : scasOnce(size, acc, delta);
    if (z < 0) break;
    count--;
    left--;
    if (count == 0 || conditionEnds(z == 1)) {
      setIndex(REG_ECX, count);
      return;
    }
    if (left == 0) break;
  }
  finishRep(count);
}

// ---------- INS and OUTS ----------

/**
 * One INS element. The destination is checked before the port is read, so
 * a fault does not consume device data (reads can have side effects).
 */
@inline function insOnce(size: u32, port: u32, delta: u32): bool {
  const di = index(REG_EDI);
  probeWriteMem(SEG_ES, di, size >> 3);
  if (faulted) return false;
  const v = portRead(port, size >> 3);
  writeMemSized(SEG_ES, di, v, size);
  if (faulted) return false;
  setIndex(REG_EDI, di + delta);
  return true;
}

export function ins(size: u32): void {
  const port = reg16(REG_EDX);
  const delta = step(size >> 3);
  if (repPrefix == 0) {
    if (!checkIoPermission(port, size >> 3)) return;
    insOnce(size, port, delta);
    return;
  }
  const count = index(REG_ECX);
  if (count == 0) return;
  if (!checkIoPermission(port, size >> 3)) return;
  repEach(STR_INS, size, 0, port, delta, count);
}

@inline function outsOnce(size: u32, srcSeg: u32, port: u32, delta: u32): bool {
  const si = index(REG_ESI);
  const v = readMemSized(srcSeg, si, size);
  if (faulted) return false;
  portWrite(port, v, size >> 3);
  setIndex(REG_ESI, si + delta);
  return true;
}

export function outs(size: u32): void {
  const srcSeg = stringSrcSeg();
  const port = reg16(REG_EDX);
  const delta = step(size >> 3);
  if (repPrefix == 0) {
    if (!checkIoPermission(port, size >> 3)) return;
    outsOnce(size, srcSeg, port, delta);
    return;
  }
  const count = index(REG_ECX);
  if (count == 0) return;
  if (!checkIoPermission(port, size >> 3)) return;
  repEach(STR_OUTS, size, srcSeg, port, delta, count);
}

/**
 * One MOVS, STOS, LODS, INS or OUTS element; `arg` is the STOS value or the
 * INS/OUTS port. False after a fault. Inlined with a constant `op`.
 */
@inline function elementOnce(op: u32, size: u32, srcSeg: u32, arg: u32, delta: u32): bool {
  if (op == STR_MOVS) return movsOnce(size, srcSeg, delta);
  if (op == STR_STOS) return stosOnce(size, arg, delta);
  if (op == STR_LODS) return lodsOnce(size, srcSeg, delta);
  if (op == STR_INS) return insOnce(size, arg, delta);
  return outsOnce(size, srcSeg, arg, delta);
}

/**
 * The REP loop of LODS, INS and OUTS (`count` > 0): one checked element at
 * a time (port accesses have side effects, so there is no fast path), until
 * the count or the budget runs out. Inlined with a constant `op`.
 */
@inline function repEach(op: u32, size: u32, srcSeg: u32, arg: u32, delta: u32, count: u32): void {
  let left = budget();
  for (;;) {
    if (!elementOnce(op, size, srcSeg, arg, delta)) break;
    count--;
    left--;
    if (count == 0 || left == 0) break;
  }
  finishRep(count);
}
