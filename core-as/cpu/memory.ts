// Guest memory accesses as instructions make them: segment checks
// (SDM Vol. 3A §5.3), then linear → physical through the TLB (paging.ts).
//
// Every function here may raise an exception; callers check `faulted`.
// Reads return 0 after a fault and writes do nothing, so a missed check can
// never corrupt state before the loop delivers the exception.

import { CPU_STATE, TLB } from '../machine/layout';
import { physRead8, physRead16, physRead32, physWrite8, physWrite16, physWrite32 } from '../machine/physmem';
import {
  SEG_SS, SEG_CS, SEG_RIGHT_READ, SEG_RIGHT_WRITE, segAddr, codeEpoch, markDecoderStale, SEG_BASE, SEG_LO, SEG_HI, SEG_VALID, cpl, cr0, CR0_AM, CR0_PG, OFF_EFLAGS, FLAG_AC,
} from './state';
import { faulted, raiseGP, raiseSS, raiseFaultWithCode, EXC_AC } from './fault';
import {
  TLB_VALID, TLB_SLOW, TLB_NO_EXEC, readMask, writeMask, translate, translatedPhys, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC, tlbGeneration,
} from './paging';
import { dataBreakpointsArmed, noteDataAccess } from './debug';

export { SEG_RIGHT_READ, SEG_RIGHT_WRITE };

// ---------- linear accesses ----------

@inline function entryFor(lin: u32): u32 {
  return load<u32>(TLB + ((lin >>> 12) << 2));
}

/** Alignment check (#AC): CR0.AM, EFLAGS.AC and CPL 3 (SDM Vol. 3A §6.15, interrupt 17). */
@inline function alignmentFault(lin: u32, size: u32): bool {
  if ((lin & (size - 1)) == 0 || size == 1) return false;
  if (cpl() != 3 || (cr0() & CR0_AM) == 0 || (load<u32>(CPU_STATE + OFF_EFLAGS) & FLAG_AC) == 0) return false;
  raiseFaultWithCode(EXC_AC, 0);
  return true;
}

function readSlow(lin: u32, size: u32, user: bool): u32 {
  if (alignmentFault(lin, size)) return 0;
  // Pages with a data breakpoint are TLB_SLOW while one is armed, so accesses to them land here.
  if (dataBreakpointsArmed) noteDataAccess(lin, size, false);
  if ((lin & 0xfff) + size > 0x1000) {
    // Crossing a page: both pages must translate before anything happens.
    let v: u32 = 0;
    for (let i: u32 = 0; i < size; i++) {
      v |= readLin8As(lin + i, user) << (i << 3);
      if (faulted) return 0;
    }
    return v;
  }
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID) {
    // Unaligned but inside one page: the entry already allows it.
    const host = lin + (e & 0xfffff000);
    return size == 2 ? <u32>load<u16>(host) : load<u32>(host);
  }
  if (!translate(lin, ACCESS_READ, user)) return 0;
  const phys = translatedPhys;
  return size == 1 ? physRead8(phys) : size == 2 ? physRead16(phys) : physRead32(phys);
}

function writeSlow(lin: u32, v: u32, size: u32, user: bool): void {
  if (alignmentFault(lin, size)) return;
  if (dataBreakpointsArmed) noteDataAccess(lin, size, true);
  if ((lin & 0xfff) + size > 0x1000) {
    // Probe every page first so a fault on the second page leaves memory unchanged.
    // A fault on the second page reports that page's first byte in CR2.
    const second = (lin + size - 1) & 0xfffff000;
    if (!translate(lin, ACCESS_WRITE, user)) return;
    const phys0 = translatedPhys;
    if (!translate(second, ACCESS_WRITE, user)) return;
    const phys1 = translatedPhys;
    const firstBytes: u32 = second - lin;
    for (let i: u32 = 0; i < size; i++) {
      const b = (v >>> (i << 3)) & 0xff;
      if (i < firstBytes) physWrite8(phys0 + i, b);
      else physWrite8(phys1 + (i - firstBytes), b);
    }
    return;
  }
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID) {
    const host = lin + (e & 0xfffff000);
    if (size == 2) store<u16>(host, <u16>v);
    else store<u32>(host, v);
    return;
  }
  if (!translate(lin, ACCESS_WRITE, user)) return;
  const phys = translatedPhys;
  if (size == 1) physWrite8(phys, v);
  else if (size == 2) physWrite16(phys, v);
  else physWrite32(phys, v);
}

