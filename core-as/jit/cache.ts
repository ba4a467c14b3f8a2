// The JIT's dispatcher side (DESIGN §5): the block cache, hotness counting,
// compiling regions through the host, running compiled code, invalidation.
//
// A block is keyed by the wasm address of its first byte (guest-physical +
// RAM_BASE: the cache is physical, so one page mapped at two linear
// addresses, or reached with another CS base, is one page for invalidation),
// its EIP (branch targets are compiled in) and the mode bits that change the
// translation (CS.D, SS.B, CPL, flat CS/DS/ES/SS: MODE_FLAT). The cache is direct-mapped: JIT_BLOCK_COUNT
// entries of JIT_BLOCK_SIZE bytes at JIT_BLOCKS:
//   +0 wasm address  +4 EIP  +8 mode  +12 entry count (COUNT_NEVER: not compilable)
//   +16 table slot | block index in its region << SLOT_INDEX_SHIFT (slot 0: not compiled)
//   +20 instructions one pass may run  +24 physical page
//   +28 misses: lookups of other code since (a compiled entry yields after `threshold` of them)
// A hot entry is compiled with the blocks reachable from it in its page
// into one module (a region, jit/translate.ts); every block of the region
// gets a cache entry (where that does not displace other compiled code)
// naming the module's table slot and its block index. A slot is counted
// by the entries naming it (slotRefs); when the last is dropped (displaced
// from its cache entry, or invalidated) the slot is reused by the next
// compile, whose table.set releases the old module; when every slot is
// live the whole cache is dropped and slots are reused from the start.

import {
  CPU_STATE, RAM_BASE, JIT_BLOCKS, JIT_BLOCK_COUNT, JIT_BLOCK_SIZE, JIT_MODULE, JIT_PENDING, JIT_FREE_SLOTS, JIT_FREE_SLOTS_MAX,
} from '../machine/layout';
import {
  OFF_SEGS, SEG_SIZE, SEG_ATTR, SEG_BASE, SEG_LO, SEG_HI, SEG_VALID, SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_RIGHT_READ, SEG_RIGHT_WRITE,
  ATTR_DB, cpl,
} from '../cpu/state';
import { fetchStart, fetchSpan, fetchDelta, fetchWindowValid, fetchWindowTryFill } from '../cpu/memory';
import { getRamSize } from '../machine/physmem';
import { tlbMarkCodePage, tlbUnmarkCodePage } from '../cpu/paging';
import { translateRegion, blockLength, moduleLength, regionCount, regionEip, regionLength, MAX_BLOCK_INSTRUCTIONS } from './translate';
import { isCodePage, setCodePage, clearCodePage } from './code-pages';
import {
  count, countBy, STAT_JIT_COMPILES, STAT_JIT_INVALIDATIONS, STAT_JIT_INSTRUCTIONS, STAT_JIT_BLOCK_RUNS, STAT_JIT_MODULE_BYTES,
  STAT_JIT_CACHE_BLOCKS, STAT_JIT_EVICTIONS, STAT_JIT_BLOCKS,
} from '../generated/stats';

/**
 * Host: compile the module of `len` bytes at `ptr` and put its function in
 * table slot `slot` (host/jit-host.ts). Returns 1 on success.
 */
@external('env', 'jitCompile')
declare function hostCompile(ptr: u32, len: u32, slot: u32): u32;

const E_ADDR: u32 = 0;
const E_EIP: u32 = 4;
const E_MODE: u32 = 8;
const E_COUNT: u32 = 12;
const E_SLOT: u32 = 16;
const E_LENGTH: u32 = 20;
const E_PAGE: u32 = 24;
const E_MISSES: u32 = 28; // lookups of other code that hit this compiled block's entry
const COUNT_NEVER: u32 = 0xffffffff;
const SLOT_INDEX_SHIFT: u32 = 16;
const SLOT_MASK: u32 = 0xffff;

