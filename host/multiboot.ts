// Multiboot v1 loader: puts a kernel, its modules and the boot information
// into guest RAM and the CPU into the Multiboot machine state.
//
// Reference: The Multiboot Specification, version 0.6.96 (GNU GRUB),
// §3.1 (OS image format and header), §3.2 (machine state), §3.3 (boot
// information format). Kernel formats: ELF32 i386 executables (PT_LOAD
// segments at their physical addresses), or any image whose header sets
// flag 16 (the "a.out kludge" load addresses).
//
// The kernel file is untrusted input: every offset and size read from it is
// checked against the file and against guest RAM before anything is written,
// and every problem is reported as a MultibootError with a one-line reason.
//
// Where things go (as QEMU does): the kernel at its own addresses; modules
// page-aligned after the kernel's highest byte; the boot information (info
// structure, module list, memory map, strings) at 0x9000 in conventional
// memory, or after the modules when the kernel itself occupies that area.
// The command line is "<kernel path> <append>", as QEMU passes it.

import type { Core } from './core.js';
import { OFF_CR0 } from './generated/cpu-layout.js';

export class MultibootError extends Error {
  override name = 'MultibootError';
}

// §3.1.1/§3.1.2: the header.
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** What the loader leaves in EAX (§3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const HEADER_SEARCH_BYTES = 8192;
const HEADER_ALIGN = 4;
const HEADER_BYTES = 12;
const HEADER_AOUT_BYTES = 32;
const HEADER_FLAG_PAGE_ALIGN = 1 << 0;
const HEADER_FLAG_MEMORY_INFO = 1 << 1;
const HEADER_FLAG_VIDEO_MODE = 1 << 2;
const HEADER_FLAG_AOUT_KLUDGE = 1 << 16;
/** Bits 0-15 are requirements: a loader that does not know one must refuse the kernel. */
const HEADER_REQUIRED_MASK = 0xffff;
const HEADER_REQUIRED_SUPPORTED = HEADER_FLAG_PAGE_ALIGN | HEADER_FLAG_MEMORY_INFO;

// ELF32 (System V ABI, i386 supplement).
const ELF_MAGIC = 0x464c457f; // "\x7fELF" read little-endian
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const EM_386 = 3;
const PT_LOAD = 1;
const PF_X = 1;
const ELF_HEADER_BYTES = 52;
const ELF_PHDR_BYTES = 32;
const EI_CLASS = 4;
const EI_DATA = 5;
const E_TYPE = 16;
const E_MACHINE = 18;
const E_ENTRY = 24;
const E_PHOFF = 28;
const E_PHENTSIZE = 42;
const E_PHNUM = 44;
const P_TYPE = 0;
const P_OFFSET = 4;
const P_VADDR = 8;
const P_PADDR = 12;
const P_FILESZ = 16;
const P_MEMSZ = 20;
const P_FLAGS = 24;

// §3.3: the information structure.
const INFO_BYTES = 88;
const INFO_FLAGS = 0;
const INFO_MEM_LOWER = 4;
const INFO_MEM_UPPER = 8;
const INFO_CMDLINE = 16;
const INFO_MODS_COUNT = 20;
const INFO_MODS_ADDR = 24;
const INFO_MMAP_LENGTH = 44;
const INFO_MMAP_ADDR = 48;
const INFO_BOOT_LOADER_NAME = 64;
const INFO_FLAG_MEMORY = 1 << 0;
const INFO_FLAG_CMDLINE = 1 << 2;
const INFO_FLAG_MODS = 1 << 3;
const INFO_FLAG_MMAP = 1 << 6;
const INFO_FLAG_BOOT_LOADER_NAME = 1 << 9;
const MODULE_ENTRY_BYTES = 16;
/** An mmap entry: size (u32, not counting itself), base (u64), length (u64), type (u32). */
const MMAP_ENTRY_BYTES = 24;
const MMAP_ENTRY_SIZE_FIELD = MMAP_ENTRY_BYTES - 4;
const MMAP_TYPE_RAM = 1;
const MMAP_TYPE_RESERVED = 2;

const KIB = 1024;
const MIB = 1024 * KIB;
const PAGE_BYTES = 4096;
// The memory a PC's firmware leaves to the OS. tabvm reports what QEMU's pc
// machine with SeaBIOS reports (its E820 map and the mem_lower/mem_upper
// derived from it), so kernels see the same numbers on both: the extended
// BIOS data area takes the last KiB below 640 KiB, the BIOS occupies
// 0xf0000-0xfffff and 0xfffc0000-4 GiB, and the firmware keeps its tables
// (ACPI, SMBIOS, ...) in the top 128 KiB of RAM. The platform issue's
// firmware will live in exactly those places.
const EBDA_START = 0x9fc00;
const EBDA_END = 0xa0000;
const BIOS_AREA_START = 0xf0000;
const HIGH_MEMORY_START = MIB;
const FIRMWARE_TABLES_BYTES = 128 * KIB;
const BIOS_ROM_START = 0xfffc0000;
const BIOS_ROM_BYTES = 0x40000;
/** QEMU's spot for the boot information (below the 640 KiB line, above the real-mode IVT/BDA). */
const LOW_INFO_AREA = 0x9000;
const LOW_INFO_AREA_END = EBDA_START;
const BOOT_LOADER_NAME = 'tabvm';
const ZERO_CHUNK_BYTES = MIB;
/** EFLAGS at entry: IF=0, VM=0, only the always-one bit 1 set (§3.2). */
const EFLAGS_AT_ENTRY = 0x2;
/**
 * CR0 before protected mode is entered: only ET, caches enabled (CD = NW = 0)
 * as the firmware leaves them; setupFlat32 adds PE. QEMU's kernels see 0x11.
 */
const CR0_ET = 0x10;
/**
 * ESP at entry: the spec leaves it undefined; a usable stack just below the
 * boot information is kinder than 0 (QEMU's loader leaves 0x6f08).
 */
const STACK_AT_ENTRY = LOW_INFO_AREA;

export interface MultibootModule {
  /** The string the kernel sees (QEMU: "<path> <args>"). */
  string: string;
  data: Uint8Array;
}

export interface MultibootKernel {
  /** Path as given by the user; it starts the command line. */
  name: string;
  data: Uint8Array;
  /** The --append text. */
  append?: string;
  modules?: MultibootModule[];
}

/** One piece of the kernel image: copy `fileSize` bytes from the file, zero up to `memSize`. */
export interface LoadSegment {
  dest: number;
  fileOffset: number;
  fileSize: number;
  memSize: number;
}

export interface ParsedKernel {
  headerOffset: number;
  flags: number;
  entry: number;
  segments: LoadSegment[];
}

export interface LoadedKernel extends ParsedKernel {
  infoAddress: number;
  kernelEnd: number;
  modules: { start: number; end: number; string: string }[];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** A bounds-checked little-endian view of the untrusted file. */
class FileReader {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  u16(off: number, what: string): number {
    this.need(off, 2, what);
    return this.dv.getUint16(off, true);
  }
  u32(off: number, what: string): number {
    this.need(off, 4, what);
    return this.dv.getUint32(off, true);
  }
  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length) {
      throw new MultibootError(`file is truncated: ${what} at offset ${hex(off)} (+${len}) is past its end (${this.bytes.length} bytes)`);
    }
  }
}

