// The PC machine: which devices exist, where they decode, and their reset.
//
// buildMachine() runs once per core instance (init): it clears the port and
// MMIO maps and the PCI bus, then lets each device claim its ports, pages and
// PCI functions. resetMachine() is the RESET# line: every device back to its
// power-on state (the host rings keep flowing; guest RAM is kept).
//
// The PC/AT port map (ports not listed read as an open bus):
//   0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1  8259A pair + ELCR        (pic8259.ts)
//   0x40-0x43                          8254 PIT                 (pit8254.ts)
//   0x60, 0x64                         8042 keyboard controller (i8042.ts)
//   0x61, 0x92                         system control ports     (system-control.ts)
//   0x70-0x71                          MC146818 RTC/CMOS        (rtc146818.ts)
//   0x00-0x0F, 0x81-0x8F, 0xC0-0xDF    8237A DMA pair + pages   (dma8237.ts)
//   0x80                               POST code (no effect)
//   0xF0                               FPU error (FERR#) clear
//   0xF4-0xF7                          isa-debug-exit           (isa-debug-exit.ts)
//   0x3F8, 0x2F8, 0x3E8, 0x2E8 (+8)    16550A UARTs             (uart16550.ts)
//   0x1F0-0x1F7, 0x3F6 / 0x170-0x177, 0x376  PIIX IDE         (ide.ts)
//   0x3F0-0x3F5, 0x3F7                 82077AA floppy           (fdc82077.ts)
//   0xCF8, 0xCFC-0xCFF                 PCI configuration        (machine/pci.ts)
//   0xCF9                              PIIX3 reset control      (machine/reset-control.ts)
//   0xB2-0xB3, PMBA (set by the BIOS)  PIIX4 ACPI PM            (acpi-pm.ts)
//   0xAFE0-0xAFE3, 0xAE00-0xAE13, 0xAF00-0xAF1F  QEMU's GPE0, PCI hotplug, CPU present (acpi-pm.ts)
//   0x510-0x511, 0x514-0x51B           QEMU fw_cfg              (fw-cfg.ts)
//   0xE0-0xE7, 0xE8-0xEB, 0x2000-0x2017 QEMU pc-testdev         (pc-testdev.ts)
//   0x3B0-0x3DF                        VGA                      (vga.ts)
//   0x1CE-0x1D0, PCI 00:02.0           Bochs VBE / std VGA PCI  (vbe.ts)
// Memory-mapped: 0xA0000-0xBFFFF VGA window (vga.ts), 0xFEC00000 IOAPIC (ioapic.ts),
// 0xFEE00000 (IA32_APIC_BASE) local APIC (lapic.ts).

import { clearPortMap, registerPorts } from './ports';
import { clearMmioMap } from './mmio';
import { resetIrqLines } from './irq';
import { pciClear, PORT_PCI_CONFIG_ADDRESS, PORT_PCI_CONFIG_DATA } from './pci';
import { resetShadow } from './firmware';
import { resetControlReset, PORT_RESET_CONTROL } from './reset-control';
import { DEV_FPU_ERROR, DEV_UART, DEV_DEBUG_EXIT, DEV_PCI, DEV_POST, DEV_RESET_CONTROL } from './device-ids';
import { i440fxInit, i440fxReset } from '../devices/i440fx';
import { acpiPmInit, acpiPmReset } from '../devices/acpi-pm';
import { piix3Init, piix3Reset } from '../devices/piix3';
import { ideInit, ideReset } from '../devices/ide';
import { dmaInit, dmaReset } from '../devices/dma8237';
import { fdcInit, fdcReset } from '../devices/fdc82077';
import { lapicInit, lapicReset } from '../devices/lapic';
import { ioapicInit, ioapicReset } from '../devices/ioapic';
import { resetUarts, PORT_COM1, PORT_COM2, PORT_COM3, PORT_COM4, UART_PORT_COUNT } from '../devices/uart16550';
import { PORT_DEBUG_EXIT, DEBUG_EXIT_PORT_COUNT } from '../devices/isa-debug-exit';
import { i8042Init, i8042Reset } from '../devices/i8042';
import { fwCfgInit, fwCfgReset } from '../devices/fw-cfg';
import { testdevInit, testdevReset } from '../devices/pc-testdev';
import { picInit, picReset } from '../devices/pic8259';
import { pitInit, pitReset } from '../devices/pit8254';
import { systemControlInit, systemControlReset } from '../devices/system-control';
import { rtcInit, rtcReset } from '../devices/rtc146818';
import { vgaInit, vgaReset } from '../devices/vga';
import { vbeInit, vbeReset } from '../devices/vbe';

const PORT_POST: u32 = 0x80;
const PORT_FPU_ERROR: u32 = 0xf0;

export function buildMachine(): void {
  clearPortMap();
  clearMmioMap();
  pciClear();
  registerPorts(PORT_COM1, UART_PORT_COUNT, DEV_UART);
  registerPorts(PORT_COM2, UART_PORT_COUNT, DEV_UART);
  registerPorts(PORT_COM3, UART_PORT_COUNT, DEV_UART);
  registerPorts(PORT_COM4, UART_PORT_COUNT, DEV_UART);
  registerPorts(PORT_DEBUG_EXIT, DEBUG_EXIT_PORT_COUNT, DEV_DEBUG_EXIT);
  registerPorts(PORT_POST, 1, DEV_POST);
  registerPorts(PORT_FPU_ERROR, 1, DEV_FPU_ERROR);
  registerPorts(PORT_PCI_CONFIG_ADDRESS, 1, DEV_PCI);
  registerPorts(PORT_PCI_CONFIG_DATA, 4, DEV_PCI);
  registerPorts(PORT_RESET_CONTROL, 1, DEV_RESET_CONTROL);
  i440fxInit();
  acpiPmInit();
  piix3Init();
  ideInit();
  dmaInit();
  fdcInit();
  i8042Init();
  fwCfgInit();
  testdevInit();
  ioapicInit();
  lapicInit();
  picInit();
  pitInit();
  systemControlInit();
  rtcInit();
  vgaInit();
  vbeInit();
}

export function resetMachine(): void {
  resetIrqLines();
  picReset();
  pitReset();
  systemControlReset();
  rtcReset();
  resetControlReset();
  resetUarts();
  i440fxReset();
  acpiPmReset();
  piix3Reset();
  ideReset();
  dmaReset();
  fdcReset();
  i8042Reset();
  fwCfgReset();
  testdevReset();
  ioapicReset();
  lapicReset();
  vbeReset();
  vgaReset();
  resetShadow();
}
