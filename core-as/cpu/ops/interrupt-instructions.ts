// Instructions that mask or raise interrupts: CLI, STI, INT3, INT n, INTO,
// INT1 (SDM Vol. 2A "CLI", "INT n/INTO/INT3/INT1"; Vol. 2B "STI").
//
// Delivery itself (IVT, IDT gates, v86 IOPL rules) is interrupts.ts'
// softwareInterrupt. The test mode stopOnException (control.ts) stops at the
// interrupt instead of delivering it, with EIP past the instruction, which is
// what a trap's return address is.

import { OFF_EFLAGS, FLAG_IF, FLAG_IOPL, FLAG_IOPL_SHIFT, FLAG_VM, cr0, cpl, CR0_PE, cpuFlag } from '../state';
import { sysFlag, setSysFlag, getOF } from '../flags';
import { raiseGP, EXC_BP, EXC_OF, EXC_DB } from '../fault';
import { imm } from '../decode';
import { softwareInterrupt, INT_SOFTWARE, INT_ICEBP, INT_BREAKPOINT } from '../interrupts';
import { stopOnException, recordStoppedException } from '../control';
import { setInterruptShadow } from '../interp';

/**
 * Whether the current code may change EFLAGS.IF: always in real mode; in
 * protected mode when CPL <= IOPL; in v86 mode when IOPL = 3 (this CPU has
 * no VME/PVI, so there is no VIF to fall back on). Raises #GP(0) otherwise.
 */
function mayChangeIf(): bool {
  if ((cr0() & CR0_PE) == 0) return true;
  const iopl = (cpuFlag(OFF_EFLAGS) & FLAG_IOPL) >> FLAG_IOPL_SHIFT;
  const privilege: u32 = sysFlag(FLAG_VM) ? 3 : cpl();
  if (privilege > iopl) {
    raiseGP(0);
    return false;
  }
  return true;
}

export function cli(): void {
  if (!mayChangeIf()) return;
  setSysFlag(FLAG_IF, false);
}

/**
 * STI: interrupts stay blocked until the end of the next instruction, but
 * only when IF was clear (SDM Vol. 2B "STI"): STI; HLT waits atomically and
 * STI; STI does not extend the shadow.
 */
export function sti(): void {
  if (!mayChangeIf()) return;
  if (!sysFlag(FLAG_IF)) {
    setSysFlag(FLAG_IF, true);
    setInterruptShadow();
  }
}

/** Raise a software interrupt, or stop there in the test mode. */
function interruptInstruction(vector: u32, kind: u32): void {
  if (stopOnException) {
    recordStoppedException(vector, 0);
    return;
  }
  softwareInterrupt(vector, kind);
}

/** INT3 (CC): #BP as a trap; unlike INT 3 (CD 03) not IOPL-sensitive in v86 mode (SDM Vol. 3A §20.3.3). */
export function int3(): void {
  interruptInstruction(EXC_BP, INT_BREAKPOINT);
}

/** INT imm8 (CD ib): in v86 mode #GP(0) when IOPL < 3 (delivery checks it). */
export function intN(): void {
  interruptInstruction(imm & 0xff, INT_SOFTWARE);
}

/** INTO (CE): #OF when OF is set, otherwise nothing; not IOPL-sensitive in v86 mode, as INT3. */
export function into(): void {
  if (getOF()) interruptInstruction(EXC_OF, INT_BREAKPOINT);
}

/** INT1 / ICEBP (F1): #DB without the gate DPL check. */
export function int1(): void {
  interruptInstruction(EXC_DB, INT_ICEBP);
}
