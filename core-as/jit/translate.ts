// The translator: x86 code of one region (32-bit code segment) → one Wasm
// function. Reference: SDM Vol. 2 for the instructions, the interpreter's
// handlers (cpu/ops/alu.ts, move.ts, stack.ts) for the exact state each one
// leaves (lazy flags included), so compiled and interpreted code agree.
//
// A region is the hot entry's block and the blocks reachable from it
// through static jump targets and fall-through in the same page (see
// translateRegion for the function's shape). The function's type is
// (budget: i32, entry block: i32) -> i32: it runs at most `budget`
// instructions and returns how many it completed, with EIP stored.
//
// The eight general registers live in Wasm locals while the function runs
// (loaded on entry, stored at the exit; around an interpreter call only
// the dirty ones are stored and only those it may write reloaded). So do
// the lazy flags (flags.ts), in six more locals: stored at the exit and
// before a helper that reads them, reloaded after one that may change them
// (see "the lazy flags in locals"). Memory operands test
// the segment (not DS/ES/SS when the region is compiled for flat segments),
// the page offset and TLB entry inline and access RAM directly
// (emitFastAddress); anything else goes through the core's helpers (imports
// rd/wr: segment checks, TLB, MMIO, faults); a fault leaves EIP at the
// instruction and the registers as before it, and returns to the loop, which
// delivers it. Conditions read the lazy-flag locals inline when the block itself
// recorded the flags (flagsOp), else call the cc helper. An instruction the
// translator does not know ends the block: the block calls the interpreter
// for it (import interp), which also covers every far or system instruction.

import { CPU_STATE, TLB, JIT_BODY, JIT_BODY_SIZE, JIT_MODULE, JIT_MODULE_SIZE, JIT_STATUS, JIT_PENDING } from '../machine/layout';
import {
  OFF_GPR, OFF_EIP, OFF_INTR_LINE, OFF_LAZY_OP, OFF_LAZY_SIZE, OFF_LAZY_DST, OFF_LAZY_SRC, OFF_LAZY_RES, OFF_LAZY_AUX, OFF_SEGS, SEG_SIZE, SEG_HI,
  SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, REG_EAX, REG_EDX, REG_ESP, REG_EBP, REG_ESI, REG_EDI, SEG_BASE, SEG_LO, SEG_VALID, SEG_RIGHT_READ,
  SEG_RIGHT_WRITE,
} from '../cpu/state';
import { LAZY_NONE, LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, LAZY_INC, LAZY_DEC, LAZY_RESULT } from '../cpu/flags';
import { FLAG_CF, FLAG_OF, FLAG_AF, REG_ECX } from '../cpu/state';
import { SHIFT_ROL, SHIFT_ROR, SHIFT_RCL, SHIFT_RCR, SHIFT_SHL, SHIFT_SHR, SHIFT_SAR } from '../cpu/ops/shift';
import { TLB_VALID, readMask, writeMask } from '../cpu/paging';
import { blockSeen } from './cache';
import {
  encStart, encPos, encOverflow, byte, uleb, name4, bytesFrom, i32Const, localGet, localSet, localTee, memOp, loadAt, call, br,
  blockStart, OP_BLOCK, OP_LOOP, OP_BR_TABLE, OP_IF, OP_END, OP_DROP, OP_I32_LOAD8_U, OP_I32_LOAD8_S, OP_I32_LOAD16_U, OP_I32_LOAD16_S,
  OP_I32_STORE, OP_I32_STORE8, OP_I32_STORE16, OP_I32_LOAD, OP_I32_EQ, OP_I32_EQZ, OP_I32_NE, OP_I32_LE_U, OP_I32_LT_U,
  OP_I32_GT_U, OP_I32_LT_S, OP_I32_LE_S, OP_I32_SHR_U, brIf, OP_I32_ADD, OP_I32_SUB, OP_I32_AND, OP_I32_OR, OP_I32_XOR, OP_I32_SHL,
  OP_I32_EXTEND8_S, OP_I32_EXTEND16_S, OP_I32_MUL, OP_I32_SHR_S, OP_I32_ROTL, OP_I32_ROTR, OP_I64_NE, OP_I64_MUL,
  OP_I64_EXTEND_I32_S, TYPE_I32, TYPE_FUNC, SECTION_TYPE, SECTION_IMPORT, SECTION_FUNCTION, SECTION_EXPORT,
  SECTION_CODE, IMPORT_FUNC, IMPORT_MEMORY, EXPORT_FUNC, LIMITS_SHARED_MIN_MAX,
} from './wasm-encoder';

/** Most instructions in one block (also the budget a loop needs for another pass). */
export const MAX_BLOCK_INSTRUCTIONS: u32 = 32;

// Imported helpers (function indices; jit/runtime.ts, wired by host/jit-host.ts).
const FN_READ: u32 = 0; // rd(seg, off, bits | READ_FOR_WRITE?) -> value; JIT_STATUS = 1 after a fault
/** rd flag: the operand will be written back, so check write access first (memory.ts readMemForWrite). */
export const READ_FOR_WRITE: u32 = 0x100;
const FN_WRITE: u32 = 1; // wr(seg, off, value, bits) -> 0 ok, 1 fault, 2 ok but leave after this instruction
const FN_COND: u32 = 2; // cond(cc) -> 0/1 (flags.ts testCondition)
const FN_CF: u32 = 3; // cf() -> CF as 0/1
const FN_INTERP: u32 = 4; // interp(eip) -> the interpreter runs one instruction there (counts it itself)
const FN_SET_CF_OF: u32 = 5; // sc(cf | of) -> 0: flags.ts setCfOf (rotates when the lazy state is unknown)
const FN_BLOCK: u32 = 6;
const FN_FLAGS_STORE: u32 = 7; // the module's own: (the fields of flagsWrittenAll) -> (), to memory (flagsStore)

// Locals of the region function: parameters (budget, entry block index), then the rest.
const L_BUDGET: u32 = 0;
const L_IDX: u32 = 1; // block of the region to run next (the br_table's index)
const L_N: u32 = 2; // instructions completed before the current block
const L_EA: u32 = 3;
const L_DST: u32 = 4;
const L_SRC: u32 = 5;
const L_RES: u32 = 6;
const L_ST: u32 = 7;
const L_LIN: u32 = 8; // linear, then wasm address of an inlined memory access
const L_ENTRY: u32 = 9; // its TLB entry
const L_REG: u32 = 10; // EAX..EDI: the guest's general registers while the function runs
const GPR_COUNT: u32 = 8;
const L_AUX: u32 = L_REG + GPR_COUNT; // CF|OF bits of a shift, rotate or IMUL (flags.ts LAZY_AUX)
const L_CNT: u32 = L_AUX + 1; // a shift count taken from CL (masked to 5 bits)
/** The lazy flags (flags.ts: LAZY_OP, _SIZE, _DST, _SRC, _RES, _AUX, in that order) while the function runs. */
const L_FLAGS: u32 = L_CNT + 1;
const FLAG_FIELDS: u32 = 6;
const L_FOP: u32 = L_FLAGS;
const L_FSIZE: u32 = L_FLAGS + 1;
const L_FDST: u32 = L_FLAGS + 2;
const L_FSRC: u32 = L_FLAGS + 3;
const L_FRES: u32 = L_FLAGS + 4;
const L_FAUX: u32 = L_FLAGS + 5;
const EXTRA_LOCALS: u32 = 8 + GPR_COUNT + 2 + FLAG_FIELDS;
/**
 * In a cluster function (below), $n is its third parameter and this local,
 * after the others, says how it left: 0 (the region is done, EIP stored) or
 * 1 + the region block another cluster goes on at.
 */
const L_CODE: u32 = L_FLAGS + FLAG_FIELDS;

// Sets of region blocks: bit i is block i, in a v128 (MAX_REGION_BLOCKS ≤ 128).
const NO_BLOCKS: v128 = i64x2(0, 0);
const ALL_BLOCKS: v128 = i64x2(-1, -1);

/** Most blocks in one region (one module). */
export const MAX_REGION_BLOCKS: u32 = 128;
/** Bytes of code the blocks of one region may take (the rest of JIT_BODY is slack for pass 2: branches, each cluster function's entry and exits, the dispatcher). */
const REGION_BODY_BUDGET: u32 = JIT_BODY_SIZE - 0x4000;
/** EIPs of the region's blocks (index 0: the hot entry), their instruction counts (0: not translatable). */
const regionEips: usize = memory.data(MAX_REGION_BLOCKS << 2);
const regionLens: usize = memory.data(MAX_REGION_BLOCKS << 2);
/** Blocks in the region being translated. */
export let regionCount: u32 = 0;

// ---------- clusters ----------
//
// TurboFan's register allocator takes time superlinear in a function's size
// (measured on Linux-boot regions: ~0.7 us per byte of body at 2-5 KB, 4-8 us
// at 40-60 KB, where 19 of 281 regions took 7 of 9 s of background compile
// time), because every local is live across a dispatch loop that spans the
// whole function. So a region larger than clusterBytes is split into
// clusters, one function each: the blocks of a cycle of its control flow
// (a strongly connected component: a loop, a callee and its return sites)
// stay together (up to twice the size), and components are packed in block
// order up to the size (clusterBytes).
// A jump to another cluster's block leaves the function through the exits
// (registers and flags to memory) with L_CODE naming the block; the
// exported function is a small dispatcher that calls the cluster of the
// entry block and of every block so named. V8 tiers each function up on
// its own, so cold clusters are never optimised at all.
/**
 * Bytes of body (pass 1's measure) a cluster is filled up to, by default.
 * Linux boot to the prompt, CPU s of the process (medians of 3): 3 KB 11.6,
 * 6 KB 10.5-11.4, 12 KB 10.2-11.2, 24 KB 11.0 (larger: less main-thread time
 * in transitions, more background compile time).
 */
export const DEFAULT_CLUSTER_BYTES: u32 = 12288;
let clusterBytes: u32 = DEFAULT_CLUSTER_BYTES;
/** Set the cluster size (tests: 1 puts every block in a function of its own). */
export function setClusterBytes(bytes: u32): void {
  clusterBytes = bytes == 0 ? DEFAULT_CLUSTER_BYTES : bytes;
}
/** Per region block (pass 1): its body bytes, the blocks it jumps to (bit j). */
const blockBytes: usize = memory.data(MAX_REGION_BLOCKS << 2);
const blockSuccs: usize = memory.data(MAX_REGION_BLOCKS << 4, 16);
/** Per block (pass 1): the EIP after its last instruction (blocks found later that start inside it split it in pass 2). */
const blockEnds: usize = memory.data(MAX_REGION_BLOCKS << 2);
/** Blocks that end in a RET (pass 1): they may go on at every return site. */
let retBlocks: v128 = NO_BLOCKS;
/** Per block: its cluster and its position in the cluster (u8 each). */
const clusterOf: usize = memory.data(MAX_REGION_BLOCKS);
const clusterPos: usize = memory.data(MAX_REGION_BLOCKS);
/** Per cluster: its blocks (bit i). */
const clusterBlocks: usize = memory.data(MAX_REGION_BLOCKS << 4, 16);
/** Per block: the blocks reachable from it (formClusters). */
const blockReach: usize = memory.data(MAX_REGION_BLOCKS << 4, 16);
/** The set of block `i` alone. */
@inline function bit(i: u32): v128 {
  const w = (<u64>1) << <u64>(i & 63);
  return i64x2.replace_lane(i64x2.splat(i < 64 ? w : 0), 1, i < 64 ? 0 : w);
}
/** Blocks 0 .. n-1 (n ≤ 128). */
function blocksBelow(n: u32): v128 {
  const lo: u64 = n >= 64 ? U64.MAX_VALUE : ((<u64>1) << <u64>n) - 1;
  const hi: u64 = n >= 128 ? U64.MAX_VALUE : n > 64 ? ((<u64>1) << <u64>(n - 64)) - 1 : 0;
  return i64x2.replace_lane(i64x2.splat(lo), 1, hi);
}
@inline function has(s: v128, i: u32): bool {
  const w = i < 64 ? i64x2.extract_lane(s, 0) : i64x2.extract_lane(s, 1);
  return ((w >>> <u64>(i & 63)) & 1) != 0;
}
@inline function isEmpty(s: v128): bool {
  return !v128.any_true(s);
}
/** The lowest block of a non-empty set. */
@inline function firstOf(s: v128): u32 {
  const lo = i64x2.extract_lane(s, 0);
  return lo != 0 ? <u32>ctz<u64>(lo) : 64 + <u32>ctz<u64>(i64x2.extract_lane(s, 1));
}
/** The set without its lowest block. */
@inline function withoutFirst(s: v128): v128 {
  return v128.andnot(s, bit(firstOf(s)));
}
@inline function countOf(s: v128): u32 {
  return <u32>(popcnt<u64>(i64x2.extract_lane(s, 0)) + popcnt<u64>(i64x2.extract_lane(s, 1)));
}
let clusterCount: u32 = 1;
/** The cluster whose function is being emitted (pass 2). */
let curCluster: u32 = 0;
/** Pass 1 (discovering): jump targets join the region; pass 2 emits the code. */
let discovering: bool = false;
/** The block being translated and how many $b labels enclose its code. */
let curBlock: u32 = 0;
let regionBase: u32 = 0;
/** CS offsets a region may span: the fetch window of the entry's page. */
let winStart: u32 = 0;
let winSpan: u32 = 0;

const EIP_ADDR: u32 = CPU_STATE + OFF_EIP;
const CS_HI_ADDR: u32 = CPU_STATE + OFF_SEGS + SEG_CS * SEG_SIZE + SEG_HI;

const NO_REG: i32 = -1;
const MAX_INSTRUCTION_BYTES: u32 = 15;

// ---------- decoding state (compile time) ----------

let cur: u32 = 0; // wasm address of the next code byte
let last: u32 = 0; // wasm address of the last byte the block may use
let bad: bool = false; // a byte past `last` was needed
let startEip: u32 = 0;
let instrEip: u32 = 0; // EIP of the instruction being translated
let instrStart: u32 = 0; // its wasm address
let k: u32 = 0; // instructions completed in this pass before the current one
let depth: u32 = 0; // structured blocks open inside $top
let stack32: bool = true;
let userMode: bool = false; // CPL 3 (part of the block's cache key)
/** CS, DS, ES, SS are flat (base 0, limit 4 GiB, DS/ES/SS writable: cache.ts MODE_FLAT, part of the key). */
let flatSegs: bool = false;
/** The lazy-flags operation the block's own code recorded last (LAZY_NONE: unknown at compile time). */
let flagsOp: u32 = LAZY_NONE;
/** Its operand size (8 or 32) when flagsOp is known. */
let flagsSize: u32 = 32;
/** An operand-size prefix (66) precedes the opcode. */
let opsize16: bool = false;
let segPrefix: i32 = -1;

// ModRM operand (32-bit addressing)
let mIsReg: bool = false;
let mReg: u32 = 0;
let mRm: u32 = 0;
let mBase: i32 = NO_REG;
let mIndex: i32 = NO_REG;
let mScale: u32 = 0;
let mDisp: u32 = 0;
let mSeg: u32 = SEG_DS;

function fetchByte(): u32 {
  if (cur > last) {
    bad = true;
    return 0;
  }
  const b = <u32>load<u8>(cur);
  cur++;
  return b;
}
function fetchDword(): u32 {
  const b0 = fetchByte();
  const b1 = fetchByte();
  const b2 = fetchByte();
  const b3 = fetchByte();
  return b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
}
function fetchSbyte(): u32 {
  return <u32>(<i32>(<i8>fetchByte()));
}

/** Decode ModRM (+ SIB, displacement) for 32-bit addressing (SDM Vol. 2A §2.1.5, Tables 2-2 and 2-3). */
function decodeModrm(): void {
  const m = fetchByte();
  const mod = m >> 6;
  mReg = (m >> 3) & 7;
  mRm = m & 7;
  mIsReg = mod == 3;
  if (mIsReg) return;
  mBase = NO_REG;
  mIndex = NO_REG;
  mScale = 0;
  mDisp = 0;
  let seg = SEG_DS;
  if (mRm == 4) {
    const sib = fetchByte();
    mScale = sib >> 6;
    const idx = (sib >> 3) & 7;
    if (idx != 4) mIndex = <i32>idx;
    const base = sib & 7;
    if (base == 5 && mod == 0) {
      mDisp = fetchDword();
    } else {
      mBase = <i32>base;
      if (base == REG_ESP || base == REG_EBP) seg = SEG_SS;
    }
  } else if (mRm == 5 && mod == 0) {
    mDisp = fetchDword();
  } else {
    mBase = <i32>mRm;
    if (mRm == REG_EBP) seg = SEG_SS;
  }
  if (mod == 1) mDisp = fetchSbyte();
  else if (mod == 2) mDisp = fetchDword();
  mSeg = segPrefix >= 0 ? <u32>segPrefix : seg;
}

