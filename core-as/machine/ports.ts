// I/O port dispatch (the PC's 64 KiB I/O space).
//
// Devices claim ports with registerPorts(base, count, DEV_*) when the machine
// is built (core-as/machine/machine.ts); the port map (PORT_MAP, one u8 device
// id per port) then routes every IN/OUT/INS/OUTS with one load and a switch.
//
// Access size convention: `size` is in BYTES (1, 2 or 4); the IN/OUT/INS/OUTS
// handlers convert their operand size in bits.
//
// Devices with only 8-bit registers (most ISA chips) see a 16- or 32-bit
// access split into byte accesses at consecutive ports, low byte first, as an
// 8-bit ISA device sees it (the bus controller's conversion). Devices listed
// in WIDE_DEVICES get the whole access at its first port and decode sizes
// themselves (the IDE data port, PCI configuration data, VBE, ...);
// isa-debug-exit takes the whole value of any access, as QEMU's does.
//
// A debug console channel attached to a port (the host's explicit choice)
// shadows any device there. Ports no device decodes read as all ones (an
// undriven ISA bus) and ignore writes.

import { PORT_MAP, PORT_MAP_SIZE } from './layout';
import {
  DEV_NONE, DEV_FPU_ERROR, DEV_UART, DEV_DEBUG_EXIT, DEV_PCI, DEV_POST, DEV_RESET_CONTROL, DEV_ACPI_PM,
  DEV_IDE, DEV_FDC, DEV_DMA, DEV_VGA, DEV_VBE,
} from './device-ids';
import {
  DEV_I8042, DEV_FW_CFG, DEV_TESTDEV, DEV_PIC, DEV_PIT, DEV_SYSTEM_CONTROL, DEV_RTC,
} from './device-ids';
import { acpiPmPortRead, acpiPmPortWrite } from '../devices/acpi-pm';
import { ideRead, ideWrite } from '../devices/ide';
import { fdcRead, fdcWrite } from '../devices/fdc82077';
import { dmaRead, dmaWrite } from '../devices/dma8237';

import { i8042Read, i8042Write } from '../devices/i8042';
import { fwCfgRead, fwCfgWrite } from '../devices/fw-cfg';
import { testdevRead, testdevWrite } from '../devices/pc-testdev';
import { rtcRead, rtcWrite } from '../devices/rtc146818';
import { picRead, picWrite } from '../devices/pic8259';
import { pitRead, pitWrite } from '../devices/pit8254';
import { systemControlRead, systemControlWrite } from '../devices/system-control';
import { uartForPort, uartRead, uartWrite } from '../devices/uart16550';
import { debugconForPort, debugconRead, debugconWrite } from '../devices/debugcon';
import { debugExitWrite } from '../devices/isa-debug-exit';
import { pciPortRead, pciPortWrite } from './pci';
import { resetControlRead, resetControlWrite } from './reset-control';
import { vgaPortRead, vgaPortWrite } from '../devices/vga';
import { vbePortRead, vbePortWrite } from '../devices/vbe';
import { count, STAT_IO_READS, STAT_IO_WRITES } from '../generated/stats';
import { lowerIrq } from './irq';
import { IRQ_FERR } from '../cpu/x87/fpu-state';

const PORT_MASK: u32 = 0xffff;
const BITS_PER_BYTE: u32 = 8;

/** Devices that take 16/32-bit accesses whole (bit n = device id n). */
const WIDE_DEVICES: u32 =
  (1 << DEV_DEBUG_EXIT) |
  (1 << DEV_PCI) |
  (1 << DEV_ACPI_PM) |
  (1 << DEV_IDE) |
  (1 << DEV_FW_CFG) |
  (1 << DEV_TESTDEV) |
  (1 << DEV_VBE);

/** Claim ports [base, base + count) for `device` (later claims win). */
export function registerPorts(base: u32, count: u32, device: u32): void {
  for (let i: u32 = 0; i < count; i++) store<u8>(PORT_MAP + ((base + i) & PORT_MASK), <u8>device);
}

/** Forget every claim (before the machine is built again). */
export function clearPortMap(): void {
  memory.fill(PORT_MAP, 0, PORT_MAP_SIZE);
}

@inline export function portOwner(port: u32): u32 {
  return <u32>load<u8>(PORT_MAP + (port & PORT_MASK));
}

@inline function openBus(size: u32): u32 {
  return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
}

