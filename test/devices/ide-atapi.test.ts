// The ATAPI CD-ROM on the secondary master: signature, IDENTIFY PACKET DEVICE,
// the PACKET protocol with byte count limits, the MMC commands SeaBIOS,
// isolinux and Linux's sr driver use, sense data and unit attention.

import { beforeEach, describe, expect, it } from 'vitest';

import { blockHost, MemoryBlockDevice } from '../../host/block-device.js';
import { firstDifference, makeBus, pattern, type Bus } from './helpers.js';

const SEC = 0x170;
const SEC_CTL = 0x376;
const DATA = 0;
const ERROR = 1;
const FEATURES = 1;
const NSECT = 2;
const LBAM = 4;
const LBAH = 5;
const DEVICE = 6;
const STATUS = 7;
const COMMAND = 7;
const BSY = 0x80;
const DRDY = 0x40;
const DSC = 0x10;
const DRQ = 0x08;
const ERR = 0x01;
const ABRT = 0x04;
const IRQ15 = 15;
const CD_SECTORS = 64;
const CDROM = { bus: 'ide', channel: 1, slave: false, kind: 'cdrom' } as const;

let bus: Bus;
let iso: MemoryBlockDevice;
const irq = (): boolean => bus.core.exports.getIrqLevel(IRQ15) !== 0;

function issuePacket(cdb: number[], byteCountLimit = 0xfffe, dma = false): void {
  bus.outb(SEC + DEVICE, 0xa0);
  bus.outb(SEC + FEATURES, dma ? 1 : 0);
  bus.outb(SEC + LBAM, byteCountLimit & 0xff);
  bus.outb(SEC + LBAH, byteCountLimit >> 8);
  bus.outb(SEC + COMMAND, 0xa0);
  // Ready for the packet: DRQ, interrupt reason CoD=1 IO=0, no interrupt.
  expect(bus.inb(SEC_CTL) & (BSY | DRQ)).toBe(DRQ);
  expect(bus.inb(SEC + NSECT) & 3).toBe(1);
  const p = [...cdb, ...new Array(12).fill(0)].slice(0, 12);
  for (let i = 0; i < 12; i += 2) bus.outw(SEC + DATA, p[i] | (p[i + 1] << 8));
}

interface Outcome {
  status: number;
  error: number;
  data: Uint8Array;
  pieces: number[];
}

/** Run the data phase to its end: each DRQ piece's length comes from LBA mid/high. */
function finish(): Outcome {
  const chunks: number[] = [];
  const pieces: number[] = [];
  for (let guard = 0; guard < 10000; guard++) {
    bus.service();
    const st = bus.inb(SEC_CTL);
    if (st & BSY) continue;
    if (!(st & DRQ)) break;
    expect(irq()).toBe(true);
    bus.inb(SEC + STATUS);
    expect(bus.inb(SEC + NSECT) & 3).toBe(2); // IO=1, CoD=0: data to the host
    const n = bus.inb(SEC + LBAM) | (bus.inb(SEC + LBAH) << 8);
    pieces.push(n);
    for (let i = 0; i < n; i += 2) {
      const v = bus.inw(SEC + DATA);
      chunks.push(v & 0xff, v >> 8);
    }
    if (n & 1) chunks.pop();
  }
  expect(irq()).toBe(true);
  const status = bus.inb(SEC + STATUS);
  expect(bus.inb(SEC + NSECT) & 3).toBe(3); // command complete
  return { status, error: bus.inb(SEC + ERROR), data: Uint8Array.from(chunks), pieces };
}

function command(cdb: number[], byteCountLimit = 0xfffe): Outcome {
  issuePacket(cdb, byteCountLimit);
  return finish();
}

function requestSense(): { key: number; asc: number } {
  const r = command([0x03, 0, 0, 0, 18, 0]);
  expect(r.data[0]).toBe(0x70);
  return { key: r.data[2] & 0xf, asc: r.data[12] };
}

const be32 = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

beforeEach(async () => {
  bus = await makeBus(16);
  iso = new MemoryBlockDevice(pattern(CD_SECTORS * 2048), true);
  blockHost(bus.core).attach(CDROM, iso);
});

