// I/O APIC: Intel 82093AA, at 0xFEC00000 as on QEMU's pc machine.
//
// Reference: Intel 82093AA I/O Advanced Programmable Interrupt Controller
// (IOAPIC) datasheet, §3.0 "Register description"; QEMU hw/intc/ioapic.c for
// the PC wiring.
// Memory-mapped registers: IOREGSEL (+00h, the index in bits 7:0), IOWIN
// (+10h, the selected 32-bit register) and, as in the version 20h IOAPIC,
// the EOI register (+40h: a write retires the level-triggered entries with
// that vector; accepted although the version reads 11h).
// Indirect registers:
//   00h IOAPICID  ID in bits 27:24
//   01h IOAPICVER 00170011h: version 11h, maximum redirection entry 23
//   02h IOAPICARB arbitration ID in bits 27:24 (the ID)
//   10h-3Fh       24 redirection entries, two registers each (low, high):
//     7:0 vector, 10:8 delivery mode (fixed, lowest priority, SMI, NMI,
//     INIT, ExtINT), 11 destination mode (logical), 12 delivery status (RO),
//     13 polarity, 14 remote IRR (RO), 15 trigger mode (level), 16 mask,
//     63:56 destination.
// Inputs (QEMU's pc wiring, declared by the MADT/MP interrupt source
// override): ISA IRQ 0 (the PIT) → pin 2, ISA IRQ n → pin n; PCI PIRQs reach
// the ISA lines through the PIIX3 router and arrive the same way.
// Edge-triggered pins deliver on a rising edge (edges on a masked pin are
// lost, datasheet "Interrupt Mask"); level-triggered pins deliver while
// asserted with remote IRR clear, then set remote IRR until the local APIC
// broadcasts the EOI of that vector, and deliver again if still asserted.
// Polarity is kept but not applied: the machine's lines are active-high and
// QEMU ignores it too, so firmware tables that declare PCI lines active-low
// (SeaBIOS's MP table) still work.

import { IOAPIC_STATE } from '../machine/layout';
import { DEV_IOAPIC } from '../machine/device-ids';
import { registerMmio } from '../machine/mmio';
import { lapicDeliverMessage } from './lapic';

export const IOAPIC_BASE: u32 = 0xfec00000;
const IOAPIC_PAGE_SIZE: u32 = 0x1000;
export const IOAPIC_PINS: u32 = 24;
export const IOAPIC_VERSION: u32 = 0x00170011;

const MMIO_REGSEL: u32 = 0x00;
const MMIO_WINDOW: u32 = 0x10;
const MMIO_EOI: u32 = 0x40;

const REG_ID: u32 = 0x00;
const REG_VERSION: u32 = 0x01;
const REG_ARB: u32 = 0x02;
const REG_REDIRECTION: u32 = 0x10;
const ID_MASK: u32 = 0x0f000000;

// Redirection entry fields (low dword).
const RTE_VECTOR: u32 = 0xff;
const RTE_MODE_SHIFT: u32 = 8;
const RTE_LOGICAL: u32 = 1 << 11;
const RTE_REMOTE_IRR: u32 = 1 << 14;
const RTE_LEVEL: u32 = 1 << 15;
const RTE_MASKED: u32 = 1 << 16;
/** Writable low bits: all but delivery status (12) and remote IRR (14). */
const RTE_LOW_WRITABLE: u32 = 0x0001afff;
const RTE_HIGH_WRITABLE: u32 = 0xff000000;
const DEST_SHIFT: u32 = 24;

/** ISA IRQ 0 (PIT) is wired to pin 2 (the interrupt source override). */
const ISA_IRQ_TIMER: u32 = 0;
const TIMER_PIN: u32 = 2;

// State (IOAPIC_STATE).
const ST_REGSEL: u32 = IOAPIC_STATE + 0x00;
const ST_ID: u32 = IOAPIC_STATE + 0x04;
const ST_INPUTS: u32 = IOAPIC_STATE + 0x08; // bit n: pin n asserted
const ST_RTE_LOW: u32 = IOAPIC_STATE + 0x10; // 24 × u32
const ST_RTE_HIGH: u32 = IOAPIC_STATE + 0x70; // 24 × u32

@inline function rteLow(pin: u32): u32 {
  return load<u32>(ST_RTE_LOW + (pin << 2));
}
@inline function setRteLow(pin: u32, v: u32): void {
  store<u32>(ST_RTE_LOW + (pin << 2), v);
}
@inline function rteHigh(pin: u32): u32 {
  return load<u32>(ST_RTE_HIGH + (pin << 2));
}
@inline function asserted(pin: u32): bool {
  return (load<u32>(ST_INPUTS) & (1 << pin)) != 0;
}

/** Send pin's interrupt message to the local APIC; level entries hold remote IRR until the EOI. */
function deliver(pin: u32): void {
  let low = rteLow(pin);
  if ((low & RTE_MASKED) != 0) return;
  const level = (low & RTE_LEVEL) != 0;
  if (level) {
    if ((low & RTE_REMOTE_IRR) != 0) return;
    low |= RTE_REMOTE_IRR;
    setRteLow(pin, low);
  }
  lapicDeliverMessage(
    low & RTE_VECTOR, (low >>> RTE_MODE_SHIFT) & 7, (low & RTE_LOGICAL) != 0, rteHigh(pin) >>> DEST_SHIFT, level,
  );
}

