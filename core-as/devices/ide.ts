// Intel PIIX3 IDE controller (PCI 00:01.1): two ATA channels and the bus master.
//
// References: Intel 82371SB (PIIX3) datasheet §2.4 "PCI configuration
// registers — IDE interface (function 1)" and §2.7 "Bus master IDE I/O
// registers"; ANSI ATA/ATAPI-6 (NCITS 361) for the task file, the protocols
// (PIO data-in/out, DMA, PACKET) and the device reset protocol; "Programming
// Interface for Bus Master IDE Controller" (SFF-8038i rev 1.0) for the PRD table.
//
//   PCI 8086:7010, class 010180h (IDE, both channels in compatibility mode, bus
//   master capable), BAR4 = 16-byte bus master I/O block (+0 primary, +8 secondary:
//   +0 command, +2 status, +4 PRD table pointer).
//   Primary:   0x1F0-0x1F7, control 0x3F6, IRQ 14.
//   Secondary: 0x170-0x177, control 0x376, IRQ 15.
//
// Drives: 0 primary master, 1 primary slave, 2 secondary master, 3 secondary
// slave; what sits in each (hard disk, CD-ROM, nothing) and its medium come from
// the host's block request slots (core-as/machine/rings.ts). Media I/O goes
// through those slots: a command that needs the medium posts a request (the
// drive shows BSY) and continues in ideService() when the host completes it.
// ATA commands: ide-ata.ts; ATAPI packet commands: ide-atapi.ts.
//
// Registers a write reaches (features, sector count, LBA, device) are latched
// by both devices of a channel, as on a real cable; reads come from the
// selected device. A device that is not there reads as 0 (as QEMU's model;
// the drivers that matter test for the signature and the 0x55/0xAA echo).

import { IDE_STATE, IDE_BUFFERS, RAM_BASE } from '../machine/layout';
import { DEV_IDE, DEV_NONE } from '../machine/device-ids';
import { registerPorts, portOwner } from '../machine/ports';
import { raiseIrq, lowerIrq } from '../machine/irq';
import {
  pciAddFunction, pciDeclareBar, pciBarAddress, pciSetWritable, pciSet16, pciSet32, pciRead16, pciSetQemuSubsystem,
  PCI_NO_FUNCTION, PCI_BAR_IO, PCI_BAR_UNMAPPED, PCI_COMMAND, PCI_STATUS, PCI_COMMAND_MASTER,
} from '../machine/pci';
import { isPlainRamPage, physRead8, physWrite8, physRead16, physRead32, noteDirectWrite } from '../machine/physmem';
import {
  blockSubmit, blockDone, blockBusy, blockTakeResult, blockCancel, blockKind, blockMediaGeneration,
} from '../machine/block-requests';
import {
  BLOCK_OP_READ, BLOCK_OP_WRITE, BLOCK_OP_FLUSH, BLOCK_OK, BLOCK_KIND_NONE, BLOCK_KIND_CDROM, BLOCK_SECTOR_SIZE,
} from '../machine/rings';
import { ataCommand, ataSetSignature } from './ide-ata';
import { atapiExecute, atapiOk, atapiIoError } from './ide-atapi';

export const IDE_DRIVES: u32 = 4;
export const PORT_IDE_PRIMARY: u32 = 0x1f0;
export const PORT_IDE_SECONDARY: u32 = 0x170;
export const PORT_IDE_PRIMARY_CONTROL: u32 = 0x3f6;
export const PORT_IDE_SECONDARY_CONTROL: u32 = 0x376;
export const IDE_COMMAND_PORTS: u32 = 8;
const IRQ_PRIMARY: u32 = 14;
const IRQ_SECONDARY: u32 = 15;

const VENDOR_INTEL: u32 = 0x8086;
const DEVICE_PIIX3_IDE: u32 = 0x7010;
const CLASS_IDE_COMPAT_BM: u32 = 0x010180;
const DEVFN_IDE: u32 = (1 << 3) | 1;
const BAR_BUS_MASTER: u32 = 4;
const BUS_MASTER_PORTS: u32 = 16;
const BM_CHANNEL_STRIDE: u32 = 8;
/** IDETIM, SIDETIM (40h-44h): timing registers, stored for the BIOS (datasheet §2.4.7). */
const REG_IDETIM: u32 = 0x40;
const PCI_STATUS_DEFAULT: u32 = 0x0280; // fast back-to-back capable, DEVSEL medium

// Task file registers (offset from the command block base).
const REG_DATA: u32 = 0;
const REG_ERROR_FEATURE: u32 = 1;
const REG_NSECTOR: u32 = 2;
const REG_SECTOR: u32 = 3;
const REG_LCYL: u32 = 4;
const REG_HCYL: u32 = 5;
const REG_SELECT: u32 = 6;
const REG_STATUS_COMMAND: u32 = 7;

