// Building a PC from core.wasm, shared by Node (host/node-machine.ts) and the
// browser's machine worker (web/machine-worker.ts): firmware, drives, clock,
// and the boot path. Browser-safe: no node: imports here.
//
// The boot paths (DESIGN §7): the host's loaders play the boot loader
// (Multiboot, Linux direct boot; again after every reset), or SeaBIOS runs
// from the reset vector and boots from the drives in `bootOrder`, told the
// memory map, serial console and boot order through fw_cfg as QEMU tells it.

import type { Core } from './core.js';
import { firmwareLinuxItems, loadLinux, type LinuxBootInput } from './linux-boot.js';
import { initPlatformWithoutFirmware } from './platform-init.js';
import { FwCfg, E820_RAM, hostAreaMiBFor } from './fw-cfg.js';
import { loadMultiboot, type MultibootKernel } from './multiboot.js';
import { DEBUGCON_CHANNELS } from './rings.js';
import { attachDrive, type BlockDevice, type DriveSpec } from './block-device.js';

/** Firmware images: SeaBIOS's bios.bin and a VGA BIOS option ROM. */
export interface FirmwareImages {
  bios: Uint8Array;
  vgaBios?: Uint8Array;
}

/**
 * A kernel the firmware boots (QEMU's -kernel with SeaBIOS): handed over in
 * fw_cfg with the option ROM that loads it (QEMU's linuxboot_dma.bin, from
 * Debian's qemu-system-data), which SeaBIOS runs from "genroms/".
 */
export interface FirmwareLinux {
  linux: LinuxBootInput;
  optionRom: Uint8Array;
}

/** The fw_cfg file name QEMU gives the linuxboot option ROM; SeaBIOS runs every "genroms/" file. */
export const LINUXBOOT_ROM_FILE = 'genroms/linuxboot_dma.bin';

export type BootOrder = 'c' | 'd' | 'a';

/**
 * What the machine starts: the host's loaders play the boot loader
 * (Multiboot, Linux direct boot; again after every reset), or the firmware
 * runs from the reset vector and boots from the drives in `bootOrder`.
 */
export type BootSource =
  | { kind: 'multiboot'; kernel: MultibootKernel }
  | { kind: 'linux'; linux: LinuxBootInput }
  | { kind: 'firmware'; firmware: FirmwareImages; bootOrder: BootOrder; kernel?: FirmwareLinux };

/** The CLI's disk kinds and where they go (QEMU's pc machine: hda = IDE 0 master, cdrom = IDE 1 master). */
export type DiskKind = 'hda' | 'cdrom' | 'fda';
export const DRIVE_OF_DISK: Record<DiskKind, DriveSpec> = {
  hda: { bus: 'ide', channel: 0, slave: false, kind: 'hd' },
  cdrom: { bus: 'ide', channel: 1, slave: false, kind: 'cdrom' },
  fda: { bus: 'floppy', unit: 0 },
};

/** run() stop reasons (core-as/cpu/control.ts). */
export const STOP_LIMIT = 1;
export const STOP_HALT = 2;
export const STOP_EXCEPTION = 3;
export const STOP_RESET = 4;
export const STOP_EXIT = 5;
export const STOP_IDLE = 6;
export const STOP_POWEROFF = 7;

export const CLOCK_DETERMINISTIC = 0;
export const CLOCK_REALTIME = 1;
export const EFLAGS_IF = 1 << 9;
export const COM1 = 0;
const COM1_PORT = 0x3f8;
const MS_PER_S = 1000;
const DEBUGCON_DETACHED = 0xffffffff;
/** CMOS boot device codes (QEMU's encoding): 1 floppy, 2 hard disk, 3 CD-ROM. */
const BOOT_ORDER_CODES: Record<BootOrder, [number, number, number]> = { a: [1, 2, 3], c: [2, 3, 1], d: [3, 2, 1] };

export interface MachineSetup {
  boot: BootSource;
  /** 'realtime' for people (default), 'deterministic' for reproducible tests. */
  clock?: 'realtime' | 'deterministic';
  /** I/O ports of the debug console channels (channel 0 first); at most 4. */
  debugconPorts?: number[];
  drives?: { spec: DriveSpec; device: BlockDevice | undefined }[];
}

/** Configure a fresh core for `setup` (firmware, drives, clock, debug ports); then call bootMachine(). */
export function setupMachine(core: Core, setup: MachineSetup): void {
  const ports = setup.debugconPorts ?? [];
  if (ports.length > DEBUGCON_CHANNELS) throw new RangeError(`at most ${DEBUGCON_CHANNELS} debug console ports`);
  for (const d of setup.drives ?? []) attachDrive(core, d.spec, d.device);
  for (let c = 0; c < DEBUGCON_CHANNELS; c++) {
    core.exports.setDebugconPort(c, c < ports.length ? ports[c] : DEBUGCON_DETACHED);
  }
  core.exports.setClockMode(setup.clock === 'deterministic' ? CLOCK_DETERMINISTIC : CLOCK_REALTIME);
  // The RTC's date: the host's in realtime mode; its fixed epoch (2026-01-01) in deterministic mode.
  if (setup.clock !== 'deterministic') core.exports.rtcSetTime(Date.now() / MS_PER_S);
  if (setup.boot.kind === 'firmware') {
    const cfg = installFirmware(core, setup.boot.firmware, setup.boot.bootOrder);
    if (setup.boot.kernel) installFirmwareLinux(core, cfg, setup.boot.kernel);
  }
}

