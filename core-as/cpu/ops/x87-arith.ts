// x87 arithmetic and compares: FADD FSUB FSUBR FMUL FDIV FDIVR (memory,
// register and popping forms, integer operands), FCOM FCOMP FCOMPP FUCOM*
// FCOMI FUCOMI FCOMIP FUCOMIP, FTST FXAM FCHS FABS, FCMOVcc.
// Reference: SDM Vol. 2A (each instruction's operation and FPU flags),
// Vol. 1 §8.3.4-8.3.6 (compare condition codes), §8.5 (exceptions).

import { faulted } from '../fault';
import { modRm } from '../decode';
import { setArithFlags, testCondition } from '../flags';
import { FLAG_CF, FLAG_PF, FLAG_ZF, FLAGS_ARITH } from '../state';
import {
  CMP_EQUAL,
  CMP_LESS,
  CMP_UNORDERED,
  EXP_MAX,
  J_BIT,
  isUnsupported80,
} from '../x87/float80';
import {
  FSW_C0,
  FSW_C1,
  FSW_C2,
  FSW_C3,
  fsw,
  popStack,
  recordLastInstruction,
  setCondition,
  setSt,
  stEmpty,
  stSe,
  stSig,
  stackUnderflow,
  x87Begin,
} from '../x87/fpu-state';
import { OP_COM, OP_COMP, arithmetic, beginOp, compareOp, compareRelation, loadOperand, opSe, opSig, setCompareCodes, underflowResult } from '../x87/exec';

/** D8/DC/DA/DE memory forms: ST(0) = ST(0) op m (op 2/3: compare, 3 pops). */
export function x87ArithMem(op: u32, fmt: u32): void {
  if (!x87Begin()) return;
  beginOp();
  loadOperand(fmt);
  if (faulted) return;
  recordLastInstruction();
  if (stEmpty(0)) {
    if (op == OP_COM || op == OP_COMP) {
      // The codes say unordered even when IE is unmasked (host CPU); the pop needs IE masked.
      if (stackUnderflow() && op == OP_COMP) popStack();
      setCompareCodes(CMP_UNORDERED);
      return;
    }
    underflowResult(0, false);
    return;
  }
  if (op == OP_COM || op == OP_COMP) {
    const rel = compareOp(stSe(0), stSig(0), opSe, opSig, false);
    if (rel == -2) return;
    setCompareCodes(rel);
    if (op == OP_COMP) popStack();
    return;
  }
  arithmetic(op, 0, stSe(0), stSig(0), opSe, opSig, false);
}

/**
 * Register forms. D8: ST(0) = ST(0) op ST(i); DC/DE (toSti): ST(i) = ST(i) op
 * ST(0) with the operation named for that order; DE pops. Compares ignore
 * toSti (always ST(0) with ST(i)).
 */
export function x87ArithReg(op: u32, toSti: bool, pop: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  if (op == OP_COM || op == OP_COMP) {
    if (stEmpty(0) || stEmpty(i)) {
      // The codes say unordered even when IE is unmasked (host CPU); the pop needs IE masked.
      if (stackUnderflow() && op == OP_COMP) popStack();
      setCompareCodes(CMP_UNORDERED);
      return;
    }
    const rel = compareOp(stSe(0), stSig(0), stSe(i), stSig(i), false);
    if (rel == -2) return;
    setCompareCodes(rel);
    if (op == OP_COMP) popStack();
    return;
  }
  const dst = toSti ? i : 0;
  if (stEmpty(0) || stEmpty(i)) {
    underflowResult(dst, pop);
    return;
  }
  if (toSti) arithmetic(op, i, stSe(i), stSig(i), stSe(0), stSig(0), pop);
  else arithmetic(op, 0, stSe(0), stSig(0), stSe(i), stSig(i), pop);
}

/** FCOMPP (DE D9) / FUCOMPP (DA E9): compare ST(0) with ST(1), pop twice. */
export function x87Compp(unordered: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  if (stEmpty(0) || stEmpty(1)) {
    if (stackUnderflow()) {
      popStack();
      popStack();
    }
    setCompareCodes(CMP_UNORDERED);
    return;
  }
  const rel = compareOp(stSe(0), stSig(0), stSe(1), stSig(1), unordered);
  if (rel == -2) return;
  setCompareCodes(rel);
  popStack();
  popStack();
}