// ---------- emission helpers ----------

@inline function regAddr(r: u32): u32 {
  return CPU_STATE + OFF_GPR + (r << 3);
}
/**
 * The general registers live in locals L_REG + r: loaded on entry, stored
 * back at the exit (those the region writes: regsWritten) and around every
 * interpreter call. The memory and condition helpers read no GPR, and a
 * fault is delivered after the function returned (registers stored), so
 * they need no sync.
 */
function loadReg(r: u32): void {
  localGet(L_REG + r);
}
/** Registers the region's code writes (bit r), gathered in pass 1 and used in pass 2. */
let regsWritten: u32 = 0;
/**
 * Registers whose local may differ from memory at this point of the block
 * (bit r): every register the region writes at the start of a block a jump
 * enters (another block may have run before it; none at one entered only
 * from the function's entry), none after an interpreter call wrote them
 * out, then those the block's code writes.
 */
let dirty: u32 = 0;
/** Store local `l` into register r (32-bit). */
function storeRegFromLocal(r: u32, l: u32): void {
  localGet(l);
  localSet(L_REG + r);
  regsWritten |= 1 << r;
  dirty |= 1 << r;
}
/** Push 8-bit register r by encoding (AL CL DL BL AH CH DH BH), zero-extended. */
function loadReg8(r: u32): void {
  localGet(L_REG + (r & 3));
  if (r >= 4) {
    i32Const(8);
    byte(OP_I32_SHR_U);
  }
  i32Const(0xff);
  byte(OP_I32_AND);
}
/** 8-bit register r = the value on the stack (its low byte), from below: call after pushing nothing; see storeReg8Begin. */
function storeReg8Begin(r: u32): void {
  localGet(L_REG + (r & 3));
  i32Const(~(<u32>0xff << ((r >> 2) << 3)));
  byte(OP_I32_AND);
}
/** Finish storeReg8Begin: the value (0..255) is on the stack above the masked register. */
function storeReg8End(r: u32): void {
  if (r >= 4) {
    i32Const(8);
    byte(OP_I32_SHL);
  }
  byte(OP_I32_OR);
  localSet(L_REG + (r & 3));
  regsWritten |= 1 << (r & 3);
  dirty |= 1 << (r & 3);
}
/** Push general register r of `size` bits (8: by its byte encoding), zero-extended. */
function loadRegSized(r: u32, size: u32): void {
  if (size == 8) {
    loadReg8(r);
    return;
  }
  loadReg(r);
  if (size == 16) {
    i32Const(WORD_MASK);
    byte(OP_I32_AND);
  }
}
/**
 * Register r of `size` bits = local `l` (its low bits); a byte or word
 * write keeps the rest of the register (SDM Vol. 1 §3.4.1.1).
 */
function storeRegSized(r: u32, size: u32, l: u32): void {
  if (size == 32) {
    storeRegFromLocal(r, l);
  } else if (size == 8) {
    storeReg8Begin(r);
    localGet(l);
    storeReg8End(r);
  } else {
    loadReg(r);
    i32Const(WORD_HIGH_MASK);
    byte(OP_I32_AND);
    localGet(l);
    i32Const(WORD_MASK);
    byte(OP_I32_AND);
    byte(OP_I32_OR);
    localSet(L_REG + r);
    regsWritten |= 1 << r;
    dirty |= 1 << r;
  }
}
/** Registers to memory (all `mask` bits) before an interpreter call or at the exit. */
function syncRegsOut(mask: u32): void {
  for (let r: u32 = 0; r < GPR_COUNT; r++) {
    if ((mask & (1 << r)) == 0) continue;
    i32Const(regAddr(r));
    localGet(L_REG + r);
    memOp(OP_I32_STORE, 2);
  }
}
/** Registers of `mask` from memory (on entry: all; after an interpreter call: those it may have written). */
function syncRegsIn(mask: u32): void {
  for (let r: u32 = 0; r < GPR_COUNT; r++) {
    if ((mask & (1 << r)) == 0) continue;
    loadAt(regAddr(r));
    localSet(L_REG + r);
  }
}
/**
 * Call the interpreter for the instruction at `eip`, with the registers whose
 * locals changed written out first; leaves its result. Memory then holds
 * every register: a path that leaves the function from here goes to
 * $nosync (emitLeaveSynced), one that goes on reloads what the instruction
 * may have written (syncRegsIn with interpWrites).
 */
function emitInterpCall(eip: u32): void {
  syncRegsOut(dirty);
  dirty = 0;
  flagsFlush();
  i32Const(eip);
  call(FN_INTERP);
  // The interpreter may have changed the flags: memory holds them now.
  flagsInMem = true;
  flagsOp = LAZY_NONE;
}
/** Leave after an interpreter call (memory holds every register and the flags): `done` compiled instructions more in $n. */
function emitLeaveSynced(done: u32): void {
  addDone(done);
  br(depth + 3);
}
/** $n += `done`: instructions this pass completed before leaving. */
function addDone(done: u32): void {
  localGet(L_N);
  i32Const(done);
  byte(OP_I32_ADD);
  localSet(L_N);
}
/** Pass 1's regsWritten: every register any block of the region may have changed. */
let regsWrittenAll: u32 = 0xff;
const ALL_REGS: u32 = 0xff;

// ---------- the lazy flags in locals ----------
//
// The six lazy-flag words live in locals L_FOP..L_FAUX (field f: bit f of
// the masks below, local L_FLAGS + f, memory at flagAddr(f)). At
// compile time the code is in one of two states:
//  - in locals (flagsInMem false): every local holds its field's value;
//    memory may be behind for the fields in flagsDirty. Every block starts
//    so (the function's entry loads them), and $exit stores them.
//  - in memory (flagsInMem true, after a helper that may change them: the
//    interpreter, sc): memory holds them, the locals may be stale. Such an
//    exit leaves through $exitRegs (no flag store); a jump to a region block
//    reloads them first; the next producer reloads the fields it does not
//    write.
// Only the fields some block of the region writes (flagsWrittenAll) are ever
// loaded, stored or read: the others stay in memory, their locals unused (a
// reader reads only fields its block's own producer wrote).
// The helpers that read the flags (cc, cf, sc, in) get them flushed first.
const F_OP: u32 = 1 << 0;
const F_SIZE: u32 = 1 << 1;
const F_DST: u32 = 1 << 2;
const F_SRC: u32 = 1 << 3;
const F_RES: u32 = 1 << 4;
const F_AUX: u32 = 1 << 5;
const F_ALL: u32 = (1 << FLAG_FIELDS) - 1;
const F_OPERANDS: u32 = F_DST | F_SRC | F_RES;
let flagsInMem: bool = false;
/** Fields whose local may differ from memory (in locals only). */
let flagsDirty: u32 = 0;
/** Fields the region's code writes (gathered in pass 1, used in pass 2, as regsWritten). */
let flagsWritten: u32 = 0;
let flagsWrittenAll: u32 = F_ALL;

function flagAddr(f: u32): u32 {
  const off = f == 0 ? OFF_LAZY_OP : f == 1 ? OFF_LAZY_SIZE : f == 2 ? OFF_LAZY_DST : f == 3 ? OFF_LAZY_SRC : f == 4 ? OFF_LAZY_RES : OFF_LAZY_AUX;
  return CPU_STATE + off;
}
/** Bytes of one inline field store (i32.const address, local.get, i32.store). */
const FIELD_STORE_BYTES: u32 = 9;
/** About what FN_FLAGS_STORE adds to a module: its type, declaration and body (six fields). */
const FLAGS_STORE_FN_BYTES: u32 = 70;
/** The module has FN_FLAGS_STORE (pass 1: as if; pass 2: when pass 1's calls saved more than it costs). */
let useFlagsStoreFn: bool = true;
/** Bytes the calls to it saved over inline stores. */
let flagsStoreSavings: u32 = 0;
/**
 * Fields of `mask` (in flagsWrittenAll; in locals state): locals to memory,
 * inline or, when shorter, through the module's own function FN_FLAGS_STORE
 * that stores every field of flagsWrittenAll (the clean ones equal memory).
 */
function flagsStore(mask: u32): void {
  const n = popcnt<u32>(flagsWrittenAll);
  const inlineBytes = popcnt<u32>(mask) * FIELD_STORE_BYTES;
  const viaCall: u32 = 2 * n + 2;
  if (useFlagsStoreFn && inlineBytes > viaCall) {
    flagsStoreSavings += inlineBytes - viaCall;
    for (let f: u32 = 0; f < FLAG_FIELDS; f++) {
      if ((flagsWrittenAll & (1 << f)) != 0) localGet(L_FLAGS + f);
    }
    call(FN_FLAGS_STORE);
    return;
  }
  for (let f: u32 = 0; f < FLAG_FIELDS; f++) {
    if ((mask & (1 << f)) == 0) continue;
    i32Const(flagAddr(f));
    localGet(L_FLAGS + f);
    memOp(OP_I32_STORE, 2);
  }
}
/** The body of FN_FLAGS_STORE: its parameters (the fields of flagsWrittenAll, in order) to memory. */
function emitFlagsStoreBody(): void {
  uleb(0); // no locals
  let p: u32 = 0;
  for (let f: u32 = 0; f < FLAG_FIELDS; f++) {
    if ((flagsWrittenAll & (1 << f)) == 0) continue;
    i32Const(flagAddr(f));
    localGet(p++);
    memOp(OP_I32_STORE, 2);
  }
  byte(OP_END);
}
/** Fields of `mask`: memory to locals. */
function flagsLoad(mask: u32): void {
  for (let f: u32 = 0; f < FLAG_FIELDS; f++) {
    if ((mask & (1 << f)) == 0) continue;
    loadAt(flagAddr(f));
    localSet(L_FLAGS + f);
  }
}
/**
 * Region blocks some jump of the region enters (bit i; gathered in pass 1,
 * used in pass 2). Any other block is entered only from the function's entry,
 * where the locals equal memory.
 */
let jumpTargets: v128 = NO_BLOCKS;
let jumpTargetsAll: v128 = ALL_BLOCKS;
/** Block `i` may be entered after another block ran (its locals may differ from memory). */
function enteredByJump(i: u32): bool {
  return has(jumpTargetsAll, i);
}
/** State at block `i`'s start: in locals, every field the region writes possibly dirty when another block ran before. */
function flagsBlockStart(i: u32): void {
  flagsOp = LAZY_NONE;
  flagsInMem = false;
  flagsDirty = enteredByJump(i) ? flagsWrittenAll : 0;
}
/** Before a helper that reads (or changes) the flags in memory. */
function flagsFlush(): void {
  if (!flagsInMem) flagsStore(flagsDirty);
  flagsDirty = 0;
}
/** Before a merge point that expects them in locals (a region jump, a conditional producer). */
function flagsToLocals(): void {
  if (!flagsInMem) return;
  flagsLoad(flagsWrittenAll);
  flagsInMem = false;
  flagsDirty = 0;
}
/** A producer is about to write the fields `writes`: the others come back into locals if they were in memory. */
function flagsProduce(writes: u32): void {
  if (flagsInMem) {
    flagsLoad(flagsWrittenAll & ~writes);
    flagsInMem = false;
    flagsDirty = 0;
  }
  flagsWritten |= writes;
  flagsDirty |= writes;
}
/** Field local `l` = local `from`. */
function flagFromLocal(l: u32, from: u32): void {
  localGet(from);
  localSet(l);
}
/** Field local `l` = `v`. */
function flagFromConst(l: u32, v: u32): void {
  i32Const(v);
  localSet(l);
}
/**
 * Relative depth of the exit label for the current flags state: $exit stores
 * the flag locals; $exitRegs does not, for when memory holds the flags
 * already (in memory, or in locals with none dirty).
 */
function exitDepth(): u32 {
  return flagsInMem || flagsDirty == 0 ? depth + 2 : depth + 1;
}

/** Effective address of the ModRM memory operand → local EA. */
function emitEA(): void {
  let have = false;
  if (mBase != NO_REG) {
    loadReg(<u32>mBase);
    have = true;
  }
  if (mIndex != NO_REG) {
    loadReg(<u32>mIndex);
    if (mScale != 0) {
      i32Const(mScale);
      byte(OP_I32_SHL);
    }
    if (have) byte(OP_I32_ADD);
    have = true;
  }
  if (!have) i32Const(mDisp);
  else if (mDisp != 0) {
    i32Const(mDisp);
    byte(OP_I32_ADD);
  }
  localSet(L_EA);
}

/** Leave the block: EIP = `eip`, `done` more instructions completed in this pass. */
function emitExit(eip: u32, done: u32): void {
  addDone(done);
  i32Const(EIP_ADDR);
  i32Const(eip);
  memOp(OP_I32_STORE, 2);
  br(exitDepth());
}

/** Tell the clock how many instructions the block completed so far (before a helper that may read it). */
function emitPending(): void {
  i32Const(JIT_PENDING);
  localGet(L_N);
  i32Const(k);
  byte(OP_I32_ADD);
  memOp(OP_I32_STORE, 2);
}

/**
 * The inlined fast path of memory.ts readMem32 / writeMem32 (and the 8, 16-bit ones) for `bytes` at seg:EA
 * (SDM Vol. 3A §5.3 limit and rights checks as segLinear, then the TLB
 * entry's mask test with the block's CPL). Only accesses within one page take
 * it, and at CPL 3 only aligned ones, so it never needs #AC (emitInPageTest); code pages (TLB_CODE) and
 * MMIO (TLB_SLOW) fail the mask. Leaves the wasm address in L_LIN, or
 * branches to `slow` (relative depth) for the helper to do it all.
 */
function emitFastAddress(seg: u32, bytes: u32, right: u32, mask: u32, slow: u32): void {
  if (flatSegs && (seg == SEG_DS || seg == SEG_ES || seg == SEG_SS)) {
    emitFlatAddress(bytes, mask, slow);
    return;
  }
  const a = CPU_STATE + OFF_SEGS + seg * SEG_SIZE;
  localGet(L_EA);
  loadAt(a + SEG_LO);
  byte(OP_I32_LT_U);
  brIf(slow);
  localGet(L_EA);
  loadAt(a + SEG_HI);
  byte(OP_I32_GT_U);
  brIf(slow);
  if (bytes > 1) {
    loadAt(a + SEG_HI);
    localGet(L_EA);
    byte(OP_I32_SUB);
    i32Const(bytes - 1);
    byte(OP_I32_LT_U);
    brIf(slow);
  }
  loadAt(a + SEG_VALID);
  i32Const(right);
  byte(OP_I32_AND);
  i32Const(right);
  byte(OP_I32_NE);
  brIf(slow);
  loadAt(a + SEG_BASE);
  localGet(L_EA);
  byte(OP_I32_ADD);
  localSet(L_LIN);
  emitTlbAddress(L_LIN, bytes, mask, slow);
}

/**
 * emitFastAddress through a flat DS, ES or SS (MODE_FLAT): base 0 and no
 * offset beyond the limit, so lin = EA and the segment checks always pass.
 * An access within one page cannot wrap past 0xFFFFFFFF (which segLinear
 * would fault), so what is left is the page (alignment) and the TLB test.
 */
function emitFlatAddress(bytes: u32, mask: u32, slow: u32): void {
  emitTlbAddress(L_EA, bytes, mask, slow);
}

/**
 * The linear address in local `lin` (`bytes` wide) through the TLB: the page
 * test (emitInPageTest), then the entry's `mask` bits must leave only
 * TLB_VALID; leaves the wasm address in L_LIN, or branches to `slow`.
 */
