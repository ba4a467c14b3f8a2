// External interrupts: the INTR line, the acknowledge cycle, and NMI.
//
// The 8259A pair's INT output arrives through setIntrLine(); it is the local
// APIC's LINT0 input (core-as/devices/lapic.ts), which either passes it
// straight to the CPU's INTR (APIC disabled) or delivers it as its LVT says
// and drives INTR itself (setCpuIntrLine). The acknowledge cycle goes to the
// local APIC, which asks the 8259A when the source is ExtINT or the APIC is
// disabled.
//
// NMI (SDM Vol. 3A §6.7.1): requestNmi() latches one pending NMI; it is taken
// at the next instruction boundary whatever IF says (not inside an interrupt
// shadow), and further NMIs are held until the next IRET.

import { CPU_STATE } from '../machine/layout';
import { eip, setEip, OFF_INTR_LINE, OFF_NMI_PENDING, OFF_HALTED } from './state';
import { faulted } from './fault';
import { nextEip, setNextEip } from './decode';
import { deliverInterrupt, INT_EXTERNAL } from './interrupts';
import { count, STAT_EXTERNAL_INTERRUPTS } from '../generated/stats';
import { requestBoundaryCheck } from './interp';
import { lapicAcknowledge, lapicSetLint0 } from '../devices/lapic';

/** OFF_NMI_PENDING bits. */
const NMI_PENDING: u32 = 1;
const NMI_BLOCKED: u32 = 2;
export const NMI_VECTOR: u32 = 2;

/** INTA: the interrupt controller's vector for the highest-priority pending request. */
export function acknowledgeInterrupt(): u32 {
  return lapicAcknowledge();
}

/** Deliver an external interrupt between instructions. */
export function externalInterrupt(vector: u32): void {
  count(STAT_EXTERNAL_INTERRUPTS);
  setNextEip(eip());
  deliverInterrupt(vector, INT_EXTERNAL, 0, false, eip());
  if (!faulted) setEip(nextEip);
}

/** The 8259A's INT output (level): the local APIC's LINT0. */
export function setIntrLine(level: bool): void {
  lapicSetLint0(level);
}

/** Raise or lower the CPU's INTR input itself (the local APIC's output). */
export function setCpuIntrLine(level: bool): void {
  store<u32>(CPU_STATE + OFF_INTR_LINE, level ? 1 : 0);
}

/** An NMI arrives (edge): pending until the CPU can take it. */
export function requestNmi(): void {
  store<u32>(CPU_STATE + OFF_NMI_PENDING, load<u32>(CPU_STATE + OFF_NMI_PENDING) | NMI_PENDING);
  requestBoundaryCheck();
}

/** An NMI is pending and not blocked by a handler in progress. */
@inline export function nmiDeliverable(): bool {
  return load<u32>(CPU_STATE + OFF_NMI_PENDING) == NMI_PENDING;
}

/** Take the pending NMI: vector 2 through the IDT/IVT, NMIs blocked until IRET. */
export function deliverNmi(): void {
  store<u32>(CPU_STATE + OFF_NMI_PENDING, NMI_BLOCKED);
  store<u32>(CPU_STATE + OFF_HALTED, 0);
  setNextEip(eip());
  deliverInterrupt(NMI_VECTOR, INT_EXTERNAL, 0, false, eip());
  if (!faulted) setEip(nextEip);
}

/** IRET: NMIs are no longer blocked (SDM Vol. 3A §6.7.1); a held one is taken next. */
export function nmiUnblock(): void {
  const s = load<u32>(CPU_STATE + OFF_NMI_PENDING);
  if ((s & NMI_BLOCKED) == 0) return;
  store<u32>(CPU_STATE + OFF_NMI_PENDING, s & ~NMI_BLOCKED);
  if ((s & NMI_PENDING) != 0) requestBoundaryCheck();
}
