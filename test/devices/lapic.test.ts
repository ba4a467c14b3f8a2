// The local APIC (Intel SDM Vol. 3A ch. 10): register semantics, priorities
// (TPR/PPR/ISR) and EOI, self-IPIs, the spurious vector, the error status
// register, the timer on the virtual clock (1 GHz before the divider), and
// guest programs that take its interrupts (and an ICR NMI) through the IDT.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const APIC = 0xfee00000;
const ID = 0x20;
const VERSION = 0x30;
const TPR = 0x80;
const APR = 0x90;
const PPR = 0xa0;
const EOI = 0xb0;
const LDR = 0xd0;
const DFR = 0xe0;
const SVR = 0xf0;
const ISR = 0x100;
const IRR = 0x200;
const ESR = 0x280;
const ICR_LOW = 0x300;
const ICR_HIGH = 0x310;
const LVT_TIMER = 0x320;
const LVT_LINT0 = 0x350;
const LVT_ERROR = 0x370;
const TIMER_INITIAL = 0x380;
const TIMER_CURRENT = 0x390;
const TIMER_DIVIDE = 0x3e0;
const SVR_ENABLE = 0x100;
const LVT_MASKED = 0x10000;
const LVT_PERIODIC = 0x20000;
const SHORTHAND_SELF = 1 << 18;
const MODE_NMI = 4 << 8;
const DIVIDE_BY_1 = 0xb;
const DIVIDE_BY_2 = 0x0;
const DIVIDE_BY_16 = 0x3;
const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
const ESR_ILLEGAL_REGISTER = 1 << 7;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 8 });
});

function r(off: number): number {
  return core.exports.mmioRead(APIC + off, 4) >>> 0;
}
function w(off: number, v: number): void {
  core.exports.mmioWrite(APIC + off, v >>> 0, 4);
}
function vectorBit(bank: number, v: number): boolean {
  return ((r(bank + (v >>> 5) * 0x10) >>> (v & 31)) & 1) === 1;
}
function now(): number {
  return Number(core.exports.getClockNs());
}
function intr(): boolean {
  return core.exports.getIntrLine() !== 0;
}
function enable(): void {
  w(SVR, SVR_ENABLE | 0xff);
}

