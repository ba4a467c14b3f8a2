// The 8254 as its datasheet describes it: the six modes' counter values and
// OUT waveforms read back over virtual time, the counter latch and read-back
// commands, BCD counting, byte access sequencing, channel 2's gate and OUT
// through port 0x61, and IRQ 0 at the programmed rate. Virtual time is
// moved with the deterministic clock (advanceClock), in whole PIT ticks.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';

const PIT_HZ = 1193182n;
const NS_PER_S = 1_000_000_000n;
const CH0 = 0x40;
const CH2 = 0x42;
const CONTROL = 0x43;
const PORT_61 = 0x61;
const GATE2 = 0x01;
const OUT2 = 0x20;
const PIC = 0x20;

// Control words.
const SEL_CH0 = 0x00;
const SEL_CH2 = 0x80;
const RW_LSB = 0x10;
const RW_MSB = 0x20;
const RW_WORD = 0x30;
const BCD = 0x01;
const mode = (m: number): number => m << 1;
const READ_BACK = 0xc0;
const RB_NO_COUNT = 0x20;
const RB_NO_STATUS = 0x10;
const RB_CH0 = 0x02;
const RB_CH2 = 0x08;
const STATUS_OUT = 0x80;
const STATUS_NULL = 0x40;

let core: Core;
const inb = (port: number): number => core.exports.portRead(port, 1);
const outb = (port: number, v: number): void => core.exports.portWrite(port, v, 1);

/** PIT ticks elapsed at `ns` (as the core computes them). */
const ticksAt = (ns: bigint): bigint => (ns * PIT_HZ) / NS_PER_S;
/** First virtual time at which `tick` is reached. */
const nsOfTick = (tick: bigint): bigint => (tick * NS_PER_S + PIT_HZ - 1n) / PIT_HZ;
const nowTick = (): bigint => ticksAt(core.exports.getClockNs());
/** Let virtual time run until the PIT has counted `n` more ticks. */
function advanceTicks(n: number): void {
  const target = nowTick() + BigInt(n);
  core.exports.advanceClock(nsOfTick(target) - core.exports.getClockNs());
}

function program(port: number, control: number, count: number): void {
  outb(CONTROL, control);
  if ((control & RW_WORD) === RW_WORD) {
    outb(port, count & 0xff);
    outb(port, (count >> 8) & 0xff);
  } else if ((control & RW_WORD) === RW_LSB) {
    outb(port, count & 0xff);
  } else {
    outb(port, (count >> 8) & 0xff);
  }
}

/** Latch and read a word counter. */
function readCount(port: number, sel: number): number {
  outb(CONTROL, sel); // counter latch command (RW = 00)
  const lo = inb(port);
  return lo | (inb(port) << 8);
}
const out2 = (): boolean => (inb(PORT_61) & OUT2) !== 0;
function status(rbChannel: number, port: number): number {
  outb(CONTROL, READ_BACK | RB_NO_COUNT | rbChannel);
  return inb(port);
}

function initPic(): void {
  outb(PIC, 0x11);
  outb(PIC + 1, 0x20);
  outb(PIC + 1, 0x04);
  outb(PIC + 1, 0x01);
  outb(PIC + 1, 0x00);
}
/** Take the pending timer interrupt, if any: INTA + EOI. */
function takeTimerIrq(): boolean {
  outb(PIC, 0x0a);
  if ((inb(PIC) & 1) === 0) return false;
  expect(core.exports.interruptAcknowledge()).toBe(0x20);
  outb(PIC, 0x20);
  return true;
}

beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
  // Start every test on a tick boundary a little after power-on.
  advanceTicks(5);
});