function emitTlbAddress(lin: u32, bytes: u32, mask: u32, slow: u32): void {
  emitInPageTest(lin, bytes, slow);
  localGet(lin);
  i32Const(PAGE_SHIFT);
  byte(OP_I32_SHR_U);
  i32Const(TLB_ENTRY_SHIFT);
  byte(OP_I32_SHL);
  i32Const(TLB);
  byte(OP_I32_ADD);
  memOp(OP_I32_LOAD, 2);
  localTee(L_ENTRY);
  i32Const(mask);
  byte(OP_I32_AND);
  i32Const(TLB_VALID);
  byte(OP_I32_NE);
  brIf(slow);
  localGet(lin);
  localGet(L_ENTRY);
  i32Const(TLB_HOST_MASK);
  byte(OP_I32_AND);
  byte(OP_I32_ADD);
  localSet(L_LIN);
}

/**
 * Branch to `slow` unless the access of `bytes` at linear address `local`
 * may take the fast path: at CPL 3 only aligned ones (the helper raises #AC
 * when CR0.AM and EFLAGS.AC ask for it), at CPL 0-2 any that stays in one
 * page (no #AC there: SDM Vol. 3A §6.15 "Alignment Check Exception").
 * Neither can wrap past 0xFFFFFFFF.
 */
function emitInPageTest(local: u32, bytes: u32, slow: u32): void {
  if (bytes == 1) return;
  localGet(local);
  if (userMode) {
    i32Const(bytes - 1);
    byte(OP_I32_AND);
  } else {
    i32Const(PAGE_OFFSET_MASK);
    byte(OP_I32_AND);
    i32Const(PAGE_SIZE - bytes);
    byte(OP_I32_GT_U);
  }
  brIf(slow);
}
const PAGE_SHIFT: u32 = 12;
const PAGE_SIZE: u32 = 1 << PAGE_SHIFT;
const PAGE_OFFSET_MASK: u32 = PAGE_SIZE - 1;
const TLB_ENTRY_SHIFT: u32 = 2;
const TLB_HOST_MASK: u32 = 0xfffff000;
const SIZE_BITS: u32 = 0xff;

/** Open the two blocks around an inlined access: $done (outer), $slow (inner). */
function fastStart(): void {
  blockStart(OP_BLOCK);
  depth++;
  blockStart(OP_BLOCK);
  depth++;
}

/** Read `bits` at mSeg:EA into local `l`; on a fault leave with EIP at this instruction. */
function emitRead(bits: u32, l: u32): void {
  const size = bits & SIZE_BITS;
  const bytes = size >> 3;
  const rmw = (bits & READ_FOR_WRITE) != 0;
  fastStart();
  emitFastAddress(mSeg, bytes, rmw ? SEG_RIGHT_READ | SEG_RIGHT_WRITE : SEG_RIGHT_READ, rmw ? writeMask(userMode) : readMask(userMode), 0);
  localGet(L_LIN);
  if (size == 32) memOp(OP_I32_LOAD, 2);
  else if (size == 16) memOp(OP_I32_LOAD16_U, 1);
  else memOp(OP_I32_LOAD8_U, 0);
  localSet(l);
  br(1);
  byte(OP_END); // $slow
  depth--;
  emitPending();
  i32Const(mSeg);
  localGet(L_EA);
  i32Const(bits);
  call(FN_READ);
  localSet(l);
  loadAt(JIT_STATUS);
  ifStart();
  emitExit(instrEip, k);
  ifEnd();
  byte(OP_END); // $done
  depth--;
}
/** Read through SS at `offset` (in local EA) without the segment prefix. */
function emitReadSeg(seg: u32, bits: u32, l: u32): void {
  const saved = mSeg;
  mSeg = seg;
  emitRead(bits, l);
  mSeg = saved;
}

/** Write local `v` (`bits`) at seg:EA; on a fault leave at this instruction. Status kept in L_ST. */
function emitWriteSeg(seg: u32, bits: u32, v: u32): void {
  fastStart();
  emitFastAddress(seg, bits >> 3, SEG_RIGHT_WRITE, writeMask(userMode), 0);
  localGet(L_LIN);
  localGet(v);
  if (bits == 32) memOp(OP_I32_STORE, 2);
  else if (bits == 16) memOp(OP_I32_STORE16, 1);
  else memOp(OP_I32_STORE8, 0);
  // A plain RAM store cannot raise INTR or a stop: the block goes on (L_ST = 0).
  i32Const(0);
  localSet(L_ST);
  br(1);
  byte(OP_END); // $slow
  depth--;
  emitPending();
  i32Const(seg);
  localGet(L_EA);
  localGet(v);
  i32Const(bits);
  call(FN_WRITE);
  localTee(L_ST);
  i32Const(1);
  byte(OP_I32_EQ);
  ifStart();
  emitExit(instrEip, k);
  ifEnd();
  byte(OP_END); // $done
  depth--;
}

/** The r/m32 operand (decodeModrm) into local `l`: the register, or the dword read (a fault leaves). */
function loadRm32(l: u32): void {
  if (mIsReg) {
    loadReg(mRm);
    localSet(l);
  } else {
    emitEA();
    emitRead(32, l);
  }
}
/** A pop's read: L_SRC = the dword at SS:[register `sp`] (a fault changes nothing), L_EA = `sp`'s value. */
function emitStackRead(sp: u32): void {
  loadReg(sp);
  localSet(L_EA);
  emitReadSeg(SEG_SS, 32, L_SRC);
}
/** After emitStackRead (and any check that may still fault): ESP = L_EA + `bytes`. */
function emitStackRelease(bytes: u32): void {
  localGet(L_EA);
  i32Const(bytes);
  byte(OP_I32_ADD);
  localSet(L_EA);
  storeRegFromLocal(REG_ESP, L_EA);
}
/** Push L_SRC (operands.ts push): write it at SS:[ESP - 4] (L_EA); ESP changes only when the write succeeded. */
function emitPush(): void {
  loadReg(REG_ESP);
  i32Const(4);
  byte(OP_I32_SUB);
  localSet(L_EA);
  emitWriteSeg(SEG_SS, 32, L_SRC);
  storeRegFromLocal(REG_ESP, L_EA);
}
/** After an instruction that wrote memory: leave when the helper asked (code page written, interrupt). */
function emitWriteCheck(nextEip: u32): void {
  localGet(L_ST);
  ifStart();
  emitExit(nextEip, k + 1);
  ifEnd();
}

function ifStart(): void {
  blockStart(OP_IF);
  depth++;
}
function ifEnd(): void {
  byte(OP_END);
  depth--;
}

/**
 * Start recording lazy flags `op` of `size` that write the fields `fields`
 * besides OP and SIZE: OP and SIZE are set where the block's own code has not
 * set them already; the caller then sets the locals of `fields`. Call it only
 * where nothing can fault before the instruction completes.
 */
function emitLazyBegin(op: u32, size: u32, fields: u32): void {
  const opChanges = flagsOp != op;
  const sizeChanges = flagsOp == LAZY_NONE || flagsSize != size;
  flagsProduce(fields | (opChanges ? F_OP : 0) | (sizeChanges ? F_SIZE : 0));
  if (opChanges) flagFromConst(L_FOP, op);
  if (sizeChanges) flagFromConst(L_FSIZE, size);
  flagsOp = op;
  flagsSize = size;
}
/** Record lazy flags from locals DST, SRC, RES, and with `aux` AUX (flags.ts setLazy, setLazyAux). */
function emitLazy(op: u32, size: u32, aux: bool = false): void {
  emitLazyBegin(op, size, F_OPERANDS | (aux ? F_AUX : 0));
  flagFromLocal(L_FDST, L_DST);
  flagFromLocal(L_FSRC, L_SRC);
  flagFromLocal(L_FRES, L_RES);
  if (aux) flagFromLocal(L_FAUX, L_AUX);
}

// ALU operation numbers (the x86 encoding's /r field: ADD OR ADC SBB AND SUB XOR CMP).
const ALU_ADD: u32 = 0;
const ALU_OR: u32 = 1;
const ALU_ADC: u32 = 2;
const ALU_SBB: u32 = 3;
const ALU_AND: u32 = 4;
const ALU_SUB: u32 = 5;
const ALU_XOR: u32 = 6;
const ALU_CMP: u32 = 7;

function aluSupported(op: u32): bool {
  return op <= ALU_CMP;
}

/** RES = DST op SRC (32-bit) and the lazy flags, as cpu/ops/alu.ts alu() records them. */
function emitAlu(op: u32): void {
  if (op == ALU_ADC || op == ALU_SBB) {
    emitAluNoFlags(op);
    emitLazyFor(op, 32);
    return;
  }
  // Nothing faults from here: the operands and the result go to the flag locals as they are computed.
  emitLazyBegin(op == ALU_ADD ? LAZY_ADD : op == ALU_SUB || op == ALU_CMP ? LAZY_SUB : LAZY_LOGIC, 32, F_OPERANDS);
  localGet(L_DST);
  localTee(L_FDST);
  localGet(L_SRC);
  localTee(L_FSRC);
  if (op == ALU_ADD) byte(OP_I32_ADD);
  else if (op == ALU_OR) byte(OP_I32_OR);
  else if (op == ALU_AND) byte(OP_I32_AND);
  else if (op == ALU_XOR) byte(OP_I32_XOR);
  else byte(OP_I32_SUB);
  localTee(L_FRES);
  localSet(L_RES);
}

// ---------- one instruction ----------

const T_OK: u32 = 0; // translated; the block continues
const T_END: u32 = 1; // translated and the block ends after it (exit emitted)
const T_NO: u32 = 2; // not translatable: nothing emitted
const T_INTERPRETED: u32 = 3; // run by the interpreter in the block (it counts it itself)
/** Region blocks (bit i) that follow a CALL of the region: where its RETs may go on (pass 1 finds them). */
let returnSites: v128 = NO_BLOCKS;
/** Instructions of the block the interpreter runs inline (they count against the budget). */
let interpreted: u32 = 0;

/** Index of the region block that starts at `eip` (translatable or not), or -1. */
function blockStartingAt(eip: u32): i32 {
  for (let i: u32 = 0; i < regionCount; i++) {
    if (load<u32>(regionEips + (i << 2)) == eip) return <i32>i;
  }
  return -1;
}

/** Index of the region block at `eip`, or -1 (not in the region, or not translatable). */
function regionIndexOf(eip: u32): i32 {
  for (let i: u32 = 0; i < regionCount; i++) {
    if (load<u32>(regionEips + (i << 2)) == eip) return discovering || load<u32>(regionLens + (i << 2)) != 0 ? <i32>i : -1;
  }
  return -1;
}

/**
 * Pass 1: a static jump target in the entry's page joins the region
 * (bounded): a backward one (a loop head) always, a forward one when it has
 * run (cache.ts blockSeen), a fall-through (`always`) always.
 */
function addTarget(target: u32, always: bool = false): void {
  if (!discovering || regionCount >= MAX_REGION_BLOCKS) return;
  if (target - winStart > winSpan) return;
  if (regionIndexOf(target) >= 0) return;
  if (!always && target > instrEip && !blockSeen(target)) return;
  store<u32>(regionEips + (regionCount << 2), target);
  regionCount++;
}

/**
 * Go on at region block `j` (EIP `target`) with `done` more instructions
 * completed: while the budget allows another block, a branch (a back edge
 * also checks the INTR line, so interrupts are taken about as soon as
 * between blocks); else leave with EIP = target.
 */
function emitRegionJump(j: u32, target: u32, done: u32): void {
  // Blocks start with the flags in locals; this path ends here, the code after it (a Jcc not taken) goes on as it was.
  const savedInMem = flagsInMem;
  const savedFlagsDirty = flagsDirty;
  flagsToLocals();
  localGet(L_N);
  i32Const(done);
  byte(OP_I32_ADD);
  localTee(L_N);
  i32Const(MAX_BLOCK_INSTRUCTIONS);
  byte(OP_I32_ADD);
  localGet(L_BUDGET);
  byte(OP_I32_LE_U);
  jumpTargets = v128.or(jumpTargets, bit(j));
  if (discovering) v128.store(blockSuccs + (curBlock << 4), v128.or(v128.load(blockSuccs + (curBlock << 4)), bit(j)));
  // Every cycle has an edge to a block not after its source: the INTR test there bounds each pass.
  const back = j <= curBlock;
  if (back) {
    loadAt(CPU_STATE + OFF_INTR_LINE);
    byte(OP_I32_EQZ);
    byte(OP_I32_AND);
  }
  ifStart();
  if (!discovering && <u32>load<u8>(clusterOf + j) != curCluster) {
    // Another cluster's block: leave this function; the dispatcher calls that cluster.
    i32Const(j + 1);
    localSet(L_CODE);
    br(exitDepth());
  } else if (back) {
    // Through the loop and the br_table.
    i32Const(j);
    localSet(L_IDX);
    br(depth);
  } else {
    // Forward: straight to the end of label $b_j, where block j's code starts.
    br(depth - regionBase + (<u32>load<u8>(clusterPos + j) - <u32>load<u8>(clusterPos + curBlock) - 1));
  }
  ifEnd();
  i32Const(EIP_ADDR);
  i32Const(target);
  memOp(OP_I32_STORE, 2);
  br(exitDepth());
  flagsInMem = savedInMem;
  flagsDirty = savedFlagsDirty;
}

/** Jump to `target` after this instruction (k + 1 completed): a block of the region, or leave. */
function emitJumpTo(target: u32, nextEip: u32): void {
  addTarget(target);
  const j = regionIndexOf(target);
  if (j >= 0) {
    emitRegionJump(<u32>j, target, k + 1);
    return;
  }
  if (flatSegs) {
    emitExit(target, k + 1); // CS limit 0xFFFFFFFF
    return;
  }
  // Outside the CS limit: the interpreter runs the jump, raising #GP(0).
  i32Const(target);
  loadAt(CS_HI_ADDR);
  byte(OP_I32_LE_U);
  ifStart();
  emitExit(target, k + 1);
  ifEnd();
  emitInterpretAndLeave();
}

/**
 * Whether LOCK may prefix the instruction at `op` (the opcode byte, the
 * rest not yet fetched): one of the read-modify-write instructions SDM
 * Vol. 2A "LOCK" lists, with a memory destination; anything else raises
 * #UD, which the interpreter gives. With one CPU a locked instruction does
 * what the plain one does, so it is translated (or run inline) as that.
 * Linux's atomics (spin locks, reference counts) are such instructions.
 */
function lockable(op: u32): bool {
  const save = cur;
  let ok = false;
  if (op == 0x0f) {
    const op2 = fetchByte();
    const m = fetchByte();
    const reg = (m >> 3) & 7;
    ok = m >> 6 != 3 &&
      (op2 == 0xab || op2 == 0xb3 || op2 == 0xbb || op2 == 0xb0 || op2 == 0xb1 || op2 == 0xc0 || op2 == 0xc1 ||
        (op2 == 0xba && reg >= 5) || (op2 == 0xc7 && reg == 1));
  } else {
    const m = fetchByte();
    const reg = (m >> 3) & 7;
    if (m >> 6 != 3) {
      // ADD OR ADC SBB AND SUB XOR r/m, r (not CMP); group 1 but CMP; XCHG; NOT, NEG; INC, DEC.
      if (op < 0x40) ok = (op & 7) < 2 && op >> 3 != 7;
      else if (op == 0x80 || op == 0x81 || op == 0x83) ok = reg != 7;
      else if (op == 0x86 || op == 0x87) ok = true;
      else if (op == 0xf6 || op == 0xf7) ok = reg == 2 || reg == 3;
      else if (op == 0xfe || op == 0xff) ok = reg <= 1;
    }
  }
  cur = save;
  return ok && !bad;
}

