// Firmware-first Linux boot (QEMU's -kernel with SeaBIOS): what the host puts
// in fw_cfg for the linuxboot option ROM, read back through the fw_cfg I/O
// ports as the ROM reads it. Selector numbers and contents per QEMU
// docs/specs/fw_cfg.rst and hw/i386/x86.c x86_load_linux: the real-mode setup
// code at 0x10000 with the boot loader's header fields filled in (Linux
// Documentation/arch/x86/boot.rst), the command line at 0x20000, the
// protected-mode kernel at 0x100000, the initrd page-aligned below RAM end
// minus QEMU's ACPI reserve, and the ROM as "genroms/linuxboot_dma.bin"
// first in "bootorder".

import { beforeAll, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { hostAreaMiBForBoot, setupMachine, type BootSource } from '../../host/machine-setup.js';

const SELECTOR = 0x510;
const DATA = 0x511;
const KEY_KERNEL_ADDR = 0x07;
const KEY_KERNEL_SIZE = 0x08;
const KEY_INITRD_ADDR = 0x0a;
const KEY_INITRD_SIZE = 0x0b;
const KEY_KERNEL_DATA = 0x11;
const KEY_INITRD_DATA = 0x12;
const KEY_CMDLINE_ADDR = 0x13;
const KEY_CMDLINE_SIZE = 0x14;
const KEY_CMDLINE_DATA = 0x15;
const KEY_SETUP_ADDR = 0x16;
const KEY_SETUP_SIZE = 0x17;
const KEY_SETUP_DATA = 0x18;
const KEY_FILE_DIR = 0x19;
const DIR_ENTRY = 64;
const RAM_MIB = 32;
const SETUP_SECTS = 4;
const SETUP_BYTES = (SETUP_SECTS + 1) * 512;
const KERNEL_BYTES = 96 * 1024;
const INITRD_BYTES = 80 * 1024 + 123;
const CMDLINE = 'console=ttyS0 panic=-1';
const ROM = new Uint8Array(1536).fill(0x5a);
/** QEMU's pc machine reserves 0x20000 + 0x8000 bytes below RAM end for the ACPI tables (acpi_data_size). */
const QEMU_ACPI_RESERVE = 0x28000;

/** A minimal protocol 2.15 bzImage: the setup header fields boot.rst defines, then KERNEL_BYTES of kernel. */
function fakeBzImage(): Uint8Array {
  const f = new Uint8Array(SETUP_BYTES + KERNEL_BYTES);
  const v = new DataView(f.buffer);
  f[0x1f1] = SETUP_SECTS;
  v.setUint32(0x1f4, KERNEL_BYTES / 16, true);
  v.setUint16(0x1fe, 0xaa55, true);
  f[0x200] = 0xeb;
  f[0x201] = 0x6a; // jump over the header, to 0x26c
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, 0x020f, true);
  f[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x22c, 0x7fffffff, true);
  v.setUint32(0x230, 0x100000, true);
  f[0x234] = 1;
  v.setUint32(0x238, 2047, true);
  v.setUint32(0x258, 0x1000000, true);
  v.setUint32(0x260, 0x200000, true);
  for (let i = SETUP_BYTES; i < f.length; i++) f[i] = (i * 13) & 0xff;
  return f;
}

let core: Core;
const kernel = fakeBzImage();
const initrd = new Uint8Array(INITRD_BYTES).map((_, i) => (i * 7) & 0xff);

function readBytes(key: number, n: number): Uint8Array {
  core.exports.portWrite(SELECTOR, key, 2);
  return Uint8Array.from({ length: n }, () => core.exports.portRead(DATA, 1));
}
const u32 = (key: number): number => new DataView(readBytes(key, 4).buffer).getUint32(0, true);
function files(): Map<string, { select: number; size: number }> {
  const d = readBytes(KEY_FILE_DIR, 4);
  const count = new DataView(d.buffer).getUint32(0);
  const out = new Map<string, { select: number; size: number }>();
  for (let i = 0; i < count; i++) {
    const e = Uint8Array.from({ length: DIR_ENTRY }, () => core.exports.portRead(DATA, 1));
    const v = new DataView(e.buffer);
    const name = new TextDecoder().decode(e.subarray(8, e.indexOf(0, 8)));
    out.set(name, { size: v.getUint32(0), select: v.getUint16(4) });
  }
  return out;
}

