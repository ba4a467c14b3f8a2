// The interpreter loop: fetch, decode, execute, deliver what was raised.

import { CPU_STATE, JIT_PENDING } from '../machine/layout';
import { jitEnabled, jitEnter, JIT_TRY_NEXT, setJitNested, takeCodeWritten, jitCreditEntry, CREDIT_INSTRUCTIONS } from '../jit/cache';
import { eip, setEip, OFF_INTR_LINE, OFF_HALTED, OFF_INSTR_COUNT, FLAG_IF, FLAG_TF } from './state';
import { sysFlag } from './flags';
import { faulted, faultVector, faultErrorCode, faultHasErrorCode, clearFault } from './fault';
import { beginInstruction, readOpcodeAt, nextEip, setOpcode, branched } from './decode';
import { dispatch } from './generated/dispatch';
import { count, countBy, STAT_INSTRUCTIONS, STAT_HALTS } from '../generated/stats';
import { deliverException } from './interrupts';
import { profileInterval, profileBatchLimit, profileRetired } from './profile';
import { acknowledgeInterrupt, externalInterrupt, nmiDeliverable, deliverNmi } from './external';
import { checkInstructionBreakpoint, clearDataBreakpointHits, debugTrapAfterInstruction } from './debug';
import {
  stopReason, clearStop, requestStop, STOP_LIMIT, STOP_IDLE, stopOnException, recordStoppedException,
} from './control';

/** Interrupt shadow: set by STI (when IF was clear), MOV SS and POP SS for one instruction. */
let interruptShadow: bool = false;
export function setInterruptShadow(): void {
  interruptShadow = true;
  boundaryChecks = true;
}

/**
 * MOV SS / POP SS: besides interrupts, debug exceptions and the single-step
 * trap wait until after the next instruction, so a stack switch
 * (MOV SS; MOV ESP) is never split by a #DB (SDM Vol. 3A §6.8.3).
 */
let debugShadow: bool = false;
export function setStackSwitchShadow(): void {
  interruptShadow = true;
  debugShadow = true;
  boundaryChecks = true;
}

/** Set when DR7 enables breakpoints or TF may be set; keeps the fast path free of debug checks. */
export let debugChecks: bool = false;
export function setDebugChecks(on: bool): void {
  debugChecks = on;
  if (on) boundaryChecks = true;
}

/**
 * Whether instruction boundaries need more than the fast path (debugChecks,
 * interruptShadow or debugShadow may be set), so the loop tests one flag
 * (and the INTR line) per instruction. Set with each of those; recomputed
 * after each instruction that takes the full path.
 */
let boundaryChecks: bool = false;

