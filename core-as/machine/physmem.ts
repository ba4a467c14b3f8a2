// Guest-physical address space: RAM, then memory-mapped devices, then open bus.
//
// Guest RAM occupies [0, ramSize) at wasm address RAM_BASE + phys. A guest
// address is untrusted: every access that does not go through a TLB entry
// filled by paging.ts comes here and is bounds-checked, so the guest can
// never touch the core's own memory.

import { RAM_BASE, RAM_MAX } from './layout';
import { mmioRead, mmioWrite, isMmio, mmioOwner } from './mmio';
import { DEV_VBE } from './device-ids';
import { vbeDirectPage } from '../devices/vbe';
import { jitInvalidatePage, jitInvalidateRange } from '../jit/cache';
import { isCodePage } from '../jit/code-pages';

/** A CPU write reached `phys` by the slow path: drop compiled code of its page(s) (jit/cache.ts). */
@inline function noteCodeWrite(phys: u32, bytes: u32): void {
  if (isCodePage(phys >>> 12)) jitInvalidatePage(phys >>> 12);
  const last = phys + bytes - 1;
  if ((last ^ phys) >= 0x1000 && isCodePage(last >>> 12)) jitInvalidatePage(last >>> 12);
}

/** A device (DMA) or the host wrote guest RAM directly: drop compiled code there. */
export function noteDirectWrite(phys: u32, len: u32): void {
  jitInvalidateRange(phys, len);
}

let ramSize: u32 = 0;

export function setRamSize(bytes: u32): void {
  ramSize = bytes < RAM_MAX ? bytes : RAM_MAX;
}
@inline export function getRamSize(): u32 {
  return ramSize;
}

/** True when the 4 KiB page at `phys` is plain RAM (so the TLB may map it for direct access). */
export function isPlainRamPage(phys: u32): bool {
  return phys < ramSize && !isMmio(phys & ~0xfff);
}

export function physRead8(phys: u32): u32 {
  if (phys < ramSize && !isMmio(phys)) return <u32>load<u8>(RAM_BASE + phys);
  return mmioRead(phys, 1);
}
export function physRead16(phys: u32): u32 {
  if ((phys & 0xfff) <= 0xffe && phys < ramSize - 1 && !isMmio(phys)) return <u32>load<u16>(RAM_BASE + phys);
  if ((phys & 1) == 0 && isMmio(phys)) return mmioRead(phys, 2);
  return physRead8(phys) | (physRead8(phys + 1) << 8);
}
export function physRead32(phys: u32): u32 {
  if ((phys & 0xfff) <= 0xffc && phys < ramSize - 3 && !isMmio(phys)) return load<u32>(RAM_BASE + phys);
  if ((phys & 3) == 0 && isMmio(phys)) return mmioRead(phys, 4);
  return physRead16(phys) | (physRead16(phys + 2) << 16);
}
export function physWrite8(phys: u32, v: u32): void {
  noteCodeWrite(phys, 1);
  if (phys < ramSize && !isMmio(phys)) store<u8>(RAM_BASE + phys, <u8>v);
  else mmioWrite(phys, v & 0xff, 1);
}
export function physWrite16(phys: u32, v: u32): void {
  noteCodeWrite(phys, 2);
  if ((phys & 0xfff) <= 0xffe && phys < ramSize - 1 && !isMmio(phys)) store<u16>(RAM_BASE + phys, <u16>v);
  else if ((phys & 1) == 0 && isMmio(phys)) mmioWrite(phys, v & 0xffff, 2);
  else {
    physWrite8(phys, v);
    physWrite8(phys + 1, v >> 8);
  }
}
export function physWrite32(phys: u32, v: u32): void {
  noteCodeWrite(phys, 4);
  if ((phys & 0xfff) <= 0xffc && phys < ramSize - 3 && !isMmio(phys)) store<u32>(RAM_BASE + phys, v);
  else if ((phys & 3) == 0 && isMmio(phys)) mmioWrite(phys, v, 4);
  else {
    physWrite16(phys, v);
    physWrite16(phys + 2, v >> 16);
  }
}

/** Where VRAM (VRAM_SIZE bytes) lives in the wasm memory: above guest RAM, 1 MiB aligned. */
export function vramBase(): u32 {
  return RAM_BASE + ((ramSize + 0xfffff) & ~0xfffff);
}

/**
 * A device page backed by wasm memory that the TLB may map directly (the VBE
 * linear framebuffer, devices/vbe.ts): its wasm address, with bit 0
 * (DIRECT_WRITABLE) set when writes may go there too; 0 for any other page.
 */
export function directPage(physPage: u32): u32 {
  return mmioOwner(physPage) == DEV_VBE ? vbeDirectPage(physPage) : 0;
}
