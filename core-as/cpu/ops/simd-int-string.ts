// SSE4.2: PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (packed string compares,
// SDM Vol. 1 §12.10.x and Vol. 2B "PCMPESTRI", §4.1 "Imm8 Control Byte
// Operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"), CRC32
// (CRC-32C, Vol. 2A "CRC32"), and POPCNT (Vol. 2B "POPCNT").

import { modReg, imm } from '../decode';
import { faulted } from '../fault';
import { readE, readG, writeG } from '../operands';
import { reg32, setReg32, REG_EAX, REG_ECX, REG_EDX, FLAG_CF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAGS_ARITH } from '../state';
import { setArithFlags } from '../flags';
import { sseAvailable, xmmGet, xmmSet, readW } from '../simd-int-access';

// imm8 fields (SDM Vol. 2A §4.1).
const CTL_WORDS: u32 = 1; // bit 0: words (8 elements) instead of bytes (16)
const CTL_SIGNED: u32 = 2; // bit 1: signed elements
const CTL_AGG_SHIFT: u32 = 2; // bits 3:2: aggregation
const AGG_EQUAL_ANY: u32 = 0;
const AGG_RANGES: u32 = 1;
const AGG_EQUAL_EACH: u32 = 2;
const CTL_POL_SHIFT: u32 = 4; // bits 5:4: polarity
const POL_NEGATIVE: u32 = 1;
const POL_MASKED_NEGATIVE: u32 = 3;
const CTL_MSB: u32 = 0x40; // bit 6: most significant index / expanded mask

const XMM0: u32 = 0;
const SRC1: usize = memory.data(16, 16);
const SRC2: usize = memory.data(16, 16);
const MASK_OUT: usize = memory.data(16, 16);

/** Element `i` of the operand at `base` as a comparable integer. */
@inline function element(base: usize, i: i32, ctl: u32): i32 {
  if ((ctl & CTL_WORDS) != 0) {
    const w = load<u16>(base + (<usize>i << 1));
    return (ctl & CTL_SIGNED) != 0 ? <i32>(<i16>w) : <i32>w;
  }
  const b = load<u8>(base + <usize>i);
  return (ctl & CTL_SIGNED) != 0 ? <i32>(<i8>b) : <i32>b;
}

/** Explicit length: |reg| saturated to the element count. */
function explicitLength(v: u32, n: i32): i32 {
  const s = <i64>(<i32>v);
  const a = s < 0 ? -s : s;
  return a > <i64>n ? n : <i32>a;
}

/** Implicit length: the index of the first zero element, or the element count. */
function implicitLength(base: usize, ctl: u32, n: i32): i32 {
  for (let i: i32 = 0; i < n; i++) if (element(base, i, ctl) == 0) return i;
  return n;
}

/** IntRes1 bit j of the aggregation over src1 (xmm1, length la) and src2 (length lb). */
function aggregate(ctl: u32, n: i32, la: i32, lb: i32, j: i32): bool {
  const agg = (ctl >> CTL_AGG_SHIFT) & 3;
  if (agg == AGG_EQUAL_EACH) {
    const va = j < la;
    const vb = j < lb;
    if (!va && !vb) return true;
    if (!va || !vb) return false;
    return element(SRC1, j, ctl) == element(SRC2, j, ctl);
  }
  if (agg == AGG_EQUAL_ANY || agg == AGG_RANGES) {
    if (j >= lb) return false; // invalid src2 element: every comparison forced false
    const e = element(SRC2, j, ctl);
    if (agg == AGG_EQUAL_ANY) {
      for (let i: i32 = 0; i < la; i++) if (element(SRC1, i, ctl) == e) return true;
      return false;
    }
    for (let i: i32 = 0; i + 1 < la; i += 2) {
      if (e >= element(SRC1, i, ctl) && e <= element(SRC1, i + 1, ctl)) return true;
    }
    return false;
  }
  // Equal ordered: src1 (the needle) matches src2 from element j on.
  for (let i: i32 = 0; i < n - j; i++) {
    if (i >= la) return true; // needle ended: forced true
    if (j + i >= lb) return false; // haystack ended first: forced false
    if (element(SRC1, i, ctl) != element(SRC2, j + i, ctl)) return false;
  }
  return true;
}

