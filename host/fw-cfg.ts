// The host's side of QEMU's fw_cfg device (core-as/devices/fw-cfg.ts): the
// items SeaBIOS and test kernels read, in QEMU's formats.
//
// The core already holds the built-in items (signature, ID with the DMA bit,
// RAM size, CPU counts, NUMA, boot menu, the file directory). The host adds:
//   - files ("bootorder", "etc/e820", "etc/boot-fail-wait", "etc/boot-menu-wait",
//     option ROMs, ...) with addFile(), listed in the directory sorted by name;
//   - numbered items, e.g. QEMU's legacy direct-kernel-boot items for the
//     linuxboot option ROM (linuxBoot()).
// Where the bytes go: small items (≤ SMALL_ITEM_MAX) in the core's FW_CFG_DATA
// buffer; big ones (a kernel, an initrd) in the host area above VRAM, which
// exists only if the core was created with enough `hostAreaMiB`
// (hostAreaMiBFor() computes it). The guest cannot address either region; it
// sees the bytes only through the fw_cfg ports and DMA.
//
// Formats (QEMU hw/i386/fw_cfg.c, hw/i386/e820_memory_layout.h, hw/nvram/fw_cfg.c;
// SeaBIOS src/fw/paravirt.c, src/boot.c):
//   bootorder          device paths, one per line, NUL-terminated
//   etc/e820           packed {u64 address, u64 length, u32 type} little-endian entries
//   etc/boot-fail-wait u32 LE milliseconds before rebooting when no device boots
//   etc/boot-menu-wait u16 LE milliseconds the boot menu prompt waits
//   0x0e BOOT_MENU     u16 LE 1 = offer the boot menu (SeaBIOS sees it as
//                      "etc/show-boot-menu"; QEMU creates no file of that name)

import type { Core } from './core.js';
import type { FirmwareLinuxItems } from './linux-boot.js';

export const FW_CFG_BOOT_MENU = 0x0e;
export const FW_CFG_KERNEL_ADDR = 0x07;
export const FW_CFG_KERNEL_SIZE = 0x08;
export const FW_CFG_KERNEL_CMDLINE = 0x09;
export const FW_CFG_INITRD_ADDR = 0x0a;
export const FW_CFG_INITRD_SIZE = 0x0b;
export const FW_CFG_KERNEL_ENTRY = 0x10;
export const FW_CFG_KERNEL_DATA = 0x11;
export const FW_CFG_INITRD_DATA = 0x12;
export const FW_CFG_CMDLINE_ADDR = 0x13;
export const FW_CFG_CMDLINE_SIZE = 0x14;
export const FW_CFG_CMDLINE_DATA = 0x15;
export const FW_CFG_SETUP_ADDR = 0x16;
export const FW_CFG_SETUP_SIZE = 0x17;
export const FW_CFG_SETUP_DATA = 0x18;
export const FW_CFG_IRQ0_OVERRIDE = 0x8002;

export const E820_RAM = 1;
export const E820_RESERVED = 2;
const E820_ENTRY_SIZE = 20;
const NAME_MAX = 55;
const MIB = 1024 * 1024;
/** Items up to this size go to FW_CFG_DATA; bigger ones to the host area. */
export const SMALL_ITEM_MAX = 64 * 1024;

export interface E820Entry {
  address: number;
  length: number;
  type: number;
}

/** Host-area MiB a core needs for items of these sizes (the big ones). */
export function hostAreaMiBFor(sizes: number[]): number {
  const big = sizes.filter((s) => s > SMALL_ITEM_MAX).reduce((a, s) => a + s + 8, 0);
  return Math.ceil(big / MIB);
}

const u16le = (v: number): Uint8Array => new Uint8Array([v & 0xff, (v >> 8) & 0xff]);
const u32le = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

export class FwCfg {
  private hostNext: number;
  private readonly u8: () => Uint8Array;

  constructor(private readonly core: Core) {
    this.hostNext = core.exports.fwCfgHostArea() >>> 0;
    this.u8 = () => new Uint8Array(core.memory.buffer);
  }

  /** Copy `data` where the core can serve it from; returns its wasm address. */
  private place(data: Uint8Array): number {
    let addr = 0;
    if (data.length <= SMALL_ITEM_MAX) addr = this.core.exports.fwCfgAlloc(data.length) >>> 0;
    if (addr === 0) {
      const end = this.hostNext + data.length;
      if (end > this.core.memory.buffer.byteLength) {
        throw new Error(
          `fw_cfg item of ${data.length} bytes does not fit in the host area: create the core with a larger hostAreaMiB (hostAreaMiBFor gives the size)`,
        );
      }
      addr = this.hostNext;
      this.hostNext = Math.ceil(end / 8) * 8; // addresses may exceed 2^31: no bitwise ops
    }
    this.u8().set(data, addr);
    return addr;
  }

