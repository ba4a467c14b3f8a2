// MMX and SSE2/SSE4.1 integer data movement: MOVD/MOVQ, MOVDQA/MOVDQU,
// MOVNTQ/MOVNTDQ/MOVNTDQA, LDDQU, MOVQ2DQ/MOVDQ2Q, MASKMOVQ/MASKMOVDQU, EMMS,
// PINSR*/PEXTR*, PMOVMSKB, PMOVSX/PMOVZX, PTEST (SDM Vol. 2 entries of each).
// Non-temporal hints have no effect here: the stores are ordinary stores.

import { modIsReg, modReg, modRm, eaSeg, eaOff, imm, addr32, segOverride } from '../decode';
import { faulted } from '../fault';
import { readE, writeE, writeG } from '../operands';
import { reg32, REG_EDI, SEG_DS, FLAG_ZF, FLAG_CF, FLAGS_ARITH } from '../state';
import { readMem8, writeMem8, writeMem16, probeWriteMem } from '../memory';
import { setArithFlags } from '../flags';
import {
  mmxAvailable, sseAvailable, enterMmxMode, emptyMmxState, mmGet, mmSet, xmmGet, xmmSet, xmmGetLow, readQ, readW,
  readWLow, writeM64, writeM128, v128FromLow, v128Low,
} from '../simd-int-access';

const SCRATCH: usize = memory.data(32, 16);
const LOW32: u64 = 0xffffffff;

// ---------- MOVD / MOVQ ----------

/** MOVD mm, r/m32: zero-extended. */
export function movdToMmx(): void {
  if (!mmxAvailable()) return;
  const v = readE(32);
  if (faulted) return;
  enterMmxMode();
  mmSet(modReg, <u64>v);
}

/** MOVD r/m32, mm. */
export function movdFromMmx(): void {
  if (!mmxAvailable()) return;
  writeE(<u32>mmGet(modReg), 32);
  if (faulted) return;
  enterMmxMode();
}

/** MOVD xmm, r/m32: zero-extended to 128 bits. */
export function movdToXmm(): void {
  if (!sseAvailable()) return;
  const v = readE(32);
  if (faulted) return;
  xmmSet(modReg, v128FromLow(<u64>v));
}

/** MOVD r/m32, xmm. */
export function movdFromXmm(): void {
  if (!sseAvailable()) return;
  writeE(<u32>(xmmGetLow(modReg) & LOW32), 32);
}

/** MOVQ mm, mm/m64. */
export function movqToMmx(): void {
  if (!mmxAvailable()) return;
  const v = readQ();
  if (faulted) return;
  enterMmxMode();
  mmSet(modReg, v);
}

/** MOVQ mm/m64, mm; MOVNTQ m64, mm. */
export function movqFromMmx(): void {
  if (!mmxAvailable()) return;
  const v = mmGet(modReg);
  if (modIsReg) {
    enterMmxMode();
    mmSet(modRm, v);
    return;
  }
  writeM64(eaSeg, eaOff, v);
  if (faulted) return;
  enterMmxMode();
}

/** MOVQ xmm, xmm/m64 (F3 0F 7E): zero-extended to 128 bits. */
export function movqToXmm(): void {
  if (!sseAvailable()) return;
  const v = v128Low(readWLow(8));
  if (faulted) return;
  xmmSet(modReg, v128FromLow(v));
}

/** MOVQ xmm/m64, xmm (66 0F D6): a register destination is zero-extended. */
export function movqFromXmm(): void {
  if (!sseAvailable()) return;
  const v = xmmGetLow(modReg);
  if (modIsReg) xmmSet(modRm, v128FromLow(v));
  else writeM64(eaSeg, eaOff, v);
}

/** MOVQ2DQ xmm, mm. */
export function movq2dq(): void {
  if (!sseAvailable() || !mmxAvailable()) return;
  enterMmxMode();
  xmmSet(modReg, v128FromLow(mmGet(modRm)));
}

/** MOVDQ2Q mm, xmm. */
export function movdq2q(): void {
  if (!sseAvailable() || !mmxAvailable()) return;
  enterMmxMode();
  mmSet(modReg, xmmGetLow(modRm));
}