function translateOne(): u32 {
  instrEip = startEip + (cur - startAddr);
  instrStart = cur;
  segPrefix = -1;
  opsize16 = false;
  let repeat = false;
  let lock = false;
  let op = fetchByte();
  // Segment overrides, operand size, REP/REPNE before a string instruction, and LOCK (see lockable).
  for (;;) {
    if (op == 0x26) segPrefix = <i32>SEG_ES;
    else if (op == 0x2e) segPrefix = <i32>SEG_CS;
    else if (op == 0x36) segPrefix = <i32>SEG_SS;
    else if (op == 0x3e) segPrefix = <i32>SEG_DS;
    else if (op == 0x64) segPrefix = <i32>SEG_FS;
    else if (op == 0x65) segPrefix = <i32>SEG_GS;
    else if (op == 0x66) opsize16 = true;
    else if (op == 0xf3 || op == 0xf2) repeat = true;
    else if (op == 0xf0) lock = true;
    else break;
    op = fetchByte();
    if (bad) return T_NO;
  }
  if (lock && (repeat || opsize16 || !lockable(op))) return T_NO;
  if (repeat) return isStringOp(op) ? interpretInline(op, false) : T_NO;
  if (opsize16) return translate16(op);
  if (op == 0x0f) return translate0F(fetchByte());
  if ((op < 0x40 && ((op & 7) == 0 || (op & 7) == 2 || (op & 7) == 4)) || op == 0x80 || op == 0x82 || op == 0x84 || op == 0xa8 || op == 0xf6) {
    return translateAlu8(op);
  }
  if (op == 0xc6 || (op >= 0xb0 && op <= 0xb7)) return translateMov8Imm(op);
  if (op < 0x40 && (op & 7) <= 5 && (op & 7) != 0 && (op & 7) != 2 && (op & 7) != 4) {
    // x1 (E,G), x3 (G,E), x5 (EAX,imm32)
    const alu = op >> 3;
    if (!aluSupported(alu)) return interpretInline(op, false);
    const form = op & 7;
    if (form == 5) {
      const v = fetchDword();
      if (bad) return T_NO;
      loadReg(REG_EAX);
      localSet(L_DST);
      i32Const(v);
      localSet(L_SRC);
      emitAlu(alu);
      if (alu != ALU_CMP) storeRegFromLocal(REG_EAX, L_RES);
      return T_OK;
    }
    decodeModrm();
    if (bad) return T_NO;
    const nextEip = instrEip + (cur - instrStart);
    if (form == 1) {
      // op E, G
      loadReg(mReg);
      localSet(L_SRC);
      if (mIsReg) {
        loadReg(mRm);
        localSet(L_DST);
        emitAlu(alu);
        if (alu != ALU_CMP) storeRegFromLocal(mRm, L_RES);
        return T_OK;
      }
      emitEA();
      emitRead(alu == ALU_CMP ? 32 : 32 | READ_FOR_WRITE, L_DST);
      if (alu == ALU_CMP) {
        emitAlu(alu);
        return T_OK;
      }
      emitAluNoFlags(alu);
      emitWriteSeg(mSeg, 32, L_RES);
      emitLazyFor(alu, 32);
      emitWriteCheck(nextEip);
      return T_OK;
    }
    // op G, E
    loadRm32(L_SRC);
    loadReg(mReg);
    localSet(L_DST);
    emitAlu(alu);
    if (alu != ALU_CMP) storeRegFromLocal(mReg, L_RES);
    return T_OK;
  }
  if (op >= 0x40 && op <= 0x4f) {
    // INC/DEC r32: CF is kept (LAZY_AUX), as alu.ts incValue/decValue
    const r = op & 7;
    const dec = op >= 0x48;
    emitCarry();
    localSet(L_AUX);
    emitLazyBegin(dec ? LAZY_DEC : LAZY_INC, 32, F_OPERANDS | F_AUX);
    loadReg(r);
    localTee(L_FDST);
    i32Const(1);
    localTee(L_FSRC);
    byte(dec ? OP_I32_SUB : OP_I32_ADD);
    localSet(L_FRES);
    flagFromLocal(L_FAUX, L_AUX);
    storeRegFromLocal(r, L_FRES);
    return T_OK;
  }
  if (op >= 0x50 && op <= 0x57) {
    if (!stack32) return T_NO;
    // PUSH r32: ESP changes only when the write succeeds (operands.ts push); PUSH ESP pushes the old value.
    loadReg(op & 7);
    localSet(L_SRC);
    emitPush();
    emitWriteCheck(instrEip + (cur - instrStart));
    return T_OK;
  }
  if (op >= 0x58 && op <= 0x5f) {
    if (!stack32) return T_NO;
    // POP r32: ESP is incremented first, then the register written (POP ESP keeps the value).
    emitStackRead(REG_ESP);
    emitStackRelease(4);
    storeRegFromLocal(op & 7, L_SRC);
    return T_OK;
  }
  if (op == 0xc9) {
    if (!stack32) return T_NO;
    // LEAVE: EBP = [SS:EBP], ESP = EBP + 4 (ops/stack.ts leave); a fault on the read changes nothing.
    emitStackRead(REG_EBP);
    emitStackRelease(4);
    storeRegFromLocal(REG_EBP, L_SRC);
    return T_OK;
  }
  if (op == 0x68 || op == 0x6a) {
    if (!stack32) return T_NO;
    const v = op == 0x68 ? fetchDword() : fetchSbyte();
    if (bad) return T_NO;
    i32Const(v);
    localSet(L_SRC);
    emitPush();
    emitWriteCheck(instrEip + (cur - instrStart));
    return T_OK;
  }
  if (op == 0xc0 || op == 0xc1 || (op >= 0xd0 && op <= 0xd3)) return translateShift(op);
  if (op == 0x69 || op == 0x6b) return translateImul(op);
  if (op == 0xe8) return translateCall();
  if (op == 0xc3 || op == 0xc2) return translateRet(op == 0xc2);
  if ((op >= 0x70 && op <= 0x7f) || op == 0xeb || op == 0xe9) {
    const rel = op == 0xe9 ? fetchDword() : fetchSbyte();
    if (bad) return T_NO;
    const nextEip = instrEip + (cur - instrStart);
    const target = nextEip + rel;
    if (op == 0xeb || op == 0xe9) {
      emitJumpTo(target, nextEip);
      return T_END;
    }
    emitCondJump(op & 0xf, target, nextEip);
    return T_OK;
  }
  if (op == 0x81 || op == 0x83) {
    decodeModrm();
    const v = op == 0x81 ? fetchDword() : fetchSbyte();
    if (bad || !aluSupported(mReg)) return T_NO;
    const nextEip = instrEip + (cur - instrStart);
    i32Const(v);
    localSet(L_SRC);
    if (mIsReg) {
      loadReg(mRm);
      localSet(L_DST);
      emitAlu(mReg);
      if (mReg != ALU_CMP) storeRegFromLocal(mRm, L_RES);
      return T_OK;
    }
    emitEA();
    emitRead(mReg == ALU_CMP ? 32 : 32 | READ_FOR_WRITE, L_DST);
    if (mReg == ALU_CMP) {
      emitAlu(mReg);
      return T_OK;
    }
    emitAluNoFlags(mReg);
    emitWriteSeg(mSeg, 32, L_RES);
    emitLazyFor(mReg, 32);
    emitWriteCheck(nextEip);
    return T_OK;
  }
  if (op == 0xf7) return translateGroup3(op);
  if (op == 0x85) {
    // TEST E, G (alu.ts: LAZY_LOGIC with dst, src, dst & src)
    decodeModrm();
    if (bad) return T_NO;
    loadReg(mReg);
    localSet(L_SRC);
    loadRm32(L_DST);
    emitAlu(ALU_AND);
    return T_OK;
  }
  if (op == 0xa9) {
    const v = fetchDword();
    if (bad) return T_NO;
    loadReg(REG_EAX);
    localSet(L_DST);
    i32Const(v);
    localSet(L_SRC);
    emitAlu(ALU_AND);
    return T_OK;
  }
  if (op == 0x88 || op == 0x8a) {
    // MOV r/m8, r8 / MOV r8, r/m8
    decodeModrm();
    if (bad) return T_NO;
    if (op == 0x88) {
      if (mIsReg) {
        storeReg8Begin(mRm);
        loadReg8(mReg);
        storeReg8End(mRm);
        return T_OK;
      }
      loadReg8(mReg);
      localSet(L_SRC);
      emitEA();
      emitWriteSeg(mSeg, 8, L_SRC);
      emitWriteCheck(instrEip + (cur - instrStart));
      return T_OK;
    }
    if (mIsReg) {
      storeReg8Begin(mReg);
      loadReg8(mRm);
      storeReg8End(mReg);
      return T_OK;
    }
    emitEA();
    emitRead(8, L_SRC);
    storeReg8Begin(mReg);
    localGet(L_SRC);
    storeReg8End(mReg);
    return T_OK;
  }
  if (op == 0x89 || op == 0x8b) {
    decodeModrm();
    if (bad) return T_NO;
    if (op == 0x89) {
      if (mIsReg) {
        loadReg(mReg);
        localSet(L_SRC);
        storeRegFromLocal(mRm, L_SRC);
        return T_OK;
      }
      loadReg(mReg);
      localSet(L_SRC);
      emitEA();
      emitWriteSeg(mSeg, 32, L_SRC);
      emitWriteCheck(instrEip + (cur - instrStart));
      return T_OK;
    }
    if (mIsReg) loadReg(mRm);
    else {
      emitEA();
      emitRead(32, L_SRC);
      localGet(L_SRC);
    }
    localSet(L_SRC);
    storeRegFromLocal(mReg, L_SRC);
    return T_OK;
  }
  if (op == 0x8d) {
    decodeModrm();
    if (bad || mIsReg) return T_NO;
    emitEA();
    storeRegFromLocal(mReg, L_EA);
    return T_OK;
  }
  if (op >= 0xa0 && op <= 0xa3) return translateMovMoffs(op);
  if (op == 0x90) return T_OK;
  if (op >= 0xb8 && op <= 0xbf) {
    const v = fetchDword();
    if (bad) return T_NO;
    i32Const(v);
    localSet(L_SRC);
    storeRegFromLocal(op & 7, L_SRC);
    return T_OK;
  }
  if (op == 0xc7) {
    decodeModrm();
    const v = fetchDword();
    if (bad || mReg != 0) return T_NO;
    i32Const(v);
    localSet(L_SRC);
    if (mIsReg) {
      storeRegFromLocal(mRm, L_SRC);
      return T_OK;
    }
    emitEA();
    emitWriteSeg(mSeg, 32, L_SRC);
    emitWriteCheck(instrEip + (cur - instrStart));
    return T_OK;
  }
  if (op == 0xff) return translateGroupFF();
  return interpretInline(op, false);
}

// FF group /r fields (SDM Vol. 2 Table A-6, group 5).
const FF_INC: u32 = 0;
const FF_DEC: u32 = 1;
const FF_CALL: u32 = 2;
const FF_JMP: u32 = 4;
const FF_PUSH: u32 = 6;

/**
 * FF /0 /1 /2 /4 /6 with a 32-bit operand (the 66 forms go to translate16):
 * INC, DEC, CALL near, JMP near and PUSH of r/m32. The far forms (/3 /5)
 * end the block.
 */
function translateGroupFF(): u32 {
  decodeModrm();
  if (bad) return T_NO;
  const nextEip = instrEip + (cur - instrStart);
  if (mReg == FF_INC || mReg == FF_DEC) return translateIncDecE(mReg == FF_DEC, nextEip);
  if (mReg == FF_PUSH) return translatePushE(nextEip);
  if (mReg == FF_CALL || mReg == FF_JMP) return translateIndirect(mReg == FF_CALL, nextEip);
  return T_NO;
}

/**
 * INC/DEC r/m32 (FF /0 /1), as alu.ts incE/decE: CF is kept (LAZY_AUX), the
 * memory form is read for writing, and the flags are recorded once the
 * write succeeded (CF taken before, from the flags as they were).
 */
function translateIncDecE(dec: bool, nextEip: u32): u32 {
  if (mIsReg) {
    loadReg(mRm);
    localSet(L_DST);
  } else {
    emitEA();
    emitRead(32 | READ_FOR_WRITE, L_DST);
  }
  localGet(L_DST);
  i32Const(1);
  localTee(L_SRC);
  byte(dec ? OP_I32_SUB : OP_I32_ADD);
  localSet(L_RES);
  emitCarry();
  localSet(L_AUX);
  if (mIsReg) {
    emitLazy(dec ? LAZY_DEC : LAZY_INC, 32, true);
    storeRegFromLocal(mRm, L_RES);
    return T_OK;
  }
  emitWriteSeg(mSeg, 32, L_RES);
  emitLazy(dec ? LAZY_DEC : LAZY_INC, 32, true);
  emitWriteCheck(nextEip);
  return T_OK;
}

/**
 * PUSH r/m32 (FF /6), as stack.ts pushE: the operand is read first (an
 * ESP-based address uses ESP before the push, SDM Vol. 2B "PUSH"; a fault
 * leaves ESP as it was), then pushed as PUSH r32 does.
 */
function translatePushE(nextEip: u32): u32 {
  if (!stack32) return T_NO;
  loadRm32(L_SRC);
  emitPush();
  emitWriteCheck(nextEip);
  return T_OK;
}

/** Region blocks an indirect CALL or JMP compares its target with (bounds the code each one adds). */
const MAX_INDIRECT_TARGETS: u32 = 16;
/** Pass 1's stand-in target for sizing the compares (a five-byte i32.const, as large as any). */
const SIZING_TARGET: u32 = 0x40000000;

/**
 * A near CALL's push of the return address `nextEip` (operands.ts push):
 * ESP changes only when the write succeeded. The caller then tests L_ST.
 */
function emitPushReturnAddress(nextEip: u32): void {
  i32Const(nextEip);
  localSet(L_SRC);
  emitPush();
}

/**
 * A CALL's return address joins the region when it has run (it has, once
 * the callee returned through the dispatcher): a RET of the region may
 * branch there (pass 2 knows every site; pass 1 may not have seen the RET yet).
 */
function noteReturnSite(nextEip: u32): void {
  addTarget(nextEip);
  const site = regionIndexOf(nextEip);
  if (site >= 0) {
    returnSites = v128.or(returnSites, bit(<u32>site));
    jumpTargets = v128.or(jumpTargets, bit(<u32>site));
  }
}

/** Leave the block with EIP = local `l`, `done` more instructions completed. */
function emitExitToLocal(l: u32, done: u32): void {
  addDone(done);
  i32Const(EIP_ADDR);
  localGet(l);
  memOp(OP_I32_STORE, 2);
  br(exitDepth());
}

/**
 * CALL r/m32 and JMP r/m32 (FF /2 /4; control.ts callNearE, jmpNearE): read
 * the target (a fault leaves everything as it was), check it against the CS
 * limit (#GP(0) by the interpreter, before the push), push the return
 * address for CALL (ESP changes only when the write succeeded), then go on
 * at the target: a branch when it is one of the region's blocks (compared at
 * run time, as translateRet compares return sites), else leave with EIP =
 * target. The region's blocks are known only after pass 1, so pass 1 emits
 * as many compares as pass 2 may, for the size.
 */
function translateIndirect(isCall: bool, nextEip: u32): u32 {
  if (isCall && !stack32) return T_NO;
  loadRm32(L_RES);
  emitCsLimitCheck(L_RES);
  if (isCall) {
    emitPushReturnAddress(nextEip);
    // The push hit compiled code, or an event is pending: leave at the target.
    localGet(L_ST);
    ifStart();
    emitExitToLocal(L_RES, k + 1);
    ifEnd();
    noteReturnSite(nextEip);
  }
  if (discovering) {
    // Not edges for the clusters: a guess at the target would merge cycles that may never run.
    const succs = v128.load(blockSuccs + (curBlock << 4));
    for (let i: u32 = 0; i < MAX_INDIRECT_TARGETS; i++) emitBranchIfTarget(L_RES, 0, SIZING_TARGET);
    v128.store(blockSuccs + (curBlock << 4), succs);
    // Pass 2 may branch to any of the first blocks: they are entered by jumps (flagsBlockStart).
    jumpTargets = v128.or(jumpTargets, blocksBelow(MAX_INDIRECT_TARGETS));
  } else {
    const n = regionCount < MAX_INDIRECT_TARGETS ? regionCount : MAX_INDIRECT_TARGETS;
    for (let i: u32 = 0; i < n; i++) {
      const eip = regionEip(i);
      if (regionIndexOf(eip) == <i32>i) emitBranchIfTarget(L_RES, i, eip);
    }
  }
  emitExitToLocal(L_RES, k + 1);
  return T_END;
}

/** When the target in local `l` (a popped return address, an indirect one) is region block `j` (EIP `eip`), go on there. */
function emitBranchIfTarget(l: u32, j: u32, eip: u32): void {
  localGet(l);
  i32Const(eip);
  byte(OP_I32_EQ);
  ifStart();
  emitRegionJump(j, eip, k + 1);
  ifEnd();
}

/**
 * Integer instructions the translator leaves to the interpreter but whose
 * length it knows (ModRM and immediate sizes, SDM Vol. 2 App. A): the block
 * calls the interpreter for them and goes on when EIP is where the length
 * says and nothing asks it to leave (a fault delivered, an interrupt or trap
 * pending, compiled code written). A wrong length only ends the block there.
 */
