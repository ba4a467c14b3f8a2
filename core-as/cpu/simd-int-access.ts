// Register and memory access for the MMX and packed-integer SSE handlers
// (core-as/cpu/ops/simd-int-*.ts): availability checks, MMn and XMMn in the
// FXSAVE image of the CPU state, and 64/128-bit memory operands.
//
// References: SDM Vol. 1 §9.5 (MMX and the x87 state), §11.6.x and Vol. 3A
// §13.1 (CR0.EM/TS, CR4.OSFXSR), Vol. 2 "Exceptions" sections of each
// instruction, Vol. 1 §11.4.1 / §12.x (16-byte alignment of legacy SSE).

import { CPU_STATE } from '../machine/layout';
import {
  cr0, cr4, CR0_EM, CR0_TS, CR4_OSFXSR, OFF_FPU_ST, OFF_XMM, OFF_FPU_FSW, OFF_FPU_FTW, FPU_REG_STRIDE, segBase,
} from './state';
import { faulted, raiseUD, raiseGP, raiseFault, EXC_NM } from './fault';
import { modIsReg, modRm, eaSeg, eaOff } from './decode';
import { readMem8, readMem16, readMem32, writeMem32, probeWriteMem } from './memory';

// ---------- availability ----------

/** MMX instructions: #UD when CR0.EM, #NM when CR0.TS (SDM Vol. 3A Table 13-1). */
export function mmxAvailable(): bool {
  const c = cr0();
  if ((c & CR0_EM) != 0) {
    raiseUD();
    return false;
  }
  if ((c & CR0_TS) != 0) {
    raiseFault(EXC_NM);
    return false;
  }
  return true;
}

/** SSE-family instructions: #UD when CR0.EM or CR4.OSFXSR clear, #NM when CR0.TS. */
export function sseAvailable(): bool {
  const c = cr0();
  if ((c & CR0_EM) != 0 || (cr4() & CR4_OSFXSR) == 0) {
    raiseUD();
    return false;
  }
  if ((c & CR0_TS) != 0) {
    raiseFault(EXC_NM);
    return false;
  }
  return true;
}

// ---------- x87 <-> MMX state transitions (SDM Vol. 1 §9.5.1) ----------
// Local until the x87 branch provides its own helpers: only these two
// functions touch the x87 status and tag words.

const FSW_TOP_MASK: u16 = 0x3800;
const FTW_ALL_VALID: u16 = 0x0000; // full tag word: 00 = valid, per register
const FTW_ALL_EMPTY: u16 = 0xffff; // 11 = empty

/** Every MMX instruction but EMMS: TOP = 0 and all registers tagged valid. */
export function enterMmxMode(): void {
  const fsw = CPU_STATE + OFF_FPU_FSW;
  store<u16>(fsw, load<u16>(fsw) & ~FSW_TOP_MASK);
  store<u16>(CPU_STATE + OFF_FPU_FTW, FTW_ALL_VALID);
}

/** EMMS: TOP = 0 as for the other MMX instructions (SDM Vol. 1 Table 9-2), all registers tagged empty. */
export function emptyMmxState(): void {
  const fsw = CPU_STATE + OFF_FPU_FSW;
  store<u16>(fsw, load<u16>(fsw) & ~FSW_TOP_MASK);
  store<u16>(CPU_STATE + OFF_FPU_FTW, FTW_ALL_EMPTY);
}

// ---------- registers ----------

/** An MMX write sets the aliased x87 register's exponent (bits 64-79) to all ones. */
const MMX_EXPONENT: u16 = 0xffff;

