// PCI bus 0: configuration mechanism #1 and the functions' configuration spaces.
//
// Reference: PCI Local Bus Specification 2.1, §3.7.4.1 "Configuration
// Mechanism #1" and §6 "Configuration Space"; Intel 82441FX (i440FX)
// datasheet §3.1 (CONFADD at 0xCF8, CONFDATA at 0xCFC).
//
// CONFIG_ADDRESS (0xCF8) latches only on a 32-bit access (bit 31 enable,
// bus 23-16, device 15-11, function 10-8, register 7-2); byte and word
// accesses to 0xCF8-0xCFB go to the ISA bus (0xCF9 is the PIIX3's reset
// control register). CONFIG_DATA (0xCFC-0xCFF) reads or writes the selected
// dword at any size and byte offset. Only bus 0 exists; absent functions read
// all ones (a master abort) and ignore writes.
//
// A function is a 256-byte configuration space plus a write mask (which bits
// software may change), BAR sizes, and the device id (DEV_*) that owns it, so
// that BAR moves, command-register changes and device-specific registers
// reach the device (pciMappingChanged / pciConfigWritten below switch on it).
// Capacity: PCI_MAX_FUNCTIONS functions, state in PCI_STATE.

import { PCI_STATE } from './layout';
import {
  DEV_PCI, DEV_ACPI_PM, DEV_IDE, DEV_PIIX3, DEV_VBE,
} from './device-ids';
import { i440fxConfigWritten } from '../devices/i440fx';
import { acpiPmConfigWritten } from '../devices/acpi-pm';
import { piix3ConfigWritten } from '../devices/piix3';
import { ideMappingChanged } from '../devices/ide';
import { vbePciMappingChanged } from '../devices/vbe';
import { setIrqSource, IRQ_SOURCE_PCI } from './irq';

export const PORT_PCI_CONFIG_ADDRESS: u32 = 0xcf8;
export const PORT_PCI_CONFIG_DATA: u32 = 0xcfc;
export const PCI_MAX_FUNCTIONS: u32 = 16;
export const PCI_NO_FUNCTION: u32 = 0xff;

// Standard header registers (PCI 2.1 §6.1).
export const PCI_VENDOR_ID: u32 = 0x00;
export const PCI_DEVICE_ID: u32 = 0x02;
export const PCI_COMMAND: u32 = 0x04;
export const PCI_STATUS: u32 = 0x06;
export const PCI_REVISION: u32 = 0x08;
export const PCI_CLASS_PROG: u32 = 0x09;
export const PCI_HEADER_TYPE: u32 = 0x0e;
export const PCI_BAR0: u32 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID: u32 = 0x2c;
export const PCI_SUBSYSTEM_ID: u32 = 0x2e;
export const PCI_ROM_ADDRESS: u32 = 0x30;
export const PCI_INTERRUPT_LINE: u32 = 0x3c;
export const PCI_INTERRUPT_PIN: u32 = 0x3d;
export const PCI_COMMAND_IO: u32 = 1 << 0;
export const PCI_COMMAND_MEMORY: u32 = 1 << 1;
export const PCI_COMMAND_MASTER: u32 = 1 << 2;
export const PCI_COMMAND_INTX_DISABLE: u32 = 1 << 10;
export const PCI_STATUS_INTERRUPT: u32 = 1 << 3;
export const PCI_BAR_IO: u32 = 1;
export const PCI_BAR_MEM: u32 = 0;
export const PCI_BAR_PREFETCH: u32 = 1 << 3;
export const PCI_ROM_ENABLE: u32 = 1;
/** BAR index of the expansion ROM (register 0x30). */
export const PCI_BAR_ROM: u32 = 6;
export const PCI_BAR_COUNT: u32 = 7;
/** A BAR that does not decode (disabled, unassigned, or no such BAR). */
export const PCI_BAR_UNMAPPED: u32 = 0xffffffff;
const QEMU_SUBSYSTEM_VENDOR: u32 = 0x1af4;
const QEMU_SUBSYSTEM_ID: u32 = 0x1100;