// Status bits (ATA-6 §7.15.6).
export const ST_BSY: u32 = 0x80;
export const ST_DRDY: u32 = 0x40;
export const ST_DF: u32 = 0x20;
export const ST_DSC: u32 = 0x10;
export const ST_DRQ: u32 = 0x08;
export const ST_ERR: u32 = 0x01;
export const ST_READY: u32 = ST_DRDY | ST_DSC;
// Error bits.
export const ERR_AMNF: u32 = 0x01;
export const ERR_ABRT: u32 = 0x04;
export const ERR_IDNF: u32 = 0x10;
export const ERR_UNC: u32 = 0x40;
/** Diagnostic code "device 0 passed, device 1 passed or not present" (ATA-6 Table 26). */
export const DIAG_PASSED: u32 = 0x01;
// Device control (ATA-6 §7.9).
const CTL_NIEN: u32 = 0x02;
const CTL_SRST: u32 = 0x04;
const CTL_HOB: u32 = 0x80;
// Device register.
export const SELECT_LBA: u32 = 0x40;
const SELECT_DEV: u32 = 0x10;
const SELECT_OBSOLETE: u32 = 0xa0;
// Bus master registers (SFF-8038i §1).
const BM_CMD_START: u32 = 0x01;
const BM_CMD_WRITE_TO_MEMORY: u32 = 0x08;
const BM_CMD_MASK: u32 = BM_CMD_START | BM_CMD_WRITE_TO_MEMORY;
const BM_ST_ACTIVE: u32 = 0x01;
const BM_ST_ERROR: u32 = 0x02;
const BM_ST_INTERRUPT: u32 = 0x04;
const BM_ST_CAPABLE: u32 = 0x60; // drive 0/1 DMA capable (software sets them)
const PRD_EOT: u32 = 0x8000;
const PRD_BYTES_MASK: u32 = 0xfffe;
const PRD_ENTRY_BYTES: u32 = 8;
/** A PRD table must not cross a 64 KiB boundary (SFF-8038i §1.2): at most 8192 entries are walked. */
const PRD_MAX_ENTRIES: u32 = 0x10000 / PRD_ENTRY_BYTES;
const PRD_BYTE_COUNT_ZERO: u32 = 0x10000;

/** Each drive's data buffer: 64 KiB = 128 sectors (IDE_BUFFERS). */
export const IDE_BUFFER_BYTES: u32 = 0x10000;
export const IDE_BUFFER_SECTORS: u32 = IDE_BUFFER_BYTES / BLOCK_SECTOR_SIZE;
const PAGE_SIZE: u32 = 0x1000;

// Transfer states of a drive.
export const XFER_NONE: u32 = 0;
/** ATA PIO data-in: the guest reads DRQ blocks of D_BLOCK_SECTORS from the buffer. */
export const XFER_PIO_IN: u32 = 1;
/** ATA PIO data-out: the guest fills a block, which is then written. */
export const XFER_PIO_OUT: u32 = 2;
/** DMA from the device to memory (READ DMA, ATAPI data by DMA). */
export const XFER_DMA_IN: u32 = 3;
/** DMA from memory to the device (WRITE DMA). */
export const XFER_DMA_OUT: u32 = 4;
/** ATAPI: the device waits for the 12-byte command packet. */
export const XFER_PACKET: u32 = 5;
/** ATAPI PIO data-in: byte-count-limited pieces of the buffer. */
export const XFER_ATAPI_PIO_IN: u32 = 6;
/** FLUSH CACHE waits for the host. */
export const XFER_FLUSH: u32 = 7;

// ---- state ----
// Channels (IDE_STATE + c * 0x40).
const C_SELECTED: u32 = 0x00; // 0 master, 1 slave
const C_CONTROL: u32 = 0x04; // device control register
const C_IRQ: u32 = 0x08; // INTRQ asserted by the channel's devices
const CHANNEL_STRIDE: u32 = 0x40;
// Bus master (IDE_STATE + 0x80 + c * 0x40).
const BM_CMD: u32 = 0x00;
const BM_STATUS: u32 = 0x04;
const BM_PRD: u32 = 0x08; // PRD table address
const BM_INDEX: u32 = 0x0c; // next PRD entry
const BM_ADDR: u32 = 0x10; // guest address in the current entry
const BM_LEFT: u32 = 0x14; // bytes left in the current entry
const BM_LAST: u32 = 0x18; // the current entry carried EOT
const BM_BASE_OF: u32 = 0x80;
// Controller (IDE_STATE + 0x100).
const G_SLOT: u32 = 0x100; // PCI slot
const G_BM_BASE: u32 = 0x104; // where the bus master block decodes (PCI_BAR_UNMAPPED: nowhere)
// Drives (IDE_STATE + 0x200 + d * 0x100), u32 fields.
export const D_FEATURE: u32 = 0x00;
export const D_NSECTOR: u32 = 0x04;
export const D_SECTOR: u32 = 0x08;
export const D_LCYL: u32 = 0x0c;
export const D_HCYL: u32 = 0x10;
export const D_HOB_FEATURE: u32 = 0x14;
export const D_HOB_NSECTOR: u32 = 0x18;
export const D_HOB_SECTOR: u32 = 0x1c;
export const D_HOB_LCYL: u32 = 0x20;
export const D_HOB_HCYL: u32 = 0x24;
export const D_SELECT: u32 = 0x28;
export const D_STATUS: u32 = 0x2c;
export const D_ERROR: u32 = 0x30;
export const D_XFER: u32 = 0x34;
export const D_PTR: u32 = 0x38; // next byte of the buffer the guest reads/writes
export const D_END: u32 = 0x3c; // end of the current DRQ block / ATAPI piece
export const D_DATA_END: u32 = 0x40; // valid bytes in the buffer (data-in)
export const D_LBA: u32 = 0x48; // u64: next 512-byte sector of the medium to fetch/write
export const D_REMAIN: u32 = 0x50; // 512-byte sectors not yet fetched (in) / not yet received (out)
export const D_BLOCK_SECTORS: u32 = 0x54; // sectors per DRQ block (1, or the multiple count)
export const D_MULTIPLE: u32 = 0x58; // SET MULTIPLE MODE count (0: disabled)
export const D_CHUNK: u32 = 0x5c; // sectors of the request in flight
export const D_HEADS: u32 = 0x60; // CHS translation (INITIALIZE DEVICE PARAMETERS)
export const D_SPT: u32 = 0x64;
export const D_WRITE_CACHE: u32 = 0x68;
export const D_PIO_MODE: u32 = 0x6c; // SET FEATURES transfer mode (the byte written)
export const D_DMA_MODE: u32 = 0x70;
export const D_ATAPI: u32 = 0x74; // ATAPI_ACTIVE: the command in progress is a packet command (| ATAPI_DMA)
export const D_SENSE_KEY: u32 = 0x78;
export const D_ASC: u32 = 0x7c;
export const D_ASCQ: u32 = 0x80;
export const D_MEDIA_GEN: u32 = 0x84; // medium generation the drive has reported
export const D_LOCKED: u32 = 0x88;
export const D_BCL: u32 = 0x8c; // ATAPI byte count limit
export const D_EVENT: u32 = 0x90; // pending media event (GET EVENT STATUS NOTIFICATION)
export const D_PACKET: u32 = 0xc0; // 12 (16) bytes: the command packet
const DRIVE_BASE: u32 = 0x200;
const DRIVE_STRIDE: u32 = 0x100;
export const ATAPI_PACKET_BYTES: u32 = 12;
export const ATAPI_ACTIVE: u32 = 1;
export const ATAPI_DMA: u32 = 2;

