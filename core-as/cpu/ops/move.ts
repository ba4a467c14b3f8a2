// Data movement: MOV (88-8B, A0-A3, B0-BF, C6/C7), MOVZX MOVSX, LEA, XCHG,
// XADD, CMPXCHG, CMPXCHG8B, CBW/CWDE, CWD/CDQ, LAHF SAHF, XLAT, NOP, BOUND
// (SDM Vol. 2A/2B under each mnemonic).

import {
  regSized, setRegSized, reg8, setReg8, reg16, setReg16, reg32, setReg32,
  REG_EAX, REG_ECX, REG_EDX, REG_EBX, FLAG_CF, FLAG_PF, FLAG_AF, FLAG_ZF, FLAG_SF, FLAG_BIT1,
} from '../state';
import { setLazy, sizeMask, getEflags, setArithFlags, setFlag, LAZY_ADD, LAZY_SUB } from '../flags';
import { imm, eaSeg, eaOff, addr32, dataSeg } from '../decode';
import { readE, writeE, readEForWrite, writeEBack, readG, writeG } from '../operands';
import {
  readMemSized, writeMemSized, readMem8, segLinear, probeWrite, readLin32, writeLin32,
  SEG_RIGHT_READ, SEG_RIGHT_WRITE,
} from '../memory';
import { faulted, raiseFault, EXC_BR } from '../fault';

const REG_AH: u32 = 4; // 8-bit register encoding of AH
/** The flags LAHF/SAHF move: SF ZF AF PF CF (bits 7 6 4 2 0 of AH). */
const AH_FLAGS: u32 = FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF;

@inline function sext(v: u32, size: u32): u32 {
  return size == 8 ? <u32>(<i32>(<i8>v)) : size == 16 ? <u32>(<i32>(<i16>v)) : v;
}

// ---------- MOV ----------

/** MOV E, G */
@inline export function movEG(size: u32): void {
  writeE(readG(size), size);
}
/** MOV G, E */
@inline export function movGE(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  writeG(v, size);
}
/** MOV E, imm */
@inline export function movEI(size: u32): void {
  writeE(imm & sizeMask(size), size);
}
/** MOV r, imm (B0+r: r is an 8-bit register encoding, B8+r: 16/32-bit) */
@inline export function movRegImm(r: u32, size: u32): void {
  setRegSized(r, imm, size);
}
/** MOV AL/eAX, moffs */
export function movAMoffs(size: u32): void {
  const v = readMemSized(eaSeg, eaOff, size);
  if (faulted) return;
  setRegSized(REG_EAX, v, size);
}
/** MOV moffs, AL/eAX */
export function movMoffsA(size: u32): void {
  writeMemSized(eaSeg, eaOff, regSized(REG_EAX, size), size);
}

/** MOVZX G, E8/E16 */
@inline export function movzx(size: u32, srcSize: u32): void {
  const v = readE(srcSize);
  if (faulted) return;
  writeG(v, size);
}
/** MOVSX G, E8/E16 */
@inline export function movsx(size: u32, srcSize: u32): void {
  const v = readE(srcSize);
  if (faulted) return;
  writeG(sext(v, srcSize), size);
}

/**
 * LEA G, M: the effective offset only (no segment, no access). The decoder
 * already wrapped it to the address size; the write truncates it to the
 * operand size (SDM Vol. 2A "LEA", Table 3-54).
 */
@inline export function lea(size: u32): void {
  writeG(eaOff, size);
}

// ---------- exchanges ----------

/** XCHG E, G (memory forms are locked on hardware; one access here). */
export function xchgEG(size: u32): void {
  const v = readEForWrite(size);
  if (faulted) return;
  const g = readG(size);
  writeEBack(g, size);
  writeG(v, size);
}
/** XCHG eAX, r (90+r) */
export function xchgAReg(r: u32, size: u32): void {
  const a = regSized(REG_EAX, size);
  setRegSized(REG_EAX, regSized(r, size), size);
  setRegSized(r, a, size);
}

/** XADD E, G: G = old E, E = old E + G; flags of the ADD. */
export function xadd(size: u32): void {
  const dst = readEForWrite(size);
  if (faulted) return;
  const src = readG(size);
  const sum = (dst + src) & sizeMask(size);
  setLazy(LAZY_ADD, size, dst, src, sum);
  // SDM order: SRC = DEST, then DEST = TEMP (same register: the sum wins).
  writeG(dst, size);
  writeEBack(sum, size);
}