// State layout (PCI_STATE):
const ST_ADDRESS: u32 = PCI_STATE + 0x000; // u32 CONFIG_ADDRESS latch
const ST_COUNT: u32 = PCI_STATE + 0x004; // u32 functions in use
// ISA IRQ each PIRQ line is routed to, a byte per line (0x80: not routed), set
// by the PIIX3's PIRQRC registers (pciSetPirqRoute).
const ST_PIRQ_ROUTE: u32 = PCI_STATE + 0x008;
const PIRQ_NOT_ROUTED: u32 = 0x80808080;
const ST_SLOT_OF: u32 = PCI_STATE + 0x010; // 256 × u8: devfn → slot (PCI_NO_FUNCTION when absent)
const ST_OWNER: u32 = PCI_STATE + 0x110; // 16 × u8: slot → DEV_* owner
const ST_DEVFN: u32 = PCI_STATE + 0x120; // 16 × u8: slot → devfn
const ST_BAR_SIZE: u32 = PCI_STATE + 0x130; // 16 × 7 × u32: BAR sizes (0: no BAR)
const ST_CONFIG: u32 = PCI_STATE + 0x300; // 16 × 256: configuration spaces
const ST_WMASK: u32 = PCI_STATE + 0x1300; // 16 × 256: writable bits
const CONFIG_SPACE: u32 = 0x100;

@inline function config(slot: u32): u32 {
  return ST_CONFIG + slot * CONFIG_SPACE;
}
@inline function wmask(slot: u32): u32 {
  return ST_WMASK + slot * CONFIG_SPACE;
}

/** Remove every function (the machine is rebuilt). */
export function pciClear(): void {
  memory.fill(PCI_STATE, 0, ST_CONFIG - PCI_STATE);
  memory.fill(ST_SLOT_OF, <u8>PCI_NO_FUNCTION, 256);
  store<u32>(ST_PIRQ_ROUTE, PIRQ_NOT_ROUTED);
  memory.fill(ST_CONFIG, 0, 2 * PCI_MAX_FUNCTIONS * CONFIG_SPACE);
}

/**
 * Add function `devfn` (device << 3 | function) owned by `owner`. Returns its
 * slot, or PCI_NO_FUNCTION when the bus is full or devfn is taken. The header
 * is type 0 (multi-function bit: set by the caller on function 0 if needed);
 * the command register's I/O, memory, bus-master and INTx-disable bits, the
 * interrupt line and the BARs are writable.
 */
export function pciAddFunction(
  devfn: u32, owner: u32, vendor: u32, device: u32, classCode: u32, revision: u32, interruptPin: u32,
): u32 {
  devfn &= 0xff;
  const n = load<u32>(ST_COUNT);
  if (n >= PCI_MAX_FUNCTIONS || load<u8>(ST_SLOT_OF + devfn) != <u8>PCI_NO_FUNCTION) return PCI_NO_FUNCTION;
  store<u32>(ST_COUNT, n + 1);
  store<u8>(ST_SLOT_OF + devfn, <u8>n);
  store<u8>(ST_OWNER + n, <u8>owner);
  store<u8>(ST_DEVFN + n, <u8>devfn);
  const c = config(n);
  store<u16>(c + PCI_VENDOR_ID, <u16>vendor);
  store<u16>(c + PCI_DEVICE_ID, <u16>device);
  store<u8>(c + PCI_REVISION, <u8>revision);
  store<u8>(c + PCI_CLASS_PROG, <u8>classCode);
  store<u16>(c + PCI_CLASS_PROG + 1, <u16>(classCode >>> 8));
  store<u8>(c + PCI_INTERRUPT_PIN, <u8>interruptPin);
  const m = wmask(n);
  store<u16>(m + PCI_COMMAND, <u16>(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE));
  store<u8>(m + PCI_INTERRUPT_LINE, 0xff);
  return n;
}

