// Shared steps of the x87 instruction handlers (core-as/cpu/ops/x87-*.ts):
// fetching memory operands in each format, the arithmetic and compare
// cores with the x87 exception rules (SDM Vol. 1 §8.5, §4.9.2 priorities:
// stack fault / SNaN / unsupported, QNaN, other invalid and #Z, #D, #O #U, #P),
// and writing results.

import { faulted } from '../fault';
import { readMem16, readMem32, writeMem16, writeMem32, probeWriteMem } from '../memory';
import { eaSeg, eaOff } from '../decode';
import {
  FLAG_DE,
  FLAG_IE,
  FLAG_ZE,
  add80,
  div80,
  mul80,
  compare80,
  CMP_EQUAL,
  CMP_LESS,
  CMP_UNORDERED,
  fpBegin,
  fpFlags,
  fpRaise,
  F32_EXP_BITS,
  F32_FRAC_BITS,
  F64_EXP_BITS,
  F64_FRAC_BITS,
  fromBinary,
  fromI64,
  isDenormal80,
  isNaN80,
  isSNaN80,
  isUnsupported80,
  loadDenormal,
  propagateNaN,
  resSe,
  resSig,
  setIndefinite,
  setResult,
} from './float80';
import {
  FSW_C0,
  FSW_C1,
  FSW_C2,
  FSW_C3,
  fpuMasks,
  fpuPrecision,
  fpuRc,
  popStack,
  reportFlags,
  setC1FromRounding,
  setCondition,
  setSt,
  stEmpty,
  stSe,
  stSig,
  stackUnderflow,
} from './fpu-state';

export const OP_ADD: u32 = 0;
export const OP_MUL: u32 = 1;
export const OP_COM: u32 = 2;
export const OP_COMP: u32 = 3;
export const OP_SUB: u32 = 4;
export const OP_SUBR: u32 = 5;
export const OP_DIV: u32 = 6;
export const OP_DIVR: u32 = 7;

export const FMT_F32: u32 = 0;
export const FMT_F64: u32 = 1;
export const FMT_I16: u32 = 2;
export const FMT_I32: u32 = 3;
export const FMT_I64: u32 = 4;
export const FMT_F80: u32 = 5;

/** Start an operation with the current control word. */
export function beginOp(): void {
  fpBegin(fpuRc(), fpuMasks());
}

// The memory operand, converted to extended: opSe/opSig.
export let opSe: u32 = 0;
export let opSig: u64 = 0;

/** Read the ModRM memory operand in `fmt` and convert it (IE for SNaN, DE for denormal single/double). */
export function loadOperand(fmt: u32): void {
  const seg = eaSeg;
  const off = eaOff;
  if (fmt == FMT_F32) {
    const v = readMem32(seg, off);
    if (faulted) return;
    fromBinary(<u64>v, F32_EXP_BITS, F32_FRAC_BITS);
  } else if (fmt == FMT_F64 || fmt == FMT_I64) {
    const lo = readMem32(seg, off);
    if (faulted) return;
    const hi = readMem32(seg, off + 4);
    if (faulted) return;
    const v = (<u64>hi << 32) | <u64>lo;
    if (fmt == FMT_F64) fromBinary(v, F64_EXP_BITS, F64_FRAC_BITS);
    else fromI64(<i64>v);
  } else if (fmt == FMT_I16) {
    const v = readMem16(seg, off);
    if (faulted) return;
    fromI64(<i64>(<i16>v));
  } else if (fmt == FMT_I32) {
    const v = readMem32(seg, off);
    if (faulted) return;
    fromI64(<i64>(<i32>v));
  } else {
    const lo = readMem32(seg, off);
    if (faulted) return;
    const hi = readMem32(seg, off + 4);
    if (faulted) return;
    const se = readMem16(seg, off + 8);
    if (faulted) return;
    setResult(se, (<u64>hi << 32) | <u64>lo);
  }
  opSe = resSe;
  opSig = resSig;
}

/** Write 8 bytes at the memory operand (probed first so a fault leaves memory unchanged). */
export function storeOperand64(v: u64): bool {
  if (!probeWriteMem(eaSeg, eaOff, 4) || !probeWriteMem(eaSeg, eaOff + 4, 4)) return false;
  writeMem32(eaSeg, eaOff, <u32>v);
  writeMem32(eaSeg, eaOff + 4, <u32>(v >> 32));
  return !faulted;
}

export function storeOperand80(se: u32, sig: u64): bool {
  if (!probeWriteMem(eaSeg, eaOff, 4) || !probeWriteMem(eaSeg, eaOff + 4, 4) || !probeWriteMem(eaSeg, eaOff + 8, 2)) return false;
  writeMem32(eaSeg, eaOff, <u32>sig);
  writeMem32(eaSeg, eaOff + 4, <u32>(sig >> 32));
  writeMem16(eaSeg, eaOff + 8, se);
  return !faulted;
}