const MODE_CODE32: u32 = 1;
const MODE_STACK32: u32 = 2;
const MODE_CPL_SHIFT: u32 = 2;
const CPL_MASK: u32 = 3;
const USER_CPL: u32 = 3;
/**
 * CS, DS, ES and SS are flat: base 0, every offset 0..0xFFFFFFFF inside the
 * limit, DS/ES/SS readable and writable. The region then computes DS/ES/SS
 * addresses as lin = EA and checks no jump target against the CS limit
 * (translate.ts emitFastAddress, emitCsLimitCheck). Every instruction that
 * loads one of those segments (or changes the mode) is left to the
 * interpreter and ends the block, so the next entry computes the bit again.
 */
const MODE_FLAT: u32 = 1 << 4;

const SEGS: u32 = CPU_STATE + OFF_SEGS;
const CS_SEG: u32 = SEGS + SEG_CS * SEG_SIZE;
const DS_SEG: u32 = SEGS + SEG_DS * SEG_SIZE;
const ES_SEG: u32 = SEGS + SEG_ES * SEG_SIZE;
const SS_SEG: u32 = SEGS + SEG_SS * SEG_SIZE;
const DATA_RW: u32 = SEG_RIGHT_READ | SEG_RIGHT_WRITE;

/**
 * MODE_FLAT or 0, from the fields the inlined access checks read
 * (state.ts SEG_BASE/LO/HI/VALID, as memory.ts segLinear tests them): one
 * branch-free pass of loads, no flag to keep in step with every writer of
 * the segment state (the host and the tests write it directly too).
 * Measured (a block-entry loop with this computed 16 times per entry):
 * about 1.6 ns per entry, some 0.07 s of the ~40 M entries of a Linux boot.
 */
@inline function flatMode(): u32 {
  const zero =
    load<u32>(CS_SEG + SEG_BASE) | load<u32>(CS_SEG + SEG_LO) | load<u32>(DS_SEG + SEG_BASE) | load<u32>(DS_SEG + SEG_LO) |
    load<u32>(ES_SEG + SEG_BASE) | load<u32>(ES_SEG + SEG_LO) | load<u32>(SS_SEG + SEG_BASE) | load<u32>(SS_SEG + SEG_LO);
  const hi = load<u32>(CS_SEG + SEG_HI) & load<u32>(DS_SEG + SEG_HI) & load<u32>(ES_SEG + SEG_HI) & load<u32>(SS_SEG + SEG_HI);
  const rights = load<u32>(DS_SEG + SEG_VALID) & load<u32>(ES_SEG + SEG_VALID) & load<u32>(SS_SEG + SEG_VALID);
  return (zero | ~hi | ((rights & DATA_RW) ^ DATA_RW)) == 0 ? MODE_FLAT : 0;
}

/** Table slots for compiled blocks before the cache is dropped and slots reused. */
const MAX_SLOTS: u32 = 8192;
/** Entries before a block is compiled, until jitConfigure (the host passes host/core.ts DEFAULT_JIT_THRESHOLD). */
const DEFAULT_THRESHOLD: u32 = 10000;

export let jitEnabled: bool = false;
let threshold: u32 = DEFAULT_THRESHOLD;
/** First table index the host reserved for JIT functions. */
let tableBase: u32 = 0;
let nextSlot: u32 = 1;
let cachedBlocks: u32 = 0;
let freeSlots: u32 = 0;
/** Cache entries naming each table slot (u16 per slot; a recomputable cache, not machine state). */
const slotRefs: usize = memory.data(MAX_SLOTS << 1);

/** A cache entry gave up its table slot (E_SLOT value): the last one keeps the slot for the next compile. */
function releaseSlot(field: u32): void {
  const slot = field & SLOT_MASK;
  const a = slotRefs + (slot << 1);
  const refs = <u32>load<u16>(a);
  if (refs > 1) store<u16>(a, <u16>(refs - 1));
  else {
    store<u16>(a, 0);
    if (freeSlots < JIT_FREE_SLOTS_MAX) {
      store<u32>(JIT_FREE_SLOTS + (freeSlots << 2), slot);
      freeSlots++;
    }
  }
  cachedBlocks--;
}
/** The interpreter runs one instruction for a block (interp.ts interpretOne): no nested blocks. */
let nested: bool = false;
/** A write hit a page with compiled code since the block started: the block leaves after it. */
let codeWritten: bool = false;