function interpretInline(op: u32, twoByte: bool): u32 {
  let immBytes: u32 = 0;
  let modrm = true;
  if (!twoByte) {
    if (op == 0xc1 || op == 0xd1 || op == 0xd3 || op == 0xd0 || op == 0xd2 || op == 0xc0) immBytes = op == 0xc1 || op == 0xc0 ? 1 : 0;
    else if (op == 0x69) immBytes = opsize16 ? 2 : 4;
    else if (op == 0x6b || op == 0x80 || op == 0x82) immBytes = 1;
    else if (op == 0x81) immBytes = opsize16 ? 2 : 4;
    else if (op == 0x83) immBytes = 1;
    else if (op == 0xc6) immBytes = 1;
    else if (op == 0xf7 || op == 0xf6) {
      // TEST has an immediate (/0, /1); NOT NEG MUL IMUL DIV IDIV do not.
      const save = cur;
      const m = fetchByte();
      cur = save;
      if (((m >> 3) & 7) < 2) immBytes = op == 0xf6 ? 1 : opsize16 ? 2 : 4;
    } else if (op == 0xfe || op == 0xff) {
      // INC/DEC only (/0, /1): the rest of the group are jumps, calls and PUSH
      // (translateGroupFF compiles the 32-bit FF forms; this takes FE and 66 FF).
      const save = cur;
      const m = fetchByte();
      cur = save;
      if (((m >> 3) & 7) > 1) return T_NO;
    } else if (op < 0x40 && (op & 7) < 4 && op != 0x0f) {
      // 8-bit and ADC/SBB forms of the ALU rows (00-03, 08-0B, ... 38-3B)
    } else if (op < 0x40 && (op & 7) == 4) {
      modrm = false;
      immBytes = 1;
    } else if (op < 0x40 && (op & 7) == 5) {
      modrm = false;
      immBytes = opsize16 ? 2 : 4;
    } else if (op == 0x84 || op == 0x86 || op == 0x87) {
      // TEST r/m8, XCHG
    } else if ((op >= 0x91 && op <= 0x99) || op == 0xfc || op == 0xfd || op == 0xf5 || op == 0xf8 || op == 0xf9) {
      modrm = false; // XCHG eAX, CWDE, CDQ, CLD, STD, CMC, CLC, STC
    } else if (op >= 0xb0 && op <= 0xb7) {
      modrm = false;
      immBytes = 1;
    } else if (isStringOp(op) || op == 0x9c || op == 0x9d || op == 0xfa) {
      // MOVS CMPS STOS LODS SCAS (REP or not: the interpreter runs a chunk and the block leaves
      // unless it finished), PUSHFD, POPFD (an IF or TF it sets makes the block leave), CLI.
      modrm = false;
    } else return T_NO;
  } else {
    if (op == 0xaf || op == 0xa3 || op == 0xab || op == 0xb3 || op == 0xbb || op == 0xbc || op == 0xbd) immBytes = 0;
    else if (op == 0xa4 || op == 0xac || op == 0xba) immBytes = 1;
    else if (op == 0xa5 || op == 0xad || op == 0xb0 || op == 0xb1 || op == 0xc0 || op == 0xc1) immBytes = 0;
    else if (op >= 0x90 && op <= 0x9f) immBytes = 0;
    else if (op == 0x31) modrm = false; // RDTSC (the clock sees the block's instructions: emitPending)
    else return T_NO;
  }
  if (modrm) decodeModrm();
  for (let i: u32 = 0; i < immBytes; i++) fetchByte();
  if (bad) return T_NO;
  const nextEip = instrEip + (cur - instrStart);
  const writes = modrm ? interpWrites(op, twoByte) : twoByte ? (1 << REG_EAX) | (1 << REG_EDX) : interpWritesNoModrm(op);
  flagsOp = LAZY_NONE;
  emitPending();
  emitInterpCall(instrEip);
  loadAt(EIP_ADDR);
  i32Const(nextEip);
  byte(OP_I32_NE);
  byte(OP_I32_OR);
  ifStart();
  // The interpreter counted it and stored EIP: leave with the compiled ones.
  emitLeaveSynced(k);
  ifEnd();
  syncRegsIn(writes);
  // It used one instruction of the budget (a loop's check counts only compiled ones in $n).
  localGet(L_BUDGET);
  i32Const(1);
  byte(OP_I32_SUB);
  localSet(L_BUDGET);
  interpreted++;
  return T_INTERPRETED;
}

/** Bit of register `r`, with its 8-bit alias (AH..BH are the second bytes of EAX..EBX) when `r` >= 4. */
@inline function regBits(r: u32): u32 {
  return (1 << r) | (1 << (r & 3));
}

/**
 * The general registers an instruction interpretInline accepted may write
 * (SDM Vol. 2 for each; decodeModrm ran: mReg, mRm, mIsReg), reloaded after
 * the interpreter ran it. Register operands count with their 8-bit aliases.
 */
