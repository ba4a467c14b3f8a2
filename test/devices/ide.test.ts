// PIIX IDE with ATA hard disks: IDENTIFY DEVICE, PIO and DMA transfers, error
// reporting (ATA/ATAPI-6 §8, §9; SFF-8038i bus master), driven through ports.

import { beforeEach, describe, expect, it } from 'vitest';

import { attachDrive, MemoryBlockDevice, type BlockDevice } from '../../host/block-device.js';
import { firstDifference, makeBus, pattern, type Bus } from './helpers.js';

const PRI = 0x1f0;
const PRI_CTL = 0x3f6;
const DATA = 0;
const ERROR = 1;
const NSECT = 2;
const LBAL = 3;
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
const IDNF = 0x10;
const LBA = 0x40;
const NIEN = 0x02;
const SRST = 0x04;
const IRQ14 = 14;
const IDE_DEVFN = 0x09;
const BM_BASE = 0xc000;
const BM_CMD = 0;
const BM_STATUS = 2;
const BM_PRD = 4;
const BM_START = 0x01;
const BM_TO_MEMORY = 0x08;
const BM_ACTIVE = 0x01;
const BM_ERROR = 0x02;
const BM_INTR = 0x04;
const DISK_SECTORS = 4096;

let bus: Bus;
let disk: MemoryBlockDevice;
const irq = (): boolean => bus.core.exports.getIrqLevel(IRQ14) !== 0;

function word(buf: Uint8Array, w: number): number {
  return buf[w * 2] | (buf[w * 2 + 1] << 8);
}
/** An ATA string: the first character of each pair in the high byte. */
function ataString(buf: Uint8Array, w: number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += String.fromCharCode(buf[(w + i) * 2 + 1], buf[(w + i) * 2]);
  return s.trimEnd();
}
function readBlock(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 2) {
    const v = bus.inw(PRI + DATA);
    out[i] = v & 0xff;
    out[i + 1] = v >> 8;
  }
  return out;
}
function writeBlock(data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 2) bus.outw(PRI + DATA, data[i] | (data[i + 1] << 8));
}
function lba28(lba: number, count: number): void {
  bus.outb(PRI + DEVICE, 0xe0 | ((lba >>> 24) & 0xf));
  bus.outb(PRI + NSECT, count & 0xff);
  bus.outb(PRI + LBAL, lba & 0xff);
  bus.outb(PRI + LBAM, (lba >>> 8) & 0xff);
  bus.outb(PRI + LBAH, (lba >>> 16) & 0xff);
}
/** LBA48 task file: each register written twice, high-order byte first (ATA-6 §6.20). */
function lba48(lba: bigint, count: number): void {
  bus.outb(PRI + DEVICE, LBA);
  const b = (shift: number): number => Number((lba >> BigInt(shift)) & 0xffn);
  bus.outb(PRI + NSECT, count >> 8);
  bus.outb(PRI + LBAL, b(24));
  bus.outb(PRI + LBAM, b(32));
  bus.outb(PRI + LBAH, b(40));
  bus.outb(PRI + NSECT, count & 0xff);
  bus.outb(PRI + LBAL, b(0));
  bus.outb(PRI + LBAM, b(8));
  bus.outb(PRI + LBAH, b(16));
}
function identify(): Uint8Array {
  bus.outb(PRI + DEVICE, 0xa0);
  bus.outb(PRI + COMMAND, 0xec);
  expect(bus.inb(PRI + STATUS) & (DRQ | BSY)).toBe(DRQ);
  return readBlock(512);
}

/** A disk far larger than memory, for LBA48 addresses: unwritten sectors read as their own LBA. */
class SparseDisk implements BlockDevice {
  readonly readOnly = false;
  readonly written = new Map<number, Uint8Array>();
  constructor(readonly size: number) {}
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let s = 0; s < length / 512; s++) {
      const sector = offset / 512 + s;
      const w = this.written.get(sector);
      if (w) out.set(w, s * 512);
      else new DataView(out.buffer).setFloat64(s * 512, sector, true);
    }
    return out;
  }
  write(offset: number, data: Uint8Array): void {
    for (let s = 0; s < data.length / 512; s++) this.written.set(offset / 512 + s, data.slice(s * 512, s * 512 + 512));
  }
  flush(): void {}
}