/**
 * PCMPESTRI/PCMPESTRM (`explicit`: lengths in EAX, EDX) and PCMPISTRI/
 * PCMPISTRM (zero-terminated): index in ECX, or mask in XMM0 (`toMask`).
 * The memory operand need not be aligned.
 */
export function pcmpstr(explicit: bool, toMask: bool): void {
  if (!sseAvailable()) return;
  const b = readW(false);
  if (faulted) return;
  const ctl = imm;
  const n: i32 = (ctl & CTL_WORDS) != 0 ? 8 : 16;
  v128.store(SRC1, xmmGet(modReg));
  v128.store(SRC2, b);
  const la = explicit ? explicitLength(reg32(REG_EAX), n) : implicitLength(SRC1, ctl, n);
  const lb = explicit ? explicitLength(reg32(REG_EDX), n) : implicitLength(SRC2, ctl, n);
  let res1: u32 = 0;
  for (let j: i32 = 0; j < n; j++) if (aggregate(ctl, n, la, lb, j)) res1 |= 1 << j;
  const all: u32 = (1 << n) - 1;
  const pol = (ctl >> CTL_POL_SHIFT) & 3;
  let res2 = res1;
  if (pol == POL_NEGATIVE) res2 = ~res1 & all;
  else if (pol == POL_MASKED_NEGATIVE) res2 = res1 ^ ((<u32>1 << lb) - 1);
  if (toMask) {
    if ((ctl & CTL_MSB) == 0) {
      xmmSet(XMM0, i32x4.replace_lane(i32x4.splat(0), 0, res2));
    } else {
      const bytes: i32 = 16 / n;
      for (let i: i32 = 0; i < n; i++) {
        const on = ((res2 >> i) & 1) != 0;
        if (bytes == 2) store<u16>(MASK_OUT + (<usize>i << 1), on ? 0xffff : 0);
        else store<u8>(MASK_OUT + <usize>i, on ? 0xff : 0);
      }
      xmmSet(XMM0, v128.load(MASK_OUT));
    }
  } else {
    let index: u32 = <u32>n;
    if (res2 != 0) index = (ctl & CTL_MSB) != 0 ? 31 - clz(res2) : ctz(res2);
    setReg32(REG_ECX, index);
  }
  let f: u32 = 0;
  if (res2 != 0) f |= FLAG_CF;
  if (lb < n) f |= FLAG_ZF;
  if (la < n) f |= FLAG_SF;
  if ((res2 & 1) != 0) f |= FLAG_OF;
  setArithFlags(FLAGS_ARITH, f);
}

// ---------- CRC32 ----------

/** CRC-32C (Castagnoli) polynomial, bit-reflected as CRC32 processes it. */
const CRC32C_REFLECTED: u32 = 0x82f63b78;
const CRC_TABLE: usize = memory.data(256 * 4, 4);
let crcTableReady = false;

function fillCrcTable(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ CRC32C_REFLECTED : c >>> 1;
    store<u32>(CRC_TABLE + (i << 2), c);
  }
  crcTableReady = true;
}

/** CRC32 r32, r/m8/16/32: accumulate the source's bytes (least significant first), no inversions. */
export function crc32(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  if (!crcTableReady) fillCrcTable();
  let c = readG(32);
  for (let i: u32 = 0; i < size; i += 8) {
    c = (c >>> 8) ^ load<u32>(CRC_TABLE + ((((c ^ (v >>> i)) & 0xff)) << 2));
  }
  writeG(c, 32);
}

// ---------- POPCNT ----------

/** POPCNT r, r/m: ZF = (source == 0), OF SF AF CF PF cleared. */
export function popcntGE(size: u32): void {
  const v = readE(size);
  if (faulted) return;
  writeG(popcnt<u32>(v), size);
  setArithFlags(FLAGS_ARITH, v == 0 ? FLAG_ZF : 0);
}