/** Run `n` instructions of a `jmp $` loop at 0x1000 with IF clear (deterministic clock: 10 ns each). */
function spin(n: number): void {
  core.writePhys(0x1000, Uint8Array.of(0xeb, 0xfe));
  core.setupFlat32({ cpl: 0 });
  core.setReg('eip', 0x1000);
  let left = n;
  while (left > 0) left -= core.run(left).instructions;
}

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** A flat 32-bit guest with an IDT at 0x2000 whose `vectors` go to `handler` (bytes at 0x3000). */
function guest(vectors: number[], handler: number[], main: number[]): void {
  core.setupFlat32({ cpl: 0 });
  for (const v of vectors) {
    // 32-bit interrupt gate, selector 08h, DPL 0, offset 0x3000.
    core.writePhys(0x2000 + v * 8, Uint8Array.of(0x00, 0x30, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00));
  }
  // GDT at 0x5000: null, flat 32-bit code (08h), flat data (10h), for the gate's selector.
  core.writePhys(0x5000, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0));
  core.setState(L.OFF_GDTR_BASE, 0x5000);
  core.setState(L.OFF_GDTR_LIMIT, 0x17);
  core.setState(L.OFF_IDTR_BASE, 0x2000);
  core.setState(L.OFF_IDTR_LIMIT, 0x7ff);
  core.writePhys(0x3000, Uint8Array.from(handler));
  core.writePhys(0x1000, Uint8Array.from(main));
  core.setReg('eip', 0x1000);
  core.setReg('esp', 0x8000);
}
function counter(addr: number): number {
  const b = core.readPhys(addr, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}
/** inc dword [0x4000]; mov dword [APIC + EOI], 0; iretd */
const COUNTING_HANDLER = [0xff, 0x05, ...u32(0x4000), 0xc7, 0x05, ...u32(APIC + EOI), ...u32(0), 0xcf];

describe('local APIC registers', () => {
  it('reads the power-up values of SDM §10.4.7.1 and version 14h with six LVT entries', () => {
    expect(r(ID)).toBe(0);
    expect(r(VERSION)).toBe(0x00050014);
    expect(r(SVR)).toBe(0xff);
    expect(r(DFR)).toBe(0xffffffff);
    for (let off = 0x320; off <= 0x370; off += 0x10) expect(r(off)).toBe(LVT_MASKED);
    expect(core.getState(L.OFF_APIC_BASE)).toBe(0xfee00900);
  });

  it('reads IA32_APIC_BASE with RDMSR and moves the register page with WRMSR', () => {
    // mov ecx, 1bh; rdmsr; mov ebx, eax; mov eax, 0fed00900h; xor edx, edx; wrmsr; ud2
    const code = [0xb9, ...u32(0x1b), 0x0f, 0x32, 0x89, 0xc3, 0xb8, ...u32(0xfed00900), 0x31, 0xd2, 0x0f, 0x30, 0x0f, 0x0b];
    core.setupFlat32({ cpl: 0 });
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setReg('eip', 0x1000);
    const res = core.run(20, { stopOnException: true });
    expect(res.vector).toBe(6);
    expect(core.getReg('ebx')).toBe(0xfee00900);
    expect(core.exports.mmioRead(0xfed00000 + VERSION, 4) >>> 0).toBe(0x00050014);
    expect(r(VERSION)).toBe(0xffffffff); // the old page is an open bus again
  });

  it('raises #GP on reserved IA32_APIC_BASE bits (x2APIC enable, bits above 31)', () => {
    // mov ecx, 1bh; mov eax, 0fee00d00h (bit 10); xor edx, edx; wrmsr
    const code = [0xb9, ...u32(0x1b), 0xb8, ...u32(0xfee00d00), 0x31, 0xd2, 0x0f, 0x30, 0x0f, 0x0b];
    core.setupFlat32({ cpl: 0 });
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setReg('eip', 0x1000);
    expect(core.run(20, { stopOnException: true }).vector).toBe(13);
  });

  it('reads 0 for narrow or misaligned accesses and logs reserved registers in the ESR', () => {
    expect(core.exports.mmioRead(APIC + VERSION, 1)).toBe(0);
    expect(core.exports.mmioRead(APIC + VERSION + 4, 4)).toBe(0);
    w(ESR, 0);
    expect(r(ESR)).toBe(0);
    expect(r(0x40)).toBe(0); // reserved slot
    expect(r(ESR)).toBe(0); // not visible until the next ESR write
    w(ESR, 0);
    expect(r(ESR)).toBe(ESR_ILLEGAL_REGISTER);
    w(ESR, 0);
    expect(r(ESR)).toBe(0);
  });

  it('keeps writable bits only: TPR, LDR, DFR model, LVT fields, divide configuration', () => {
    enable();
    w(TPR, 0x12345678);
    expect(r(TPR)).toBe(0x78);
    w(LDR, 0x12345678);
    expect(r(LDR)).toBe(0x12000000);
    w(DFR, 0);
    expect(r(DFR)).toBe(0x0fffffff);
    w(LVT_TIMER, 0xffffffff);
    expect(r(LVT_TIMER)).toBe(0x000300ff);
    w(LVT_LINT0, 0xffffffff);
    expect(r(LVT_LINT0)).toBe(0x0001a7ff);
    w(LVT_ERROR, 0xffffffff);
    expect(r(LVT_ERROR)).toBe(0x000100ff);
    w(TIMER_DIVIDE, 0xffffffff);
    expect(r(TIMER_DIVIDE)).toBe(0xb);
  });

  it('masks every LVT entry while software-disabled and keeps them masked (SDM §10.4.7.2)', () => {
    enable();
    w(LVT_TIMER, 0x40);
    expect(r(LVT_TIMER)).toBe(0x40);
    w(SVR, 0xff);
    expect(r(LVT_TIMER)).toBe(LVT_MASKED | 0x40);
    w(LVT_TIMER, 0x41);
    expect(r(LVT_TIMER)).toBe(LVT_MASKED | 0x41);
  });
});

describe('local APIC priorities and EOI', () => {
  it('holds a request below the TPR class and delivers it once the TPR drops', () => {
    enable();
    w(TPR, 0x40);
    w(ICR_LOW, SHORTHAND_SELF | 0x35);
    expect(vectorBit(IRR, 0x35)).toBe(true);
    expect(intr()).toBe(false);
    w(TPR, 0x30); // same class: still held (class must be above the PPR's)
    expect(intr()).toBe(false);
    w(TPR, 0x20);
    expect(intr()).toBe(true);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0x35);
    expect(vectorBit(IRR, 0x35)).toBe(false);
    expect(vectorBit(ISR, 0x35)).toBe(true);
    expect(r(PPR)).toBe(0x30);
  });

  it('lets a higher class preempt an in-service vector and EOI retire the highest first', () => {
    enable();
    w(ICR_LOW, SHORTHAND_SELF | 0x35);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0x35);
    w(ICR_LOW, SHORTHAND_SELF | 0x32); // same class as the one in service: waits
    expect(intr()).toBe(false);
    w(ICR_LOW, SHORTHAND_SELF | 0x51);
    expect(intr()).toBe(true);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0x51);
    expect(r(PPR)).toBe(0x50);
    w(EOI, 0);
    expect(vectorBit(ISR, 0x51)).toBe(false);
    expect(vectorBit(ISR, 0x35)).toBe(true);
    expect(intr()).toBe(false);
    w(EOI, 0);
    expect(r(PPR)).toBe(0);
    expect(intr()).toBe(true);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0x32);
  });

  it('computes the APR from TPR, ISR and IRR (SDM §10.8.3.1)', () => {
    enable();
    w(TPR, 0x25);
    expect(r(APR)).toBe(0x25);
    w(ICR_LOW, SHORTHAND_SELF | 0x61);
    w(TPR, 0x65); // pending class 6 ≤ TPR class: APR = TPR
    expect(r(APR)).toBe(0x65);
    w(TPR, 0x25); // pending class above: APR = that class
    expect(r(APR)).toBe(0x60);
  });

  it('answers the spurious vector when nothing is acceptable at INTA (SDM §10.9)', () => {
    w(SVR, SVR_ENABLE | 0xef);
    w(ICR_LOW, SHORTHAND_SELF | 0x35);
    w(TPR, 0xf0);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0xef);
    expect(vectorBit(IRR, 0x35)).toBe(true);
    expect(vectorBit(ISR, 0xef)).toBe(false);
  });

  it('sends fixed IPIs by physical and logical destination, and drops INIT/SIPI', () => {
    enable();
    w(ICR_HIGH, 0x01000000); // physical APIC ID 1: nobody
    w(ICR_LOW, 0x44);
    expect(vectorBit(IRR, 0x44)).toBe(false);
    w(ICR_HIGH, 0x00000000); // our ID
    w(ICR_LOW, 0x44);
    expect(vectorBit(IRR, 0x44)).toBe(true);
    w(LDR, 0x02000000);
    w(ICR_HIGH, 0x06000000);
    w(ICR_LOW, (1 << 11) | 0x45); // logical, flat model: 06h & 02h
    expect(vectorBit(IRR, 0x45)).toBe(true);
    w(ICR_LOW, (5 << 8) | (3 << 18)); // INIT to all excluding self
    w(ICR_LOW, (6 << 8) | (3 << 18) | 0x10); // SIPI
    expect(r(ICR_LOW) & (1 << 12)).toBe(0); // delivery status idle
    expect(r(ESR)).toBe(0);
  });

  it('refuses an illegal vector: ESR send-illegal-vector and an error interrupt (SDM §10.5.3)', () => {
    enable();
    w(LVT_ERROR, 0xe3);
    w(ICR_LOW, SHORTHAND_SELF | 0x05);
    expect(vectorBit(IRR, 0x05)).toBe(false);
    expect(vectorBit(IRR, 0xe3)).toBe(true);
    w(ESR, 0);
    expect(r(ESR)).toBe(ESR_SEND_ILLEGAL_VECTOR);
  });

  it('accepts nothing while software-disabled', () => {
    w(ICR_LOW, SHORTHAND_SELF | 0x35);
    expect(vectorBit(IRR, 0x35)).toBe(false);
  });
});

