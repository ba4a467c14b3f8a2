// Disks: the BlockDevice interface, in-memory disks, the copy-on-write
// overlay, and the host end of the core's block request slots.
//
// A BlockDevice is a byte-addressed disk image (CONVENTIONS: one Storage
// contract for files, HTTP ranges, browser storage, memory). Methods may
// answer synchronously (files in Node, memory) or with a promise (HTTP,
// IndexedDB/OPFS later); BlockHost handles both.
//
// The core never calls the host for disk I/O (DESIGN §6). Each drive has a
// request slot in shared memory (protocol: core-as/machine/rings.ts, "Block
// request slots"): the device posts {op, sector, bytes, buffer} and yields;
// between run() slices the host calls serviceBlockRequests(core), which moves
// the data between the BlockDevice and the drive's sector buffer in the core
// and marks the slot done; core.exports.serviceDevices() then lets the device
// finish the command (status, DMA to guest RAM, IRQ). Node runs this in
// host/node-machine.ts exchange(); a browser worker does the same.
//
// Drives: attachDrive(core, spec, device) — spec is
//   { bus: 'ide', channel: 0|1, slave: boolean, kind: 'hd'|'cdrom' }  (QEMU's defaults:
//     --hda = primary master hd, --cdrom = secondary master cdrom)
//   { bus: 'floppy', unit: 0|1 }
// A CD-ROM or floppy drive may be attached empty (device undefined) and loaded
// later with changeMedium(); the guest sees the change (unit attention, disk
// change line). Attach before the guest runs (a hard disk cannot appear later).
// Writes go to the device as given: wrap a read-only base in CowOverlay to
// keep it unmodified. Node's file-backed device is host/file-block-device.ts.

import type { Core } from './core.js';
import * as L from './generated/cpu-layout.js';

export const SECTOR_SIZE = 512;
export const CD_SECTOR_SIZE = 2048;

export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /** Writes are refused (the guest sees a write-protected medium). */
  readonly readOnly: boolean;
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
  write(offset: number, data: Uint8Array): void | Promise<void>;
  flush(): void | Promise<void>;
}

/** A disk image problem a person can act on: the message is one sentence naming the file. */
export class DiskImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskImageError';
  }
}

function checkRange(dev: BlockDevice, offset: number, length: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > dev.size) {
    throw new RangeError(`disk access ${offset}+${length} outside a ${dev.size}-byte disk`);
  }
}

/** A disk held in memory (tests, small images, downloads). */
export class MemoryBlockDevice implements BlockDevice {
  readonly data: Uint8Array;
  constructor(
    dataOrSize: Uint8Array | number,
    readonly readOnly = false,
  ) {
    this.data = typeof dataOrSize === 'number' ? new Uint8Array(dataOrSize) : dataOrSize;
  }
  get size(): number {
    return this.data.length;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.data.slice(offset, offset + length);
  }
  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new DiskImageError('the disk is read-only');
    checkRange(this, offset, data.length);
    this.data.set(data, offset);
  }
  flush(): void {}
}

/** Apply `f` to a value or to what a promise resolves to, staying synchronous when possible. */
function then<T, U>(v: T | Promise<T>, f: (x: T) => U): U | Promise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/**
 * Copy-on-write overlay: reads come from the base except for blocks written
 * since; written blocks live in a Map and the base is never written (so a
 * read-only image file can back a writable disk). flush() does nothing: the
 * overlay is the guest's scratch space and is dropped with the machine.
 */
