// A writer for cpio archives in the "newc" (SVR4, no CRC) format: the format
// of Linux initramfs images.
//
// Reference: Linux Documentation/driver-api/early-userspace/buffer-format.rst
// ("initramfs buffer format"); cpio(5) (the "new ASCII" format, magic 070701).
// Each entry is a 110-byte ASCII header (the magic, then 13 fields of eight
// hexadecimal digits), the NUL-terminated name padded to a multiple of four
// bytes (counting the header), then the data padded to a multiple of four.
// The archive ends with an entry named "TRAILER!!!". Symbolic links store
// their target as data; device nodes store their numbers in rdevmajor and
// rdevminor. Linux ignores the checksum field of newc ("070701").
//
// The output is deterministic (fixed inode numbers and times) so that images
// built twice from the same inputs have the same checksum.

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

const MAGIC = '070701';
const HEADER_BYTES = 110;
const FIELD_DIGITS = 8;
const ALIGN = 4;
const TRAILER = 'TRAILER!!!';
const MAX_FIELD = 0xffffffff;

export interface CpioEntry {
  /** Path inside the archive, without a leading slash ("bin/busybox"). */
  name: string;
  /** File type and permission bits (S_IF* | 0oNNN). */
  mode: number;
  /** File contents, or the target of a symbolic link. */
  data?: Uint8Array | string;
  /** Device numbers of a character or block device node. */
  rdevMajor?: number;
  rdevMinor?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; 0 by default for reproducible archives. */
  mtime?: number;
}

const pad = (n: number): number => (ALIGN - (n % ALIGN)) % ALIGN;

function field(value: number, what: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_FIELD) {
    throw new RangeError(`cpio: ${what} of "${name}" does not fit a newc field (${value})`);
  }
  return value.toString(16).padStart(FIELD_DIGITS, '0');
}

/** Builds a newc archive from `entries` (in the given order) plus the trailer. */
export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    total += b.length;
  };
  const seen = new Set<string>();
  const all: CpioEntry[] = [...entries, { name: TRAILER, mode: 0 }];
  all.forEach((e, i) => {
    const isTrailer = i === all.length - 1;
    if (!isTrailer) {
      if (e.name === '' || e.name.startsWith('/') || e.name.split('/').includes('..')) {
        throw new RangeError(`cpio: bad entry name "${e.name}" (relative, no "..")`);
      }
      if (seen.has(e.name)) throw new RangeError(`cpio: "${e.name}" appears twice`);
      seen.add(e.name);
    }
    const data = typeof e.data === 'string' ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    const type = e.mode & S_IFMT;
    if (data.length && type !== S_IFREG && type !== S_IFLNK) throw new RangeError(`cpio: "${e.name}" has data but is not a file or link`);
    const name = enc.encode(e.name);
    const namesize = name.length + 1;
    const header =
      MAGIC +
      [
        field(isTrailer ? 0 : i + 1, 'inode', e.name),
        field(e.mode, 'mode', e.name),
        field(e.uid ?? 0, 'uid', e.name),
        field(e.gid ?? 0, 'gid', e.name),
        field(type === S_IFDIR ? 2 : 1, 'nlink', e.name),
        field(e.mtime ?? 0, 'mtime', e.name),
        field(data.length, 'size', e.name),
        field(0, 'devmajor', e.name),
        field(0, 'devminor', e.name),
        field(e.rdevMajor ?? 0, 'rdevmajor', e.name),
        field(e.rdevMinor ?? 0, 'rdevminor', e.name),
        field(namesize, 'namesize', e.name),
        field(0, 'check', e.name),
      ].join('');
    const head = new Uint8Array(HEADER_BYTES + namesize + pad(HEADER_BYTES + namesize));
    head.set(enc.encode(header));
    head.set(name, HEADER_BYTES);
    push(head);
    if (data.length) {
      push(data);
      if (pad(data.length)) push(new Uint8Array(pad(data.length)));
    }
  });
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** One parsed entry of a newc archive (for tests and `images list`). */
export interface CpioReadEntry {
  name: string;
  mode: number;
  data: Uint8Array;
  rdevMajor: number;
  rdevMinor: number;
}

/** Parses a newc archive up to its trailer; throws on anything malformed. */
export function readCpio(bytes: Uint8Array): CpioReadEntry[] {
  const dec = new TextDecoder();
  const out: CpioReadEntry[] = [];
  let off = 0;
  for (;;) {
    if (off + HEADER_BYTES > bytes.length) throw new RangeError(`cpio: truncated header at offset ${off}`);
    const head = dec.decode(bytes.subarray(off, off + HEADER_BYTES));
    if (!head.startsWith(MAGIC)) throw new RangeError(`cpio: bad magic at offset ${off}`);
    const f = (k: number): number => parseInt(head.slice(MAGIC.length + k * FIELD_DIGITS, MAGIC.length + (k + 1) * FIELD_DIGITS), 16);
    const mode = f(1);
    const size = f(6);
    const namesize = f(11);
    const nameEnd = off + HEADER_BYTES + namesize;
    if (nameEnd > bytes.length) throw new RangeError(`cpio: truncated name at offset ${off}`);
    const name = dec.decode(bytes.subarray(off + HEADER_BYTES, nameEnd - 1));
    const dataStart = nameEnd + pad(HEADER_BYTES + namesize);
    if (dataStart + size > bytes.length) throw new RangeError(`cpio: truncated data of "${name}"`);
    if (name === TRAILER) return out;
    out.push({ name, mode, data: bytes.slice(dataStart, dataStart + size), rdevMajor: f(9), rdevMinor: f(10) });
    off = dataStart + size + pad(size);
  }
}
