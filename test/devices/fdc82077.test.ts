// The 82077AA floppy controller and the 8237A DMA controller it transfers
// through: reset polling interrupts, seeks, READ/WRITE DATA by DMA channel 2,
// the result bytes of Table 5-4, the disk change line.

import { beforeEach, describe, expect, it } from 'vitest';

import { blockHost, MemoryBlockDevice } from '../../host/block-device.js';
import { firstDifference, makeBus, pattern, type Bus } from './helpers.js';

const DOR = 0x3f2;
const MSR = 0x3f4;
const FIFO = 0x3f5;
const DIR = 0x3f7;
const IRQ6 = 6;
const MSR_RQM = 0x80;
const MSR_DIO = 0x40;
const MSR_CB = 0x10;
const DOR_RUN = 0x1c; // motor A, DMA/IRQ gate, not in reset, drive 0
const FLOPPY_A = { bus: 'floppy', unit: 0 } as const;
const IMAGE_BYTES = 1474560;
const DMA_WRITE_MEMORY = 0x46; // single mode, device → memory, channel 2
const DMA_READ_MEMORY = 0x4a; // single mode, memory → device, channel 2

let bus: Bus;
let image: MemoryBlockDevice;
const irq = (): boolean => bus.core.exports.getIrqLevel(IRQ6) !== 0;

function send(...bytes: number[]): void {
  for (const b of bytes) {
    expect(bus.inb(MSR) & (MSR_RQM | MSR_DIO)).toBe(MSR_RQM);
    bus.outb(FIFO, b);
  }
}
function results(): number[] {
  const out: number[] = [];
  while ((bus.inb(MSR) & (MSR_RQM | MSR_DIO)) === (MSR_RQM | MSR_DIO)) out.push(bus.inb(FIFO));
  return out;
}
function senseInterrupt(): number[] {
  send(0x08);
  return results();
}
/** Program DMA channel 2 for `bytes` bytes at physical `addr` (below 16 MiB). */
function programDma(addr: number, bytes: number, mode: number): void {
  bus.outb(0x0a, 0x06); // mask channel 2
  bus.outb(0x0c, 0); // flip-flop
  bus.outb(0x04, addr & 0xff);
  bus.outb(0x04, (addr >> 8) & 0xff);
  bus.outb(0x81, (addr >> 16) & 0xff);
  bus.outb(0x0c, 0);
  bus.outb(0x05, (bytes - 1) & 0xff);
  bus.outb(0x05, ((bytes - 1) >> 8) & 0xff);
  bus.outb(0x0b, mode);
  bus.outb(0x0a, 0x02); // unmask
}
function resetController(): void {
  bus.outb(DOR, 0x00);
  bus.outb(DOR, DOR_RUN);
  expect(irq()).toBe(true);
  for (let u = 0; u < 4; u++) expect(senseInterrupt()).toEqual([0xc0 | u, 0]);
}
const lbaOf = (c: number, h: number, r: number): number => (c * 2 + h) * 18 + r - 1;

beforeEach(async () => {
  bus = await makeBus(16);
  image = new MemoryBlockDevice(pattern(IMAGE_BYTES));
  blockHost(bus.core).attach(FLOPPY_A, image);
});