function enableBusMaster(): void {
  bus.pciWrite(IDE_DEVFN, 0x20, BM_BASE | 1, 4);
  bus.pciWrite(IDE_DEVFN, 0x04, 0x05, 2); // I/O space + bus master
}
/** A PRD table at `table`: entries [address, bytes] (bytes 65536 encoded as 0), EOT on the last. */
function writePrd(table: number, entries: [number, number][], eot = true): void {
  const b = new Uint8Array(entries.length * 8);
  const v = new DataView(b.buffer);
  entries.forEach(([addr, bytes], i) => {
    v.setUint32(i * 8, addr, true);
    v.setUint16(i * 8 + 4, bytes & 0xffff, true);
    v.setUint16(i * 8 + 6, eot && i === entries.length - 1 ? 0x8000 : 0, true);
  });
  bus.core.writePhys(table, b);
}

beforeEach(async () => {
  bus = await makeBus(16);
  disk = new MemoryBlockDevice(pattern(DISK_SECTORS * 512));
  attachDrive(bus.core, { bus: 'ide', channel: 0, slave: false, kind: 'hd' }, disk);
});

describe('PIIX IDE: PCI function and reset state', () => {
  it('is function 00:01.1, 8086:7010, class 010180 with a 16-byte I/O BAR4', () => {
    expect(bus.pciRead(IDE_DEVFN, 0, 4)).toBe(0x70108086);
    expect(bus.pciRead(IDE_DEVFN, 0x08, 4) >>> 8).toBe(0x010180);
    bus.pciWrite(IDE_DEVFN, 0x20, 0xffffffff, 4);
    expect(bus.pciRead(IDE_DEVFN, 0x20, 4)).toBe(0xfffffff1);
  });

  it('shows the ATA signature and DRDY|DSC after reset, and an absent slave reads 0', () => {
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect([bus.inb(PRI + NSECT), bus.inb(PRI + LBAL), bus.inb(PRI + LBAM), bus.inb(PRI + LBAH)]).toEqual([1, 1, 0, 0]);
    bus.outb(PRI + DEVICE, 0xb0);
    expect(bus.inb(PRI + STATUS)).toBe(0);
    bus.outb(PRI + NSECT, 0x55);
    expect(bus.inb(PRI + NSECT)).toBe(0);
  });

  it('a software reset (SRST) restores the signature and leaves device 0 selected', () => {
    lba28(0x123456, 9);
    bus.outb(PRI_CTL, SRST);
    expect(bus.inb(PRI_CTL) & BSY).toBe(BSY);
    bus.outb(PRI_CTL, 0);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect([bus.inb(PRI + NSECT), bus.inb(PRI + LBAL), bus.inb(PRI + LBAM), bus.inb(PRI + LBAH)]).toEqual([1, 1, 0, 0]);
    expect(bus.inb(PRI + ERROR)).toBe(1);
  });
});

describe('IDENTIFY DEVICE', () => {
  it('reports the words SeaBIOS and Linux read: strings, capabilities, sizes, command sets', () => {
    const id = identify();
    expect(word(id, 0) & 0x8000).toBe(0); // ATA device
    expect(ataString(id, 27, 20)).toBe('TABVM HARDDISK');
    expect(ataString(id, 10, 10)).toMatch(/^TV0000\d$/);
    expect(ataString(id, 23, 4)).toBe('1.0');
    expect(word(id, 49) & 0x0300).toBe(0x0300); // LBA and DMA
    expect(word(id, 60) | (word(id, 61) << 16)).toBe(DISK_SECTORS);
    expect(word(id, 100) + word(id, 101) * 65536).toBe(DISK_SECTORS);
    expect(word(id, 83) & (1 << 10)).toBe(1 << 10); // 48-bit supported
    expect(word(id, 86) & (1 << 10)).toBe(1 << 10); // and enabled
    expect(word(id, 47) & 0xff).toBe(16); // READ/WRITE MULTIPLE up to 16
    expect(word(id, 53) & 6).toBe(6); // words 64-70 and 88 valid
    expect(word(id, 88) & 0x3f).toBe(0x3f); // UDMA 0-5 supported
    expect(word(id, 1) * word(id, 3) * word(id, 6)).toBeLessThanOrEqual(DISK_SECTORS);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
  });

  it('signals DRQ with an interrupt, which reading the status register clears', () => {
    bus.outb(PRI + COMMAND, 0xec);
    expect(irq()).toBe(true);
    expect(bus.inb(PRI_CTL) & DRQ).toBe(DRQ); // the alternate status does not acknowledge
    expect(irq()).toBe(true);
    bus.inb(PRI + STATUS);
    expect(irq()).toBe(false);
  });

  it('nIEN keeps INTRQ off the IRQ line', () => {
    bus.outb(PRI_CTL, NIEN);
    bus.outb(PRI + COMMAND, 0xec);
    expect(irq()).toBe(false);
    bus.outb(PRI_CTL, 0);
    expect(irq()).toBe(true);
  });

  it('reflects SET FEATURES transfer mode and SET MULTIPLE MODE', () => {
    bus.outb(PRI + ERROR, 0x03);
    bus.outb(PRI + NSECT, 0x45); // UDMA mode 5
    bus.outb(PRI + COMMAND, 0xef);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    bus.outb(PRI + NSECT, 8);
    bus.outb(PRI + COMMAND, 0xc6);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    const id = identify();
    expect(word(id, 88) >> 8).toBe(1 << 5);
    expect(word(id, 59)).toBe(0x100 | 8);
  });
});

