// Why run() stops, and requests to stop it from devices and the CPU itself.

export const STOP_NONE: u32 = 0;
/** The instruction budget of this run() call was used up. */
export const STOP_LIMIT: u32 = 1;
/** HLT with interrupts unable to wake the CPU in this slice (the host waits or stops). */
export const STOP_HALT: u32 = 2;
/** stopOnException was set and an exception was raised (tests). */
export const STOP_EXCEPTION: u32 = 3;
/** The machine must reset (triple fault, reset port). */
export const STOP_RESET: u32 = 4;
/** A device asked the host to exit (isa-debug-exit) or the host asked to pause. */
export const STOP_EXIT: u32 = 5;
/** The CPU is halted and waits for an interrupt (run() returns so the host can sleep). */
export const STOP_IDLE: u32 = 6;
/** The guest powered the machine off (ACPI soft-off). */
export const STOP_POWEROFF: u32 = 7;

export let stopReason: u32 = STOP_NONE;
export let exitCode: u32 = 0;

/** Test mode: stop at the first exception instead of delivering it. */
export let stopOnException: bool = false;
export let stoppedVector: u32 = 0;
export let stoppedErrorCode: u32 = 0;

export function setStopOnException(on: bool): void {
  stopOnException = on;
}
export function clearStop(): void {
  stopReason = STOP_NONE;
}
export function requestStop(reason: u32): void {
  if (stopReason == STOP_NONE || reason == STOP_RESET) stopReason = reason;
}
export function requestReset(): void {
  requestStop(STOP_RESET);
}
export function requestPowerOff(): void {
  requestStop(STOP_POWEROFF);
}
/** isa-debug-exit: the process exits with (value << 1) | 1 (QEMU semantics). */
export function requestExit(code: u32): void {
  exitCode = code;
  requestStop(STOP_EXIT);
}
export function recordStoppedException(vector: u32, code: u32): void {
  stoppedVector = vector;
  stoppedErrorCode = code;
  requestStop(STOP_EXCEPTION);
}
