// Linear → physical translation: the software TLB and the page walker
// (SDM Vol. 3A ch. 4: 32-bit paging with PSE, PAE paging with NX).
//
// TLB entry for linear page n, at TLB + 4n (one i32):
//   bits 31..12  delta: for RAM pages, wasm address = linear + delta
//                (delta = RAM_BASE + physPage - linearPage); for slow pages
//                (MMIO, open bus) physical = linear + delta
//   bits 11..0   TLB_* flags below
// The fast path of an access is one load, one mask-and-compare and the access
// itself: (entry & mask) == TLB_VALID, where the mask holds the bits that
// forbid this kind of access. Anything else (miss, A/D bit to set, fault, MMIO)
// takes the slow path, which walks the tables again, so the TLB can never
// grant more than the page tables do.

import { CPU_STATE, TLB, TLB_ENTRIES, TLB_VALID_LIST, TLB_VALID_LIST_MAX, RAM_BASE } from '../machine/layout';
import { physRead32, physWrite32, isPlainRamPage, directPage } from '../machine/physmem';
import { cr0, cr3, cr4, efer, OFF_CR2, OFF_A20_MASK, CR0_PG, CR0_WP, CR4_PSE, CR4_PAE, CR4_PGE, EFER_NXE, markDecoderStale } from './state';
import { raiseFaultWithCode, EXC_PF, PF_P, PF_W, PF_U, PF_RSVD, PF_I } from './fault';
import { count, STAT_PAGE_WALKS, STAT_TLB_FLUSHES, STAT_TLB_PAGE_FLUSHES } from '../generated/stats';
import { dataBreakpointsArmed, dataBreakpointOnPage } from './debug';
import { isCodePage } from '../jit/code-pages';

export const TLB_VALID: u32 = 1 << 0;
export const TLB_NO_USER_READ: u32 = 1 << 1; // supervisor-only page
export const TLB_NO_USER_WRITE: u32 = 1 << 2; // user may not write (or D not yet set)
export const TLB_NO_SUPER_WRITE: u32 = 1 << 3; // supervisor may not write (WP, or D not yet set)
export const TLB_NO_EXEC: u32 = 1 << 4; // NX
export const TLB_SLOW: u32 = 1 << 5; // not plain RAM: every access takes the slow path
export const TLB_GLOBAL: u32 = 1 << 6; // survives CR3 reloads (CR4.PGE)
export const TLB_CODE: u32 = 1 << 7; // page holds JIT code: writes take the slow path (JIT issue)
export const TLB_FLAGS: u32 = 0xfff;

/** Kinds of access, for permission checks and #PF error codes. */
export const ACCESS_READ: u32 = 0;
export const ACCESS_WRITE: u32 = 1;
export const ACCESS_EXEC: u32 = 2;

let validCount: u32 = 0;
let validOverflow: bool = false;

/** Bumped on every flush, so cached translations (instruction fetch) notice. */
export let tlbGeneration: u32 = 0;

@inline export function tlbEntry(lin: u32): u32 {
  return load<u32>(TLB + ((lin >>> 12) << 2));
}

/** Mask of entry bits that forbid a data read at the current privilege. */
@inline export function readMask(user: bool): u32 {
  return TLB_VALID | TLB_SLOW | (user ? TLB_NO_USER_READ : 0);
}
@inline export function writeMask(user: bool): u32 {
  return TLB_VALID | TLB_SLOW | TLB_CODE | (user ? TLB_NO_USER_READ | TLB_NO_USER_WRITE : TLB_NO_SUPER_WRITE);
}

/** Flush every entry (MOV CR3 without PGE, CR0/CR4 paging changes). */
export function tlbFlushAll(keepGlobal: bool): void {
  tlbGeneration++;
  markDecoderStale();
  count(STAT_TLB_FLUSHES);
  if (validOverflow) {
    memory.fill(TLB, 0, TLB_ENTRIES << 2);
    validOverflow = false;
    validCount = 0;
    return;
  }
  let kept: u32 = 0;
  for (let i: u32 = 0; i < validCount; i++) {
    const page = load<u32>(TLB_VALID_LIST + (i << 2));
    const addr = TLB + (page << 2);
    if (keepGlobal && (load<u32>(addr) & TLB_GLOBAL) != 0) {
      store<u32>(TLB_VALID_LIST + (kept << 2), page);
      kept++;
    } else {
      store<u32>(addr, 0);
    }
  }
  validCount = kept;
}

