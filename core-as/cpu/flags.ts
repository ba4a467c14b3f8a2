// Lazy arithmetic flags (OF SF ZF AF PF CF).
//
// Most instructions write all six flags and most of those are never read, so
// an instruction records what it did (operation, size, operands, result) and
// the flags are computed only when something reads them (Jcc, PUSHF, ADC, ...).
// The rest of EFLAGS lives plainly in OFF_EFLAGS.
//
// LAZY_NONE means the six flags are materialized in OFF_EFLAGS too.
// LAZY_RESULT keeps SF/ZF/PF derived from the result and CF/OF/AF given
// explicitly (in LAZY_AUX as a bit mask), for shifts, rotates, MUL, BCD, ...

import { CPU_STATE } from '../machine/layout';
import {
  OFF_EFLAGS, OFF_LAZY_OP, OFF_LAZY_SIZE, OFF_LAZY_DST, OFF_LAZY_SRC, OFF_LAZY_RES, OFF_LAZY_AUX,
  FLAG_CF, FLAG_PF, FLAG_AF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAGS_ARITH, FLAG_BIT1,
} from './state';

export const LAZY_NONE: u32 = 0;
export const LAZY_ADD: u32 = 1;
export const LAZY_ADC: u32 = 2; // LAZY_AUX = carry in
export const LAZY_SUB: u32 = 3;
export const LAZY_SBB: u32 = 4; // LAZY_AUX = borrow in
export const LAZY_LOGIC: u32 = 5; // CF = OF = 0, AF = 0 (SDM: AF undefined; hardware clears it)
export const LAZY_INC: u32 = 6; // LAZY_AUX = CF before (INC/DEC keep CF)
export const LAZY_DEC: u32 = 7;
export const LAZY_RESULT: u32 = 8; // LAZY_AUX = explicit CF|AF|OF bits

@inline function st(off: u32, v: u32): void {
  store<u32>(CPU_STATE + off, v);
}
@inline function ld(off: u32): u32 {
  return load<u32>(CPU_STATE + off);
}

@inline export function sizeMask(size: u32): u32 {
  return size == 32 ? 0xffffffff : size == 16 ? 0xffff : 0xff;
}
@inline export function signBit(size: u32): u32 {
  return <u32>1 << (size - 1);
}

/** Record an arithmetic result for lazy flag evaluation. `size` is 8, 16 or 32. */
@inline export function setLazy(op: u32, size: u32, dst: u32, src: u32, res: u32): void {
  st(OFF_LAZY_OP, op);
  st(OFF_LAZY_SIZE, size);
  st(OFF_LAZY_DST, dst);
  st(OFF_LAZY_SRC, src);
  st(OFF_LAZY_RES, res);
}
@inline export function setLazyAux(v: u32): void {
  st(OFF_LAZY_AUX, v);
}

/** Flags from a result plus explicit CF/AF/OF (bits FLAG_CF|FLAG_AF|FLAG_OF of `cfAfOf`). */
@inline export function setFlagsFromResult(res: u32, size: u32, cfAfOf: u32): void {
  st(OFF_LAZY_OP, LAZY_RESULT);
  st(OFF_LAZY_SIZE, size);
  st(OFF_LAZY_RES, res);
  st(OFF_LAZY_AUX, cfAfOf & (FLAG_CF | FLAG_AF | FLAG_OF));
}

function parity8(v: u32): u32 {
  // PF is set when the low byte has an even number of one bits.
  return (popcnt<u32>(v & 0xff) & 1) == 0 ? FLAG_PF : 0;
}

/** The six arithmetic flags as EFLAGS bits. */
export function arithFlags(): u32 {
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) return ld(OFF_EFLAGS) & FLAGS_ARITH;
  const size = ld(OFF_LAZY_SIZE);
  const mask = sizeMask(size);
  const sign = signBit(size);
  const res = ld(OFF_LAZY_RES) & mask;
  let f: u32 = parity8(res);
  if (res == 0) f |= FLAG_ZF;
  if (res & sign) f |= FLAG_SF;
  if (op == LAZY_RESULT) return f | ld(OFF_LAZY_AUX);
  const dst = ld(OFF_LAZY_DST) & mask;
  const src = ld(OFF_LAZY_SRC) & mask;
  f |= (dst ^ src ^ res) & FLAG_AF;
  switch (op) {
    case LAZY_ADD:
      if (res < dst) f |= FLAG_CF;
      if ((dst ^ res) & (src ^ res) & sign) f |= FLAG_OF;
      break;
    case LAZY_ADC:
      if (res < dst || (ld(OFF_LAZY_AUX) != 0 && res == dst)) f |= FLAG_CF;
      if ((dst ^ res) & (src ^ res) & sign) f |= FLAG_OF;
      break;
    case LAZY_SUB:
      if (dst < src) f |= FLAG_CF;
      if ((dst ^ src) & (dst ^ res) & sign) f |= FLAG_OF;
      break;
    case LAZY_SBB:
      if (dst < src || (ld(OFF_LAZY_AUX) != 0 && dst == src)) f |= FLAG_CF;
      if ((dst ^ src) & (dst ^ res) & sign) f |= FLAG_OF;
      break;
    case LAZY_LOGIC:
      f &= ~FLAG_AF;
      break;
    case LAZY_INC:
      f |= ld(OFF_LAZY_AUX) & FLAG_CF;
      if (res == sign) f |= FLAG_OF;
      break;
    case LAZY_DEC:
      f |= ld(OFF_LAZY_AUX) & FLAG_CF;
      if (res == sign - 1) f |= FLAG_OF;
      break;
  }
  return f;
}

