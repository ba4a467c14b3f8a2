// Instruction decoding state: prefixes, ModRM/SIB effective addresses and
// immediates (SDM Vol. 2A ch. 2). The generated dispatcher
// (core-as/cpu/generated/dispatch.ts, from opcode-table.mjs) calls these in
// table order, so handlers find their operands decoded in the globals below.

import {
  segAddr, SEG_ATTR, ATTR_DB, SEG_CS, SEG_DS, SEG_SS, SEG_ES, SEG_FS, SEG_GS,
  reg32, reg16, REG_EBX, REG_EBP, REG_ESI, REG_EDI, REG_ESP,
} from './state';
import { fetchCode8, fetchStart, fetchSpan, fetchDelta, fetchWindowValid } from './memory';
import { codeEpoch, decoderStale, markDecoderStale, clearDecoderStale } from './state';
import { faulted, raiseGP } from './fault';

/** Longest legal instruction (SDM Vol. 2A §2.3.11); longer raises #GP(0). */
const MAX_INSTRUCTION_LENGTH: u32 = 15;

/** CS offset of the current instruction's first byte. */
export let instrEip: u32 = 0;
/** CS offset of the next byte to fetch; after decode, where execution continues. */
export let nextEip: u32 = 0;
/** Operand size in bits (16 or 32) after the 0x66 prefix. */
export let opSize: u32 = 32;
/** Address size: true for 32-bit after the 0x67 prefix. */
export let addr32: bool = true;
/** Segment override prefix (SEG_*), or -1. */
export let segOverride: i32 = -1;
/** 0, 0xf2 (REPNE) or 0xf3 (REP/REPE): the last of the two seen. */
export let repPrefix: u32 = 0;
export let lockPrefix: bool = false;
export let prefix66: bool = false;
/** The opcode being executed: 0x00-0xff, 0x0f00|b, 0x0f3800|b, 0x0f3a00|b. */
export let opcode: u32 = 0;

export let modrm: u32 = 0;
/** ModRM.reg: a register number or the group selector. */
export let modReg: u32 = 0;
/** ModRM.rm: a register number when modIsReg. */
export let modRm: u32 = 0;
export let modIsReg: bool = false;
/** Segment and offset of the memory operand (when !modIsReg, or for moffs forms). */
export let eaSeg: u32 = SEG_DS;
export let eaOff: u32 = 0;

export let imm: u32 = 0;
export let imm2: u32 = 0;

/** A control transfer set nextEip during this instruction (the JIT looks for a block at its target). */
export let branched: bool = false;
@inline export function setNextEip(v: u32): void {
  nextEip = v;
  branched = true;
}
@inline export function setOpcode(v: u32): void {
  opcode = v;
}

// The decode window: CS offsets [decodeStart, decodeStart + decodeLen) that
// this instruction may fetch without checks, so fetching a byte is one
// compare. Normally it is the fetcher's whole cached window ("wide") and
// stays open across instructions while that window is valid and unchanged:
// an instruction without prefixes is at most 11 bytes (9 after 0F), so the
// 15-byte limit cannot bind. Prefixes and the slow fetch path narrow it to
// the 15-byte limit of the current instruction; the next one reopens it.
// Whatever changes the fetch window, the code segment or the prefix state
// marks the decoder stale (state.ts decoderStale), and only then does
// beginInstruction reset the prefixes and reopen the window.
let decodeStart: u32 = 0;
let decodeLen: u32 = 0;
let decodeDelta: u32 = 0;
let decodeWide: bool = false;

/** Open the decode window at CS offset `from` for the rest of this instruction. */
@inline function openDecodeWindow(from: u32): void {
  decodeLen = 0;
  decodeWide = false;
  markDecoderStale();
  if (!fetchWindowValid() || from - fetchStart > fetchSpan) return;
  const avail = fetchSpan - (from - fetchStart) + 1;
  const left = instrEip + MAX_INSTRUCTION_LENGTH - from;
  decodeStart = from;
  decodeLen = avail < left ? avail : left;
  decodeDelta = fetchDelta;
}

/** Make the decode window the fetcher's whole window (empty when that is stale). */
@inline function openWideWindow(): void {
  decodeLen = 0;
  decodeWide = false;
  if (!fetchWindowValid()) return;
  decodeStart = fetchStart;
  decodeLen = fetchSpan + 1; // fetchSpan < 4096: one page at most
  decodeDelta = fetchDelta;
  decodeWide = true;
}

/** Limit the decode window to the current instruction's 15 bytes (prefixed instructions). */
@inline function narrowDecodeWindow(): void {
  if (!decodeWide) return; // already narrowed by the slow fetch path
  decodeWide = false;
  markDecoderStale();
  // The first byte came from this window, so instrEip - decodeStart < decodeLen.
  const maxLen = instrEip - decodeStart + MAX_INSTRUCTION_LENGTH;
  if (decodeLen > maxLen) decodeLen = maxLen;
}

// The code segment's default size, recomputed when CS or CPL changes.
let defaultsEpoch: u32 = 0xffffffff;
let codeDefault32: bool = true;

