// The MC146818A RTC and CMOS as the datasheet and QEMU's pc machine define
// them: time and date registers in BCD/binary and 12/24 h, the update cycle
// (UIP 244 us before each update), periodic rates, alarm with don't-care
// bytes, update-ended interrupts, register C's read-to-clear, SET and the
// divider, NVRAM persistence across reset, and the NVRAM contents SeaBIOS
// reads. Virtual time moves with the deterministic clock (advanceClock).

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';

const INDEX = 0x70;
const DATA = 0x71;
const EXT_INDEX = 0x72;
const EXT_DATA = 0x73;
const SEC = 0x00;
const SEC_ALARM = 0x01;
const MIN = 0x02;
const MIN_ALARM = 0x03;
const HOUR = 0x04;
const HOUR_ALARM = 0x05;
const WEEKDAY = 0x06;
const DAY = 0x07;
const MONTH = 0x08;
const YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;
const A_UIP = 0x80;
const A_NORMAL = 0x20;
const A_DIVIDER_RESET = 0x70;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const NS_PER_S = 1_000_000_000n;
const UIP_HOLD_NS = 244_140n;
const IRQ_RTC = 8;

let core: Core;
const rd = (reg: number): number => {
  core.exports.portWrite(INDEX, reg, 1);
  return core.exports.portRead(DATA, 1);
};
const wr = (reg: number, v: number): void => {
  core.exports.portWrite(INDEX, reg, 1);
  core.exports.portWrite(DATA, v, 1);
};
const now = (): bigint => core.exports.getClockNs();
const advance = (ns: bigint): void => core.exports.advanceClock(ns);
/** Move to virtual time `t` (ns since power-on). */
const advanceTo = (t: bigint): void => advance(t - now());
const irq8 = (): number => core.exports.getIrqLevel(IRQ_RTC);

beforeEach(async () => {
  core = await createCore({ memoryMiB: 32 });
});

describe('MC146818 time and date', () => {
  it('starts at the deterministic epoch 2026-01-01 00:00:00 (a Thursday) in BCD, 24 h', () => {
    expect(rd(REG_A)).toBe(0x26);
    expect(rd(REG_B)).toBe(B_24H);
    expect(rd(REG_D)).toBe(0x80);
    expect([rd(SEC), rd(MIN), rd(HOUR), rd(WEEKDAY), rd(DAY), rd(MONTH), rd(YEAR), rd(CENTURY)]).toEqual([0, 0, 0, 5, 1, 1, 0x26, 0x20]);
  });

  it('advances once per second of virtual time', () => {
    advance(61n * NS_PER_S + NS_PER_S / 2n);
    expect([rd(SEC), rd(MIN), rd(HOUR)]).toEqual([0x01, 0x01, 0x00]);
  });

  it('crosses a leap day and the weekday with the host-set time', () => {
    core.exports.rtcSetTime(951868799); // 2000-02-29 23:59:59 UTC
    expect([rd(SEC), rd(MIN), rd(HOUR), rd(DAY), rd(MONTH), rd(YEAR), rd(CENTURY)]).toEqual([0x59, 0x59, 0x23, 0x29, 0x02, 0x00, 0x20]);
    advance(NS_PER_S);
    expect([rd(SEC), rd(MIN), rd(HOUR), rd(DAY), rd(MONTH)]).toEqual([0, 0, 0, 0x01, 0x03]);
    expect(rd(WEEKDAY)).toBe(4); // Wednesday
  });

  it('reads binary and 12-hour formats as register B selects', () => {
    core.exports.rtcSetTime(1767225600 + 13 * 3600 + 5 * 60 + 7); // 13:05:07
    wr(REG_B, B_BINARY | B_24H);
    expect([rd(HOUR), rd(MIN), rd(SEC), rd(YEAR)]).toEqual([13, 5, 7, 26]);
    wr(REG_B, B_BINARY);
    expect(rd(HOUR)).toBe(0x80 | 1);
    wr(REG_B, 0);
    expect(rd(HOUR)).toBe(0x80 | 0x01);
    core.exports.rtcSetTime(1767225600); // midnight is 12 AM
    expect(rd(HOUR)).toBe(0x12);
  });

  it('SET stops updates and clears UIE; the guest-written time runs after SET clears', () => {
    wr(REG_B, B_24H | B_UIE);
    wr(REG_B, B_SET | B_24H | B_UIE);
    expect(rd(REG_B) & B_UIE).toBe(0);
    wr(HOUR, 0x23);
    wr(MIN, 0x59);
    wr(SEC, 0x58);
    wr(DAY, 0x31);
    wr(MONTH, 0x12);
    wr(YEAR, 0x99);
    wr(CENTURY, 0x19);
    advance(5n * NS_PER_S);
    expect(rd(SEC)).toBe(0x58); // frozen
    wr(REG_B, B_24H);
    advance(2n * NS_PER_S);
    expect([rd(SEC), rd(MIN), rd(HOUR), rd(DAY), rd(MONTH), rd(YEAR), rd(CENTURY)]).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x20]);
  });

  it('a divider reset stops the clock; leaving it puts the first update 500 ms later', () => {
    wr(REG_A, A_DIVIDER_RESET | 6);
    advance(3n * NS_PER_S);
    expect(rd(SEC)).toBe(0);
    wr(REG_A, A_NORMAL | 6);
    advance(NS_PER_S / 2n - 1n);
    expect(rd(SEC)).toBe(0);
    advance(1n);
    expect(rd(SEC)).toBe(1);
  });
});