/** A device's read handler for an access of `size` bytes at `port`. */
function deviceRead(device: u32, port: u32, size: u32): u32 {
  switch (device) {
    case DEV_UART:
      return uartRead(<u32>uartForPort(port), port) & 0xff;
    case DEV_PCI:
      return pciPortRead(port, size);
    case DEV_RESET_CONTROL:
      return resetControlRead(port);
    case DEV_POST:
      return 0xff;
    case DEV_ACPI_PM:
      return acpiPmPortRead(port, size);
    case DEV_IDE:
      return ideRead(port, size);
    case DEV_FDC:
      return fdcRead(port);
    case DEV_DMA:
      return dmaRead(port);
    case DEV_I8042:
      return i8042Read(port);
    case DEV_FW_CFG:
      return fwCfgRead(port, size);
    case DEV_TESTDEV:
      return testdevRead(port, size);
    case DEV_PIC:
      return picRead(port);
    case DEV_PIT:
      return pitRead(port);
    case DEV_SYSTEM_CONTROL:
      return systemControlRead(port);
    case DEV_RTC:
      return rtcRead(port);
    case DEV_VGA:
      return vgaPortRead(port);
    case DEV_VBE:
      return vbePortRead(port, size);
    default:
      return openBus(size);
  }
}

function deviceWrite(device: u32, port: u32, value: u32, size: u32): void {
  switch (device) {
    case DEV_UART:
      uartWrite(<u32>uartForPort(port), port, value & 0xff);
      return;
    case DEV_DEBUG_EXIT:
      debugExitWrite(size == 1 ? value & 0xff : size == 2 ? value & 0xffff : value);
      return;
    case DEV_PCI:
      pciPortWrite(port, value, size);
      return;
    case DEV_RESET_CONTROL:
      resetControlWrite(port, value & 0xff);
      return;
    case DEV_FPU_ERROR:
      // Any write to F0h deasserts FERR#'s IRQ 13 (PC/AT; cpu/x87/fpu-state.ts raises it).
      lowerIrq(IRQ_FERR);
      return;
    case DEV_ACPI_PM:
      acpiPmPortWrite(port, value, size);
      return;
    case DEV_IDE:
      ideWrite(port, value, size);
      return;
    case DEV_FDC:
      fdcWrite(port, value & 0xff);
      return;
    case DEV_DMA:
      dmaWrite(port, value & 0xff);
      return;
    case DEV_I8042:
      i8042Write(port, value & 0xff);
      return;
    case DEV_FW_CFG:
      fwCfgWrite(port, value, size);
      return;
    case DEV_TESTDEV:
      testdevWrite(port, value, size);
      return;
    case DEV_PIC:
      picWrite(port, value & 0xff);
      return;
    case DEV_PIT:
      pitWrite(port, value & 0xff);
      return;
    case DEV_SYSTEM_CONTROL:
      systemControlWrite(port, value & 0xff);
      return;
    case DEV_RTC:
      rtcWrite(port, value & 0xff);
      return;
    case DEV_VGA:
      vgaPortWrite(port, value & 0xff);
      return;
    case DEV_VBE:
      vbePortWrite(port, value, size);
      return;
    default:
      return;
  }
}

function portRead8(port: u32): u32 {
  const con = debugconForPort(port);
  if (con >= 0) return debugconRead(<u32>con);
  return deviceRead(portOwner(port), port, 1) & 0xff;
}

function portWrite8(port: u32, value: u32): void {
  const con = debugconForPort(port);
  if (con >= 0) {
    debugconWrite(<u32>con, value);
    return;
  }
  deviceWrite(portOwner(port), port, value & 0xff, 1);
}

export function portRead(port: u32, bytes: u32): u32 {
  count(STAT_IO_READS);
  port &= PORT_MASK;
  if (bytes > 1) {
    const device = portOwner(port);
    if (device != DEV_NONE && ((WIDE_DEVICES >>> device) & 1) != 0 && debugconForPort(port) < 0) {
      return deviceRead(device, port, bytes);
    }
  }
  let v = portRead8(port);
  for (let i: u32 = 1; i < bytes; i++) v |= portRead8((port + i) & PORT_MASK) << (i * BITS_PER_BYTE);
  return v;
}

export function portWrite(port: u32, value: u32, bytes: u32): void {
  count(STAT_IO_WRITES);
  port &= PORT_MASK;
  if (bytes > 1) {
    const device = portOwner(port);
    if (device != DEV_NONE && ((WIDE_DEVICES >>> device) & 1) != 0 && debugconForPort(port) < 0) {
      deviceWrite(device, port, value, bytes);
      return;
    }
  }
  for (let i: u32 = 0; i < bytes; i++) portWrite8((port + i) & PORT_MASK, value >>> (i * BITS_PER_BYTE));
}