describe('ATA PIO transfers', () => {
  it('READ SECTORS (LBA28) reads sector after sector with an interrupt per DRQ block', () => {
    lba28(100, 3);
    bus.outb(PRI + COMMAND, 0x20);
    expect(bus.inb(PRI_CTL) & BSY).toBe(BSY); // waiting for the host
    bus.service();
    for (let s = 0; s < 3; s++) {
      expect(irq()).toBe(true);
      expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | DRQ);
      expect(readBlock(512)).toEqual(disk.data.slice((100 + s) * 512, (101 + s) * 512));
    }
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(irq()).toBe(false);
  });

  it('32-bit data port reads return the same bytes', () => {
    lba28(7, 1);
    bus.outb(PRI + COMMAND, 0x20);
    bus.service();
    const out = new Uint8Array(512);
    const v = new DataView(out.buffer);
    for (let i = 0; i < 512; i += 4) v.setUint32(i, bus.inl(PRI + DATA), true);
    expect(out).toEqual(disk.data.slice(7 * 512, 8 * 512));
  });

  it('CHS addressing follows INITIALIZE DEVICE PARAMETERS', () => {
    bus.outb(PRI + DEVICE, 0xa0 | 3); // 4 heads
    bus.outb(PRI + NSECT, 17);
    bus.outb(PRI + COMMAND, 0x91);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    // Cylinder 2, head 1, sector 5 → (2*4+1)*17 + 4 = 157.
    bus.outb(PRI + DEVICE, 0xa0 | 1);
    bus.outb(PRI + NSECT, 1);
    bus.outb(PRI + LBAL, 5);
    bus.outb(PRI + LBAM, 2);
    bus.outb(PRI + LBAH, 0);
    bus.outb(PRI + COMMAND, 0x20);
    bus.service();
    expect(readBlock(512)).toEqual(disk.data.slice(157 * 512, 158 * 512));
  });

  it('WRITE SECTORS asks for the first block at once and interrupts after each written block', () => {
    const data = pattern(1024, 99);
    lba28(2000, 2);
    bus.outb(PRI + COMMAND, 0x30);
    expect(bus.inb(PRI_CTL)).toBe(DRDY | DSC | DRQ);
    expect(irq()).toBe(false);
    writeBlock(data.subarray(0, 512));
    expect(bus.inb(PRI_CTL) & BSY).toBe(BSY);
    bus.service();
    expect(irq()).toBe(true);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | DRQ);
    writeBlock(data.subarray(512));
    bus.service();
    expect(irq()).toBe(true);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(disk.data.slice(2000 * 512, 2002 * 512)).toEqual(data);
  });

  it('READ MULTIPLE moves blocks of the multiple count per interrupt', () => {
    bus.outb(PRI + NSECT, 4);
    bus.outb(PRI + COMMAND, 0xc6);
    bus.inb(PRI + STATUS);
    lba28(10, 6);
    bus.outb(PRI + COMMAND, 0xc4);
    bus.service();
    expect(irq()).toBe(true);
    bus.inb(PRI + STATUS);
    expect(readBlock(2048)).toEqual(disk.data.slice(10 * 512, 14 * 512));
    expect(irq()).toBe(true);
    bus.inb(PRI + STATUS);
    expect(readBlock(1024)).toEqual(disk.data.slice(14 * 512, 16 * 512));
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
  });

  it('READ MULTIPLE without SET MULTIPLE MODE aborts', () => {
    lba28(0, 1);
    bus.outb(PRI + COMMAND, 0xc4);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | ERR);
    expect(bus.inb(PRI + ERROR)).toBe(ABRT);
  });

  it('a transfer of more than a buffer-full (256 sectors) crosses host requests seamlessly', () => {
    lba28(1000, 0); // 0 = 256 sectors
    bus.outb(PRI + COMMAND, 0x20);
    const got = new Uint8Array(256 * 512);
    for (let s = 0; s < 256; s++) {
      bus.service();
      expect(bus.inb(PRI + STATUS) & DRQ).toBe(DRQ);
      got.set(readBlock(512), s * 512);
    }
    expect(firstDifference(got, disk.data.slice(1000 * 512, 1256 * 512))).toBe(-1);
  });

  it('LBA48: READ/WRITE SECTORS EXT address sectors beyond 2^28 with the HOB bytes', async () => {
    bus = await makeBus(16);
    const big = new SparseDisk(2 ** 40); // 1 TiB
    attachDrive(bus.core, { bus: 'ide', channel: 0, slave: false, kind: 'hd' }, big);
    const id = identify();
    expect(word(id, 100) + word(id, 101) * 2 ** 16 + word(id, 102) * 2 ** 32).toBe(2 ** 31);
    expect(word(id, 60) | (word(id, 61) << 16)).toBe(0x0fffffff);
    const lba = 0x7654_3210n;
    lba48(lba, 2);
    bus.outb(PRI + COMMAND, 0x24);
    bus.service();
    const s0 = readBlock(512);
    expect(new DataView(s0.buffer).getFloat64(0, true)).toBe(Number(lba));
    bus.inb(PRI + STATUS);
    const s1 = readBlock(512);
    expect(new DataView(s1.buffer).getFloat64(0, true)).toBe(Number(lba) + 1);
    // Reading back the task file with HOB set shows the high-order bytes.
    bus.outb(PRI_CTL, 0x80);
    expect(bus.inb(PRI + LBAL)).toBe(0x76);
    bus.outb(PRI_CTL, 0);
    const data = pattern(512, 5);
    lba48(0x7000_0005n, 1);
    bus.outb(PRI + COMMAND, 0x34);
    writeBlock(data);
    bus.service();
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(big.written.get(0x7000_0005)).toEqual(data);
  });

  it('a range past the end of the disk fails with IDNF', () => {
    lba28(DISK_SECTORS - 1, 2);
    bus.outb(PRI + COMMAND, 0x20);
    expect(irq()).toBe(true);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | ERR);
    expect(bus.inb(PRI + ERROR) & IDNF).toBe(IDNF);
  });

  it('an unknown command aborts; READ VERIFY, FLUSH CACHE, CHECK POWER MODE complete', () => {
    bus.outb(PRI + COMMAND, 0xfe);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | ERR);
    expect(bus.inb(PRI + ERROR)).toBe(ABRT);
    lba28(5, 4);
    bus.outb(PRI + COMMAND, 0x40);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    bus.outb(PRI + COMMAND, 0xe7);
    bus.service();
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    bus.outb(PRI + COMMAND, 0xe5);
    expect(bus.inb(PRI + NSECT)).toBe(0xff);
  });

  it('a failing disk reports UNC|ABRT for the read', async () => {
    bus = await makeBus(16);
    const bad: BlockDevice = {
      size: 1 << 20,
      readOnly: false,
      read: () => {
        throw new Error('medium error');
      },
      write: () => {},
      flush: () => {},
    };
    attachDrive(bus.core, { bus: 'ide', channel: 0, slave: false, kind: 'hd' }, bad);
    lba28(0, 1);
    bus.outb(PRI + COMMAND, 0x20);
    bus.service();
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC | ERR);
    expect(bus.inb(PRI + ERROR)).toBe(0x44);
  });
});

