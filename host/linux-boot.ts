// Linux x86 boot protocol loader (32-bit entry): puts a bzImage, an initrd
// and a command line into guest RAM with a zero page (struct boot_params) and
// starts the kernel's 32-bit entry point, as a boot loader that skips the
// kernel's real-mode setup code does.
//
// Reference: Linux Documentation/arch/x86/boot.rst ("The Linux/x86 Boot
// Protocol": the real-mode kernel header, "Loading the rest of the kernel",
// "32-bit boot protocol"), Documentation/arch/x86/zero-page.rst (the
// boot_params layout), arch/x86/include/uapi/asm/bootparam.h and
// include/uapi/linux/screen_info.h. Protocol 2.04 (Linux 2.6.14) or newer is
// required: it has a 32-bit syssize and the fields the 32-bit entry relies on.
//
// The files are untrusted: every field read from the kernel is checked
// against the file and every placement against guest RAM before anything is
// written, and each problem is a LinuxBootError with a one-line reason.
//
// Guest-physical layout (all below the 640 KiB line, away from the kernel):
//   0x10000  the zero page (4 KiB)
//   0x11000  the GDT: __BOOT_CS 0x10 and __BOOT_DS 0x18, flat 4 GiB
//   0x20000  the command line (up to the kernel's cmdline_size)
//   0x100000 the protected-mode kernel (code32_start)
//   high     the initrd, page-aligned, as high as initrd_addr_max and RAM allow

import type { Core } from './core.js';
import * as L from './generated/cpu-layout.js';

export class LinuxBootError extends Error {
  override name = 'LinuxBootError';
}

// The real-mode kernel header (boot.rst, "THE REAL-MODE KERNEL HEADER").
const HDR_SETUP_SECTS = 0x1f1;
const HDR_SYSSIZE = 0x1f4;
const HDR_VID_MODE = 0x1fa;
const HDR_BOOT_FLAG = 0x1fe;
const HDR_JUMP = 0x200;
const HDR_HEADER = 0x202;
const HDR_VERSION = 0x206;
const HDR_TYPE_OF_LOADER = 0x210;
const HDR_LOADFLAGS = 0x211;
const HDR_CODE32_START = 0x214;
const HDR_RAMDISK_IMAGE = 0x218;
const HDR_RAMDISK_SIZE = 0x21c;
const HDR_HEAP_END_PTR = 0x224;
const HDR_CMD_LINE_PTR = 0x228;
const HDR_INITRD_ADDR_MAX = 0x22c;
const HDR_KERNEL_ALIGNMENT = 0x230;
const HDR_RELOCATABLE = 0x234;
const HDR_CMDLINE_SIZE = 0x238;
const HDR_PREF_ADDRESS = 0x258;
const HDR_INIT_SIZE = 0x260;
const BOOT_FLAG = 0xaa55;
const HDRS_MAGIC = 0x53726448; // "HdrS"
const SECTOR_BYTES = 512;
/** boot.rst: "If this field is 0, the real value is 4." */
const DEFAULT_SETUP_SECTS = 4;
const SYSSIZE_UNIT = 16;
export const MIN_PROTOCOL = 0x0204;
const PROTOCOL_CMDLINE_SIZE = 0x0206;
const PROTOCOL_ALIGNMENT = 0x0205;
const PROTOCOL_INIT_SIZE = 0x020a;
const LOADED_HIGH = 1 << 0;
const CAN_USE_HEAP = 1 << 7;
/** boot.rst: type_of_loader 0xFF means "undefined" (no assigned id). */
const TYPE_OF_LOADER_UNDEFINED = 0xff;
/** vid_mode 0xFFFF: "normal" (80x25) text mode. */
const VID_MODE_NORMAL = 0xffff;
/** Before protocol 2.06 the command line is at most 255 characters. */
const OLD_CMDLINE_SIZE = 255;
/** Before protocol 2.03 initrd_addr_max did not exist; the limit was this. */
const OLD_INITRD_ADDR_MAX = 0x37ffffff;

