// What the BIOS would have done to the chipset, for kernels booted without
// firmware (the host's Linux and Multiboot loaders).
//
// SeaBIOS programs the PCI functions of QEMU's pc machine before it boots an
// OS (src/fw/pciinit.c); a kernel started directly expects the same state:
//   - PIIX3 PIRQ routing A-D → IRQ 10, 10, 11, 11, those lines and the SCI
//     (IRQ 9) level-triggered in the ELCR (PCI interrupts are level, shared);
//   - PIIX IDE: both legacy channels decoding (IDE timing registers 40h/42h
//     bit 15), bus mastering on, the bus-master block at BM_BASE;
//   - PIIX4 PM: the ACPI register block at PM_BASE, enabled;
//   - ACPI tables in the BIOS area describing that PM block.
// Everything goes through configuration mechanism #1 and port writes, as the
// BIOS does it, so the devices see only what a guest could do.

import type { Core } from './core.js';
import { buildAcpiTables } from './acpi-tables.js';

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;
const CONFIG_ENABLE = 0x80000000;
const DEVFN_PIIX3 = (1 << 3) | 0;
const DEVFN_IDE = (1 << 3) | 1;
const DEVFN_PM = (1 << 3) | 3;
const PCI_COMMAND = 0x04;
const PCI_COMMAND_IO = 1 << 0;
const PCI_COMMAND_MASTER = 1 << 2;
const PCI_BAR4 = 0x20;
const PIIX3_PIRQRC = 0x60;
const PIRQ_IRQS = [10, 10, 11, 11];
const PORT_ELCR1 = 0x4d0;
const PORT_ELCR2 = 0x4d1;
const IDE_TIMING_PRIMARY = 0x40;
const IDE_TIMING_SECONDARY = 0x42;
const IDE_DECODE_ENABLE = 0x8000;
/** Where SeaBIOS puts the bus-master block and the PM block on QEMU's pc machine. */
export const BM_BASE = 0xc000;
export const PM_BASE = 0x600;
const PM_PMBA = 0x40;
const PM_PMREGMISC = 0x80;
const PM_IO_ENABLE = 1;
export const SCI_IRQ = 9;

function configWrite(core: Core, devfn: number, reg: number, value: number, size: 1 | 2 | 4): void {
  core.exports.portWrite(CONFIG_ADDRESS, (CONFIG_ENABLE | (devfn << 8) | (reg & 0xfc)) >>> 0, 4);
  core.exports.portWrite(CONFIG_DATA + (reg & 3), value >>> 0, size);
}

/** Program the chipset as the BIOS would and install ACPI tables; returns the RSDP's address. */
export function initPlatformWithoutFirmware(core: Core): number {
  let elcr = 1 << SCI_IRQ;
  PIRQ_IRQS.forEach((irq, pirq) => {
    configWrite(core, DEVFN_PIIX3, PIIX3_PIRQRC + pirq, irq, 1);
    elcr |= 1 << irq;
  });
  core.exports.portWrite(PORT_ELCR1, elcr & 0xff, 1);
  core.exports.portWrite(PORT_ELCR2, elcr >> 8, 1);

  configWrite(core, DEVFN_IDE, PCI_BAR4, BM_BASE | 1, 4);
  configWrite(core, DEVFN_IDE, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
  configWrite(core, DEVFN_IDE, IDE_TIMING_PRIMARY, IDE_DECODE_ENABLE, 2);
  configWrite(core, DEVFN_IDE, IDE_TIMING_SECONDARY, IDE_DECODE_ENABLE, 2);

  configWrite(core, DEVFN_PM, PM_PMBA, PM_BASE | 1, 4);
  configWrite(core, DEVFN_PM, PM_PMREGMISC, PM_IO_ENABLE, 1);

  const tables = buildAcpiTables({ pmBase: PM_BASE, sciIrq: SCI_IRQ, ramBytes: core.ramBytes, pirqIrqs: PIRQ_IRQS });
  core.writePhys(tables.base, tables.bytes);
  return tables.rsdp;
}