/**
 * Give a function the subsystem ids QEMU gives its PCI devices (vendor
 * 1AF4h Red Hat, subsystem 1100h). SeaBIOS reads the host bridge's to decide
 * it runs on QEMU's machine (and so uses fw_cfg); guests ignore them.
 */
export function pciSetQemuSubsystem(slot: u32): void {
  if (slot >= PCI_MAX_FUNCTIONS) return;
  pciSet16(slot, PCI_SUBSYSTEM_VENDOR_ID, QEMU_SUBSYSTEM_VENDOR);
  pciSet16(slot, PCI_SUBSYSTEM_ID, QEMU_SUBSYSTEM_ID);
}

/** Slot of function `devfn`, or PCI_NO_FUNCTION. */
export function pciSlotOf(devfn: u32): u32 {
  return <u32>load<u8>(ST_SLOT_OF + (devfn & 0xff));
}

/**
 * Declare BAR `bar` (0-5, or PCI_BAR_ROM) of `slot`: `size` bytes (a power of
 * two; I/O ≥ 4, memory ≥ 16, ROM ≥ 2 KiB), `kind` PCI_BAR_IO or PCI_BAR_MEM
 * (| PCI_BAR_PREFETCH). The size is what software learns by writing all ones.
 */
export function pciDeclareBar(slot: u32, bar: u32, size: u32, kind: u32): void {
  if (slot >= PCI_MAX_FUNCTIONS || bar >= PCI_BAR_COUNT) return;
  store<u32>(ST_BAR_SIZE + (slot * PCI_BAR_COUNT + bar) * 4, size);
  const reg = bar == PCI_BAR_ROM ? PCI_ROM_ADDRESS : PCI_BAR0 + bar * 4;
  const c = config(slot);
  const m = wmask(slot);
  if (bar == PCI_BAR_ROM) {
    store<u32>(c + reg, 0);
    store<u32>(m + reg, ~(size - 1) | PCI_ROM_ENABLE);
  } else {
    store<u32>(c + reg, kind);
    store<u32>(m + reg, ~(size - 1) & (kind == PCI_BAR_IO ? 0xfffffffc : 0xfffffff0));
  }
}

/** Make bits of a register writable by software (device-specific registers). */
export function pciSetWritable(slot: u32, offset: u32, mask: u32, size: u32): void {
  if (slot >= PCI_MAX_FUNCTIONS || offset + size > CONFIG_SPACE) return;
  for (let i: u32 = 0; i < size; i++) store<u8>(wmask(slot) + offset + i, <u8>(mask >>> (i * 8)));
}

export function pciRead8(slot: u32, offset: u32): u32 {
  return <u32>load<u8>(config(slot) + (offset & 0xff));
}
export function pciRead16(slot: u32, offset: u32): u32 {
  return pciRead8(slot, offset) | (pciRead8(slot, offset + 1) << 8);
}
export function pciRead32(slot: u32, offset: u32): u32 {
  return pciRead16(slot, offset) | (pciRead16(slot, offset + 2) << 16);
}
/** Device-side write: any bit, no side effects (the device's own registers). */
export function pciSet8(slot: u32, offset: u32, v: u32): void {
  store<u8>(config(slot) + (offset & 0xff), <u8>v);
}
export function pciSet16(slot: u32, offset: u32, v: u32): void {
  pciSet8(slot, offset, v);
  pciSet8(slot, offset + 1, v >>> 8);
}
export function pciSet32(slot: u32, offset: u32, v: u32): void {
  pciSet16(slot, offset, v);
  pciSet16(slot, offset + 2, v >>> 16);
}

/**
 * Where BAR `bar` of `slot` decodes now: its base address, or
 * PCI_BAR_UNMAPPED when the BAR is absent, its space is disabled in the
 * command register, or (ROM) its enable bit is clear.
 */