/** Wasm address of drive d's state field `f`. */
@inline export function drv(d: u32, f: u32): u32 {
  return IDE_STATE + DRIVE_BASE + (d & 3) * DRIVE_STRIDE + f;
}
@inline export function dget(d: u32, f: u32): u32 {
  return load<u32>(drv(d, f));
}
@inline export function dset(d: u32, f: u32, v: u32): void {
  store<u32>(drv(d, f), v);
}
@inline function chan(c: u32, f: u32): u32 {
  return IDE_STATE + (c & 1) * CHANNEL_STRIDE + f;
}
@inline function bm(c: u32, f: u32): u32 {
  return IDE_STATE + BM_BASE_OF + (c & 1) * CHANNEL_STRIDE + f;
}
/** Wasm address of drive d's data buffer. */
@inline export function ideBuffer(d: u32): u32 {
  return IDE_BUFFERS + (d & 3) * IDE_BUFFER_BYTES;
}
@inline export function isPresent(d: u32): bool {
  return blockKind(d) != BLOCK_KIND_NONE;
}
@inline export function isCdrom(d: u32): bool {
  return blockKind(d) == BLOCK_KIND_CDROM;
}

// ---- registration and reset ----

export function ideInit(): void {
  registerPorts(PORT_IDE_PRIMARY, IDE_COMMAND_PORTS, DEV_IDE);
  registerPorts(PORT_IDE_PRIMARY_CONTROL, 1, DEV_IDE);
  registerPorts(PORT_IDE_SECONDARY, IDE_COMMAND_PORTS, DEV_IDE);
  registerPorts(PORT_IDE_SECONDARY_CONTROL, 1, DEV_IDE);
  const slot = pciAddFunction(DEVFN_IDE, DEV_IDE, VENDOR_INTEL, DEVICE_PIIX3_IDE, CLASS_IDE_COMPAT_BM, 0, 0);
  store<u32>(IDE_STATE + G_SLOT, slot);
  store<u32>(IDE_STATE + G_BM_BASE, PCI_BAR_UNMAPPED);
  if (slot == PCI_NO_FUNCTION) return;
  pciDeclareBar(slot, BAR_BUS_MASTER, BUS_MASTER_PORTS, PCI_BAR_IO);
  pciSetWritable(slot, REG_IDETIM, 0xffffffff, 4);
  pciSetQemuSubsystem(slot);
}

export function ideReset(): void {
  const slot = load<u32>(IDE_STATE + G_SLOT);
  if (slot != PCI_NO_FUNCTION) {
    pciSet16(slot, PCI_COMMAND, 0);
    pciSet16(slot, PCI_STATUS, PCI_STATUS_DEFAULT);
    pciSet32(slot, 0x10 + BAR_BUS_MASTER * 4, PCI_BAR_IO);
    pciSet32(slot, REG_IDETIM, 0);
    ideMappingChanged();
  }
  for (let c: u32 = 0; c < 2; c++) {
    store<u32>(chan(c, C_SELECTED), 0);
    store<u32>(chan(c, C_CONTROL), 0);
    store<u32>(chan(c, C_IRQ), 0);
    lowerIrq(c == 0 ? IRQ_PRIMARY : IRQ_SECONDARY);
    for (let f: u32 = 0; f < CHANNEL_STRIDE; f += 4) store<u32>(bm(c, f), 0);
  }
  for (let d: u32 = 0; d < IDE_DRIVES; d++) {
    memory.fill(drv(d, 0), 0, DRIVE_STRIDE);
    // The medium present at power-on is not a change the guest must be told about.
    dset(d, D_MEDIA_GEN, blockMediaGeneration(d));
    driveReset(d);
    dset(d, D_STATUS, isCdrom(d) ? 0 : ST_READY);
  }
}

/** A device's reset (power-on, SRST, DEVICE RESET): no transfer, the signature in the task file. */
function driveReset(d: u32): void {
  blockCancel(d);
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_ATAPI, 0);
  dset(d, D_MULTIPLE, 0);
  dset(d, D_BLOCK_SECTORS, 1);
  dset(d, D_HEADS, 0);
  dset(d, D_SPT, 0);
  dset(d, D_WRITE_CACHE, 1);
  dset(d, D_ERROR, DIAG_PASSED);
  dset(d, D_SELECT, SELECT_OBSOLETE | ((d & 1) != 0 ? SELECT_DEV : 0));
  ataSetSignature(d);
}

/** BAR4 or the command register changed: move the bus master block. */
export function ideMappingChanged(): void {
  const slot = load<u32>(IDE_STATE + G_SLOT);
  const old = load<u32>(IDE_STATE + G_BM_BASE);
  if (old != PCI_BAR_UNMAPPED) {
    for (let i: u32 = 0; i < BUS_MASTER_PORTS; i++) {
      if (portOwner(old + i) == DEV_IDE && !isLegacyPort(old + i)) registerPorts(old + i, 1, DEV_NONE);
    }
  }
  const base = pciBarAddress(slot, BAR_BUS_MASTER);
  store<u32>(IDE_STATE + G_BM_BASE, base);
  if (base != PCI_BAR_UNMAPPED) registerPorts(base, BUS_MASTER_PORTS, DEV_IDE);
}

