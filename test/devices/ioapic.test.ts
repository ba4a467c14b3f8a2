// The 82093AA I/O APIC (datasheet §3.0): identification registers, the
// redirection table's writable and read-only bits, edge and level delivery
// to the local APIC with remote IRR and the EOI broadcast, masked pins, the
// ISA IRQ 0 → pin 2 wiring, and a guest that takes an IOAPIC-routed IRQ.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const IOAPIC = 0xfec00000;
const IOREGSEL = 0x00;
const IOWIN = 0x10;
const IOEOI = 0x40;
const APIC = 0xfee00000;
const LAPIC_SVR = 0xf0;
const LAPIC_EOI = 0xb0;
const LAPIC_LDR = 0xd0;
const LAPIC_IRR = 0x200;
const LAPIC_ISR = 0x100;
const LAPIC_TMR = 0x180;
const RTE_LOGICAL = 1 << 11;
const RTE_REMOTE_IRR = 1 << 14;
const RTE_LEVEL = 1 << 15;
const RTE_MASKED = 1 << 16;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 8 });
  // The local APIC software-enabled, spurious vector FFh.
  core.exports.mmioWrite(APIC + LAPIC_SVR, 0x1ff, 4);
});

function ioRead(index: number): number {
  core.exports.mmioWrite(IOAPIC + IOREGSEL, index, 4);
  return core.exports.mmioRead(IOAPIC + IOWIN, 4) >>> 0;
}
function ioWrite(index: number, v: number): void {
  core.exports.mmioWrite(IOAPIC + IOREGSEL, index, 4);
  core.exports.mmioWrite(IOAPIC + IOWIN, v >>> 0, 4);
}
function route(pin: number, low: number, dest = 0): void {
  ioWrite(0x11 + 2 * pin, dest << 24);
  ioWrite(0x10 + 2 * pin, low);
}
function lapicBit(bank: number, v: number): boolean {
  const word = core.exports.mmioRead(APIC + bank + (v >>> 5) * 0x10, 4) >>> 0;
  return ((word >>> (v & 31)) & 1) === 1;
}
function line(irq: number, high: boolean): void {
  core.exports.testDriveIrqLine(irq, high ? 1 : 0);
}
function ack(): number {
  return core.exports.cpuInterruptAcknowledge();
}
function lapicEoi(): void {
  core.exports.mmioWrite(APIC + LAPIC_EOI, 0, 4);
}

describe('IOAPIC registers', () => {
  it('identifies itself: ID 0, version 11h with 24 entries, arbitration ID', () => {
    expect(ioRead(0x00)).toBe(0);
    expect(ioRead(0x01)).toBe(0x00170011);
    ioWrite(0x00, 0xffffffff);
    expect(ioRead(0x00)).toBe(0x0f000000);
    expect(ioRead(0x02)).toBe(0x0f000000);
    ioWrite(0x01, 0); // read-only
    expect(ioRead(0x01)).toBe(0x00170011);
  });

  it('resets every entry masked and keeps only writable bits (delivery status, remote IRR read-only)', () => {
    for (let pin = 0; pin < 24; pin++) {
      expect(ioRead(0x10 + 2 * pin)).toBe(RTE_MASKED);
      expect(ioRead(0x11 + 2 * pin)).toBe(0);
    }
    ioWrite(0x10, 0xffffffff);
    expect(ioRead(0x10)).toBe(0x0001afff);
    ioWrite(0x11, 0xffffffff);
    expect(ioRead(0x11)).toBe(0xff000000);
    expect(ioRead(0x40)).toBe(0); // beyond entry 23
  });

  it('reads IOREGSEL back and returns the addressed bytes of narrow reads', () => {
    core.exports.mmioWrite(IOAPIC + IOREGSEL, 0x01, 4);
    expect(core.exports.mmioRead(IOAPIC + IOREGSEL, 4)).toBe(1);
    expect(core.exports.mmioRead(IOAPIC + IOWIN + 2, 1)).toBe(0x17);
  });
});

