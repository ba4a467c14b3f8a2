// Intel 82371AB (PIIX4) power management function: ACPI fixed hardware.
//
// Reference: Intel 82371AB PIIX4 datasheet §3.5 "Power management PCI
// configuration registers (function 3)" and §7 "Power management I/O
// registers"; ACPI 1.0b §4.7 (PM1 event/control, PM timer), §9.1 (sleeping).
// PCI function 00:01.3 (8086:7113, rev 03, class 068000), as QEMU's pc
// machine places it. The BIOS (or the host's loader) programs:
//   PMBA (40h)     I/O base of the 64-byte PM register block (bit 0 reads 1)
//   PMREGMISC (80h) bit 0 enables decoding of that block
// Registers at PMBA:
//   +00h PMSTS  (16) status, write 1 to clear: TMROF_STS 0, GBL_STS 5,
//                    PWRBTN_STS 8, RTC_STS 10, WAK_STS 15
//   +02h PMEN   (16) enables for the same bits
//   +04h PMCNTRL(16) SCI_EN 0, BM_RLD 1, GBL_RLS 2, SUS_TYP 10-12, SUS_EN 13 (write-only)
//   +08h PMTMR  (32) 24-bit free-running counter at 3.579545 MHz
//   +0Ch-0Fh   read 0, writes ignored
//   +10h-3Fh   general-purpose and global registers: stored, no effect
// The SCI is ISA IRQ 9, level-triggered, high while an enabled status bit
// is set. Sleeping: SUS_EN with SUS_TYP 0 is soft-off (what the DSDTs of
// SeaBIOS and of tabvm's direct boot declare as \_S5), so the machine powers
// off; other sleep types are not supported and are ignored.
// The APM control/status ports 0xB2/0xB3 are the FADT's SMI_CMD: writing
// ACPI_ENABLE (F1h) sets SCI_EN, ACPI_DISABLE (F0h) clears it (the SMM
// handler's job on real boards; QEMU does the same without SMM).
//
// QEMU's pc machine adds three fixed I/O blocks to this function, and
// SeaBIOS's own ACPI tables (its FADT and DSDT) use them, so a guest booted
// through SeaBIOS reads them (QEMU docs/specs/acpi_pci_hotplug.rst and
// acpi_cpu_hotplug.rst):
//   0xAFE0 GPE0 block: +0 status (16, write 1 to clear), +2 enable (16); the
//          SCI also rises while an enabled GPE status bit is set
//   0xAE00 PCI hotplug: +0 PCIU slots inserted, +4 PCID slots to remove (both
//          read 0: nothing is ever hot-plugged here), +8 B0EJ eject (write:
//          refused, every function is built in), +0Ch RMV removable slots (0),
//          +10h SEL bus select (stored)
//   0xAF00 CPU present bitmap, 32 bytes, one bit per APIC ID: CPU 0
// Left open-bus (all ones), SeaBIOS's GPE handlers read "every slot is to be
// removed" and "256 CPUs are present": Linux's acpiphp then ejects every PCI
// device but the host bridge on the first SCI, and the disks vanish.

import { ACPI_PM_STATE } from '../machine/layout';
import { DEV_ACPI_PM, DEV_NONE } from '../machine/device-ids';
import { registerPorts } from '../machine/ports';
import {
  pciAddFunction, pciSetWritable, pciSetQemuSubsystem, pciRead8, pciRead32, pciSet32, pciSet8, PCI_NO_FUNCTION,
} from '../machine/pci';
import { raiseIrq, lowerIrq } from '../machine/irq';
import { clockNow, NO_DEADLINE } from '../machine/clock';
import { requestPowerOff } from '../cpu/control';

