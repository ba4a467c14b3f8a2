// Memory-mapped I/O for guest-physical addresses that are not plain RAM.
//
// The foundation machine has no memory-mapped devices yet (the PC platform
// issue adds VGA, the APICs, PCI BARs and firmware ROM here). Addresses that
// nobody claims behave like an unterminated PC bus: reads return all ones and
// writes are dropped, which is what a guest probing for absent hardware sees.

/** True when `phys` belongs to a memory-mapped device rather than RAM. */
@inline export function isMmio(phys: u32): bool {
  return false;
}

export function mmioRead(phys: u32, size: u32): u32 {
  return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
}

export function mmioWrite(phys: u32, v: u32, size: u32): void {}
