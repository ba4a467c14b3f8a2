// The 8259A pair as the Intel 8259A datasheet describes it (fully nested
// priority, EOI forms, rotation, special mask, poll, edge vs level with the
// PIIX3 ELCR, cascade through the slave, default IR7), driven through
// core.wasm's port exports and its INTA export.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const MASTER = 0x20;
const SLAVE = 0xa0;
const ELCR_MASTER = 0x4d0;
const ELCR_SLAVE = 0x4d1;
const MASTER_BASE = 0x20;
const SLAVE_BASE = 0x28;
const ICW1 = 0x11; // edge, cascade, ICW4 needed
const ICW1_LTIM = 0x08;
const ICW4_8086 = 0x01;
const ICW4_AEOI = 0x02;
const ICW4_SFNM = 0x10;
const OCW3_READ_IRR = 0x0a;
const OCW3_READ_ISR = 0x0b;
const OCW3_POLL = 0x0c;
const OCW3_SET_SMM = 0x68;
const OCW3_CLEAR_SMM = 0x48;
const EOI = 0x20;
const SPECIFIC_EOI = 0x60;
const ROTATE_EOI = 0xa0;
const ROTATE_AEOI_SET = 0x80;
const SET_PRIORITY = 0xc0;
const ROTATE_SPECIFIC_EOI = 0xe0;

let core: Core;
const inb = (port: number): number => core.exports.portRead(port, 1);
const outb = (port: number, v: number): void => core.exports.portWrite(port, v, 1);
const irq = (line: number, high: boolean): void => core.exports.setHostIrq(line, high ? 1 : 0);
const pulse = (line: number): void => {
  irq(line, true);
  irq(line, false);
};
const intr = (): number => core.getState(L.OFF_INTR_LINE);
const inta = (): number => core.exports.interruptAcknowledge();

function initPics(icw4Master = ICW4_8086, icw4Slave = ICW4_8086, icw1 = ICW1): void {
  outb(MASTER, icw1);
  outb(MASTER + 1, MASTER_BASE);
  outb(MASTER + 1, 0x04); // slave on IR2
  outb(MASTER + 1, icw4Master);
  outb(SLAVE, icw1);
  outb(SLAVE + 1, SLAVE_BASE);
  outb(SLAVE + 1, 0x02); // slave id 2
  outb(SLAVE + 1, icw4Slave);
  outb(MASTER + 1, 0);
  outb(SLAVE + 1, 0);
}

function isr(port: number): number {
  outb(port, OCW3_READ_ISR);
  const v = inb(port);
  outb(port, OCW3_READ_IRR);
  return v;
}

beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
  initPics();
});

describe('8259A fully nested mode', () => {
  it('raises INTR for an unmasked request and answers INTA with ICW2 base + level', () => {
    expect(intr()).toBe(0);
    pulse(3);
    expect(intr()).toBe(1);
    expect(inb(MASTER)).toBe(0x08); // IRR
    expect(inta()).toBe(MASTER_BASE + 3);
    expect(intr()).toBe(0);
    expect(isr(MASTER)).toBe(0x08);
    expect(inb(MASTER)).toBe(0); // edge request consumed
  });

  it('takes IR0 before IR5 and blocks equal or lower levels while one is in service', () => {
    pulse(5);
    pulse(0);
    expect(inta()).toBe(MASTER_BASE + 0);
    expect(intr()).toBe(0); // IR5 waits behind IR0 in service
    pulse(1);
    expect(intr()).toBe(0); // lower than 0 too
    outb(MASTER, EOI);
    expect(isr(MASTER)).toBe(0);
    expect(intr()).toBe(1);
    expect(inta()).toBe(MASTER_BASE + 1);
    outb(MASTER, EOI);
    expect(inta()).toBe(MASTER_BASE + 5);
  });

  it('lets a higher level interrupt a lower one in service (nesting)', () => {
    pulse(6);
    expect(inta()).toBe(MASTER_BASE + 6);
    pulse(4);
    expect(intr()).toBe(1);
    expect(inta()).toBe(MASTER_BASE + 4);
    expect(isr(MASTER)).toBe(0x50);
    outb(MASTER, EOI); // non-specific EOI clears the highest in service: 4
    expect(isr(MASTER)).toBe(0x40);
  });

  it('keeps masked requests in IRR and delivers them when unmasked (OCW1)', () => {
    outb(MASTER + 1, 0x10);
    expect(inb(MASTER + 1)).toBe(0x10);
    pulse(4);
    expect(intr()).toBe(0);
    expect(inb(MASTER)).toBe(0x10);
    outb(MASTER + 1, 0);
    expect(intr()).toBe(1);
    expect(inta()).toBe(MASTER_BASE + 4);
  });

  it('clears one chosen ISR bit with a specific EOI', () => {
    pulse(6);
    inta();
    pulse(2 + 1); // IR3
    inta();
    expect(isr(MASTER)).toBe(0x48);
    outb(MASTER, SPECIFIC_EOI | 6);
    expect(isr(MASTER)).toBe(0x08);
  });
});