/**
 * dst = a op b for op in add/mul/sub/subr/div/divr, with the x87 rules;
 * the result goes to ST(dst) unless an unmasked IE/ZE/DE stops it. Then an
 * optional pop.
 */
export function arithmetic(op: u32, dst: u32, aSe: u32, aSig: u64, bSe: u32, bSig: u64, pop: bool): void {
  let xSe = aSe;
  let xSig = aSig;
  let ySe = bSe;
  let ySig = bSig;
  if (op == OP_SUBR || op == OP_DIVR) {
    xSe = bSe;
    xSig = bSig;
    ySe = aSe;
    ySig = aSig;
  }
  const prec = fpuPrecision();
  if (isUnsupported80(xSe, xSig) || isUnsupported80(ySe, ySig)) setIndefinite();
  else if (isNaN80(xSe, xSig) || isNaN80(ySe, ySig)) propagateNaN(xSe, xSig, ySe, ySig);
  else {
    // Division by zero outranks the denormal operand (SDM Vol. 1 §4.9.2; host CPU: ZE alone).
    const divByZero = (op == OP_DIV || op == OP_DIVR) && ySig == 0;
    if (!divByZero && (loadDenormal || isDenormal80(xSe, xSig) || isDenormal80(ySe, ySig))) fpRaise(FLAG_DE);
    if ((fpFlags & FLAG_DE & ~fpuMasks()) == 0) {
      if (op == OP_ADD) add80(xSe, xSig, ySe, ySig, false, prec);
      else if (op == OP_MUL) mul80(xSe, xSig, ySe, ySig, prec);
      else if (op == OP_SUB || op == OP_SUBR) add80(xSe, xSig, ySe, ySig, true, prec);
      else div80(xSe, xSig, ySe, ySig, prec);
    }
  }
  finishResult(dst, pop);
}

/** Commit resSe/resSig to ST(dst) (unless an unmasked IE/ZE/DE), flags, C1, pop. */
export function finishResult(dst: u32, pop: bool): void {
  const flags = fpFlags;
  if ((flags & (FLAG_IE | FLAG_ZE | FLAG_DE) & ~fpuMasks()) != 0) {
    setCondition(FSW_C1, 0);
    reportFlags(flags);
    return;
  }
  setSt(dst, resSe, resSig);
  setC1FromRounding();
  reportFlags(flags);
  if (pop) popStack();
}

/** A source register was empty: masked, ST(dst) gets the indefinite (then the pop). */
export function underflowResult(dst: u32, pop: bool): void {
  if (stackUnderflow()) {
    setIndefinite();
    setSt(dst, resSe, resSig);
    if (pop) popStack();
  }
}

/**
 * FCOM/FUCOM family: compare a with b into C3 C2 C0 (C1 = 0). `unordered`
 * selects FUCOM (QNaN operands raise nothing). Returns the relation, or -2
 * when an unmasked exception suppressed the result.
 */
export function compareOp(aSe: u32, aSig: u64, bSe: u32, bSig: u64, unorderedOk: bool): i32 {
  let rel: i32;
  if (isUnsupported80(aSe, aSig) || isUnsupported80(bSe, bSig)) {
    fpRaise(FLAG_IE);
    rel = CMP_UNORDERED;
  } else if (isNaN80(aSe, aSig) || isNaN80(bSe, bSig)) {
    if (!unorderedOk || isSNaN80(aSe, aSig) || isSNaN80(bSe, bSig)) fpRaise(FLAG_IE);
    rel = CMP_UNORDERED;
  } else {
    if (loadDenormal || isDenormal80(aSe, aSig) || isDenormal80(bSe, bSig)) fpRaise(FLAG_DE);
    rel = compare80(aSe, aSig, bSe, bSig);
  }
  const flags = fpFlags;
  compareRelation = rel;
  setCondition(FSW_C1, 0);
  reportFlags(flags);
  // Unmasked: the codes are still set (unordered for IE), but nothing is popped.
  if ((flags & (FLAG_IE | FLAG_DE) & ~fpuMasks()) != 0) {
    setCompareCodes(rel);
    return -2;
  }
  return rel;
}

/** The relation compareOp found, also when it returned -2 (FCOMI sets EFLAGS from it). */
export let compareRelation: i32 = CMP_UNORDERED;

/** C3 C2 C0 of a relation (SDM FCOM: > 000, < 001, = 100, unordered 111). */
export function setCompareCodes(rel: i32): void {
  let cc: u32 = 0;
  if (rel == CMP_LESS) cc = FSW_C0;
  else if (rel == CMP_EQUAL) cc = FSW_C3;
  else if (rel == CMP_UNORDERED) cc = FSW_C0 | FSW_C2 | FSW_C3;
  setCondition(FSW_C0 | FSW_C2 | FSW_C3, cc);
}

/** ST(i) is empty. */
@inline export function isEmpty(i: u32): bool {
  return stEmpty(i);
}
export { stSe, stSig, setIndefinite, resSe, resSig };
