// QEMU's fw_cfg device through its I/O and DMA interfaces, with the byte
// formats of QEMU docs/specs/fw_cfg.rst (signature, ID, the big-endian file
// directory, FWCfgDmaAccess) and the items SeaBIOS src/fw/paravirt.c reads.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { FwCfg, E820_RAM, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA } from '../../host/fw-cfg.js';

const SELECTOR = 0x510;
const DATA = 0x511;
const DMA_HIGH = 0x514;
const DMA_LOW = 0x518;
const KEY_SIGNATURE = 0x00;
const KEY_ID = 0x01;
const KEY_RAM_SIZE = 0x03;
const KEY_NB_CPUS = 0x05;
const KEY_NUMA = 0x0d;
const KEY_MAX_CPUS = 0x0f;
const KEY_FILE_DIR = 0x19;
const KEY_FILE_FIRST = 0x20;
const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;
const DIR_ENTRY = 64;
const RAM_MIB = 2;
const ACCESS = 0x1000;
const BUFFER = 0x2000;

let core: Core;
let fw: FwCfg;

const bswap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
function select(key: number): void {
  core.exports.portWrite(SELECTOR, key, 2);
}
function readBytes(key: number, n: number): number[] {
  select(key);
  return Array.from({ length: n }, () => core.exports.portRead(DATA, 1));
}
const le = (bytes: number[]): number => bytes.reduceRight((a, b) => a * 256 + b, 0);
const be = (bytes: number[]): number => bytes.reduce((a, b) => a * 256 + b, 0);
const text = (s: string): number[] => Array.from(new TextEncoder().encode(s));

/** Write a FWCfgDmaAccess at ACCESS and start it the way SeaBIOS does (outl of byte-swapped halves). */
function dma(control: number, length: number, address: number, addressHigh = 0, at = ACCESS): number {
  const access = new Uint8Array(16);
  const v = new DataView(access.buffer);
  v.setUint32(0, control >>> 0);
  v.setUint32(4, length >>> 0);
  v.setUint32(8, addressHigh >>> 0);
  v.setUint32(12, address >>> 0);
  core.writePhys(at, access);
  core.exports.portWrite(DMA_HIGH, bswap32(0), 4);
  core.exports.portWrite(DMA_LOW, bswap32(at), 4);
  return new DataView(core.readPhys(at, 4).buffer).getUint32(0);
}

interface DirEntry {
  size: number;
  select: number;
  name: string;
}
function directory(): DirEntry[] {
  const count = be(readBytes(KEY_FILE_DIR, 4));
  const out: DirEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = Array.from({ length: DIR_ENTRY }, () => core.exports.portRead(DATA, 1));
    const nameBytes = e.slice(8);
    const name = new TextDecoder().decode(new Uint8Array(nameBytes.slice(0, nameBytes.indexOf(0))));
    out.push({ size: be(e.slice(0, 4)), select: be(e.slice(4, 6)), name });
  }
  return out;
}

beforeEach(async () => {
  core = await createCore({ memoryMiB: RAM_MIB, hostAreaMiB: 1 });
  fw = new FwCfg(core);
});

describe('fw_cfg I/O interface', () => {
  it('reads the signature "QEMU" at key 0', () => {
    expect(readBytes(KEY_SIGNATURE, 4)).toEqual(text('QEMU'));
  });

  it('reads ID 3 (traditional interface + DMA), little-endian', () => {
    expect(readBytes(KEY_ID, 4)).toEqual([3, 0, 0, 0]);
  });

  it('reads the RAM size as a u64 and the CPU counts as u16', () => {
    expect(le(readBytes(KEY_RAM_SIZE, 8))).toBe(RAM_MIB * 1024 * 1024);
    expect(readBytes(KEY_NB_CPUS, 2)).toEqual([1, 0]);
    expect(readBytes(KEY_MAX_CPUS, 2)).toEqual([1, 0]);
  });

  it('has a NUMA item with zero nodes followed by one u64 per CPU', () => {
    expect(readBytes(KEY_NUMA, 17)).toEqual(Array(17).fill(0));
  });

  it('reads zeros past an item and from keys nobody defined', () => {
    expect(readBytes(KEY_SIGNATURE, 6)).toEqual([...text('QEMU'), 0, 0]);
    expect(readBytes(0x1234, 4)).toEqual([0, 0, 0, 0]);
  });

  it('restarts an item at offset 0 when it is selected again', () => {
    readBytes(KEY_SIGNATURE, 2);
    expect(readBytes(KEY_SIGNATURE, 2)).toEqual(text('QE'));
  });

  it('ignores writes to the data port (QEMU >= 2.4)', () => {
    select(KEY_SIGNATURE);
    core.exports.portWrite(DATA, 0x41, 1);
    expect(readBytes(KEY_SIGNATURE, 4)).toEqual(text('QEMU'));
  });

  it('lists files in a big-endian directory sorted by name, with keys from 0x20', () => {
    fw.addFile('opt/tabvm/x', new Uint8Array([1, 2, 3]));
    const path = '/pci@i0cf8/ide@1,1/drive@0/disk@0';
    fw.setBootOrder([path]);
    fw.setE820([{ address: 0, length: RAM_MIB * 1024 * 1024, type: E820_RAM }]);
    const dir = directory();
    expect(dir.map((e) => e.name)).toEqual(['bootorder', 'etc/e820', 'opt/tabvm/x']);
    expect(dir.map((e) => e.select)).toEqual([KEY_FILE_FIRST, KEY_FILE_FIRST + 1, KEY_FILE_FIRST + 2]);
    expect(dir.map((e) => e.size)).toEqual([path.length + 2, 20, 3]);
    expect(readBytes(dir[2].select, 3)).toEqual([1, 2, 3]);
  });

  it('formats etc/e820 as packed little-endian {u64 address, u64 length, u32 type}', () => {
    fw.setE820([{ address: 0x100000, length: 0x300000, type: E820_RAM }]);
    const [e] = directory();
    const bytes = readBytes(e.select, 20);
    expect(le(bytes.slice(0, 8))).toBe(0x100000);
    expect(le(bytes.slice(8, 16))).toBe(0x300000);
    expect(le(bytes.slice(16, 20))).toBe(E820_RAM);
  });

  it('formats bootorder as newline-terminated paths and a NUL', () => {
    fw.setBootOrder(['/a', '/b']);
    const [e] = directory();
    expect(readBytes(e.select, e.size)).toEqual(text('/a\n/b\n\0'));
  });

  it('replaces a file of the same name instead of adding another', () => {
    fw.addFile('etc/boot-fail-wait', new Uint8Array([1, 0, 0, 0]));
    fw.setBootFailWait(5000);
    const dir = directory();
    expect(dir).toHaveLength(1);
    expect(le(readBytes(dir[0].select, 4))).toBe(5000);
  });

  it('keeps its items across a machine reset', () => {
    fw.addFile('opt/tabvm/keep', new Uint8Array([7]));
    core.exports.resetDevices();
    expect(directory().map((e) => e.name)).toEqual(['opt/tabvm/keep']);
  });

  it('serves the legacy kernel items the linuxboot option ROM reads', () => {
    fw.linuxBoot({
      setup: new Uint8Array(1024).fill(0x55),
      setupAddr: 0x90000,
      kernel: new Uint8Array(200 * 1024).fill(0xaa),
      kernelAddr: 0x100000,
      cmdline: 'console=ttyS0',
      cmdlineAddr: 0x20000,
    });
    expect(le(readBytes(FW_CFG_KERNEL_SIZE, 4))).toBe(200 * 1024);
    const tail = readBytes(FW_CFG_KERNEL_DATA, 200 * 1024 + 2).slice(-3);
    expect(tail).toEqual([0xaa, 0, 0]);
  });
});