export function pciBarAddress(slot: u32, bar: u32): u32 {
  if (slot >= PCI_MAX_FUNCTIONS || bar >= PCI_BAR_COUNT) return PCI_BAR_UNMAPPED;
  const size = load<u32>(ST_BAR_SIZE + (slot * PCI_BAR_COUNT + bar) * 4);
  if (size == 0) return PCI_BAR_UNMAPPED;
  const cmd = pciRead16(slot, PCI_COMMAND);
  if (bar == PCI_BAR_ROM) {
    const v = pciRead32(slot, PCI_ROM_ADDRESS);
    if ((v & PCI_ROM_ENABLE) == 0 || (cmd & PCI_COMMAND_MEMORY) == 0) return PCI_BAR_UNMAPPED;
    return v & ~(size - 1);
  }
  const v = pciRead32(slot, PCI_BAR0 + bar * 4);
  if ((v & PCI_BAR_IO) != 0) return (cmd & PCI_COMMAND_IO) != 0 ? v & ~(size - 1) & 0xffff : PCI_BAR_UNMAPPED;
  return (cmd & PCI_COMMAND_MEMORY) != 0 ? v & ~(size - 1) : PCI_BAR_UNMAPPED;
}

/** The device id (DEV_*) owning `slot`. */
export function pciOwner(slot: u32): u32 {
  return slot < PCI_MAX_FUNCTIONS ? <u32>load<u8>(ST_OWNER + slot) : 0;
}
export function pciDevfn(slot: u32): u32 {
  return <u32>load<u8>(ST_DEVFN + slot);
}

/**
 * Drive the function's INTx pin (PCI 2.1 §2.2.6, level-triggered, shared).
 * The PIIX3 routes PIRQ[A-D] to ISA IRQs (pciRouteIrq); the status register's
 * interrupt bit shows the pin's state, and the command register can mask it.
 */
export function pciSetIrq(slot: u32, high: bool): void {
  if (slot >= PCI_MAX_FUNCTIONS) return;
  const status = pciRead16(slot, PCI_STATUS);
  pciSet16(slot, PCI_STATUS, high ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT);
  pciUpdateIrq(slot);
}

/** The PIRQ line (0-3 = A-D) a function's pin reaches on the i440FX board: (device + pin - 1) mod 4. */
export function pciPirqOf(slot: u32): u32 {
  const pin = pciRead8(slot, PCI_INTERRUPT_PIN);
  return ((pciDevfn(slot) >>> 3) + pin - 1) & 3;
}


/** The PIIX3 changed its routing: move every asserted pin to its new IRQ. */
export function pciSetPirqRoute(route: u32): void {
  const n = load<u32>(ST_COUNT);
  for (let s: u32 = 0; s < n; s++) driveIrq(s, false);
  store<u32>(ST_PIRQ_ROUTE, route);
  for (let s: u32 = 0; s < n; s++) pciUpdateIrq(s);
}