describe('bus master DMA', () => {
  it('READ DMA scatters sectors into guest RAM through a PRD table and interrupts at the end', () => {
    enableBusMaster();
    writePrd(0x1000, [
      [0x20000, 1024],
      [0x30000, 512],
    ]);
    bus.outl(BM_BASE + BM_PRD, 0x1000);
    lba28(50, 3);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    bus.service();
    expect(irq()).toBe(true);
    expect(bus.inb(BM_BASE + BM_STATUS) & (BM_INTR | BM_ACTIVE | BM_ERROR)).toBe(BM_INTR);
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(bus.core.readPhys(0x20000, 1024)).toEqual(disk.data.slice(50 * 512, 52 * 512));
    expect(bus.core.readPhys(0x30000, 512)).toEqual(disk.data.slice(52 * 512, 53 * 512));
    bus.outb(BM_BASE + BM_STATUS, BM_INTR); // write one to clear
    expect(bus.inb(BM_BASE + BM_STATUS) & BM_INTR).toBe(0);
  });

  it('a PRD table longer than the transfer leaves the bus master active', () => {
    enableBusMaster();
    writePrd(0x1000, [[0x20000, 8192]]);
    bus.outl(BM_BASE + BM_PRD, 0x1000);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    lba28(0, 1);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.service();
    expect(bus.inb(BM_BASE + BM_STATUS) & (BM_INTR | BM_ACTIVE)).toBe(BM_INTR | BM_ACTIVE);
  });

  it('WRITE DMA gathers guest memory onto the disk (count 0 = 64 KiB in a PRD entry)', () => {
    enableBusMaster();
    const data = pattern(65536 + 512, 42);
    bus.core.writePhys(0x40000, data);
    writePrd(0x2000, [
      [0x40000, 65536],
      [0x50000, 512],
    ]);
    bus.outl(BM_BASE + BM_PRD, 0x2000);
    lba28(300, 129);
    bus.outb(PRI + COMMAND, 0xca);
    bus.outb(BM_BASE + BM_CMD, BM_START);
    for (let i = 0; i < 4; i++) bus.service();
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(bus.inb(BM_BASE + BM_STATUS) & 7).toBe(BM_INTR);
    expect(firstDifference(disk.data.slice(300 * 512, 429 * 512), data)).toBe(-1);
  });

  it('no DMA happens while the PCI bus-master enable bit is clear', () => {
    bus.pciWrite(IDE_DEVFN, 0x20, BM_BASE | 1, 4);
    bus.pciWrite(IDE_DEVFN, 0x04, 0x01, 2);
    writePrd(0x1000, [[0x20000, 512]]);
    bus.outl(BM_BASE + BM_PRD, 0x1000);
    lba28(1, 1);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    bus.service();
    expect(bus.inb(PRI_CTL) & BSY).toBe(BSY);
    expect(bus.core.readPhys(0x20000, 512)).toEqual(new Uint8Array(512));
  });

  it('hostile PRD entries pointing outside RAM are dropped without touching anything else', () => {
    enableBusMaster();
    writePrd(0x1000, [
      [0xfff0_0000, 512],
      [0x20000, 512],
    ]);
    bus.outl(BM_BASE + BM_PRD, 0x1000);
    lba28(3, 2);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    bus.service();
    expect(bus.inb(PRI + STATUS)).toBe(DRDY | DSC);
    expect(bus.core.readPhys(0x20000, 512)).toEqual(disk.data.slice(4 * 512, 5 * 512));
  });

  it('a PRD table without EOT is walked at most 8192 entries, then the transfer fails', () => {
    enableBusMaster();
    // 8192 two-byte entries without EOT (16 KiB) for a 32 KiB read.
    const entries: [number, number][] = [];
    for (let i = 0; i < 8192; i++) entries.push([0x100000 + i * 2, 2]);
    writePrd(0x200000, entries, false);
    writePrd(0x200000 + 8192 * 8, [[0x300000, 65534]]); // an entry past the limit that must not be used
    bus.outl(BM_BASE + BM_PRD, 0x200000);
    lba28(0, 64);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    bus.service();
    expect(irq()).toBe(true);
    expect(bus.inb(BM_BASE + BM_STATUS) & 7).toBe(BM_INTR | BM_ERROR);
    expect(bus.inb(PRI + STATUS) & ERR).toBe(ERR);
    expect(bus.core.readPhys(0x100000, 16384)).toEqual(disk.data.slice(0, 16384));
    expect(bus.core.readPhys(0x300000, 16)).toEqual(new Uint8Array(16));
  });

  it('a PRD table pointer outside RAM reads the open bus and terminates', () => {
    enableBusMaster();
    bus.outl(BM_BASE + BM_PRD, 0xfffffff8);
    lba28(0, 8);
    bus.outb(PRI + COMMAND, 0xc8);
    bus.outb(BM_BASE + BM_CMD, BM_START | BM_TO_MEMORY);
    bus.service();
    expect(bus.inb(PRI + STATUS) & BSY).toBe(0);
  });
});
