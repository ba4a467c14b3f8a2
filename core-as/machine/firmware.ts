// Firmware ROM and the shadow-RAM area 0xC0000-0xFFFFF.
//
// The system BIOS image (SeaBIOS's bios.bin, 128 or 256 KiB) sits in
// ROM_AREA. The chipset decodes it twice (Intel 82441FX/i440FX datasheet
// §3.2.17 "PAM—Programmable Attribute Map Registers" and the PC memory map):
//   - at the top of the 4 GiB space, [4 GiB - size, 4 GiB), read-only: the
//     reset vector 0xFFFFFFF0 lands in its last 16 bytes;
//   - its last 128 KiB ("isa-bios") at 0xE0000-0xFFFFF, under PAM control.
// The PAM registers (i440FX config 0x59-0x5F) split 0xC0000-0xFFFFF into 13
// segments (0xF0000 as one 64 KiB segment, 0xC0000-0xEFFFF in 16 KiB ones),
// each with a read-enable and a write-enable bit for the DRAM behind it:
//   read  disabled: the access goes to the bus (the isa-bios ROM for
//                   0xE0000-0xFFFFF, nothing for 0xC0000-0xDFFFF);
//   write disabled: the write goes to the bus (dropped).
// SeaBIOS enables both, copies itself from the high alias into the DRAM
// ("shadowing"), then write-protects it. A segment with both bits set is plain
// RAM (unclaimed in the MMIO map, so the TLB maps it directly); any other
// combination claims its pages as DEV_SHADOW and every access comes here.

import { RAM_BASE, ROM_AREA, ROM_AREA_SIZE, SHADOW_STATE } from './layout';
import { DEV_NONE, DEV_ROM, DEV_SHADOW } from './device-ids';
import { registerMmio } from './mmio';
import { getRamSize } from './physmem';

const ISA_BIOS_SIZE: u32 = 0x20000;
const ISA_BIOS_BASE: u32 = 0xe0000;
const SHADOW_BASE: u32 = 0xc0000;
const SHADOW_END: u32 = 0x100000;
const SEGMENT_16K: u32 = 0x4000;
export const PAM_SEGMENTS: u32 = 13;
export const PAM_READ: u32 = 1;
export const PAM_WRITE: u32 = 2;
/** Largest system BIOS image: what ROM_AREA holds below the option ROMs. */
export const BIOS_MAX_SIZE: u32 = 0x40000;
/** Option ROMs (VGA BIOS, ...) are stored after the system BIOS in ROM_AREA. */
export const OPTION_ROM_AREA: u32 = ROM_AREA + BIOS_MAX_SIZE;
export const OPTION_ROM_AREA_SIZE: u32 = ROM_AREA_SIZE - BIOS_MAX_SIZE;

// State (SHADOW_STATE): u32 bios size, then one byte of PAM attributes per segment.
const ST_BIOS_SIZE: u32 = SHADOW_STATE + 0;
const ST_PAM: u32 = SHADOW_STATE + 4;

@inline function biosSize(): u32 {
  return load<u32>(ST_BIOS_SIZE);
}

/** First address and size of PAM segment `seg` (0: 0xF0000-0xFFFFF, 1-12: 0xC0000 + 16 KiB steps). */
function segmentBase(seg: u32): u32 {
  return seg == 0 ? 0xf0000 : SHADOW_BASE + (seg - 1) * SEGMENT_16K;
}
function segmentSize(seg: u32): u32 {
  return seg == 0 ? 0x10000 : SEGMENT_16K;
}
function segmentOf(phys: u32): u32 {
  return phys >= 0xf0000 ? 0 : 1 + ((phys - SHADOW_BASE) >>> 14);
}

/**
 * The host copied a BIOS image of `size` bytes to ROM_AREA: map it at the
 * top of memory and (its last 128 KiB) at 0xE0000. Returns false for a size
 * the machine cannot map (not a multiple of 64 KiB, or too large).
 */
export function mapSystemBios(size: u32): bool {
  if (size == 0 || size > BIOS_MAX_SIZE || (size & 0xffff) != 0) return false;
  store<u32>(ST_BIOS_SIZE, size);
  registerMmio(<u32>(0x1_0000_0000 - <u64>size), size, DEV_ROM);
  for (let seg: u32 = 0; seg < PAM_SEGMENTS; seg++) setPam(seg, 0);
  return true;
}

/** Power-on: all PAM segments forward to the bus (read ROM, write dropped). */
export function resetShadow(): void {
  if (biosSize() == 0) return;
  for (let seg: u32 = 0; seg < PAM_SEGMENTS; seg++) setPam(seg, 0);
}

/** Set segment `seg`'s PAM attributes (PAM_READ | PAM_WRITE). */
export function setPam(seg: u32, attr: u32): void {
  if (seg >= PAM_SEGMENTS) return;
  attr &= PAM_READ | PAM_WRITE;
  store<u8>(ST_PAM + seg, <u8>attr);
  const base = segmentBase(seg);
  const size = segmentSize(seg);
  // Both enabled and backed by RAM: plain RAM. Otherwise every access is decoded here.
  // A machine without firmware (booted by the host's loader) keeps plain RAM there.
  const plain = (biosSize() == 0 || attr == (PAM_READ | PAM_WRITE)) && base + size <= getRamSize();
  registerMmio(base, size, plain ? DEV_NONE : DEV_SHADOW);
}

export function getPam(seg: u32): u32 {
  return seg < PAM_SEGMENTS ? <u32>load<u8>(ST_PAM + seg) : 0;
}

/** A byte of the system BIOS image at offset `off` from its start (0xff outside it). */
@inline function biosByte(off: u32): u32 {
  return off < biosSize() ? <u32>load<u8>(ROM_AREA + off) : 0xff;
}

/** The high alias: [4 GiB - size, 4 GiB). */
export function romRead(phys: u32, size: u32): u32 {
  const off = phys - <u32>(0x1_0000_0000 - <u64>biosSize());
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) v |= biosByte(off + i) << (i * 8);
  return v;
}

/** A byte read from the bus (PAM read disabled) at `phys` in 0xC0000-0xFFFFF. */
@inline function busByte(phys: u32): u32 {
  if (phys < ISA_BIOS_BASE) return 0xff;
  const isa = biosSize() < ISA_BIOS_SIZE ? biosSize() : ISA_BIOS_SIZE;
  // The isa-bios window shows the image's last `isa` bytes, ending at 1 MiB.
  if (phys < SHADOW_END - isa) return 0xff;
  return biosByte(biosSize() - (SHADOW_END - phys));
}

@inline function ramBacked(phys: u32): bool {
  return phys < getRamSize();
}

export function shadowRead(phys: u32, size: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const p = phys + i;
    const attr = getPam(segmentOf(p));
    const b = (attr & PAM_READ) != 0 && ramBacked(p) ? <u32>load<u8>(RAM_BASE + p) : busByte(p);
    v |= b << (i * 8);
  }
  return v;
}

export function shadowWrite(phys: u32, v: u32, size: u32): void {
  for (let i: u32 = 0; i < size; i++) {
    const p = phys + i;
    if ((getPam(segmentOf(p)) & PAM_WRITE) != 0 && ramBacked(p)) store<u8>(RAM_BASE + p, <u8>(v >>> (i * 8)));
  }
}