const VENDOR_INTEL: u32 = 0x8086;
const DEVICE_82371AB_PM: u32 = 0x7113;
const CLASS_BRIDGE_OTHER: u32 = 0x068000;
const REVISION: u32 = 0x03;
const DEVFN_PM: u32 = (1 << 3) | 3;
const REG_PMBA: u32 = 0x40;
const REG_PMREGMISC: u32 = 0x80;
const PMREGMISC_PMIOSE: u32 = 1;
const PM_BLOCK_SIZE: u32 = 64;
export const IRQ_SCI: u32 = 9;
export const PORT_APM_CONTROL: u32 = 0xb2;
export const PORT_APM_STATUS: u32 = 0xb3;
const ACPI_ENABLE: u32 = 0xf1;
const ACPI_DISABLE: u32 = 0xf0;

const PM_STS: u32 = 0x00;
const PM_EN: u32 = 0x02;
const PM_CNTRL: u32 = 0x04;
const PM_TMR: u32 = 0x08;
const STS_TMROF: u32 = 1 << 0;
const STS_GBL: u32 = 1 << 5;
const STS_PWRBTN: u32 = 1 << 8;
const STS_RTC: u32 = 1 << 10;
const STS_WAK: u32 = 1 << 15;
const EN_MASK: u32 = STS_TMROF | STS_GBL | STS_PWRBTN | STS_RTC;
const CNTRL_SCI_EN: u32 = 1 << 0;
const CNTRL_SUS_TYP_SHIFT: u32 = 10;
const CNTRL_SUS_TYP_MASK: u32 = 7 << CNTRL_SUS_TYP_SHIFT;
const CNTRL_SUS_EN: u32 = 1 << 13;
const CNTRL_WRITABLE: u32 = 0x3c07 & ~CNTRL_SUS_EN;
const SUS_TYP_SOFT_OFF: u32 = 0;
/** The PM timer's frequency (ACPI 1.0b §4.7.2.1). */
export const PM_TIMER_HZ: u64 = 3579545;
const NS_PER_S: u64 = 1_000_000_000;
const TIMER_MSB: u64 = 1 << 23;

// State (ACPI_PM_STATE):
const ST_SLOT: u32 = ACPI_PM_STATE + 0x00; // u32 PCI slot
const ST_BASE: u32 = ACPI_PM_STATE + 0x04; // u32 decoded I/O base (0: none)
const ST_STS: u32 = ACPI_PM_STATE + 0x08; // u16
const ST_EN: u32 = ACPI_PM_STATE + 0x0a; // u16
const ST_CNTRL: u32 = ACPI_PM_STATE + 0x0c; // u16
const ST_APM_CONTROL: u32 = ACPI_PM_STATE + 0x0e; // u8
const ST_APM_STATUS: u32 = ACPI_PM_STATE + 0x0f; // u8
const ST_TIMER_MSB: u32 = ACPI_PM_STATE + 0x10; // u32 last seen bit 23 of the timer
const ST_GENERAL: u32 = ACPI_PM_STATE + 0x20; // 0x30 bytes: registers 0x10-0x3f
const ST_GPE_STS: u32 = ACPI_PM_STATE + 0x50; // u16
const ST_GPE_EN: u32 = ACPI_PM_STATE + 0x52; // u16
const ST_HOTPLUG_SEL: u32 = ACPI_PM_STATE + 0x54; // u32

export const PORT_GPE0: u32 = 0xafe0;
const GPE0_LEN: u32 = 4;
const GPE0_EN: u32 = 2;
export const PORT_PCI_HOTPLUG: u32 = 0xae00;
const PCI_HOTPLUG_LEN: u32 = 0x14;
const PCI_HOTPLUG_SEL: u32 = 0x10;
export const PORT_CPU_PRESENT: u32 = 0xaf00;
const CPU_PRESENT_LEN: u32 = 32;
/** CPU 0 (APIC ID 0) is the only processor. */
const CPUS_PRESENT_BYTE0: u32 = 1;

@inline function slot(): u32 {
  return load<u32>(ST_SLOT);
}