describe('8254 mode 2 (rate generator)', () => {
  it('counts N down to 1 and reloads, with OUT low only while the count is 1', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 100);
    expect(readCount(CH2, SEL_CH2)).toBe(100);
    advanceTicks(30);
    expect(readCount(CH2, SEL_CH2)).toBe(70);
    expect(out2()).toBe(true);
    advanceTicks(69);
    expect(readCount(CH2, SEL_CH2)).toBe(1);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(100);
    expect(out2()).toBe(true);
    advanceTicks(250);
    expect(readCount(CH2, SEL_CH2)).toBe(50);
  });

  it('raises IRQ 0 once per N ticks on channel 0, without drift over many periods', () => {
    initPic();
    const n = 1193; // ~1 kHz
    program(CH0, SEL_CH0 | RW_WORD | mode(2), n);
    let irqs = 0;
    for (let i = 0; i < 40; i++) {
      advanceTicks(Math.floor(n / 4) + (i % 3)); // uneven steps
      if (takeTimerIrq()) irqs++;
    }
    const elapsed = 40 * Math.floor(n / 4) + 13 + 13 + 13;
    expect(irqs).toBe(Math.floor(elapsed / n));
  });

  it('signals the edges a late service finds past with one IRQ 0 and keeps the phase', () => {
    initPic();
    program(CH0, SEL_CH0 | RW_WORD | mode(2), 2); // a 2-tick period
    core.exports.advanceClock(1_000_000_000n); // a whole second at once
    expect(takeTimerIrq()).toBe(true);
    expect(takeTimerIrq()).toBe(false);
    advanceTicks(2);
    expect(takeTimerIrq()).toBe(true);
  });

  it('delivers the edges missed during a stall later, a quarter period apart, so no tick is lost', () => {
    initPic();
    const n = 1193; // ~1 kHz
    program(CH0, SEL_CH0 | RW_WORD | mode(2), n);
    const loaded = nowTick();
    advanceTicks(10 * n + Math.floor(n / 2)); // the emulator stalled for ten and a half periods
    let irqs = 0;
    if (takeTimerIrq()) irqs++;
    expect(takeTimerIrq()).toBe(false); // one pulse per service: the rest wait
    for (let i = 0; i < 80; i++) {
      advanceTicks(Math.floor(n / 4) + 1);
      if (takeTimerIrq()) irqs++;
    }
    // Every rising edge since the count was loaded has reached the guest.
    expect(irqs).toBe(Math.floor(Number(nowTick() - loaded) / n));
  });

  it('a new count written while counting starts at the end of the current period', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 100);
    advanceTicks(40);
    outb(CH2, 10);
    outb(CH2, 0);
    expect(status(RB_CH2, CH2) & STATUS_NULL).toBe(STATUS_NULL);
    advanceTicks(20);
    expect(readCount(CH2, SEL_CH2)).toBe(40); // old period continues
    advanceTicks(40);
    expect(readCount(CH2, SEL_CH2)).toBe(10); // new count loaded at the period's end
    expect(status(RB_CH2, CH2) & STATUS_NULL).toBe(0);
    advanceTicks(3);
    expect(readCount(CH2, SEL_CH2)).toBe(7);
  });

  it('gate low stops counting and forces OUT high; a gate rising edge reloads the count', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 100);
    advanceTicks(99);
    expect(out2()).toBe(false);
    outb(PORT_61, 0);
    expect(out2()).toBe(true);
    advanceTicks(30);
    expect(readCount(CH2, SEL_CH2)).toBe(1);
    outb(PORT_61, GATE2);
    expect(readCount(CH2, SEL_CH2)).toBe(100);
    advanceTicks(10);
    expect(readCount(CH2, SEL_CH2)).toBe(90);
  });
});

describe('8254 mode 3 (square wave)', () => {
  it('even count: decrements by two, OUT high for N/2 ticks then low for N/2', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(3), 10);
    const outs: boolean[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      outs.push(out2());
      counts.push(readCount(CH2, SEL_CH2));
      advanceTicks(1);
    }
    expect(outs).toEqual([true, true, true, true, true, false, false, false, false, false]);
    expect(counts).toEqual([10, 8, 6, 4, 2, 10, 8, 6, 4, 2]);
    expect(out2()).toBe(true);
  });

  it('odd count: OUT high for (N+1)/2 ticks and low for (N-1)/2, counting N-1 down by two', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(3), 7);
    const outs: boolean[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 7; i++) {
      outs.push(out2());
      counts.push(readCount(CH2, SEL_CH2));
      advanceTicks(1);
    }
    expect(outs).toEqual([true, true, true, true, false, false, false]);
    expect(counts).toEqual([6, 4, 2, 0, 6, 4, 2]);
  });

  it('mode 7 is mode 3 and reads back as written in the status byte', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(7), 4);
    expect(status(RB_CH2, CH2) & 0x0e).toBe(mode(7));
    advanceTicks(2);
    expect(out2()).toBe(false);
  });

  it('raises IRQ 0 once per period', () => {
    initPic();
    program(CH0, SEL_CH0 | RW_WORD | mode(3), 1000);
    let irqs = 0;
    for (let i = 0; i < 20; i++) {
      advanceTicks(500);
      if (takeTimerIrq()) irqs++;
    }
    expect(irqs).toBe(10);
  });
});