describe('IOAPIC delivery', () => {
  it('delivers an edge on a rising edge only, as a fixed interrupt to APIC ID 0', () => {
    route(4, 0x44);
    line(4, true);
    expect(lapicBit(LAPIC_IRR, 0x44)).toBe(true);
    expect(lapicBit(LAPIC_TMR, 0x44)).toBe(false);
    expect(ack()).toBe(0x44);
    lapicEoi();
    line(4, true); // still high: no new edge
    expect(lapicBit(LAPIC_IRR, 0x44)).toBe(false);
    line(4, false);
    line(4, true);
    expect(lapicBit(LAPIC_IRR, 0x44)).toBe(true);
  });

  it('wires ISA IRQ 0 to pin 2 (the interrupt source override)', () => {
    route(2, 0x30);
    route(0, 0x31);
    line(0, true);
    expect(lapicBit(LAPIC_IRR, 0x30)).toBe(true);
    expect(lapicBit(LAPIC_IRR, 0x31)).toBe(false);
  });

  it('loses edges on a masked pin (82093AA "Interrupt Mask")', () => {
    route(3, RTE_MASKED | 0x43);
    line(3, true);
    line(3, false);
    route(3, 0x43);
    expect(lapicBit(LAPIC_IRR, 0x43)).toBe(false);
  });

  it('holds a level interrupt in remote IRR until the EOI broadcast, then delivers it again while asserted', () => {
    route(9, RTE_LEVEL | 0x59);
    line(9, true);
    expect(ioRead(0x10 + 18) & RTE_REMOTE_IRR).toBe(RTE_REMOTE_IRR);
    expect(lapicBit(LAPIC_TMR, 0x59)).toBe(true);
    expect(ack()).toBe(0x59);
    expect(lapicBit(LAPIC_IRR, 0x59)).toBe(false);
    lapicEoi(); // line still high: redelivered
    expect(lapicBit(LAPIC_IRR, 0x59)).toBe(true);
    expect(ioRead(0x10 + 18) & RTE_REMOTE_IRR).toBe(RTE_REMOTE_IRR);
    expect(ack()).toBe(0x59);
    line(9, false);
    lapicEoi();
    expect(ioRead(0x10 + 18) & RTE_REMOTE_IRR).toBe(0);
    expect(lapicBit(LAPIC_IRR, 0x59)).toBe(false);
    expect(lapicBit(LAPIC_ISR, 0x59)).toBe(false);
  });

  it('retires remote IRR through the EOI register at +40h as well', () => {
    route(10, RTE_LEVEL | 0x5a);
    line(10, true);
    line(10, false);
    expect(ioRead(0x10 + 20) & RTE_REMOTE_IRR).toBe(RTE_REMOTE_IRR);
    core.exports.mmioWrite(IOAPIC + IOEOI, 0x5a, 4);
    expect(ioRead(0x10 + 20) & RTE_REMOTE_IRR).toBe(0);
  });

  it('delivers an asserted level input once its entry is unmasked', () => {
    route(11, RTE_MASKED | RTE_LEVEL | 0x5b);
    line(11, true);
    expect(lapicBit(LAPIC_IRR, 0x5b)).toBe(false);
    route(11, RTE_LEVEL | 0x5b);
    expect(lapicBit(LAPIC_IRR, 0x5b)).toBe(true);
  });

  it('matches physical and logical destinations and the broadcast', () => {
    route(5, 0x45, 1); // physical APIC ID 1: nobody
    line(5, true);
    expect(lapicBit(LAPIC_IRR, 0x45)).toBe(false);
    line(5, false);
    route(5, 0x45, 0xff);
    line(5, true);
    expect(lapicBit(LAPIC_IRR, 0x45)).toBe(true);
    line(5, false);
    core.exports.mmioWrite(APIC + LAPIC_LDR, 0x04000000, 4);
    route(6, RTE_LOGICAL | 0x46, 0x03);
    line(6, true);
    expect(lapicBit(LAPIC_IRR, 0x46)).toBe(false);
    line(6, false);
    route(6, RTE_LOGICAL | 0x46, 0x04);
    line(6, true);
    expect(lapicBit(LAPIC_IRR, 0x46)).toBe(true);
  });

  it('delivers nothing to a software-disabled local APIC', () => {
    core.exports.mmioWrite(APIC + LAPIC_SVR, 0xff, 4);
    route(4, 0x44);
    line(4, true);
    expect(lapicBit(LAPIC_IRR, 0x44)).toBe(false);
  });
});

describe('a guest taking an IOAPIC-routed IRQ', () => {
  it('runs its handler through the IDT and retires the level entry with EOI', () => {
    const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    core.setupFlat32({ cpl: 0 });
    core.writePhys(0x2000 + 0x59 * 8, Uint8Array.of(0x00, 0x30, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00));
    // GDT at 0x5000: null, flat 32-bit code (08h), flat data (10h), for the gate's selector.
    core.writePhys(0x5000, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0));
    core.setState(L.OFF_GDTR_BASE, 0x5000);
    core.setState(L.OFF_GDTR_LIMIT, 0x17);
    core.setState(L.OFF_IDTR_BASE, 0x2000);
    core.setState(L.OFF_IDTR_LIMIT, 0x7ff);
    // handler: inc dword [0x4000]; mov dword [APIC EOI], 0; iretd
    const handler = [0xff, 0x05, ...u32(0x4000), 0xc7, 0x05, ...u32(APIC + LAPIC_EOI), ...u32(0), 0xcf];
    core.writePhys(0x3000, Uint8Array.from(handler));
    core.writePhys(0x1000, Uint8Array.of(0xfb, 0xf4, 0xeb, 0xfd)); // sti; hlt; jmp short -3
    core.setReg('eip', 0x1000);
    core.setReg('esp', 0x8000);
    route(9, RTE_LEVEL | 0x59);
    core.run(10);
    line(9, true);
    line(9, false); // the device deasserts before the handler runs: one delivery
    core.run(100);
    const b = core.readPhys(0x4000, 4);
    expect(new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true)).toBe(1);
    expect(ioRead(0x10 + 18) & RTE_REMOTE_IRR).toBe(0);
  });
});