/** §3.1.1: the header is 32-bit aligned within the first 8192 bytes. */
function findHeader(file: FileReader): { offset: number; flags: number } {
  const end = Math.min(file.length, HEADER_SEARCH_BYTES) - HEADER_BYTES;
  let badChecksumAt = -1;
  for (let off = 0; off <= end; off += HEADER_ALIGN) {
    if (file.u32(off, 'header') !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = file.u32(off + 4, 'header flags');
    const checksum = file.u32(off + 8, 'header checksum');
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 === 0) return { offset: off, flags };
    if (badChecksumAt < 0) badChecksumAt = off;
  }
  if (badChecksumAt >= 0) {
    throw new MultibootError(`bad Multiboot header checksum at offset ${hex(badChecksumAt)} (magic + flags + checksum must be 0)`);
  }
  throw new MultibootError(
    `not a Multiboot kernel: no header (magic ${hex(MULTIBOOT_HEADER_MAGIC)}) in its first ${HEADER_SEARCH_BYTES} bytes`,
  );
}

function checkFlags(flags: number): void {
  const unsupported = flags & HEADER_REQUIRED_MASK & ~HEADER_REQUIRED_SUPPORTED;
  if (unsupported === 0) return;
  if (unsupported & HEADER_FLAG_VIDEO_MODE) {
    throw new MultibootError('the kernel requires a video mode (Multiboot header flag 2), which tabvm does not provide yet');
  }
  throw new MultibootError(
    `the kernel requires Multiboot features tabvm does not know (header flags ${hex(unsupported)} in the required low 16 bits)`,
  );
}