describe('ATAPI identification', () => {
  it('leaves the PACKET signature (14h EBh) after reset, with DRDY clear', () => {
    bus.outb(SEC + DEVICE, 0xa0);
    expect(bus.inb(SEC + LBAM)).toBe(0x14);
    expect(bus.inb(SEC + LBAH)).toBe(0xeb);
    expect(bus.inb(SEC + STATUS) & DRDY).toBe(0);
  });

  it('aborts IDENTIFY DEVICE but keeps the signature, and answers IDENTIFY PACKET DEVICE', () => {
    bus.outb(SEC + DEVICE, 0xa0);
    bus.outb(SEC + COMMAND, 0xec);
    expect(bus.inb(SEC + STATUS) & ERR).toBe(ERR);
    expect(bus.inb(SEC + ERROR)).toBe(ABRT);
    expect([bus.inb(SEC + LBAM), bus.inb(SEC + LBAH)]).toEqual([0x14, 0xeb]);
    bus.outb(SEC + COMMAND, 0xa1);
    expect(bus.inb(SEC + STATUS) & DRQ).toBe(DRQ);
    const w: number[] = [];
    for (let i = 0; i < 256; i++) w.push(bus.inw(SEC + DATA));
    expect(w[0]).toBe(0x85c0); // ATAPI, CD-ROM, removable, 12-byte packets
    expect(w[49] & 0x0300).toBe(0x0300);
    let model = '';
    for (let i = 27; i < 47; i++) model += String.fromCharCode(w[i] >> 8, w[i] & 0xff);
    expect(model.trimEnd()).toBe('TABVM DVD-ROM');
  });
});

