// The physical code-page bitmap (DESIGN §5): one bit per 4 KiB guest-physical
// page that holds compiled code. Pages with the bit set are mapped without
// write permission in the TLB (paging.ts TLB_CODE), so every CPU write to
// them, like every device write, reaches the slow path, which invalidates
// the page's blocks (jit/cache.ts jitInvalidatePage).

import { CODE_BITMAP } from '../machine/layout';

/** Bit 0 of the byte for page `page` (physical address >> 12). */
@inline export function isCodePage(page: u32): bool {
  return ((<u32>load<u8>(CODE_BITMAP + (page >>> 3)) >>> (page & 7)) & 1) != 0;
}
export function setCodePage(page: u32): void {
  const a = CODE_BITMAP + (page >>> 3);
  store<u8>(a, <u8>(<u32>load<u8>(a) | (<u32>1 << (page & 7))));
}
export function clearCodePage(page: u32): void {
  const a = CODE_BITMAP + (page >>> 3);
  store<u8>(a, <u8>(<u32>load<u8>(a) & ~(<u32>1 << (page & 7))));
}
