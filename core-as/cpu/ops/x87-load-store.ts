// x87 data transfer: FLD (m32/m64/m80/ST(i)), FILD (m16/m32/m64), FBLD,
// FST/FSTP (m32/m64/m80/ST(i)), FIST/FISTP, FISTTP, FBSTP, FXCH, FFREE(P),
// and the constants FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ.
// Reference: SDM Vol. 2A (FLD, FST, FIST, FISTTP, FBLD, FBSTP, FXCH, FLDxx),
// Vol. 1 §8.2.2 (unsupported encodings), §4.8.3.7 (indefinites).

import { faulted } from '../fault';
import { modRm, eaSeg, eaOff } from '../decode';
import { readMem16, readMem32, writeMem16, writeMem32, probeWriteMem } from '../memory';
import {
  FLAG_DE,
  FLAG_IE,
  FLAG_OE,
  FLAG_PE,
  FLAG_UE,
  INDEFINITE_SE,
  INDEFINITE_SIG,
  RC_CHOP,
  RC_DOWN,
  RC_NEAREST,
  RC_UP,
  J_BIT,
  fpFlags,
  fpRaise,
  fromI64,
  isUnsupported80,
  isSNaN80,
  loadDenormal,
  QUIET_BIT,
  outBits,
  outInt,
  resSe,
  resSig,
  toFloat,
  toInt,
  roundToIntegral,
} from '../x87/float80';
import {
  FSW_C1,
  fpuMasks,
  fpuRc,
  popStack,
  pushValue,
  recordLastInstruction,
  reportFlags,
  setC1FromRounding,
  setCondition,
  setSt,
  stEmpty,
  stSe,
  stSig,
  stackOverflow,
  stackUnderflow,
  stPhys,
  setPhysTag,
  TAG_EMPTY,
  x87Begin,
} from '../x87/fpu-state';
import { FMT_F32, FMT_F64, FMT_F80, FMT_I16, FMT_I32, FMT_I64, beginOp, loadOperand, opSe, opSig, storeOperand64, storeOperand80 } from '../x87/exec';

/** Push a loaded value, or report stack overflow (ST(7) in use): masked pushes the indefinite. */
function pushChecked(se: u32, sig: u64): void {
  if (!stEmpty(7)) {
    if (stackOverflow()) pushValue(INDEFINITE_SE, INDEFINITE_SIG);
    return;
  }
  const flags = fpFlags;
  setCondition(FSW_C1, 0);
  reportFlags(flags);
  // An unmasked DE (denormal m32/m64 source) does not stop the load (host CPU).
  if ((flags & FLAG_IE & ~fpuMasks()) != 0) return;
  pushValue(se, sig);
}

/** FLD m32fp/m64fp/m80fp, FILD m16/m32/m64int. */
export function x87LoadMem(fmt: u32): void {
  if (!x87Begin()) return;
  beginOp();
  loadOperand(fmt);
  if (faulted) return;
  recordLastInstruction();
  if (fmt == FMT_F32 || fmt == FMT_F64) {
    // Single/double sources: SNaN -> IE and quieted, denormal -> DE (not for m80).
    if (isSNaN80(opSe, opSig)) {
      fpRaise(FLAG_IE);
      pushChecked(opSe, opSig | QUIET_BIT);
      return;
    }
    if (loadDenormal) fpRaise(FLAG_DE);
  }
  pushChecked(opSe, opSig);
}

/** FLD ST(i). */
export function x87LoadReg(): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  if (stEmpty(i)) {
    // The empty source is seen before a full stack (host CPU: C1 = 0).
    if (stackUnderflow()) pushValue(INDEFINITE_SE, INDEFINITE_SIG);
    return;
  }
  pushChecked(stSe(i), stSig(i));
}

/** FBLD m80bcd: 18 packed BCD digits and a sign byte (invalid digits: undefined, taken as is). */
export function x87Fbld(): void {
  if (!x87Begin()) return;
  beginOp();
  const lo = readMem32(eaSeg, eaOff);
  if (faulted) return;
  const hi = readMem32(eaSeg, eaOff + 4);
  if (faulted) return;
  const top = readMem16(eaSeg, eaOff + 8);
  if (faulted) return;
  recordLastInstruction();
  const digits = (<u64>hi << 32) | <u64>lo;
  let v: u64 = 0;
  for (let i: i32 = 15; i >= 0; i--) v = v * 10 + ((digits >> (<u64>(i * 4))) & 0xf);
  v = v + (<u64>((top >> 4) & 0xf) * 10 + <u64>(top & 0xf)) * 10000000000000000;
  fromI64(<i64>v);
  let se = resSe;
  if ((top & 0x8000) != 0) se |= 0x8000; // -0 too
  pushChecked(se, resSig);
}