/** §3.1.3, flag 16: load addresses from the header itself. */
function aoutSegments(file: FileReader, headerOffset: number): { entry: number; segments: LoadSegment[] } {
  if (headerOffset + HEADER_AOUT_BYTES > Math.min(file.length, HEADER_SEARCH_BYTES)) {
    throw new MultibootError('the Multiboot header sets flag 16 (load addresses) but its address fields are cut off');
  }
  const headerAddr = file.u32(headerOffset + 12, 'header_addr');
  const loadAddr = file.u32(headerOffset + 16, 'load_addr');
  const loadEndAddr = file.u32(headerOffset + 20, 'load_end_addr');
  const bssEndAddr = file.u32(headerOffset + 24, 'bss_end_addr');
  const entry = file.u32(headerOffset + 28, 'entry_addr');
  if (loadAddr > headerAddr) {
    throw new MultibootError(`bad Multiboot load addresses: load_addr ${hex(loadAddr)} is above header_addr ${hex(headerAddr)}`);
  }
  const fileOffset = headerOffset - (headerAddr - loadAddr);
  if (fileOffset < 0) {
    throw new MultibootError(`bad Multiboot load addresses: load_addr ${hex(loadAddr)} lies before the start of the file`);
  }
  let fileSize = file.length - fileOffset;
  if (loadEndAddr !== 0) {
    if (loadEndAddr < loadAddr) {
      throw new MultibootError(`bad Multiboot load addresses: load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}`);
    }
    fileSize = loadEndAddr - loadAddr;
    file.need(fileOffset, fileSize, 'the image between load_addr and load_end_addr');
  }
  let memSize = fileSize;
  if (bssEndAddr !== 0) {
    if (bssEndAddr < loadAddr + fileSize) {
      throw new MultibootError(`bad Multiboot load addresses: bss_end_addr ${hex(bssEndAddr)} is below the end of the loaded image`);
    }
    memSize = bssEndAddr - loadAddr;
  }
  return { entry, segments: [{ dest: loadAddr, fileOffset, fileSize, memSize }] };
}

/** An ELF32 i386 executable's PT_LOAD segments, at their physical addresses. */
function elfSegments(file: FileReader): { entry: number; segments: LoadSegment[] } {
  if (file.length < ELF_HEADER_BYTES || file.u32(0, 'ELF magic') !== ELF_MAGIC) {
    throw new MultibootError('not an ELF file, and its Multiboot header does not give load addresses (flag 16)');
  }
  const bytes = file.bytes;
  if (bytes[EI_CLASS] !== ELFCLASS32 || bytes[EI_DATA] !== ELFDATA2LSB) {
    throw new MultibootError('not an ELF32 little-endian file (a Multiboot v1 kernel is a 32-bit i386 ELF executable)');
  }
  const type = file.u16(E_TYPE, 'e_type');
  const machine = file.u16(E_MACHINE, 'e_machine');
  if (machine !== EM_386) throw new MultibootError(`not an i386 ELF (e_machine ${machine}, expected ${EM_386})`);
  if (type !== ET_EXEC) throw new MultibootError(`not an ELF executable (e_type ${type}, expected ET_EXEC)`);
  let entry = file.u32(E_ENTRY, 'e_entry');
  const phoff = file.u32(E_PHOFF, 'e_phoff');
  const phentsize = file.u16(E_PHENTSIZE, 'e_phentsize');
  const phnum = file.u16(E_PHNUM, 'e_phnum');
  if (phnum === 0) throw new MultibootError('the ELF has no program headers');
  if (phentsize < ELF_PHDR_BYTES) throw new MultibootError(`bad ELF program header size ${phentsize} (at least ${ELF_PHDR_BYTES})`);
  file.need(phoff, phnum * phentsize, 'the program header table');
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (file.u32(ph + P_TYPE, 'p_type') !== PT_LOAD) continue;
    const fileOffset = file.u32(ph + P_OFFSET, 'p_offset');
    const vaddr = file.u32(ph + P_VADDR, 'p_vaddr');
    const paddr = file.u32(ph + P_PADDR, 'p_paddr');
    const fileSize = file.u32(ph + P_FILESZ, 'p_filesz');
    const memSize = file.u32(ph + P_MEMSZ, 'p_memsz');
    const pflags = file.u32(ph + P_FLAGS, 'p_flags');
    if (fileSize > memSize) {
      throw new MultibootError(`bad ELF segment ${i}: file size ${hex(fileSize)} is larger than its memory size ${hex(memSize)}`);
    }
    file.need(fileOffset, fileSize, `ELF segment ${i}`);
    if (memSize === 0) continue;
    // e_entry is virtual; a kernel linked high but loaded low enters through
    // the physical address of its executable segment (as GRUB and QEMU do).
    if (vaddr !== paddr && pflags & PF_X && entry >= vaddr && entry < vaddr + fileSize) entry = entry - vaddr + paddr;
    segments.push({ dest: paddr, fileOffset, fileSize, memSize });
  }
  if (segments.length === 0) throw new MultibootError('the ELF has no loadable (PT_LOAD) segments');
  return { entry: entry >>> 0, segments };
}