/** Switch the JIT on or off; blocks are compiled after `hotness` entries (1: at once). */
export function jitConfigure(on: bool, hotness: u32, firstTableIndex: u32): void {
  jitEnabled = on;
  threshold = hotness == 0 ? 1 : hotness;
  tableBase = firstTableIndex;
  jitFlushAll();
}

export function setJitNested(on: bool): void {
  nested = on;
}
/** Whether a write since the block started hit compiled code (cleared by reading). */
export function takeCodeWritten(): bool {
  const w = codeWritten;
  codeWritten = false;
  return w;
}

/** Drop every block (the slots are reused; the host overwrites table entries as it compiles). */
export function jitFlushAll(): void {
  countedEntry = 0;
  memory.fill(JIT_BLOCKS, 0, JIT_BLOCK_COUNT * JIT_BLOCK_SIZE);
  memory.fill(slotRefs, 0, MAX_SLOTS << 1);
  nextSlot = 1;
  cachedBlocks = 0;
  freeSlots = 0;
  store<u64>(STAT_JIT_CACHE_BLOCKS, 0);
}

@inline function hashOf(addr: u32, eip: u32, mode: u32): u32 {
  let h = addr ^ (eip << 7) ^ (mode << 29);
  h ^= h >>> 13;
  h *= 0x9e3779b1;
  return (h >>> 18) & (JIT_BLOCK_COUNT - 1);
}

/**
 * The cache entry jitEnter last counted (JIT_COUNTED while counting towards
 * a compile), until the next jitEnter call; 0 when there is none.
 */
let countedEntry: u32 = 0;

/** Interpreted instructions per jitCreditEntry call: what one pass of a compiled block may run. */
export const CREDIT_INSTRUCTIONS: u32 = MAX_BLOCK_INSTRUCTIONS;
/**
 * The interpreter ran another MAX_BLOCK_INSTRUCTIONS instructions in a
 * straight line after the entry jitEnter last counted: count one more
 * entry for it. Hotness then measures work, not entries: a long unrolled
 * loop body (blake2s_compress: ~2,000 instructions between two lookups of
 * its head) is compiled after about as many interpreted instructions as a
 * short block is (threshold × MAX_BLOCK_INSTRUCTIONS), not after
 * `threshold` passes. The count stays below the threshold: the compile
 * itself happens at a lookup of the entry.
 */
export function jitCreditEntry(): void {
  const e = countedEntry;
  if (e == 0) return;
  const c = load<u32>(e + E_COUNT);
  if (c != COUNT_NEVER && c + 2 < threshold && (load<u32>(e + E_SLOT) & SLOT_MASK) == 0) store<u32>(e + E_COUNT, c + 1);
}

/** jitEnter: no block here yet (its entry was counted); the next instruction in sequence starts none. */
export const JIT_COUNTED: i32 = -1;
/** jitEnter: no block can run here (not compilable, not enterable now): the next instruction may start one. */
export const JIT_TRY_NEXT: i32 = -2;

/**
 * Run compiled code for the instruction at EIP `pc`, at most `budget`
 * instructions. Returns how many it completed (a fault may be pending:
 * the caller delivers it), or -1 when there is no block to run (interpret).
 */