function indefiniteBits(fmt: u32): u64 {
  if (fmt == FMT_F32) return 0xffc00000;
  if (fmt == FMT_F64) return 0xfff8000000000000;
  if (fmt == FMT_I16) return 0x8000;
  if (fmt == FMT_I32) return 0x80000000;
  return 0x8000000000000000;
}

function storeBits(fmt: u32, v: u64): bool {
  if (fmt == FMT_F32 || fmt == FMT_I32) {
    writeMem32(eaSeg, eaOff, <u32>v);
    return !faulted;
  }
  if (fmt == FMT_I16) {
    writeMem16(eaSeg, eaOff, <u32>v);
    return !faulted;
  }
  return storeOperand64(v);
}

/** Probe the destination of a store so a fault leaves the FPU unchanged. */
function probeStore(fmt: u32): bool {
  const size: u32 = fmt == FMT_I16 ? 2 : fmt == FMT_F32 || fmt == FMT_I32 ? 4 : 8;
  if (size == 8) return probeWriteMem(eaSeg, eaOff, 4) && probeWriteMem(eaSeg, eaOff + 4, 4);
  if (fmt == FMT_F80) return true;
  return probeWriteMem(eaSeg, eaOff, size);
}

/** Store ST(0) to memory in `fmt` with `rc`; pops when asked and no unmasked exception stopped it. */
function storeMem(fmt: u32, pop: bool, rc: u32): void {
  if (fmt == FMT_F80) {
    if (stEmpty(0)) {
      if (stackUnderflow()) {
        if (!storeOperand80(INDEFINITE_SE, INDEFINITE_SIG)) return;
        if (pop) popStack();
      }
      return;
    }
    if (!storeOperand80(stSe(0), stSig(0))) return;
    setCondition(FSW_C1, 0);
    if (pop) popStack();
    return;
  }
  if (!probeStore(fmt)) return;
  if (stEmpty(0)) {
    if (stackUnderflow()) {
      if (!storeBits(fmt, indefiniteBits(fmt))) return;
      if (pop) popStack();
    }
    return;
  }
  const se = stSe(0);
  const sig = stSig(0);
  let bits: u64;
  let stop: u32;
  if (isUnsupported80(se, sig)) {
    fpRaise(FLAG_IE);
    bits = indefiniteBits(fmt);
    stop = FLAG_IE;
  } else if (fmt == FMT_F32 || fmt == FMT_F64) {
    toFloat(se, sig, fmt == FMT_F32 ? 32 : 64);
    bits = outBits;
    stop = FLAG_IE | FLAG_OE | FLAG_UE;
  } else {
    toInt(se, sig, fmt == FMT_I16 ? 16 : fmt == FMT_I32 ? 32 : 64, rc);
    bits = (fpFlags & FLAG_IE) != 0 ? indefiniteBits(fmt) : <u64>outInt;
    stop = FLAG_IE;
  }
  const flags = fpFlags;
  if ((flags & stop & ~fpuMasks()) != 0) {
    // Unmasked: memory and the stack are left alone (SDM Vol. 1 §8.5.1, §8.5.3,
    // §8.5.4); no rounding took place, so no PE and C1 = 0 (host CPU).
    setCondition(FSW_C1, 0);
    reportFlags((flags & (FLAG_OE | FLAG_UE)) != 0 ? flags & ~FLAG_PE : flags);
    return;
  }
  if (!storeBits(fmt, bits)) return;
  setC1FromRounding();
  reportFlags(flags);
  if (pop) popStack();
}

/** FST/FSTP m32fp/m64fp/m80fp, FIST/FISTP m16/m32/m64int. */
export function x87StoreMem(fmt: u32, pop: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  storeMem(fmt, pop, fpuRc());
}

/** FISTTP m16/m32/m64int: truncating store, always pops (SSE3). */
export function x87Fisttp(fmt: u32): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  storeMem(fmt, true, RC_CHOP);
}

