// A writer for small bootable CD images: ISO 9660 with one directory (the
// root) and an El Torito "no emulation" boot entry.
//
// References: ECMA-119 (ISO 9660), 4th edition: §8.4 primary volume
// descriptor, §8.3 volume descriptor set terminator, §9.1 directory records,
// §9.4 path table records, §7.2/§7.3 both-byte-order numbers; "El Torito"
// Bootable CD-ROM Format Specification 1.0 (Phoenix/IBM, 1995): §2.0 boot
// record volume descriptor, §2.1 validation entry, §2.2 initial/default
// entry. The boot-info table (patched into isolinux.bin at offset 8) is
// mkisofs's -boot-info-table, as syslinux's doc/isolinux.txt requires:
// the LBA of the primary volume descriptor, the boot file's LBA and length,
// and a 32-bit sum of the file's dwords from offset 64.
//
// Names are ISO 9660 level 1 (8.3, upper case, ";1" version suffix); ISOLINUX
// matches them case-insensitively, so "isolinux.cfg" finds ISOLINUX.CFG;1.
// Timestamps are left "not specified" (zeros) so the image is reproducible.

export const SECTOR_BYTES = 2048;
const SYSTEM_AREA_SECTORS = 16;
const PVD_LBA = SYSTEM_AREA_SECTORS;
const BOOT_RECORD_LBA = PVD_LBA + 1;
const TERMINATOR_LBA = PVD_LBA + 2;
const L_PATH_TABLE_LBA = PVD_LBA + 3;
const M_PATH_TABLE_LBA = PVD_LBA + 4;
const BOOT_CATALOG_LBA = PVD_LBA + 5;
const ROOT_DIR_LBA = PVD_LBA + 6;
const STANDARD_ID = 'CD001';
const VD_TYPE_BOOT = 0;
const VD_TYPE_PRIMARY = 1;
const VD_TYPE_TERMINATOR = 255;
const EL_TORITO_ID = 'EL TORITO SPECIFICATION';
const DIR_RECORD_BASE_BYTES = 33;
const DIR_FLAG_DIRECTORY = 2;
const ROOT_RECORD_BYTES = 34;
/** El Torito §2.1/§2.2. */
const VALIDATION_HEADER_ID = 1;
const PLATFORM_X86 = 0;
const BOOT_INDICATOR_BOOTABLE = 0x88;
const MEDIA_NO_EMULATION = 0;
const VIRTUAL_SECTOR_BYTES = 512;
/** ISOLINUX loads 4 virtual sectors (2 KiB) of itself; the rest it reads through the boot-info table. */
const NO_EMULATION_LOAD_SECTORS = 4;
const KEY_55 = 0x55;
const KEY_AA = 0xaa;
/** mkisofs -boot-info-table: fields at offset 8, checksum from offset 64. */
const BOOT_INFO_OFFSET = 8;
const BOOT_INFO_CHECKSUM_FROM = 64;

export interface IsoFile {
  /** Level-1 name: up to 8 characters, a dot, up to 3 (A-Z, 0-9, _), e.g. "VMLINUZ" or "INITRD.GZ". */
  name: string;
  data: Uint8Array;
}

export interface IsoOptions {
  volumeId: string;
  files: IsoFile[];
  /** Name of the El Torito no-emulation boot file (one of files); patched with a boot-info table. */
  bootFile?: string;
}

const LEVEL1_NAME = /^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3})?$/;

class Sector {
  readonly b: Uint8Array;
  private readonly dv: DataView;
  constructor(bytes = SECTOR_BYTES) {
    this.b = new Uint8Array(bytes);
    this.dv = new DataView(this.b.buffer);
  }
  u8(o: number, v: number): void {
    this.b[o] = v;
  }
  u16le(o: number, v: number): void {
    this.dv.setUint16(o, v, true);
  }
  u32le(o: number, v: number): void {
    this.dv.setUint32(o, v, true);
  }
  u32be(o: number, v: number): void {
    this.dv.setUint32(o, v, false);
  }
  /** §7.2.3 / §7.3.3: little-endian then big-endian. */
  both16(o: number, v: number): void {
    this.dv.setUint16(o, v, true);
    this.dv.setUint16(o + 2, v, false);
  }
  both32(o: number, v: number): void {
    this.dv.setUint32(o, v, true);
    this.dv.setUint32(o + 4, v, false);
  }
  /** An a-/d-character field, padded with spaces (§7.4). */
  text(o: number, len: number, s: string): void {
    for (let i = 0; i < len; i++) this.b[o + i] = i < s.length ? s.charCodeAt(i) : 0x20;
  }
  /** §8.4.26.1: a dec-datetime "not specified" (16 '0' digits, offset 0). */
  noDate(o: number): void {
    this.text(o, 16, '0'.repeat(16));
    this.b[o + 16] = 0;
  }
}