/** FUCOM/FUCOMP ST(i). */
export function x87Fucom(pop: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  if (stEmpty(0) || stEmpty(i)) {
    if (stackUnderflow() && pop) popStack();
    setCompareCodes(CMP_UNORDERED);
    return;
  }
  const rel = compareOp(stSe(0), stSig(0), stSe(i), stSig(i), true);
  if (rel == -2) return;
  setCompareCodes(rel);
  if (pop) popStack();
}

/** EFLAGS of FCOMI: > 000, < CF, = ZF, unordered ZF PF CF; OF SF AF cleared. */
function setComiFlags(rel: i32): void {
  let f: u32 = 0;
  if (rel == CMP_LESS) f = FLAG_CF;
  else if (rel == CMP_EQUAL) f = FLAG_ZF;
  else if (rel == CMP_UNORDERED) f = FLAG_ZF | FLAG_PF | FLAG_CF;
  setArithFlags(FLAGS_ARITH, f);
}

/** FCOMI/FUCOMI/FCOMIP/FUCOMIP ST(0), ST(i) (P6). */
export function x87Comi(unordered: bool, pop: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  // EFLAGS get the relation even when an exception is unmasked (unordered for
  // IE, the true order for DE); only the pop waits for a masked one (host CPU).
  if (stEmpty(0) || stEmpty(i)) {
    setComiFlags(CMP_UNORDERED);
    if (stackUnderflow() && pop) popStack();
    return;
  }
  // FCOMI leaves C0 C1 C2 C3 alone (seen on the host CPU; the SDM says C1 = 0).
  const cc = fsw() & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3);
  const rel = compareOp(stSe(0), stSig(0), stSe(i), stSig(i), unordered);
  setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, cc);
  setComiFlags(compareRelation);
  if (rel == -2) return;
  if (pop) popStack();
}

/** FCMOVcc ST(0), ST(i): cc 0 B, 1 E, 2 BE, 3 U; negate for the N forms. */
export function x87Fcmov(cc: u32, negate: bool): void {
  if (!x87Begin()) return;
  recordLastInstruction();
  // EFLAGS condition numbers (Jcc encoding): B=2, E=4, BE=6, P=10.
  const jcc: u32 = cc == 0 ? 2 : cc == 1 ? 4 : cc == 2 ? 6 : 10;
  const i = modRm;
  if (stEmpty(0) || stEmpty(i)) {
    beginOp();
    underflowResult(0, false);
    return;
  }
  // C1 is left as it was (host CPU), though the SDM says it is cleared.
  if (testCondition(jcc) != negate) setSt(0, stSe(i), stSig(i));
}

/** D9 E0-E5: FCHS (0), FABS (1), FTST (4), FXAM (5). */
export function x87D9Group4(rm: u32): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  if (rm == 5) {
    fxam();
    return;
  }
  if (stEmpty(0)) {
    if (rm == 4) {
      stackUnderflow();
      setCompareCodes(CMP_UNORDERED);
      return;
    }
    underflowResult(0, false);
    return;
  }
  const se = stSe(0);
  const sig = stSig(0);
  if (rm == 0 || rm == 1) {
    // Sign operations never raise exceptions, even on SNaN (SDM FCHS/FABS).
    setCondition(FSW_C1, 0);
    setSt(0, rm == 0 ? se ^ 0x8000 : se & 0x7fff, sig);
    return;
  }
  const rel = compareOp(se, sig, 0, 0, false);
  if (rel == -2) return;
  setCompareCodes(rel);
}

/** FXAM: class of ST(0) in C3 C2 C0, sign in C1 (SDM Vol. 2A FXAM table). */
function fxam(): void {
  const se = stSe(0);
  const sig = stSig(0);
  let cc: u32;
  const e = <i32>(se & 0x7fff);
  if (stEmpty(0)) cc = FSW_C3 | FSW_C0;
  else if (isUnsupported80(se, sig)) cc = 0;
  else if (e == EXP_MAX) cc = sig == J_BIT ? FSW_C2 | FSW_C0 : FSW_C0;
  else if (e == 0) cc = sig == 0 ? FSW_C3 : FSW_C3 | FSW_C2;
  else cc = FSW_C2;
  if ((se & 0x8000) != 0) cc |= FSW_C1;
  setCondition(FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3, cc);
}