// The zero page (zero-page.rst).
const ZP_BYTES = 4096;
const ZP_EXT_MEM_K = 0x002;
const ZP_ORIG_VIDEO_MODE = 0x006;
const ZP_ORIG_VIDEO_COLS = 0x007;
const ZP_ORIG_VIDEO_LINES = 0x00e;
const ZP_ORIG_VIDEO_IS_VGA = 0x00f;
const ZP_ORIG_VIDEO_POINTS = 0x010;
const ZP_ACPI_RSDP_ADDR = 0x070;
const ZP_ALT_MEM_K = 0x1e0;
const ZP_E820_ENTRIES = 0x1e8;
const ZP_E820_TABLE = 0x2d0;
const E820_ENTRY_BYTES = 20;
const E820_MAX_ENTRIES = 128;
export const E820_RAM = 1;
export const E820_RESERVED = 2;
/** screen_info: VGA colour text, mode 3, 80x25, 16-line font (VIDEO_TYPE_VGAC). */
const VIDEO_MODE_TEXT80 = 3;
const TEXT_COLS = 80;
const TEXT_LINES = 25;
const VIDEO_IS_VGA = 1;
const FONT_POINTS = 16;
const EXT_MEM_K_MAX = 0xfc00; // 64 MiB - 1 MiB, in KiB (a u16 field)

// Placement.
const KIB = 1024;
const MIB = 1024 * KIB;
const PAGE_BYTES = 4096;
export const ZERO_PAGE_ADDR = 0x10000;
export const GDT_ADDR = 0x11000;
export const CMDLINE_ADDR = 0x20000;
const CMDLINE_AREA_END = 0x90000;
export const KERNEL_ADDR = 0x100000;
const BOOT_STACK = 0x9000;
export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
const GDT_ENTRIES = 4;
/** Flat 4 GiB descriptors: base 0, limit 0xFFFFF pages, G=1 D=1; code 0x9A, data 0x92 (execute/read, read/write). */
const GDT_CODE = 0x00cf9a000000ffffn;
const GDT_DATA = 0x00cf92000000ffffn;
const ATTR_CODE_32 = 0x9b | L.ATTR_DB | L.ATTR_G;
const ATTR_DATA_32 = 0x93 | L.ATTR_DB | L.ATTR_G;
const FLAT_LIMIT = 0xffffffff;
const CR0_PE = 1 << 0;
const CR0_ET = 1 << 4;
const EFLAGS_AT_ENTRY = 0x2;

// The PC memory map the firmware reports (the same as the Multiboot loader's
// and QEMU's pc machine with SeaBIOS): the EBDA's last KiB below 640 KiB and
// the BIOS area are reserved; the top FIRMWARE_TABLES_BYTES of RAM hold the
// firmware's tables (ACPI, later) and are reserved; the BIOS ROM's high alias.
const EBDA_START = 0x9fc00;
const EBDA_END = 0xa0000;
const BIOS_AREA_START = 0xe0000; // the BIOS area, where the direct-boot ACPI tables live (host/acpi-tables.ts)
const FIRMWARE_TABLES_BYTES = 128 * KIB;
const BIOS_ROM_START = 0xfffc0000;
const BIOS_ROM_BYTES = 0x40000;

export interface LinuxKernelHeader {
  protocol: number;
  setupSects: number;
  /** File offset of the protected-mode kernel. */
  kernelOffset: number;
  /** Bytes of the protected-mode kernel (syssize * 16). */
  kernelSize: number;
  loadflags: number;
  relocatable: boolean;
  kernelAlignment: number;
  initrdAddrMax: number;
  cmdlineSize: number;
  /** Protocol 2.10+: where the kernel runs after decompression, and how much memory it needs there. */
  prefAddress: number;
  initSize: number;
  /** End of the setup header (offset 0x202 + the jump's displacement). */
  headerEnd: number;
}

export interface LinuxBootInput {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
  /** Physical address of the ACPI RSDP, once the firmware tables exist (zero page acpi_rsdp_addr). */
  acpiRsdp?: number;
}