function interpWrites(op: u32, twoByte: bool): u32 {
  const e: u32 = mIsReg ? regBits(mRm) : 0;
  const g: u32 = regBits(mReg);
  const ax: u32 = 1 << REG_EAX;
  const dx: u32 = 1 << REG_EDX;
  if (twoByte) {
    if (op == 0xaf || op == 0xbc || op == 0xbd) return g; // IMUL, BSF, BSR
    if (op == 0xa3) return 0; // BT
    if (op == 0xb0 || op == 0xb1) return e | ax; // CMPXCHG
    if (op == 0xc0 || op == 0xc1) return e | g; // XADD
    return e; // BTS BTR BTC, SHLD SHRD, SETcc
  }
  if (op < 0x40) {
    // ALU rows: CMP writes nothing; direction bit 1: G is the destination.
    if (op >> 3 == ALU_CMP) return 0;
    return (op & 2) != 0 ? g : e;
  }
  if (op == 0x69 || op == 0x6b) return g;
  if (op >= 0x80 && op <= 0x83) return mReg == ALU_CMP ? 0 : e;
  if (op == 0x84) return 0; // TEST
  if (op == 0x86 || op == 0x87) return e | g; // XCHG
  if (op == 0xf6 || op == 0xf7) {
    if (mReg < 2) return 0; // TEST
    if (mReg < 4) return e; // NOT, NEG
    return ax | dx; // MUL IMUL DIV IDIV: AX, or EDX:EAX
  }
  return e; // shifts and rotates, MOV r/m8 imm8, INC/DEC r/m
}
/** As interpWrites, for the forms without ModRM interpretInline accepts. */
function interpWritesNoModrm(op: u32): u32 {
  const ax: u32 = 1 << REG_EAX;
  if (op < 0x40) return op >> 3 == ALU_CMP ? 0 : ax; // op AL/EAX, imm
  if (op >= 0x91 && op <= 0x97) return ax | (1 << (op & 7)); // XCHG eAX, r
  if (op == 0x98) return ax; // CWDE
  if (op == 0x99) return 1 << REG_EDX; // CDQ
  if (op >= 0xb0 && op <= 0xb7) return regBits(op & 7); // MOV r8, imm8
  if (isStringOp(op)) return ax | (1 << REG_ECX) | (1 << REG_ESI) | (1 << REG_EDI); // LODS writes EAX; REP counts ECX
  if (op == 0x9c || op == 0x9d) return 1 << REG_ESP;
  return 0; // CLD STD CMC CLC STC CLI
}
/** MOVS CMPS STOS LODS SCAS (A4-A7, AA-AF). */
function isStringOp(op: u32): bool {
  return (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

/**
 * Leave with this instruction run by the interpreter (which raises what it
 * raises: #GP(0) for a target beyond the CS limit). Leaving at it without
 * running it would return no progress when it starts the block, and the
 * dispatcher would enter the block again and again.
 */
function emitInterpretAndLeave(): void {
  emitPending();
  const saved = dirty;
  const savedFlagsDirty = flagsDirty;
  const savedInMem = flagsInMem;
  const savedOp = flagsOp;
  emitInterpCall(instrEip);
  byte(OP_DROP);
  emitLeaveSynced(k);
  // Only a cold path wrote the registers and flags out: the code after it still has them dirty.
  dirty = saved;
  flagsDirty = savedFlagsDirty;
  flagsInMem = savedInMem;
  flagsOp = savedOp;
}

/** When `local` is beyond the CS limit, the interpreter takes this instruction (#GP(0)) and the block leaves. */
function emitCsLimitCheck(local: u32): void {
  if (flatSegs) return; // CS limit 0xFFFFFFFF: no target lies beyond it
  localGet(local);
  loadAt(CS_HI_ADDR);
  byte(OP_I32_GT_U);
  ifStart();
  emitInterpretAndLeave();
  ifEnd();
}

/**
 * CALL rel32 (SDM Vol. 2A "CALL", near relative): the target is checked
 * against the CS limit before the return address is pushed; ESP changes only
 * when the push succeeded. Then on to the target (a region block, else leave).
 */
function translateCall(): u32 {
  if (!stack32) return T_NO;
  const rel = fetchDword();
  if (bad) return T_NO;
  const nextEip = instrEip + (cur - instrStart);
  const target = nextEip + rel;
  i32Const(target);
  localSet(L_RES);
  emitCsLimitCheck(L_RES);
  emitPushReturnAddress(nextEip);
  // The push hit compiled code, or an event is pending: leave at the target.
  localGet(L_ST);
  ifStart();
  emitExit(target, k + 1);
  ifEnd();
  addTarget(target);
  noteReturnSite(nextEip);
  const j = regionIndexOf(target);
  if (j >= 0) emitRegionJump(<u32>j, target, k + 1);
  else emitExit(target, k + 1);
  return T_END;
}

/**
 * RET / RET imm16 (near): pop the return address (a fault leaves ESP as it
 * was), check it against the CS limit (#GP(0) before ESP changes, by the
 * interpreter), then ESP += 4 + imm16 and leave at the popped EIP.
 */
function translateRet(imm: bool): u32 {
  if (!stack32) return T_NO;
  let extra: u32 = 0;
  if (imm) {
    extra = fetchByte();
    extra |= fetchByte() << 8;
    if (bad) return T_NO;
  }
  emitStackRead(REG_ESP);
  emitCsLimitCheck(L_SRC);
  emitStackRelease(4 + extra);
  retBlocks = v128.or(retBlocks, bit(curBlock));
  // Back to a return site of this region (after one of its CALLs): go on there without leaving.
  for (let sites = returnSites; !isEmpty(sites); sites = withoutFirst(sites)) {
    const site = regionEip(firstOf(sites));
    const j = regionIndexOf(site);
    if (j >= 0) emitBranchIfTarget(L_SRC, <u32>j, site);
  }
  emitExitToLocal(L_SRC, k + 1);
  return T_END;
}

/** Compute RES without recording flags (the write may still fault). */
function emitAluNoFlags(op: u32): void {
  if (op == ALU_ADC || op == ALU_SBB) {
    // alu.ts: the carry (borrow) in is CF before the instruction, kept in LAZY_AUX.
    emitCarry();
    localSet(L_AUX);
    localGet(L_DST);
    localGet(L_SRC);
    byte(op == ALU_ADC ? OP_I32_ADD : OP_I32_SUB);
    localGet(L_AUX);
    byte(op == ALU_ADC ? OP_I32_ADD : OP_I32_SUB);
    localSet(L_RES);
    return;
  }
  localGet(L_DST);
  localGet(L_SRC);
  if (op == ALU_ADD) byte(OP_I32_ADD);
  else if (op == ALU_OR) byte(OP_I32_OR);
  else if (op == ALU_AND) byte(OP_I32_AND);
  else if (op == ALU_XOR) byte(OP_I32_XOR);
  else byte(OP_I32_SUB);
  localSet(L_RES);
}
function emitLazyFor(op: u32, size: u32): void {
  if (op == ALU_ADC || op == ALU_SBB) {
    emitLazy(op == ALU_ADC ? LAZY_ADC : LAZY_SBB, size, true);
    return;
  }
  emitLazy(op == ALU_ADD ? LAZY_ADD : op == ALU_SUB || op == ALU_CMP ? LAZY_SUB : LAZY_LOGIC, size);
}

// ALU operand forms (8-bit rows; the 16-bit ones are one opcode up).
const F_EG: u32 = 0; // op r/m, r (00+8n; TEST 84, 85)
const F_GE: u32 = 2; // op r, r/m (02+8n)
const F_AI: u32 = 4; // op AL/AX, imm (04+8n; TEST A8, A9)
const F_EI: u32 = 8; // op r/m, imm (80, 81, 82, 83; TEST F6 /0)
const BYTE_MASK: u32 = 0xff;

/**
 * 8-bit ADD OR ADC SBB AND SUB XOR CMP and TEST in every operand form, as
 * alu.ts alu() with size 8: operands zero-extended bytes, arithmetic results
 * masked, lazy flags of size 8.
 */
function translateAlu8(op: u32): u32 {
  const afterOpcode = cur;
  let alu: u32 = ALU_AND;
  let form: u32 = F_EI;
  let test = false;
  if (op < 0x40) {
    alu = op >> 3;
    form = op & 7;
  } else if (op == 0x84) {
    form = F_EG;
    test = true;
  } else if (op == 0xa8) {
    form = F_AI;
    test = true;
  } else if (op == 0xf6) test = true;
  if (form != F_AI) decodeModrm();
  if (op == 0x80 || op == 0x82) alu = mReg;
  let v: u32 = 0;
  if (form == F_AI || form == F_EI) v = fetchByte();
  if (bad) return T_NO;
  if ((op == 0xf6 && mReg != 0) || !aluSupported(alu)) {
    // F6 /1-/7: NOT NEG MUL IMUL DIV IDIV and the TEST alias.
    cur = afterOpcode;
    return interpretInline(op, false);
  }
  return emitAluForm(alu, form, v, test || alu == ALU_CMP, 8);
}

/**
 * Group 3 with a 32-bit operand (F7): /0 and /1 TEST r/m32, imm32 (alu.ts
 * testEI: LAZY_LOGIC), /2 NOT r/m32 (no flags), /3 NEG r/m32 (alu.ts negE:
 * LAZY_SUB of 0 - v, the operand read for write first); MUL, IMUL, DIV and
 * IDIV by the interpreter.
 */
function translateGroup3(op: u32): u32 {
  const afterOpcode = cur;
  decodeModrm();
  if (bad) return T_NO;
  const sub = mReg;
  if (sub > 3) {
    cur = afterOpcode;
    return interpretInline(op, false);
  }
  if (sub < 2) {
    const v = fetchDword();
    if (bad) return T_NO;
    i32Const(v);
    localSet(L_SRC);
    loadRm32(L_DST);
    emitAlu(ALU_AND);
    return T_OK;
  }
  const nextEip = instrEip + (cur - instrStart);
  if (mIsReg) {
    if (sub == 2) {
      loadReg(mRm);
      i32Const(0xffffffff);
      byte(OP_I32_XOR);
      localSet(L_RES);
    } else {
      i32Const(0);
      localSet(L_DST);
      loadReg(mRm);
      localSet(L_SRC);
      emitAlu(ALU_SUB);
    }
    storeRegFromLocal(mRm, L_RES);
    return T_OK;
  }
  emitEA();
  if (sub == 2) {
    emitRead(32 | READ_FOR_WRITE, L_SRC);
    localGet(L_SRC);
    i32Const(0xffffffff);
    byte(OP_I32_XOR);
    localSet(L_RES);
    emitWriteSeg(mSeg, 32, L_RES);
  } else {
    emitRead(32 | READ_FOR_WRITE, L_SRC);
    i32Const(0);
    localSet(L_DST);
    emitAluNoFlags(ALU_SUB);
    emitWriteSeg(mSeg, 32, L_RES);
    emitLazyFor(ALU_SUB, 32);
  }
  emitWriteCheck(nextEip);
  return T_OK;
}

/**
 * An 8- or 16-bit ALU operation in operand form `form` (F_EG, F_GE, F_AI or
 * F_EI, immediate `v`), as alu.ts alu() with `size`: operands
 * zero-extended, arithmetic results masked, lazy flags of `size`; TEST and
 * CMP (`noWrite`) write no operand. decodeModrm ran (except for F_AI).
 */
function emitAluForm(alu: u32, form: u32, v: u32, noWrite: bool, size: u32): u32 {
  const nextEip = instrEip + (cur - instrStart);
  if (form == F_AI) {
    loadRegSized(REG_EAX, size);
    localSet(L_DST);
    i32Const(v);
    localSet(L_SRC);
  } else if (form == F_GE) {
    if (mIsReg) {
      loadRegSized(mRm, size);
      localSet(L_SRC);
    } else {
      emitEA();
      emitRead(size, L_SRC);
    }
    loadRegSized(mReg, size);
    localSet(L_DST);
  } else {
    if (form == F_EG) loadRegSized(mReg, size);
    else i32Const(v);
    localSet(L_SRC);
    if (mIsReg) {
      loadRegSized(mRm, size);
      localSet(L_DST);
    } else {
      emitEA();
      emitRead(noWrite ? size : size | READ_FOR_WRITE, L_DST);
    }
  }
  emitAluNoFlags(alu);
  if (alu != ALU_AND && alu != ALU_OR && alu != ALU_XOR) {
    localGet(L_RES);
    i32Const(size == 8 ? BYTE_MASK : WORD_MASK);
    byte(OP_I32_AND);
    localSet(L_RES);
  }
  if (noWrite) {
    emitLazyFor(alu, size);
    return T_OK;
  }
  if (form == F_AI || form == F_GE || mIsReg) {
    storeRegSized(form == F_AI ? REG_EAX : form == F_GE ? mReg : mRm, size, L_RES);
    emitLazyFor(alu, size);
    return T_OK;
  }
  emitWriteSeg(mSeg, size, L_RES);
  emitLazyFor(alu, size);
  emitWriteCheck(nextEip);
  return T_OK;
}

/** MOV r/m8, imm8 (C6 /0) and MOV r8, imm8 (B0-B7). */
function translateMov8Imm(op: u32): u32 {
  if (op != 0xc6) {
    const v = fetchByte();
    if (bad) return T_NO;
    storeReg8Begin(op & 7);
    i32Const(v);
    storeReg8End(op & 7);
    return T_OK;
  }
  decodeModrm();
  const v = fetchByte();
  if (bad || mReg != 0) return T_NO;
  if (mIsReg) {
    storeReg8Begin(mRm);
    i32Const(v);
    storeReg8End(mRm);
    return T_OK;
  }
  i32Const(v);
  localSet(L_SRC);
  emitEA();
  emitWriteSeg(mSeg, 8, L_SRC);
  emitWriteCheck(instrEip + (cur - instrStart));
  return T_OK;
}

/**
 * With an operand-size prefix: MOV r/m16, r16 (66 89), MOV r16, r/m16
 * (66 8B), MOV r/m16, imm16 (66 C7 /0). A 16-bit register write keeps the
 * upper half (SDM Vol. 1 §3.4.1.1); anything else ends the block.
 */
function translateMov16(op: u32): u32 {
  if (op != 0x89 && op != 0x8b && op != 0xc7) return T_NO;
  decodeModrm();
  let v: u32 = 0;
  if (op == 0xc7) {
    v = fetchByte();
    v |= fetchByte() << 8;
    if (mReg != 0) return T_NO;
  }
  if (bad) return T_NO;
  if (op == 0x89) {
    loadReg(mReg);
    localSet(L_SRC);
  } else if (op == 0xc7) {
    i32Const(v);
    localSet(L_SRC);
  } else if (mIsReg) {
    loadReg(mRm);
    localSet(L_SRC);
  } else {
    emitEA();
    emitRead(16, L_SRC);
  }
  if (op != 0x8b && !mIsReg) {
    emitEA();
    emitWriteSeg(mSeg, 16, L_SRC);
    emitWriteCheck(instrEip + (cur - instrStart));
    return T_OK;
  }
  const r: u32 = op == 0x8b ? mReg : mRm;
  loadReg(r);
  i32Const(WORD_HIGH_MASK);
  byte(OP_I32_AND);
  localGet(L_SRC);
  i32Const(WORD_MASK);
  byte(OP_I32_AND);
  byte(OP_I32_OR);
  localSet(L_SRC);
  storeRegFromLocal(r, L_SRC);
  return T_OK;
}
const WORD_MASK: u32 = 0xffff;
const WORD_HIGH_MASK: u32 = 0xffff0000;

/**
 * MOV AL/EAX, moffs (A0, A1) and MOV moffs, AL/EAX (A2, A3): the operand is
 * at a 32-bit offset in the instruction (DS unless overridden). Linux reads
 * its per-CPU variables this way (mov eax, fs:[current_task]), so leaving
 * them to the interpreter ended a block at every `current`.
 */
function translateMovMoffs(op: u32): u32 {
  const off = fetchDword();
  if (bad) return T_NO;
  mIsReg = false;
  mBase = NO_REG;
  mIndex = NO_REG;
  mScale = 0;
  mDisp = off;
  mSeg = segPrefix >= 0 ? <u32>segPrefix : SEG_DS;
  emitEA();
  if (op == 0xa0) {
    emitRead(8, L_SRC);
    storeReg8Begin(REG_EAX);
    localGet(L_SRC);
    storeReg8End(REG_EAX);
    return T_OK;
  }
  if (op == 0xa1) {
    emitRead(32, L_SRC);
    storeRegFromLocal(REG_EAX, L_SRC);
    return T_OK;
  }
  if (op == 0xa2) loadReg8(REG_EAX);
  else loadReg(REG_EAX);
  localSet(L_SRC);
  emitWriteSeg(mSeg, op == 0xa2 ? 8 : 32, L_SRC);
  emitWriteCheck(instrEip + (cur - instrStart));
  return T_OK;
}

/**
 * An instruction with the operand-size prefix (66) in 32-bit code: the
 * 16-bit MOVs, ALU operations, INC/DEC and shifts are compiled; the other
 * integer instructions whose length interpretInline knows run in the
 * interpreter inside the block; anything else ends the block.
 */
function translate16(op: u32): u32 {
  if (op == 0x89 || op == 0x8b || op == 0xc7) return translateMov16(op);
  if (op == 0xc1 || op == 0xd1 || op == 0xd3) return translateShift(op);
  if ((op < 0x40 && ((op & 7) == 1 || (op & 7) == 3 || (op & 7) == 5)) || op == 0x81 || op == 0x83 || op == 0x85 || op == 0xa9) {
    return translateAlu16(op);
  }
  if (op >= 0x40 && op <= 0x4f) {
    // INC/DEC r16: CF is kept (LAZY_AUX), as alu.ts incValue/decValue.
    const r = op & 7;
    loadRegSized(r, 16);
    localTee(L_DST);
    i32Const(1);
    localTee(L_SRC);
    byte(op >= 0x48 ? OP_I32_SUB : OP_I32_ADD);
    i32Const(WORD_MASK);
    byte(OP_I32_AND);
    localSet(L_RES);
    emitCarry();
    localSet(L_AUX);
    emitLazy(op >= 0x48 ? LAZY_DEC : LAZY_INC, 16, true);
    storeRegSized(r, 16, L_RES);
    return T_OK;
  }
  if (op == 0x0f) {
    const op2 = fetchByte();
    if (bad) return T_NO;
    return interpretInline(op2, true);
  }
  return interpretInline(op, false);
}

/**
 * 16-bit ADD OR ADC SBB AND SUB XOR CMP and TEST (66 + 01-3D, 81, 83, 85,
 * A9): the 8-bit rows' forms one opcode up (01 E,G; 03 G,E; 05 AX,imm16).
 */
function translateAlu16(op: u32): u32 {
  let alu: u32 = ALU_AND;
  let form: u32 = F_EI;
  let test = false;
  if (op < 0x40) {
    alu = op >> 3;
    form = (op & 7) - 1;
  } else if (op == 0x85) {
    form = F_EG;
    test = true;
  } else if (op == 0xa9) {
    form = F_AI;
    test = true;
  }
  if (form != F_AI) decodeModrm();
  if (op == 0x81 || op == 0x83) alu = mReg;
  let v: u32 = 0;
  if (op == 0x83) v = fetchSbyte() & WORD_MASK;
  else if (form == F_AI || form == F_EI) {
    v = fetchByte();
    v |= fetchByte() << 8;
  }
  if (bad) return T_NO;
  return emitAluForm(alu, form, v, test || alu == ALU_CMP, 16);
}

const CC_O: u32 = 0;
const CC_B: u32 = 1; // condition codes >> 1 (SDM Vol. 2 App. B.1.4): B, E, BE, S, L, LE
const CC_E: u32 = 2;
const CC_BE: u32 = 3;
const CC_S: u32 = 4;
const CC_L: u32 = 6;
const CC_LE: u32 = 7;

/**
 * Push lazy-flag local `l`, sign-extended from 8 bits when `signed` and the
 * flags are 8-bit. Unsigned needs no mask: the 8-bit producers record
 * zero-extended bytes (translateAlu8, translateShift), as flags.ts masks them.
 */
function flagLocal(l: u32, signed: bool): void {
  localGet(l);
  if (signed && flagsSize == 8) byte(OP_I32_EXTEND8_S);
  if (signed && flagsSize == 16) byte(OP_I32_EXTEND16_S);
}

/**
 * Push condition `cc` as 0/1. When the block's own code recorded the flags
 * (flagsOp), the condition comes straight from the lazy-flag locals, as
 * flags.ts getCF/getZF/getSF/arithFlags would derive it; else the helper,
 * with the flags flushed to memory first.
 */
function emitCondition(cc: u32): void {
  const c = cc >> 1;
  const op = flagsOp;
  if (op != LAZY_NONE && (c == CC_E || (op == LAZY_LOGIC && c == CC_BE))) {
    flagLocal(L_FRES, false);
    byte(OP_I32_EQZ);
  } else if (op != LAZY_NONE && (c == CC_S || (op == LAZY_LOGIC && c == CC_L))) {
    flagLocal(L_FRES, true);
    i32Const(0);
    byte(OP_I32_LT_S);
  } else if (op == LAZY_LOGIC && c == CC_LE) {
    flagLocal(L_FRES, true);
    i32Const(0);
    byte(OP_I32_LE_S);
  } else if (op == LAZY_LOGIC && c == CC_B) {
    i32Const(0);
  } else if (op == LAZY_SUB && (c == CC_B || c == CC_BE || c == CC_L || c == CC_LE)) {
    // CF = dst < src; ZF = dst == src; SF != OF = dst < src signed.
    const signed = c == CC_L || c == CC_LE;
    flagLocal(L_FDST, signed);
    flagLocal(L_FSRC, signed);
    byte(c == CC_B ? OP_I32_LT_U : c == CC_BE ? OP_I32_LE_U : c == CC_L ? OP_I32_LT_S : OP_I32_LE_S);
  } else if (op == LAZY_ADD && c == CC_B) {
    flagLocal(L_FRES, false);
    flagLocal(L_FDST, false);
    byte(OP_I32_LT_U);
  } else if ((op == LAZY_RESULT || op == LAZY_INC || op == LAZY_DEC) && c == CC_B) {
    // flags.ts getCF: the explicit CF bit (INC/DEC: CF as it was).
    localGet(L_FAUX);
    i32Const(FLAG_CF);
    byte(OP_I32_AND);
  } else if (op == LAZY_RESULT && c == CC_BE) {
    // The explicit CF bit, or ZF from the result.
    localGet(L_FAUX);
    i32Const(FLAG_CF);
    byte(OP_I32_AND);
    flagLocal(L_FRES, false);
    byte(OP_I32_EQZ);
    byte(OP_I32_OR);
  } else if (op == LAZY_RESULT && (c == CC_O || c == CC_L || c == CC_LE)) {
    // OF is the explicit bit; L is SF != OF, LE also ZF.
    localGet(L_FAUX);
    i32Const(OF_SHIFT);
    byte(OP_I32_SHR_U);
    i32Const(1);
    byte(OP_I32_AND);
    if (c != CC_O) {
      flagLocal(L_FRES, true);
      i32Const(31);
      byte(OP_I32_SHR_U);
      byte(OP_I32_XOR);
    }
    if (c == CC_LE) {
      flagLocal(L_FRES, false);
      byte(OP_I32_EQZ);
      byte(OP_I32_OR);
    }
  } else {
    flagsFlush();
    i32Const(cc);
    call(FN_COND);
    return;
  }
  if ((cc & 1) != 0) byte(OP_I32_EQZ);
}
/** Push CF as 0/1. */
function emitCarry(): void {
  if (flagsOp != LAZY_NONE && flagsOp != LAZY_ADC && flagsOp != LAZY_SBB) emitCondition(CC_B << 1);
  else {
    flagsFlush();
    call(FN_CF);
  }
}

/** Jcc: taken → jump (loop or leave); not taken → the block continues. */
function emitCondJump(cc: u32, target: u32, nextEip: u32): void {
  emitCondition(cc);
  ifStart();
  emitJumpTo(target, nextEip);
  ifEnd();
}

const OF_SHIFT: u32 = 11; // FLAG_OF = 1 << 11
const COUNT_MASK: u32 = 0x1f;

/** Record LAZY_RESULT flags: the result in RES, CF|OF in AUX (flags.ts setFlagsFromResult; AF cleared). */
function emitLazyResult(size: u32): void {
  emitLazyBegin(LAZY_RESULT, size, F_RES | F_AUX);
  flagFromLocal(L_FRES, L_RES);
  flagFromLocal(L_FAUX, L_AUX);
}

/**
 * Rotates: CF and OF from AUX replace the old ones, SF ZF AF PF stay (flags.ts
 * setCfOf). When the block's own code recorded the flags, AF is taken as
 * setCfOf takes it and the state becomes LAZY_RESULT; else the helper does it
 * (in memory).
 */
function emitSetCfOf(): void {
  const op = flagsOp;
  if (op == LAZY_NONE) {
    flagsFlush();
    localGet(L_AUX);
    call(FN_SET_CF_OF);
    byte(OP_DROP);
    flagsInMem = true;
    return;
  }
  localGet(L_AUX);
  if (op == LAZY_RESULT) {
    localGet(L_FAUX);
    i32Const(FLAG_AF);
    byte(OP_I32_AND);
    byte(OP_I32_OR);
  } else if (op != LAZY_LOGIC) {
    // ADD SUB INC DEC: AF = (dst ^ src ^ res) & AF, as arithFlags.
    localGet(L_FDST);
    localGet(L_FSRC);
    byte(OP_I32_XOR);
    localGet(L_FRES);
    byte(OP_I32_XOR);
    i32Const(FLAG_AF);
    byte(OP_I32_AND);
    byte(OP_I32_OR);
  }
  localSet(L_FAUX);
  flagsProduce(F_AUX | (op != LAZY_RESULT ? F_OP : 0));
  if (op != LAZY_RESULT) flagFromConst(L_FOP, LAZY_RESULT);
  flagsOp = LAZY_RESULT;
}

/** AUX = `cf` (0/1, on the stack) | OF = the result's bit `size - 1` XOR CF (ROL, SHL; SDM "SAL/SAR/SHL/SHR" flags). */
function emitAuxMsbXorCf(size: u32): void {
  localTee(L_AUX);
  localGet(L_RES);
  i32Const(size - 1);
  byte(OP_I32_SHR_U);
  byte(OP_I32_XOR);
  i32Const(OF_SHIFT);
  byte(OP_I32_SHL);
  localGet(L_AUX);
  byte(OP_I32_OR);
  localSet(L_AUX);
}

let shiftCl: bool = false;
let shiftCount: u32 = 0;
function pushCount(): void {
  if (shiftCl) localGet(L_CNT);
  else i32Const(shiftCount);
}

/**
 * Shifts and rotates (C0 C1 D0-D3: ROL ROR SHL SHR SAR; RCL and RCR go to the
 * interpreter), 8 and 32-bit, register or memory, count imm8, 1 or CL. As
 * cpu/ops/shift.ts: the count is masked to 5 bits; a count of 0 changes
 * nothing (a memory operand is still checked for writing); shifts record
 * LAZY_RESULT with CF|OF in AUX, rotates replace CF and OF only.
 */
function translateShift(op: u32): u32 {
  const afterOpcode = cur;
  decodeModrm();
  const size: u32 = (op & 1) == 0 ? 8 : opsize16 ? 16 : 32;
  shiftCl = op >= 0xd2;
  shiftCount = op <= 0xc1 ? fetchByte() & COUNT_MASK : 1;
  if (bad) return T_NO;
  let kind = mReg;
  if (kind == 6) kind = SHIFT_SHL; // SAL
  if (kind == SHIFT_RCL || kind == SHIFT_RCR || (!shiftCl && shiftCount == 0 && !mIsReg)) {
    cur = afterOpcode;
    return interpretInline(op, false);
  }
  if (!shiftCl && shiftCount == 0) return T_OK; // a register shifted by 0: nothing changes
  const nextEip = instrEip + (cur - instrStart);
  if (mIsReg) {
    loadRegSized(mRm, size);
    localSet(L_DST);
  } else {
    emitEA();
    emitRead(size | READ_FOR_WRITE, L_DST);
  }
  const flagsBefore = flagsOp;
  const sizeBefore = flagsSize;
  if (shiftCl) {
    // Both ways round the `if` (count 0 at run time or not) must leave one flags state: in locals,
    // or for a rotate through the helper in memory, flushed before so the count-0 way agrees.
    flagsToLocals();
    if ((kind == SHIFT_ROL || kind == SHIFT_ROR) && flagsOp == LAZY_NONE) flagsFlush();
    loadReg(REG_ECX);
    i32Const(COUNT_MASK);
    byte(OP_I32_AND);
    localTee(L_CNT);
    ifStart();
  }
  const mask: u32 = size == 32 ? 0xffffffff : size == 16 ? WORD_MASK : BYTE_MASK;
  if (kind == SHIFT_SHL) {
    localGet(L_DST);
    pushCount();
    byte(OP_I32_SHL);
    if (size == 32) {
      localSet(L_RES);
      // CF: the last bit out, bit 32 - count of the operand.
      localGet(L_DST);
      i32Const(32);
      pushCount();
      byte(OP_I32_SUB);
      byte(OP_I32_SHR_U);
    } else {
      // An 8/16-bit operand shifted in 32 bits keeps the last bit out at bit 8/16 (0 for counts above the size).
      localTee(L_RES);
      i32Const(size);
      byte(OP_I32_SHR_U);
      localGet(L_RES);
      i32Const(mask);
      byte(OP_I32_AND);
      localSet(L_RES);
    }
    i32Const(1);
    byte(OP_I32_AND);
    emitAuxMsbXorCf(size);
  } else if (kind == SHIFT_SHR || kind == SHIFT_SAR) {
    // before = operand >> (count - 1): CF is its bit 0; SHR's OF its top bit, SAR's 0.
    localGet(L_DST);
    if (kind == SHIFT_SAR && size == 8) byte(OP_I32_EXTEND8_S);
    if (kind == SHIFT_SAR && size == 16) byte(OP_I32_EXTEND16_S);
    pushCount();
    i32Const(1);
    byte(OP_I32_SUB);
    byte(kind == SHIFT_SAR ? OP_I32_SHR_S : OP_I32_SHR_U);
    localTee(L_LIN);
    i32Const(1);
    byte(kind == SHIFT_SAR ? OP_I32_SHR_S : OP_I32_SHR_U);
    if (size != 32) {
      i32Const(mask);
      byte(OP_I32_AND);
    }
    localSet(L_RES);
    localGet(L_LIN);
    i32Const(1);
    byte(OP_I32_AND);
    if (kind == SHIFT_SHR) {
      localGet(L_LIN);
      i32Const(size - 1);
      byte(OP_I32_SHR_U);
      i32Const(1);
      byte(OP_I32_AND);
      i32Const(OF_SHIFT);
      byte(OP_I32_SHL);
      byte(OP_I32_OR);
    }
    localSet(L_AUX);
  } else {
    // ROL / ROR (count mod 8 or 16 for a byte or word: the rotate formula leaves it unchanged at 0).
    if (size == 32) {
      localGet(L_DST);
      pushCount();
      byte(kind == SHIFT_ROL ? OP_I32_ROTL : OP_I32_ROTR);
    } else {
      localGet(L_DST);
      pushCount();
      i32Const(size - 1);
      byte(OP_I32_AND);
      localTee(L_LIN);
      byte(kind == SHIFT_ROL ? OP_I32_SHL : OP_I32_SHR_U);
      localGet(L_DST);
      i32Const(size);
      localGet(L_LIN);
      byte(OP_I32_SUB);
      byte(kind == SHIFT_ROL ? OP_I32_SHR_U : OP_I32_SHL);
      byte(OP_I32_OR);
      i32Const(mask);
      byte(OP_I32_AND);
    }
    localSet(L_RES);
    if (kind == SHIFT_ROL) {
      // CF = the result's bit 0; OF = MSB XOR CF.
      localGet(L_RES);
      i32Const(1);
      byte(OP_I32_AND);
      emitAuxMsbXorCf(size);
    } else {
      // CF = MSB; OF = MSB XOR the bit below it.
      localGet(L_RES);
      i32Const(size - 1);
      byte(OP_I32_SHR_U);
      i32Const(1);
      byte(OP_I32_AND);
      localTee(L_AUX);
      localGet(L_RES);
      i32Const(size - 2);
      byte(OP_I32_SHR_U);
      byte(OP_I32_XOR);
      i32Const(1);
      byte(OP_I32_AND);
      i32Const(OF_SHIFT);
      byte(OP_I32_SHL);
      localGet(L_AUX);
      byte(OP_I32_OR);
      localSet(L_AUX);
    }
  }
  if (mIsReg) storeRegSized(mRm, size, L_RES);
  else emitWriteSeg(mSeg, size, L_RES);
  if (kind == SHIFT_ROL || kind == SHIFT_ROR) emitSetCfOf();
  else emitLazyResult(size);
  if (!mIsReg) emitWriteCheck(nextEip);
  if (shiftCl) {
    ifEnd();
    // A count of 0 at run time left the flags as they were.
    if (flagsOp != flagsBefore || flagsSize != sizeBefore) flagsOp = LAZY_NONE;
  }
  return T_OK;
}

/**
 * IMUL r32, r/m32 (0F AF) and IMUL r32, r/m32, imm (69, 6B), as
 * cpu/ops/muldiv.ts imulTrunc: the low 32 bits of the signed product; CF =
 * OF = the product does not fit them; flags LAZY_RESULT from the low half.
 */
function translateImul(op: u32): u32 {
  decodeModrm();
  let v: u32 = 0;
  if (op == 0x69) v = fetchDword();
  else if (op == 0x6b) v = fetchSbyte();
  if (bad) return T_NO;
  loadRm32(L_SRC);
  if (op == 0x0faf) loadReg(mReg);
  else i32Const(v);
  localSet(L_DST);
  localGet(L_DST);
  localGet(L_SRC);
  byte(OP_I32_MUL);
  localSet(L_RES);
  localGet(L_DST);
  byte(OP_I64_EXTEND_I32_S);
  localGet(L_SRC);
  byte(OP_I64_EXTEND_I32_S);
  byte(OP_I64_MUL);
  localGet(L_RES);
  byte(OP_I64_EXTEND_I32_S);
  byte(OP_I64_NE);
  i32Const(FLAG_CF | FLAG_OF);
  byte(OP_I32_MUL);
  localSet(L_AUX);
  storeRegFromLocal(mReg, L_RES);
  emitLazyResult(32);
  return T_OK;
}

function translate0F(op: u32): u32 {
  if (bad) return T_NO;
  if (op >= 0x80 && op <= 0x8f) {
    const rel = fetchDword();
    if (bad) return T_NO;
    const nextEip = instrEip + (cur - instrStart);
    emitCondJump(op & 0xf, nextEip + rel, nextEip);
    return T_OK;
  }
  if (op == 0xb6 || op == 0xb7 || op == 0xbe || op == 0xbf) {
    // MOVZX/MOVSX r32, r/m8 or r/m16
    decodeModrm();
    if (bad) return T_NO;
    const word = (op & 1) != 0;
    const signed = op >= 0xbe;
    if (mIsReg) {
      if (word) {
        loadReg(mRm);
        if (signed) byte(OP_I32_EXTEND16_S);
        else {
          i32Const(0xffff);
          byte(OP_I32_AND);
        }
      } else {
        loadReg8(mRm);
        if (signed) byte(OP_I32_EXTEND8_S);
      }
      localSet(L_SRC);
    } else {
      emitEA();
      emitRead(word ? 16 : 8, L_SRC);
      if (signed) {
        localGet(L_SRC);
        byte(word ? OP_I32_EXTEND16_S : OP_I32_EXTEND8_S);
        localSet(L_SRC);
      }
    }
    storeRegFromLocal(mReg, L_SRC);
    return T_OK;
  }
  if (op == 0xaf) return translateImul(0x0faf);
  if (op >= 0x40 && op <= 0x4f) {
    // CMOVcc r32, r/m32: the source is read (and may fault) whatever the condition (SDM "CMOVcc").
    decodeModrm();
    if (bad) return T_NO;
    loadRm32(L_SRC);
    emitCondition(op & 0xf);
    ifStart();
    storeRegFromLocal(mReg, L_SRC);
    ifEnd();
    return T_OK;
  }
  if (op >= 0x90 && op <= 0x9f) {
    const afterOpcode = cur;
    decodeModrm();
    if (bad) return T_NO;
    if (!mIsReg) {
      cur = afterOpcode;
      return interpretInline(op, true);
    }
    storeReg8Begin(mRm);
    emitCondition(op & 0xf);
    storeReg8End(mRm);
    return T_OK;
  }
  return interpretInline(op, true);
}

// ---------- the region and its module ----------

let startAddr: u32 = 0;
/** Instructions of the region's entry block (the budget one pass may need). */
export let blockLength: u32 = 0;
/** Bytes of the module just built at JIT_MODULE. */
export let moduleLength: u32 = 0;

/** EIP of region block `i`. */
export function regionEip(i: u32): u32 {
  return load<u32>(regionEips + (i << 2));
}
/** Instructions region block `i` may run in one pass (the budget it needs); 0: not translatable. */
export function regionLength(i: u32): u32 {
  return load<u32>(regionLens + (i << 2));
}

/**
 * Emit region block `i` (EIP regionEip(i)); returns its pass length (0 when
 * not even its first instruction translates). Its code always ends in a branch.
 */
function translateBody(i: u32): u32 {
  const eip = load<u32>(regionEips + (i << 2));
  cur = startAddr + (eip - startEip);
  curBlock = i;
  flagsBlockStart(i);
  dirty = enteredByJump(i) ? regsWrittenAll : 0;
  k = 0;
  interpreted = 0;
  let ended = false;
  while (k + interpreted < MAX_BLOCK_INSTRUCTIONS - 1) {
    const mark = encPos();
    const at = cur;
    if (k > 0) {
      // Another block of the region starts here: go on there rather than compile its code twice.
      const here = startEip + (cur - startAddr);
      const j = blockStartingAt(here);
      if (j >= 0 && <u32>j != i && (discovering || has(jumpTargetsAll, <u32>j))) {
        store<u32>(blockEnds + (i << 2), here);
        if (!discovering && regionLength(<u32>j) == 0) emitExit(here, k);
        else emitRegionJump(<u32>j, here, k);
        return k + interpreted;
      }
    }
    const savedOp = flagsOp;
    const savedSize = flagsSize;
    const savedInMem = flagsInMem;
    const savedFlagsDirty = flagsDirty;
    const savedDirty = dirty;
    bad = false;
    const r = translateOne();
    // Longer than 15 bytes (prefixes): the interpreter raises #GP (SDM Vol. 2A §2.3.11).
    if (r == T_NO || bad || cur - at > MAX_INSTRUCTION_BYTES) {
      // Nothing of it may stay emitted: rewind (the flags' compile-time state too).
      encRewind(mark);
      cur = at;
      flagsOp = savedOp;
      flagsSize = savedSize;
      flagsInMem = savedInMem;
      flagsDirty = savedFlagsDirty;
      dirty = savedDirty;
      break;
    }
    if (r == T_INTERPRETED) {
      if (interpreted + k >= MAX_BLOCK_INSTRUCTIONS - 1) break;
      continue;
    }
    k++;
    if (r == T_END) {
      ended = true;
      break;
    }
  }
  const inline = interpreted;
  store<u32>(blockEnds + (i << 2), startEip + (cur - startAddr));
  if (k == 0) return 0;
  if (ended) return k + inline;
  const nextEip = startEip + (cur - startAddr);
  if (k > 0 && cur <= last && k + inline < MAX_BLOCK_INSTRUCTIONS - 1) {
    // The interpreter runs the instruction the translator does not know (and counts it).
    emitPending();
    emitInterpCall(nextEip);
    byte(OP_DROP);
    emitLeaveSynced(k);
    return k + inline + 1;
  }
  // The instruction limit (or the window's end): go on at the next block.
  addTarget(nextEip, true);
  const j = regionIndexOf(nextEip);
  if (k > 0 && j >= 0) emitRegionJump(<u32>j, nextEip, k);
  else emitExit(nextEip, k);
  return k + inline;
}

/**
 * Translate the region whose hot entry is at wasm address `addr` (EIP
 * `eip`): the blocks reachable from it through static jump targets and
 * fall-through inside the fetch window [`windowStart`, + `windowSpan`] (CS
 * offsets: one page), whose code bytes may extend to wasm address
 * `lastByte`. `stackIs32`: SS.B; `user`: CPL 3. Returns false when not even
 * the entry's first instruction can be translated.
 *
 * The function (budget, entry index) -> completed instructions:
 *
 *   (the registers and the lazy flags from memory)
 *   block $nosync
 *     block $exitRegs
 *       block $exit
 *         loop $dispatch
 *           block $b(n-1) ... block $b0
 *             local.get $idx  br_table $b0 ... $b(n-1)
 *           end  code of block 0
 *           end  code of block 1 ...
 *         end
 *       end
 *       (the lazy flags the region writes, to memory)
 *     end
 *     (the registers the region writes, to memory)
 *   end
 *   local.get $n
 *
 * A jump to a later block is a br to its label; to an earlier one (or
 * itself) it sets $idx and goes round $dispatch; other exits store EIP and
 * leave through $exit, or $exitRegs while memory holds the flags (after a
 * helper changed them), or through $nosync right after an interpreter call
 * (memory holds every register and the flags then). Blocks may overlap (a target inside another block
 * starts a block of its own).
 */
export function translateRegion(
  addr: u32, lastByte: u32, eip: u32, stackIs32: bool, user: bool, flat: bool, windowStart: u32, windowSpan: u32,
): bool {
  startAddr = addr;
  startEip = eip;
  last = lastByte;
  stack32 = stackIs32;
  userMode = user;
  flatSegs = flat;
  winStart = windowStart;
  winSpan = windowSpan;
  // Pass 1: discover the blocks (the code emitted is thrown away).
  store<u32>(regionEips, eip);
  regionCount = 1;
  discovering = true;
  regsWritten = 0;
  regsWrittenAll = 0xff;
  returnSites = NO_BLOCKS;
  retBlocks = NO_BLOCKS;
  flagsWritten = 0;
  flagsWrittenAll = F_ALL;
  useFlagsStoreFn = true;
  flagsStoreSavings = 0;
  jumpTargets = NO_BLOCKS;
  jumpTargetsAll = ALL_BLOCKS;
  memory.fill(blockSuccs, 0, MAX_REGION_BLOCKS << 4);
  let size: u32 = 0;
  for (let i: u32 = 0; i < regionCount; i++) {
    encStart(JIT_BODY, JIT_BODY_SIZE);
    depth = 0;
    regionBase = 0;
    const len = translateBody(i);
    // + 1: a block may hand one more instruction to the interpreter as it leaves (emitInterpretAndLeave).
    store<u32>(regionLens + (i << 2), len == 0 ? 0 : len + 1);
    if (i == 0 && len == 0) return false;
    const bytes = encPos() - JIT_BODY;
    store<u32>(blockBytes + (i << 2), bytes);
    size += bytes;
    if (i > 0 && size > REGION_BODY_BUDGET) {
      // The function would not fit the buffer: the region ends before this block.
      regionCount = i;
      break;
    }
  }
  discovering = false;
  regsWrittenAll = regsWritten;
  flagsWrittenAll = flagsWritten;
  jumpTargetsAll = jumpTargets;
  // + the store at $exit.
  const nFields = popcnt<u32>(flagsWrittenAll);
  useFlagsStoreFn = flagsStoreSavings + nFields * FIELD_STORE_BYTES > FLAGS_STORE_FN_BYTES + 2 * nFields + 2;
  formClusters();
  // Pass 2: the functions, one after another in JIT_BODY: each cluster's, FN_FLAGS_STORE, the dispatcher.
  let at = JIT_BODY;
  for (let c: u32 = 0; c < clusterCount; c++) {
    encStart(at, JIT_BODY + JIT_BODY_SIZE - at);
    emitCluster(c);
    if (encOverflow()) return false;
    store<u32>(clusterLens + (c << 2), encPos() - at);
    at = encPos();
  }
  blockLength = load<u32>(regionLens);
  encStart(at, JIT_BODY + JIT_BODY_SIZE - at);
  if (useFlagsStoreFn) emitFlagsStoreBody();
  if (encOverflow()) return false;
  const storeLen = encPos() - at;
  at = encPos();
  let dispatchLen: u32 = 0;
  if (clusterCount > 1) {
    emitDispatcher();
    if (encOverflow()) return false;
    dispatchLen = encPos() - at;
  }
  buildModule(storeLen, dispatchLen);
  return !encOverflow();
}

/** Body bytes of each cluster's function (pass 2), in JIT_BODY one after another. */
const clusterLens: usize = memory.data(MAX_REGION_BLOCKS << 2);

/**
 * Split the region into clusters (see "clusters"): the blocks of each
 * strongly connected component of pass 1's jumps (and RETs to the return
 * sites) together, components packed in block order up to clusterBytes.
 * A component too large for one function is split along its loop nest:
 * without the jumps back to its head (its first block), its inner loops
 * become components of their own, packed the same way (and split again
 * when still too large). So a hot inner loop (the XZ decoder's bit loop
 * inside its symbol loop) stays in one function, and only the outer
 * loop's back jumps go between functions.
 */
function formClusters(): void {
  const n = regionCount;
  for (let i: u32 = 0; i < n; i++) {
    let s = v128.load(blockSuccs + (i << 4));
    if (has(retBlocks, i)) s = v128.or(s, returnSites);
    // Pass 2 ends block i where a block found after it starts (translateBody): it goes on there.
    const start = regionEip(i);
    const end = load<u32>(blockEnds + (i << 2));
    for (let j: u32 = 0; j < n; j++) {
      const e = regionEip(j);
      if (e > start && e < end) s = v128.or(s, bit(j));
    }
    v128.store(blockEdges + (i << 4), s);
  }
  clusterCount = 0;
  clusterFilled = 0;
  cutHeads = NO_BLOCKS;
  packComponents(blocksBelow(n));
  for (let c: u32 = 0; c < clusterCount; c++) {
    let pos: u32 = 0;
    for (let set = v128.load(clusterBlocks + (c << 4)); !isEmpty(set); set = withoutFirst(set)) {
      const i = firstOf(set);
      store<u8>(clusterOf + i, <u8>c);
      store<u8>(clusterPos + i, <u8>pos);
      pos++;
    }
  }
}

/** Per block: its jumps (formClusters: with RETs to the return sites and pass 2's fall-throughs). */
const blockEdges: usize = memory.data(MAX_REGION_BLOCKS << 4, 16);
/** Blocks whose incoming jumps formClusters ignores: heads of components it split. */
let cutHeads: v128 = NO_BLOCKS;
/** Body bytes in the last cluster so far. */
let clusterFilled: u32 = 0;

/**
 * Pack the blocks of `members` into clusters, a strongly connected
 * component of the jumps among them (but those into cutHeads) at a time,
 * in block order (see formClusters).
 */
function packComponents(members: v128): void {
  // reach[i]: members reachable from member i (transitive closure, Warshall's algorithm on bit sets).
  const reach = blockReach;
  const edgesIn = v128.andnot(members, cutHeads);
  for (let set = members; !isEmpty(set); set = withoutFirst(set)) {
    const i = firstOf(set);
    v128.store(reach + (i << 4), v128.and(v128.load(blockEdges + (i << 4)), edgesIn));
  }
  for (let ms = members; !isEmpty(ms); ms = withoutFirst(ms)) {
    const m = firstOf(ms);
    const rm = v128.load(reach + (m << 4));
    for (let set = members; !isEmpty(set); set = withoutFirst(set)) {
      const i = firstOf(set);
      const ri = v128.load(reach + (i << 4));
      if (has(ri, m)) v128.store(reach + (i << 4), v128.or(ri, rm));
    }
  }
  // Components in block order; a split one's parts take its place. (The recursion overwrites
  // reach only for its own members, which this loop has then placed.)
  let assigned = NO_BLOCKS;
  for (let set = members; !isEmpty(set); set = withoutFirst(set)) {
    const i = firstOf(set);
    if (has(assigned, i)) continue;
    const ri = v128.load(reach + (i << 4));
    let scc = bit(i);
    let bytes = load<u32>(blockBytes + (i << 2));
    for (let rest = withoutFirst(set); !isEmpty(rest); rest = withoutFirst(rest)) {
      const j = firstOf(rest);
      if (has(ri, j) && has(v128.load(reach + (j << 4)), i)) {
        scc = v128.or(scc, bit(j));
        bytes += load<u32>(blockBytes + (j << 2));
      }
    }
    assigned = v128.or(assigned, scc);
    if (bytes > 2 * clusterBytes && countOf(scc) > 1) {
      // Too large for one function: its head on its own, then its inner loops.
      cutHeads = v128.or(cutHeads, bit(i));
      packComponents(scc);
      continue;
    }
    if (clusterCount == 0 || (clusterFilled > 0 && clusterFilled + bytes > clusterBytes)) {
      v128.store(clusterBlocks + (clusterCount << 4), NO_BLOCKS);
      clusterCount++;
      clusterFilled = 0;
    }
    const c = clusterCount - 1;
    v128.store(clusterBlocks + (c << 4), v128.or(v128.load(clusterBlocks + (c << 4)), scc));
    clusterFilled += bytes;
  }
}

/**
 * The function of cluster `c`: (budget, entry block[, $n]) -> $n[, L_CODE].
 * Registers and flags come from memory; a loop around a br_table on the
 * block index (the region's index: another cluster's blocks are never
 * entered here) runs the blocks, in region order, each at the end of its
 * label so a forward jump is a plain branch; the exits store EIP, the flags
 * and the registers.
 */
function emitCluster(c: u32): void {
  const single = clusterCount == 1;
  const members = v128.load(clusterBlocks + (c << 4));
  const m = countOf(members);
  curCluster = c;
  uleb(1);
  uleb(EXTRA_LOCALS);
  byte(TYPE_I32);
  syncRegsIn(ALL_REGS);
  flagsLoad(flagsWrittenAll);
  blockStart(OP_BLOCK); // $nosync
  blockStart(OP_BLOCK); // $exitRegs
  blockStart(OP_BLOCK); // $exit
  blockStart(OP_LOOP); // $dispatch
  if (m > 1) {
    for (let i: u32 = 0; i < m; i++) blockStart(OP_BLOCK);
    localGet(L_IDX);
    byte(OP_BR_TABLE);
    uleb(regionCount);
    for (let i: u32 = 0; i < regionCount; i++) uleb(has(members, i) ? <u32>load<u8>(clusterPos + i) : 0);
    uleb(0);
    byte(OP_END); // $b0
  }
  let pos: u32 = 0;
  for (let set = members; !isEmpty(set); set = withoutFirst(set)) {
    const i = firstOf(set);
    regionBase = m - 1 - pos;
    depth = regionBase;
    if (load<u32>(regionLens + (i << 2)) == 0) {
      // Never entered (no cache entry, no jump to it): leave at once.
      flagsBlockStart(i);
      emitExit(load<u32>(regionEips + (i << 2)), 0);
    } else {
      translateBody(i);
    }
    if (pos + 1 < m) byte(OP_END); // $b(pos+1)
    pos++;
  }
  byte(OP_END); // $dispatch
  byte(OP_END); // $exit
  flagsStore(flagsWrittenAll);
  byte(OP_END); // $exitRegs
  syncRegsOut(regsWrittenAll);
  byte(OP_END); // $nosync
  localGet(L_N);
  if (!single) localGet(L_CODE);
  byte(OP_END); // function
}

/** First function index of the clusters (after f and FN_FLAGS_STORE, when the module has it). */
function firstClusterFn(): u32 {
  return useFlagsStoreFn ? FN_FLAGS_STORE + 1 : FN_FLAGS_STORE;
}

/**
 * The exported function of a region of several clusters: (budget, entry
 * block) -> instructions completed. It calls the entry block's cluster, and
 * the next one while a cluster leaves with L_CODE naming a block.
 */
function emitDispatcher(): void {
  const L_DN: u32 = 2;
  uleb(1);
  uleb(1);
  byte(TYPE_I32); // $n
  blockStart(OP_BLOCK); // $done
  blockStart(OP_LOOP); // $next
  blockStart(OP_BLOCK); // $called
  for (let c: u32 = 0; c < clusterCount; c++) blockStart(OP_BLOCK);
  localGet(L_IDX);
  byte(OP_BR_TABLE);
  uleb(regionCount);
  for (let i: u32 = 0; i < regionCount; i++) uleb(<u32>load<u8>(clusterOf + i));
  uleb(0);
  for (let c: u32 = 0; c < clusterCount; c++) {
    byte(OP_END); // $c
    localGet(L_BUDGET);
    localGet(L_IDX);
    localGet(L_DN);
    call(firstClusterFn() + c);
    localSet(L_IDX); // L_CODE
    localSet(L_DN);
    br(clusterCount - 1 - c); // $called
  }
  byte(OP_END); // $called
  localGet(L_IDX);
  byte(OP_I32_EQZ);
  brIf(1); // $done
  localGet(L_IDX);
  i32Const(1);
  byte(OP_I32_SUB);
  localSet(L_IDX);
  br(0); // $next
  byte(OP_END); // $next
  byte(OP_END); // $done
  localGet(L_DN);
  byte(OP_END); // function
}

function encRewind(mark: u32): void {
  // The encoder writes forward only; restart it at `mark` with the same end.
  encStart(mark, JIT_BODY + JIT_BODY_SIZE - mark);
}

/** A function type with `params` i32 parameters and one i32 result. */
function funcType(params: u32): void {
  byte(TYPE_FUNC);
  uleb(params);
  for (let i: u32 = 0; i < params; i++) byte(TYPE_I32);
  uleb(1);
  byte(TYPE_I32);
}

/** Size in bytes of uleb(v). */
function ulebSize(v: u32): u32 {
  let n: u32 = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

// Import names, packed as little-endian ASCII (name4): "env", "memory" is too long for one word.
const NAME_ENV: u32 = 0x766e65; // "env"
const NAME_RD: u32 = 0x6472; // "rd"
const NAME_WR: u32 = 0x7277; // "wr"
const NAME_CC: u32 = 0x6363; // "cc"
const NAME_CF: u32 = 0x6663; // "cf"
const NAME_IN: u32 = 0x6e69; // "in"
const NAME_SC: u32 = 0x6373; // "sc"
const NAME_MEM: u32 = 0x6d656d; // "mem"
const NAME_F: u32 = 0x66; // "f"
/** Memory import limits: at least one page, at most the 4 GiB maximum (65536 pages). */
const MEMORY_MAX_PAGES: u32 = 65536;

/**
 * The module around the bodies at JIT_BODY (the clusters', then
 * FN_FLAGS_STORE's, `storeLen` bytes, then the dispatcher's, `dispatchLen`):
 * types (i32)->i32, (i32×3)->i32, (i32×4)->i32, ()->i32, (i32,i32)->i32;
 * imports env.mem (shared memory) and env.rd/wr/cc/cf/in/sc; function 6
 * exported as "f" (the only cluster, or the dispatcher), FN_FLAGS_STORE
 * (the lazy flags to memory, flagsStore) where it pays, then the clusters
 * when there are several, of type (budget, block, $n) -> ($n, L_CODE).
 */
function buildModule(storeLen: u32, dispatchLen: u32): void {
  const nFields = popcnt<u32>(flagsWrittenAll);
  const clustered = clusterCount > 1;
  encStart(JIT_MODULE, JIT_MODULE_SIZE);
  // magic, version
  byte(0x00);
  byte(0x61);
  byte(0x73);
  byte(0x6d);
  byte(0x01);
  byte(0x00);
  byte(0x00);
  byte(0x00);
  // types: 0 (i32)->i32, 1 (i32,i32,i32)->i32, 2 (i32×4)->i32, 3 ()->i32, 4 (i32,i32)->i32,
  // [5 (i32×nFields)->()], [next: (i32,i32,i32)->(i32,i32)]
  const storeType: u32 = 5;
  const clusterType: u32 = useFlagsStoreFn ? 6 : 5;
  const types: u32 = 5 + (useFlagsStoreFn ? 1 : 0) + (clustered ? 1 : 0);
  byte(SECTION_TYPE);
  // count, then 4 + params bytes per type (3 + params without a result, 5 + 3 for the cluster type)
  uleb(1 + 5 + 7 + 8 + 4 + 6 + (useFlagsStoreFn ? 3 + nFields : 0) + (clustered ? 8 : 0));
  uleb(types);
  funcType(1);
  funcType(3);
  funcType(4);
  funcType(0);
  funcType(2);
  if (useFlagsStoreFn) {
    byte(TYPE_FUNC);
    uleb(nFields);
    for (let i: u32 = 0; i < nFields; i++) byte(TYPE_I32);
    uleb(0);
  }
  if (clustered) {
    byte(TYPE_FUNC);
    uleb(3);
    byte(TYPE_I32);
    byte(TYPE_I32);
    byte(TYPE_I32);
    uleb(2);
    byte(TYPE_I32);
    byte(TYPE_I32);
  }
  // imports
  const memImport: u32 = 4 + 4 + 1 + 1 + ulebSize(1) + ulebSize(MEMORY_MAX_PAGES);
  const fnImport: u32 = 4 + 3 + 1 + 1; // "env" + 2-char name + kind + type index
  byte(SECTION_IMPORT);
  uleb(1 + memImport + 6 * fnImport);
  uleb(7);
  name4(NAME_ENV, 3);
  name4(NAME_MEM, 3);
  byte(IMPORT_MEMORY);
  byte(LIMITS_SHARED_MIN_MAX);
  uleb(1);
  uleb(MEMORY_MAX_PAGES);
  importFn(NAME_RD, 1);
  importFn(NAME_WR, 2);
  importFn(NAME_CC, 0);
  importFn(NAME_CF, 3);
  importFn(NAME_IN, 0);
  importFn(NAME_SC, 0);
  // function 6: type 4 (budget, entry block) -> instructions completed; 7 (FN_FLAGS_STORE): type 5; clusters
  const fns: u32 = 1 + (useFlagsStoreFn ? 1 : 0) + (clustered ? clusterCount : 0);
  byte(SECTION_FUNCTION);
  uleb(ulebSize(fns) + fns);
  uleb(fns);
  uleb(4);
  if (useFlagsStoreFn) uleb(storeType);
  if (clustered) for (let c: u32 = 0; c < clusterCount; c++) uleb(clusterType);
  // export "f"
  byte(SECTION_EXPORT);
  uleb(1 + 2 + 1 + ulebSize(FN_BLOCK));
  uleb(1);
  name4(NAME_F, 1);
  byte(EXPORT_FUNC);
  uleb(FN_BLOCK);
  // code: bodies in function order
  let clustersLen: u32 = 0;
  let clusterSizes: u32 = 0;
  for (let c: u32 = 0; c < clusterCount; c++) {
    const len = load<u32>(clusterLens + (c << 2));
    clustersLen += len;
    clusterSizes += ulebSize(len) + len;
  }
  const fLen = clustered ? dispatchLen : clustersLen;
  let codeLen = ulebSize(fns) + ulebSize(fLen) + fLen + (useFlagsStoreFn ? ulebSize(storeLen) + storeLen : 0);
  if (clustered) codeLen += clusterSizes;
  byte(SECTION_CODE);
  uleb(codeLen);
  uleb(fns);
  uleb(fLen);
  bytesFrom(clustered ? JIT_BODY + clustersLen + storeLen : JIT_BODY, fLen);
  if (useFlagsStoreFn) {
    uleb(storeLen);
    bytesFrom(JIT_BODY + clustersLen, storeLen);
  }
  if (clustered) {
    let at = JIT_BODY;
    for (let c: u32 = 0; c < clusterCount; c++) {
      const len = load<u32>(clusterLens + (c << 2));
      uleb(len);
      bytesFrom(at, len);
      at += len;
    }
  }
  moduleLength = encPos() - JIT_MODULE;
}

function importFn(name: u32, type: u32): void {
  name4(NAME_ENV, 3);
  name4(name, 2);
  byte(IMPORT_FUNC);
  uleb(type);
}
