// The copy-on-write disk overlay (host/block-device.ts CowOverlay): the guest
// sees its writes, the base image never changes, and partial-block writes
// keep the base's bytes around them, whether the base answers at once (a file)
// or later (HTTP ranges, browser storage).
import { describe, expect, it } from 'vitest';
import { CowOverlay, MemoryBlockDevice, SECTOR_SIZE, type BlockDevice } from '../../host/block-device.js';

const DISK_BYTES = 8 * SECTOR_SIZE;

function patterned(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 0xff;
  return data;
}

/** A base that answers reads asynchronously, as an HTTP-range or IndexedDB disk does. */
class AsyncBase implements BlockDevice {
  readonly readOnly = true;
  constructor(readonly inner: MemoryBlockDevice) {}
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    await new Promise((r) => setTimeout(r, 1));
    return this.inner.read(offset, length);
  }
  write(): void {
    throw new Error('the base must never be written');
  }
  flush(): void {}
}

for (const kind of ['synchronous', 'asynchronous'] as const) {
  describe(`CowOverlay over a ${kind} base`, () => {
    const makeBase = (): { base: BlockDevice; original: Uint8Array; mem: MemoryBlockDevice } => {
      const original = patterned(DISK_BYTES);
      const mem = new MemoryBlockDevice(original.slice(), true);
      return { base: kind === 'synchronous' ? mem : new AsyncBase(mem), original, mem };
    };

    it('returns the written bytes, keeps the base bytes around a partial-block write, and never writes the base', async () => {
      const { base, original, mem } = makeBase();
      const disk = new CowOverlay(base);
      const offset = SECTOR_SIZE + 100; // inside sector 1, crossing into sector 2
      const data = new Uint8Array(SECTOR_SIZE).fill(0xab);
      await disk.write(offset, data);
      const view = await disk.read(0, DISK_BYTES);
      const expected = original.slice();
      expected.set(data, offset);
      expect(Buffer.from(view).equals(Buffer.from(expected))).toBe(true);
      expect(Buffer.from(mem.data).equals(Buffer.from(original))).toBe(true);
      expect([...disk.blocks.keys()].sort()).toEqual([1, 2]);
    });

    it('a later write over a changed block merges with the earlier one', async () => {
      const { base, original } = makeBase();
      const disk = new CowOverlay(base);
      await disk.write(3 * SECTOR_SIZE, new Uint8Array(16).fill(1));
      await disk.write(3 * SECTOR_SIZE + 8, new Uint8Array(16).fill(2));
      const sector = await disk.read(3 * SECTOR_SIZE, SECTOR_SIZE);
      expect([...sector.subarray(0, 8)]).toEqual(new Array(8).fill(1));
      expect([...sector.subarray(8, 24)]).toEqual(new Array(16).fill(2));
      expect([...sector.subarray(24)]).toEqual([...original.subarray(3 * SECTOR_SIZE + 24, 4 * SECTOR_SIZE)]);
    });

    it('refuses accesses outside the disk', async () => {
      const { base } = makeBase();
      const disk = new CowOverlay(base);
      expect(() => disk.write(DISK_BYTES - 4, new Uint8Array(8))).toThrow(RangeError);
      expect(() => disk.read(-1, 4)).toThrow(RangeError);
    });
  });
}
