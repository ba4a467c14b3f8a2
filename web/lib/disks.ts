// Browser disks (host/block-device.ts BlockDevice): an image read lazily by
// HTTP range requests, a user's file (a Blob in IndexedDB), a blank disk, and
// the copy-on-write overlay that keeps the guest's writes in IndexedDB so
// they survive reloads. The base images are never written.

import { createStore, delMany, entries, keys, setMany, type UseStore } from 'idb-keyval';
import { CowOverlay, DiskImageError, type BlockDevice } from '../../host/block-device.js';

/** Bytes per HTTP range request and per cached chunk. */
const HTTP_CHUNK = 256 * 1024;
/** Chunks kept in memory (LRU): 64 MiB at most. */
const HTTP_CACHE_CHUNKS = 256;
/** Overlay block: the unit of copy-on-write and of an IndexedDB record. */
export const OVERLAY_BLOCK = 4096;
/** Written blocks are saved this long after the last write (batching a burst of writes). */
const OVERLAY_FLUSH_MS = 500;
/** After a failed save (storage full), the changed blocks are tried again this often. */
const OVERLAY_RETRY_MS = 3000;
const HTTP_PARTIAL = 206;

export type Progress = (loaded: number, total: number) => void;

/** Fetch a whole file with progress (bytes so far, total or 0 when unknown). */
export async function fetchWithProgress(url: string, what: string, progress?: Progress): Promise<Uint8Array> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new DiskImageError(`could not load ${what} from ${url}: ${(e as Error).message} (network error or blocked by CORS/CORP)`);
  }
  if (!r.ok) throw new DiskImageError(`could not load ${what} from ${url}: HTTP ${r.status} ${r.statusText}`);
  const total = Number(r.headers.get('Content-Length') ?? 0);
  if (!r.body) return new Uint8Array(await r.arrayBuffer());
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    progress?.(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A read-only image on a web server, read in chunks with Range requests as the guest touches it. */
export class HttpRangeDevice implements BlockDevice {
  readonly readOnly = true;
  private readonly cache = new Map<number, Promise<Uint8Array>>();
  bytesFetched = 0;

  private constructor(
    readonly url: string,
    readonly size: number,
  ) {}

  /** Find the size with a one-byte range request (servers without Range support are refused). */
  static async open(url: string): Promise<HttpRangeDevice> {
    let r: Response;
    try {
      r = await fetch(url, { headers: { Range: 'bytes=0-0' } });
    } catch (e) {
      throw new DiskImageError(`could not open the disk image ${url}: ${(e as Error).message} (network error or blocked by CORS/CORP)`);
    }
    if (r.status !== HTTP_PARTIAL) {
      throw new DiskImageError(
        r.ok
          ? `the server of ${url} ignores Range requests: the disk cannot be read lazily (download it and pick the file instead)`
          : `could not open the disk image ${url}: HTTP ${r.status} ${r.statusText}`,
      );
    }
    await r.arrayBuffer();
    const total = /\/(\d+)$/.exec(r.headers.get('Content-Range') ?? '');
    if (!total) throw new DiskImageError(`the server of ${url} sent no image size (Content-Range)`);
    return new HttpRangeDevice(url, Number(total[1]));
  }

  private chunk(n: number): Promise<Uint8Array> {
    let p = this.cache.get(n);
    if (p) {
      this.cache.delete(n);
      this.cache.set(n, p);
      return p;
    }
    const start = n * HTTP_CHUNK;
    const end = Math.min(this.size, start + HTTP_CHUNK) - 1;
    p = fetch(this.url, { headers: { Range: `bytes=${start}-${end}` } }).then(async (r) => {
      if (r.status !== HTTP_PARTIAL) throw new DiskImageError(`reading ${this.url} bytes ${start}-${end}: HTTP ${r.status}`);
      const data = new Uint8Array(await r.arrayBuffer());
      this.bytesFetched += data.length;
      return data;
    });
    p.catch(() => this.cache.delete(n));
    this.cache.set(n, p);
    if (this.cache.size > HTTP_CACHE_CHUNKS) this.cache.delete(this.cache.keys().next().value as number);
    return p;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const first = Math.floor(offset / HTTP_CHUNK);
    const last = Math.floor((offset + length - 1) / HTTP_CHUNK);
    const chunks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.chunk(first + i)));
    chunks.forEach((c, i) => {
      const base = (first + i) * HTTP_CHUNK;
      const from = Math.max(offset, base);
      const to = Math.min(offset + length, base + c.length);
      out.set(c.subarray(from - base, to - base), from - offset);
    });
    return out;
  }
  write(): void {
    throw new DiskImageError('the image is read-only');
  }
  flush(): void {}
}

/** A user's file (a Blob kept in IndexedDB), read by slices. */
export class BlobDevice implements BlockDevice {
  readonly readOnly = true;
  constructor(private readonly blob: Blob) {}
  get size(): number {
    return this.blob.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
  write(): void {
    throw new DiskImageError('the image is read-only');
  }
  flush(): void {}
}

/** A disk of zeros (the overlay holds everything written). */
export class BlankDevice implements BlockDevice {
  readonly readOnly = true;
  constructor(readonly size: number) {}
  read(_offset: number, length: number): Uint8Array {
    return new Uint8Array(length);
  }
  write(): void {
    throw new DiskImageError('the image is read-only');
  }
  flush(): void {}
}

let store: UseStore | undefined;
/** Opened on first use (importing this module must work where IndexedDB does not exist, e.g. Node tests). */
const overlayStore = (): UseStore => (store ??= createStore('tabvm-overlays', 'blocks'));
const overlayKey = (disk: string, block: number): string => `${disk}/${block}`;

/** Every overlay block of `disk` ("machineId/slot") as [block number, bytes]. */
export async function loadOverlayBlocks(disk: string): Promise<[number, Uint8Array][]> {
  const prefix = `${disk}/`;
  const all = await entries<string, Uint8Array>(overlayStore());
  return all.filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [Number(k.slice(prefix.length)), v]);
}