// Single-flag getters: the common consumers (Jcc, ADC, CMOVcc) test one flag,
// and for the usual producers that is cheaper than building all six.
@inline export function getCF(): bool {
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) return (ld(OFF_EFLAGS) & FLAG_CF) != 0;
  if (op == LAZY_RESULT || op == LAZY_INC || op == LAZY_DEC) return (ld(OFF_LAZY_AUX) & FLAG_CF) != 0;
  if (op == LAZY_LOGIC) return false;
  const mask = sizeMask(ld(OFF_LAZY_SIZE));
  const dst = ld(OFF_LAZY_DST) & mask;
  const src = ld(OFF_LAZY_SRC) & mask;
  const res = ld(OFF_LAZY_RES) & mask;
  if (op == LAZY_ADD) return res < dst;
  if (op == LAZY_SUB) return dst < src;
  if (op == LAZY_ADC) return res < dst || (ld(OFF_LAZY_AUX) != 0 && res == dst);
  return dst < src || (ld(OFF_LAZY_AUX) != 0 && dst == src);
}
@inline export function getZF(): bool {
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) return (ld(OFF_EFLAGS) & FLAG_ZF) != 0;
  return (ld(OFF_LAZY_RES) & sizeMask(ld(OFF_LAZY_SIZE))) == 0;
}
export function getSF(): bool {
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) return (ld(OFF_EFLAGS) & FLAG_SF) != 0;
  return (ld(OFF_LAZY_RES) & signBit(ld(OFF_LAZY_SIZE))) != 0;
}
export function getOF(): bool {
  return (arithFlags() & FLAG_OF) != 0;
}
export function getPF(): bool {
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) return (ld(OFF_EFLAGS) & FLAG_PF) != 0;
  return parity8(ld(OFF_LAZY_RES)) != 0;
}
export function getAF(): bool {
  return (arithFlags() & FLAG_AF) != 0;
}

/** Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc; SDM Vol. 1 App. B). */
@inline export function testCondition(cc: u32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break; // O
    case 1: r = getCF(); break; // B / C
    case 2: r = getZF(); break; // E / Z
    case 3: r = getCF() || getZF(); break; // BE
    case 4: r = getSF(); break; // S
    case 5: r = getPF(); break; // P
    case 6: r = getSF() != getOF(); break; // L
    default: r = getZF() || getSF() != getOF(); break; // LE
  }
  return (cc & 1) != 0 ? !r : r;
}

/** The whole EFLAGS register. */
export function getEflags(): u32 {
  return (ld(OFF_EFLAGS) & ~FLAGS_ARITH) | arithFlags() | FLAG_BIT1;
}

/** Write EFLAGS wholesale (the caller has applied privilege masks). */
export function setEflagsRaw(v: u32): void {
  st(OFF_EFLAGS, v | FLAG_BIT1);
  st(OFF_LAZY_OP, LAZY_NONE);
}

/** Replace only the arithmetic flags selected by `mask` (SAHF, POPF, BCD helpers). */
export function setArithFlags(mask: u32, values: u32): void {
  const cur = getEflags();
  setEflagsRaw((cur & ~mask) | (values & mask));
}

/**
 * Replace CF and OF (the bits FLAG_CF|FLAG_OF of `cfOf`) and keep SF ZF AF PF
 * (rotates). Those four stay lazy: SF/ZF/PF still come from the recorded
 * result, and AF, the only one that depends on the operation, is moved
 * into LAZY_AUX, so the state becomes LAZY_RESULT without computing parity.
 */
export function setCfOf(cfOf: u32): void {
  const newBits = cfOf & (FLAG_CF | FLAG_OF);
  const op = ld(OFF_LAZY_OP);
  if (op == LAZY_NONE) {
    st(OFF_EFLAGS, (ld(OFF_EFLAGS) & ~(FLAG_CF | FLAG_OF)) | newBits);
    return;
  }
  let af: u32;
  if (op == LAZY_RESULT) af = ld(OFF_LAZY_AUX) & FLAG_AF;
  else if (op == LAZY_LOGIC) af = 0;
  else af = (ld(OFF_LAZY_DST) ^ ld(OFF_LAZY_SRC) ^ ld(OFF_LAZY_RES)) & FLAG_AF; // as in arithFlags
  st(OFF_LAZY_OP, LAZY_RESULT);
  st(OFF_LAZY_AUX, af | newBits);
}

/** Set or clear one arithmetic flag (CF for CLC/STC/CMC, BT, ...). */
export function setFlag(flag: u32, on: bool): void {
  const cur = getEflags();
  setEflagsRaw(on ? cur | flag : cur & ~flag);
}

/** A non-arithmetic EFLAGS bit (IF, DF, TF, ...) without touching lazy state. */
@inline export function sysFlag(flag: u32): bool {
  return (ld(OFF_EFLAGS) & flag) != 0;
}
@inline export function setSysFlag(flag: u32, on: bool): void {
  const v = ld(OFF_EFLAGS);
  st(OFF_EFLAGS, on ? v | flag : v & ~flag);
}