export interface LinuxBootLayout {
  header: LinuxKernelHeader;
  initrdAddr: number;
  initrdSize: number;
  /** Lowest RAM size (bytes) this kernel and initrd need. */
  ramNeeded: number;
  e820: [number, number, number][];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const alignDown = (n: number, a: number): number => Math.floor(n / a) * a;
const mib = (n: number): string => `${Math.ceil(n / MIB)} MiB`;

/** Parses and validates a bzImage's real-mode header (no guest memory is touched). */
export function parseLinuxHeader(data: Uint8Array): LinuxKernelHeader {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < HDR_VERSION + 2) {
    throw new LinuxBootError(`not a Linux kernel: the file is only ${data.length} bytes (a bzImage starts with a 512-byte boot sector)`);
  }
  if (dv.getUint32(HDR_HEADER, true) !== HDRS_MAGIC) {
    throw new LinuxBootError('not a Linux bzImage: no "HdrS" boot protocol header at offset 0x202');
  }
  if (dv.getUint16(HDR_BOOT_FLAG, true) !== BOOT_FLAG) {
    throw new LinuxBootError('not a Linux bzImage: boot_flag at 0x1fe is not 0xaa55');
  }
  const protocol = dv.getUint16(HDR_VERSION, true);
  const ver = `${protocol >> 8}.${(protocol & 0xff).toString().padStart(2, '0')}`;
  if (protocol < MIN_PROTOCOL) {
    throw new LinuxBootError(`the kernel speaks boot protocol ${ver}; tabvm needs 2.04 or newer (Linux 2.6.14+)`);
  }
  const headerEnd = HDR_JUMP + 2 + data[HDR_JUMP + 1];
  if (data.length < Math.max(headerEnd, protocol >= PROTOCOL_INIT_SIZE ? HDR_INIT_SIZE + 4 : HDR_CMDLINE_SIZE)) {
    throw new LinuxBootError(`the kernel file is truncated inside its boot protocol header (${data.length} bytes)`);
  }
  const loadflags = data[HDR_LOADFLAGS];
  if ((loadflags & LOADED_HIGH) === 0) {
    throw new LinuxBootError('the kernel is a zImage (loaded at 0x10000), not a bzImage; tabvm loads bzImages only');
  }
  const setupSects = data[HDR_SETUP_SECTS] || DEFAULT_SETUP_SECTS;
  const kernelOffset = (setupSects + 1) * SECTOR_BYTES;
  const kernelSize = dv.getUint32(HDR_SYSSIZE, true) * SYSSIZE_UNIT;
  if (kernelSize === 0) throw new LinuxBootError('bad bzImage header: syssize is 0 (no protected-mode kernel)');
  if (kernelOffset + kernelSize > data.length) {
    throw new LinuxBootError(
      `the kernel file is truncated: its header announces ${kernelOffset + kernelSize} bytes (setup ${kernelOffset} + kernel ${kernelSize}) but it has ${data.length}`,
    );
  }
  const initrdAddrMax = dv.getUint32(HDR_INITRD_ADDR_MAX, true) || OLD_INITRD_ADDR_MAX;
  const relocatable = protocol >= PROTOCOL_ALIGNMENT && data[HDR_RELOCATABLE] !== 0;
  const kernelAlignment = protocol >= PROTOCOL_ALIGNMENT ? dv.getUint32(HDR_KERNEL_ALIGNMENT, true) : 0;
  if (relocatable && (kernelAlignment === 0 || (kernelAlignment & (kernelAlignment - 1)) !== 0)) {
    throw new LinuxBootError(`bad bzImage header: kernel_alignment ${hex(kernelAlignment)} is not a power of two`);
  }
  const cmdlineSize = protocol >= PROTOCOL_CMDLINE_SIZE ? dv.getUint32(HDR_CMDLINE_SIZE, true) : OLD_CMDLINE_SIZE;
  let prefAddress = KERNEL_ADDR;
  let initSize = kernelSize;
  if (protocol >= PROTOCOL_INIT_SIZE) {
    const prefHigh = dv.getUint32(HDR_PREF_ADDRESS + 4, true);
    if (prefHigh !== 0)
      throw new LinuxBootError('the kernel prefers a load address above 4 GiB (a 64-bit kernel?); tabvm runs 32-bit kernels');
    prefAddress = dv.getUint32(HDR_PREF_ADDRESS, true);
    initSize = dv.getUint32(HDR_INIT_SIZE, true);
  }
  return {
    protocol,
    setupSects,
    kernelOffset,
    kernelSize,
    loadflags,
    relocatable,
    kernelAlignment,
    initrdAddrMax,
    cmdlineSize,
    prefAddress,
    initSize,
    headerEnd,
  };
}

/** End of the RAM the kernel may use (below the firmware's tables). */
function usableRamEnd(ramBytes: number): number {
  return Math.max(KERNEL_ADDR, ramBytes - FIRMWARE_TABLES_BYTES);
}