/** Parse and validate a Multiboot kernel image (no guest memory is touched). */
export function parseMultibootKernel(data: Uint8Array): ParsedKernel {
  const file = new FileReader(data);
  if (data.length < HEADER_BYTES) throw new MultibootError(`not a Multiboot kernel: the file is only ${data.length} bytes`);
  const { offset, flags } = findHeader(file);
  checkFlags(flags);
  const image = flags & HEADER_FLAG_AOUT_KLUDGE ? aoutSegments(file, offset) : elfSegments(file);
  return { headerOffset: offset, flags, ...image };
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const overlaps = (a: number, aEnd: number, b: number, bEnd: number): boolean => a < bEnd && b < aEnd;

/** `limit`: end of the RAM the piece may occupy (all of RAM for the kernel, usable RAM for the rest). */
function checkInRam(what: string, start: number, size: number, limit: number): void {
  if (start + size > limit) {
    throw new MultibootError(
      `${what} (${hex(start)}-${hex(start + size)}) is outside guest RAM (${hex(limit)} usable): use a larger --mem or check the link address`,
    );
  }
}

function writeZeros(core: Core, start: number, size: number): void {
  const zeros = new Uint8Array(Math.min(size, ZERO_CHUNK_BYTES));
  for (let done = 0; done < size; done += zeros.length) {
    const n = Math.min(zeros.length, size - done);
    core.writePhys(start + done, n === zeros.length ? zeros : zeros.subarray(0, n));
  }
}

/** End of the RAM the OS may use from 1 MiB up (below the firmware's tables). */
function usableRamEnd(ramBytes: number): number {
  return Math.max(HIGH_MEMORY_START, ramBytes - FIRMWARE_TABLES_BYTES);
}

/** The E820-style map (§3.3 mmap_*): [base, length, type], in address order. */
function memoryMap(ramBytes: number): [number, number, number][] {
  const map: [number, number, number][] = [
    [0, EBDA_START, MMAP_TYPE_RAM],
    [EBDA_START, EBDA_END - EBDA_START, MMAP_TYPE_RESERVED],
    [BIOS_AREA_START, HIGH_MEMORY_START - BIOS_AREA_START, MMAP_TYPE_RESERVED],
  ];
  const usableEnd = usableRamEnd(ramBytes);
  if (usableEnd > HIGH_MEMORY_START) map.push([HIGH_MEMORY_START, usableEnd - HIGH_MEMORY_START, MMAP_TYPE_RAM]);
  if (ramBytes > usableEnd) map.push([usableEnd, ramBytes - usableEnd, MMAP_TYPE_RESERVED]);
  map.push([BIOS_ROM_START, BIOS_ROM_BYTES, MMAP_TYPE_RESERVED]);
  return map;
}

/** Lays out the boot information block: returns its bytes for a given base address. */
function buildBootInfo(
  base: number,
  ramBytes: number,
  cmdline: string,
  modules: { start: number; end: number; string: string }[],
): Uint8Array {
  const enc = new TextEncoder();
  const cstr = (s: string): Uint8Array => {
    const b = enc.encode(s);
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
  };
  const mmap = memoryMap(ramBytes);
  const strings = [cstr(cmdline), cstr(BOOT_LOADER_NAME), ...modules.map((m) => cstr(m.string))];
  const modsOff = INFO_BYTES;
  const mmapOff = modsOff + modules.length * MODULE_ENTRY_BYTES;
  let strOff = mmapOff + mmap.length * MMAP_ENTRY_BYTES;
  const total = strOff + strings.reduce((n, s) => n + s.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const stringAddr: number[] = [];
  for (const s of strings) {
    out.set(s, strOff);
    stringAddr.push(base + strOff);
    strOff += s.length;
  }
  dv.setUint32(INFO_FLAGS, INFO_FLAG_MEMORY | INFO_FLAG_CMDLINE | INFO_FLAG_MODS | INFO_FLAG_MMAP | INFO_FLAG_BOOT_LOADER_NAME, true);
  dv.setUint32(INFO_MEM_LOWER, EBDA_START / KIB, true);
  dv.setUint32(INFO_MEM_UPPER, (usableRamEnd(ramBytes) - HIGH_MEMORY_START) / KIB, true);
  dv.setUint32(INFO_CMDLINE, stringAddr[0], true);
  dv.setUint32(INFO_BOOT_LOADER_NAME, stringAddr[1], true);
  dv.setUint32(INFO_MODS_COUNT, modules.length, true);
  dv.setUint32(INFO_MODS_ADDR, modules.length ? base + modsOff : 0, true);
  modules.forEach((m, i) => {
    const e = modsOff + i * MODULE_ENTRY_BYTES;
    dv.setUint32(e, m.start, true);
    dv.setUint32(e + 4, m.end, true);
    dv.setUint32(e + 8, stringAddr[2 + i], true);
  });
  dv.setUint32(INFO_MMAP_LENGTH, mmap.length * MMAP_ENTRY_BYTES, true);
  dv.setUint32(INFO_MMAP_ADDR, base + mmapOff, true);
  mmap.forEach(([start, length, type], i) => {
    const e = mmapOff + i * MMAP_ENTRY_BYTES;
    dv.setUint32(e, MMAP_ENTRY_SIZE_FIELD, true);
    dv.setBigUint64(e + 4, BigInt(start), true);
    dv.setBigUint64(e + 12, BigInt(length), true);
    dv.setUint32(e + 20, type, true);
  });
  return out;
}

/**
 * Load a Multiboot kernel into `core`'s RAM and set up the machine state of
 * §3.2: protected mode, flat segments, paging off, IF=0, EAX = 0x2BADB002,
 * EBX = the information structure, EIP = the entry point. Registers the spec
 * leaves undefined are set as QEMU's loader leaves them where a test kernel
 * could observe them (CR0 = 0x11, ECX = entry), else to 0 or a usable stack.
 */
export function loadMultiboot(core: Core, kernel: MultibootKernel): LoadedKernel {
  const ram = core.ramBytes;
  const parsed = parseMultibootKernel(kernel.data);
  const used: [number, number][] = [];
  let kernelEnd = 0;
  for (const s of parsed.segments) {
    checkInRam(`kernel segment at ${hex(s.dest)}`, s.dest, s.memSize, ram);
    used.push([s.dest, s.dest + s.memSize]);
    kernelEnd = Math.max(kernelEnd, s.dest + s.memSize);
  }
  const modules: LoadedKernel['modules'] = [];
  let next = alignUp(kernelEnd, PAGE_BYTES);
  const usable = usableRamEnd(ram);
  for (const m of kernel.modules ?? []) {
    checkInRam(`module "${m.string}"`, next, m.data.length, usable);
    modules.push({ start: next, end: next + m.data.length, string: m.string });
    used.push([next, next + m.data.length]);
    next = alignUp(next + m.data.length, PAGE_BYTES);
  }
  const cmdline = `${kernel.name} ${kernel.append ?? ''}`;
  const infoSize = buildBootInfo(0, ram, cmdline, modules).length;
  let infoAddress = LOW_INFO_AREA;
  const lowEnd = Math.min(LOW_INFO_AREA_END, ram);
  if (infoAddress + infoSize > lowEnd || used.some(([a, b]) => overlaps(a, b, infoAddress, infoAddress + infoSize))) {
    infoAddress = next;
  }
  checkInRam('the Multiboot information', infoAddress, infoSize, usable);

  // Everything fits: now write guest memory.
  for (const s of parsed.segments) {
    core.writePhys(s.dest, kernel.data.subarray(s.fileOffset, s.fileOffset + s.fileSize));
    writeZeros(core, s.dest + s.fileSize, s.memSize - s.fileSize);
  }
  (kernel.modules ?? []).forEach((m, i) => core.writePhys(modules[i].start, m.data));
  core.writePhys(infoAddress, buildBootInfo(infoAddress, ram, cmdline, modules));

  core.setState(OFF_CR0, CR0_ET);
  core.setupFlat32({ cpl: 0 });
  core.setReg('eflags', EFLAGS_AT_ENTRY);
  // QEMU's Multiboot loader jumps to the kernel through ECX; kernels that
  // print registers they never set then read the entry point there too.
  for (const r of ['edx', 'esi', 'edi', 'ebp'] as const) core.setReg(r, 0);
  core.setReg('ecx', parsed.entry);
  core.setReg('esp', STACK_AT_ENTRY);
  core.setReg('eax', MULTIBOOT_BOOTLOADER_MAGIC);
  core.setReg('ebx', infoAddress);
  core.setReg('eip', parsed.entry);
  return { ...parsed, infoAddress, kernelEnd, modules };
}