describe('MC146818 update cycle', () => {
  it('sets UIP during the 244 us before each update and clears it at the update', () => {
    advanceTo(NS_PER_S - UIP_HOLD_NS - 1n);
    expect(rd(REG_A) & A_UIP).toBe(0);
    expect(rd(SEC)).toBe(0);
    advance(1n);
    expect(rd(REG_A) & A_UIP).toBe(A_UIP);
    advanceTo(NS_PER_S - 1n);
    expect(rd(REG_A) & A_UIP).toBe(A_UIP);
    advance(1n);
    expect(rd(REG_A) & A_UIP).toBe(0);
    expect(rd(SEC)).toBe(1);
  });

  it('UIP stays clear while SET holds the clock', () => {
    wr(REG_B, B_SET | B_24H);
    advanceTo(NS_PER_S - 1000n);
    expect(rd(REG_A) & A_UIP).toBe(0);
  });

  it('sets UF at each update, and raises IRQ 8 with IRQF when UIE is set; reading C clears both', () => {
    wr(REG_A, A_NORMAL); // no periodic flag in the way
    advance(NS_PER_S / 4n);
    expect(rd(REG_C)).toBe(0);
    advanceTo(NS_PER_S);
    expect(rd(REG_C)).toBe(C_UF); // flag without interrupt
    expect(rd(REG_C)).toBe(0);
    wr(REG_B, B_24H | B_UIE);
    advanceTo(2n * NS_PER_S - 1n);
    expect(irq8()).toBe(0);
    advance(1n);
    expect(irq8()).toBe(1);
    expect(rd(REG_C)).toBe(C_IRQF | C_UF);
    expect(irq8()).toBe(0);
    expect(rd(REG_C)).toBe(0);
  });
});

describe('MC146818 periodic interrupt', () => {
  for (const [rs, periodNs] of [
    [3, 122070n],
    [6, 976562n],
    [15, 500_000_000n],
  ] as const) {
    it(`rate ${rs} interrupts every ${periodNs} ns`, () => {
      wr(REG_A, A_NORMAL | rs);
      rd(REG_C);
      wr(REG_B, B_24H | B_PIE);
      const window = periodNs * 20n;
      const start = now();
      let irqs = 0;
      while (now() - start < window) {
        advance(periodNs / 3n);
        if (irq8()) {
          expect(rd(REG_C) & (C_IRQF | C_PF)).toBe(C_IRQF | C_PF);
          irqs++;
        }
      }
      expect(irqs).toBeGreaterThanOrEqual(19);
      expect(irqs).toBeLessThanOrEqual(21);
    });
  }

  it('sets PF at the rate with PIE clear, without an interrupt', () => {
    wr(REG_A, A_NORMAL | 15);
    rd(REG_C);
    advance(600_000_000n);
    expect(irq8()).toBe(0);
    expect(rd(REG_C)).toBe(C_PF);
  });

  it('setting PIE while PF is set asserts IRQ 8 at once', () => {
    wr(REG_A, A_NORMAL | 15);
    rd(REG_C);
    advance(600_000_000n);
    wr(REG_B, B_24H | B_PIE);
    expect(irq8()).toBe(1);
  });

  it('rate 0 never sets PF', () => {
    wr(REG_A, A_NORMAL);
    rd(REG_C);
    advance(100_000_000n);
    expect(rd(REG_C) & C_PF).toBe(0);
  });
});

describe('MC146818 alarm', () => {
  it('fires AF and IRQ 8 when the update reaches the alarm time', () => {
    wr(SEC_ALARM, 0x05);
    wr(MIN_ALARM, 0x00);
    wr(HOUR_ALARM, 0x00);
    wr(REG_B, B_24H | B_AIE);
    advance(4n * NS_PER_S + NS_PER_S / 2n);
    expect(irq8()).toBe(0);
    expect(rd(REG_C) & C_AF).toBe(0);
    advance(NS_PER_S);
    expect(irq8()).toBe(1);
    expect(rd(REG_C) & (C_IRQF | C_AF)).toBe(C_IRQF | C_AF);
  });

  it('treats 0xC0-0xFF as "do not care": all three do not care fire every second', () => {
    wr(SEC_ALARM, 0xff);
    wr(MIN_ALARM, 0xc0);
    wr(HOUR_ALARM, 0xd5);
    wr(REG_B, B_24H | B_AIE);
    for (let i = 0; i < 3; i++) {
      advance(NS_PER_S);
      expect(rd(REG_C) & C_AF).toBe(C_AF);
    }
  });

  it("matches the minute with seconds and hours don't care (once a second during that minute)", () => {
    wr(SEC_ALARM, 0xc0);
    wr(MIN_ALARM, 0x02);
    wr(HOUR_ALARM, 0xc0);
    advanceTo(119n * NS_PER_S + 1n);
    expect(rd(REG_C) & C_AF).toBe(0);
    advanceTo(120n * NS_PER_S);
    expect(rd(REG_C) & C_AF).toBe(C_AF);
    advanceTo(121n * NS_PER_S);
    expect(rd(REG_C) & C_AF).toBe(C_AF);
  });

  it('finds an alarm passed during a long interval without polling', () => {
    wr(SEC_ALARM, 0x30);
    wr(MIN_ALARM, 0x45);
    wr(HOUR_ALARM, 0x07);
    rd(REG_C);
    advance(7n * 3600n * NS_PER_S);
    expect(rd(REG_C) & C_AF).toBe(0);
    advance(3600n * NS_PER_S);
    expect(rd(REG_C) & C_AF).toBe(C_AF);
  });
});