export function readLin8As(lin: u32, user: bool): u32 {
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID) return <u32>load<u8>(lin + (e & 0xfffff000));
  return readSlow(lin, 1, user);
}
export function readLin16As(lin: u32, user: bool): u32 {
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffe && (lin & 1) == 0) return <u32>load<u16>(lin + (e & 0xfffff000));
  return readSlow(lin, 2, user);
}
export function readLin32As(lin: u32, user: bool): u32 {
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffc && (lin & 3) == 0) return load<u32>(lin + (e & 0xfffff000));
  return readSlow(lin, 4, user);
}
export function writeLin8As(lin: u32, v: u32, user: bool): void {
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID) store<u8>(lin + (e & 0xfffff000), <u8>v);
  else writeSlow(lin, v, 1, user);
}
export function writeLin16As(lin: u32, v: u32, user: bool): void {
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffe && (lin & 1) == 0) store<u16>(lin + (e & 0xfffff000), <u16>v);
  else writeSlow(lin, v, 2, user);
}
export function writeLin32As(lin: u32, v: u32, user: bool): void {
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffc && (lin & 3) == 0) store<u32>(lin + (e & 0xfffff000), v);
  else writeSlow(lin, v, 4, user);
}

// Accesses at the current privilege level.
@inline export function readLin8(lin: u32): u32 {
  return readLin8As(lin, cpl() == 3);
}
@inline export function readLin16(lin: u32): u32 {
  return readLin16As(lin, cpl() == 3);
}
@inline export function readLin32(lin: u32): u32 {
  return readLin32As(lin, cpl() == 3);
}
@inline export function writeLin8(lin: u32, v: u32): void {
  writeLin8As(lin, v, cpl() == 3);
}
@inline export function writeLin16(lin: u32, v: u32): void {
  writeLin16As(lin, v, cpl() == 3);
}
@inline export function writeLin32(lin: u32, v: u32): void {
  writeLin32As(lin, v, cpl() == 3);
}

// Implicit supervisor accesses (descriptor tables, TSS, IDT: SDM Vol. 3A §4.6).
@inline export function readSys8(lin: u32): u32 {
  return readLin8As(lin, false);
}
@inline export function readSys16(lin: u32): u32 {
  return readLin16As(lin, false);
}
@inline export function readSys32(lin: u32): u32 {
  return readLin32As(lin, false);
}
@inline export function writeSys8(lin: u32, v: u32): void {
  writeLin8As(lin, v, false);
}
@inline export function writeSys16(lin: u32, v: u32): void {
  writeLin16As(lin, v, false);
}
@inline export function writeSys32(lin: u32, v: u32): void {
  writeLin32As(lin, v, false);
}

/**
 * Check that a write of `size` bytes at `lin` would succeed, without writing
 * (instructions with several writes probe first so they stay restartable).
 */
export function probeWrite(lin: u32, size: u32): bool {
  const user = cpl() == 3;
  if ((entryFor(lin) & writeMask(user)) == TLB_VALID && (lin & 0xfff) <= 0x1000 - size && (lin & (size - 1)) == 0) return true;
  if (alignmentFault(lin, size)) return false;
  if (!translate(lin, ACCESS_WRITE, user)) return false;
  if ((lin & 0xfff) + size > 0x1000 && !translate((lin + size - 1) & 0xfffff000, ACCESS_WRITE, user)) return false;
  return true;
}

// ---------- segmented accesses ----------

/** #GP(0), or #SS(0) for the stack segment: what a limit or rights violation raises. */
function segmentFault(seg: u32): void {
  if (seg == SEG_SS) raiseSS(0);
  else raiseGP(0);
}

/**
 * Linear address of `size` bytes at seg:off, or raise #GP/#SS when the
 * offset is outside the segment's window or the segment lacks any of `right`.
 * Returns 0 after a fault (callers check `faulted`).
 */
@inline export function segLinear(seg: u32, off: u32, size: u32, right: u32): u32 {
  const a = segAddr(seg);
  const lo = load<u32>(a + SEG_LO);
  const hi = load<u32>(a + SEG_HI);
  // `right` may combine READ and WRITE (read-modify-write): the segment must grant all of them.
  if (off < lo || off > hi || hi - off < size - 1 || (load<u32>(a + SEG_VALID) & right) != right) {
    segmentFault(seg);
    return 0;
  }
  return load<u32>(a + SEG_BASE) + off;
}

