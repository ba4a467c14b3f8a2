// QEMU's ISA debug console ("isa-debugcon"), the Bochs port-0xe9 hack.
//
// Reference: QEMU hw/char/debugcon.c; Bochs documentation, "Debugging with
// the port e9 hack". Port: 0xe9 (iobase property; tabvm also lets the host
// attach further channels to any port, e.g. 0x80 or 0x402 for firmware POST
// codes: `tabvm run --debugcon PORT=FILE`). No IRQ.
//
// A byte written to the port goes to the channel's TX ring (rings.ts). A
// read returns 0xe9 (QEMU's default "readback" value, as Bochs), which is how
// guests detect that the console is present. The port has no status register,
// so a guest cannot wait for a full ring: the channel ends the run() slice
// once its ring is half full so the host drains it long before it fills;
// only a single instruction writing more than the remaining half (REP OUTSB)
// could overrun it, and such bytes are counted, not silently lost.

import { DEBUGCON_STATE } from '../machine/layout';
import { ringPush, ringUsed, debugconRing, RING_DATA_CAPACITY } from '../machine/rings';
import { requestStop, STOP_LIMIT } from '../cpu/control';

export const DEBUGCON_CHANNELS: u32 = 4;
export const PORT_DEBUGCON: u32 = 0xe9;
/** What a read of a debug console port returns (QEMU's readback default). */
export const DEBUGCON_READBACK: u32 = 0xe9;
/** Port value of a channel that is not attached. */
export const DEBUGCON_DETACHED: u32 = 0xffffffff;
const RING_HIGH_WATER: u32 = RING_DATA_CAPACITY / 2;

// State: per channel a u32 port and a u32 count of bytes lost to a full ring.
const S_PORTS: u32 = DEBUGCON_STATE + 0x00;
const S_DROPPED: u32 = DEBUGCON_STATE + 0x20;

/** Power-on configuration: channel 0 at 0xe9, the others detached. */
export function initDebugcon(): void {
  for (let c: u32 = 0; c < DEBUGCON_CHANNELS; c++) {
    store<u32>(S_PORTS + c * 4, c == 0 ? PORT_DEBUGCON : DEBUGCON_DETACHED);
    store<u32>(S_DROPPED + c * 4, 0);
  }
}

/** Attach channel `c` to `port` (or detach it with DEBUGCON_DETACHED). Host configuration. */
export function setDebugconPort(c: u32, port: u32): void {
  if (c < DEBUGCON_CHANNELS) store<u32>(S_PORTS + c * 4, port == DEBUGCON_DETACHED ? port : port & 0xffff);
}

/** Channel attached to `port`, or -1. */
export function debugconForPort(port: u32): i32 {
  for (let c: u32 = 0; c < DEBUGCON_CHANNELS; c++) {
    if (load<u32>(S_PORTS + c * 4) == port) return <i32>c;
  }
  return -1;
}

export function debugconRead(c: u32): u32 {
  return DEBUGCON_READBACK;
}

export function debugconWrite(c: u32, value: u32): void {
  const ring = debugconRing(c);
  if (!ringPush(ring, value & 0xff)) {
    store<u32>(S_DROPPED + c * 4, load<u32>(S_DROPPED + c * 4) + 1);
    requestStop(STOP_LIMIT);
    return;
  }
  if (ringUsed(ring) >= RING_HIGH_WATER) requestStop(STOP_LIMIT);
}

/** Bytes a channel lost to a full ring (diagnostics). */
export function debugconDropped(c: u32): u32 {
  return c < DEBUGCON_CHANNELS ? load<u32>(S_DROPPED + c * 4) : 0;
}
