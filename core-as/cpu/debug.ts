// Debug exceptions: the trap flag and the debug registers DR0-DR7
// (SDM Vol. 3B ch. 17).
//
// What is modelled:
//   - single-step traps (EFLAGS.TF), raised by interp.ts after the instruction;
//   - instruction breakpoints (DR7 R/W = 00): #DB faults before the instruction;
//   - data breakpoints (R/W = 01 write, 11 read/write; LEN 1, 2, 4, and 8 for
//     LEN = 10, which P6 leaves undefined): #DB traps after the instruction
//     that made the access, with DR6.B0-B3 naming the breakpoints hit;
//   - general detect (DR7.GD): checked by MOV DR in ops/system.ts.
// I/O breakpoints need CR4.DE, which this CPU does not implement (MOV CR4
// refuses DE), so R/W = 10 never matches.
//
// Data breakpoints and the TLB: the fast path of a memory access never calls
// into this file. While a data breakpoint is armed, paging.ts fill() marks the
// TLB entry of every page holding a breakpoint address TLB_SLOW, so every
// access to such a page reaches memory.ts readSlow/writeSlow, which call
// noteDataAccess(). Whoever arms or moves a breakpoint flushes the TLB
// (ops/system.ts MOV DR) so no fast entry for a breakpoint page survives.
//
// `debugChecks` (interp.ts) keeps the interpreter loop free of all this while
// no breakpoint is enabled and TF is clear: updateDebugChecks() recomputes it
// and must be called by every instruction that may set EFLAGS.TF or change
// DR7 (MOV DR7 here; POPF, IRET, task switches and the host's setEflags
// elsewhere). A stale `true` only costs time; a stale `false` loses traps.

import { dr, setDr, segBase, SEG_CS, FLAG_RF, FLAG_TF, OFF_EFLAGS } from './state';
import { CPU_STATE } from '../machine/layout';
import { raiseFault, EXC_DB } from './fault';
import { setDebugChecks } from './interp';

export const DR6_B0: u32 = 1 << 0;
export const DR6_B_MASK: u32 = 0xf; // B0-B3
export const DR6_BD: u32 = 1 << 13;
export const DR6_BS: u32 = 1 << 14;
export const DR6_BT: u32 = 1 << 15;
/** DR6 bits that always read as 1 on P6 (bits 4-11, 16-31; SDM Vol. 3B §17.2.3). */
export const DR6_FIXED_ONES: u32 = 0xffff0ff0;
/** DR6 bits software can write: B0-B3, BD, BS, BT (bit 12 reads 0 on P6). */
export const DR6_WRITABLE: u32 = DR6_B_MASK | DR6_BD | DR6_BS | DR6_BT;

/** DR7: L0/G0 .. L3/G3 enables (bits 0-7). */
export const DR7_ENABLE_MASK: u32 = 0xff;
export const DR7_GD: u32 = 1 << 13;
/** DR7 bit 10 reads as 1; bits 11, 12, 14, 15 are reserved 0 (SDM Vol. 3B §17.2.4). */
export const DR7_FIXED_ONES: u32 = 1 << 10;
export const DR7_WRITABLE: u32 = 0xffff23ff;
const DR7_RW_SHIFT: u32 = 16;

/** DR7 R/W field values (per breakpoint, 2 bits at 16 + 4n). */
export const BP_EXEC: u32 = 0;
export const BP_WRITE: u32 = 1;
export const BP_IO: u32 = 2;
export const BP_READ_WRITE: u32 = 3;

/** True while some enabled breakpoint is a data breakpoint (R/W = 01 or 11). */
export let dataBreakpointsArmed: bool = false;
/** B0-B3 bits of data breakpoints hit by the current instruction (delivered as a trap at its end). */
export let dataBreakpointHits: u32 = 0;

@inline function bpEnabled(dr7: u32, i: u32): bool {
  return ((dr7 >> (i << 1)) & 3) != 0;
}
@inline function bpRw(dr7: u32, i: u32): u32 {
  return (dr7 >> (DR7_RW_SHIFT + (i << 2))) & 3;
}
/** Breakpoint length in bytes from DR7.LENn (00 = 1, 01 = 2, 11 = 4, 10 = 8). */
@inline function bpLength(dr7: u32, i: u32): u32 {
  const len = (dr7 >> (DR7_RW_SHIFT + 2 + (i << 2))) & 3;
  return len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
}
@inline function isDataBreakpoint(rw: u32): bool {
  return rw == BP_WRITE || rw == BP_READ_WRITE;
}

