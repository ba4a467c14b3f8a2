// SSE/SSE2/SSE3/SSE4.1 float-typed moves, shuffles, blends and bitwise
// logic (MOVAPS ... MOVDDUP, UNPCK*, SHUFPS/PD, AND/ANDN/OR/XORPS/PD,
// BLEND(V)PS/PD, INSERTPS, EXTRACTPS), MXCSR loads and stores, and the
// cache-control hints (PREFETCHh, fences, CLFLUSH). SDM Vol. 2 instruction
// pages; m128 operands of the aligned forms need 16-byte alignment (#GP(0)).

import { mxcsr, setMxcsr, MXCSR_WRITABLE } from '../sse/ieee';
import {
  sseReady, fetchSrc128, fetchSrc64, fetchSrc32, storeMem128, storeMem64, storeMem32, xmmAddr, copy16, SRC, RES,
} from '../sse/xmm';
import { modReg, modRm, modIsReg, imm, eaSeg, eaOff } from '../decode';
import { setReg32 } from '../state';
import { readMem8, readMem32, writeMem32 } from '../memory';
import { faulted, raiseGP } from '../fault';

export const SSE_AND: u32 = 0;
export const SSE_ANDN: u32 = 1;
export const SSE_OR: u32 = 2;
export const SSE_XOR: u32 = 3;

const SIGN32: u32 = 0x80000000;
const SIGN64: u64 = 0x8000000000000000;

// ---- whole-register moves ----

/** MOVUPS/MOVUPD/MOVAPS/MOVAPD/LDDQU xmm, xmm/m128. */
export function movLoad128(aligned: bool): void {
  if (!sseReady() || !fetchSrc128(aligned)) return;
  copy16(xmmAddr(modReg), SRC);
}

/** MOVUPS/MOVAPS/MOVNTPS... xmm/m128, xmm. */
export function movStore128(aligned: bool): void {
  if (!sseReady()) return;
  if (modIsReg) copy16(xmmAddr(modRm), xmmAddr(modReg));
  else storeMem128(xmmAddr(modReg), aligned);
}

// ---- scalar and half moves ----

/** MOVSS xmm, xmm/m32: a register source merges; memory zeroes bits 32-127. */
export function movssLoad(): void {
  if (!sseReady() || !fetchSrc32()) return;
  const d = xmmAddr(modReg);
  if (!modIsReg) {
    store<u64>(d + 8, 0);
    store<u32>(d + 4, 0);
  }
  store<u32>(d, load<u32>(SRC));
}

export function movssStore(): void {
  if (!sseReady()) return;
  const v = load<u32>(xmmAddr(modReg));
  if (modIsReg) store<u32>(xmmAddr(modRm), v);
  else storeMem32(v);
}

/** MOVSD xmm, xmm/m64: a register source merges; memory zeroes bits 64-127. */
export function movsdLoad(): void {
  if (!sseReady() || !fetchSrc64()) return;
  const d = xmmAddr(modReg);
  if (!modIsReg) store<u64>(d + 8, 0);
  store<u64>(d, load<u64>(SRC));
}

export function movsdStore(): void {
  if (!sseReady()) return;
  if (modIsReg) store<u64>(xmmAddr(modRm), load<u64>(xmmAddr(modReg)));
  else storeMem64(xmmAddr(modReg));
}

/** MOVLPS/MOVLPD xmm, m64 (low half), or MOVHLPS xmm, xmm (register form of 0F 12). */
export function movLowLoad(): void {
  if (!sseReady() || !fetchSrc64()) return;
  store<u64>(xmmAddr(modReg), load<u64>(modIsReg ? SRC + 8 : SRC));
}

/** MOVHPS/MOVHPD xmm, m64 (high half), or MOVLHPS xmm, xmm (register form of 0F 16). */
export function movHighLoad(): void {
  if (!sseReady() || !fetchSrc64()) return;
  store<u64>(xmmAddr(modReg) + 8, load<u64>(SRC));
}

/** MOVLPS/MOVLPD m64, xmm. */
export function movLowStore(): void {
  if (!sseReady()) return;
  storeMem64(xmmAddr(modReg));
}

/** MOVHPS/MOVHPD m64, xmm. */
export function movHighStore(): void {
  if (!sseReady()) return;
  storeMem64(xmmAddr(modReg) + 8);
}

/** MOVSLDUP (odd = false) / MOVSHDUP (odd = true). */
export function movDupPs(odd: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const o: u32 = odd ? 4 : 0;
  const a = load<u32>(SRC + o);
  const b = load<u32>(SRC + 8 + o);
  const d = xmmAddr(modReg);
  store<u32>(d, a);
  store<u32>(d + 4, a);
  store<u32>(d + 8, b);
  store<u32>(d + 12, b);
}

/** MOVDDUP xmm, xmm/m64. */
export function movddup(): void {
  if (!sseReady() || !fetchSrc64()) return;
  const v = load<u64>(SRC);
  const d = xmmAddr(modReg);
  store<u64>(d, v);
  store<u64>(d + 8, v);
}

/** MOVMSKPS r32, xmm: the four sign bits. */
export function movmskps(): void {
  if (!sseReady()) return;
  const s = xmmAddr(modRm);
  let m: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) m |= (load<u32>(s + (i << 2)) >> 31) << i;
  setReg32(modReg, m);
}