function isLegacyPort(port: u32): bool {
  return port - PORT_IDE_PRIMARY < IDE_COMMAND_PORTS || port - PORT_IDE_SECONDARY < IDE_COMMAND_PORTS ||
    port == PORT_IDE_PRIMARY_CONTROL || port == PORT_IDE_SECONDARY_CONTROL;
}

// ---- interrupts ----

@inline function channelIrqLine(c: u32): u32 {
  return c == 0 ? IRQ_PRIMARY : IRQ_SECONDARY;
}

function updateIrq(c: u32): void {
  const on = load<u32>(chan(c, C_IRQ)) != 0 && (load<u32>(chan(c, C_CONTROL)) & CTL_NIEN) == 0;
  if (on) raiseIrq(channelIrqLine(c));
  else lowerIrq(channelIrqLine(c));
}

/** Drive d asserts INTRQ (the bus master's interrupt bit follows the line, SFF-8038i §1.2). */
export function ideRaiseIrq(d: u32): void {
  const c = d >>> 1;
  store<u32>(chan(c, C_IRQ), 1);
  store<u32>(bm(c, BM_STATUS), load<u32>(bm(c, BM_STATUS)) | BM_ST_INTERRUPT);
  updateIrq(c);
}

function clearIrq(c: u32): void {
  store<u32>(chan(c, C_IRQ), 0);
  updateIrq(c);
}

// ---- port access ----

@inline function selectedDrive(c: u32): u32 {
  return (c << 1) | load<u32>(chan(c, C_SELECTED));
}

export function ideRead(port: u32, size: u32): u32 {
  const bmBase = load<u32>(IDE_STATE + G_BM_BASE);
  if (port - PORT_IDE_PRIMARY < IDE_COMMAND_PORTS) return commandBlockRead(0, port - PORT_IDE_PRIMARY, size);
  if (port - PORT_IDE_SECONDARY < IDE_COMMAND_PORTS) return commandBlockRead(1, port - PORT_IDE_SECONDARY, size);
  if (port == PORT_IDE_PRIMARY_CONTROL) return altStatus(0);
  if (port == PORT_IDE_SECONDARY_CONTROL) return altStatus(1);
  if (bmBase != PCI_BAR_UNMAPPED && port - bmBase < BUS_MASTER_PORTS) {
    let v: u32 = 0;
    for (let i: u32 = 0; i < size; i++) v |= busMasterRead(port - bmBase + i) << (i * 8);
    return v;
  }
  return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
}

export function ideWrite(port: u32, value: u32, size: u32): void {
  const bmBase = load<u32>(IDE_STATE + G_BM_BASE);
  if (port - PORT_IDE_PRIMARY < IDE_COMMAND_PORTS) commandBlockWrite(0, port - PORT_IDE_PRIMARY, value, size);
  else if (port - PORT_IDE_SECONDARY < IDE_COMMAND_PORTS) commandBlockWrite(1, port - PORT_IDE_SECONDARY, value, size);
  else if (port == PORT_IDE_PRIMARY_CONTROL) controlWrite(0, value & 0xff);
  else if (port == PORT_IDE_SECONDARY_CONTROL) controlWrite(1, value & 0xff);
  else if (bmBase != PCI_BAR_UNMAPPED && port - bmBase < BUS_MASTER_PORTS) {
    for (let i: u32 = 0; i < size; i++) busMasterWrite(port - bmBase + i, (value >>> (i * 8)) & 0xff);
  }
}

function commandBlockRead(c: u32, reg: u32, size: u32): u32 {
  if (reg == REG_DATA) return dataRead(selectedDrive(c), size);
  // Wider accesses to the 8-bit registers: one register per byte, as the ISA bus splits them.
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const r = reg + i;
    v |= (r < IDE_COMMAND_PORTS ? registerRead(c, r) : 0xff) << (i * 8);
  }
  return v;
}

function commandBlockWrite(c: u32, reg: u32, value: u32, size: u32): void {
  if (reg == REG_DATA) {
    dataWrite(selectedDrive(c), value, size);
    return;
  }
  for (let i: u32 = 0; i < size; i++) {
    const r = reg + i;
    if (r < IDE_COMMAND_PORTS) registerWrite(c, r, (value >>> (i * 8)) & 0xff);
  }
}

function registerRead(c: u32, reg: u32): u32 {
  const d = selectedDrive(c);
  // Nobody answers for an absent device (QEMU: 0 when the channel is empty or the device is absent).
  if (!isPresent(d)) {
    if (reg == REG_STATUS_COMMAND) clearIrq(c);
    return 0;
  }
  pollCompletion(d);
  const hob = (load<u32>(chan(c, C_CONTROL)) & CTL_HOB) != 0;
  switch (reg) {
    case REG_ERROR_FEATURE:
      return hob ? dget(d, D_HOB_FEATURE) : dget(d, D_ERROR);
    case REG_NSECTOR:
      return hob ? dget(d, D_HOB_NSECTOR) : dget(d, D_NSECTOR);
    case REG_SECTOR:
      return hob ? dget(d, D_HOB_SECTOR) : dget(d, D_SECTOR);
    case REG_LCYL:
      return hob ? dget(d, D_HOB_LCYL) : dget(d, D_LCYL);
    case REG_HCYL:
      return hob ? dget(d, D_HOB_HCYL) : dget(d, D_HCYL);
    case REG_SELECT:
      return dget(d, D_SELECT);
    default:
      // Reading the status register acknowledges the interrupt (ATA-6 §7.15).
      clearIrq(c);
      return dget(d, D_STATUS);
  }
}

function altStatus(c: u32): u32 {
  const d = selectedDrive(c);
  if (!isPresent(d)) return 0;
  pollCompletion(d);
  return dget(d, D_STATUS);
}