/** The E820 map [base, length, type] the zero page reports for `ramBytes` of RAM. */
export function e820Map(ramBytes: number): [number, number, number][] {
  const map: [number, number, number][] = [
    [0, EBDA_START, E820_RAM],
    [EBDA_START, EBDA_END - EBDA_START, E820_RESERVED],
    [BIOS_AREA_START, KERNEL_ADDR - BIOS_AREA_START, E820_RESERVED],
  ];
  const usable = usableRamEnd(ramBytes);
  if (usable > KERNEL_ADDR) map.push([KERNEL_ADDR, usable - KERNEL_ADDR, E820_RAM]);
  if (ramBytes > usable) map.push([usable, ramBytes - usable, E820_RESERVED]);
  map.push([BIOS_ROM_START, BIOS_ROM_BYTES, E820_RESERVED]);
  return map;
}

/**
 * Where the kernel decompresses itself: head_32.S moves a relocatable kernel
 * to its load address rounded up to kernel_alignment but not below
 * LOAD_PHYSICAL_ADDR (pref_address); a fixed one runs at pref_address. It
 * needs init_size bytes there.
 */
function decompressionEnd(h: LinuxKernelHeader): number {
  const base = h.relocatable ? Math.max(alignUp(KERNEL_ADDR, h.kernelAlignment), h.prefAddress) : h.prefAddress;
  return Math.max(KERNEL_ADDR + h.kernelSize, base + h.initSize);
}

/** Validates the kernel, initrd and command line against `ramBytes` of RAM and places them. */
export function planLinuxBoot(input: LinuxBootInput, ramBytes: number): LinuxBootLayout {
  const header = parseLinuxHeader(input.kernel);
  const cmdline = input.cmdline ?? '';
  const cmdBytes = new TextEncoder().encode(cmdline).length;
  if (cmdBytes > header.cmdlineSize) {
    throw new LinuxBootError(`the command line is ${cmdBytes} bytes; this kernel accepts at most ${header.cmdlineSize}`);
  }
  if (cmdBytes + 1 > CMDLINE_AREA_END - CMDLINE_ADDR) throw new LinuxBootError(`the command line is too long (${cmdBytes} bytes)`);
  const usable = usableRamEnd(ramBytes);
  const kernelEnd = decompressionEnd(header);
  if (kernelEnd > usable) {
    throw new LinuxBootError(
      `the kernel needs RAM up to ${hex(kernelEnd)} to decompress and run (init_size ${hex(header.initSize)}); give --mem ${Math.ceil((kernelEnd + FIRMWARE_TABLES_BYTES) / MIB) + 1} or more`,
    );
  }
  let initrdAddr = 0;
  const initrdSize = input.initrd?.length ?? 0;
  let ramNeeded = kernelEnd + FIRMWARE_TABLES_BYTES;
  if (input.initrd !== undefined) {
    if (initrdSize === 0) throw new LinuxBootError('the initrd is empty');
    // boot.rst: the initrd must lie entirely below initrd_addr_max (inclusive last byte).
    const top = Math.min(header.initrdAddrMax + 1, usable);
    initrdAddr = alignDown(top - initrdSize, PAGE_BYTES);
    ramNeeded = alignUp(kernelEnd, PAGE_BYTES) + alignUp(initrdSize, PAGE_BYTES) + FIRMWARE_TABLES_BYTES;
    if (initrdAddr < kernelEnd) {
      const why = top < usable ? `the kernel's initrd_addr_max is ${hex(header.initrdAddrMax)}` : `give --mem ${mib(ramNeeded)} or more`;
      throw new LinuxBootError(
        `the initrd (${initrdSize} bytes) does not fit in RAM above the kernel (which needs up to ${hex(kernelEnd)}): ${why}`,
      );
    }
  }
  return { header, initrdAddr, initrdSize, ramNeeded, e820: e820Map(ramBytes) };
}

