// QEMU's pc-testdev (hw/misc/pc-testdev.c) as kvm-unit-tests use it: the echo
// register at 0xe0 (and its byte-decoded twin at 0xe8), the page flush at
// 0xe4, and the IRQ lines at 0x2000 + n.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const IOPORT = 0xe0;
const FLUSH = 0xe4;
const IOPORT_BYTE = 0xe8;
const IRQ_BASE = 0x2000;
const CR0_PG = 0x80000000;

let core: Core;
const read = (port: number, size: number): number => core.exports.portRead(port, size) >>> 0;
const write = (port: number, v: number, size: number): void => core.exports.portWrite(port, v, size);

beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
});

describe('pc-testdev echo register', () => {
  it('reads back a 32-bit write at 0xe0', () => {
    write(IOPORT, 0x12345678, 4);
    expect(read(IOPORT, 4)).toBe(0x12345678);
  });

  it('replaces only the bytes a narrow write covers, at any port of the register', () => {
    write(IOPORT, 0x12345678, 4);
    write(IOPORT + 1, 0xab, 1);
    write(IOPORT + 2, 0xcdef, 2);
    expect(read(IOPORT, 4)).toBe(0xcdefab78);
    expect(read(IOPORT + 1, 2)).toBe(0xefab);
    expect(read(IOPORT + 3, 1)).toBe(0xcd);
  });

  it('is the same register at 0xe8, decoded a byte at a time', () => {
    write(IOPORT, 0x11223344, 4);
    expect(read(IOPORT_BYTE, 4)).toBe(0x11223344);
    write(IOPORT_BYTE + 2, 0xaabb, 2);
    expect(read(IOPORT, 4)).toBe(0xaabb3344);
  });

  it('drops the bytes of a write that run past the register', () => {
    write(IOPORT, 0, 4);
    write(IOPORT + 2, 0xaabbccdd, 4);
    expect(read(IOPORT, 4)).toBe(0xccdd0000);
  });
});

describe('pc-testdev page flush', () => {
  it('drops cached translations on a 32-bit write to 0xe4, so a changed PTE takes effect', () => {
    const pd = 0x10000;
    const lowPt = 0x11000;
    const pt = 0x12000;
    const dword = (addr: number, v: number): void => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v >>> 0, true);
      core.writePhys(addr, b);
    };
    const PRESENT_RW = 0x3;
    // 0-2 MiB identity mapped; linear 0x400000 → physical 0x100000, later 0x101000.
    dword(pd, lowPt | PRESENT_RW);
    for (let i = 0; i < 512; i++) dword(lowPt + i * 4, (i << 12) | PRESENT_RW);
    dword(pd + 4, pt | PRESENT_RW);
    dword(pt, 0x100000 | PRESENT_RW);
    core.writePhys(0x100000, new Uint8Array([0x11]));
    core.writePhys(0x101000, new Uint8Array([0x22]));
    // 0x1000: mov al, [0x400000]; jmp $
    core.writePhys(0x1000, new Uint8Array([0xa0, 0x00, 0x00, 0x40, 0x00, 0xeb, 0xfe]));
    // 0x2000: mov eax, 0x400000; out 0xe4, eax; mov al, [0x400000]; jmp $
    core.writePhys(0x2000, new Uint8Array([0xb8, 0x00, 0x00, 0x40, 0x00, 0xe7, 0xe4, 0xa0, 0x00, 0x00, 0x40, 0x00, 0xeb, 0xfe]));
    core.setupFlat32({ cpl: 0 });
    core.setState(L.OFF_CR3, pd);
    core.setState(L.OFF_CR0, (core.getState(L.OFF_CR0) | CR0_PG) >>> 0);
    core.exports.flushTlb();
    const readAt = (eip: number, instructions: number): number => {
      core.setReg('eip', eip);
      core.run(instructions);
      return core.getReg('eax') & 0xff;
    };
    expect(readAt(0x1000, 2)).toBe(0x11);
    dword(pt, 0x101000 | PRESENT_RW); // the TLB still holds the old translation
    expect(readAt(0x1000, 2)).toBe(0x11);
    expect(readAt(0x2000, 4)).toBe(0x22);
  });
});

describe('pc-testdev IRQ lines', () => {
  it('raises ISA IRQ n on a nonzero byte write to 0x2000 + n and lowers it on zero', () => {
    write(IRQ_BASE + 5, 1, 1);
    expect(core.exports.getIrqLevel(5)).toBe(1);
    write(IRQ_BASE + 5, 0, 1);
    expect(core.exports.getIrqLevel(5)).toBe(0);
    write(IRQ_BASE + 10, 0x80, 1);
    expect(core.exports.getIrqLevel(10)).toBe(1);
  });

  it('ignores wider writes and lines above 15 (IOAPIC-only inputs)', () => {
    write(IRQ_BASE + 3, 1, 2);
    expect(core.exports.getIrqLevel(3)).toBe(0);
    write(IRQ_BASE + 20, 1, 1);
    for (let line = 0; line < 16; line++) expect(core.exports.getIrqLevel(line)).toBe(0);
  });

  it('leaves the flush port out of the echo register', () => {
    write(IOPORT, 0x55aa55aa, 4);
    write(FLUSH, 0x1000, 4);
    expect(read(IOPORT, 4)).toBe(0x55aa55aa);
  });
});