export class CowOverlay implements BlockDevice {
  readonly readOnly = false;
  /** Changed blocks by block number. */
  readonly blocks = new Map<number, Uint8Array>();
  constructor(
    readonly base: BlockDevice,
    readonly blockSize = SECTOR_SIZE,
  ) {}
  get size(): number {
    return this.base.size;
  }

  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    checkRange(this, offset, length);
    return then(this.base.read(offset, length), (data) => {
      const out = new Uint8Array(data);
      const bs = this.blockSize;
      for (let b = Math.floor(offset / bs); b * bs < offset + length; b++) {
        const block = this.blocks.get(b);
        if (!block) continue;
        const from = Math.max(offset, b * bs);
        const to = Math.min(offset + length, b * bs + block.length);
        out.set(block.subarray(from - b * bs, to - b * bs), from - offset);
      }
      return out;
    });
  }

  write(offset: number, data: Uint8Array): void | Promise<void> {
    checkRange(this, offset, data.length);
    const bs = this.blockSize;
    const end = offset + data.length;
    const pending: Promise<void>[] = [];
    for (let b = Math.floor(offset / bs); b * bs < end; b++) {
      const start = b * bs;
      const blockLen = Math.min(bs, this.size - start);
      const from = Math.max(offset, start);
      const to = Math.min(end, start + blockLen);
      const fill = (block: Uint8Array): void => {
        block.set(data.subarray(from - offset, to - offset), from - start);
        this.blocks.set(b, block);
      };
      const existing = this.blocks.get(b);
      if (existing) fill(existing);
      else if (from === start && to === start + blockLen) fill(new Uint8Array(blockLen));
      else {
        // A partial block: start from the base's contents.
        const r = then(this.base.read(start, blockLen), (d) => fill(new Uint8Array(d)));
        if (r instanceof Promise) pending.push(r);
      }
    }
    if (pending.length) return Promise.all(pending).then(() => undefined);
  }

  flush(): void {}
}

// ---- drives and the request slots ----

export type DriveSpec = { bus: 'ide'; channel: 0 | 1; slave: boolean; kind: 'hd' | 'cdrom' } | { bus: 'floppy'; unit: 0 | 1 };

/** Floppy image sizes the 82077AA model knows (core-as/devices/fdc82077.ts). */
export const FLOPPY_SIZES: Record<number, string> = {
  368640: '360 KB',
  737280: '720 KB',
  1228800: '1.2 MB',
  1474560: '1.44 MB',
  2949120: '2.88 MB',
};

/** The block request slot number of a drive (core-as/machine/rings.ts). */
export function driveIndex(spec: DriveSpec): number {
  if (spec.bus === 'floppy') return L.BLOCK_DRIVE_FLOPPY0 + spec.unit;
  return spec.channel * 2 + (spec.slave ? 1 : 0);
}

function driveKind(spec: DriveSpec): number {
  if (spec.bus === 'floppy') return L.BLOCK_KIND_FLOPPY;
  return spec.kind === 'cdrom' ? L.BLOCK_KIND_CDROM : L.BLOCK_KIND_HD;
}

function describe(spec: DriveSpec): string {
  if (spec.bus === 'floppy') return `floppy drive ${'AB'[spec.unit]}`;
  return `IDE ${spec.channel === 0 ? 'primary' : 'secondary'} ${spec.slave ? 'slave' : 'master'} ${spec.kind === 'cdrom' ? 'CD-ROM' : 'disk'}`;
}

/**
 * Check that `dev` can be the medium of `spec` (a whole number of sectors,
 * a known floppy size, not empty); throws DiskImageError naming `name`.
 */
export function validateMedium(spec: DriveSpec, dev: BlockDevice, name = 'the disk image'): void {
  if (dev.size === 0) throw new DiskImageError(`${name} is empty`);
  if (dev.size % SECTOR_SIZE !== 0) {
    throw new DiskImageError(`${name} is ${dev.size} bytes, not a whole number of 512-byte sectors (truncated or not a disk image?)`);
  }
  if (spec.bus === 'floppy' && !(dev.size in FLOPPY_SIZES)) {
    const known = Object.entries(FLOPPY_SIZES)
      .map(([n, s]) => `${n} (${s})`)
      .join(', ');
    throw new DiskImageError(`${name} is ${dev.size} bytes, not a floppy image size: expected one of ${known}`);
  }
  if (spec.bus === 'ide' && spec.kind === 'cdrom' && dev.size % CD_SECTOR_SIZE !== 0) {
    throw new DiskImageError(`${name} is ${dev.size} bytes, not a whole number of 2048-byte CD sectors (truncated ISO image?)`);
  }
}