export function acpiPmInit(): void {
  const s = pciAddFunction(DEVFN_PM, DEV_ACPI_PM, VENDOR_INTEL, DEVICE_82371AB_PM, CLASS_BRIDGE_OTHER, REVISION, 1);
  store<u32>(ST_SLOT, s);
  if (s == PCI_NO_FUNCTION) return;
  pciSetQemuSubsystem(s);
  pciSetWritable(s, REG_PMBA, 0xffc0, 4);
  pciSetWritable(s, REG_PMREGMISC, PMREGMISC_PMIOSE, 1);
  registerPorts(PORT_APM_CONTROL, 2, DEV_ACPI_PM);
  registerFixedBlocks();
}

function registerFixedBlocks(): void {
  registerPorts(PORT_GPE0, GPE0_LEN, DEV_ACPI_PM);
  registerPorts(PORT_PCI_HOTPLUG, PCI_HOTPLUG_LEN, DEV_ACPI_PM);
  registerPorts(PORT_CPU_PRESENT, CPU_PRESENT_LEN, DEV_ACPI_PM);
}

@inline function inBlock(port: u32, base: u32, len: u32): bool {
  return port - base < len;
}

export function acpiPmReset(): void {
  const s = slot();
  if (s == PCI_NO_FUNCTION) return;
  pciSet32(s, REG_PMBA, 1);
  pciSet8(s, REG_PMREGMISC, 0);
  memory.fill(ST_STS, 0, ST_HOTPLUG_SEL + 4 - ST_STS);
  acpiPmMappingChanged();
}

/** Timer ticks since power-on (the counter's full, unwrapped value). */
function timerTicks(now: u64): u64 {
  // now × f / 1e9 without overflow for centuries of uptime: split seconds.
  return (now / NS_PER_S) * PM_TIMER_HZ + ((now % NS_PER_S) * PM_TIMER_HZ) / NS_PER_S;
}

/** The first virtual time at which the counter reaches `ticks`. */
function ticksToNs(ticks: u64): u64 {
  return (ticks / PM_TIMER_HZ) * NS_PER_S + ((ticks % PM_TIMER_HZ) * NS_PER_S + PM_TIMER_HZ - 1) / PM_TIMER_HZ;
}

function updateSci(): void {
  const pending = (<u32>load<u16>(ST_STS)) & (<u32>load<u16>(ST_EN)) & EN_MASK;
  const gpe = (<u32>load<u16>(ST_GPE_STS)) & (<u32>load<u16>(ST_GPE_EN));
  if ((pending | gpe) != 0 && (load<u16>(ST_CNTRL) & CNTRL_SCI_EN) != 0) raiseIrq(IRQ_SCI);
  else lowerIrq(IRQ_SCI);
}

/** Timer overflow: TMROF_STS is set each time bit 23 of the counter changes (ACPI 1.0b §4.7.2.1). */
export function acpiPmAdvance(now: u64): u64 {
  if (slot() == PCI_NO_FUNCTION) return NO_DEADLINE;
  const ticks = timerTicks(now);
  const msb = <u32>((ticks / TIMER_MSB) & 1);
  if (msb != load<u32>(ST_TIMER_MSB)) {
    store<u32>(ST_TIMER_MSB, msb);
    store<u16>(ST_STS, <u16>(load<u16>(ST_STS) | STS_TMROF));
    updateSci();
  }
  // Only an enabled overflow interrupt needs a wake-up; the flag itself is caught up lazily.
  if ((load<u16>(ST_EN) & STS_TMROF) == 0) return NO_DEADLINE;
  return ticksToNs((ticks / TIMER_MSB + 1) * TIMER_MSB);
}

/** PMBA or PMREGMISC changed: decode the register block where the BIOS put it. */
export function acpiPmMappingChanged(): void {
  const s = slot();
  const old = load<u32>(ST_BASE);
  if (old != 0) registerPorts(old, PM_BLOCK_SIZE, DEV_NONE);
  let base: u32 = 0;
  if ((pciRead8(s, REG_PMREGMISC) & PMREGMISC_PMIOSE) != 0) base = pciRead32(s, REG_PMBA) & 0xffc0;
  store<u32>(ST_BASE, base);
  if (base != 0) registerPorts(base, PM_BLOCK_SIZE, DEV_ACPI_PM);
  // A PM block moved over or off a fixed block must not take it away.
  registerFixedBlocks();
}

