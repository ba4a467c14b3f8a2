// Protected-mode and virtual-8086-mode interrupt delivery through the IDT
// (SDM Vol. 3A §6.10-6.12): interrupt, trap and task gates, privilege-level
// stack switches through the TSS, error codes, and v86 → ring 0 transitions.

import { raiseGP } from '../fault';

/** Deliver `vector` through the IDT. NOT YET WRITTEN: raises #GP so nothing runs silently wrong. */
export function deliverProtected(vector: u32, kind: u32, errorCode: u32, hasErrorCode: bool, returnEip: u32): void {
  raiseGP((vector << 3) | 2);
}
