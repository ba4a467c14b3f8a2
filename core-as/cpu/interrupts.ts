// Interrupt and exception delivery (SDM Vol. 3A ch. 6; real mode: §20.1.4).
//
// Entry points:
//   deliverException  a fault/trap the loop took: restart address, error code,
//                     and the double-fault / triple-fault rules (§6.15, Table 6-5)
//   softwareInterrupt INT n, INT3, INTO, INT1 from an instruction
//   externalInterrupt a vector acknowledged from the interrupt controller
// Real-mode delivery is here; protected-mode and virtual-8086 delivery
// (gates, privilege changes, task gates) live in protected/interrupts.ts.

import { CPU_STATE } from '../machine/layout';
import {
  cr0, CR0_PE, eip, setEip, segSel, SEG_CS, OFF_IDTR_BASE, OFF_IDTR_LIMIT, FLAG_IF, FLAG_TF, FLAG_AC, FLAG_RF,
  loadRealSegment,
} from './state';
import { getEflags, setEflagsRaw } from './flags';
import { faulted, faultVector, faultErrorCode, faultHasErrorCode, clearFault, raiseGP, EXC_DF, EXC_PF } from './fault';
import { nextEip, setNextEip } from './decode';
import { push16 } from './operands';
import { readLin16 } from './memory';
import { deliverProtected } from './protected/interrupts';
import { requestReset } from './control';
import { count, STAT_EXCEPTIONS, STAT_PAGE_FAULTS, STAT_GENERAL_PROTECTION_FAULTS, STAT_DOUBLE_FAULTS, STAT_TRIPLE_FAULTS, STAT_SOFTWARE_INTERRUPTS } from '../generated/stats';
import { EXC_GP } from './fault';

/**
 * Why an interrupt is delivered; decides the gate DPL check, the EXT bit of
 * error codes and the virtual-8086 IOPL rule (SDM Vol. 2A "INT n/INTO/INT3/
 * INT1" Operation; Vol. 3A §6.12.1.1, §6.13, §20.3.1).
 */
export const INT_EXCEPTION: u32 = 0; // CPU-detected fault or trap
export const INT_SOFTWARE: u32 = 1; // INT n: gate DPL >= CPL; in v86 mode #GP(0) when IOPL < 3
export const INT_EXTERNAL: u32 = 2; // from the interrupt controller
export const INT_ICEBP: u32 = 3; // INT1 (0xf1): like an exception, no DPL check
export const INT_BREAKPOINT: u32 = 4; // INT3, INTO: gate DPL >= CPL, but not IOPL-sensitive in v86 mode

/** INT n, INT3 and INTO: the kinds that need gate DPL >= CPL and push no EXT bit. */
@inline export function isSoftwareKind(kind: u32): bool {
  return kind == INT_SOFTWARE || kind == INT_BREAKPOINT;
}

/** Classes for the double-fault rule (SDM Vol. 3A Table 6-4). */
function faultClass(v: u32): u32 {
  if (v == 0 || (v >= 10 && v <= 13)) return 1; // contributory
  if (v == EXC_PF) return 2; // page fault
  return 0; // benign
}

/**
 * Deliver `vector` with the frame's return address `returnEip`; on success
 * CS:nextEip is the handler. May leave `faulted` set (a fault while
 * delivering), which the caller resolves.
 */
export function deliverInterrupt(vector: u32, kind: u32, errorCode: u32, hasErrorCode: bool, returnEip: u32): void {
  if ((cr0() & CR0_PE) != 0) {
    deliverProtected(vector, kind, errorCode, hasErrorCode, returnEip);
    return;
  }
  // Real mode: the IVT holds 4-byte far pointers at IDTR.base + 4 × vector.
  const entry = vector << 2;
  if (entry + 3 > load<u32>(CPU_STATE + OFF_IDTR_LIMIT)) {
    raiseGP(0);
    return;
  }
  const base = load<u32>(CPU_STATE + OFF_IDTR_BASE);
  const offset = readLin16(base + entry);
  const selector = readLin16(base + entry + 2);
  if (faulted) return;
  const flags = getEflags();
  push16(flags);
  push16(segSel(SEG_CS));
  push16(returnEip);
  if (faulted) return;
  setEflagsRaw(flags & ~(FLAG_IF | FLAG_TF | FLAG_AC | FLAG_RF));
  loadRealSegment(SEG_CS, selector);
  setNextEip(offset);
}

/**
 * Deliver an exception the current instruction raised. EIP still points at
 * the faulting instruction (traps set it past the instruction first).
 */
export function deliverException(vector: u32, errorCode: u32, hasErrorCode: bool): void {
  let v = vector;
  let code = errorCode;
  let has = hasErrorCode;
  for (;;) {
    count(STAT_EXCEPTIONS);
    if (v == EXC_PF) count(STAT_PAGE_FAULTS);
    else if (v == EXC_GP) count(STAT_GENERAL_PROTECTION_FAULTS);
    else if (v == EXC_DF) count(STAT_DOUBLE_FAULTS);
    deliverInterrupt(v, INT_EXCEPTION, code, has, eip());
    if (!faulted) {
      setEip(nextEip);
      return;
    }
    const second = faultVector;
    const secondCode = faultErrorCode;
    const secondHas = faultHasErrorCode;
    clearFault();
    if (v == EXC_DF) {
      // A fault while delivering #DF: shutdown, which the PC turns into a reset.
      count(STAT_TRIPLE_FAULTS);
      requestReset();
      return;
    }
    const c1 = faultClass(v);
    const c2 = faultClass(second);
    if ((c1 == 1 && c2 == 1) || (c1 == 2 && c2 != 0)) {
      v = EXC_DF;
      code = 0;
      has = true;
    } else {
      v = second;
      code = secondCode;
      has = secondHas;
    }
  }
}

/** INT n / INT3 / INTO / INT1 (`kind` says which) executed by the current instruction (a trap: returns past it). */
export function softwareInterrupt(vector: u32, kind: u32): void {
  count(STAT_SOFTWARE_INTERRUPTS);
  deliverInterrupt(vector, kind, 0, false, nextEip);
}
