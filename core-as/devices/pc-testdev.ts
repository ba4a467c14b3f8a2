// QEMU's pc-testdev: the debug ports kvm-unit-tests use on a PC.
//
// Reference: QEMU hw/misc/pc-testdev.c.
//
// Ports:  0xe0-0xe3      a 32-bit register: a write of any size at any of these
//                        ports replaces those bytes, a read returns them
//         0xe4 (32-bit)  "flush page": QEMU re-protects the host page behind the
//                        guest-physical address written, so that the next
//                        guest access faults in again; tabvm's equivalent is to
//                        drop every cached translation (any linear page may map
//                        that physical page), which covers INVLPG of it too
//         0xe8-0xeb      the same register as 0xe0, decoded a byte at a time
//         0x2000-0x2017  a byte write of v sets ISA IRQ line n to (v != 0)
//                        (QEMU: qemu_set_irq(isa_get_irq(n), !!v)); lines 16-23
//                        are IOAPIC-only inputs and are ignored until it exists
// QEMU's 64 KiB scratch memory at 0xff000000 is not modelled.

import { TESTDEV_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { DEV_TESTDEV } from '../machine/device-ids';
import { raiseIrq, lowerIrq, IRQ_LINES } from '../machine/irq';
import { tlbFlushAll } from '../cpu/paging';
import { invalidateFetch } from '../cpu/memory';

export const PORT_TESTDEV_IOPORT: u32 = 0xe0;
export const PORT_TESTDEV_FLUSH: u32 = 0xe4;
export const PORT_TESTDEV_IOPORT_BYTE: u32 = 0xe8;
export const PORT_TESTDEV_IRQ: u32 = 0x2000;
const REGISTER_PORTS: u32 = 4;
const IRQ_PORTS: u32 = 24;

const S_DATA: u32 = TESTDEV_STATE + 0x00; // u32 the echo register

export function testdevInit(): void {
  registerPorts(PORT_TESTDEV_IOPORT, REGISTER_PORTS, DEV_TESTDEV);
  registerPorts(PORT_TESTDEV_FLUSH, REGISTER_PORTS, DEV_TESTDEV);
  registerPorts(PORT_TESTDEV_IOPORT_BYTE, REGISTER_PORTS, DEV_TESTDEV);
  registerPorts(PORT_TESTDEV_IRQ, IRQ_PORTS, DEV_TESTDEV);
}

export function testdevReset(): void {
  store<u32>(S_DATA, 0);
}

/** Mask of `size` bytes starting at byte (port & 3) of the register, and the shift. */
@inline function laneShift(port: u32): u32 {
  return (port & 3) << 3;
}
@inline function laneMask(size: u32): u32 {
  return size >= 4 ? 0xffffffff : (<u32>1 << (size << 3)) - 1;
}

export function testdevRead(port: u32, size: u32): u32 {
  if (port >= PORT_TESTDEV_IOPORT && port < PORT_TESTDEV_IOPORT + REGISTER_PORTS) {
    return (load<u32>(S_DATA) >>> laneShift(port)) & laneMask(size);
  }
  if (port >= PORT_TESTDEV_IOPORT_BYTE && port < PORT_TESTDEV_IOPORT_BYTE + REGISTER_PORTS) {
    // Decoded a byte at a time: a wide access reads consecutive bytes; past the register, open bus.
    let v: u32 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const p = port + i;
      const b = p < PORT_TESTDEV_IOPORT_BYTE + REGISTER_PORTS ? (load<u32>(S_DATA) >>> laneShift(p)) & 0xff : 0xff;
      v |= b << (i << 3);
    }
    return v;
  }
  return size >= 4 ? 0xffffffff : laneMask(size);
}

export function testdevWrite(port: u32, value: u32, size: u32): void {
  if (port >= PORT_TESTDEV_IOPORT && port < PORT_TESTDEV_IOPORT + REGISTER_PORTS) {
    writeLanes(port, value, size);
  } else if (port >= PORT_TESTDEV_IOPORT_BYTE && port < PORT_TESTDEV_IOPORT_BYTE + REGISTER_PORTS) {
    for (let i: u32 = 0; i < size && port + i < PORT_TESTDEV_IOPORT_BYTE + REGISTER_PORTS; i++) {
      writeLanes(port + i, value >>> (i << 3), 1);
    }
  } else if (port == PORT_TESTDEV_FLUSH) {
    if (size != 4) return; // QEMU decodes only 32-bit writes here
    tlbFlushAll(false);
    invalidateFetch();
  } else if (port >= PORT_TESTDEV_IRQ && port < PORT_TESTDEV_IRQ + IRQ_PORTS) {
    const line = port - PORT_TESTDEV_IRQ;
    if (size != 1 || line >= IRQ_LINES) return;
    if ((value & 0xff) != 0) raiseIrq(line);
    else lowerIrq(line);
  }
}

/** Replace `size` bytes of the register from byte (port & 3) up (bytes past the top are lost, as in QEMU). */
function writeLanes(port: u32, value: u32, size: u32): void {
  const shift = laneShift(port);
  const mask = laneMask(size) << shift;
  store<u32>(S_DATA, (load<u32>(S_DATA) & ~mask) | ((value << shift) & mask));
}