function registerWrite(c: u32, reg: u32, v: u32): void {
  // A write to the command block clears HOB (ATA-6 §7.9).
  store<u32>(chan(c, C_CONTROL), load<u32>(chan(c, C_CONTROL)) & ~CTL_HOB);
  if (reg == REG_STATUS_COMMAND) {
    const d = selectedDrive(c);
    // Commands to an absent slave go nowhere (the master does not answer for it).
    if (!isPresent(d)) return;
    pollCompletion(d);
    clearIrq(c);
    ataCommand(d, v);
    return;
  }
  for (let k: u32 = 0; k < 2; k++) {
    const d = (c << 1) | k;
    switch (reg) {
      case REG_ERROR_FEATURE:
        dset(d, D_HOB_FEATURE, dget(d, D_FEATURE));
        dset(d, D_FEATURE, v);
        break;
      case REG_NSECTOR:
        dset(d, D_HOB_NSECTOR, dget(d, D_NSECTOR));
        dset(d, D_NSECTOR, v);
        break;
      case REG_SECTOR:
        dset(d, D_HOB_SECTOR, dget(d, D_SECTOR));
        dset(d, D_SECTOR, v);
        break;
      case REG_LCYL:
        dset(d, D_HOB_LCYL, dget(d, D_LCYL));
        dset(d, D_LCYL, v);
        break;
      case REG_HCYL:
        dset(d, D_HOB_HCYL, dget(d, D_HCYL));
        dset(d, D_HCYL, v);
        break;
      default:
        dset(d, D_SELECT, (v & ~SELECT_DEV) | SELECT_OBSOLETE | (k != 0 ? SELECT_DEV : 0));
    }
  }
  if (reg == REG_SELECT) {
    store<u32>(chan(c, C_SELECTED), (v & SELECT_DEV) != 0 ? 1 : 0);
    updateIrq(c);
  }
}

/** Device control: nIEN, SRST (ATA-6 §9.2 software reset protocol), HOB. */
function controlWrite(c: u32, v: u32): void {
  const old = load<u32>(chan(c, C_CONTROL));
  store<u32>(chan(c, C_CONTROL), v);
  if ((v & CTL_SRST) != 0 && (old & CTL_SRST) == 0) {
    for (let k: u32 = 0; k < 2; k++) {
      const d = (c << 1) | k;
      driveReset(d);
      dset(d, D_STATUS, ST_BSY | ST_DSC);
    }
    store<u32>(chan(c, C_IRQ), 0);
  } else if ((v & CTL_SRST) == 0 && (old & CTL_SRST) != 0) {
    // Leaving reset: device 0 selected, signatures in place, DRDY only on ATA devices.
    store<u32>(chan(c, C_SELECTED), 0);
    for (let k: u32 = 0; k < 2; k++) {
      const d = (c << 1) | k;
      dset(d, D_STATUS, isCdrom(d) ? 0 : ST_READY);
      dset(d, D_ERROR, DIAG_PASSED);
    }
  }
  updateIrq(c);
}

// ---- the data port ----

function dataRead(d: u32, size: u32): u32 {
  const xfer = dget(d, D_XFER);
  if ((dget(d, D_STATUS) & ST_DRQ) == 0 || (xfer != XFER_PIO_IN && xfer != XFER_ATAPI_PIO_IN)) return 0;
  const ptr = dget(d, D_PTR);
  const end = dget(d, D_END);
  const buf = ideBuffer(d);
  let v: u32 = 0;
  // The buffer is 64 KiB and ptr < end <= 64 KiB, so a 4-byte read stays in the drive's buffer.
  if (size == 4) v = load<u32>(buf + ptr);
  else if (size == 2) v = <u32>load<u16>(buf + ptr);
  else v = <u32>load<u8>(buf + ptr);
  const next = ptr + size;
  dset(d, D_PTR, next);
  if (next >= end) {
    dset(d, D_PTR, end);
    if (xfer == XFER_PIO_IN) pioInBlockDone(d);
    else atapiPieceDone(d);
  }
  return v;
}

function dataWrite(d: u32, v: u32, size: u32): void {
  const xfer = dget(d, D_XFER);
  if ((dget(d, D_STATUS) & ST_DRQ) == 0 || (xfer != XFER_PIO_OUT && xfer != XFER_PACKET)) return;
  const ptr = dget(d, D_PTR);
  const end = dget(d, D_END);
  const buf = ideBuffer(d);
  if (size == 4) store<u32>(buf + ptr, v);
  else if (size == 2) store<u16>(buf + ptr, <u16>v);
  else store<u8>(buf + ptr, <u8>v);
  const next = ptr + size;
  dset(d, D_PTR, next);
  if (next < end) return;
  dset(d, D_PTR, end);
  if (xfer == XFER_PACKET) {
    memory.copy(drv(d, D_PACKET), buf, ATAPI_PACKET_BYTES);
    dset(d, D_XFER, XFER_NONE);
    dset(d, D_STATUS, ST_BSY | ST_DRDY);
    atapiExecute(d);
    return;
  }
  // A full PIO data-out block: write it to the medium (ATA-6 §9.8).
  const sectors = end / BLOCK_SECTOR_SIZE;
  dset(d, D_STATUS, ST_BSY | ST_READY);
  submit(d, BLOCK_OP_WRITE, sectors);
  dset(d, D_REMAIN, dget(d, D_REMAIN) - sectors);
}

// ---- transfers ----

@inline export function getLba(d: u32): u64 {
  return load<u64>(drv(d, D_LBA));
}
@inline export function setLba(d: u32, lba: u64): void {
  store<u64>(drv(d, D_LBA), lba);
}