@inline function mmAddr(r: u32): u32 {
  return CPU_STATE + OFF_FPU_ST + (r & 7) * FPU_REG_STRIDE;
}
@inline export function mmGet(r: u32): u64 {
  return load<u64>(mmAddr(r));
}
@inline export function mmSet(r: u32, v: u64): void {
  const a = mmAddr(r);
  store<u64>(a, v);
  store<u16>(a + 8, MMX_EXPONENT);
}
@inline function xmmAddr(r: u32): u32 {
  return CPU_STATE + OFF_XMM + (r & 7) * 16;
}
@inline export function xmmGet(r: u32): v128 {
  return v128.load(xmmAddr(r));
}
@inline export function xmmSet(r: u32, v: v128): void {
  v128.store(xmmAddr(r), v);
}
@inline export function xmmGetLow(r: u32): u64 {
  return load<u64>(xmmAddr(r));
}

// ---------- memory ----------

const ALIGN_16: u32 = 15;

/** 16-byte alignment of legacy-SSE memory operands: #GP(0) (checked on the linear address). */
function checkAligned16(seg: u32, off: u32): bool {
  if (((segBase(seg) + off) & ALIGN_16) != 0) {
    raiseGP(0);
    return false;
  }
  return true;
}

export function readM64(seg: u32, off: u32): u64 {
  const lo = readMem32(seg, off);
  if (faulted) return 0;
  const hi = readMem32(seg, off + 4);
  if (faulted) return 0;
  return (<u64>hi << 32) | <u64>lo;
}

export function writeM64(seg: u32, off: u32, v: u64): void {
  if (!probeWriteMem(seg, off, 8)) return;
  writeMem32(seg, off, <u32>v);
  writeMem32(seg, off + 4, <u32>(v >> 32));
}

export function readM128(seg: u32, off: u32, aligned: bool): v128 {
  if (aligned && !checkAligned16(seg, off)) return i64x2.splat(0);
  const lo = readM64(seg, off);
  if (faulted) return i64x2.splat(0);
  const hi = readM64(seg, off + 8);
  if (faulted) return i64x2.splat(0);
  return i64x2.replace_lane(i64x2.splat(lo), 1, hi);
}

@inline export function writeM128(seg: u32, off: u32, v: v128, aligned: bool): void {
  if (aligned && !checkAligned16(seg, off)) return;
  if (!probeWriteMem(seg, off, 16)) return;
  writeMem32(seg, off, <u32>i32x4.extract_lane(v, 0));
  writeMem32(seg, off + 4, <u32>i32x4.extract_lane(v, 1));
  writeMem32(seg, off + 8, <u32>i32x4.extract_lane(v, 2));
  writeMem32(seg, off + 12, <u32>i32x4.extract_lane(v, 3));
}

/** A v128 whose low 64 bits are `lo`, high bits zero. */
@inline export function v128FromLow(lo: u64): v128 {
  return i64x2.replace_lane(i64x2.splat(0), 0, lo);
}
@inline export function v128Low(v: v128): u64 {
  return i64x2.extract_lane(v, 0);
}

// ---------- ModRM operands ----------

/** Q operand: MMX register (rm) or m64. */
export function readQ(): u64 {
  if (modIsReg) return mmGet(modRm);
  return readM64(eaSeg, eaOff);
}

/** W operand: XMM register (rm) or m128 (`aligned`: 16-byte alignment required). */
export function readW(aligned: bool): v128 {
  if (modIsReg) return xmmGet(modRm);
  return readM128(eaSeg, eaOff, aligned);
}

/**
 * W operand of which only the low `bytes` (2, 4, 8 or 16, unaligned) are
 * used: the whole register, or that many bytes of memory zero-extended.
 */
export function readWLow(bytes: u32): v128 {
  if (modIsReg) return xmmGet(modRm);
  if (bytes == 16) return readM128(eaSeg, eaOff, false);
  if (bytes == 8) return v128FromLow(readM64(eaSeg, eaOff));
  if (bytes == 4) return v128FromLow(<u64>readMem32(eaSeg, eaOff));
  return v128FromLow(<u64>readMem16(eaSeg, eaOff));
}

/** Byte-sized E operand read for PINSRB's memory form. */
export function readMemByte(): u32 {
  return readMem8(eaSeg, eaOff);
}