export function jitEnter(pc: u32, budget: u32): i32 {
  countedEntry = 0;
  if (nested) return JIT_TRY_NEXT;
  // Only code in the fetch window: it lies in one plain-RAM page inside the
  // CS limit, with permissions checked (memory.ts). A jump to another page
  // moves the window here when the TLB already maps it; else the
  // interpreter's fetch walks the page tables (or faults), and the next
  // instruction may start a block. (Without paging the TLB entry is filled here: nothing to walk.)
  if ((pc - fetchStart > fetchSpan || !fetchWindowValid()) && !fetchWindowTryFill(pc)) return JIT_TRY_NEXT;
  // 16-bit code is interpreted (UNFINISHED): nothing to look up until the next control transfer.
  if ((load<u32>(CS_SEG + SEG_ATTR) & ATTR_DB) == 0) return JIT_COUNTED;
  const addr = pc + fetchDelta;
  const phys = addr - RAM_BASE;
  if (phys >= getRamSize()) return JIT_COUNTED;
  const mode = MODE_CODE32 | ((load<u32>(SS_SEG + SEG_ATTR) & ATTR_DB) != 0 ? MODE_STACK32 : 0) | (cpl() << MODE_CPL_SHIFT) | flatMode();
  const e = JIT_BLOCKS + hashOf(addr, pc, mode) * JIT_BLOCK_SIZE;
  if (load<u32>(e + E_ADDR) != addr || load<u32>(e + E_EIP) != pc || load<u32>(e + E_MODE) != mode) {
    const old = load<u32>(e + E_SLOT);
    if ((old & SLOT_MASK) != 0) {
      // A compiled block keeps its entry until other code has hit it as often
      // as a block must run to be compiled: a colder neighbour must not evict it.
      const misses = load<u32>(e + E_MISSES) + 1;
      if (misses < threshold) {
        store<u32>(e + E_MISSES, misses);
        return JIT_COUNTED;
      }
      count(STAT_JIT_EVICTIONS);
      releaseSlot(old);
      store<u64>(STAT_JIT_CACHE_BLOCKS, cachedBlocks);
    }
    store<u32>(e + E_ADDR, addr);
    store<u32>(e + E_EIP, pc);
    store<u32>(e + E_MODE, mode);
    store<u32>(e + E_COUNT, 0);
    store<u32>(e + E_SLOT, 0);
    store<u32>(e + E_LENGTH, 0);
    store<u32>(e + E_PAGE, phys >>> 12);
    store<u32>(e + E_MISSES, 0);
  }
  let slot = load<u32>(e + E_SLOT);
  if ((slot & SLOT_MASK) == 0) {
    const c = load<u32>(e + E_COUNT);
    if (c == COUNT_NEVER) return JIT_TRY_NEXT;
    if (c + 1 < threshold) {
      store<u32>(e + E_COUNT, c + 1);
      countedEntry = e;
      return JIT_COUNTED;
    }
    if (!compile(e, addr, pc, mode)) {
      store<u32>(e + E_COUNT, COUNT_NEVER);
      return JIT_TRY_NEXT;
    }
    slot = load<u32>(e + E_SLOT);
  }
  if (budget < load<u32>(e + E_LENGTH)) return JIT_TRY_NEXT;
  if (load<u32>(e + E_MISSES) != 0) store<u32>(e + E_MISSES, 0);
  codeWritten = false;
  count(STAT_JIT_BLOCK_RUNS);
  const n = call_indirect<i32>(tableBase + (slot & SLOT_MASK), <i32>budget, <i32>(slot >>> SLOT_INDEX_SHIFT));
  store<u32>(JIT_PENDING, 0);
  countBy(STAT_JIT_INSTRUCTIONS, <u64>n);
  return n;
}

/** The region being compiled: its mode and wasm address - EIP (for blockSeen). */
let compileMode: u32 = 0;
let compileDelta: u32 = 0;

/**
 * Whether the block at `eip` of the region being compiled has run (its
 * cache entry counted entries, or it is compiled): forward jump targets join
 * a region only then, so cold paths cost no compile time.
 */
export function blockSeen(eip: u32): bool {
  const a = eip + compileDelta;
  const f = JIT_BLOCKS + hashOf(a, eip, compileMode) * JIT_BLOCK_SIZE;
  if (load<u32>(f + E_ADDR) != a || load<u32>(f + E_EIP) != eip || load<u32>(f + E_MODE) != compileMode) return false;
  const c = load<u32>(f + E_COUNT);
  return (load<u32>(f + E_SLOT) & SLOT_MASK) != 0 || (c != 0 && c != COUNT_NEVER);
}