/** Post a media request of `sectors` at D_LBA through the drive's buffer; D_LBA moves past it. */
function submit(d: u32, op: u32, sectors: u32): void {
  const lba = getLba(d);
  dset(d, D_CHUNK, sectors);
  setLba(d, lba + <u64>sectors);
  blockSubmit(d, op, lba, sectors * BLOCK_SECTOR_SIZE, ideBuffer(d));
}

/** Fetch the next buffer-full of a data-in command (at most IDE_BUFFER_SECTORS). */
export function ideFetch(d: u32): void {
  const remain = dget(d, D_REMAIN);
  const n = remain < IDE_BUFFER_SECTORS ? remain : IDE_BUFFER_SECTORS;
  dset(d, D_REMAIN, remain - n);
  dset(d, D_STATUS, ST_BSY | ST_READY);
  submit(d, BLOCK_OP_READ, n);
}

/** Start a data-in command of `count` sectors at `lba`: PIO (blocks of `blockSectors`) or DMA. */
export function ideStartRead(d: u32, lba: u64, count: u32, dma: bool, blockSectors: u32): void {
  setLba(d, lba);
  dset(d, D_REMAIN, count);
  dset(d, D_DATA_END, 0);
  dset(d, D_BLOCK_SECTORS, blockSectors);
  dset(d, D_XFER, dma ? XFER_DMA_IN : XFER_PIO_IN);
  ideFetch(d);
}

/** Start a data-out command: PIO asks for the first block at once (no interrupt, ATA-6 §9.8); DMA waits for the bus master. */
export function ideStartWrite(d: u32, lba: u64, count: u32, dma: bool, blockSectors: u32): void {
  setLba(d, lba);
  dset(d, D_REMAIN, count);
  dset(d, D_BLOCK_SECTORS, blockSectors);
  if (dma) {
    dset(d, D_XFER, XFER_DMA_OUT);
    dset(d, D_STATUS, ST_BSY | ST_READY);
    dmaStep(d);
    return;
  }
  dset(d, D_XFER, XFER_PIO_OUT);
  beginOutBlock(d);
}

function beginOutBlock(d: u32): void {
  const remain = dget(d, D_REMAIN);
  const blk = dget(d, D_BLOCK_SECTORS);
  dset(d, D_PTR, 0);
  dset(d, D_END, (remain < blk ? remain : blk) * BLOCK_SECTOR_SIZE);
  dset(d, D_STATUS, ST_READY | ST_DRQ);
}

/** Data-in from the buffer the core filled itself (IDENTIFY, ATAPI replies): PIO or, for ATAPI, DMA. */
export function ideSendBuffer(d: u32, bytes: u32, dma: bool): void {
  dset(d, D_REMAIN, 0);
  dset(d, D_DATA_END, bytes);
  dset(d, D_PTR, 0);
  if (dma) {
    dset(d, D_XFER, XFER_DMA_IN);
    dset(d, D_STATUS, ST_BSY | ST_READY);
    dmaStep(d);
  } else if (dget(d, D_ATAPI) != 0) {
    dset(d, D_XFER, XFER_ATAPI_PIO_IN);
    atapiStartPiece(d);
  } else {
    dset(d, D_XFER, XFER_PIO_IN);
    dset(d, D_BLOCK_SECTORS, 1);
    dset(d, D_END, bytes);
    dset(d, D_STATUS, ST_READY | ST_DRQ);
    ideRaiseIrq(d);
  }
}

/** ATAPI media read of `count` 512-byte sectors at `lba` (PIO pieces or DMA). */
export function ideStartAtapiRead(d: u32, lba: u64, count: u32, dma: bool): void {
  setLba(d, lba);
  dset(d, D_REMAIN, count);
  dset(d, D_DATA_END, 0);
  dset(d, D_XFER, dma ? XFER_DMA_IN : XFER_ATAPI_PIO_IN);
  ideFetch(d);
}

/** FLUSH CACHE: the host flushes; the command completes when it answers. */
export function ideStartFlush(d: u32): void {
  dset(d, D_XFER, XFER_FLUSH);
  dset(d, D_STATUS, ST_BSY | ST_READY);
  blockSubmit(d, BLOCK_OP_FLUSH, 0, 0, ideBuffer(d));
}

/** The guest read a whole PIO DRQ block. */
function pioInBlockDone(d: u32): void {
  const ptr = dget(d, D_PTR);
  const dataEnd = dget(d, D_DATA_END);
  if (ptr < dataEnd) {
    const blk = dget(d, D_BLOCK_SECTORS) * BLOCK_SECTOR_SIZE;
    const end = ptr + blk;
    dset(d, D_END, end < dataEnd ? end : dataEnd);
    dset(d, D_STATUS, ST_READY | ST_DRQ);
    ideRaiseIrq(d);
  } else if (dget(d, D_REMAIN) > 0) {
    ideFetch(d);
  } else {
    // The last block read ends the command without an interrupt (ATA-6 §9.7).
    dset(d, D_XFER, XFER_NONE);
    dset(d, D_STATUS, ST_READY);
  }
}

/** ATAPI PIO data-in: offer the next piece (at most the byte count limit) with DRQ and an interrupt. */
function atapiStartPiece(d: u32): void {
  const ptr = dget(d, D_PTR);
  const left = dget(d, D_DATA_END) - ptr;
  let limit = dget(d, D_BCL);
  if (limit == 0 || limit > 0xfffe) limit = 0xfffe;
  let n = left < limit ? left : limit;
  // Pieces other than the last must be whole words (ATA-6 §9.10: odd limits are rounded down).
  if (n < left) n &= ~1;
  dset(d, D_END, ptr + n);
  dset(d, D_LCYL, n & 0xff);
  dset(d, D_HCYL, (n >>> 8) & 0xff);
  dset(d, D_NSECTOR, (dget(d, D_NSECTOR) & ~ATAPI_REASON_MASK) | ATAPI_REASON_IO);
  dset(d, D_STATUS, ST_READY | ST_DRQ);
  ideRaiseIrq(d);
}

