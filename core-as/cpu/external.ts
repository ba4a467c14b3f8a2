// External (maskable) interrupts: the INTR line and the acknowledge cycle.
//
// The interrupt controller (the 8259A pair and later the APICs, from the PC
// platform issue) raises OFF_INTR_LINE and answers acknowledgeInterrupt()
// with a vector. The foundation machine has no interrupt controller, so
// nothing raises the line yet; irqVectorSource lets one be plugged in.

import { CPU_STATE } from '../machine/layout';
import { eip, setEip, OFF_INTR_LINE } from './state';
import { faulted } from './fault';
import { nextEip, setNextEip } from './decode';
import { deliverInterrupt, INT_EXTERNAL } from './interrupts';
import { acknowledgeIrq } from '../machine/irq';
import { count, STAT_EXTERNAL_INTERRUPTS } from '../generated/stats';

/** INTA: the controller's vector for the highest-priority pending request. */
export function acknowledgeInterrupt(): u32 {
  return acknowledgeIrq();
}

/** Deliver an external interrupt between instructions. */
export function externalInterrupt(vector: u32): void {
  count(STAT_EXTERNAL_INTERRUPTS);
  setNextEip(eip());
  deliverInterrupt(vector, INT_EXTERNAL, 0, false, eip());
  if (!faulted) setEip(nextEip);
}

/** Raise or lower the CPU's INTR input (level). */
export function setIntrLine(level: bool): void {
  store<u32>(CPU_STATE + OFF_INTR_LINE, level ? 1 : 0);
}