/** The host end of one core's block request slots. */
export class BlockHost {
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;
  private readonly devices: (BlockDevice | undefined)[] = [];
  private readonly specs: (DriveSpec | undefined)[] = [];
  private readonly inFlight = new Set<number>();
  /** The last I/O error a device raised (the guest saw an I/O error for it). */
  lastError: string | undefined;

  constructor(readonly core: Core) {
    this.u32 = new Uint32Array(core.memory.buffer);
    this.u8 = new Uint8Array(core.memory.buffer);
  }

  private field(drive: number, off: number): number {
    return (L.BLOCK_SLOTS + drive * L.BLOCK_SLOT_SIZE + off) >>> 2;
  }

  /** Put a drive on the machine (with a medium, or empty for CD-ROM and floppy drives). */
  attach(spec: DriveSpec, dev: BlockDevice | undefined): void {
    const drive = driveIndex(spec);
    if (!dev && spec.bus === 'ide' && spec.kind === 'hd') throw new DiskImageError(`the ${describe(spec)} needs an image`);
    if (dev) validateMedium(spec, dev);
    this.specs[drive] = spec;
    this.u32[this.field(drive, L.BLOCK_OFF_KIND)] = driveKind(spec);
    this.setMedium(drive, dev);
    // Devices read their drives at reset (the CD-ROM's signature, the IDE status).
    this.core.exports.resetDevices();
  }

  /** Insert, replace or eject (undefined) the medium of an attached CD-ROM or floppy drive. */
  changeMedium(spec: DriveSpec, dev: BlockDevice | undefined): void {
    const drive = driveIndex(spec);
    if (!this.specs[drive]) throw new Error(`no ${describe(spec)} is attached`);
    if (dev) validateMedium(spec, dev);
    this.setMedium(drive, dev);
    const gen = this.field(drive, L.BLOCK_OFF_MEDIA_GENERATION);
    this.u32[gen] = (this.u32[gen] + 1) >>> 0;
  }

  private setMedium(drive: number, dev: BlockDevice | undefined): void {
    this.devices[drive] = dev;
    const sectors = dev ? Math.floor(dev.size / SECTOR_SIZE) : 0;
    this.u32[this.field(drive, L.BLOCK_OFF_MEDIA_LO)] = sectors >>> 0;
    this.u32[this.field(drive, L.BLOCK_OFF_MEDIA_HI)] = Math.floor(sectors / 2 ** 32);
    this.u32[this.field(drive, L.BLOCK_OFF_MEDIA_FLAGS)] = dev?.readOnly ? L.BLOCK_MEDIA_READ_ONLY : 0;
  }

  /** Requests waiting for the host, or served asynchronously and not yet complete. */
  get busy(): boolean {
    if (this.inFlight.size) return true;
    for (let d = 0; d < L.BLOCK_DRIVES; d++) if (this.u32[this.field(d, L.BLOCK_OFF_STATE)] === L.BLOCK_PENDING) return true;
    return false;
  }

  /**
   * Serve every pending request. Synchronous devices complete before this
   * returns; promise-based ones complete later (call again, then
   * serviceDevices). Returns the number of requests completed now.
   */
  service(): number {
    let done = 0;
    for (let d = 0; d < L.BLOCK_DRIVES; d++) {
      if (this.inFlight.has(d) || this.u32[this.field(d, L.BLOCK_OFF_STATE)] !== L.BLOCK_PENDING) continue;
      const r = this.serve(d);
      if (r instanceof Promise) {
        this.inFlight.add(d);
        void r.then((result) => {
          this.inFlight.delete(d);
          this.complete(d, result);
        });
      } else {
        this.complete(d, r);
        done++;
      }
    }
    return done;
  }

