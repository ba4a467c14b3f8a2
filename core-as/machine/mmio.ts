// Memory-mapped I/O: guest-physical pages that are not plain RAM.
//
// Devices claim 4 KiB pages with registerMmio(base, size, DEV_*) when the
// machine is built (or when a guest moves a PCI BAR); the MMIO map (MMIO_MAP,
// one u8 device id per page of the 4 GiB physical space) routes the access.
// A claimed page inside RAM hides the RAM behind it (the VGA window at
// 0xA0000, firmware shadow areas). The TLB never maps a claimed page for
// direct access (physmem.ts isPlainRamPage), so every access comes here.
//
// Pages nobody claims, above RAM, behave like an unterminated PC bus: reads
// return all ones and writes are dropped, which is what a guest probing for
// absent hardware sees.

import { MMIO_MAP, MMIO_MAP_SIZE } from './layout';
import {
  DEV_NONE, DEV_ROM, DEV_SHADOW, DEV_LAPIC, DEV_IOAPIC, DEV_VGA, DEV_VBE,
} from './device-ids';
import { lapicRead, lapicWrite } from '../devices/lapic';
import { ioapicRead, ioapicWrite } from '../devices/ioapic';
import { romRead, shadowRead, shadowWrite } from './firmware';
import { tlbFlushAll } from '../cpu/paging';
import { invalidateFetch } from '../cpu/memory';
import { vgaMmioRead, vgaMmioWrite } from '../devices/vga';
import { vbeMmioRead, vbeMmioWrite } from '../devices/vbe';

const PAGE_SHIFT: u32 = 12;

@inline export function mmioOwner(phys: u32): u32 {
  return <u32>load<u8>(MMIO_MAP + (phys >>> PAGE_SHIFT));
}

/** True when `phys` belongs to a memory-mapped device rather than RAM. */
@inline export function isMmio(phys: u32): bool {
  return mmioOwner(phys) != DEV_NONE;
}

/**
 * Claim the pages covering [base, base + size) for `device` (DEV_NONE
 * releases them). Flushes the TLB: a page may change between RAM and device.
 */
export function registerMmio(base: u32, size: u32, device: u32): void {
  if (size == 0) return;
  const first = base >>> PAGE_SHIFT;
  const last = <u32>((<u64>base + <u64>size - 1) >>> PAGE_SHIFT);
  for (let p = first; p <= last; p++) store<u8>(MMIO_MAP + p, <u8>device);
  tlbFlushAll(false);
  invalidateFetch();
}

/** Forget every claim (before the machine is built again). */
export function clearMmioMap(): void {
  memory.fill(MMIO_MAP, 0, MMIO_MAP_SIZE);
}

@inline function openBus(size: u32): u32 {
  return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
}

/** Read `size` (1, 2, 4) bytes at `phys`; the access does not cross a page. */
export function mmioRead(phys: u32, size: u32): u32 {
  switch (mmioOwner(phys)) {
    case DEV_ROM:
      return romRead(phys, size);
    case DEV_SHADOW:
      return shadowRead(phys, size);
    case DEV_LAPIC:
      return lapicRead(phys, size);
    case DEV_IOAPIC:
      return ioapicRead(phys, size);
    case DEV_VGA:
      return vgaMmioRead(phys, size);
    case DEV_VBE:
      return vbeMmioRead(phys, size);
    default:
      return openBus(size);
  }
}

export function mmioWrite(phys: u32, v: u32, size: u32): void {
  switch (mmioOwner(phys)) {
    case DEV_SHADOW:
      shadowWrite(phys, v, size);
      return;
    case DEV_LAPIC:
      lapicWrite(phys, v, size);
      return;
    case DEV_IOAPIC:
      ioapicWrite(phys, v, size);
      return;
    case DEV_VGA:
      vgaMmioWrite(phys, v, size);
      return;
    case DEV_VBE:
      vbeMmioWrite(phys, v, size);
      return;
    default:
      return;
  }
}