/**
 * CMPXCHG E, G: compare the accumulator with E (flags of CMP acc, E); equal:
 * E = G; else the accumulator = E. The destination is written in both cases
 * (with its old value on failure) as the processor does, so a read-only page
 * faults even when the comparison fails (SDM Vol. 2A "CMPXCHG").
 */
export function cmpxchg(size: u32): void {
  const dst = readEForWrite(size);
  if (faulted) return;
  const acc = regSized(REG_EAX, size);
  setLazy(LAZY_SUB, size, acc, dst, (acc - dst) & sizeMask(size));
  if (acc == dst) {
    writeEBack(readG(size), size);
  } else {
    writeEBack(dst, size);
    setRegSized(REG_EAX, dst, size);
  }
}

/** CMPXCHG8B m64: compare EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64, ZF = 0. */
export function cmpxchg8b(): void {
  const lin = segLinear(eaSeg, eaOff, 8, SEG_RIGHT_READ | SEG_RIGHT_WRITE);
  if (faulted) return;
  if (!probeWrite(lin, 8)) return;
  const lo = readLin32(lin);
  const hi = readLin32(lin + 4);
  if (faulted) return;
  const eq = lo == reg32(REG_EAX) && hi == reg32(REG_EDX);
  if (eq) {
    writeLin32(lin, reg32(REG_EBX));
    writeLin32(lin + 4, reg32(REG_ECX));
  } else {
    writeLin32(lin, lo);
    writeLin32(lin + 4, hi);
  }
  if (faulted) return;
  if (!eq) {
    setReg32(REG_EAX, lo);
    setReg32(REG_EDX, hi);
  }
  setFlag(FLAG_ZF, eq);
}

// ---------- accumulator conversions and flags ----------

/** CBW (16: AX = sext AL) / CWDE (32: EAX = sext AX) */
export function cbw(size: u32): void {
  if (size == 16) setReg16(REG_EAX, sext(reg8(REG_EAX), 8));
  else setReg32(REG_EAX, sext(reg16(REG_EAX), 16));
}
/** CWD (DX = sign of AX) / CDQ (EDX = sign of EAX) */
export function cwd(size: u32): void {
  if (size == 16) setReg16(REG_EDX, (reg16(REG_EAX) & 0x8000) != 0 ? 0xffff : 0);
  else setReg32(REG_EDX, <u32>(<i32>reg32(REG_EAX) >> 31));
}

/** LAHF: AH = SF ZF 0 AF 0 PF 1 CF */
export function lahf(): void {
  setReg8(REG_AH, (getEflags() & AH_FLAGS) | FLAG_BIT1);
}
/** SAHF: SF ZF AF PF CF = AH (OF unchanged) */
export function sahf(): void {
  setArithFlags(AH_FLAGS, reg8(REG_AH));
}

/** XLAT: AL = [seg:(E)BX + AL], DS or the override, (E)BX by address size. */
export function xlat(): void {
  let off = (addr32 ? reg32(REG_EBX) : reg16(REG_EBX)) + reg8(REG_EAX);
  if (!addr32) off &= 0xffff;
  const v = readMem8(dataSeg(), off);
  if (faulted) return;
  setReg8(REG_EAX, v);
}

/** NOP, PAUSE, 0F 1F /0 (the multi-byte NOP decodes its ModRM but never accesses memory). */
export function nop(): void {}

/**
 * BOUND G, Ma: #BR unless lower <= G <= upper, all signed; the bounds are the
 * two operand-size values at the memory operand (SDM Vol. 2A "BOUND").
 */
export function bound(size: u32): void {
  const bytes = size >> 3;
  const lower = readMemSized(eaSeg, eaOff, size);
  if (faulted) return;
  let upperOff = eaOff + bytes;
  if (!addr32) upperOff &= 0xffff;
  const upper = readMemSized(eaSeg, upperOff, size);
  if (faulted) return;
  const index = <i32>sext(readG(size), size);
  if (index < <i32>sext(lower, size) || index > <i32>sext(upper, size)) raiseFault(EXC_BR);
}