/** An event (a pending NMI) needs the full boundary before the next instruction. */
export function requestBoundaryCheck(): void {
  boundaryChecks = true;
}
/** Whether the next boundary needs the full checks (compiled blocks leave then). */
export function boundaryCheckPending(): bool {
  return boundaryChecks;
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

// The full instruction boundary, when boundaryChecks or the INTR line is
// set, is split around the instruction so that the loop has one copy of the
// (inlined) dispatcher: beforeInstruction, the instruction, afterInstruction.
const BOUNDARY_RUN: u32 = 0; // execute the instruction
const BOUNDARY_DONE: u32 = 1; // an instruction breakpoint #DB was taken instead (counts as a step)
const BOUNDARY_STOP: u32 = 2; // leave the loop without counting

/** EFLAGS.TF before the instruction, when debug checks are on (else false). */
let tfBefore: bool = false;

/** Take an external interrupt, end the interrupt shadow, check instruction breakpoints. */
function beforeInstruction(): u32 {
  // NMI first (SDM Vol. 3A §6.9, priority 5 before maskable interrupts); a
  // shadow (STI, MOV SS) holds it for one instruction as it holds INTR.
  if (!interruptShadow && nmiDeliverable()) {
    deliverNmi();
    if (faulted) handleFault();
    if (stopReason != 0) return BOUNDARY_STOP;
  } else if (load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 && interruptDeliverable()) {
    store<u32>(CPU_STATE + OFF_HALTED, 0);
    externalInterrupt(acknowledgeInterrupt());
    if (faulted) handleFault();
    if (stopReason != 0) return BOUNDARY_STOP;
  }
  interruptShadow = false;
  tfBefore = debugChecks && sysFlag(FLAG_TF);
  if (debugChecks) {
    if (checkInstructionBreakpoint(eip())) {
      handleFault();
      return BOUNDARY_DONE;
    }
    clearDataBreakpointHits();
  }
  return BOUNDARY_RUN;
}

/** After an instruction that completed: single-step and data-breakpoint traps, one #DB (debug.ts). */
function afterInstruction(): void {
  if (debugShadow) debugShadow = false;
  else if (debugChecks && debugTrapAfterInstruction(tfBefore)) handleFault();
}

/** Instructions executed so far by the current run() call (not yet added to OFF_INSTR_COUNT). */
let runCount: u32 = 0;

/** Instructions retired, including those of the run() in progress (RDTSC's clock). */
export function instructionsRetired(): u64 {
  // JIT_PENDING: instructions a running compiled block completed so far (jit/translate.ts).
  return load<u64>(CPU_STATE + OFF_INSTR_COUNT) + <u64>runCount + <u64>load<u32>(JIT_PENDING);
}

/**
 * A compiled block hands the instruction at `pc` it does not translate to the
 * interpreter: one full loop iteration (boundary, execution, fault delivery,
 * counting), without entering another block.
 */
export function interpretOne(pc: u32): u32 {
  setEip(pc);
  setJitNested(true);
  // The block just left this instruction to the interpreter: no block starts here.
  runBatch(runCount + 1, false);
  setJitNested(false);
  // 1: the block must leave (an event is pending or compiled code was written).
  const written = takeCodeWritten();
  return boundaryChecks || written || stopReason != 0 || load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 ? 1 : 0;
}

/** Account the instructions of this run() call. */
function retire(): void {
  store<u64>(CPU_STATE + OFF_INSTR_COUNT, load<u64>(CPU_STATE + OFF_INSTR_COUNT) + runCount);
  countBy(STAT_INSTRUCTIONS, runCount);
  runCount = 0;
}

/**
 * Run up to `maxInstructions` instructions. Returns a STOP_* reason
 * (STOP_LIMIT when the budget ran out).
 */
export function run(maxInstructions: u32): u32 {
  clearStop();
  runCount = 0;
  if (load<u32>(CPU_STATE + OFF_HALTED) != 0) {
    // HLT: only an interrupt wakes the CPU (SDM Vol. 2A "HLT").
    if (!interruptDeliverable() && !nmiDeliverable()) return STOP_IDLE;
    store<u32>(CPU_STATE + OFF_HALTED, 0);
  }
  // In batches: V8 cannot replace a running wasm call with its optimised
  // code, so one long loop would stay in the baseline tier for a whole slice.
  while (runCount < maxInstructions) {
    const left = maxInstructions - runCount;
    let batch = left < RUN_BATCH ? left : RUN_BATCH;
    if (profileInterval == 0) {
      runBatch(runCount + batch, true);
    } else {
      // The guest profiler (profile.ts): a batch ends at each sample point.
      batch = profileBatchLimit(batch);
      const before = runCount;
      runBatch(runCount + batch, true);
      profileRetired(runCount - before);
    }
    if (stopReason != 0) break;
  }
  retire();
  return stopReason != 0 ? stopReason : STOP_LIMIT;
}

/** Instructions per runBatch call. */
const RUN_BATCH: u32 = 65536;
/** Offset bits of a 4 KiB page: two CS offsets differing only there are in one page. */
const PAGE_OFFSET_MASK: u32 = 0xfff;

/**
 * Run instructions until runCount reaches `limit` or a stop is requested.
 * While boundaryChecks and the INTR line are clear, an instruction boundary
 * is one flag and one memory test: boundaryChecks clear implies no debug
 * checks (so TF before the instruction counts as clear) and no shadow.
 * `enter`: whether a compiled block may start at the first instruction
 * (false for interpretOne: the block that called it stopped there).
 */
function runBatch(limit: u32, enter: bool): void {
  // EIP of the next instruction, kept in a local: after an instruction that
  // completed it is nextEip, just stored to OFF_EIP, so the next one starts
  // without reloading it (the chain from one instruction's EIP to the next's
  // opcode fetch is the loop's critical path). Re-read after anything that
  // may deliver an event (changing EIP).
  let pc = eip();
  // Blocks are looked up only where one may start (jit/cache.ts counts
  // entries there): after a control transfer, an event, a block's exit, or
  // where the JIT said the next instruction may start one.
  let blockEntry = enter;
  // Instructions interpreted since the last block lookup, in steps of
  // CREDIT_INSTRUCTIONS: each step counts for the entry looked up (cache.ts jitCreditEntry).
  let sinceLookup: u32 = 0;
  while (runCount < limit) {
    let execute = true;
    // Compiled blocks run only from a plain boundary (no debug checks, shadow or pending INTR).
    let plain = true;
    if (boundaryChecks || load<u32>(CPU_STATE + OFF_INTR_LINE) != 0) {
      plain = false;
      const b = beforeInstruction();
      if (b == BOUNDARY_STOP) return;
      execute = b == BOUNDARY_RUN;
      pc = eip();
      blockEntry = true;
    }
    if (plain && jitEnabled && blockEntry) {
      // Compiled code for this EIP (jit/cache.ts): it runs whole instructions
      // and returns how many, with EIP stored and a fault possibly pending.
      const n = jitEnter(pc, limit - runCount);
      if (n >= 0) {
        runCount += <u32>n;
        if (faulted) {
          handleFault();
          runCount++;
        }
        if (boundaryChecks) boundaryChecks = debugChecks || interruptShadow || debugShadow || nmiDeliverable();
        if (stopReason != 0) return;
        pc = eip();
        continue;
      }
      blockEntry = n == JIT_TRY_NEXT;
      sinceLookup = 0;
    }
    if (execute) {
      beginInstruction(pc);
      const op = readOpcodeAt(pc);
      if (!faulted) {
        setOpcode(op);
        dispatch(op);
      }
      if (faulted) {
        handleFault();
        pc = eip();
        blockEntry = true;
      } else {
        if (branched) blockEntry = true;
        // A compiled region ends where its page does (jit/translate.ts
        // translates one page), so its exit lands on the first instruction
        // of the next page: count entries there from the start, or a long
        // straight line (an unrolled loop over several pages) gets compiled
        // one page per `threshold` runs of it instead of all at once.
        else if ((pc ^ nextEip) > PAGE_OFFSET_MASK) blockEntry = true;
        if (++sinceLookup == CREDIT_INSTRUCTIONS) {
          sinceLookup = 0;
          jitCreditEntry();
        }
        pc = nextEip;
        setEip(pc);
        // The instruction may have set a shadow or enabled debug checks.
        if (boundaryChecks) {
          afterInstruction();
          pc = eip();
        }
      }
    }
    if (boundaryChecks) {
      boundaryChecks = debugChecks || interruptShadow || debugShadow || nmiDeliverable();
      tfBefore = false;
    }
    runCount++;
    if (stopReason != 0) return;
  }
}

/**
 * HLT: halt until an interrupt. When none can be taken now, leave run() so
 * the host can sleep until a device raises one.
 */
export function enterHalt(): void {
  count(STAT_HALTS);
  store<u32>(CPU_STATE + OFF_HALTED, 1);
  if (!interruptDeliverable() && !nmiDeliverable()) requestStop(STOP_IDLE);
}

@inline function interruptDeliverable(): bool {
  return load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 && !interruptShadow && sysFlag(FLAG_IF);
}