const sectorsFor = (bytes: number): number => Math.ceil(bytes / SECTOR_BYTES);

/** §9.1: one directory record; returns its length. */
function dirRecord(out: Sector, o: number, lba: number, size: number, flags: number, name: Uint8Array): number {
  const len = DIR_RECORD_BASE_BYTES + name.length + (name.length % 2 === 0 ? 1 : 0);
  out.u8(o, len);
  out.u8(o + 1, 0);
  out.both32(o + 2, lba);
  out.both32(o + 10, size);
  // o + 18: 7-byte recording date, zeros = not specified.
  out.u8(o + 25, flags);
  out.both16(o + 28, 1);
  out.u8(o + 32, name.length);
  out.b.set(name, o + 33);
  return len;
}

/** The boot-info table and checksum, patched into a copy of the boot file. */
export function patchBootInfoTable(file: Uint8Array, fileLba: number): Uint8Array {
  if (file.length < BOOT_INFO_CHECKSUM_FROM || file.length % 4 !== 0) {
    throw new RangeError(`boot file must be at least ${BOOT_INFO_CHECKSUM_FROM} bytes and a multiple of 4 (${file.length})`);
  }
  const out = file.slice();
  const dv = new DataView(out.buffer);
  let sum = 0;
  for (let o = BOOT_INFO_CHECKSUM_FROM; o < out.length; o += 4) sum = (sum + dv.getUint32(o, true)) >>> 0;
  dv.setUint32(BOOT_INFO_OFFSET, PVD_LBA, true);
  dv.setUint32(BOOT_INFO_OFFSET + 4, fileLba, true);
  dv.setUint32(BOOT_INFO_OFFSET + 8, out.length, true);
  dv.setUint32(BOOT_INFO_OFFSET + 12, sum, true);
  return out;
}