describe('CMOS NVRAM', () => {
  it('holds the memory sizes, equipment, boot order and CPU count as QEMU fills them', () => {
    const b = (i: number): number => core.exports.cmosRead(i);
    expect(b(0x15) | (b(0x16) << 8)).toBe(640);
    expect(b(0x17) | (b(0x18) << 8)).toBe(31 * 1024);
    expect(b(0x30) | (b(0x31) << 8)).toBe(31 * 1024);
    expect(b(0x34) | (b(0x35) << 8)).toBe((16 * 1024 * 1024) / 65536);
    expect(b(0x5b) | b(0x5c) | b(0x5d)).toBe(0);
    expect(b(0x5f)).toBe(0);
    expect(b(0x14)).toBe(0x06); // FPU, PS/2 mouse, no floppy
    expect(b(0x3d)).toBe(0x12); // hard disk, then floppy
    expect(b(0x38)).toBe(0x30); // then CD-ROM
    expect(b(0x0f)).toBe(0);
    expect(rd(0x15)).toBe(640 & 0xff); // the same through the ports
  });

  it('caps extended memory at 65535 KiB (0x17/0x30) for large RAM', async () => {
    core = await createCore({ memoryMiB: 128 });
    const b = (i: number): number => core.exports.cmosRead(i);
    expect(b(0x17) | (b(0x18) << 8)).toBe(0xffff);
    expect(b(0x34) | (b(0x35) << 8)).toBe((112 * 1024 * 1024) / 65536);
  });

  it('records floppy types with the equipment byte, disks with type 47 and their geometry', () => {
    core.exports.cmosSetFloppyType(0, 4);
    const b = (i: number): number => core.exports.cmosRead(i);
    expect(b(0x10)).toBe(0x40);
    expect(b(0x14)).toBe(0x07);
    core.exports.cmosSetFloppyType(1, 2);
    expect(b(0x10)).toBe(0x42);
    expect(b(0x14)).toBe(0x47);
    core.exports.cmosSetDiskPresent(0, 1024, 16, 63, 1);
    expect(b(0x12)).toBe(0xf0);
    expect(b(0x19)).toBe(47);
    expect([b(0x1b), b(0x1c), b(0x1d), b(0x20), b(0x23)]).toEqual([0x00, 0x04, 16, 0xc8, 63]);
    expect(b(0x39) & 3).toBe(1);
    core.exports.cmosSetBootOrder(3, 2, 1);
    expect(b(0x3d)).toBe(0x23);
    expect(b(0x38) & 0xf0).toBe(0x10);
  });

  it('keeps NVRAM and time across a machine reset, which clears the interrupt enables and flags', () => {
    wr(0x40, 0x5a);
    wr(REG_B, B_24H | B_PIE | B_UIE);
    advance(3n * NS_PER_S);
    core.exports.resetDevices();
    expect(rd(0x40)).toBe(0x5a);
    expect(rd(REG_B)).toBe(B_24H);
    expect(rd(REG_C)).toBe(0);
    expect(irq8()).toBe(0);
    expect(rd(SEC)).toBe(3);
  });

  it('reaches bytes 0x80-0xFF through ports 0x72/0x73 without aliasing the lower bank', () => {
    core.exports.portWrite(EXT_INDEX, 0x40, 1);
    core.exports.portWrite(EXT_DATA, 0xa5, 1);
    expect(core.exports.cmosRead(0xc0)).toBe(0xa5);
    expect(core.exports.portRead(EXT_DATA, 1)).toBe(0xa5);
    expect(rd(0x40)).not.toBe(0xa5);
  });

  it('ignores bit 7 of the index (the NMI mask) and writes to C and D', () => {
    core.exports.portWrite(INDEX, 0x80 | REG_A, 1);
    expect(core.exports.portRead(DATA, 1)).toBe(0x26);
    wr(REG_C, 0xff);
    wr(REG_D, 0x00);
    expect(rd(REG_C)).toBe(0);
    expect(rd(REG_D)).toBe(0x80);
  });
});