/** INVLPG: forget one linear page, global or not. */
export function tlbFlushPage(lin: u32): void {
  tlbGeneration++;
  markDecoderStale();
  count(STAT_TLB_PAGE_FLUSHES);
  store<u32>(TLB + ((lin >>> 12) << 2), 0);
}

/**
 * The JIT compiled code from guest-physical page `page`: make every TLB entry
 * that maps it refuse fast-path writes (TLB_CODE), so they reach the slow
 * path and invalidate the code (jit/cache.ts). Entries filled later get the
 * bit in fill().
 */
export function tlbMarkCodePage(page: u32): void {
  setCodeBit(page, TLB_CODE);
}
/**
 * The page's code was invalidated: its entries take fast-path writes again.
 * Without this, a page whose code was dropped stays slow for every write until
 * the next TLB flush, and with paging off (or global pages) that never comes.
 */
export function tlbUnmarkCodePage(page: u32): void {
  setCodeBit(page, 0);
}
function setCodeBit(page: u32, bit: u32): void {
  const host = RAM_BASE + (page << 12);
  if (validOverflow) {
    for (let i: u32 = 0; i < TLB_ENTRIES; i++) setCodeBitIfMaps(i, host, bit);
    return;
  }
  for (let i: u32 = 0; i < validCount; i++) setCodeBitIfMaps(load<u32>(TLB_VALID_LIST + (i << 2)), host, bit);
}
@inline function setCodeBitIfMaps(linPage: u32, host: u32, bit: u32): void {
  const addr = TLB + (linPage << 2);
  const e = load<u32>(addr);
  if ((e & TLB_VALID) != 0 && (e & TLB_SLOW) == 0 && (linPage << 12) + (e & 0xfffff000) == host) store<u32>(addr, (e & ~TLB_CODE) | bit);
}

function tlbSet(lin: u32, entry: u32): void {
  const page = lin >>> 12;
  const addr = TLB + (page << 2);
  if (load<u32>(addr) == 0) {
    if (validCount < TLB_VALID_LIST_MAX) {
      store<u32>(TLB_VALID_LIST + (validCount << 2), page);
      validCount++;
    } else {
      validOverflow = true;
    }
  }
  store<u32>(addr, entry);
}

/** Physical address of the last successful translate(). */
export let translatedPhys: u32 = 0;

@inline function a20(phys: u32): u32 {
  return phys & load<u32>(CPU_STATE + OFF_A20_MASK);
}

function pageFault(lin: u32, code: u32): void {
  store<u32>(CPU_STATE + OFF_CR2, lin);
  raiseFaultWithCode(EXC_PF, code);
}

/**
 * Translate `lin` for an access of `kind` at user (`user`) or supervisor
 * privilege, walking the page tables, setting accessed/dirty bits and filling
 * the TLB. On success returns true with the physical address in
 * `translatedPhys`; on failure raises #PF (CR2 = lin) and returns false.
 */