  /** Add or replace a file; returns its current selector key. */
  addFile(name: string, data: Uint8Array): number {
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length === 0 || nameBytes.length > NAME_MAX || nameBytes.includes(0)) {
      throw new Error(`fw_cfg file name "${name}" must be 1 to ${NAME_MAX} bytes without NUL`);
    }
    const nameAddr = this.core.exports.fwCfgAlloc(nameBytes.length) >>> 0;
    if (nameAddr === 0) throw new Error('fw_cfg data area is full');
    this.u8().set(nameBytes, nameAddr);
    const key = this.core.exports.fwCfgAddFile(nameAddr, nameBytes.length, this.place(data), data.length);
    if (key < 0) throw new Error(`fw_cfg refused file "${name}" (directory full?)`);
    return key;
  }

  /** Add or replace a numbered item (not a file key, not the directory). */
  addItem(key: number, data: Uint8Array): void {
    if (!this.core.exports.fwCfgAddItem(key, this.place(data), data.length)) {
      throw new Error(`fw_cfg refused item 0x${key.toString(16)}`);
    }
  }

  addU16(key: number, v: number): void {
    this.addItem(key, u16le(v));
  }
  addU32(key: number, v: number): void {
    this.addItem(key, u32le(v));
  }

  /** "bootorder": OpenFirmware device paths (SeaBIOS boot.c), highest priority first. */
  setBootOrder(paths: string[]): void {
    this.addFile('bootorder', new TextEncoder().encode(paths.map((p) => p + '\n').join('') + '\0'));
  }

  /** "etc/e820": the memory map in QEMU's packed e820 entry format. */
  setE820(entries: E820Entry[]): void {
    const b = new Uint8Array(entries.length * E820_ENTRY_SIZE);
    const v = new DataView(b.buffer);
    entries.forEach((e, i) => {
      v.setBigUint64(i * E820_ENTRY_SIZE, BigInt(e.address), true);
      v.setBigUint64(i * E820_ENTRY_SIZE + 8, BigInt(e.length), true);
      v.setUint32(i * E820_ENTRY_SIZE + 16, e.type, true);
    });
    this.addFile('etc/e820', b);
  }

  /** SeaBIOS reboots after this many ms when nothing boots (QEMU -boot reboot-timeout). */
  setBootFailWait(ms: number): void {
    this.addFile('etc/boot-fail-wait', u32le(ms));
  }

  /** Offer the boot menu (item 0x0e) and how long its prompt waits (QEMU -boot menu=on,splash-time). */
  setBootMenu(show: boolean, waitMs?: number): void {
    this.addU16(FW_CFG_BOOT_MENU, show ? 1 : 0);
    if (waitMs !== undefined) this.addFile('etc/boot-menu-wait', u16le(waitMs));
  }

  /**
   * QEMU's direct kernel boot items as its linuxboot option ROM reads them
   * (hw/i386/x86.c x86_load_linux): addresses and sizes as u32 LE, the
   * command line NUL-terminated.
   */
  linuxBoot(items: FirmwareLinuxItems): void {
    const cmdline = new TextEncoder().encode(items.cmdline + '\0');
    this.addU32(FW_CFG_SETUP_ADDR, items.setupAddr);
    this.addU32(FW_CFG_SETUP_SIZE, items.setup.length);
    this.addItem(FW_CFG_SETUP_DATA, items.setup);
    this.addU32(FW_CFG_KERNEL_ADDR, items.kernelAddr);
    this.addU32(FW_CFG_KERNEL_SIZE, items.kernel.length);
    this.addItem(FW_CFG_KERNEL_DATA, items.kernel);
    this.addU32(FW_CFG_CMDLINE_ADDR, items.cmdlineAddr);
    this.addU32(FW_CFG_CMDLINE_SIZE, cmdline.length);
    this.addItem(FW_CFG_CMDLINE_DATA, cmdline);
    const initrd = items.initrd ?? new Uint8Array(0);
    this.addU32(FW_CFG_INITRD_ADDR, items.initrdAddr ?? 0);
    this.addU32(FW_CFG_INITRD_SIZE, initrd.length);
    this.addItem(FW_CFG_INITRD_DATA, initrd);
  }
}