beforeAll(async () => {
  const boot: BootSource = {
    kind: 'firmware',
    firmware: { bios: new Uint8Array(64 * 1024) },
    bootOrder: 'c',
    kernel: { linux: { kernel, initrd, cmdline: CMDLINE }, optionRom: ROM },
  };
  core = await createCore({ memoryMiB: RAM_MIB, hostAreaMiB: hostAreaMiBForBoot(boot) });
  setupMachine(core, { boot, clock: 'deterministic' });
});

describe('fw_cfg items for a kernel the firmware boots', () => {
  it('hands over the real-mode setup code at 0x10000 with the header QEMU fills in', () => {
    expect(u32(KEY_SETUP_ADDR)).toBe(0x10000);
    expect(u32(KEY_SETUP_SIZE)).toBe(SETUP_BYTES);
    const setup = readBytes(KEY_SETUP_DATA, SETUP_BYTES);
    const v = new DataView(setup.buffer);
    expect(setup[0x210]).toBe(0xb0); // type_of_loader: QEMU
    expect(setup[0x211]).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(v.getUint16(0x224, true)).toBe(0x20000 - 0x10000 - 0x200); // heap_end_ptr
    expect(v.getUint32(0x228, true)).toBe(0x20000); // cmd_line_ptr
    expect(v.getUint32(0x218, true)).toBe(u32(KEY_INITRD_ADDR)); // ramdisk_image
    expect(v.getUint32(0x21c, true)).toBe(INITRD_BYTES); // ramdisk_size
    expect(Array.from(setup.subarray(0x202, 0x206))).toEqual(Array.from(kernel.subarray(0x202, 0x206)));
  });

  it('hands over the protected-mode kernel for 0x100000', () => {
    expect(u32(KEY_KERNEL_ADDR)).toBe(0x100000);
    expect(u32(KEY_KERNEL_SIZE)).toBe(KERNEL_BYTES);
    expect(readBytes(KEY_KERNEL_DATA, KERNEL_BYTES)).toEqual(kernel.subarray(SETUP_BYTES));
  });

  it('hands over the NUL-terminated command line for 0x20000', () => {
    expect(u32(KEY_CMDLINE_ADDR)).toBe(0x20000);
    expect(u32(KEY_CMDLINE_SIZE)).toBe(CMDLINE.length + 1);
    expect(new TextDecoder().decode(readBytes(KEY_CMDLINE_DATA, CMDLINE.length + 1))).toBe(`${CMDLINE}\0`);
  });

  it('places the initrd page-aligned below RAM end minus the ACPI reserve', () => {
    const addr = u32(KEY_INITRD_ADDR);
    expect(addr % 4096).toBe(0);
    expect(addr + INITRD_BYTES).toBeLessThanOrEqual(RAM_MIB * 1024 * 1024 - QEMU_ACPI_RESERVE);
    expect(addr).toBeGreaterThanOrEqual(0x1000000 + 0x200000); // above the decompressed kernel (pref_address + init_size)
    expect(u32(KEY_INITRD_SIZE)).toBe(INITRD_BYTES);
    expect(readBytes(KEY_INITRD_DATA, INITRD_BYTES)).toEqual(initrd);
  });

  it('adds the linuxboot option ROM as a genroms file and boots it first', () => {
    const dir = files();
    const rom = dir.get('genroms/linuxboot_dma.bin');
    expect(rom?.size).toBe(ROM.length);
    expect(readBytes(rom?.select ?? 0, ROM.length)).toEqual(ROM);
    const order = dir.get('bootorder');
    expect(new TextDecoder().decode(readBytes(order?.select ?? 0, order?.size ?? 0))).toBe('/rom@genroms/linuxboot_dma.bin\n\0');
  });
});