function compile(e: u32, addr: u32, pc: u32, mode: u32): bool {
  if (freeSlots == 0 && nextSlot >= MAX_SLOTS) {
    count(STAT_JIT_EVICTIONS);
    jitFlushAll();
    store<u32>(e + E_ADDR, addr);
    store<u32>(e + E_EIP, pc);
    store<u32>(e + E_MODE, mode);
    store<u32>(e + E_PAGE, (addr - RAM_BASE) >>> 12);
  }
  const lastByte = fetchStart + fetchSpan + fetchDelta;
  compileMode = mode;
  compileDelta = addr - pc;
  if (!translateRegion(addr, lastByte, pc, (mode & MODE_STACK32) != 0, ((mode >>> MODE_CPL_SHIFT) & CPL_MASK) == USER_CPL, (mode & MODE_FLAT) != 0, fetchStart, fetchSpan)) return false;
  const reuse = freeSlots > 0;
  const slot = reuse ? load<u32>(JIT_FREE_SLOTS + ((freeSlots - 1) << 2)) : nextSlot;
  if (hostCompile(JIT_MODULE, moduleLength, tableBase + slot) == 0) return false;
  if (reuse) freeSlots--;
  else nextSlot++;
  store<u32>(e + E_SLOT, slot);
  store<u32>(e + E_LENGTH, blockLength);
  store<u16>(slotRefs + (slot << 1), 1);
  const page = (addr - RAM_BASE) >>> 12;
  if (!isCodePage(page)) {
    setCodePage(page);
    tlbMarkCodePage(page);
  }
  cachedBlocks++;
  let blocks: u32 = 1;
  // The region's other blocks become entries too, where that displaces no compiled code.
  for (let i: u32 = 1; i < regionCount; i++) {
    const len = regionLength(i);
    if (len == 0) continue;
    blocks++;
    const eip = regionEip(i);
    const a = eip + (addr - pc);
    const f = JIT_BLOCKS + hashOf(a, eip, mode) * JIT_BLOCK_SIZE;
    if (f == e) continue;
    // Compiled code there (this block's own, or another's) stays.
    if ((load<u32>(f + E_SLOT) & SLOT_MASK) != 0) continue;
    store<u32>(f + E_ADDR, a);
    store<u32>(f + E_EIP, eip);
    store<u32>(f + E_MODE, mode);
    store<u32>(f + E_COUNT, 0);
    store<u32>(f + E_SLOT, slot | (i << SLOT_INDEX_SHIFT));
    store<u32>(f + E_LENGTH, len);
    store<u32>(f + E_PAGE, page);
    store<u32>(f + E_MISSES, 0);
    const r = slotRefs + (slot << 1);
    store<u16>(r, load<u16>(r) + 1);
    cachedBlocks++;
  }
  store<u64>(STAT_JIT_CACHE_BLOCKS, cachedBlocks);
  count(STAT_JIT_COMPILES);
  countBy(STAT_JIT_BLOCKS, blocks);
  countBy(STAT_JIT_MODULE_BYTES, moduleLength);
  return true;
}

/**
 * A write (CPU slow path or device DMA) reached guest-physical page `page`:
 * if compiled code came from it, drop every block of that page. The running
 * block, if any, leaves after the writing instruction (codeWritten).
 */
export function jitInvalidatePage(page: u32): void {
  if (!isCodePage(page)) return;
  clearCodePage(page);
  tlbUnmarkCodePage(page);
  codeWritten = true;
  countedEntry = 0;
  count(STAT_JIT_INVALIDATIONS);
  for (let i: u32 = 0; i < JIT_BLOCK_COUNT; i++) {
    const e = JIT_BLOCKS + i * JIT_BLOCK_SIZE;
    if (load<u32>(e + E_ADDR) != 0 && load<u32>(e + E_PAGE) == page) {
      const slot = load<u32>(e + E_SLOT);
      if ((slot & SLOT_MASK) != 0) releaseSlot(slot);
      store<u32>(e + E_ADDR, 0);
      store<u32>(e + E_SLOT, 0);
      store<u32>(e + E_COUNT, 0);
    }
  }
  store<u64>(STAT_JIT_CACHE_BLOCKS, cachedBlocks);
}

/** A write of `len` bytes at guest-physical `phys` that bypassed the CPU (DMA, the host). */
export function jitInvalidateRange(phys: u32, len: u32): void {
  if (len == 0) return;
  const first = phys >>> 12;
  const lastPage = (phys + len - 1) >>> 12;
  for (let p = first; p <= lastPage && p < (1 << 20); p++) jitInvalidatePage(p);
}