// The segmented accesses inline the TLB fast path of readLin*/writeLin*
// (same test, same fallback), so a hit costs no further call.
@inline export function readMem8(seg: u32, off: u32): u32 {
  const lin = segLinear(seg, off, 1, SEG_RIGHT_READ);
  if (faulted) return 0;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID) return <u32>load<u8>(lin + (e & 0xfffff000));
  return readSlow(lin, 1, user);
}
@inline export function readMem16(seg: u32, off: u32): u32 {
  const lin = segLinear(seg, off, 2, SEG_RIGHT_READ);
  if (faulted) return 0;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffe && (lin & 1) == 0) return <u32>load<u16>(lin + (e & 0xfffff000));
  return readSlow(lin, 2, user);
}
@inline export function readMem32(seg: u32, off: u32): u32 {
  const lin = segLinear(seg, off, 4, SEG_RIGHT_READ);
  if (faulted) return 0;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & readMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffc && (lin & 3) == 0) return load<u32>(lin + (e & 0xfffff000));
  return readSlow(lin, 4, user);
}
@inline export function writeMem8(seg: u32, off: u32, v: u32): void {
  const lin = segLinear(seg, off, 1, SEG_RIGHT_WRITE);
  if (faulted) return;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID) store<u8>(lin + (e & 0xfffff000), <u8>v);
  else writeSlow(lin, v, 1, user);
}
@inline export function writeMem16(seg: u32, off: u32, v: u32): void {
  const lin = segLinear(seg, off, 2, SEG_RIGHT_WRITE);
  if (faulted) return;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffe && (lin & 1) == 0) store<u16>(lin + (e & 0xfffff000), <u16>v);
  else writeSlow(lin, v, 2, user);
}
@inline export function writeMem32(seg: u32, off: u32, v: u32): void {
  const lin = segLinear(seg, off, 4, SEG_RIGHT_WRITE);
  if (faulted) return;
  const user = cpl() == 3;
  const e = entryFor(lin);
  if ((e & writeMask(user)) == TLB_VALID && (lin & 0xfff) <= 0xffc && (lin & 3) == 0) store<u32>(lin + (e & 0xfffff000), v);
  else writeSlow(lin, v, 4, user);
}

/**
 * Read-modify-write, first half: check seg:off for reading and writing
 * (segment rights, page W and D bits) and read. On a TLB hit returns the
 * wasm address of the operand in `rmwHost` (else 0) so the write-back is
 * one store; the entry cannot change before the write-back (nothing in
 * between flushes or refills this page).
 */
export let rmwHost: u32 = 0;
export let rmwLinear: u32 = 0;
@inline export function readMemForWrite(seg: u32, off: u32, size: u32): u32 {
  const bytes = size >> 3;
  rmwHost = 0;
  const lin = segLinear(seg, off, bytes, SEG_RIGHT_WRITE | SEG_RIGHT_READ);
  if (faulted) return 0;
  const e = entryFor(lin);
  if ((e & writeMask(cpl() == 3)) == TLB_VALID && (lin & 0xfff) <= 0x1000 - bytes && (lin & (bytes - 1)) == 0) {
    const host = lin + (e & 0xfffff000);
    rmwHost = host;
    return size == 32 ? load<u32>(host) : size == 16 ? <u32>load<u16>(host) : <u32>load<u8>(host);
  }
  return readMemForWriteSlow(lin, size);
}
function readMemForWriteSlow(lin: u32, size: u32): u32 {
  const bytes = size >> 3;
  if (!probeWrite(lin, bytes)) return 0;
  rmwLinear = lin;
  return size == 32 ? readLin32(lin) : size == 16 ? readLin16(lin) : readLin8(lin);
}
/** Read-modify-write, second half: cannot fault (readMemForWrite checked). */
@inline export function writeMemBack(v: u32, size: u32): void {
  const host = rmwHost;
  if (host != 0) {
    if (size == 32) store<u32>(host, v);
    else if (size == 16) store<u16>(host, <u16>v);
    else store<u8>(host, <u8>v);
    return;
  }
  if (size == 32) writeLin32(rmwLinear, v);
  else if (size == 16) writeLin16(rmwLinear, v);
  else writeLin8(rmwLinear, v);
}
export function readMemSized(seg: u32, off: u32, size: u32): u32 {
  return size == 32 ? readMem32(seg, off) : size == 16 ? readMem16(seg, off) : readMem8(seg, off);
}
@inline export function writeMemSized(seg: u32, off: u32, v: u32, size: u32): void {
  if (size == 32) writeMem32(seg, off, v);
  else if (size == 16) writeMem16(seg, off, v);
  else writeMem8(seg, off, v);
}
/** Check seg:off can be written (limit, rights, paging) without writing. */
export function probeWriteMem(seg: u32, off: u32, size: u32): bool {
  const lin = segLinear(seg, off, size, SEG_RIGHT_WRITE);
  if (faulted) return false;
  return probeWrite(lin, size);
}

// ---------- instruction fetch ----------

// The fetcher caches one window of CS offsets [fetchStart, fetchStart + fetchSpan]
// that lies in one plain-RAM page and inside the CS limit, with
// wasm address = offset + fetchDelta. It is valid while the TLB generation and
// the code epoch (CS cache, CPL) are those it was filled under, so the fast path
// is one subtraction and three compares.
export let fetchStart: u32 = 0;
export let fetchSpan: u32 = 0;
export let fetchDelta: u32 = 0;
let fetchGeneration: u32 = 0xffffffff;
let fetchEpoch: u32 = 0xffffffff;

