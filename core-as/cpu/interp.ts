// The interpreter loop: fetch, decode, execute, deliver what was raised.

import { CPU_STATE } from '../machine/layout';
import { eip, setEip, OFF_INTR_LINE, OFF_HALTED, OFF_INSTR_COUNT, FLAG_IF, FLAG_TF } from './state';
import { sysFlag } from './flags';
import { faulted, faultVector, faultErrorCode, faultHasErrorCode, clearFault } from './fault';
import { beginInstruction, readOpcode, nextEip, setOpcode } from './decode';
import { dispatch } from './generated/dispatch';
import { countBy, STAT_INSTRUCTIONS } from '../generated/stats';
import { deliverException } from './interrupts';
import { acknowledgeInterrupt, externalInterrupt } from './external';
import { singleStepTrap, checkInstructionBreakpoint } from './debug';
import {
  stopReason, clearStop, STOP_LIMIT, STOP_IDLE, stopOnException, recordStoppedException,
} from './control';

/** Interrupt shadow: set by STI (when IF was clear), MOV SS and POP SS for one instruction. */
let interruptShadow: bool = false;
export function setInterruptShadow(): void {
  interruptShadow = true;
}

/** Set when DR7 enables breakpoints or TF may be set; keeps the fast path free of debug checks. */
export let debugChecks: bool = false;
export function setDebugChecks(on: bool): void {
  debugChecks = on;
}

function handleFault(): void {
  const vector = faultVector;
  const code = faultErrorCode;
  const has = faultHasErrorCode;
  clearFault();
  if (stopOnException) {
    recordStoppedException(vector, code);
    return;
  }
  deliverException(vector, code, has);
}

/** Execute one instruction (or take one pending event). */
export function step(): void {
  const start = eip();
  const tfBefore = debugChecks && sysFlag(FLAG_TF);
  if (debugChecks && checkInstructionBreakpoint(start)) {
    handleFault();
    return;
  }
  beginInstruction(start);
  const op = readOpcode();
  if (!faulted) {
    setOpcode(op);
    dispatch(op);
  }
  if (faulted) {
    handleFault();
    return;
  }
  setEip(nextEip);
  if (tfBefore) {
    singleStepTrap();
    if (faulted) handleFault();
  }
}

/** Account `n` retired instructions. */
function retire(n: u32): void {
  store<u64>(CPU_STATE + OFF_INSTR_COUNT, load<u64>(CPU_STATE + OFF_INSTR_COUNT) + n);
  countBy(STAT_INSTRUCTIONS, n);
}

/**
 * Run up to `maxInstructions` instructions. Returns a STOP_* reason
 * (STOP_LIMIT when the budget ran out).
 */
export function run(maxInstructions: u32): u32 {
  clearStop();
  let n: u32 = 0;
  while (n < maxInstructions) {
    if (load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 && !interruptShadow && sysFlag(FLAG_IF)) {
      const vector = acknowledgeInterrupt();
      store<u32>(CPU_STATE + OFF_HALTED, 0);
      externalInterrupt(vector);
      if (faulted) handleFault();
    }
    if (load<u32>(CPU_STATE + OFF_HALTED) != 0) {
      retire(n);
      return STOP_IDLE;
    }
    interruptShadow = false;
    step();
    n++;
    if (stopReason != 0) break;
  }
  retire(n);
  return stopReason != 0 ? stopReason : STOP_LIMIT;
}