export function translate(lin: u32, kind: u32, user: bool): bool {
  const c0 = cr0();
  if ((c0 & CR0_PG) == 0) {
    const phys = a20(lin);
    translatedPhys = phys;
    fill(lin, phys, true, true, false, true, false);
    return true;
  }
  count(STAT_PAGE_WALKS);
  const write = kind == ACCESS_WRITE;
  const c4 = cr4();
  const wp = (c0 & CR0_WP) != 0;
  let errBase: u32 = (write ? PF_W : 0) | (user ? PF_U : 0);
  let phys: u32;
  let allowUser: bool;
  let allowWrite: bool;
  let nx: bool = false;
  let global: bool;
  let dirty: bool;
  if ((c4 & CR4_PAE) == 0) {
    // 32-bit paging: PDE at CR3[31:12] | lin[31:22] × 4.
    const pdeAddr = a20((cr3() & 0xfffff000) | ((lin >>> 20) & 0xffc));
    let pde = physRead32(pdeAddr);
    if ((pde & 1) == 0) {
      pageFault(lin, errBase);
      return false;
    }
    if ((pde & 0x80) != 0 && (c4 & CR4_PSE) != 0) {
      // 4 MiB page. Bits 21..13 would be PSE-36 address bits, which this CPU
      // does not implement: they are reserved (SDM Vol. 3A §4.3, Table 4-5).
      if ((pde & 0x003fe000) != 0) {
        pageFault(lin, errBase | PF_P | PF_RSVD);
        return false;
      }
      allowUser = (pde & 4) != 0;
      allowWrite = (pde & 2) != 0;
      if (!checkAccess(lin, kind, user, allowUser, allowWrite, false, wp, errBase)) return false;
      dirty = (pde & 0x40) != 0;
      const newPde = pde | 0x20 | (write ? 0x40 : 0);
      if (newPde != pde) physWrite32(pdeAddr, newPde);
      dirty = dirty || write;
      global = (pde & 0x100) != 0 && (c4 & CR4_PGE) != 0;
      phys = (pde & 0xffc00000) | (lin & 0x003ff000);
    } else {
      const pteAddr = a20((pde & 0xfffff000) | ((lin >>> 10) & 0xffc));
      const pte = physRead32(pteAddr);
      if ((pte & 1) == 0) {
        pageFault(lin, errBase);
        return false;
      }
      allowUser = (pde & pte & 4) != 0;
      allowWrite = (pde & pte & 2) != 0;
      if (!checkAccess(lin, kind, user, allowUser, allowWrite, false, wp, errBase)) return false;
      if ((pde & 0x20) == 0) physWrite32(pdeAddr, pde | 0x20);
      dirty = (pte & 0x40) != 0;
      const newPte = pte | 0x20 | (write ? 0x40 : 0);
      if (newPte != pte) physWrite32(pteAddr, newPte);
      dirty = dirty || write;
      global = (pte & 0x100) != 0 && (c4 & CR4_PGE) != 0;
      phys = pte & 0xfffff000;
    }
  } else {
    // PAE paging: 4 PDPTEs at CR3[31:5], 64-bit PDEs and PTEs (SDM Vol. 3A §4.4).
    const nxe = (efer() & EFER_NXE) != 0;
    if (kind == ACCESS_EXEC && nxe) errBase |= PF_I;
    // This CPU's physical address width (MAXPHYADDR) is 32 bits: guest RAM
    // ends below 4 GiB, so address bits 63:32 of an entry are reserved
    // (except bit 63, XD, when EFER.NXE is set).
    const hiReserved: u32 = nxe ? 0x7fffffff : 0xffffffff;
    const pdpteAddr = a20((cr3() & 0xffffffe0) + ((lin >>> 27) & 0x18));
    const pdpteLo = physRead32(pdpteAddr);
    const pdpteHi = physRead32(pdpteAddr + 4);
    if ((pdpteLo & 1) == 0) {
      pageFault(lin, errBase);
      return false;
    }
    if ((pdpteLo & 0x1e6) != 0 || pdpteHi != 0) {
      pageFault(lin, errBase | PF_P | PF_RSVD);
      return false;
    }
    const pdeAddr = a20((pdpteLo & 0xfffff000) + ((lin >>> 18) & 0xff8));
    const pdeLo = physRead32(pdeAddr);
    const pdeHi = physRead32(pdeAddr + 4);
    if ((pdeLo & 1) == 0) {
      pageFault(lin, errBase);
      return false;
    }
    if ((pdeHi & hiReserved) != 0) {
      pageFault(lin, errBase | PF_P | PF_RSVD);
      return false;
    }
    if ((pdeLo & 0x80) != 0) {
      // 2 MiB page; bits 20:13 reserved.
      if ((pdeLo & 0x001fe000) != 0) {
        pageFault(lin, errBase | PF_P | PF_RSVD);
        return false;
      }
      allowUser = (pdeLo & 4) != 0;
      allowWrite = (pdeLo & 2) != 0;
      nx = nxe && (pdeHi & 0x80000000) != 0;
      if (!checkAccess(lin, kind, user, allowUser, allowWrite, nx, wp, errBase)) return false;
      dirty = (pdeLo & 0x40) != 0;
      const newPde = pdeLo | 0x20 | (write ? 0x40 : 0);
      if (newPde != pdeLo) physWrite32(pdeAddr, newPde);
      dirty = dirty || write;
      global = (pdeLo & 0x100) != 0 && (c4 & CR4_PGE) != 0;
      phys = (pdeLo & 0xffe00000) | (lin & 0x001ff000);
    } else {
      const pteAddr = a20((pdeLo & 0xfffff000) + ((lin >>> 9) & 0xff8));
      const pteLo = physRead32(pteAddr);
      const pteHi = physRead32(pteAddr + 4);
      if ((pteLo & 1) == 0) {
        pageFault(lin, errBase);
        return false;
      }
      if ((pteHi & hiReserved) != 0) {
        pageFault(lin, errBase | PF_P | PF_RSVD);
        return false;
      }
      allowUser = (pdeLo & pteLo & 4) != 0;
      allowWrite = (pdeLo & pteLo & 2) != 0;
      nx = nxe && ((pdeHi | pteHi) & 0x80000000) != 0;
      if (!checkAccess(lin, kind, user, allowUser, allowWrite, nx, wp, errBase)) return false;
      if ((pdeLo & 0x20) == 0) physWrite32(pdeAddr, pdeLo | 0x20);
      dirty = (pteLo & 0x40) != 0;
      const newPte = pteLo | 0x20 | (write ? 0x40 : 0);
      if (newPte != pteLo) physWrite32(pteAddr, newPte);
      dirty = dirty || write;
      global = (pteLo & 0x100) != 0 && (c4 & CR4_PGE) != 0;
      phys = pteLo & 0xfffff000;
    }
  }
  const physPage = a20(phys & 0xfffff000);
  translatedPhys = physPage | (lin & 0xfff);
  fill(lin, physPage, allowUser, allowWrite || !wp, !allowWrite, dirty, nx, global);
  return true;
}

