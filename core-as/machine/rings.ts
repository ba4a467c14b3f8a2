// Host rings: byte queues between the core's devices and the host (DESIGN §6).
//
// Each ring is single-producer single-consumer and lives at a fixed address in
// the RINGS region of the shared memory, so the host (Node runner, worker, UI)
// reads and writes it with no messages and no JS calls in the core's hot path.
//
// One ring occupies RING_SLOT_SIZE bytes:
//
//   +RING_OFF_HEAD      u32  bytes ever produced (free-running, wraps at 2^32)
//   +RING_OFF_TAIL      u32  bytes ever consumed (free-running)
//   +RING_OFF_CAPACITY  u32  size of the data area in bytes (a power of two)
//   +RING_OFF_DATA      data[capacity]; byte number n is at data[n & (capacity - 1)]
//
// used = head - tail (mod 2^32); empty when head == tail, full when used == capacity.
// Only the producer stores head, only the consumer stores tail; each stores the
// data before (producer) or reads it before (consumer) moving its counter. The
// counters are aligned u32 stores, so this stays correct when the host side
// moves to another thread (then the counter stores become Atomics.store).
//
// Directions: *_TX rings carry bytes the guest sent (core produces, host
// consumes); *_RX rings carry bytes for the guest (host produces, core consumes).
// The host copy of these constants is host/generated/cpu-layout.ts.

import { RINGS } from './layout';

export const RING_OFF_HEAD: u32 = 0x0;
export const RING_OFF_TAIL: u32 = 0x4;
export const RING_OFF_CAPACITY: u32 = 0x8;
export const RING_OFF_DATA: u32 = 0x40;
export const RING_SLOT_SIZE: u32 = 0x4000;
export const RING_DATA_CAPACITY: u32 = 0x2000;

// Serial ports: COMn TX and RX (n = 1..4), in UART instance order.
export const RING_COM1_TX: u32 = RINGS + 0x0;
export const RING_COM2_TX: u32 = RINGS + 0x4000;
export const RING_COM3_TX: u32 = RINGS + 0x8000;
export const RING_COM4_TX: u32 = RINGS + 0xC000;
export const RING_COM1_RX: u32 = RINGS + 0x10000;
export const RING_COM2_RX: u32 = RINGS + 0x14000;
export const RING_COM3_RX: u32 = RINGS + 0x18000;
export const RING_COM4_RX: u32 = RINGS + 0x1C000;
// Debug console channels 0..3 (channel 0 is port 0xe9 by default; see debugcon.ts).
export const RING_DEBUGCON0_TX: u32 = RINGS + 0x20000;
export const RING_DEBUGCON1_TX: u32 = RINGS + 0x24000;
export const RING_DEBUGCON2_TX: u32 = RINGS + 0x28000;
export const RING_DEBUGCON3_TX: u32 = RINGS + 0x2C000;
// Host input events for the 8042's keyboard and mouse (host → guest; records in devices/i8042.ts).
export const RING_INPUT: u32 = RINGS + 0x30000;
export const RING_COUNT: u32 = 13;

/** Ring of UART instance `n` (0 = COM1) in the guest-to-host direction. */
@inline export function uartTxRing(n: u32): u32 {
  return RING_COM1_TX + n * RING_SLOT_SIZE;
}
/** Ring of UART instance `n` (0 = COM1) in the host-to-guest direction. */
@inline export function uartRxRing(n: u32): u32 {
  return RING_COM1_RX + n * RING_SLOT_SIZE;
}
@inline export function debugconRing(channel: u32): u32 {
  return RING_DEBUGCON0_TX + channel * RING_SLOT_SIZE;
}

/** Empty every ring (power-on; the host must not be using them). */
export function initRings(): void {
  for (let i: u32 = 0; i < RING_COUNT; i++) {
    const ring = RINGS + i * RING_SLOT_SIZE;
    store<u32>(ring + RING_OFF_HEAD, 0);
    store<u32>(ring + RING_OFF_TAIL, 0);
    store<u32>(ring + RING_OFF_CAPACITY, RING_DATA_CAPACITY);
  }
}

@inline export function ringUsed(ring: u32): u32 {
  return load<u32>(ring + RING_OFF_HEAD) - load<u32>(ring + RING_OFF_TAIL);
}

@inline export function ringFree(ring: u32): u32 {
  return load<u32>(ring + RING_OFF_CAPACITY) - ringUsed(ring);
}

/** Producer side: append one byte. False when the ring is full (nothing stored). */
export function ringPush(ring: u32, byte: u32): bool {
  const head = load<u32>(ring + RING_OFF_HEAD);
  const capacity = load<u32>(ring + RING_OFF_CAPACITY);
  if (head - load<u32>(ring + RING_OFF_TAIL) >= capacity) return false;
  store<u8>(ring + RING_OFF_DATA + (head & (capacity - 1)), <u8>byte);
  store<u32>(ring + RING_OFF_HEAD, head + 1);
  return true;
}

/** Consumer side: take one byte, or -1 when the ring is empty. */
export function ringPop(ring: u32): i32 {
  const tail = load<u32>(ring + RING_OFF_TAIL);
  if (load<u32>(ring + RING_OFF_HEAD) == tail) return -1;
  const capacity = load<u32>(ring + RING_OFF_CAPACITY);
  const byte = <i32>load<u8>(ring + RING_OFF_DATA + (tail & (capacity - 1)));
  store<u32>(ring + RING_OFF_TAIL, tail + 1);
  return byte;
}
