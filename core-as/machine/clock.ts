// The machine's virtual clock: the one time base of PIT, RTC, APIC timer,
// ACPI PM timer and the TSC (DESIGN §6 "Time").
//
// Two modes:
//   deterministic  time advances with retired instructions
//                  (NS_PER_INSTRUCTION each) and jumps ahead to the next timer
//                  deadline while the CPU halts, so a run is reproducible
//                  whatever the host's speed (tests);
//   realtime       time is the host's monotonic clock (an import, read when a
//                  device or the run loop asks), minus the time the machine
//                  spent paused (for people).
// Time never goes backwards in either mode.

import { CLOCK_STATE } from './layout';
import { instructionsRetired } from '../cpu/interp';

@external('env', 'hostTimeNs')
declare function hostTimeNs(): f64;

export const CLOCK_DETERMINISTIC: u32 = 0;
export const CLOCK_REALTIME: u32 = 1;
/** Deterministic mode's pace: a nominal 100 MIPS machine. */
export const NS_PER_INSTRUCTION: u64 = 10;
/** No timer is armed. */
export const NO_DEADLINE: u64 = 0xffff_ffff_ffff_ffff;

// State (CLOCK_STATE):
const ST_MODE: u32 = CLOCK_STATE + 0x00; // u32 CLOCK_*
const ST_SKIPPED: u32 = CLOCK_STATE + 0x08; // u64 deterministic: ns added by idle skips
const ST_HOST_OFFSET: u32 = CLOCK_STATE + 0x10; // f64 realtime: host ns at virtual time 0 (+ paused time)
const ST_LAST: u32 = CLOCK_STATE + 0x18; // u64 last value returned (monotonic guard)
const ST_DEADLINE: u32 = CLOCK_STATE + 0x20; // u64 next timer deadline (timers.ts)
const ST_PAUSED_AT: u32 = CLOCK_STATE + 0x28; // f64 host ns when paused, or 0

@inline export function clockMode(): u32 {
  return load<u32>(ST_MODE);
}

/** Start the clock at virtual time 0 in `mode` (machine power-on). */
export function clockInit(mode: u32): void {
  store<u32>(ST_MODE, mode == CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_DETERMINISTIC);
  store<u64>(ST_SKIPPED, 0);
  store<u64>(ST_LAST, 0);
  store<u64>(ST_DEADLINE, NO_DEADLINE);
  store<f64>(ST_PAUSED_AT, 0);
  store<f64>(ST_HOST_OFFSET, mode == CLOCK_REALTIME ? hostTimeNs() : 0);
  // Deterministic time counts from the instructions retired so far.
  if (mode != CLOCK_REALTIME) store<u64>(ST_SKIPPED, 0 - instructionsRetired() * NS_PER_INSTRUCTION);
}

/** Virtual nanoseconds since power-on. */
export function clockNow(): u64 {
  let t: u64;
  if (load<u32>(ST_MODE) == CLOCK_REALTIME) {
    const paused = load<f64>(ST_PAUSED_AT);
    const host = paused != 0 ? paused : hostTimeNs();
    const d = host - load<f64>(ST_HOST_OFFSET);
    t = d > 0 ? <u64>d : 0;
  } else {
    t = instructionsRetired() * NS_PER_INSTRUCTION + load<u64>(ST_SKIPPED);
  }
  const last = load<u64>(ST_LAST);
  if (t < last) return last;
  store<u64>(ST_LAST, t);
  return t;
}

/** Deterministic mode: let time jump to `t` (the CPU idles until then). */
export function clockSkipTo(t: u64): void {
  if (load<u32>(ST_MODE) == CLOCK_REALTIME) return;
  const now = clockNow();
  if (t > now) store<u64>(ST_SKIPPED, load<u64>(ST_SKIPPED) + (t - now));
}

/** Realtime mode: stop (true) or restart (false) the clock while the host pauses the machine. */
export function clockPause(paused: bool): void {
  if (load<u32>(ST_MODE) != CLOCK_REALTIME) return;
  const at = load<f64>(ST_PAUSED_AT);
  if (paused && at == 0) store<f64>(ST_PAUSED_AT, hostTimeNs());
  else if (!paused && at != 0) {
    store<f64>(ST_HOST_OFFSET, load<f64>(ST_HOST_OFFSET) + (hostTimeNs() - at));
    store<f64>(ST_PAUSED_AT, 0);
  }
}

@inline export function nextDeadline(): u64 {
  return load<u64>(ST_DEADLINE);
}
@inline export function setNextDeadline(t: u64): void {
  store<u64>(ST_DEADLINE, t);
}