/** The zero page (struct boot_params) for a planned boot. */
export function buildZeroPage(input: LinuxBootInput, layout: LinuxBootLayout, ramBytes: number): Uint8Array {
  const zp = new Uint8Array(ZP_BYTES);
  const dv = new DataView(zp.buffer);
  const h = layout.header;
  // boot.rst "32-bit boot protocol": the setup header is copied from the file,
  // the rest of boot_params starts zeroed (so the sentinel at 0x1ef is 0).
  zp.set(input.kernel.subarray(HDR_SETUP_SECTS, h.headerEnd), HDR_SETUP_SECTS);
  zp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEFINED;
  zp[HDR_LOADFLAGS] = (h.loadflags | LOADED_HIGH) & ~CAN_USE_HEAP;
  dv.setUint16(HDR_HEAP_END_PTR, 0, true);
  dv.setUint16(HDR_VID_MODE, VID_MODE_NORMAL, true);
  dv.setUint32(HDR_CODE32_START, KERNEL_ADDR, true);
  dv.setUint32(HDR_CMD_LINE_PTR, CMDLINE_ADDR, true);
  dv.setUint32(HDR_RAMDISK_IMAGE, layout.initrdAddr, true);
  dv.setUint32(HDR_RAMDISK_SIZE, layout.initrdSize, true);
  // screen_info: what the kernel's real-mode setup would have found in VGA text mode 3.
  zp[ZP_ORIG_VIDEO_MODE] = VIDEO_MODE_TEXT80;
  zp[ZP_ORIG_VIDEO_COLS] = TEXT_COLS;
  zp[ZP_ORIG_VIDEO_LINES] = TEXT_LINES;
  zp[ZP_ORIG_VIDEO_IS_VGA] = VIDEO_IS_VGA;
  dv.setUint16(ZP_ORIG_VIDEO_POINTS, FONT_POINTS, true);
  const usable = usableRamEnd(ramBytes);
  dv.setUint16(ZP_EXT_MEM_K, Math.min(EXT_MEM_K_MAX, (usable - KERNEL_ADDR) / KIB), true);
  dv.setUint32(ZP_ALT_MEM_K, (usable - KERNEL_ADDR) / KIB, true);
  if (input.acpiRsdp !== undefined) dv.setBigUint64(ZP_ACPI_RSDP_ADDR, BigInt(input.acpiRsdp), true);
  if (layout.e820.length > E820_MAX_ENTRIES) throw new LinuxBootError('too many E820 entries');
  zp[ZP_E820_ENTRIES] = layout.e820.length;
  layout.e820.forEach(([base, length, type], i) => {
    const o = ZP_E820_TABLE + i * E820_ENTRY_BYTES;
    dv.setBigUint64(o, BigInt(base), true);
    dv.setBigUint64(o + 8, BigInt(length), true);
    dv.setUint32(o + 16, type, true);
  });
  return zp;
}

function gdtBytes(): Uint8Array {
  const gdt = new Uint8Array(GDT_ENTRIES * 8);
  const dv = new DataView(gdt.buffer);
  dv.setBigUint64((BOOT_CS >> 3) * 8, GDT_CODE, true);
  dv.setBigUint64((BOOT_DS >> 3) * 8, GDT_DATA, true);
  return gdt;
}

/**
 * Loads the kernel, initrd, command line, zero page and GDT into `core`'s RAM
 * and sets the CPU state of boot.rst's 32-bit boot protocol: protected mode,
 * paging off, interrupts off, CS = __BOOT_CS and DS = ES = SS = __BOOT_DS
 * (flat 4 GiB, from a GDT in RAM), ESI = the zero page, EBP = EDI = EBX = 0,
 * EIP = code32_start (0x100000).
 */
export function loadLinux(core: Core, input: LinuxBootInput): LinuxBootLayout {
  const ram = core.ramBytes;
  const layout = planLinuxBoot(input, ram);
  const h = layout.header;
  const zp = buildZeroPage(input, layout, ram);
  const cmd = new TextEncoder().encode(`${input.cmdline ?? ''}\0`);

  core.writePhys(KERNEL_ADDR, input.kernel.subarray(h.kernelOffset, h.kernelOffset + h.kernelSize));
  if (input.initrd !== undefined) core.writePhys(layout.initrdAddr, input.initrd);
  core.writePhys(CMDLINE_ADDR, cmd);
  core.writePhys(ZERO_PAGE_ADDR, zp);
  const gdt = gdtBytes();
  core.writePhys(GDT_ADDR, gdt);

  core.setState(L.OFF_CR0, CR0_ET | CR0_PE);
  core.setState(L.OFF_GDTR_BASE, GDT_ADDR);
  core.setState(L.OFF_GDTR_LIMIT, gdt.length - 1);
  core.exports.setSegmentCache(L.SEG_CS, BOOT_CS, 0, FLAT_LIMIT, ATTR_CODE_32);
  for (const seg of [L.SEG_DS, L.SEG_ES, L.SEG_SS, L.SEG_FS, L.SEG_GS]) {
    core.exports.setSegmentCache(seg, BOOT_DS, 0, FLAT_LIMIT, ATTR_DATA_32);
  }
  core.exports.flushTlb();
  core.setReg('eflags', EFLAGS_AT_ENTRY);
  for (const r of ['eax', 'ebx', 'ecx', 'edx', 'edi', 'ebp'] as const) core.setReg(r, 0);
  core.setReg('esi', ZERO_PAGE_ADDR);
  core.setReg('esp', BOOT_STACK);
  core.setReg('eip', KERNEL_ADDR);
  return layout;
}

