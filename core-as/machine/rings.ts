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

// ---- Block request slots (disks: IDE drives and floppy units) ----
//
// A disk command never calls the host: the device posts a request in its
// drive's slot, ends the run() slice (a yield), and the host serves the slot
// between slices; the device notices the completion in serviceDevices() (or
// when the guest polls a status register) and finishes the command, raising
// its IRQ then. One request per drive is in flight at a time (ATA and the
// floppy controller execute one command at a time), so a slot is a ring of
// depth one. Host side: host/block-device.ts (BlockHost).
//
// Slot fields (u32 each, at BLOCK_SLOTS + drive * BLOCK_SLOT_SIZE):
//   STATE         BLOCK_IDLE → (core) BLOCK_PENDING → (host) BLOCK_DONE → (core) BLOCK_IDLE
//   OP            BLOCK_OP_READ (medium → buffer), BLOCK_OP_WRITE (buffer → medium), BLOCK_OP_FLUSH
//   SECTOR_LO/HI  position on the medium in 512-byte units
//   BYTES         length (a multiple of 512, at most the drive's buffer)
//   BUFFER        wasm address of the data: the drive's sector buffer in
//                 IDE_BUFFERS / FDC_BUFFER (never guest RAM: the core alone
//                 copies to and from guest memory, bounds-checked)
//   RESULT        host → core: BLOCK_OK, BLOCK_ERR_IO, BLOCK_ERR_RANGE, BLOCK_ERR_READ_ONLY, BLOCK_ERR_NO_MEDIUM
// Medium description, written by the host when it attaches or ejects a disk
// (the core only reads it):
//   KIND          BLOCK_KIND_NONE (no drive), _HD, _CDROM, _FLOPPY
//   MEDIA_LO/HI   medium size in 512-byte units (0: drive empty)
//   MEDIA_FLAGS   BLOCK_MEDIA_READ_ONLY
//   MEDIA_GENERATION  incremented by the host on every insert/eject (CD unit
//                 attention, floppy disk change line)
// The host validates BUFFER/BYTES against the memory and answers
// BLOCK_ERR_RANGE for requests beyond the medium.
export const BLOCK_SLOTS: u32 = RINGS + 0x3f000;
export const BLOCK_SLOT_SIZE: u32 = 0x40;
/** Drives: 0-3 IDE (primary master, primary slave, secondary master, secondary slave), 4-5 floppy units A and B. */
export const BLOCK_DRIVES: u32 = 6;
export const BLOCK_DRIVE_FLOPPY0: u32 = 4;
export const BLOCK_OFF_STATE: u32 = 0x00;
export const BLOCK_OFF_OP: u32 = 0x04;
export const BLOCK_OFF_SECTOR_LO: u32 = 0x08;
export const BLOCK_OFF_SECTOR_HI: u32 = 0x0c;
export const BLOCK_OFF_BYTES: u32 = 0x10;
export const BLOCK_OFF_BUFFER: u32 = 0x14;
export const BLOCK_OFF_RESULT: u32 = 0x18;
export const BLOCK_OFF_KIND: u32 = 0x20;
export const BLOCK_OFF_MEDIA_LO: u32 = 0x24;
export const BLOCK_OFF_MEDIA_HI: u32 = 0x28;
export const BLOCK_OFF_MEDIA_FLAGS: u32 = 0x2c;
export const BLOCK_OFF_MEDIA_GENERATION: u32 = 0x30;
export const BLOCK_IDLE: u32 = 0;
export const BLOCK_PENDING: u32 = 1;
export const BLOCK_DONE: u32 = 2;
export const BLOCK_OP_READ: u32 = 1;
export const BLOCK_OP_WRITE: u32 = 2;
export const BLOCK_OP_FLUSH: u32 = 3;
export const BLOCK_OK: u32 = 0;
export const BLOCK_ERR_IO: u32 = 1;
export const BLOCK_ERR_RANGE: u32 = 2;
export const BLOCK_ERR_READ_ONLY: u32 = 3;
export const BLOCK_ERR_NO_MEDIUM: u32 = 4;
export const BLOCK_KIND_NONE: u32 = 0;
export const BLOCK_KIND_HD: u32 = 1;
export const BLOCK_KIND_CDROM: u32 = 2;
export const BLOCK_KIND_FLOPPY: u32 = 3;
export const BLOCK_MEDIA_READ_ONLY: u32 = 1;
export const BLOCK_SECTOR_SIZE: u32 = 512;
