// The core's side of the block request slots (protocol: core-as/machine/rings.ts,
// "Block request slots"; host side: host/block-device.ts).

import {
  BLOCK_SLOTS, BLOCK_SLOT_SIZE, BLOCK_DRIVES, BLOCK_OFF_STATE, BLOCK_OFF_OP, BLOCK_OFF_SECTOR_LO, BLOCK_OFF_SECTOR_HI,
  BLOCK_OFF_BYTES, BLOCK_OFF_BUFFER, BLOCK_OFF_RESULT, BLOCK_OFF_KIND, BLOCK_OFF_MEDIA_LO, BLOCK_OFF_MEDIA_HI,
  BLOCK_OFF_MEDIA_FLAGS, BLOCK_OFF_MEDIA_GENERATION, BLOCK_IDLE, BLOCK_PENDING, BLOCK_DONE, BLOCK_MEDIA_READ_ONLY,
} from './rings';
import { requestStop, STOP_LIMIT } from '../cpu/control';

@inline function slot(drive: u32): u32 {
  return BLOCK_SLOTS + (drive < BLOCK_DRIVES ? drive : 0) * BLOCK_SLOT_SIZE;
}

/** Post a request (the slot must be idle) and yield so the host serves it soon. */
export function blockSubmit(drive: u32, op: u32, sector: u64, bytes: u32, buffer: u32): void {
  const s = slot(drive);
  store<u32>(s + BLOCK_OFF_OP, op);
  store<u32>(s + BLOCK_OFF_SECTOR_LO, <u32>sector);
  store<u32>(s + BLOCK_OFF_SECTOR_HI, <u32>(sector >>> 32));
  store<u32>(s + BLOCK_OFF_BYTES, bytes);
  store<u32>(s + BLOCK_OFF_BUFFER, buffer);
  store<u32>(s + BLOCK_OFF_RESULT, 0);
  store<u32>(s + BLOCK_OFF_STATE, BLOCK_PENDING);
  requestStop(STOP_LIMIT);
}

/** True when the host has completed the drive's request (the result is then valid). */
@inline export function blockDone(drive: u32): bool {
  return load<u32>(slot(drive) + BLOCK_OFF_STATE) == BLOCK_DONE;
}
@inline export function blockBusy(drive: u32): bool {
  return load<u32>(slot(drive) + BLOCK_OFF_STATE) != BLOCK_IDLE;
}

/** Take the completed request's result and free the slot. */
export function blockTakeResult(drive: u32): u32 {
  const s = slot(drive);
  store<u32>(s + BLOCK_OFF_STATE, BLOCK_IDLE);
  return load<u32>(s + BLOCK_OFF_RESULT);
}

/** Forget an outstanding request (device reset). A host still serving it completes into a slot nobody waits on. */
export function blockCancel(drive: u32): void {
  store<u32>(slot(drive) + BLOCK_OFF_STATE, BLOCK_IDLE);
}

export function blockKind(drive: u32): u32 {
  return load<u32>(slot(drive) + BLOCK_OFF_KIND);
}
/** Medium size in 512-byte sectors (0: no medium). */
export function blockMediaSectors(drive: u32): u64 {
  const s = slot(drive);
  return (<u64>load<u32>(s + BLOCK_OFF_MEDIA_HI) << 32) | <u64>load<u32>(s + BLOCK_OFF_MEDIA_LO);
}
export function blockReadOnly(drive: u32): bool {
  return (load<u32>(slot(drive) + BLOCK_OFF_MEDIA_FLAGS) & BLOCK_MEDIA_READ_ONLY) != 0;
}
export function blockMediaGeneration(drive: u32): u32 {
  return load<u32>(slot(drive) + BLOCK_OFF_MEDIA_GENERATION);
}
