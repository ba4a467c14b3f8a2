// The machine's interrupt lines: devices drive ISA IRQ lines 0-15, the
// interrupt controller turns them into the CPU's INTR line and vectors.
//
// A line may be driven by several sources at once (COM1 and COM3 share IRQ 4;
// PCI functions share PIRQ lines, which the PIIX3 routes to ISA IRQs): each
// source has a bit, and a line is high while any of its sources drives it.
// Source 0 is the line's own ISA device (raiseIrq/lowerIrq); PCI functions
// use IRQ_SOURCE_PCI + their slot.
//
// The 8259A pair (core-as/devices/pic8259.ts) samples the levels through
// irqLevel(), is told of every change, drives the CPU's INTR line and
// answers the acknowledge cycle.

import { IRQ_STATE } from './layout';
import { ioapicIsaLineChanged } from '../devices/ioapic';
import { picLineChanged, picAcknowledge } from '../devices/pic8259';

export const IRQ_LINES: u32 = 16;
export const IRQ_SOURCE_ISA: u32 = 0;
export const IRQ_SOURCE_PCI: u32 = 1;
/** The host driving a line itself (tests, and the host's own devices). */
export const IRQ_SOURCE_HOST: u32 = 31;

/** Per line, the sources driving it high (a bit each): 16 × u32 at IRQ_STATE. */
@inline function sources(line: u32): u32 {
  return load<u32>(IRQ_STATE + (line << 2));
}
/** Bit n: line n is high. */
let irqLevels: u32 = 0;
/** Bit n: line n went high since takeIrqRises() (a pulse leaves its mark here, not in irqLevels). */
let irqRises: u32 = 0;

/** Drive line `line` from `source` (IRQ_SOURCE_*): high or low. */
export function setIrqSource(line: u32, source: u32, high: bool): void {
  line &= IRQ_LINES - 1;
  const bit: u32 = 1 << (source & 31);
  const before = sources(line);
  const after = high ? before | bit : before & ~bit;
  store<u32>(IRQ_STATE + (line << 2), after);
  const was = (irqLevels >>> line) & 1;
  const now: u32 = after != 0 ? 1 : 0;
  if (was == now) return;
  irqLevels = now != 0 ? irqLevels | (1 << line) : irqLevels & ~(1 << line);
  if (now != 0) irqRises |= 1 << line;
  controllerLineChanged(line, now != 0);
}

export function raiseIrq(line: u32): void {
  setIrqSource(line, IRQ_SOURCE_ISA, true);
}
export function lowerIrq(line: u32): void {
  setIrqSource(line, IRQ_SOURCE_ISA, false);
}
/** Pulse an edge-triggered line (a device that signals an event, not a state). */
export function pulseIrq(line: u32): void {
  setIrqSource(line, IRQ_SOURCE_ISA, true);
  setIrqSource(line, IRQ_SOURCE_ISA, false);
}
export function irqLevel(line: u32): bool {
  return (irqLevels & (1 << (line & 15))) != 0;
}

/**
 * Lines that rose since the last call, then forget them: an engine with its
 * own interrupt controller (KVM's in-kernel PIC) forwards edges, including
 * pulses that are already low again when it looks.
 */
export function takeIrqRises(): u32 {
  const r = irqRises;
  irqRises = 0;
  return r;
}

/** Every source released (machine reset; devices raise again as their reset state says). */
export function resetIrqLines(): void {
  for (let i: u32 = 0; i < IRQ_LINES; i++) store<u32>(IRQ_STATE + (i << 2), 0);
  irqLevels = 0;
}

/** Tell the interrupt controller a line changed level. */
function controllerLineChanged(line: u32, high: bool): void {
  // Both controllers see every ISA line, as on the PC: the 8259A pair
  // (through LINT0 or straight to INTR) and the IOAPIC's pins.
  ioapicIsaLineChanged(line, high);
  picLineChanged(line, high);
}

/** INTA: the controller's vector for the highest-priority pending request. */
export function acknowledgeIrq(): u32 {
  return picAcknowledge();
}
