// The PIIX4 ACPI PM timer (core-as/devices/acpi-pm.ts) on the realtime clock:
// a 32-bit read of PM_TMR is one sample of the 24-bit counter (Intel 82371AB
// datasheet §7.2.2: the timer is read as one double word). Assembled from
// byte reads of different instants, a read could run ahead of the next one,
// which a guest extending the counter takes for a wrap (SeaBIOS's
// timer_adjust_bits lost 4.7 s each time and timed out its disk reads).

import { describe, expect, it } from 'vitest';

import { makeBus } from './helpers.js';

const DEVFN_PM = (1 << 3) | 3;
const REG_PMBA = 0x40;
const REG_PMREGMISC = 0x80;
const PMREGMISC_PMIOSE = 1;
const PM_BASE = 0xb000;
const PM_TMR = PM_BASE + 0x08;
const CLOCK_REALTIME = 1;
const COUNTER_MASK = 0xffffff;
/** Half the counter's range: a step larger than this is a step back. */
const HALF_RANGE = 0x800000;
const READS = 200_000;

describe('ACPI PM timer on the realtime clock', () => {
  it('never steps back between 32-bit reads (each read is one sample)', async () => {
    const bus = await makeBus();
    bus.pciWrite(DEVFN_PM, REG_PMBA, PM_BASE | 1, 4);
    bus.pciWrite(DEVFN_PM, REG_PMREGMISC, PMREGMISC_PMIOSE, 1);
    bus.core.exports.setClockMode(CLOCK_REALTIME);
    let prev = bus.inl(PM_TMR);
    expect(prev & ~COUNTER_MASK).toBe(0);
    let backwards = 0;
    let moved = 0;
    for (let i = 0; i < READS; i++) {
      const v = bus.inl(PM_TMR);
      const step = (v - prev) & COUNTER_MASK;
      if (step >= HALF_RANGE) backwards++;
      else if (step > 0) moved++;
      prev = v;
    }
    expect(backwards).toBe(0);
    // The counter runs (3.58 MHz) while the loop reads it.
    expect(moved).toBeGreaterThan(READS / 100);
  });
});