describe('8259A automatic EOI and rotation', () => {
  it('AEOI mode acknowledges without setting ISR', () => {
    initPics(ICW4_8086 | ICW4_AEOI);
    pulse(3);
    expect(inta()).toBe(MASTER_BASE + 3);
    expect(isr(MASTER)).toBe(0);
    pulse(5);
    expect(intr()).toBe(1); // nothing in service blocks it
  });

  it('rotate on non-specific EOI makes the serviced level the lowest', () => {
    pulse(1);
    expect(inta()).toBe(MASTER_BASE + 1);
    outb(MASTER, ROTATE_EOI); // IR1 becomes lowest: order 2,3,...,7,0,1
    pulse(0);
    pulse(4);
    expect(inta()).toBe(MASTER_BASE + 4);
    outb(MASTER, EOI);
    expect(inta()).toBe(MASTER_BASE + 0);
  });

  it('set priority command makes the named level the lowest', () => {
    outb(MASTER, SET_PRIORITY | 5); // order 6,7,0,...,5
    pulse(5);
    pulse(7);
    pulse(3);
    expect(inta()).toBe(MASTER_BASE + 7);
    outb(MASTER, EOI);
    expect(inta()).toBe(MASTER_BASE + 3);
    outb(MASTER, EOI);
    expect(inta()).toBe(MASTER_BASE + 5);
  });

  it('rotate on specific EOI clears that level and makes it the lowest', () => {
    pulse(3);
    inta();
    outb(MASTER, ROTATE_SPECIFIC_EOI | 3);
    expect(isr(MASTER)).toBe(0);
    pulse(1);
    pulse(4);
    expect(inta()).toBe(MASTER_BASE + 4); // 4 is now highest
  });

  it('rotate in AEOI mode rotates at each acknowledge', () => {
    initPics(ICW4_8086 | ICW4_AEOI);
    outb(MASTER, ROTATE_AEOI_SET);
    pulse(2 + 4); // IR6
    expect(inta()).toBe(MASTER_BASE + 6); // 6 becomes lowest
    pulse(6);
    pulse(3);
    expect(inta()).toBe(MASTER_BASE + 3);
    expect(inta()).toBe(MASTER_BASE + 6);
  });
});

describe('8259A special mask mode and poll', () => {
  it('special mask mode lets lower levels through a masked in-service level', () => {
    pulse(2 + 1); // IR3
    expect(inta()).toBe(MASTER_BASE + 3);
    pulse(6);
    expect(intr()).toBe(0);
    outb(MASTER + 1, 0x08); // mask IR3
    outb(MASTER, OCW3_SET_SMM);
    expect(intr()).toBe(1);
    expect(inta()).toBe(MASTER_BASE + 6);
    outb(MASTER, OCW3_CLEAR_SMM);
    outb(MASTER, SPECIFIC_EOI | 6);
    pulse(5);
    expect(intr()).toBe(0); // IR3 in service blocks again
  });

  it('poll command returns 0x80 | level, acknowledges it, then reads 0 when idle', () => {
    outb(MASTER + 1, 0xff); // polling works with the INT output unused
    pulse(5);
    outb(MASTER + 1, 0);
    outb(MASTER, OCW3_POLL);
    expect(inb(MASTER)).toBe(0x80 | 5);
    expect(isr(MASTER)).toBe(0x20);
    outb(MASTER, EOI);
    outb(MASTER, OCW3_POLL);
    expect(inb(MASTER)).toBe(0);
    // The poll is one read only: the next read is IRR again.
    pulse(1);
    expect(inb(MASTER)).toBe(0x02);
  });
});

describe('8259A edge and level triggering (ELCR)', () => {
  it('edge mode needs a new rising edge for a new request', () => {
    irq(4, true);
    expect(inta()).toBe(MASTER_BASE + 4);
    outb(MASTER, EOI);
    expect(intr()).toBe(0); // still high, no edge
    irq(4, false);
    irq(4, true);
    expect(intr()).toBe(1);
  });

  it('level mode re-requests after EOI while the line stays high', () => {
    outb(ELCR_SLAVE, 0x08); // IRQ 11 level
    expect(inb(ELCR_SLAVE)).toBe(0x08);
    irq(11, true);
    expect(inta()).toBe(SLAVE_BASE + 3);
    outb(SLAVE, EOI);
    outb(MASTER, EOI);
    expect(intr()).toBe(1);
    expect(inta()).toBe(SLAVE_BASE + 3);
    irq(11, false);
    outb(SLAVE, EOI);
    outb(MASTER, EOI);
    expect(intr()).toBe(0);
  });

  it('ELCR bits for IRQ 0, 1, 2, 8 and 13 stay edge (PIIX3)', () => {
    outb(ELCR_MASTER, 0xff);
    outb(ELCR_SLAVE, 0xff);
    expect(inb(ELCR_MASTER)).toBe(0xf8);
    expect(inb(ELCR_SLAVE)).toBe(0xde);
  });

  it('ICW1 LTIM makes every line level triggered', () => {
    initPics(ICW4_8086, ICW4_8086, ICW1 | ICW1_LTIM);
    irq(3, true);
    expect(inta()).toBe(MASTER_BASE + 3);
    outb(MASTER, EOI);
    expect(intr()).toBe(1);
    irq(3, false);
    expect(intr()).toBe(0);
  });

  it('a level request that goes away before INTA gives the default IR7 without ISR', () => {
    outb(ELCR_MASTER, 0x20); // IRQ 5 level
    irq(5, true);
    expect(intr()).toBe(1);
    irq(5, false);
    expect(intr()).toBe(0);
    expect(inta()).toBe(MASTER_BASE + 7);
    expect(isr(MASTER)).toBe(0);
  });
});