describe('fw_cfg DMA interface', () => {
  it('reads "QEMU CFG" from the DMA address register', () => {
    expect(core.exports.portRead(DMA_HIGH, 4) >>> 0).toBe(bswap32(0x51454d55));
    expect(core.exports.portRead(DMA_LOW, 4) >>> 0).toBe(bswap32(0x20434647));
  });

  it('selects and reads an item into guest RAM and clears the control word', () => {
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_READ, 4, BUFFER)).toBe(0);
    expect(Array.from(core.readPhys(BUFFER, 4))).toEqual(text('QEMU'));
  });

  it('continues from the current offset, skips, and fills past the end with zeros', () => {
    fw.addFile('opt/tabvm/data', new Uint8Array([10, 11, 12, 13, 14, 15]));
    const key = directory()[0].select;
    core.writePhys(BUFFER, new Uint8Array(8).fill(0xee));
    expect(dma((key << 16) | DMA_SELECT | DMA_READ, 2, BUFFER)).toBe(0);
    expect(dma(DMA_SKIP, 1, 0)).toBe(0);
    expect(dma(DMA_READ, 6, BUFFER + 2)).toBe(0);
    expect(Array.from(core.readPhys(BUFFER, 8))).toEqual([10, 11, 13, 14, 15, 0, 0, 0]);
  });

  it('serves a big item from the host area', () => {
    const big = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
    fw.addFile('opt/tabvm/big', big);
    const [e] = directory();
    expect(e.size).toBe(big.length);
    expect(dma((e.select << 16) | DMA_SELECT | DMA_READ, big.length, 0x10000)).toBe(0);
    expect(Buffer.from(core.readPhys(0x10000, big.length)).equals(Buffer.from(big))).toBe(true);
  });

  it('sets the error bit for a target outside guest RAM and writes nothing', () => {
    const ramEnd = RAM_MIB * 1024 * 1024;
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_READ, 4, ramEnd - 2) & DMA_ERROR).toBe(DMA_ERROR);
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_READ, 4, 0xfffffffe) & DMA_ERROR).toBe(DMA_ERROR);
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_READ, 4, 0, 1) & DMA_ERROR).toBe(DMA_ERROR);
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_READ, 0xffffffff, BUFFER) & DMA_ERROR).toBe(DMA_ERROR);
    expect(Array.from(core.readPhys(ramEnd - 2, 2))).toEqual([0, 0]);
  });

  it('ignores an access structure outside guest RAM without crashing', () => {
    core.exports.portWrite(DMA_HIGH, 0, 4);
    core.exports.portWrite(DMA_LOW, bswap32(0xfffffff8), 4);
    core.exports.portWrite(DMA_HIGH, bswap32(1), 4);
    core.exports.portWrite(DMA_LOW, bswap32(ACCESS), 4);
    // The device still works afterwards.
    expect(dma((KEY_ID << 16) | DMA_SELECT | DMA_READ, 4, BUFFER)).toBe(0);
    expect(Array.from(core.readPhys(BUFFER, 4))).toEqual([3, 0, 0, 0]);
  });

  it('rejects DMA writes: every item is read-only to the guest', () => {
    expect(dma((KEY_SIGNATURE << 16) | DMA_SELECT | DMA_WRITE, 4, BUFFER) & DMA_ERROR).toBe(DMA_ERROR);
    expect(readBytes(KEY_SIGNATURE, 4)).toEqual(text('QEMU'));
  });
});