export function movmskpd(): void {
  if (!sseReady()) return;
  const s = xmmAddr(modRm);
  setReg32(modReg, <u32>(load<u64>(s) >> 63) | (<u32>(load<u64>(s + 8) >> 63) << 1));
}

// ---- unpacks and shuffles ----

/** UNPCKLPS (high = false) / UNPCKHPS: interleave the low or high halves. */
export function unpckps(high: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  const o: u32 = high ? 8 : 0;
  store<u32>(RES, load<u32>(d + o));
  store<u32>(RES + 4, load<u32>(SRC + o));
  store<u32>(RES + 8, load<u32>(d + o + 4));
  store<u32>(RES + 12, load<u32>(SRC + o + 4));
  copy16(d, RES);
}

export function unpckpd(high: bool): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  const o: u32 = high ? 8 : 0;
  store<u64>(RES, load<u64>(d + o));
  store<u64>(RES + 8, load<u64>(SRC + o));
  copy16(d, RES);
}

export function shufps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  const s = imm;
  store<u32>(RES, load<u32>(d + ((s & 3) << 2)));
  store<u32>(RES + 4, load<u32>(d + (((s >> 2) & 3) << 2)));
  store<u32>(RES + 8, load<u32>(SRC + (((s >> 4) & 3) << 2)));
  store<u32>(RES + 12, load<u32>(SRC + (((s >> 6) & 3) << 2)));
  copy16(d, RES);
}

export function shufpd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  store<u64>(RES, load<u64>(d + ((imm & 1) << 3)));
  store<u64>(RES + 8, load<u64>(SRC + (((imm >> 1) & 1) << 3)));
  copy16(d, RES);
}

// ---- bitwise logic (AND/ANDN/OR/XOR PS and PD are the same operation) ----

export function sseLogic(kind: u32): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 16; i += 8) {
    const a = load<u64>(d + i);
    const b = load<u64>(SRC + i);
    let r: u64;
    if (kind == SSE_AND) r = a & b;
    else if (kind == SSE_ANDN) r = ~a & b;
    else if (kind == SSE_OR) r = a | b;
    else r = a ^ b;
    store<u64>(d + i, r);
  }
}

// ---- SSE4.1 blends, insert, extract ----

/** BLENDPS: lanes whose imm8 bit is set come from the source. */
export function blendps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 4; i++) if ((imm >> i) & 1) store<u32>(d + (i << 2), load<u32>(SRC + (i << 2)));
}

export function blendpd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  for (let i: u32 = 0; i < 2; i++) if ((imm >> i) & 1) store<u64>(d + (i << 3), load<u64>(SRC + (i << 3)));
}

/** BLENDVPS: lanes whose XMM0 sign bit is set come from the source. */
export function blendvps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  const m = xmmAddr(0);
  for (let i: u32 = 0; i < 16; i += 4) {
    store<u32>(RES + i, load<u32>(m + i) & SIGN32 ? load<u32>(SRC + i) : load<u32>(d + i));
  }
  copy16(d, RES);
}

export function blendvpd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  const d = xmmAddr(modReg);
  const m = xmmAddr(0);
  for (let i: u32 = 0; i < 16; i += 8) {
    store<u64>(RES + i, load<u64>(m + i) & SIGN64 ? load<u64>(SRC + i) : load<u64>(d + i));
  }
  copy16(d, RES);
}

/**
 * INSERTPS xmm, xmm/m32, imm8: source lane imm8[7:6] (a memory source is
 * one float) into lane imm8[5:4], then zero the lanes in imm8[3:0].
 */
export function insertps(): void {
  if (!sseReady() || !fetchSrc32()) return;
  const v = modIsReg ? load<u32>(SRC + (((imm >> 6) & 3) << 2)) : load<u32>(SRC);
  const d = xmmAddr(modReg);
  store<u32>(d + (((imm >> 4) & 3) << 2), v);
  for (let i: u32 = 0; i < 4; i++) if ((imm >> i) & 1) store<u32>(d + (i << 2), 0);
}

/** EXTRACTPS r/m32, xmm, imm8. */
export function extractps(): void {
  if (!sseReady()) return;
  const v = load<u32>(xmmAddr(modReg) + ((imm & 3) << 2));
  if (modIsReg) setReg32(modRm, v);
  else writeMem32(eaSeg, eaOff, v);
}

// ---- MXCSR ----

/** LDMXCSR m32: #GP(0) when a bit outside MXCSR_MASK is set. */
export function ldmxcsr(): void {
  if (!sseReady()) return;
  const v = readMem32(eaSeg, eaOff);
  if (faulted) return;
  if ((v & ~MXCSR_WRITABLE) != 0) {
    raiseGP(0);
    return;
  }
  setMxcsr(v);
}

export function stmxcsr(): void {
  if (!sseReady()) return;
  writeMem32(eaSeg, eaOff, mxcsr());
}

// ---- cache control: no caches are modelled ----

/** PREFETCHh, LFENCE, MFENCE, SFENCE: ordering and hints only; never fault. */
export function cacheHint(): void {}

/** SFENCE (register form of 0F AE /7) or CLFLUSH m8 (memory form): CLFLUSH checks access like a byte read. */
export function sfenceOrClflush(): void {
  if (modIsReg) return;
  readMem8(eaSeg, eaOff);
}