/** The host area (MiB, createCore's hostAreaMiB) a boot needs for its big fw_cfg items. */
export function hostAreaMiBForBoot(boot: BootSource): number {
  if (boot.kind !== 'firmware' || !boot.kernel) return 0;
  const { kernel, initrd } = boot.kernel.linux;
  return hostAreaMiBFor([kernel.length, initrd?.length ?? 0, boot.kernel.optionRom.length]);
}

/**
 * The kernel, initrd and command line in QEMU's direct-kernel-boot fw_cfg
 * items, the linuxboot option ROM as QEMU adds it, and a boot order that
 * puts that ROM first (QEMU gives it bootindex 0: "/rom@genroms/...").
 */
export function installFirmwareLinux(core: Core, cfg: FwCfg, fl: FirmwareLinux): void {
  cfg.linuxBoot(firmwareLinuxItems(fl.linux, core.ramBytes));
  cfg.addFile(LINUXBOOT_ROM_FILE, fl.optionRom);
  cfg.setBootOrder([`/rom@${LINUXBOOT_ROM_FILE}`]);
}

/**
 * SeaBIOS: bios.bin goes to the core's ROM area and is mapped below 4 GiB
 * and (its last 128 KiB) at 0xE0000 (core-as/machine/firmware.ts).
 */
export function installFirmware(core: Core, fw: FirmwareImages, bootOrder: BootOrder): FwCfg {
  const mem = new Uint8Array(core.memory.buffer);
  mem.set(fw.bios, core.exports.getRomArea());
  if (!core.exports.mapSystemBios(fw.bios.length)) {
    throw new RangeError(`the BIOS image is ${fw.bios.length} bytes; it must be a multiple of 64 KiB, at most 256 KiB`);
  }
  // The VGA BIOS is the std VGA function's expansion ROM, as on QEMU's pc machine.
  if (fw.vgaBios) {
    mem.set(fw.vgaBios, core.exports.getOptionRomArea());
    if (!core.exports.setVgaBios(fw.vgaBios.length)) {
      throw new RangeError(`the VGA BIOS image is ${fw.vgaBios.length} bytes; it does not fit the VGA expansion ROM`);
    }
  }
  // What QEMU tells SeaBIOS: the memory map, serial console output on COM1
  // besides the screen, and the boot order in CMOS.
  const cfg = new FwCfg(core);
  cfg.setE820([{ address: 0, length: core.ramBytes, type: E820_RAM }]);
  cfg.addFile('etc/sercon-port', Uint8Array.of(COM1_PORT & 0xff, COM1_PORT >> 8));
  const order = BOOT_ORDER_CODES[bootOrder];
  core.exports.cmosSetBootOrder(order[0], order[1], order[2]);
  return cfg;
}

/** Power-on state and the kernel (again after a reset: the host's loader is the firmware). */
export function bootMachine(core: Core, boot: BootSource): void {
  core.reset();
  core.exports.resetDevices();
  if (boot.kind === 'multiboot') loadMultiboot(core, boot.kernel);
  else if (boot.kind === 'linux') {
    const acpiRsdp = initPlatformWithoutFirmware(core);
    loadLinux(core, { ...boot.linux, acpiRsdp });
  }
}

/** Why the CPU may be stuck: instructions the core does not implement yet ('' when none ran). */
export function unimplementedNote(core: Core): string {
  const n = core.exports.getUnimplementedCount();
  if (n === 0) return '';
  const op = core.exports.getLastUnimplementedOpcode();
  return ` (${n} unimplemented instruction${n === 1 ? '' : 's'} executed, last opcode 0x${op.toString(16)})`;
}

/** CMOS floppy drive types by image size (the BIOS and Linux's floppy driver read register 0x10). */
const CMOS_FLOPPY_TYPE: Record<number, number> = { 368640: 1, 1228800: 2, 737280: 3, 1474560: 4, 2949120: 5 };

/** Record floppy drive `unit`'s type in CMOS for a medium of `size` bytes (unknown sizes: 1.44 MB). */
export function setFloppyCmos(core: Core, unit: number, size: number): void {
  core.exports.cmosSetFloppyType(unit, CMOS_FLOPPY_TYPE[size] ?? CMOS_FLOPPY_TYPE[1474560]);
}
