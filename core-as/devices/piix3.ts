// Intel 82371SB PIIX3 PCI-to-ISA bridge (PCI 00:01.0), the i440FX's south bridge.
//
// Reference: Intel 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator
// datasheet §2.2 "PCI configuration registers — PCI to ISA bridge (function 0)":
// VID 8086h, DID 7000h, class 060100h, header type 80h (multi-function: the IDE
// controller is function 1). Register defaults as the datasheet and QEMU's
// hw/isa/piix.c reset.
//
// What software uses of it here:
//   - PIRQRC[A:D] (60h-63h): route the PCI interrupt lines PIRQA-D to ISA IRQs
//     (bits 3:0 the IRQ, bit 7 = routing disabled; IRQ 0, 1, 2, 8 and 13 are
//     reserved values and route nowhere). A change moves every asserted PCI
//     interrupt to its new line (machine/pci.ts pciSetPirqRoute).
//   - TOM (69h), XBCS (4Eh), MBIRQ (70h-71h), APIC base (80h) and the rest of
//     40h-FFh: stored and read back (SeaBIOS writes them; nothing else here
//     depends on them).
// The ELCR (ports 4D0h/4D1h) is part of the 8259A model; reset control (CF9h)
// is machine/reset-control.ts.

import { DEV_PIIX3 } from '../machine/device-ids';
import {
  pciAddFunction, pciSetWritable, pciSet8, pciSet16, pciRead8, pciSetQemuSubsystem, pciSetPirqRoute, PCI_NO_FUNCTION,
  PCI_HEADER_TYPE, PCI_COMMAND, PCI_STATUS,
} from '../machine/pci';

const VENDOR_INTEL: u32 = 0x8086;
const DEVICE_PIIX3_ISA: u32 = 0x7000;
const CLASS_ISA_BRIDGE: u32 = 0x060100;
const DEVFN_ISA_BRIDGE: u32 = 1 << 3;
const HEADER_MULTI_FUNCTION: u32 = 0x80;
const REG_PIRQRC: u32 = 0x60;
const PIRQ_LINES: u32 = 4;
const PIRQ_DISABLED: u32 = 0x80;
const PIRQ_IRQ_MASK: u32 = 0x0f;
/** IRQ values the PIRQ route registers may not select (datasheet §2.2.12). */
const PIRQ_RESERVED_IRQS: u32 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 8) | (1 << 13);
const DEVICE_SPECIFIC_FIRST: u32 = 0x40;
const CONFIG_SPACE: u32 = 0x100;
const COMMAND_DEFAULT: u32 = 0x0007; // I/O, memory, bus master: a bridge always decodes
const STATUS_DEFAULT: u32 = 0x0200; // DEVSEL medium

/** Register defaults after reset: offset, value (datasheet register summaries). */
const DEFAULT_IORT: u32 = 0x4c; // 4Dh
const DEFAULT_XBCS: u32 = 0x4e; // 03h
const DEFAULT_TOM: u32 = 0x69; // 02h
const DEFAULT_MBIRQ0: u32 = 0x70; // 80h
const DEFAULT_MBDMA0: u32 = 0x76; // 0Ch
const DEFAULT_MBDMA1: u32 = 0x77; // 0Ch
const DEFAULT_PCSC: u32 = 0x78; // 02h
const DEFAULT_SMICNTL: u32 = 0xa0; // 08h
const DEFAULT_SMIREQ: u32 = 0xa8; // 0Fh

/** The bridge's PCI slot (a cache of what piix3Init got; PCI_NO_FUNCTION before). */
let bridgeSlot: u32 = 0xff;

export function piix3Init(): void {
  bridgeSlot = pciAddFunction(DEVFN_ISA_BRIDGE, DEV_PIIX3, VENDOR_INTEL, DEVICE_PIIX3_ISA, CLASS_ISA_BRIDGE, 0, 0);
  if (bridgeSlot == PCI_NO_FUNCTION) return;
  pciSet8(bridgeSlot, PCI_HEADER_TYPE, HEADER_MULTI_FUNCTION);
  for (let off = DEVICE_SPECIFIC_FIRST; off < CONFIG_SPACE; off += 4) pciSetWritable(bridgeSlot, off, 0xffffffff, 4);
  pciSetQemuSubsystem(bridgeSlot);
}

export function piix3Reset(): void {
  if (bridgeSlot == PCI_NO_FUNCTION) return;
  pciSet16(bridgeSlot, PCI_COMMAND, COMMAND_DEFAULT);
  pciSet16(bridgeSlot, PCI_STATUS, STATUS_DEFAULT);
  for (let off = DEVICE_SPECIFIC_FIRST; off < CONFIG_SPACE; off++) pciSet8(bridgeSlot, off, 0);
  pciSet8(bridgeSlot, DEFAULT_IORT, 0x4d);
  pciSet8(bridgeSlot, DEFAULT_XBCS, 0x03);
  for (let i: u32 = 0; i < PIRQ_LINES; i++) pciSet8(bridgeSlot, REG_PIRQRC + i, PIRQ_DISABLED);
  pciSet8(bridgeSlot, DEFAULT_TOM, 0x02);
  pciSet8(bridgeSlot, DEFAULT_MBIRQ0, 0x80);
  pciSet8(bridgeSlot, DEFAULT_MBIRQ0 + 1, 0x80);
  pciSet8(bridgeSlot, DEFAULT_MBDMA0, 0x0c);
  pciSet8(bridgeSlot, DEFAULT_MBDMA1, 0x0c);
  pciSet8(bridgeSlot, DEFAULT_PCSC, 0x02);
  pciSet8(bridgeSlot, DEFAULT_SMICNTL, 0x08);
  pciSet8(bridgeSlot, DEFAULT_SMIREQ, 0x0f);
  applyRouting();
}

/** Software wrote the bridge's configuration space. */
export function piix3ConfigWritten(slot: u32, offset: u32, size: u32): void {
  if (offset < REG_PIRQRC + PIRQ_LINES && offset + size > REG_PIRQRC) applyRouting();
}

/** PIRQRC[A:D] → the route word of machine/pci.ts (a byte per PIRQ line, 80h = not routed). */
function applyRouting(): void {
  let route: u32 = 0;
  for (let i: u32 = 0; i < PIRQ_LINES; i++) {
    const v = pciRead8(bridgeSlot, REG_PIRQRC + i);
    const irq = v & PIRQ_IRQ_MASK;
    const routed = (v & PIRQ_DISABLED) == 0 && ((PIRQ_RESERVED_IRQS >>> irq) & 1) == 0;
    route |= (routed ? irq : PIRQ_DISABLED) << (i * 8);
  }
  pciSetPirqRoute(route);
}