export const ATAPI_REASON_COD: u32 = 1;
export const ATAPI_REASON_IO: u32 = 2;
export const ATAPI_REASON_MASK: u32 = 7;

function atapiPieceDone(d: u32): void {
  if (dget(d, D_PTR) < dget(d, D_DATA_END)) atapiStartPiece(d);
  else if (dget(d, D_REMAIN) > 0) ideFetch(d);
  else atapiOk(d);
}

/** The PACKET command: wait for the command packet (CoD=1, IO=0, DRQ; no interrupt, ATA-6 §9.10). */
export function ideAwaitPacket(d: u32): void {
  dset(d, D_ATAPI, ATAPI_ACTIVE);
  dset(d, D_XFER, XFER_PACKET);
  dset(d, D_PTR, 0);
  dset(d, D_END, ATAPI_PACKET_BYTES);
  dset(d, D_NSECTOR, (dget(d, D_NSECTOR) & ~ATAPI_REASON_MASK) | ATAPI_REASON_COD);
  dset(d, D_STATUS, ST_READY | ST_DRQ);
}

/** End a command with an error: ERR, the error register, an interrupt. */
export function ideAbort(d: u32, error: u32): void {
  blockCancel(d);
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_ERROR, error);
  dset(d, D_STATUS, ST_READY | ST_ERR);
  const c = d >>> 1;
  store<u32>(bm(c, BM_STATUS), load<u32>(bm(c, BM_STATUS)) & ~BM_ST_ACTIVE);
  ideRaiseIrq(d);
}

/** End a non-data or data-out command successfully with an interrupt. */
export function ideCommandDone(d: u32): void {
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_STATUS, ST_READY);
  ideRaiseIrq(d);
}

// ---- completion of host requests ----

/** Between run() slices: finish commands whose media request the host has completed. */
export function ideService(): void {
  for (let d: u32 = 0; d < IDE_DRIVES; d++) pollCompletion(d);
}

function pollCompletion(d: u32): void {
  if (!blockDone(d)) return;
  const result = blockTakeResult(d);
  const xfer = dget(d, D_XFER);
  if (result != BLOCK_OK) {
    if (dget(d, D_ATAPI) != 0) atapiIoError(d, result);
    else ideAbort(d, xfer == XFER_PIO_OUT || xfer == XFER_DMA_OUT || xfer == XFER_FLUSH ? ERR_ABRT : ERR_UNC | ERR_ABRT);
    return;
  }
  switch (xfer) {
    case XFER_PIO_IN: {
      const bytes = dget(d, D_CHUNK) * BLOCK_SECTOR_SIZE;
      const blk = dget(d, D_BLOCK_SECTORS) * BLOCK_SECTOR_SIZE;
      dset(d, D_DATA_END, bytes);
      dset(d, D_PTR, 0);
      dset(d, D_END, blk < bytes ? blk : bytes);
      dset(d, D_STATUS, ST_READY | ST_DRQ);
      ideRaiseIrq(d);
      return;
    }
    case XFER_ATAPI_PIO_IN:
      dset(d, D_DATA_END, dget(d, D_CHUNK) * BLOCK_SECTOR_SIZE);
      dset(d, D_PTR, 0);
      atapiStartPiece(d);
      return;
    case XFER_PIO_OUT:
      if (dget(d, D_REMAIN) > 0) {
        beginOutBlock(d);
        ideRaiseIrq(d);
      } else ideCommandDone(d);
      return;
    case XFER_DMA_IN:
      dset(d, D_DATA_END, dget(d, D_CHUNK) * BLOCK_SECTOR_SIZE);
      dmaStep(d);
      return;
    case XFER_DMA_OUT:
      dmaStep(d);
      return;
    case XFER_FLUSH:
      ideCommandDone(d);
      return;
    default:
      return;
  }
}

// ---- bus master DMA ----

function busMasterRead(off: u32): u32 {
  const c = off / BM_CHANNEL_STRIDE;
  const r = off % BM_CHANNEL_STRIDE;
  if (r == 0) return load<u32>(bm(c, BM_CMD));
  if (r == 2) return load<u32>(bm(c, BM_STATUS));
  if (r >= 4) return (load<u32>(bm(c, BM_PRD)) >>> ((r - 4) * 8)) & 0xff;
  return 0;
}

function busMasterWrite(off: u32, v: u32): void {
  const c = off / BM_CHANNEL_STRIDE;
  const r = off % BM_CHANNEL_STRIDE;
  if (r == 0) {
    const old = load<u32>(bm(c, BM_CMD));
    store<u32>(bm(c, BM_CMD), v & BM_CMD_MASK);
    const st = load<u32>(bm(c, BM_STATUS));
    if ((v & BM_CMD_START) != 0 && (old & BM_CMD_START) == 0) {
      // Start: walk the PRD table from its first entry (SFF-8038i §1.3).
      store<u32>(bm(c, BM_INDEX), 0);
      store<u32>(bm(c, BM_LEFT), 0);
      store<u32>(bm(c, BM_LAST), 0);
      store<u32>(bm(c, BM_STATUS), st | BM_ST_ACTIVE);
      dmaStep(selectedDrive(c));
    } else if ((v & BM_CMD_START) == 0) {
      store<u32>(bm(c, BM_STATUS), st & ~BM_ST_ACTIVE);
    }
  } else if (r == 2) {
    // Error and interrupt are write-one-to-clear; the capability bits are plain storage.
    const st = load<u32>(bm(c, BM_STATUS));
    store<u32>(bm(c, BM_STATUS), (st & BM_ST_ACTIVE) | (st & (BM_ST_ERROR | BM_ST_INTERRUPT) & ~v) | (v & BM_ST_CAPABLE));
  } else if (r >= 4) {
    const shift = (r - 4) * 8;
    const prd = (load<u32>(bm(c, BM_PRD)) & ~(<u32>0xff << shift)) | (v << shift);
    store<u32>(bm(c, BM_PRD), prd & ~3);
  }
}