describe('ATAPI packet commands', () => {
  it('TEST UNIT READY succeeds with a disc and interrupts with "command complete"', () => {
    const r = command([0x00]);
    expect(r.status).toBe(DRDY | DSC);
    expect(r.data.length).toBe(0);
  });

  it('INQUIRY: a removable CD/DVD device with vendor and product strings', () => {
    const r = command([0x12, 0, 0, 0, 36, 0]);
    expect(r.status & ERR).toBe(0);
    expect(r.data.length).toBe(36);
    expect(r.data[0]).toBe(0x05);
    expect(r.data[1]).toBe(0x80);
    expect(new TextDecoder().decode(r.data.slice(8, 32))).toBe('TABVM   TABVM DVD-ROM   ');
  });

  it('INQUIRY honours a short allocation length', () => {
    expect(command([0x12, 0, 0, 0, 5, 0]).data.length).toBe(5);
  });

  it('READ CAPACITY: last LBA and 2048-byte blocks', () => {
    const r = command([0x25]);
    expect(be32(r.data, 0)).toBe(CD_SECTORS - 1);
    expect(be32(r.data, 4)).toBe(2048);
  });

  it('READ(10) returns the sectors in pieces no larger than the byte count limit', () => {
    const r = command([0x28, 0, 0, 0, 0, 3, 0, 0, 4, 0], 4096);
    expect(r.status).toBe(DRDY | DSC);
    expect(r.pieces).toEqual([4096, 4096]);
    expect(firstDifference(r.data, iso.data.slice(3 * 2048, 7 * 2048))).toBe(-1);
  });

  it('READ(12) of 40 sectors (more than one host request) is contiguous', () => {
    const r = command([0xa8, 0, 0, 0, 0, 10, 0, 0, 0, 40, 0, 0]);
    expect(r.data.length).toBe(40 * 2048);
    expect(firstDifference(r.data, iso.data.slice(10 * 2048, 50 * 2048))).toBe(-1);
  });

  it('READ(10) past the end: ILLEGAL REQUEST, LBA out of range, reported by REQUEST SENSE', () => {
    const r = command([0x28, 0, 0, 0, 0, 63, 0, 0, 2, 0]);
    expect(r.status & ERR).toBe(ERR);
    expect(r.error >> 4).toBe(5);
    expect(requestSense()).toEqual({ key: 5, asc: 0x21 });
    expect(requestSense()).toEqual({ key: 0, asc: 0 });
  });

  it('READ TOC format 0 in LBA and MSF: track 1 at 0 (00:02:00) and the lead-out', () => {
    const lba = command([0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0]).data;
    expect(Array.from(lba.slice(0, 12))).toEqual([0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    expect(lba[14]).toBe(0xaa);
    expect(be32(lba, 16)).toBe(CD_SECTORS);
    const msf = command([0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0]).data;
    expect(Array.from(msf.slice(8, 12))).toEqual([0, 0, 2, 0]);
    const f = CD_SECTORS + 150;
    expect(Array.from(msf.slice(16, 20))).toEqual([0, Math.floor(f / 4500), Math.floor(f / 75) % 60, f % 75]);
  });

  it('READ TOC format 1 (session info) and format 2 (raw TOC)', () => {
    const s = command([0x43, 0, 1, 0, 0, 0, 0, 0, 12, 0]).data;
    expect(Array.from(s)).toEqual([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    const raw = command([0x43, 2, 2, 0, 0, 0, 0, 0, 100, 0]).data;
    expect(raw.length).toBe(4 + 4 * 11);
    expect([raw[4 + 3], raw[15 + 3], raw[26 + 3], raw[37 + 3]]).toEqual([0xa0, 0xa1, 0xa2, 1]);
  });

  it('MODE SENSE(10) page 2Ah: the capabilities page Linux sr reads; saved values are refused', () => {
    const r = command([0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128, 0]);
    expect(r.data[8]).toBe(0x2a);
    expect((r.data[0] << 8) | r.data[1]).toBe(r.data.length - 2);
    const saved = command([0x5a, 0, 0xea, 0, 0, 0, 0, 0, 128, 0]);
    expect(saved.status & ERR).toBe(ERR);
    expect(requestSense()).toEqual({ key: 5, asc: 0x39 });
  });

  it('GET CONFIGURATION reports the CD-ROM profile for a CD-sized disc', () => {
    const r = command([0x46, 0, 0, 0, 0, 0, 0, 0, 64, 0]);
    expect((r.data[6] << 8) | r.data[7]).toBe(0x0008);
  });

  it('an unknown opcode is ILLEGAL REQUEST / invalid command operation code', () => {
    expect(command([0xff]).status & ERR).toBe(ERR);
    expect(requestSense()).toEqual({ key: 5, asc: 0x20 });
  });

  it('PREVENT MEDIUM REMOVAL makes START STOP UNIT (eject) fail until allowed', () => {
    command([0x1e, 0, 0, 0, 1, 0]);
    expect(command([0x1b, 0, 0, 0, 2, 0]).status & ERR).toBe(ERR);
    expect(requestSense()).toEqual({ key: 5, asc: 0x53 });
    command([0x1e, 0, 0, 0, 0, 0]);
    expect(command([0x1b, 0, 0, 0, 2, 0]).status & ERR).toBe(0);
  });

  it('READ(10) by DMA through the bus master', () => {
    bus.pciWrite(0x09, 0x20, 0xc001, 4);
    bus.pciWrite(0x09, 0x04, 0x05, 2);
    const prd = new Uint8Array(8);
    new DataView(prd.buffer).setUint32(0, 0x40000, true);
    new DataView(prd.buffer).setUint16(4, 4096, true);
    new DataView(prd.buffer).setUint16(6, 0x8000, true);
    bus.core.writePhys(0x1000, prd);
    bus.outl(0xc008 + 4, 0x1000);
    issuePacket([0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0], 0, true);
    bus.outb(0xc008, 0x09);
    bus.service();
    expect(irq()).toBe(true);
    expect(bus.inb(SEC + STATUS)).toBe(DRDY | DSC);
    expect(bus.inb(SEC + NSECT) & 3).toBe(3);
    expect(bus.inb(0xc008 + 2) & 7).toBe(4);
    expect(firstDifference(bus.core.readPhys(0x40000, 4096), iso.data.slice(5 * 2048, 7 * 2048))).toBe(-1);
  });
});

describe('ATAPI medium changes', () => {
  it('a new disc raises UNIT ATTENTION (28h) until REQUEST SENSE, and a media event', () => {
    const other = new MemoryBlockDevice(pattern(32 * 2048, 77), true);
    blockHost(bus.core).changeMedium(CDROM, other);
    const tur = command([0x00]);
    expect(tur.status & ERR).toBe(ERR);
    expect(tur.error >> 4).toBe(6);
    // INQUIRY is allowed during a unit attention and does not clear it.
    expect(command([0x12, 0, 0, 0, 36, 0]).status & ERR).toBe(0);
    expect(command([0x25]).status & ERR).toBe(ERR);
    expect(requestSense()).toEqual({ key: 6, asc: 0x28 });
    expect(command([0x00]).status & ERR).toBe(0);
    expect(be32(command([0x25]).data, 0)).toBe(31);
    const ev = command([0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]).data;
    expect(ev[2]).toBe(4);
    expect(ev[4]).toBe(2); // new media
    expect(ev[5] & 2).toBe(2); // present
    expect(command([0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]).data[4]).toBe(0);
  });

  it('without a disc, TEST UNIT READY reports NOT READY / medium not present', () => {
    blockHost(bus.core).changeMedium(CDROM, undefined);
    requestSense(); // consume the unit attention of the ejection
    expect(command([0x00]).status & ERR).toBe(ERR);
    expect(requestSense()).toEqual({ key: 2, asc: 0x3a });
  });
});