describe('8254 mode 0 (interrupt on terminal count)', () => {
  it('OUT goes low on the control word, rises at terminal count and stays high while the counter wraps', () => {
    outb(PORT_61, GATE2);
    outb(CONTROL, SEL_CH2 | RW_WORD | mode(0));
    expect(out2()).toBe(false);
    outb(CH2, 50);
    outb(CH2, 0);
    advanceTicks(49);
    expect(readCount(CH2, SEL_CH2)).toBe(1);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(0);
    expect(out2()).toBe(true);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(0xffff);
    advanceTicks(1000);
    expect(out2()).toBe(true);
  });

  it('gate low suspends counting', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(0), 100);
    advanceTicks(20);
    outb(PORT_61, 0);
    advanceTicks(500);
    expect(readCount(CH2, SEL_CH2)).toBe(80);
    outb(PORT_61, GATE2);
    advanceTicks(80);
    expect(out2()).toBe(true);
  });

  it('writing the first byte of a new count stops counting until the second', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(0), 100);
    advanceTicks(10);
    outb(CH2, 30);
    advanceTicks(50);
    expect(readCount(CH2, SEL_CH2)).toBe(90);
    outb(CH2, 0);
    advanceTicks(29);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(out2()).toBe(true);
  });

  it('raises IRQ 0 once at terminal count (one-shot)', () => {
    initPic();
    program(CH0, SEL_CH0 | RW_WORD | mode(0), 300);
    advanceTicks(299);
    expect(takeTimerIrq()).toBe(false);
    advanceTicks(1);
    expect(takeTimerIrq()).toBe(true);
    advanceTicks(70000);
    expect(takeTimerIrq()).toBe(false);
  });
});

describe('8254 modes 1, 4 and 5', () => {
  it('mode 1: a gate rising edge starts a one-shot with OUT low for N ticks; a retrigger restarts it', () => {
    program(CH2, SEL_CH2 | RW_WORD | mode(1), 20);
    expect(out2()).toBe(true);
    advanceTicks(50);
    expect(out2()).toBe(true); // no trigger yet
    outb(PORT_61, GATE2);
    expect(out2()).toBe(false);
    advanceTicks(10);
    expect(readCount(CH2, SEL_CH2)).toBe(10);
    outb(PORT_61, 0);
    outb(PORT_61, GATE2); // retrigger
    advanceTicks(19);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(out2()).toBe(true);
  });

  it('mode 4: OUT strobes low for one tick at terminal count', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(4), 25);
    expect(out2()).toBe(true);
    advanceTicks(24);
    expect(out2()).toBe(true);
    advanceTicks(1);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(out2()).toBe(true);
  });

  it('mode 5: the strobe counts from the gate trigger', () => {
    program(CH2, SEL_CH2 | RW_WORD | mode(5), 8);
    advanceTicks(30);
    expect(out2()).toBe(true);
    outb(PORT_61, GATE2);
    advanceTicks(8);
    expect(out2()).toBe(false);
    advanceTicks(1);
    expect(out2()).toBe(true);
  });
});

