// XMM registers and the operand access of the legacy-SSE float instructions:
// the availability checks (SDM Vol. 3A §13.1 "Provide for SSE": CR0.EM and
// CR4.OSFXSR → #UD, CR0.TS → #NM), 16-byte alignment of m128 operands (#GP(0),
// SDM Vol. 1 §11.4.1), and the scratch buffers handlers compute into so the
// destination changes only after every fault and exception check passed.

import { CPU_STATE } from '../../machine/layout';
import {
  OFF_XMM, cr0, cr4, CR0_EM, CR0_TS, CR4_OSFXSR, segBase,
} from '../state';
import { fpuPendingFault, fpuEnterMmxMode } from '../x87/fpu-state';
import { mmGet, mmSet } from '../simd-int-access';
import { modIsReg, modRm, eaSeg, eaOff } from '../decode';
import { faulted, raiseUD, raiseGP, raiseFault, EXC_NM } from '../fault';
import { readMem32, writeMem32, probeWriteMem } from '../memory';

const XMM_BYTES: u32 = 16;
const M128_ALIGN_MASK: u32 = 15;

/** The source operand, copied here (register or memory) before computing. */
export const SRC: usize = memory.data(16, 16);
/** Results, copied to the destination once the instruction cannot fault. */
export const RES: usize = memory.data(16, 16);

@inline export function xmmAddr(r: u32): usize {
  return CPU_STATE + OFF_XMM + r * XMM_BYTES;
}

@inline export function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst + 8, load<u64>(src + 8));
}

/**
 * #UD when CR0.EM is set or CR4.OSFXSR clear, #NM when CR0.TS is set
 * (SDM Vol. 2 "SIMD Floating-Point Exceptions" tables, Vol. 3A §2.5).
 * Returns false after raising.
 */
export function sseReady(): bool {
  const c0 = cr0();
  if ((c0 & CR0_EM) != 0 || (cr4() & CR4_OSFXSR) == 0) {
    raiseUD();
    return false;
  }
  if ((c0 & CR0_TS) != 0) {
    raiseFault(EXC_NM);
    return false;
  }
  return true;
}

/**
 * Entry to an MMX-register operand (CVTPI2PS/PD, CVT(T)PS2PI/PD2PI): a pending
 * x87 exception raises #MF first, then the x87 → MMX transition (SDM Vol. 1
 * §9.5.1: TOP = 0, every tag valid). Returns false after raising.
 */
export function mmxTransition(): bool {
  if (fpuPendingFault()) return false;
  fpuEnterMmxMode();
  return true;
}

/** Write MMX register r (an MMX write also sets the register's exponent bits). */
export function writeMm(r: u32, v: u64): void {
  mmSet(r, v);
}

/** #GP(0) when a 16-byte-aligned operand's linear address is misaligned. */
function misaligned(): bool {
  if (((segBase(eaSeg) + eaOff) & M128_ALIGN_MASK) == 0) return false;
  raiseGP(0);
  return true;
}

function readMem128To(dst: usize, aligned: bool): bool {
  if (aligned && misaligned()) return false;
  const w0 = readMem32(eaSeg, eaOff);
  if (faulted) return false;
  const w1 = readMem32(eaSeg, eaOff + 4);
  if (faulted) return false;
  const w2 = readMem32(eaSeg, eaOff + 8);
  if (faulted) return false;
  const w3 = readMem32(eaSeg, eaOff + 12);
  if (faulted) return false;
  store<u32>(dst, w0);
  store<u32>(dst + 4, w1);
  store<u32>(dst + 8, w2);
  store<u32>(dst + 12, w3);
  return true;
}

/** The E operand as 128 bits (xmm or m128) into SRC. */
export function fetchSrc128(aligned: bool): bool {
  if (modIsReg) {
    copy16(SRC, xmmAddr(modRm));
    return true;
  }
  return readMem128To(SRC, aligned);
}

/** The E operand's low 64 bits (xmm or m64) into SRC; with a register the whole xmm is copied. */
export function fetchSrc64(): bool {
  if (modIsReg) {
    copy16(SRC, xmmAddr(modRm));
    return true;
  }
  const lo = readMem32(eaSeg, eaOff);
  if (faulted) return false;
  const hi = readMem32(eaSeg, eaOff + 4);
  if (faulted) return false;
  store<u32>(SRC, lo);
  store<u32>(SRC + 4, hi);
  return true;
}

/** The E operand's low 32 bits (xmm or m32) into SRC. */
export function fetchSrc32(): bool {
  if (modIsReg) {
    copy16(SRC, xmmAddr(modRm));
    return true;
  }
  const v = readMem32(eaSeg, eaOff);
  if (faulted) return false;
  store<u32>(SRC, v);
  return true;
}

/** A 64-bit memory or MMX-register (Q) operand into SRC. */
export function fetchSrcMm64(): bool {
  if (modIsReg) {
    if (!mmxTransition()) return false;
    store<u64>(SRC, mmGet(modRm));
    return true;
  }
  return fetchSrc64();
}

/** Store 16 bytes from `src` to the E memory operand (all-or-nothing). */
export function storeMem128(src: usize, aligned: bool): bool {
  if (aligned && misaligned()) return false;
  if (!probeWriteMem(eaSeg, eaOff, 16)) return false;
  writeMem32(eaSeg, eaOff, load<u32>(src));
  writeMem32(eaSeg, eaOff + 4, load<u32>(src + 4));
  writeMem32(eaSeg, eaOff + 8, load<u32>(src + 8));
  writeMem32(eaSeg, eaOff + 12, load<u32>(src + 12));
  return !faulted;
}

/** Store 8 bytes from `src` to the E memory operand. */
export function storeMem64(src: usize): bool {
  if (!probeWriteMem(eaSeg, eaOff, 8)) return false;
  writeMem32(eaSeg, eaOff, load<u32>(src));
  writeMem32(eaSeg, eaOff + 4, load<u32>(src + 4));
  return !faulted;
}

/** Store 4 bytes to the E memory operand. */
export function storeMem32(v: u32): bool {
  writeMem32(eaSeg, eaOff, v);
  return !faulted;
}