describe('local APIC timer', () => {
  it('counts down once at 1 GHz / divider and raises its vector at zero', () => {
    enable();
    w(TIMER_DIVIDE, DIVIDE_BY_1);
    w(LVT_TIMER, 0x40);
    const t0 = now();
    w(TIMER_INITIAL, 1000);
    expect(r(TIMER_INITIAL)).toBe(1000);
    spin(50);
    expect(r(TIMER_CURRENT)).toBe(1000 - (now() - t0));
    expect(vectorBit(IRR, 0x40)).toBe(false);
    spin(60);
    expect(r(TIMER_CURRENT)).toBe(0);
    expect(vectorBit(IRR, 0x40)).toBe(true);
    expect(core.exports.cpuInterruptAcknowledge()).toBe(0x40);
    w(EOI, 0);
    spin(200); // one-shot: no second interrupt
    expect(vectorBit(IRR, 0x40)).toBe(false);
  });

  it('divides the 1 GHz clock by the divide configuration', () => {
    enable();
    w(TIMER_DIVIDE, DIVIDE_BY_16);
    w(LVT_TIMER, LVT_MASKED | 0x40);
    const t0 = now();
    w(TIMER_INITIAL, 100000);
    spin(100);
    expect(r(TIMER_CURRENT)).toBe(100000 - Math.floor((now() - t0) / 16));
  });

  it('reloads in periodic mode and interrupts once per period through the IDT', () => {
    enable();
    w(TIMER_DIVIDE, DIVIDE_BY_2);
    w(LVT_TIMER, LVT_PERIODIC | 0x41);
    // main: sti; hlt; jmp short -3
    guest([0x41], COUNTING_HANDLER, [0xfb, 0xf4, 0xeb, 0xfd]);
    const t0 = now();
    w(TIMER_INITIAL, 1000); // 2000 ns period
    while (now() - t0 < 100_000) core.run(10000);
    const elapsed = now() - t0;
    const periods = Math.floor(elapsed / 2000);
    const n = counter(0x4000);
    expect(n).toBeGreaterThanOrEqual(periods - 1);
    expect(n).toBeLessThanOrEqual(periods);
    const current = r(TIMER_CURRENT);
    expect(current).toBe(1000 - (Math.floor((now() - t0) / 2) % 1000));
  });

  it('masks delivery without stopping the count', () => {
    enable();
    w(TIMER_DIVIDE, DIVIDE_BY_1);
    w(LVT_TIMER, LVT_MASKED | LVT_PERIODIC | 0x41);
    w(TIMER_INITIAL, 300);
    spin(100);
    expect(vectorBit(IRR, 0x41)).toBe(false);
    w(LVT_TIMER, LVT_PERIODIC | 0x41);
    spin(100);
    expect(vectorBit(IRR, 0x41)).toBe(true);
  });

  it('coalesces tiny periods instead of ending a slice per instruction', () => {
    enable();
    w(TIMER_DIVIDE, DIVIDE_BY_1);
    w(LVT_TIMER, LVT_PERIODIC | 0x41);
    w(TIMER_INITIAL, 1);
    const res = core.run(100000);
    expect(res.instructions).toBeGreaterThan(0);
    expect(vectorBit(IRR, 0x41)).toBe(true);
  });
});