/** MOVDQA/MOVDQU/MOVNTDQA/LDDQU xmm, xmm/m128. */
export function movdqLoad(aligned: bool): void {
  if (!sseAvailable()) return;
  const v = readW(aligned);
  if (faulted) return;
  xmmSet(modReg, v);
}

/** MOVDQA/MOVDQU/MOVNTDQ xmm/m128, xmm. */
export function movdqStore(aligned: bool): void {
  if (!sseAvailable()) return;
  const v = xmmGet(modReg);
  if (modIsReg) xmmSet(modRm, v);
  else writeM128(eaSeg, eaOff, v, aligned);
}

/** EMMS: leave MMX mode (all x87 registers empty). */
export function emms(): void {
  if (!mmxAvailable()) return;
  emptyMmxState();
}

// ---------- masked stores ----------

/** The implicit destination of MASKMOVQ/MASKMOVDQU: DS:(E)DI, segment overridable. */
@inline function maskSeg(): u32 {
  return segOverride >= 0 ? <u32>segOverride : SEG_DS;
}
@inline function maskOff(): u32 {
  const di = reg32(REG_EDI);
  return addr32 ? di : di & 0xffff;
}

/**
 * Store the bytes of `data` (n bytes at SCRATCH) whose mask byte (at
 * SCRATCH + 16) has bit 7 set. All selected bytes are checked first so a
 * fault leaves memory unchanged.
 */
function maskedStore(n: u32): void {
  const seg = maskSeg();
  const off = maskOff();
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(SCRATCH + 16 + i) & 0x80) != 0 && !probeWriteMem(seg, off + i, 1)) return;
  }
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(SCRATCH + 16 + i) & 0x80) != 0) writeMem8(seg, off + i, load<u8>(SCRATCH + i));
  }
}

/** MASKMOVQ mm1, mm2: bytes of mm1 where mm2's byte has bit 7 set. */
export function maskmovq(): void {
  if (!mmxAvailable()) return;
  store<u64>(SCRATCH, mmGet(modReg));
  store<u64>(SCRATCH + 16, mmGet(modRm));
  maskedStore(8);
  if (faulted) return;
  enterMmxMode();
}

/** MASKMOVDQU xmm1, xmm2. */
export function maskmovdqu(): void {
  if (!sseAvailable()) return;
  v128.store(SCRATCH, xmmGet(modReg));
  v128.store(SCRATCH + 16, xmmGet(modRm));
  maskedStore(16);
}

// ---------- insert / extract ----------

/** PINSRW mm, r32/m16, imm8: word imm[1:0]. */
export function pinsrwMmx(): void {
  if (!mmxAvailable()) return;
  const v = <u64>(readE(16) & 0xffff);
  if (faulted) return;
  const shift = (<u64>(imm & 3)) << 4;
  enterMmxMode();
  mmSet(modReg, (mmGet(modReg) & ~(<u64>0xffff << shift)) | (v << shift));
}

/** PINSRB/PINSRW/PINSRD xmm, r32/m8/m16/m32, imm8 (element index modulo the count). */
export function pinsrXmm(size: u32): void {
  if (!sseAvailable()) return;
  const v = size == 8 ? (modIsReg ? reg32(modRm) & 0xff : readMem8(eaSeg, eaOff)) : readE(size);
  if (faulted) return;
  const bytes = size >> 3;
  const index = imm & (16 / bytes - 1);
  v128.store(SCRATCH, xmmGet(modReg));
  const at = SCRATCH + index * bytes;
  if (size == 8) store<u8>(at, <u8>v);
  else if (size == 16) store<u16>(at, <u16>v);
  else store<u32>(at, v);
  xmmSet(modReg, v128.load(SCRATCH));
}

/** PEXTRW r32, mm, imm8: zero-extended. */
export function pextrwMmx(): void {
  if (!mmxAvailable()) return;
  enterMmxMode();
  writeG(<u32>((mmGet(modRm) >> ((<u64>(imm & 3)) << 4)) & 0xffff), 32);
}