/** Permission check of a walked translation; raises #PF (P=1) on violation. */
function checkAccess(lin: u32, kind: u32, user: bool, allowUser: bool, allowWrite: bool, nx: bool, wp: bool, errBase: u32): bool {
  let ok = true;
  if (user && !allowUser) ok = false;
  else if (kind == ACCESS_WRITE && !allowWrite && (user || wp)) ok = false;
  else if (kind == ACCESS_EXEC && nx) ok = false;
  if (!ok) pageFault(lin, errBase | PF_P);
  return ok;
}

/**
 * Fill the TLB entry for `lin`. `superWrite`: supervisor may write;
 * `userReadOnly`: the page is read-only for user code; `dirty`: D is set, so
 * writes need no walk.
 */
function fill(lin: u32, physPage: u32, allowUser: bool, superWrite: bool, userReadOnly: bool, dirty: bool, nx: bool, global: bool = false): void {
  let flags: u32 = TLB_VALID;
  if (!allowUser) flags |= TLB_NO_USER_READ | TLB_NO_USER_WRITE;
  if (userReadOnly || !dirty) flags |= TLB_NO_USER_WRITE;
  if (!superWrite || !dirty) flags |= TLB_NO_SUPER_WRITE;
  if (nx) flags |= TLB_NO_EXEC;
  if (global) flags |= TLB_GLOBAL;
  const linPage = lin & 0xfffff000;
  let delta: u32;
  physPage &= 0xfffff000;
  // A page holding an armed data breakpoint is slow so every access reaches the check (debug.ts).
  const breakpoint = dataBreakpointsArmed && dataBreakpointOnPage(linPage);
  if (isPlainRamPage(physPage) && !breakpoint) {
    delta = RAM_BASE + physPage - linPage;
    // Compiled code came from this page: writes take the slow path, which invalidates it.
    if (isCodePage(physPage >>> 12)) flags |= TLB_CODE;
  } else {
    // Framebuffer memory (physmem.ts directPage): reads go straight to it; writes too once the device allows (bit 0).
    const direct = breakpoint ? 0 : directPage(physPage);
    if (direct != 0) {
      delta = (direct & 0xfffff000) - linPage;
      if ((direct & 1) == 0) flags |= TLB_NO_USER_WRITE | TLB_NO_SUPER_WRITE;
    } else {
      flags |= TLB_SLOW;
      delta = physPage - linPage;
    }
  }
  tlbSet(lin, (delta & 0xfffff000) | flags);
}
