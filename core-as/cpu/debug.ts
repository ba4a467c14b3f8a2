// Debug exceptions: the trap flag and the debug registers DR0-DR7
// (SDM Vol. 3B ch. 17).

import { dr, setDr, segBase, SEG_CS, FLAG_RF, OFF_EFLAGS } from './state';
import { CPU_STATE } from '../machine/layout';
import { raiseFault, EXC_DB } from './fault';

export const DR6_B0: u32 = 1 << 0;
export const DR6_BD: u32 = 1 << 13;
export const DR6_BS: u32 = 1 << 14;
export const DR6_BT: u32 = 1 << 15;
/** DR6 bits that always read as 1 on P6 (bits 4-11, 16-31; SDM Vol. 3B §17.2.3). */
export const DR6_FIXED_ONES: u32 = 0xffff0ff0;

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
  if ((dr7 & 0xff) == 0) return false;
  const lin = segBase(SEG_CS) + eipValue;
  let hits: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const enabled = (dr7 >> (i * 2)) & 3;
    const rw = (dr7 >> (16 + i * 4)) & 3;
    if (enabled != 0 && rw == 0 && dr(i) == lin) hits |= 1 << i;
  }
  if (hits == 0) return false;
  setDr(6, (dr(6) & ~0xf) | hits | DR6_FIXED_ONES);
  raiseFault(EXC_DB);
  return true;
}