function pciUpdateIrq(slot: u32): void {
  const asserted =
    (pciRead16(slot, PCI_STATUS) & PCI_STATUS_INTERRUPT) != 0 &&
    (pciRead16(slot, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) == 0;
  driveIrq(slot, asserted);
}

function driveIrq(slot: u32, high: bool): void {
  if (pciRead8(slot, PCI_INTERRUPT_PIN) == 0) return;
  const route = (load<u32>(ST_PIRQ_ROUTE) >>> (pciPirqOf(slot) * 8)) & 0xff;
  if ((route & 0x80) != 0) {
    // Not routed: make sure no line is left driven by this slot.
    for (let line: u32 = 0; line < 16; line++) setIrqSource(line, IRQ_SOURCE_PCI + slot, false);
    return;
  }
  setIrqSource(route & 0xf, IRQ_SOURCE_PCI + slot, high);
}

// ---- configuration mechanism #1 ----

/** Slot selected by CONFIG_ADDRESS, or PCI_NO_FUNCTION. */
function selectedSlot(): u32 {
  const a = load<u32>(ST_ADDRESS);
  if ((a & 0x80000000) == 0 || ((a >>> 16) & 0xff) != 0) return PCI_NO_FUNCTION;
  return pciSlotOf((a >>> 8) & 0xff);
}

export function pciPortRead(port: u32, size: u32): u32 {
  if (port == PORT_PCI_CONFIG_ADDRESS) return size == 4 ? load<u32>(ST_ADDRESS) : 0xff;
  if (port < PORT_PCI_CONFIG_DATA) return size == 2 ? 0xffff : 0xff;
  const slot = selectedSlot();
  const off = (load<u32>(ST_ADDRESS) & 0xfc) + (port & 3);
  if (slot == PCI_NO_FUNCTION) return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) v |= pciRead8(slot, off + i) << (i * 8);
  return v;
}

export function pciPortWrite(port: u32, value: u32, size: u32): void {
  if (port == PORT_PCI_CONFIG_ADDRESS) {
    if (size == 4) store<u32>(ST_ADDRESS, value & 0x80fffffc);
    return;
  }
  if (port < PORT_PCI_CONFIG_DATA) return;
  const slot = selectedSlot();
  if (slot == PCI_NO_FUNCTION) return;
  pciConfigWrite(slot, (load<u32>(ST_ADDRESS) & 0xfc) + (port & 3), value, size);
}

/** Software's write of `size` bytes at `offset` (through the write mask), with side effects. */
export function pciConfigWrite(slot: u32, offset: u32, value: u32, size: u32): void {
  if (offset + size > CONFIG_SPACE) return;
  const c = config(slot);
  const m = wmask(slot);
  let mappingChanged = false;
  for (let i: u32 = 0; i < size; i++) {
    const o = offset + i;
    const mask = <u32>load<u8>(m + o);
    const old = <u32>load<u8>(c + o);
    let b = (value >>> (i * 8)) & 0xff;
    // Status bits are write-one-to-clear (PCI 2.1 §6.2.3); only the error bits (upper byte) are.
    if (o == PCI_STATUS + 1) {
      store<u8>(c + o, <u8>(old & ~(b & 0xf9)));
      continue;
    }
    b = (old & ~mask) | (b & mask);
    store<u8>(c + o, <u8>b);
    if (b != old && ((o >= PCI_BAR0 && o < PCI_BAR0 + 24) || (o >= PCI_ROM_ADDRESS && o < PCI_ROM_ADDRESS + 4) || o == PCI_COMMAND)) {
      mappingChanged = true;
    }
  }
  if (offset <= PCI_COMMAND + 1 && offset + size > PCI_COMMAND) pciUpdateIrq(slot);
  if (mappingChanged) pciMappingChanged(slot);
  pciConfigWritten(slot, offset, size);
}

/** A BAR or the command register of `slot` changed: the owner re-registers its ports and pages. */
function pciMappingChanged(slot: u32): void {
  switch (pciOwner(slot)) {
    // Devices with BARs add a case: `case DEV_VGA: vgaPciMappingChanged(); return;`
    case DEV_IDE:
      ideMappingChanged();
      return;
    case DEV_VBE:
      vbePciMappingChanged();
      return;
    default:
      return;
  }
}

/** Software wrote device-specific registers of `slot` (offset, size): the owner reacts. */
function pciConfigWritten(slot: u32, offset: u32, size: u32): void {
  switch (pciOwner(slot)) {
    case DEV_PCI:
      i440fxConfigWritten(slot, offset, size);
      return;
    case DEV_ACPI_PM:
      acpiPmConfigWritten(offset, size);
      return;
    case DEV_PIIX3:
      piix3ConfigWritten(slot, offset, size);
      return;
    default:
      return;
  }
}
