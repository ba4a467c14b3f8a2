// SSE/SSE2 conversions (SDM Vol. 2 CVT*): int32 ↔ binary32/binary64,
// binary32 ↔ binary64, the truncating CVTT* forms, and the MMX-register
// forms CVTPI2PS/PD and CVT(T)PS2PI/PD2PI (which make the x87 → MMX
// transition when they name an MMX register).

import {
  beginFp, commitFp, setRounding, f32ToF64, f64ToF32, i32ToF32, i32ToF64, fToI32, RC_ZERO,
} from '../sse/ieee';
import {
  sseReady, fetchSrc128, fetchSrc64, fetchSrc32, fetchSrcMm64, xmmAddr, copy16, writeMm, SRC, RES,
} from '../sse/xmm';
import { modReg, modIsReg, modRm, eaSeg, eaOff } from '../decode';
import { reg32, setReg32 } from '../state';
import { readMem32 } from '../memory';
import { faulted } from '../fault';
import { fpuPendingFault, fpuEnterMmxMode } from '../x87/fpu-state';

/** The Ed operand of CVTSI2SS/SD: a general register or m32. */
function readEd(): u32 {
  if (modIsReg) return reg32(modRm);
  return readMem32(eaSeg, eaOff);
}

export function cvtsi2ss(): void {
  if (!sseReady()) return;
  const v = readEd();
  if (faulted) return;
  beginFp();
  const r = i32ToF32(v);
  if (commitFp()) store<u32>(xmmAddr(modReg), r);
}

export function cvtsi2sd(): void {
  if (!sseReady()) return;
  const v = readEd();
  if (faulted) return;
  store<u64>(xmmAddr(modReg), i32ToF64(v));
}

/** CVTPI2PS: two int32 from mm/m64 into the low two lanes; the high half is kept. */
export function cvtpi2ps(): void {
  if (!sseReady() || !fetchSrcMm64()) return;
  beginFp();
  const lo = i32ToF32(load<u32>(SRC));
  const hi = i32ToF32(load<u32>(SRC + 4));
  if (!commitFp()) return;
  const d = xmmAddr(modReg);
  store<u32>(d, lo);
  store<u32>(d + 4, hi);
}

export function cvtpi2pd(): void {
  if (!sseReady() || !fetchSrcMm64()) return;
  const d = xmmAddr(modReg);
  const lo = load<u32>(SRC);
  const hi = load<u32>(SRC + 4);
  store<u64>(d, i32ToF64(lo));
  store<u64>(d + 8, i32ToF64(hi));
}

export function cvtdq2ps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(RES + i, i32ToF32(load<u32>(SRC + i)));
  if (commitFp()) copy16(xmmAddr(modReg), RES);
}

/** CVTDQ2PD: the low two int32 of xmm/m64. */
export function cvtdq2pd(): void {
  if (!sseReady() || !fetchSrc64()) return;
  const d = xmmAddr(modReg);
  const lo = load<u32>(SRC);
  const hi = load<u32>(SRC + 4);
  store<u64>(d, i32ToF64(lo));
  store<u64>(d + 8, i32ToF64(hi));
}

/** CVT(T)SS2SI r32, xmm/m32. */
export function cvtss2si(truncate: bool): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  const r = fToI32(load<u32>(SRC), true);
  if (commitFp()) setReg32(modReg, r);
}

export function cvtsd2si(truncate: bool): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  const r = fToI32(load<u64>(SRC), false);
  if (commitFp()) setReg32(modReg, r);
}

/** CVT(T)PS2PI mm, xmm/m64. */
export function cvtps2pi(truncate: bool): void {
  if (!sseReady() || fpuPendingFault() || !fetchSrc64()) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  const lo = fToI32(load<u32>(SRC), true);
  const hi = fToI32(load<u32>(SRC + 4), true);
  if (!commitFp()) return;
  fpuEnterMmxMode();
  writeMm(modReg, (<u64>hi << 32) | lo);
}

/** CVT(T)PD2PI mm, xmm/m128. */
export function cvtpd2pi(truncate: bool): void {
  if (!sseReady() || fpuPendingFault() || !fetchSrc128(true)) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  const lo = fToI32(load<u64>(SRC), false);
  const hi = fToI32(load<u64>(SRC + 8), false);
  if (!commitFp()) return;
  fpuEnterMmxMode();
  writeMm(modReg, (<u64>hi << 32) | lo);
}

/** CVT(T)PS2DQ xmm, xmm/m128. */
export function cvtps2dq(truncate: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(RES + i, fToI32(load<u32>(SRC + i), true));
  if (commitFp()) copy16(xmmAddr(modReg), RES);
}

/** CVT(T)PD2DQ xmm, xmm/m128: two int32 in the low half, the high half zeroed. */
export function cvtpd2dq(truncate: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  if (truncate) setRounding(RC_ZERO);
  const lo = fToI32(load<u64>(SRC), false);
  const hi = fToI32(load<u64>(SRC + 8), false);
  if (!commitFp()) return;
  const d = xmmAddr(modReg);
  store<u64>(d, (<u64>hi << 32) | lo);
  store<u64>(d + 8, 0);
}

/** CVTPS2PD xmm, xmm/m64. */
export function cvtps2pd(): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  store<u64>(RES, f32ToF64(load<u32>(SRC)));
  store<u64>(RES + 8, f32ToF64(load<u32>(SRC + 4)));
  if (commitFp()) copy16(xmmAddr(modReg), RES);
}

/** CVTPD2PS xmm, xmm/m128: the high half zeroed. */
export function cvtpd2ps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const lo = f64ToF32(load<u64>(SRC));
  const hi = f64ToF32(load<u64>(SRC + 8));
  if (!commitFp()) return;
  const d = xmmAddr(modReg);
  store<u64>(d, (<u64>hi << 32) | lo);
  store<u64>(d + 8, 0);
}

export function cvtss2sd(): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  const r = f32ToF64(load<u32>(SRC));
  if (commitFp()) store<u64>(xmmAddr(modReg), r);
}

export function cvtsd2ss(): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  const r = f64ToF32(load<u64>(SRC));
  if (commitFp()) store<u32>(xmmAddr(modReg), r);
}