/**
 * Start decoding at CS:eip. The prefix state and the decode window carry
 * over from the previous instruction unless the decoder is stale: an
 * instruction without prefixes changes neither.
 */
@inline export function beginInstruction(eipValue: u32): void {
  instrEip = eipValue;
  nextEip = eipValue;
  branched = false;
  if (decoderStale) refreshDecoder();
}

/** Reset the prefixes to the code segment's default sizes and reopen the wide decode window. */
function refreshDecoder(): void {
  clearDecoderStale();
  if (defaultsEpoch != codeEpoch) {
    codeDefault32 = (load<u32>(segAddr(SEG_CS) + SEG_ATTR) & ATTR_DB) != 0;
    defaultsEpoch = codeEpoch;
  }
  const big = codeDefault32;
  opSize = big ? 32 : 16;
  addr32 = big;
  segOverride = -1;
  repPrefix = 0;
  lockPrefix = false;
  prefix66 = false;
  openWideWindow();
}

@inline export function fetch8(): u32 {
  const off = nextEip;
  if (off - decodeStart < decodeLen) {
    nextEip = off + 1;
    return <u32>load<u8>(off + decodeDelta);
  }
  return fetch8Slow();
}

function fetch8Slow(): u32 {
  if (nextEip - instrEip >= MAX_INSTRUCTION_LENGTH) {
    raiseGP(0);
    return 0;
  }
  const v = fetchCode8(nextEip);
  if (faulted) return 0;
  nextEip++;
  openDecodeWindow(nextEip);
  return v;
}
// Multi-byte fetches read the window at once when it holds all the bytes
// (little-endian, like the guest), else byte by byte through fetch8.
export function fetch16(): u32 {
  const off = nextEip;
  const rel = off - decodeStart;
  if (rel < decodeLen && decodeLen - rel >= 2) {
    nextEip = off + 2;
    return <u32>load<u16>(off + decodeDelta);
  }
  const lo = fetch8();
  return lo | (fetch8() << 8);
}
export function fetch32(): u32 {
  const off = nextEip;
  const rel = off - decodeStart;
  if (rel < decodeLen && decodeLen - rel >= 4) {
    nextEip = off + 4;
    return load<u32>(off + decodeDelta);
  }
  const lo = fetch8();
  const b1 = fetch8();
  const b2 = fetch8();
  return lo | (b1 << 8) | (b2 << 16) | (fetch8() << 24);
}

// Bytes that start something other than a one-byte opcode (prefixes, the
// 0F escape): 1 in this table. Most instructions have neither, so the first
// byte is tested with one load instead of the prefix switch.
const PREFIX_OR_ESCAPE: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // 0F
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, // 26 2E
  0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, // 36 3E
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, // 64 65 66 67
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // F0 F2 F3
]);

/**
 * Read prefixes and the opcode bytes of the instruction at `at` (= nextEip);
 * returns the opcode number (see `opcode`). The first byte is fetched from
 * `at`, a local of the caller, not reloaded from nextEip. Prefix groups may
 * repeat; for REP the last F2/F3 wins, as on P6.
 */
@inline export function readOpcodeAt(at: u32): u32 {
  let b: u32;
  if (at - decodeStart < decodeLen) {
    nextEip = at + 1;
    b = <u32>load<u8>(at + decodeDelta);
  } else {
    b = fetch8Slow();
  }
  // After a fault b is 0, which is no prefix: the caller checks `faulted`.
  if (load<u8>(PREFIX_OR_ESCAPE + b) == 0) return b;
  if (b == 0x0f) return readEscapedOpcode();
  return readPrefixedOpcode(b);
}

/**
 * The opcode bytes after an unprefixed 0F. Such an instruction is at most
 * 9 bytes (0F 3A op ModRM SIB disp32 imm8), so, like a one-byte opcode,
 * it cannot reach the 15-byte limit and keeps the wide decode window.
 */
function readEscapedOpcode(): u32 {
  const b2 = fetch8();
  if (b2 == 0x38 || b2 == 0x3a) return 0x0f0000 | (b2 << 8) | fetch8();
  return 0x0f00 | b2;
}

/** The rest of readOpcode once the first byte `first` is a prefix or 0F. */
function readPrefixedOpcode(first: u32): u32 {
  markDecoderStale(); // the next instruction resets the prefixes
  narrowDecodeWindow();
  let b = first;
  for (;;) {
    switch (b) {
      case 0x26: segOverride = <i32>SEG_ES; break;
      case 0x2e: segOverride = <i32>SEG_CS; break;
      case 0x36: segOverride = <i32>SEG_SS; break;
      case 0x3e: segOverride = <i32>SEG_DS; break;
      case 0x64: segOverride = <i32>SEG_FS; break;
      case 0x65: segOverride = <i32>SEG_GS; break;
      case 0x66: opSize = opSize == 32 ? 16 : 32; prefix66 = true; break;
      case 0x67: addr32 = !addr32; break;
      case 0xf0: lockPrefix = true; break;
      case 0xf2: repPrefix = 0xf2; break;
      case 0xf3: repPrefix = 0xf3; break;
      case 0x0f: {
        const b2 = fetch8();
        if (b2 == 0x38 || b2 == 0x3a) return (0x0f0000 | (b2 << 8) | fetch8());
        return 0x0f00 | b2;
      }
      default:
        return b;
    }
    b = fetch8();
    if (faulted) return 0;
  }
  return 0; // not reached: the loop only returns
}