/** The PCI configuration space was written (PMBA, PMREGMISC). */
export function acpiPmConfigWritten(offset: u32, size: u32): void {
  if ((offset < REG_PMBA + 4 && offset + size > REG_PMBA) || offset == REG_PMREGMISC) acpiPmMappingChanged();
}

export function acpiPmPortRead(port: u32, size: u32): u32 {
  if (port == PORT_APM_CONTROL) return <u32>load<u8>(ST_APM_CONTROL);
  if (port == PORT_APM_STATUS) return <u32>load<u8>(ST_APM_STATUS);
  if (inBlock(port, PORT_GPE0, GPE0_LEN) || inBlock(port, PORT_PCI_HOTPLUG, PCI_HOTPLUG_LEN) || inBlock(port, PORT_CPU_PRESENT, CPU_PRESENT_LEN)) {
    let f: u32 = 0;
    for (let i: u32 = 0; i < size; i++) f |= fixedBlockByte(port + i) << (i * 8);
    return f;
  }
  const off = port - load<u32>(ST_BASE);
  // One clock reading per access: on the realtime clock, time moves between
  // two clockNow() calls, and a 32-bit PM_TMR read assembled from bytes of
  // different instants can run ahead and then step back, which a guest
  // extending the 24-bit counter (SeaBIOS timer_adjust_bits, Linux's
  // acpi_pm) takes for a wrap: 4.7 s lost each time.
  const tmr: u32 = off < PM_TMR + 4 && off + size > PM_TMR ? <u32>(timerTicks(clockNow()) & 0xffffff) : 0;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) v |= registerByte(off + i, tmr) << (i * 8);
  return v;
}

/** A byte of QEMU's fixed blocks (all ones past a block's end, as the open bus reads). */
function fixedBlockByte(port: u32): u32 {
  if (inBlock(port, PORT_GPE0, GPE0_LEN)) return <u32>load<u8>(ST_GPE_STS + port - PORT_GPE0);
  if (inBlock(port, PORT_PCI_HOTPLUG, PCI_HOTPLUG_LEN)) {
    const off = port - PORT_PCI_HOTPLUG;
    return off >= PCI_HOTPLUG_SEL ? <u32>load<u8>(ST_HOTPLUG_SEL + off - PCI_HOTPLUG_SEL) : 0;
  }
  if (inBlock(port, PORT_CPU_PRESENT, CPU_PRESENT_LEN)) return port == PORT_CPU_PRESENT ? CPUS_PRESENT_BYTE0 : 0;
  return 0xff;
}

function fixedBlockWrite(port: u32, value: u32): void {
  if (inBlock(port, PORT_GPE0, GPE0_LEN)) {
    const off = port - PORT_GPE0;
    if (off < GPE0_EN) store<u8>(ST_GPE_STS + off, <u8>(load<u8>(ST_GPE_STS + off) & ~value));
    else store<u8>(ST_GPE_STS + off, <u8>value);
    updateSci();
  } else if (inBlock(port, PORT_PCI_HOTPLUG, PCI_HOTPLUG_LEN)) {
    const off = port - PORT_PCI_HOTPLUG;
    if (off >= PCI_HOTPLUG_SEL) store<u8>(ST_HOTPLUG_SEL + off - PCI_HOTPLUG_SEL, <u8>value);
  }
  // The CPU bitmap is read-only.
}