describe('8237A DMA controller', () => {
  it('reads back address and count through the byte flip-flop', () => {
    programDma(0x12345, 0x400, DMA_WRITE_MEMORY);
    bus.outb(0x0c, 0);
    expect([bus.inb(0x04), bus.inb(0x04)]).toEqual([0x45, 0x23]);
    expect([bus.inb(0x05), bus.inb(0x05)]).toEqual([0xff, 0x03]);
    expect(bus.inb(0x81)).toBe(0x01);
  });

  it('leaves port 0x80 (POST) alone and keeps the other page registers', () => {
    bus.outb(0x8f, 0x5a);
    expect(bus.inb(0x8f)).toBe(0x5a);
    expect(bus.inb(0x80)).toBe(0xff);
  });

  it('sets the terminal count status bit after a transfer, cleared by reading status', () => {
    resetController();
    programDma(0x8000, 512, DMA_WRITE_MEMORY);
    send(0x46, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    bus.service();
    results();
    expect(bus.inb(0x08) & 0x04).toBe(0x04);
    expect(bus.inb(0x08) & 0x04).toBe(0);
  });
});

describe('82077AA floppy controller', () => {
  it('is idle after power-on and reports VERSION 90h, LOCK and DUMPREG', () => {
    expect(bus.inb(MSR)).toBe(MSR_RQM);
    send(0x10);
    expect(bus.inb(MSR)).toBe(MSR_RQM | MSR_DIO | MSR_CB);
    expect(results()).toEqual([0x90]);
    send(0x94);
    expect(results()).toEqual([0x10]);
    send(0x03, 0xaf, 0x02); // SPECIFY: no result phase
    expect(bus.inb(MSR)).toBe(MSR_RQM);
    send(0x0e);
    const dump = results();
    expect(dump.length).toBe(10);
    expect([dump[4], dump[5], dump[7] >> 7]).toEqual([0xaf, 0x02, 1]);
  });

  it('answers an invalid command with ST0 80h', () => {
    send(0x1f);
    expect(results()).toEqual([0x80]);
  });

  it('after a reset raises IRQ 6 and reports four polling interrupts, then none', () => {
    resetController();
    expect(irq()).toBe(false);
    expect(senseInterrupt()).toEqual([0x80]);
  });

  it('SEEK interrupts; SENSE INTERRUPT STATUS gives seek end and the new cylinder', () => {
    resetController();
    send(0x0f, 0x04, 33); // head 1, drive 0, cylinder 33
    expect(irq()).toBe(true);
    expect(senseInterrupt()).toEqual([0x20 | 0x04, 33]);
    expect(irq()).toBe(false);
    send(0x07, 0x00); // RECALIBRATE
    expect(senseInterrupt()).toEqual([0x20, 0]);
    send(0x04, 0x00); // SENSE DRIVE STATUS: track 0, ready, two-sided
    expect(results()).toEqual([0x38]);
  });

  it('READ DATA moves sectors into RAM by DMA and ends at terminal count with the next sector', () => {
    resetController();
    programDma(0x9000, 3 * 512, DMA_WRITE_MEMORY);
    send(0xe6, 0x00, 2, 0, 4, 2, 18, 0x1b, 0xff);
    expect(bus.inb(MSR) & MSR_RQM).toBe(0); // execution phase
    bus.service();
    expect(irq()).toBe(true);
    expect(results()).toEqual([0x00, 0x00, 0x00, 2, 0, 7, 2]);
    expect(irq()).toBe(false);
    const at = lbaOf(2, 0, 4) * 512;
    expect(firstDifference(bus.core.readPhys(0x9000, 1536), image.data.slice(at, at + 1536))).toBe(-1);
  });

  it('multi-track READ DATA continues from head 0 to head 1 of the cylinder', () => {
    resetController();
    programDma(0x10000, 4 * 512, DMA_WRITE_MEMORY);
    send(0xe6, 0x00, 1, 0, 17, 2, 18, 0x1b, 0xff);
    bus.service();
    bus.service();
    // ST0's head bit is the head at the end (1), as the next sector address is.
    expect(results()).toEqual([0x04, 0x00, 0x00, 1, 1, 3, 2]);
    const at = lbaOf(1, 0, 17) * 512;
    expect(firstDifference(bus.core.readPhys(0x10000, 2048), image.data.slice(at, at + 2048))).toBe(-1);
  });

  it('reaching EOT with DMA count left ends abnormally with "end of cylinder"', () => {
    resetController();
    programDma(0x9000, 8 * 512, DMA_WRITE_MEMORY);
    send(0x46, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    bus.service();
    expect(results()).toEqual([0x40, 0x80, 0x00, 1, 0, 1, 2]);
  });

  it('WRITE DATA takes sectors from RAM by DMA onto the disk', () => {
    resetController();
    const data = pattern(1024, 31);
    bus.core.writePhys(0x20000, data);
    programDma(0x20000, 1024, DMA_READ_MEMORY);
    send(0x45, 0x04, 79, 1, 17, 2, 18, 0x1b, 0xff);
    bus.service();
    // Ended at EOT without multi-track: next cylinder, same head, sector 1 (Table 5-4).
    expect(results()).toEqual([0x04, 0x00, 0x00, 80, 1, 1, 2]);
    const at = lbaOf(79, 1, 17) * 512;
    expect(firstDifference(image.data.slice(at, at + 1024), data)).toBe(-1);
  });

  it('a sector beyond the track fails with "no data"; READ ID reports the head position', () => {
    resetController();
    programDma(0x9000, 512, DMA_WRITE_MEMORY);
    send(0x46, 0x00, 0, 0, 19, 2, 19, 0x1b, 0xff);
    expect(results().slice(0, 2)).toEqual([0x40, 0x04]);
    send(0x0f, 0x00, 12);
    senseInterrupt();
    send(0x4a, 0x00);
    expect(results()).toEqual([0x00, 0x00, 0x00, 12, 0, 1, 2]);
  });

  it('the disk change line is active after power-on, cleared by a seek, set again by a new disk', () => {
    resetController();
    expect(bus.inb(DIR) & 0x80).toBe(0x80);
    send(0x0f, 0x00, 1);
    senseInterrupt();
    expect(bus.inb(DIR) & 0x80).toBe(0);
    blockHost(bus.core).changeMedium(FLOPPY_A, new MemoryBlockDevice(737280));
    expect(bus.inb(DIR) & 0x80).toBe(0x80);
    send(0x0f, 0x00, 2);
    senseInterrupt();
    expect(bus.inb(DIR) & 0x80).toBe(0);
  });

  it('a write-protected disk refuses WRITE DATA (ST1 not writable)', () => {
    blockHost(bus.core).changeMedium(FLOPPY_A, new MemoryBlockDevice(IMAGE_BYTES, true));
    resetController();
    programDma(0x20000, 512, DMA_READ_MEMORY);
    send(0x45, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results().slice(0, 2)).toEqual([0x40, 0x02]);
  });
});