// Firmware-first boot (QEMU -kernel with SeaBIOS): the host hands the kernel
// to the firmware through fw_cfg, and the linuxboot option ROM that SeaBIOS
// runs copies the pieces to these addresses and enters the kernel's real-mode
// setup code (boot.rst "Running the kernel", 16-bit boot protocol). What is
// loaded where, and the header fields a boot loader fills in, follow QEMU's
// hw/i386/x86.c x86_load_linux for a protocol 2.02+ bzImage.
/** Where the real-mode setup code runs (QEMU's real_addr for a loaded-high kernel). */
export const SETUP_ADDR = 0x10000;
/** boot.rst: type_of_loader 0xB0 is QEMU's assigned loader id. */
const TYPE_OF_LOADER_QEMU = 0xb0;
/** QEMU keeps the initrd below RAM end minus the space it reserves for the firmware's ACPI tables. */
const QEMU_ACPI_DATA_BYTES = 0x20000 + 0x8000;
/** The setup code's heap ends this far below the command line (boot.rst: heap_end_ptr is relative to the setup start + 0x200). */
const SETUP_HEAP_END = CMDLINE_ADDR - SETUP_ADDR - SECTOR_BYTES;

/** What the linuxboot option ROM reads from fw_cfg (host/fw-cfg.ts FwCfg.linuxBoot takes it). */
export interface FirmwareLinuxItems {
  /** The real-mode part of the file with the boot loader's header fields filled in. */
  setup: Uint8Array;
  setupAddr: number;
  /** The rest of the file (the protected-mode kernel). */
  kernel: Uint8Array;
  kernelAddr: number;
  cmdline: string;
  cmdlineAddr: number;
  initrd?: Uint8Array;
  initrdAddr?: number;
}

/**
 * The fw_cfg items for booting `input` through the firmware on `ramBytes` of
 * RAM: validated as the direct boot validates it (planLinuxBoot), the initrd
 * placed no higher than QEMU would place it, and the setup header filled in
 * as QEMU fills it (type_of_loader, CAN_USE_HEAP with heap_end_ptr,
 * cmd_line_ptr, ramdisk_image/size).
 */
export function firmwareLinuxItems(input: LinuxBootInput, ramBytes: number): FirmwareLinuxItems {
  const layout = planLinuxBoot(input, ramBytes);
  const h = layout.header;
  if (h.kernelOffset > SETUP_HEAP_END) {
    throw new LinuxBootError(`the real-mode setup code is ${h.kernelOffset} bytes; it must end below ${hex(SETUP_HEAP_END)}`);
  }
  let initrdAddr = 0;
  if (input.initrd !== undefined) {
    const qemuMax = Math.min(h.initrdAddrMax, ramBytes - QEMU_ACPI_DATA_BYTES - 1);
    initrdAddr = Math.min(layout.initrdAddr, alignDown(qemuMax - layout.initrdSize, PAGE_BYTES));
    if (initrdAddr < decompressionEnd(h)) {
      throw new LinuxBootError(
        `the initrd (${layout.initrdSize} bytes) does not fit in RAM above the kernel: give --mem ${mib(layout.ramNeeded + QEMU_ACPI_DATA_BYTES)} or more`,
      );
    }
  }
  const setup = input.kernel.slice(0, h.kernelOffset);
  const dv = new DataView(setup.buffer);
  setup[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_QEMU;
  setup[HDR_LOADFLAGS] = h.loadflags | CAN_USE_HEAP;
  dv.setUint16(HDR_HEAP_END_PTR, SETUP_HEAP_END, true);
  dv.setUint32(HDR_CMD_LINE_PTR, CMDLINE_ADDR, true);
  dv.setUint32(HDR_RAMDISK_IMAGE, initrdAddr, true);
  dv.setUint32(HDR_RAMDISK_SIZE, layout.initrdSize, true);
  return {
    setup,
    setupAddr: SETUP_ADDR,
    kernel: input.kernel.subarray(h.kernelOffset),
    kernelAddr: KERNEL_ADDR,
    cmdline: input.cmdline ?? '',
    cmdlineAddr: CMDLINE_ADDR,
    initrd: input.initrd,
    initrdAddr: input.initrd === undefined ? undefined : initrdAddr,
  };
}