describe('interrupts a guest takes from the local APIC', () => {
  it('takes a one-shot timer interrupt through the IDT after enabling the APIC itself', () => {
    // mov dword [SVR], 1ffh; mov dword [LVT timer], 42h; mov dword [divide], 0bh;
    // mov dword [initial], 5000; sti; hlt; jmp $
    const mov = (off: number, v: number): number[] => [0xc7, 0x05, ...u32(APIC + off), ...u32(v)];
    const main = [
      ...mov(SVR, 0x1ff),
      ...mov(LVT_TIMER, 0x42),
      ...mov(TIMER_DIVIDE, DIVIDE_BY_1),
      ...mov(TIMER_INITIAL, 5000),
      0xfb,
      0xf4,
      0xeb,
      0xfe,
    ];
    guest([0x42], COUNTING_HANDLER, main);
    const t0 = now();
    // Arming the timer ends the run slice (the loop must see the new deadline): keep running.
    while (now() - t0 < 20_000) core.run(10000);
    expect(counter(0x4000)).toBe(1);
    expect(now() - t0).toBeGreaterThanOrEqual(5000);
    expect(vectorBit(ISR, 0x42)).toBe(false); // the handler's EOI
  });

  it('takes an ICR NMI whatever IF says and holds a second one until IRET', () => {
    // handler: inc dword [0x4000]; jmp $ (no IRET: NMIs stay blocked)
    const handler = [0xff, 0x05, ...u32(0x4000), 0xeb, 0xfe];
    // main (IF clear): mov dword [ICR], 40400h; jmp $
    const main = [0xc7, 0x05, ...u32(APIC + ICR_LOW), ...u32(SHORTHAND_SELF | MODE_NMI), 0xeb, 0xfe];
    guest([2], handler, main);
    enable();
    core.run(100);
    expect(counter(0x4000)).toBe(1);
    w(ICR_LOW, SHORTHAND_SELF | MODE_NMI);
    core.run(100);
    expect(counter(0x4000)).toBe(1);
    expect(core.getState(L.OFF_NMI_PENDING) & 1).toBe(1);
  });

  it('takes a held NMI right after the handler IRETs', () => {
    // handler: inc dword [0x4000]; cmp dword [0x4000], 1; jne done; mov [ICR], NMI; done: iretd
    const handler = [
      0xff,
      0x05,
      ...u32(0x4000),
      0x83,
      0x3d,
      ...u32(0x4000),
      0x01,
      0x75,
      0x0a,
      0xc7,
      0x05,
      ...u32(APIC + ICR_LOW),
      ...u32(SHORTHAND_SELF | MODE_NMI),
      0xcf,
    ];
    const main = [0xc7, 0x05, ...u32(APIC + ICR_LOW), ...u32(SHORTHAND_SELF | MODE_NMI), 0xeb, 0xfe];
    guest([2], handler, main);
    enable();
    core.run(200);
    expect(counter(0x4000)).toBe(2);
    expect(core.getState(L.OFF_NMI_PENDING)).toBe(0);
  });
});