@inline function defaultSeg(s: u32): u32 {
  return segOverride >= 0 ? <u32>segOverride : s;
}

/**
 * Read the ModRM byte (and SIB/displacement for memory forms), setting
 * modReg/modRm/eaSeg/eaOff. Inlined into the dispatcher for the register
 * form; the memory forms decode out of line.
 */
@inline export function decodeModrm(): void {
  const m = fetch8();
  modrm = m;
  modReg = (m >> 3) & 7;
  modRm = m & 7;
  modIsReg = m >= 0xc0;
  if (!modIsReg) decodeModrmMemory(m);
}

function decodeModrmMemory(m: u32): void {
  if (faulted) return;
  const mod = m >> 6;
  if (addr32) decodeModrm32(mod, m & 7);
  else decodeModrm16(mod, m & 7);
}

function decodeModrm32(mod: u32, rm: u32): void {
  let seg = SEG_DS;
  let off: u32 = 0;
  if (rm == 4) {
    const sib = fetch8();
    const scale = sib >> 6;
    const index = (sib >> 3) & 7;
    const base = sib & 7;
    if (base == 5 && mod == 0) {
      off = fetch32();
    } else {
      off = reg32(base);
      if (base == REG_ESP || base == REG_EBP) seg = SEG_SS;
    }
    if (index != 4) off += reg32(index) << scale;
  } else if (rm == 5 && mod == 0) {
    off = fetch32();
  } else {
    off = reg32(rm);
    if (rm == REG_EBP) seg = SEG_SS;
  }
  if (mod == 1) off += <u32>(<i32>(<i8>fetch8()));
  else if (mod == 2) off += fetch32();
  eaSeg = defaultSeg(seg);
  eaOff = off;
}

function decodeModrm16(mod: u32, rm: u32): void {
  let seg = SEG_DS;
  let off: u32 = 0;
  switch (rm) {
    case 0: off = reg16(REG_EBX) + reg16(REG_ESI); break;
    case 1: off = reg16(REG_EBX) + reg16(REG_EDI); break;
    case 2: off = reg16(REG_EBP) + reg16(REG_ESI); seg = SEG_SS; break;
    case 3: off = reg16(REG_EBP) + reg16(REG_EDI); seg = SEG_SS; break;
    case 4: off = reg16(REG_ESI); break;
    case 5: off = reg16(REG_EDI); break;
    case 6:
      if (mod == 0) off = fetch16();
      else { off = reg16(REG_EBP); seg = SEG_SS; }
      break;
    default: off = reg16(REG_EBX); break;
  }
  if (mod == 1) off += <u32>(<i32>(<i8>fetch8()));
  else if (mod == 2) off += fetch16();
  eaSeg = defaultSeg(seg);
  eaOff = off & 0xffff;
}

/** moffs operand (MOV AL/eAX <-> [offset]): an address-sized offset in DS or the override. */
export function decodeMoffs(): void {
  eaOff = addr32 ? fetch32() : fetch16();
  eaSeg = defaultSeg(SEG_DS);
  modIsReg = false;
}

// Immediates, as the table's operand letters name them.
@inline export function decodeIb(): void {
  imm = fetch8();
}
/** Ibs: imm8 sign-extended to 32 bits. */
@inline export function decodeIbs(): void {
  imm = <u32>(<i32>(<i8>fetch8()));
}
export function decodeIw(): void {
  imm = fetch16();
}
/** Iz/Iv: 16 or 32 bits by operand size (16-bit values sign-extended into imm for Jz). */
@inline export function decodeIz(): void {
  imm = opSize == 32 ? fetch32() : fetch16();
}
@inline export function decodeJb(): void {
  imm = <u32>(<i32>(<i8>fetch8()));
}
@inline export function decodeJz(): void {
  imm = opSize == 32 ? fetch32() : <u32>(<i32>(<i16>fetch16()));
}
/** Ap: far pointer, offset (16/32) then selector. */
export function decodeAp(): void {
  imm = opSize == 32 ? fetch32() : fetch16();
  imm2 = fetch16();
}
/** ENTER Iw, Ib. */
export function decodeIwIb(): void {
  imm = fetch16();
  imm2 = fetch8();
}

/** The segment for string source operands (DS unless overridden). */
@inline export function stringSrcSeg(): u32 {
  return defaultSeg(SEG_DS);
}
/** Default-DS segment honouring overrides (XLAT, moffs, ...). */
@inline export function dataSeg(): u32 {
  return defaultSeg(SEG_DS);
}