  private complete(drive: number, result: number): void {
    this.u32[this.field(drive, L.BLOCK_OFF_RESULT)] = result;
    this.u32[this.field(drive, L.BLOCK_OFF_STATE)] = L.BLOCK_DONE;
  }

  private serve(drive: number): number | Promise<number> {
    const op = this.u32[this.field(drive, L.BLOCK_OFF_OP)];
    const sector = this.u32[this.field(drive, L.BLOCK_OFF_SECTOR_LO)] + this.u32[this.field(drive, L.BLOCK_OFF_SECTOR_HI)] * 2 ** 32;
    const bytes = this.u32[this.field(drive, L.BLOCK_OFF_BYTES)];
    const buffer = this.u32[this.field(drive, L.BLOCK_OFF_BUFFER)];
    const dev = this.devices[drive];
    if (!dev) return L.BLOCK_ERR_NO_MEDIUM;
    // The core only names its own sector buffers; anything else is a core bug, not guest data.
    if (buffer < L.DEVICE_BUFFERS || buffer + bytes > L.DEVICE_BUFFERS + L.DEVICE_BUFFERS_SIZE) return L.BLOCK_ERR_IO;
    const offset = sector * SECTOR_SIZE;
    const fail = (e: unknown): number => {
      this.lastError = e instanceof Error ? e.message : String(e);
      return L.BLOCK_ERR_IO;
    };
    try {
      if (op === L.BLOCK_OP_FLUSH) return then(dev.flush(), () => L.BLOCK_OK);
      if (offset + bytes > dev.size) return L.BLOCK_ERR_RANGE;
      if (op === L.BLOCK_OP_READ) {
        const r = then(dev.read(offset, bytes), (data) => {
          this.u8.set(data.subarray(0, bytes), buffer);
          return L.BLOCK_OK;
        });
        return r instanceof Promise ? r.catch(fail) : r;
      }
      if (op === L.BLOCK_OP_WRITE) {
        if (dev.readOnly) return L.BLOCK_ERR_READ_ONLY;
        const r = then(dev.write(offset, this.u8.slice(buffer, buffer + bytes)), () => L.BLOCK_OK);
        return r instanceof Promise ? r.catch(fail) : r;
      }
      return L.BLOCK_ERR_IO;
    } catch (e) {
      return fail(e);
    }
  }
}

const hosts = new WeakMap<Core, BlockHost>();

/** The BlockHost of a core (created on first use). */
export function blockHost(core: Core): BlockHost {
  let h = hosts.get(core);
  if (!h) {
    h = new BlockHost(core);
    hosts.set(core, h);
  }
  return h;
}

/** CMOS drive type for each floppy size (core-as/devices/rtc146818.ts cmosSetFloppyType); an empty drive is a 1.44 MB one. */
const FLOPPY_CMOS_TYPES: Record<number, number> = { 368640: 1, 1228800: 2, 737280: 3, 1474560: 4, 2949120: 5 };
const FLOPPY_CMOS_TYPE_EMPTY = 4;

/** Attach a drive to the core's machine (see the top of this file). */
export function attachDrive(core: Core, spec: DriveSpec, dev: BlockDevice | undefined): void {
  blockHost(core).attach(spec, dev);
  // The BIOS finds floppy drives only in CMOS register 0x10 (SeaBIOS floppy_setup on QEMU), which QEMU's pc machine fills in.
  if (spec.bus === 'floppy') {
    core.exports.cmosSetFloppyType(spec.unit, dev ? (FLOPPY_CMOS_TYPES[dev.size] ?? FLOPPY_CMOS_TYPE_EMPTY) : FLOPPY_CMOS_TYPE_EMPTY);
  }
}

/** Serve the core's pending disk requests, then let the devices finish their commands. */
export function serviceBlockRequests(core: Core): void {
  const h = hosts.get(core);
  if (h?.service()) core.exports.serviceDevices();
}