/** FBSTP m80bcd: ST(0) rounded (RC) to an 18-digit BCD integer, then pop. */
export function x87Fbstp(): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  if (!probeWriteMem(eaSeg, eaOff, 4) || !probeWriteMem(eaSeg, eaOff + 4, 4) || !probeWriteMem(eaSeg, eaOff + 8, 2)) return;
  let bcdLo: u64 = 0;
  let bcdTop: u32 = 0;
  let invalid = false;
  if (stEmpty(0)) {
    if (!stackUnderflow()) return;
    invalid = true;
  } else {
    const se = stSe(0);
    const sig = stSig(0);
    if (isUnsupported80(se, sig)) {
      fpRaise(FLAG_IE);
      invalid = true;
    } else {
      roundToIntegral(se, sig, fpuRc());
      toInt(resSe & 0x7fff, resSig, 64, RC_CHOP);
      const mag = <u64>outInt;
      if ((fpFlags & FLAG_IE) != 0 || mag > 999999999999999999) {
        fpRaise(FLAG_IE);
        invalid = true;
      } else {
        let m = mag;
        for (let i: u64 = 0; i < 16; i++) {
          bcdLo |= (m % 10) << (i * 4);
          m /= 10;
        }
        bcdTop = <u32>((m / 10) << 4) | <u32>(m % 10);
        if ((se & 0x8000) != 0) bcdTop |= 0x8000;
      }
    }
    const flags = fpFlags;
    if ((flags & FLAG_IE & ~fpuMasks()) != 0) {
      setCondition(FSW_C1, 0);
      reportFlags(flags);
      return;
    }
  }
  if (invalid) {
    // The packed BCD indefinite (SDM Vol. 1 Table 4-3): FFFFh C000 0000 0000 0000h.
    bcdLo = 0xc000000000000000;
    bcdTop = 0xffff;
  }
  writeMem32(eaSeg, eaOff, <u32>bcdLo);
  writeMem32(eaSeg, eaOff + 4, <u32>(bcdLo >> 32));
  writeMem16(eaSeg, eaOff + 8, bcdTop);
  if (faulted) return;
  setC1FromRounding();
  reportFlags(fpFlags);
  popStack();
}

/** FST/FSTP ST(i) (and the FSTP aliases D9 D8+i, DF D0+i, DF D8+i). */
export function x87StoreReg(pop: bool): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  if (stEmpty(0)) {
    if (stackUnderflow()) {
      setSt(i, INDEFINITE_SE, INDEFINITE_SIG);
      if (pop) popStack();
    }
    return;
  }
  setCondition(FSW_C1, 0);
  setSt(i, stSe(0), stSig(0));
  if (pop) popStack();
}

/** FXCH ST(i): empty operands become the indefinite when IE is masked (SDM FXCH). */
export function x87Fxch(): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const i = modRm;
  if (stEmpty(0) || stEmpty(i)) {
    if (!stackUnderflow()) return;
    if (stEmpty(0)) setSt(0, INDEFINITE_SE, INDEFINITE_SIG);
    if (stEmpty(i)) setSt(i, INDEFINITE_SE, INDEFINITE_SIG);
  } else {
    setCondition(FSW_C1, 0);
  }
  const se = stSe(0);
  const sig = stSig(0);
  setSt(0, stSe(i), stSig(i));
  setSt(i, se, sig);
}

/** FFREE ST(i) / FFREEP ST(i) (the latter undocumented, executed by the P6). */
export function x87Ffree(pop: bool): void {
  if (!x87Begin()) return;
  recordLastInstruction();
  setPhysEmpty(modRm);
  setCondition(FSW_C1, 0); // host CPU (the SDM leaves C0-C3 undefined)
  if (pop) popStack();
}

function setPhysEmpty(i: u32): void {
  setPhysTag(stPhys(i), TAG_EMPTY);
}

// The constants as the x87 holds them, 66 bits: the 64-bit significand below,
// and the two bits after it (rounded per RC: nearest rounds 1x up, up rounds
// any non-zero up, down and chop truncate; SDM Vol. 1 §8.3.8).
const CONST_EXP: StaticArray<u16> = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0];
const CONST_SIG: StaticArray<u64> = [J_BIT, 0xd49a784bcd1b8afe, 0xb8aa3b295c17f0bb, 0xc90fdaa22168c234, 0x9a209a84fbcff798, 0xb17217f7d1cf79ab, 0];
const CONST_EXTRA: StaticArray<u8> = [0, 1, 2, 3, 2, 3, 0];

/** D9 E8-EE: FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ. */
export function x87LoadConst(k: u32): void {
  if (!x87Begin()) return;
  beginOp();
  recordLastInstruction();
  const idx = k < 7 ? k : 6;
  const extra = <u32>unchecked(CONST_EXTRA[idx]);
  const rc = fpuRc();
  let sig = unchecked(CONST_SIG[idx]);
  if ((rc == RC_NEAREST && extra >= 2) || (rc == RC_UP && extra != 0)) sig++;
  if (rc == RC_DOWN || rc == RC_CHOP) sig = unchecked(CONST_SIG[idx]);
  pushChecked(<u32>unchecked(CONST_EXP[idx]), sig);
}
