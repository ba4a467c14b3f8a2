// The eight classic ALU operations: ADD OR ADC SBB AND SUB XOR CMP
// (opcodes 00-3F and groups 80-83; SDM Vol. 2A "ADD" ... "XOR"), and the
// one-operand and flag-only relatives: INC DEC NEG NOT TEST, CLC STC CMC
// CLD STD (SDM Vol. 2A "INC", "DEC", "NEG", "NOT", "TEST", "CLC" ... "STD").

import { regSized, setRegSized, REG_EAX, FLAG_CF, FLAG_DF } from '../state';
import {
  setLazy, setLazyAux, getCF, sizeMask, setFlag, setSysFlag,
  LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, LAZY_INC, LAZY_DEC,
} from '../flags';
import { imm } from '../decode';
import { readE, readEForWrite, writeEBack, readG, writeG } from '../operands';
import { faulted } from '../fault';

// Operation numbers are the ModRM.reg values of groups 80-83.
export const ALU_ADD: u32 = 0;
export const ALU_OR: u32 = 1;
export const ALU_ADC: u32 = 2;
export const ALU_SBB: u32 = 3;
export const ALU_AND: u32 = 4;
export const ALU_SUB: u32 = 5;
export const ALU_XOR: u32 = 6;
export const ALU_CMP: u32 = 7;

/** Compute `dst op src` at `size` bits, record the flags, return the result. */
@inline export function alu(op: u32, dst: u32, src: u32, size: u32): u32 {
  const mask = sizeMask(size);
  let res: u32;
  switch (op) {
    case ALU_ADD:
      res = (dst + src) & mask;
      setLazy(LAZY_ADD, size, dst, src, res);
      return res;
    case ALU_OR:
      res = dst | src;
      setLazy(LAZY_LOGIC, size, dst, src, res);
      return res;
    case ALU_ADC: {
      const carry: u32 = getCF() ? 1 : 0;
      res = (dst + src + carry) & mask;
      setLazyAux(carry);
      setLazy(LAZY_ADC, size, dst, src, res);
      return res;
    }
    case ALU_SBB: {
      const borrow: u32 = getCF() ? 1 : 0;
      res = (dst - src - borrow) & mask;
      setLazyAux(borrow);
      setLazy(LAZY_SBB, size, dst, src, res);
      return res;
    }
    case ALU_AND:
      res = dst & src;
      setLazy(LAZY_LOGIC, size, dst, src, res);
      return res;
    case ALU_XOR:
      res = dst ^ src;
      setLazy(LAZY_LOGIC, size, dst, src, res);
      return res;
    default:
      // SUB and CMP
      res = (dst - src) & mask;
      setLazy(LAZY_SUB, size, dst, src, res);
      return res;
  }
}

/** op E, G */
@inline export function aluEG(op: u32, size: u32): void {
  const src = readG(size);
  if (op == ALU_CMP) {
    const dst = readE(size);
    if (faulted) return;
    alu(op, dst, src, size);
    return;
  }
  const dst = readEForWrite(size);
  if (faulted) return;
  writeEBack(alu(op, dst, src, size), size);
}

/** op G, E */
@inline export function aluGE(op: u32, size: u32): void {
  const src = readE(size);
  if (faulted) return;
  const res = alu(op, readG(size), src, size);
  if (op != ALU_CMP) writeG(res, size);
}

/** op AL/AX/EAX, imm */
@inline export function aluAI(op: u32, size: u32): void {
  const res = alu(op, regSized(REG_EAX, size), imm & sizeMask(size), size);
  if (op != ALU_CMP) setRegSized(REG_EAX, res, size);
}

/** op E, imm (groups 80-83; the immediate is already sign-extended for 83) */
@inline export function aluEI(op: u32, size: u32): void {
  const src = imm & sizeMask(size);
  if (op == ALU_CMP) {
    const dst = readE(size);
    if (faulted) return;
    alu(op, dst, src, size);
    return;
  }
  const dst = readEForWrite(size);
  if (faulted) return;
  writeEBack(alu(op, dst, src, size), size);
}

// ---------- INC / DEC (CF is kept: LAZY_AUX carries it) ----------

@inline function incValue(v: u32, size: u32): u32 {
  const res = (v + 1) & sizeMask(size);
  setLazyAux(getCF() ? FLAG_CF : 0);
  setLazy(LAZY_INC, size, v, 1, res);
  return res;
}
@inline function decValue(v: u32, size: u32): u32 {
  const res = (v - 1) & sizeMask(size);
  setLazyAux(getCF() ? FLAG_CF : 0);
  setLazy(LAZY_DEC, size, v, 1, res);
  return res;
}

/** INC r16/r32 (40+r) */
@inline export function incReg(r: u32, size: u32): void {
  setRegSized(r, incValue(regSized(r, size), size), size);
}
/** DEC r16/r32 (48+r) */
@inline export function decReg(r: u32, size: u32): void {
  setRegSized(r, decValue(regSized(r, size), size), size);
}
/** INC E (FE/0, FF/0) */
@inline export function incE(size: u32): void {
  const v = readEForWrite(size);
  if (faulted) return;
  writeEBack(incValue(v, size), size);
}
/** DEC E (FE/1, FF/1) */
@inline export function decE(size: u32): void {
  const v = readEForWrite(size);
  if (faulted) return;
  writeEBack(decValue(v, size), size);
}

/** NEG E: flags of 0 - E (CF = E != 0, OF for the most negative value). */
export function negE(size: u32): void {
  const v = readEForWrite(size);
  if (faulted) return;
  const res = (0 - v) & sizeMask(size);
  setLazy(LAZY_SUB, size, 0, v, res);
  writeEBack(res, size);
}
/** NOT E: no flags. */
export function notE(size: u32): void {
  const v = readEForWrite(size);
  if (faulted) return;
  writeEBack(~v & sizeMask(size), size);
}

// ---------- TEST: AND without the write ----------

/** TEST E, G */
@inline export function testEG(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  const src = readG(size);
  setLazy(LAZY_LOGIC, size, v, src, v & src);
}
/** TEST AL/AX/EAX, imm */
@inline export function testAI(size: u32): void {
  const v = regSized(REG_EAX, size);
  const src = imm & sizeMask(size);
  setLazy(LAZY_LOGIC, size, v, src, v & src);
}
/** TEST E, imm (F6/0, F6/1, F7/0, F7/1) */
@inline export function testEI(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  const src = imm & sizeMask(size);
  setLazy(LAZY_LOGIC, size, v, src, v & src);
}

// ---------- flag instructions ----------

export function clc(): void {
  setFlag(FLAG_CF, false);
}
export function stc(): void {
  setFlag(FLAG_CF, true);
}
export function cmc(): void {
  setFlag(FLAG_CF, !getCF());
}
export function cld(): void {
  setSysFlag(FLAG_DF, false);
}
export function std(): void {
  setSysFlag(FLAG_DF, true);
}