/** PEXTRW r32, xmm, imm8 (66 0F C5). */
export function pextrwXmm(): void {
  if (!sseAvailable()) return;
  v128.store(SCRATCH, xmmGet(modRm));
  writeG(<u32>load<u16>(SCRATCH + ((imm & 7) << 1)), 32);
}

/** PEXTRB/PEXTRW/PEXTRD r32/m8/m16/m32, xmm, imm8: a register destination is zero-extended. */
export function pextrXmm(size: u32): void {
  if (!sseAvailable()) return;
  const bytes = size >> 3;
  v128.store(SCRATCH, xmmGet(modReg));
  const at = SCRATCH + (imm & (16 / bytes - 1)) * bytes;
  const v: u32 = size == 8 ? <u32>load<u8>(at) : size == 16 ? <u32>load<u16>(at) : load<u32>(at);
  if (modIsReg) writeE(v, 32);
  else if (size == 8) writeMem8(eaSeg, eaOff, v);
  else if (size == 16) writeMem16(eaSeg, eaOff, v);
  else writeE(v, 32);
}

/** PMOVMSKB r32, mm: the sign bits of the 8 bytes. */
export function pmovmskbMmx(): void {
  if (!mmxAvailable()) return;
  enterMmxMode();
  writeG(<u32>i8x16.bitmask(v128FromLow(mmGet(modRm))) & 0xff, 32);
}

/** PMOVMSKB r32, xmm. */
export function pmovmskbXmm(): void {
  if (!sseAvailable()) return;
  writeG(<u32>i8x16.bitmask(xmmGet(modRm)), 32);
}

// ---------- PMOVSX / PMOVZX ----------

export const SIMD_PMOV_BW: u32 = 0;
export const SIMD_PMOV_BD: u32 = 1;
export const SIMD_PMOV_BQ: u32 = 2;
export const SIMD_PMOV_WD: u32 = 3;
export const SIMD_PMOV_WQ: u32 = 4;
export const SIMD_PMOV_DQ: u32 = 5;

/** Sign- or zero-extend the low elements of the source (`bytes` of memory, unaligned). */
export function pmovx(kind: u32, bytes: u32, signed: bool): void {
  if (!sseAvailable()) return;
  const s = readWLow(bytes);
  if (faulted) return;
  let r: v128;
  switch (kind) {
    case SIMD_PMOV_BW:
      r = signed ? i16x8.extend_low_i8x16_s(s) : i16x8.extend_low_i8x16_u(s);
      break;
    case SIMD_PMOV_BD:
      r = signed ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(s)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(s));
      break;
    case SIMD_PMOV_BQ: {
      const w = signed ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(s)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(s));
      r = signed ? i64x2.extend_low_i32x4_s(w) : i64x2.extend_low_i32x4_u(w);
      break;
    }
    case SIMD_PMOV_WD:
      r = signed ? i32x4.extend_low_i16x8_s(s) : i32x4.extend_low_i16x8_u(s);
      break;
    case SIMD_PMOV_WQ: {
      const w = signed ? i32x4.extend_low_i16x8_s(s) : i32x4.extend_low_i16x8_u(s);
      r = signed ? i64x2.extend_low_i32x4_s(w) : i64x2.extend_low_i32x4_u(w);
      break;
    }
    default:
      r = signed ? i64x2.extend_low_i32x4_s(s) : i64x2.extend_low_i32x4_u(s);
      break;
  }
  xmmSet(modReg, r);
}

// ---------- PTEST ----------

/** PTEST: ZF = (src AND dst) == 0, CF = (src AND NOT dst) == 0; OF SF AF PF cleared. */
export function ptest(): void {
  if (!sseAvailable()) return;
  const s = readW(true);
  if (faulted) return;
  const d = xmmGet(modReg);
  let f: u32 = 0;
  if (!v128.any_true(v128.and(s, d))) f |= FLAG_ZF;
  if (!v128.any_true(v128.andnot(s, d))) f |= FLAG_CF;
  setArithFlags(FLAGS_ARITH, f);
}