/** Drop a disk's overlay (or every disk of a machine: prefix "machineId/"). */
export async function deleteOverlays(prefix: string): Promise<void> {
  const all = (await keys<string>(overlayStore())).filter((k) => k.startsWith(prefix));
  await delMany(all, overlayStore());
}

/** Overlay export format: magic, block size, count, then (u32 block number, block bytes) records; little-endian. */
const EXPORT_MAGIC = 0x4f4d5654; // "TVMO"
const EXPORT_HEADER = 12;
const U32 = 4;

export function encodeOverlay(blocks: [number, Uint8Array][]): Uint8Array {
  const out = new Uint8Array(EXPORT_HEADER + blocks.length * (U32 + OVERLAY_BLOCK));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, EXPORT_MAGIC, true);
  dv.setUint32(4, OVERLAY_BLOCK, true);
  dv.setUint32(8, blocks.length, true);
  blocks.forEach(([n, data], i) => {
    const at = EXPORT_HEADER + i * (U32 + OVERLAY_BLOCK);
    dv.setUint32(at, n, true);
    out.set(data.subarray(0, OVERLAY_BLOCK), at + U32);
  });
  return out;
}

export function decodeOverlay(bytes: Uint8Array): [number, Uint8Array][] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < EXPORT_HEADER || dv.getUint32(0, true) !== EXPORT_MAGIC) throw new DiskImageError('not a tabvm overlay export');
  if (dv.getUint32(4, true) !== OVERLAY_BLOCK) throw new DiskImageError('the overlay export has another block size');
  const count = dv.getUint32(8, true);
  if (bytes.length !== EXPORT_HEADER + count * (U32 + OVERLAY_BLOCK)) throw new DiskImageError('the overlay export is truncated');
  const out: [number, Uint8Array][] = [];
  for (let i = 0; i < count; i++) {
    const at = EXPORT_HEADER + i * (U32 + OVERLAY_BLOCK);
    out.push([dv.getUint32(at, true), bytes.slice(at + U32, at + U32 + OVERLAY_BLOCK)]);
  }
  return out;
}

export async function importOverlay(disk: string, bytes: Uint8Array): Promise<number> {
  const blocks = decodeOverlay(bytes);
  await deleteOverlays(`${disk}/`);
  await setMany(
    blocks.map(([n, d]) => [overlayKey(disk, n), d]),
    overlayStore(),
  );
  return blocks.length;
}

/**
 * The guest's writable view of a base image: a CowOverlay whose changed
 * blocks are also saved to IndexedDB (batched), and loaded again next time.
 */
export class PersistentOverlay implements BlockDevice {
  readonly readOnly = false;
  private readonly cow: CowOverlay;
  private readonly dirty = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A save failed (quota exceeded, ...): a message for the page; '' when saving works again. */
  onError: ((message: string) => void) | undefined;
  private failing = false;

  private constructor(
    base: BlockDevice,
    readonly disk: string,
  ) {
    this.cow = new CowOverlay(base, OVERLAY_BLOCK);
  }

  static async open(base: BlockDevice, disk: string): Promise<PersistentOverlay> {
    const o = new PersistentOverlay(base, disk);
    for (const [n, data] of await loadOverlayBlocks(disk)) o.cow.blocks.set(n, data);
    return o;
  }

  get size(): number {
    return this.cow.size;
  }
  get changedBlocks(): number {
    return this.cow.blocks.size;
  }
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    return this.cow.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void | Promise<void> {
    const mark = (): void => {
      for (let b = Math.floor(offset / OVERLAY_BLOCK); b * OVERLAY_BLOCK < offset + data.length; b++) this.dirty.add(b);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.save(), OVERLAY_FLUSH_MS);
    };
    const r = this.cow.write(offset, data);
    if (r instanceof Promise) return r.then(mark);
    mark();
  }
  flush(): Promise<void> {
    return this.save();
  }

  /** Write the changed blocks to IndexedDB now. */
  async save(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.dirty.size) return;
    const batch = [...this.dirty].map((b): [string, Uint8Array] => [
      overlayKey(this.disk, b),
      new Uint8Array(this.cow.blocks.get(b) as Uint8Array),
    ]);
    this.dirty.clear();
    try {
      await setMany(batch, overlayStore());
      if (this.failing) {
        this.failing = false;
        this.onError?.('');
      }
    } catch (e) {
      // The blocks stay in memory (the guest keeps its view of the disk) and
      // are tried again on the next save: nothing is lost while the page lives.
      for (const [key] of batch) this.dirty.add(Number(key.slice(this.disk.length + 1)));
      this.failing = true;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.save(), OVERLAY_RETRY_MS);
      const err = e as DOMException;
      const message =
        err.name === 'QuotaExceededError'
          ? 'browser storage is full: the disk changes could not be saved (free space, or export the overlay and delete machines)'
          : `the disk changes could not be saved: ${err.message}`;
      this.onError?.(message);
    }
  }

  exportBlocks(): [number, Uint8Array][] {
    return [...this.cow.blocks.entries()].sort((a, b) => a[0] - b[0]);
  }
}