/** Builds the image. Files are stored in name order after the root directory. */
export function writeIso(opts: IsoOptions): Uint8Array {
  const enc = new TextEncoder();
  const files = [...opts.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of files) {
    if (!LEVEL1_NAME.test(f.name)) throw new RangeError(`iso9660: "${f.name}" is not an ISO 9660 level-1 name (8.3, A-Z 0-9 _)`);
  }
  if (new Set(files.map((f) => f.name)).size !== files.length) throw new RangeError('iso9660: duplicate file name');
  if (opts.bootFile !== undefined && !files.some((f) => f.name === opts.bootFile)) {
    throw new RangeError(`iso9660: boot file "${opts.bootFile}" is not among the files`);
  }
  // The root directory: ".", "..", then one record per file.
  const recordNames = files.map((f) => enc.encode(`${f.name.includes('.') ? f.name : f.name + '.'};1`));
  let rootBytes = 2 * ROOT_RECORD_BYTES;
  for (const n of recordNames) {
    const len = DIR_RECORD_BASE_BYTES + n.length + (n.length % 2 === 0 ? 1 : 0);
    // §6.8.1.1: a record never crosses a sector boundary.
    if (Math.floor(rootBytes / SECTOR_BYTES) !== Math.floor((rootBytes + len - 1) / SECTOR_BYTES)) {
      rootBytes = sectorsFor(rootBytes) * SECTOR_BYTES;
    }
    rootBytes += len;
  }
  const rootSectors = sectorsFor(rootBytes);
  const fileLba: number[] = [];
  let next = ROOT_DIR_LBA + rootSectors;
  for (const f of files) {
    fileLba.push(next);
    next += Math.max(1, sectorsFor(f.data.length));
  }
  const totalSectors = next;
  const image = new Uint8Array(totalSectors * SECTOR_BYTES);
  const put = (lba: number, s: Sector): void => image.set(s.b, lba * SECTOR_BYTES);

  const root = new Sector(rootSectors * SECTOR_BYTES);
  let o = dirRecord(root, 0, ROOT_DIR_LBA, rootSectors * SECTOR_BYTES, DIR_FLAG_DIRECTORY, Uint8Array.of(0));
  o += dirRecord(root, o, ROOT_DIR_LBA, rootSectors * SECTOR_BYTES, DIR_FLAG_DIRECTORY, Uint8Array.of(1));
  files.forEach((f, i) => {
    const n = recordNames[i];
    const len = DIR_RECORD_BASE_BYTES + n.length + (n.length % 2 === 0 ? 1 : 0);
    if (Math.floor(o / SECTOR_BYTES) !== Math.floor((o + len - 1) / SECTOR_BYTES)) o = sectorsFor(o) * SECTOR_BYTES;
    o += dirRecord(root, o, fileLba[i], f.data.length, 0, n);
  });
  put(ROOT_DIR_LBA, root);

  // §8.4: primary volume descriptor.
  const pvd = new Sector();
  pvd.u8(0, VD_TYPE_PRIMARY);
  pvd.text(1, 5, STANDARD_ID);
  pvd.u8(6, 1);
  pvd.text(8, 32, '');
  pvd.text(
    40,
    32,
    opts.volumeId
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, '_')
      .slice(0, 32),
  );
  pvd.both32(80, totalSectors);
  pvd.both16(120, 1);
  pvd.both16(124, 1);
  pvd.both16(128, SECTOR_BYTES);
  // §9.4: the path table has one record, the root (name length 1, name 0, parent 1): 10 bytes.
  const pathTableBytes = 10;
  pvd.both32(132, pathTableBytes);
  pvd.u32le(140, L_PATH_TABLE_LBA);
  pvd.u32be(148, M_PATH_TABLE_LBA);
  dirRecord(pvd, 156, ROOT_DIR_LBA, rootSectors * SECTOR_BYTES, DIR_FLAG_DIRECTORY, Uint8Array.of(0));
  pvd.text(190, 128, '');
  pvd.text(318, 128, '');
  pvd.text(446, 128, '');
  pvd.text(574, 128, 'TABVM');
  pvd.text(702, 37, '');
  pvd.text(739, 37, '');
  pvd.text(776, 37, '');
  for (const d of [813, 830, 847, 864]) pvd.noDate(d);
  pvd.u8(881, 1);
  put(PVD_LBA, pvd);

  // El Torito §2.0: boot record volume descriptor (only with a boot file).
  if (opts.bootFile !== undefined) {
    const br = new Sector();
    br.u8(0, VD_TYPE_BOOT);
    br.text(1, 5, STANDARD_ID);
    br.u8(6, 1);
    br.b.set(enc.encode(EL_TORITO_ID), 7);
    br.u32le(0x47, BOOT_CATALOG_LBA);
    put(BOOT_RECORD_LBA, br);
  }
  const term = new Sector();
  term.u8(0, VD_TYPE_TERMINATOR);
  term.text(1, 5, STANDARD_ID);
  term.u8(6, 1);
  put(opts.bootFile !== undefined ? TERMINATOR_LBA : BOOT_RECORD_LBA, term);

  for (const [lba, big] of [
    [L_PATH_TABLE_LBA, false],
    [M_PATH_TABLE_LBA, true],
  ] as const) {
    const pt = new Sector();
    pt.u8(0, 1);
    if (big) pt.u32be(2, ROOT_DIR_LBA);
    else pt.u32le(2, ROOT_DIR_LBA);
    if (big) pt.b[7] = 1;
    else pt.u16le(6, 1);
    put(lba, pt);
  }

  files.forEach((f, i) => {
    const data = f.name === opts.bootFile ? patchBootInfoTable(f.data, fileLba[i]) : f.data;
    image.set(data, fileLba[i] * SECTOR_BYTES);
  });

  if (opts.bootFile !== undefined) {
    const bootIndex = files.findIndex((f) => f.name === opts.bootFile);
    const cat = new Sector();
    // §2.1 validation entry: header id, platform, id string, checksum (words sum to 0), key 55 AA.
    cat.u8(0, VALIDATION_HEADER_ID);
    cat.u8(1, PLATFORM_X86);
    cat.u8(0x1e, KEY_55);
    cat.u8(0x1f, KEY_AA);
    const dv = new DataView(cat.b.buffer);
    let sum = 0;
    for (let k = 0; k < 32; k += 2) sum = (sum + dv.getUint16(k, true)) & 0xffff;
    cat.u16le(0x1c, (0x10000 - sum) & 0xffff);
    // §2.2 initial/default entry.
    cat.u8(0x20, BOOT_INDICATOR_BOOTABLE);
    cat.u8(0x21, MEDIA_NO_EMULATION);
    cat.u16le(0x22, 0); // load segment 0: the traditional 0x7C0
    cat.u8(0x24, 0);
    cat.u16le(0x26, Math.min(NO_EMULATION_LOAD_SECTORS, Math.ceil(files[bootIndex].data.length / VIRTUAL_SECTOR_BYTES)));
    cat.u32le(0x28, fileLba[bootIndex]);
    put(BOOT_CATALOG_LBA, cat);
  }
  return image;
}
