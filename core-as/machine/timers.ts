// Timer service: every device with a time-driven behaviour catches up to the
// virtual clock here, and says when it next needs attention.
//
// The run loop (core-as/index.ts) calls serviceTimers() between slices of
// instructions and sizes the next slice so that it ends at the earliest
// deadline; a device whose state a guest reads between slices (a PIT counter,
// the RTC's update-in-progress bit) computes it from clockNow() itself, so the
// slice length bounds interrupt latency, not accuracy.

import { clockNow, setNextDeadline, NO_DEADLINE } from './clock';
import { acpiPmAdvance } from '../devices/acpi-pm';
import { i8042Advance } from '../devices/i8042';
import { lapicAdvance } from '../devices/lapic';
import { pitAdvance } from '../devices/pit8254';
import { rtcAdvance } from '../devices/rtc146818';
import { vgaAdvance } from '../devices/vga';

/** Bring every timer up to now; returns (and records) the earliest deadline. */
export function serviceTimers(): u64 {
  const now = clockNow();
  let next = NO_DEADLINE;
  // Each timer device: `const t = xxxAdvance(now); if (t < next) next = t;`
  const pm = acpiPmAdvance(now);
  if (pm < next) next = pm;
  const tKbd = i8042Advance(now);
  if (tKbd < next) next = tKbd;
  const tLapic = lapicAdvance(now);
  if (tLapic < next) next = tLapic;
  const tPit = pitAdvance(now);
  if (tPit < next) next = tPit;
  const tRtc = rtcAdvance(now);
  if (tRtc < next) next = tRtc;
  const tVga = vgaAdvance(now);
  if (tVga < next) next = tVga;
  setNextDeadline(next);
  return next;
}
