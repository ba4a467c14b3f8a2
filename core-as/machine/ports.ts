// I/O port dispatch (the ISA bus's 64 KiB I/O space).
//
// Access size convention: `size` is in BYTES (1, 2 or 4); the IN/OUT/INS/OUTS
// handlers convert their operand size in bits.
//
// The devices here have 8-bit registers. A 16- or 32-bit access to them is
// split into byte accesses at consecutive ports, low byte first, as an 8-bit
// ISA device sees it (the bus controller's conversion). isa-debug-exit takes
// the whole value of any access that starts at its ports, as QEMU's does.
//
// Decoding order for each byte: a debug console channel attached to the port
// (the host's explicit choice, so it may shadow another device), then
// isa-debug-exit (0xf4-0xf7), then the UARTs (0x3f8, 0x2f8, 0x3e8, 0x2e8).
// Ports no device decodes read as all ones (an undriven ISA bus) and ignore
// writes.

import { uartForPort, uartRead, uartWrite } from '../devices/uart16550';
import { debugconForPort, debugconRead, debugconWrite } from '../devices/debugcon';
import { isDebugExitPort, debugExitWrite } from '../devices/isa-debug-exit';
import { count, STAT_IO_READS, STAT_IO_WRITES } from '../generated/stats';
import { lowerIrq } from './irq';
import { IRQ_FERR } from '../cpu/x87/fpu-state';

const PORT_MASK: u32 = 0xffff;
const OPEN_BUS_BYTE: u32 = 0xff;
const BITS_PER_BYTE: u32 = 8;

function portRead8(port: u32): u32 {
  const con = debugconForPort(port);
  if (con >= 0) return debugconRead(<u32>con);
  const uart = uartForPort(port);
  if (uart >= 0) return uartRead(<u32>uart, port) & 0xff;
  return OPEN_BUS_BYTE;
}

function portWrite8(port: u32, value: u32): void {
  const con = debugconForPort(port);
  if (con >= 0) {
    debugconWrite(<u32>con, value);
    return;
  }
  if (isDebugExitPort(port)) {
    debugExitWrite(value & 0xff);
    return;
  }
  if (port == PORT_FPU_CLEAR_BUSY) {
    // Any write to F0h deasserts FERR#'s IRQ 13 (PC/AT; cpu/x87/fpu-state.ts raises it).
    lowerIrq(IRQ_FERR);
    return;
  }
  const uart = uartForPort(port);
  if (uart >= 0) uartWrite(<u32>uart, port, value & 0xff);
}
const PORT_FPU_CLEAR_BUSY: u32 = 0xf0;

export function portRead(port: u32, bytes: u32): u32 {
  count(STAT_IO_READS);
  port &= PORT_MASK;
  let v = portRead8(port);
  for (let i: u32 = 1; i < bytes; i++) v |= portRead8((port + i) & PORT_MASK) << (i * BITS_PER_BYTE);
  return v;
}

export function portWrite(port: u32, value: u32, bytes: u32): void {
  count(STAT_IO_WRITES);
  port &= PORT_MASK;
  if (bytes > 1 && isDebugExitPort(port) && debugconForPort(port) < 0) {
    debugExitWrite(bytes == 2 ? value & 0xffff : value);
    return;
  }
  for (let i: u32 = 0; i < bytes; i++) portWrite8((port + i) & PORT_MASK, value >>> (i * BITS_PER_BYTE));
}
