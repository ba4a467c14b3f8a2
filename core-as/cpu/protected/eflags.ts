// EFLAGS as control transfers write it: IRET, task switches and interrupt
// delivery replace selected bits (SDM Vol. 2A "IRET", Vol. 3A §7.3).

import { FLAG_TF, FLAGS_ARITH, FLAG_DF, FLAGS_WRITABLE } from '../state';
import { getEflags, setEflagsRaw } from '../flags';
import { setDebugChecks } from '../interp';

/** Bits IRET always takes from the popped image. */
export const EFLAGS_ALWAYS: u32 = FLAGS_ARITH | FLAG_DF;

/** Replace the EFLAGS bits in `mask` by those of `value`. */
export function writeEflagsMasked(value: u32, mask: u32): void {
  const m = mask & FLAGS_WRITABLE;
  const v = (getEflags() & ~m) | (value & m);
  setEflagsRaw(v);
  // The interpreter only looks for single-step traps once told TF may be set.
  if ((v & FLAG_TF) != 0) setDebugChecks(true);
}

/** Clear EFLAGS bits (interrupt delivery). */
export function clearEflags(bits: u32): void {
  setEflagsRaw(getEflags() & ~bits);
}