/**
 * Recompute interp.ts `debugChecks` and `dataBreakpointsArmed` from DR7 and
 * EFLAGS.TF. Call after anything that may set TF or changes DR7.
 */
export function updateDebugChecks(): void {
  const dr7 = dr(7);
  let armed = false;
  for (let i: u32 = 0; i < 4; i++) {
    if (bpEnabled(dr7, i) && isDataBreakpoint(bpRw(dr7, i))) armed = true;
  }
  dataBreakpointsArmed = armed;
  const tf = (load<u32>(CPU_STATE + OFF_EFLAGS) & FLAG_TF) != 0;
  setDebugChecks(tf || (dr7 & DR7_ENABLE_MASK) != 0);
}

/** Whether the 4 KiB linear page `linPage` (page-aligned) holds an armed data breakpoint. */
export function dataBreakpointOnPage(linPage: u32): bool {
  const dr7 = dr(7);
  for (let i: u32 = 0; i < 4; i++) {
    if (bpEnabled(dr7, i) && isDataBreakpoint(bpRw(dr7, i)) && (dr(i) & 0xfffff000) == linPage) return true;
  }
  return false;
}

/**
 * A data access of `size` bytes at linear `lin` (from the memory slow path).
 * Records the breakpoints it matches; the trap is raised at the end of the
 * instruction (debugTrapAfterInstruction), and dropped if the instruction faults.
 */
export function noteDataAccess(lin: u32, size: u32, write: bool): void {
  const dr7 = dr(7);
  const last = lin + size - 1;
  for (let i: u32 = 0; i < 4; i++) {
    if (!bpEnabled(dr7, i)) continue;
    const rw = bpRw(dr7, i);
    if (!(rw == BP_READ_WRITE || (rw == BP_WRITE && write))) continue;
    const len = bpLength(dr7, i);
    // The breakpoint covers an aligned LEN-byte range (SDM Vol. 3B §17.2.5).
    const start = dr(i) & ~(len - 1);
    const end = start + len - 1;
    if (lin <= end && last >= start) dataBreakpointHits |= 1 << i;
  }
}

/** Forget data breakpoint hits (start of an instruction). */
@inline export function clearDataBreakpointHits(): void {
  dataBreakpointHits = 0;
}

/**
 * End of an instruction that completed with debug checks on: raise the #DB
 * trap for a single step (`singleStep`: TF was set before the instruction)
 * and/or data breakpoints hit. Both are reported by one #DB (SDM Vol. 3B
 * §17.3.2). Returns true when it raised #DB.
 */
export function debugTrapAfterInstruction(singleStep: bool): bool {
  const hits = dataBreakpointHits;
  dataBreakpointHits = 0;
  if (!singleStep && hits == 0) return false;
  let v = dr(6) | DR6_FIXED_ONES;
  if (hits != 0) v = (v & ~DR6_B_MASK) | hits;
  if (singleStep) v |= DR6_BS;
  setDr(6, v);
  raiseFault(EXC_DB);
  return true;
}

/** #DB trap after an instruction executed with TF set. */
export function singleStepTrap(): void {
  setDr(6, dr(6) | DR6_BS | DR6_FIXED_ONES);
  raiseFault(EXC_DB);
}

/**
 * Instruction breakpoints (DR7 R/W = 00): a #DB fault before executing the
 * instruction at a matching linear address, unless EFLAGS.RF is set.
 * Returns true when it raised #DB.
 */
export function checkInstructionBreakpoint(eipValue: u32): bool {
  const flags = load<u32>(CPU_STATE + OFF_EFLAGS);
  if ((flags & FLAG_RF) != 0) {
    // RF suppresses instruction breakpoints for one instruction (SDM Vol. 3B §17.3.1.1).
    store<u32>(CPU_STATE + OFF_EFLAGS, flags & ~FLAG_RF);
    return false;
  }
  const dr7 = dr(7);
  if ((dr7 & DR7_ENABLE_MASK) == 0) return false;
  const lin = segBase(SEG_CS) + eipValue;
  let hits: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    if (bpEnabled(dr7, i) && bpRw(dr7, i) == BP_EXEC && dr(i) == lin) hits |= 1 << i;
  }
  if (hits == 0) return false;
  setDr(6, (dr(6) & ~DR6_B_MASK) | hits | DR6_FIXED_ONES);
  raiseFault(EXC_DB);
  return true;
}