/** Whether the cached fetch window is still valid (same TLB generation, CS cache and CPL). */
@inline export function fetchWindowValid(): bool {
  return fetchGeneration == tlbGeneration && fetchEpoch == codeEpoch;
}

/** Forget the cached fetch window (the host changed state behind the core's back). */
export function invalidateFetch(): void {
  fetchGeneration = 0xffffffff;
  markDecoderStale(); // the decoder holds a copy of this window
}

/** Read the code byte at CS:off, with the CS limit check; #GP(0)/#PF on failure. */
@inline export function fetchCode8(off: u32): u32 {
  if (off - fetchStart <= fetchSpan && fetchGeneration == tlbGeneration && fetchEpoch == codeEpoch) {
    return <u32>load<u8>(off + fetchDelta);
  }
  return fetchSlow(off);
}

function fetchSlow(off: u32): u32 {
  const a = segAddr(SEG_CS);
  const limit = load<u32>(a + SEG_HI);
  if (off > limit) {
    raiseGP(0);
    return 0;
  }
  const base = load<u32>(a + SEG_BASE);
  const lin = base + off;
  const user = cpl() == 3;
  let e = entryFor(lin);
  // A TLB hit needs no page walk: the walk that filled the entry set the
  // accessed bits, and the entry records U/S and NX (readMask, TLB_NO_EXEC),
  // so it grants exactly the fetches translate() would. INVLPG, CR3, CR0 and
  // CR4 writes flush it as they flush data translations (SDM Vol. 3A §4.10.2,
  // §4.10.4). Anything else (a miss, MMIO, a fault to raise) walks.
  if ((e & (readMask(user) | TLB_NO_EXEC)) != TLB_VALID) {
    if (!translate(lin, ACCESS_EXEC, user)) return 0;
    e = entryFor(lin);
    if ((e & (TLB_VALID | TLB_SLOW)) != TLB_VALID) return physRead8(translatedPhys);
  }
  // Plain RAM: cache the rest of this page (up to the CS limit) for the following fetches.
  setFetchWindow(off, lin, base, limit, e);
  return <u32>load<u8>(lin + (e & 0xfffff000));
}

/**
 * For the JIT's dispatcher: point the fetch window at CS:`off` when that is
 * inside the CS limit and its page is in the TLB as plain RAM this CPL may
 * execute. No page walk and no fault: on a miss (or a fault to come) returns
 * false and leaves the interpreter's fetch to walk and fault.
 */
export function fetchWindowTry(off: u32): bool {
  const a = segAddr(SEG_CS);
  const limit = load<u32>(a + SEG_HI);
  if (off > limit) return false;
  const base = load<u32>(a + SEG_BASE);
  const lin = base + off;
  const e = entryFor(lin);
  // readMask: valid, plain RAM, and user-readable at CPL 3; TLB_NO_EXEC: NX.
  if ((e & (readMask(cpl() == 3) | TLB_NO_EXEC)) != TLB_VALID) return false;
  setFetchWindow(off, lin, base, limit, e);
  return true;
}

/**
 * fetchWindowTry, filling a TLB miss first when paging is off (no walk, no
 * accessed bits, no fault: the interpreter's fetch would fill the same
 * entry). So compiled code can run from the first instruction after the
 * host set EIP, as the JIT's runs of the CPU test suites need.
 */
export function fetchWindowTryFill(off: u32): bool {
  if (fetchWindowTry(off)) return true;
  if ((cr0() & CR0_PG) != 0) return false;
  const a = segAddr(SEG_CS);
  if (off > load<u32>(a + SEG_HI)) return false;
  translate(load<u32>(a + SEG_BASE) + off, ACCESS_EXEC, cpl() == 3);
  return fetchWindowTry(off);
}

/** The fetch window for the page of linear `lin` (CS offset `off`), whose TLB entry `e` is plain RAM. */
function setFetchWindow(off: u32, lin: u32, base: u32, limit: u32, e: u32): void {
  const pageEnd: u32 = (lin | 0xfff) - base; // CS offset of the page's last byte
  fetchStart = off - (lin & 0xfff);
  if (pageEnd < off) {
    // The segment wraps around 4 GiB inside this page: cache from `off` only.
    fetchStart = off;
  }
  const end: u32 = pageEnd >= off && pageEnd < limit ? pageEnd : limit;
  fetchSpan = end - fetchStart;
  if (fetchStart > off || end < off) {
    fetchStart = off;
    fetchSpan = 0;
  }
  fetchDelta = (lin - off) + (e & 0xfffff000);
  fetchGeneration = tlbGeneration;
  fetchEpoch = codeEpoch;
  markDecoderStale(); // the decoder holds a copy of this window
}