function registerByte(off: u32, tmr: u32): u32 {
  if (off >= PM_TMR && off < PM_TMR + 4) return (tmr >>> ((off - PM_TMR) * 8)) & 0xff;
  if (off < PM_TMR) {
    // PMSTS, PMEN, PMCNTRL: bring TMROF_STS up to date first.
    acpiPmAdvance(clockNow());
    if (off >= PM_CNTRL) return ((<u32>load<u16>(ST_CNTRL)) >>> ((off - PM_CNTRL) * 8)) & 0xff;
    return <u32>load<u8>(ST_STS + off);
  }
  if (off >= 0x10 && off < PM_BLOCK_SIZE) return <u32>load<u8>(ST_GENERAL + off - 0x10);
  return 0;
}

export function acpiPmPortWrite(port: u32, value: u32, size: u32): void {
  if (port == PORT_APM_CONTROL) {
    store<u8>(ST_APM_CONTROL, <u8>value);
    const cntrl = <u32>load<u16>(ST_CNTRL);
    if ((value & 0xff) == ACPI_ENABLE) store<u16>(ST_CNTRL, <u16>(cntrl | CNTRL_SCI_EN));
    else if ((value & 0xff) == ACPI_DISABLE) store<u16>(ST_CNTRL, <u16>(cntrl & ~CNTRL_SCI_EN));
    updateSci();
    return;
  }
  if (port == PORT_APM_STATUS) {
    store<u8>(ST_APM_STATUS, <u8>value);
    return;
  }
  if (inBlock(port, PORT_GPE0, GPE0_LEN) || inBlock(port, PORT_PCI_HOTPLUG, PCI_HOTPLUG_LEN) || inBlock(port, PORT_CPU_PRESENT, CPU_PRESENT_LEN)) {
    for (let i: u32 = 0; i < size; i++) fixedBlockWrite(port + i, (value >>> (i * 8)) & 0xff);
    return;
  }
  const off = port - load<u32>(ST_BASE);
  if (size == 4 && off < PM_TMR) {
    acpiPmPortWrite(port, value & 0xffff, 2);
    acpiPmPortWrite(port + 2, value >>> 16, 2);
    return;
  }
  // Registers are 16 bits wide (PMTMR 32, read-only): assemble the access per register.
  if (off < PM_STS + 2) writeStatus(value << (off * 8), size == 1 ? 0xff << (off * 8) : 0xffff);
  else if (off < PM_EN + 2) {
    const shift = (off - PM_EN) * 8;
    const mask: u32 = (size == 1 ? 0xff : 0xffff) << shift;
    const en = ((<u32>load<u16>(ST_EN)) & ~mask) | ((value << shift) & mask);
    store<u16>(ST_EN, <u16>(en & EN_MASK));
    updateSci();
  } else if (off < PM_CNTRL + 2) {
    const shift = (off - PM_CNTRL) * 8;
    const mask: u32 = (size == 1 ? 0xff : 0xffff) << shift;
    writeControl(((<u32>load<u16>(ST_CNTRL)) & ~mask) | ((value << shift) & mask));
  } else if (off >= 0x10 && off < PM_BLOCK_SIZE) {
    for (let i: u32 = 0; i < size && off + i < PM_BLOCK_SIZE; i++) store<u8>(ST_GENERAL + off + i - 0x10, <u8>(value >>> (i * 8)));
  }
}

function writeStatus(value: u32, mask: u32): void {
  const clear = value & mask & (EN_MASK | STS_WAK);
  store<u16>(ST_STS, <u16>((<u32>load<u16>(ST_STS)) & ~clear));
  updateSci();
}

function writeControl(v: u32): void {
  store<u16>(ST_CNTRL, <u16>(v & CNTRL_WRITABLE));
  updateSci();
  if ((v & CNTRL_SUS_EN) != 0 && ((v & CNTRL_SUS_TYP_MASK) >>> CNTRL_SUS_TYP_SHIFT) == SUS_TYP_SOFT_OFF) {
    requestPowerOff();
  }
}

/** The host's power button (ACPI fixed event): a guest with ACPI shuts down cleanly. */
export function acpiPmPowerButton(): void {
  store<u16>(ST_STS, <u16>(load<u16>(ST_STS) | STS_PWRBTN));
  updateSci();
}