describe('8259A cascade', () => {
  it('delivers a slave request through master IR2 with the slave vector', () => {
    pulse(10);
    expect(inb(SLAVE)).toBe(0x04);
    expect(inb(MASTER) & 0x04).toBe(0x04);
    expect(intr()).toBe(1);
    expect(inta()).toBe(SLAVE_BASE + 2);
    expect(isr(MASTER)).toBe(0x04);
    expect(isr(SLAVE)).toBe(0x04);
    outb(SLAVE, EOI);
    outb(MASTER, EOI);
    expect(isr(MASTER)).toBe(0);
  });

  it('orders slave lines by the slave priority and master IR2 against the master lines', () => {
    pulse(12);
    pulse(9);
    pulse(3);
    pulse(1);
    expect(inta()).toBe(MASTER_BASE + 1); // IR1 > IR2 (slave) > IR3
    outb(MASTER, EOI);
    expect(inta()).toBe(SLAVE_BASE + 1); // IRQ 9
    outb(SLAVE, EOI);
    outb(MASTER, EOI);
    expect(inta()).toBe(SLAVE_BASE + 4); // IRQ 12
    outb(SLAVE, EOI);
    outb(MASTER, EOI);
    expect(inta()).toBe(MASTER_BASE + 3);
  });

  it('without special fully nested mode, a higher slave request waits while IR2 is in service', () => {
    pulse(12);
    expect(inta()).toBe(SLAVE_BASE + 4);
    pulse(9);
    expect(intr()).toBe(0);
  });

  it('special fully nested mode lets a higher slave request through IR2 in service', () => {
    initPics(ICW4_8086 | ICW4_SFNM);
    pulse(12);
    expect(inta()).toBe(SLAVE_BASE + 4);
    pulse(9);
    expect(intr()).toBe(1);
    expect(inta()).toBe(SLAVE_BASE + 1);
  });

  it('a slave level request withdrawn before INTA gives spurious IRQ 15 with IR2 in service on the master', () => {
    outb(ELCR_SLAVE, 0x08); // IRQ 11 level
    irq(11, true);
    irq(11, false);
    expect(inta()).toBe(SLAVE_BASE + 7);
    expect(isr(SLAVE)).toBe(0);
    expect(isr(MASTER)).toBe(0x04);
  });

  it('a request on master IR2 with nothing on the slave acknowledges as spurious IRQ 15', () => {
    pulse(2);
    expect(inta()).toBe(SLAVE_BASE + 7);
  });

  it('masking IR2 on the master holds back all slave requests', () => {
    outb(MASTER + 1, 0x04);
    pulse(14);
    expect(intr()).toBe(0);
    outb(MASTER + 1, 0);
    expect(inta()).toBe(SLAVE_BASE + 6);
  });
});

describe('8259A initialisation', () => {
  it('ICW1 clears IMR and ISR and restarts the ICW sequence', () => {
    outb(MASTER + 1, 0x5a);
    pulse(3);
    inta();
    outb(MASTER, ICW1);
    expect(inb(MASTER + 1)).toBe(0);
    expect(isr(MASTER)).toBe(0);
    outb(MASTER + 1, 0x40); // ICW2
    outb(MASTER + 1, 0x04); // ICW3
    outb(MASTER + 1, ICW4_8086); // ICW4
    outb(MASTER + 1, 0xfe); // OCW1
    expect(inb(MASTER + 1)).toBe(0xfe);
    pulse(0);
    expect(inta()).toBe(0x40);
  });

  it('machine reset leaves both chips with no requests and INTR low, ELCR edge', () => {
    outb(ELCR_SLAVE, 0x08);
    pulse(3);
    core.exports.resetDevices();
    expect(intr()).toBe(0);
    expect(inb(ELCR_SLAVE)).toBe(0);
    expect(inb(MASTER)).toBe(0);
  });
});