/** An input pin changed level. */
export function ioapicSetPin(pin: u32, high: bool): void {
  if (pin >= IOAPIC_PINS) return;
  const was = asserted(pin);
  const bits = load<u32>(ST_INPUTS);
  store<u32>(ST_INPUTS, high ? bits | (1 << pin) : bits & ~(1 << pin));
  if (!high) return;
  if ((rteLow(pin) & RTE_LEVEL) != 0 || !was) deliver(pin);
}

/** An ISA IRQ line changed (core-as/machine/irq.ts). */
export function ioapicIsaLineChanged(line: u32, high: bool): void {
  ioapicSetPin(line == ISA_IRQ_TIMER ? TIMER_PIN : line, high);
}

/** The local APIC's EOI for a level-triggered `vector` (or the EOI register). */
export function ioapicEoi(vector: u32): void {
  for (let pin: u32 = 0; pin < IOAPIC_PINS; pin++) {
    const low = rteLow(pin);
    if ((low & RTE_REMOTE_IRR) == 0 || (low & RTE_VECTOR) != (vector & 0xff)) continue;
    setRteLow(pin, low & ~RTE_REMOTE_IRR);
    if ((low & RTE_LEVEL) != 0 && asserted(pin)) deliver(pin);
  }
}

function readIndirect(index: u32): u32 {
  if (index == REG_ID || index == REG_ARB) return load<u32>(ST_ID);
  if (index == REG_VERSION) return IOAPIC_VERSION;
  if (index >= REG_REDIRECTION && index < REG_REDIRECTION + 2 * IOAPIC_PINS) {
    const pin = (index - REG_REDIRECTION) >>> 1;
    return (index & 1) != 0 ? rteHigh(pin) : rteLow(pin);
  }
  return 0;
}

function writeIndirect(index: u32, v: u32): void {
  if (index == REG_ID) {
    store<u32>(ST_ID, v & ID_MASK);
    return;
  }
  if (index < REG_REDIRECTION || index >= REG_REDIRECTION + 2 * IOAPIC_PINS) return;
  const pin = (index - REG_REDIRECTION) >>> 1;
  if ((index & 1) != 0) {
    store<u32>(ST_RTE_HIGH + (pin << 2), v & RTE_HIGH_WRITABLE);
    return;
  }
  let low = (v & RTE_LOW_WRITABLE) | (rteLow(pin) & RTE_REMOTE_IRR);
  // Remote IRR has no meaning for an edge-triggered entry (QEMU clears it too).
  if ((low & RTE_LEVEL) == 0) low &= ~RTE_REMOTE_IRR;
  setRteLow(pin, low);
  // An asserted level input is delivered once its entry is unmasked.
  if ((low & RTE_LEVEL) != 0 && asserted(pin)) deliver(pin);
}

/**
 * MMIO: registers are 32-bit; a narrower read returns the bytes addressed,
 * a narrower write updates the whole register with the value shifted into
 * place (the other bytes zero), as QEMU's memory core does for this device.
 */
export function ioapicRead(phys: u32, size: u32): u32 {
  const off = phys & (IOAPIC_PAGE_SIZE - 1);
  const reg = off & ~3;
  let v: u32 = 0;
  if (reg == MMIO_REGSEL) v = load<u32>(ST_REGSEL);
  else if (reg == MMIO_WINDOW) v = readIndirect(load<u32>(ST_REGSEL));
  v >>>= (off & 3) << 3;
  return size == 4 ? v : size == 2 ? v & 0xffff : v & 0xff;
}

export function ioapicWrite(phys: u32, value: u32, size: u32): void {
  const off = phys & (IOAPIC_PAGE_SIZE - 1);
  const reg = off & ~3;
  const v = size == 4 ? value : (value & (size == 2 ? 0xffff : 0xff)) << ((off & 3) << 3);
  if (reg == MMIO_REGSEL) store<u32>(ST_REGSEL, v & 0xff);
  else if (reg == MMIO_WINDOW) writeIndirect(load<u32>(ST_REGSEL), v);
  else if (reg == MMIO_EOI) ioapicEoi(v & 0xff);
}

export function ioapicInit(): void {
  registerMmio(IOAPIC_BASE, IOAPIC_PAGE_SIZE, DEV_IOAPIC);
}

/** RESET#: every entry masked, edge, fixed, vector 0 (datasheet: mask bit set at reset); ID 0. */
export function ioapicReset(): void {
  store<u32>(ST_REGSEL, 0);
  store<u32>(ST_ID, 0);
  store<u32>(ST_INPUTS, 0);
  for (let pin: u32 = 0; pin < IOAPIC_PINS; pin++) {
    setRteLow(pin, RTE_MASKED);
    store<u32>(ST_RTE_HIGH + (pin << 2), 0);
  }
}