describe('8254 reading', () => {
  it('a latched count holds its value until both bytes are read', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 0x1234);
    advanceTicks(0x34);
    outb(CONTROL, SEL_CH2); // latch
    advanceTicks(0x100);
    outb(CONTROL, SEL_CH2); // a second latch before reading is ignored
    expect(inb(CH2)).toBe(0x00);
    advanceTicks(5);
    expect(inb(CH2)).toBe(0x12);
    // Unlatched reads follow the live counter.
    const lo = inb(CH2);
    const hi = inb(CH2);
    expect((hi << 8) | lo).toBe(0x1234 - 0x34 - 0x100 - 5);
  });

  it('LSB-only and MSB-only access modes write and read one byte', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_LSB | mode(2), 200);
    advanceTicks(50);
    expect(inb(CH2)).toBe(150);
    program(CH2, SEL_CH2 | RW_MSB | mode(2), 0x0300);
    advanceTicks(0x100);
    expect(inb(CH2)).toBe(0x02);
  });

  it('read-back returns status then count; status has OUT, NULL COUNT, RW, mode and BCD', () => {
    outb(PORT_61, GATE2);
    outb(CONTROL, SEL_CH2 | RW_WORD | mode(0) | BCD);
    expect(status(RB_CH2, CH2)).toBe(STATUS_NULL | RW_WORD | mode(0) | BCD);
    outb(CH2, 0x00);
    outb(CH2, 0x01); // BCD 100
    advanceTicks(1);
    expect(status(RB_CH2, CH2)).toBe(RW_WORD | mode(0) | BCD);
    advanceTicks(99);
    outb(CONTROL, READ_BACK | RB_CH2); // status and count
    expect(inb(CH2)).toBe(STATUS_OUT | RW_WORD | mode(0) | BCD);
    expect(inb(CH2)).toBe(0x00);
    expect(inb(CH2)).toBe(0x00);
  });

  it('read-back latches several channels at once', () => {
    outb(PORT_61, GATE2);
    program(CH0, SEL_CH0 | RW_WORD | mode(2), 1000);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 3000);
    advanceTicks(100);
    outb(CONTROL, READ_BACK | RB_NO_STATUS | RB_CH0 | RB_CH2);
    advanceTicks(100);
    expect(inb(CH0) | (inb(CH0) << 8)).toBe(900);
    expect(inb(CH2) | (inb(CH2) << 8)).toBe(2900);
  });

  it('counts in BCD: 0x1000 then 0x0999', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2) | BCD, 0x1000);
    expect(readCount(CH2, SEL_CH2)).toBe(0x1000);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(0x0999);
    advanceTicks(999);
    expect(readCount(CH2, SEL_CH2)).toBe(0x1000);
  });

  it('a count of 0 is 65536 in binary and 10000 in BCD', () => {
    outb(PORT_61, GATE2);
    program(CH2, SEL_CH2 | RW_WORD | mode(2), 0);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(0xffff);
    program(CH2, SEL_CH2 | RW_WORD | mode(2) | BCD, 0);
    advanceTicks(1);
    expect(readCount(CH2, SEL_CH2)).toBe(0x9999);
  });
});

describe('port 0x61 and 0x92', () => {
  it('port 0x61 reads back gate and speaker bits, refresh toggles every 15 us', () => {
    outb(PORT_61, 0x03);
    expect(inb(PORT_61) & 0x0f).toBe(0x03);
    const a = inb(PORT_61) & 0x10;
    core.exports.advanceClock(15_000n);
    const b = inb(PORT_61) & 0x10;
    core.exports.advanceClock(15_000n);
    expect(b).not.toBe(a);
    expect(inb(PORT_61) & 0x10).toBe(a);
    expect(inb(PORT_61) & 0xc0).toBe(0);
  });

  it('port 0x92 bit 1 gates A20 (physical address bit 20)', async () => {
    const L = await import('../../host/generated/cpu-layout.js');
    expect(inb(0x92) & 0x02).toBe(0x02);
    outb(0x92, 0x00);
    expect(core.getState(L.OFF_A20_MASK) >>> 0).toBe(0xffefffff);
    outb(0x92, 0x02);
    expect(core.getState(L.OFF_A20_MASK) >>> 0).toBe(0xffffffff);
  });

  it('port 0x92 bit 0 rising resets the machine', () => {
    core.setupFlat32({ cpl: 0 });
    // mov al, 3; out 0x92, al; jmp $
    core.writePhys(0x1000, new Uint8Array([0xb0, 0x03, 0xe6, 0x92, 0xeb, 0xfe]));
    core.setReg('eip', 0x1000);
    expect(core.run(1000).reason).toBe('reset');
  });
});