function busMasterEnabled(): bool {
  const slot = load<u32>(IDE_STATE + G_SLOT);
  return (pciRead16(slot, PCI_COMMAND) & PCI_COMMAND_MASTER) != 0;
}

/**
 * Advance drive d's DMA transfer as far as it can go without the host: move a
 * fetched buffer to memory, or memory to the buffer and post the write; end
 * the command when all sectors are through. Runs when the bus master starts
 * and when a media request completes.
 */
export function dmaStep(d: u32): void {
  const c = d >>> 1;
  if (selectedDrive(c) != d) return;
  if ((load<u32>(bm(c, BM_STATUS)) & BM_ST_ACTIVE) == 0 || (load<u32>(bm(c, BM_CMD)) & BM_CMD_START) == 0) return;
  if (!busMasterEnabled() || blockBusy(d)) return;
  const xfer = dget(d, D_XFER);
  if (xfer == XFER_DMA_IN) {
    const n = dget(d, D_DATA_END);
    if (n > 0) {
      dset(d, D_DATA_END, 0);
      if (!prdTransfer(c, ideBuffer(d), n, true)) {
        dmaFail(d);
        return;
      }
    }
    if (dget(d, D_REMAIN) > 0) {
      ideFetch(d);
      return;
    }
  } else if (xfer == XFER_DMA_OUT) {
    const remain = dget(d, D_REMAIN);
    if (remain > 0) {
      const k = remain < IDE_BUFFER_SECTORS ? remain : IDE_BUFFER_SECTORS;
      if (!prdTransfer(c, ideBuffer(d), k * BLOCK_SECTOR_SIZE, false)) {
        dmaFail(d);
        return;
      }
      dset(d, D_REMAIN, remain - k);
      submit(d, BLOCK_OP_WRITE, k);
      return;
    }
  } else return;
  dmaDone(d);
}

/** All data moved: the command ends; ACTIVE drops only if the PRD table ended with it (PIIX3 §2.7.2). */
function dmaDone(d: u32): void {
  const c = d >>> 1;
  if (load<u32>(bm(c, BM_LAST)) != 0 && load<u32>(bm(c, BM_LEFT)) == 0) {
    store<u32>(bm(c, BM_STATUS), load<u32>(bm(c, BM_STATUS)) & ~BM_ST_ACTIVE);
  }
  if (dget(d, D_ATAPI) != 0) atapiOk(d);
  else ideCommandDone(d);
}

/**
 * The PRD table ended (or was unbounded) before the data: the bus master
 * reports an error and stops, the command aborts with an interrupt.
 */
function dmaFail(d: u32): void {
  const c = d >>> 1;
  store<u32>(bm(c, BM_STATUS), (load<u32>(bm(c, BM_STATUS)) | BM_ST_ERROR) & ~BM_ST_ACTIVE);
  ideAbort(d, ERR_ABRT);
}

/**
 * Move `n` bytes between the buffer at wasm address `buf` and the memory the
 * channel's PRD table describes (toGuest: buffer → memory). False when the
 * table runs out first. Guest addresses are untrusted: each page is checked
 * to be plain RAM, anything else goes through physmem's byte accessors
 * (MMIO or the open bus).
 */
function prdTransfer(c: u32, buf: u32, n: u32, toGuest: bool): bool {
  while (n > 0) {
    let left = load<u32>(bm(c, BM_LEFT));
    if (left == 0) {
      const index = load<u32>(bm(c, BM_INDEX));
      if (load<u32>(bm(c, BM_LAST)) != 0 || index >= PRD_MAX_ENTRIES) return false;
      const entry = load<u32>(bm(c, BM_PRD)) + index * PRD_ENTRY_BYTES;
      const addr = physRead32(entry) & ~1;
      let count = physRead16(entry + 4) & PRD_BYTES_MASK;
      if (count == 0) count = PRD_BYTE_COUNT_ZERO;
      const last = (physRead16(entry + 6) & PRD_EOT) != 0;
      store<u32>(bm(c, BM_INDEX), index + 1);
      store<u32>(bm(c, BM_ADDR), addr);
      store<u32>(bm(c, BM_LAST), last ? 1 : 0);
      store<u32>(bm(c, BM_LEFT), count);
      left = count;
    }
    const k = n < left ? n : left;
    const addr = load<u32>(bm(c, BM_ADDR));
    dmaCopy(addr, buf, k, toGuest);
    store<u32>(bm(c, BM_ADDR), addr + k);
    store<u32>(bm(c, BM_LEFT), left - k);
    buf += k;
    n -= k;
  }
  return true;
}

/** Copy between guest-physical `phys` and wasm address `buf`, page by page, bounds-checked. */
export function dmaCopy(phys: u32, buf: u32, n: u32, toGuest: bool): void {
  while (n > 0) {
    const room = PAGE_SIZE - (phys & (PAGE_SIZE - 1));
    const k = n < room ? n : room;
    if (isPlainRamPage(phys)) {
      if (toGuest) {
        memory.copy(RAM_BASE + phys, buf, k);
        noteDirectWrite(phys, k);
      }
      else memory.copy(buf, RAM_BASE + phys, k);
    } else {
      for (let i: u32 = 0; i < k; i++) {
        if (toGuest) physWrite8(phys + i, <u32>load<u8>(buf + i));
        else store<u8>(buf + i, <u8>physRead8(phys + i));
      }
    }
    phys += k;
    buf += k;
    n -= k;
  }
}

/** The medium of drive d changed generation since the drive last reported it. */
export function ideMediaChanged(d: u32): bool {
  return blockMediaGeneration(d) != dget(d, D_MEDIA_GEN);
}
