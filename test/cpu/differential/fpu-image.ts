// The FXSAVE image (SDM Vol. 1 §10.5.1, Table 10-2, 32-bit format) as the
// differential tests carry x87/SSE state: building one, the full tag word
// FXRSTOR derives from the abridged one, decoding 80-bit values, and a
// readable comparison of two images.

import { FPU_IMAGE_BYTES } from './cases';

export const FX_FCW = 0x00;
export const FX_FSW = 0x02;
export const FX_FTW = 0x04; // abridged: 1 bit per physical register, 1 = not empty
export const FX_FOP = 0x06;
export const FX_FIP = 0x08;
export const FX_FCS = 0x0c;
export const FX_FDP = 0x10;
export const FX_FDS = 0x14;
export const FX_MXCSR = 0x18;
export const FX_MXCSR_MASK = 0x1c;
export const FX_ST = 0x20; // ST0..ST7 (stack order, not physical), 16 bytes each
export const FX_XMM = 0xa0; // XMM0..XMM7, 16 bytes each
export const FX_SLOT = 16;
export const FX_END_32BIT = 0x120; // what 32-bit FXSAVE defines; XMM8-15 beyond (64-bit only)

export const DEFAULT_MXCSR = 0x1f80;
export const FINIT_FCW = 0x037f;

/** Fields never compared: the last-instruction/operand pointers (the 64-bit harness
 * runs a translation at other offsets, and AMD saves them only with FSW.ES set), the
 * host's MXCSR_MASK, bytes 10-15 of each register slot, and everything past XMM7. */
export const FPU_ALWAYS_IGNORED: readonly [number, number][] = [
  [FX_FOP, 2],
  [FX_FIP, 4],
  [FX_FCS, 4],
  [FX_FDP, 4],
  [FX_FDS, 4],
  [FX_MXCSR_MASK, 4],
  ...Array.from({ length: 8 }, (_, i) => [FX_ST + i * FX_SLOT + 10, 6] as [number, number]),
  [FX_END_32BIT, FPU_IMAGE_BYTES - FX_END_32BIT],
];

/** An 80-bit extended value as sign, biased exponent and 64-bit significand. */
export interface F80 {
  sign: number;
  exp: number;
  sig: bigint;
}

export function f80Bytes(v: F80): number[] {
  const out: number[] = [];
  let s = BigInt.asUintN(64, v.sig);
  for (let i = 0; i < 8; i++) {
    out.push(Number(s & 0xffn));
    s >>= 8n;
  }
  const se = ((v.sign & 1) << 15) | (v.exp & 0x7fff);
  out.push(se & 0xff, se >> 8);
  return out;
}

export function readF80(bytes: Uint8Array, off: number): F80 {
  let sig = 0n;
  for (let i = 7; i >= 0; i--) sig = (sig << 8n) | BigInt(bytes[off + i]);
  const se = bytes[off + 8] | (bytes[off + 9] << 8);
  return { sign: se >> 15, exp: se & 0x7fff, sig };
}

const INT_BIT = 1n << 63n;
const QUIET_BIT = 1n << 62n;

/** Class of an 80-bit value as FXAM/the SDM name it (P6: §8.2.2, Table 8-3). */
export function classifyF80(v: F80): string {
  const frac = v.sig & ~INT_BIT;
  const j = (v.sig & INT_BIT) !== 0n;
  if (v.exp === 0x7fff) {
    if (!j) return frac === 0n ? 'pseudo-inf' : 'pseudo-nan';
    if (frac === 0n) return 'inf';
    return v.sig & QUIET_BIT ? 'qnan' : 'snan';
  }
  if (v.exp === 0) {
    if (v.sig === 0n) return 'zero';
    return j ? 'pseudo-denormal' : 'denormal';
  }
  return j ? 'normal' : 'unnormal';
}

/** Readable 80-bit value: raw hex, class and an approximate decimal. */
export function describeF80(v: F80): string {
  const raw = `${((v.sign << 15) | v.exp).toString(16).padStart(4, '0')}:${v.sig.toString(16).padStart(16, '0')}`;
  const cls = classifyF80(v);
  let approx = '';
  if (cls === 'normal' || cls === 'denormal' || cls === 'pseudo-denormal' || cls === 'unnormal') {
    const e = (v.exp === 0 ? 1 : v.exp) - 16383 - 63;
    const m = Number(v.sig);
    const x = m * 2 ** Math.max(Math.min(e, 1000), -1100);
    approx = Number.isFinite(x) && x !== 0 && Math.abs(e) < 1000 ? ` ≈ ${(v.sign ? -x : x).toPrecision(12)}` : ` 2^${e + 63}`;
  } else if (cls === 'inf' || cls === 'zero') {
    approx = ` ${v.sign ? '-' : '+'}`;
  }
  return `${raw} (${cls}${approx})`;
}

/** The full 2-bit tag FXRSTOR derives for a non-empty register (SDM Vol. 1 §10.5.1.1). */
export function tagOf(v: F80): number {
  if (v.exp === 0x7fff) return 2;
  if (v.exp === 0) return v.sig === 0n ? 1 : 2;
  return (v.sig & INT_BIT) !== 0n ? 0 : 2;
}

const TOP_SHIFT = 11;

/** Full tag word (2 bits per physical register) from an image's abridged tags. */
export function fullTagWord(image: Uint8Array): number {
  const top = (image[FX_FSW + 1] >> (TOP_SHIFT - 8)) & 7;
  let ftw = 0;
  for (let phys = 0; phys < 8; phys++) {
    let tag = 3;
    if (image[FX_FTW] & (1 << phys)) {
      const st = (phys - top) & 7; // the image stores registers in stack order
      tag = tagOf(readF80(image, FX_ST + st * FX_SLOT));
    }
    ftw |= tag << (2 * phys);
  }
  return ftw;
}

/** Abridged tag byte from a full tag word. */
export function abridgedTags(ftw: number): number {
  let b = 0;
  for (let i = 0; i < 8; i++) if (((ftw >> (2 * i)) & 3) !== 3) b |= 1 << i;
  return b;
}

export interface FpuImageInit {
  fcw?: number;
  fsw?: number;
  top?: number;
  /** Stack contents ST0..: the registers from ST0 up are tagged non-empty. */
  stack?: F80[];
  mxcsr?: number;
  xmm?: Uint8Array[]; // up to 8 × 16 bytes
}

/** A 512-byte FXSAVE image (32-bit format). */
export function makeFpuImage(init: FpuImageInit = {}): Uint8Array {
  const img = new Uint8Array(FPU_IMAGE_BYTES);
  const dv = new DataView(img.buffer);
  const stack = init.stack ?? [];
  const top = init.top ?? (8 - stack.length) & 7;
  const fsw = ((init.fsw ?? 0) & ~(7 << TOP_SHIFT)) | (top << TOP_SHIFT);
  dv.setUint16(FX_FCW, init.fcw ?? FINIT_FCW, true);
  dv.setUint16(FX_FSW, fsw, true);
  let tags = 0;
  stack.forEach((v, st) => {
    img.set(f80Bytes(v), FX_ST + st * FX_SLOT);
    tags |= 1 << ((top + st) & 7);
  });
  img[FX_FTW] = tags;
  dv.setUint32(FX_MXCSR, init.mxcsr ?? DEFAULT_MXCSR, true);
  (init.xmm ?? []).forEach((x, i) => img.set(x.subarray(0, 16), FX_XMM + i * FX_SLOT));
  return img;
}

const FSW_NAMES = ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE', 'SF', 'ES', 'C0', 'C1', 'C2', '', '', '', 'C3', 'B'];

function fswText(v: number): string {
  const bits = FSW_NAMES.map((n, i) => (n && v & (1 << i) ? n : '')).filter(Boolean);
  return `0x${v.toString(16).padStart(4, '0')} [TOP=${(v >> TOP_SHIFT) & 7} ${bits.join(' ')}]`;
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export interface FpuDiff {
  field: string;
  expected: string;
  actual: string;
}

/** Field-by-field differences of two images, ignoring FPU_ALWAYS_IGNORED and `ignore`. */
/**
 * An extended value rounded to `bits` significand bits (nearest even), for
 * comparing results whose last bits the SDM leaves approximate (the
 * transcendentals). Zeros, denormals, infinities and NaNs stay as they are.
 */
export function roundF80(v: F80, bits: number): F80 {
  if (bits >= 64 || v.exp === 0 || v.exp === 0x7fff || v.sig < 1n << 63n) return v;
  const drop = BigInt(64 - bits);
  const half = 1n << (drop - 1n);
  const low = v.sig & ((1n << drop) - 1n);
  let kept = v.sig >> drop;
  if (low > half || (low === half && (kept & 1n) === 1n)) kept++;
  let exp = v.exp;
  if (kept >> BigInt(bits) !== 0n) {
    kept >>= 1n;
    exp++;
  }
  return { sign: v.sign, exp, sig: kept << drop };
}

/**
 * Differences of two FXSAVE images. With `roundBits` < 64 the registers
 * compare as values rounded to that many bits, and FSW.C1 (the direction of
 * the 64-bit rounding) is not compared.
 */
export function compareFpuImages(exp: Uint8Array, act: Uint8Array, ignore: readonly [number, number][] = [], roundBits = 64): FpuDiff[] {
  const skip = new Uint8Array(FPU_IMAGE_BYTES);
  for (const [off, len] of [...FPU_ALWAYS_IGNORED, ...ignore]) skip.fill(1, off, off + len);
  const differs = (off: number, len: number): boolean => {
    for (let i = off; i < off + len; i++) if (!skip[i] && exp[i] !== act[i]) return true;
    return false;
  };
  if (roundBits < 64) {
    const C1_HIGH_BYTE = 0x02;
    const fswHigh = FX_FSW + 1;
    if ((exp[fswHigh] ^ act[fswHigh]) === C1_HIGH_BYTE) skip[fswHigh] = 1;
    for (let i = 0; i < 8; i++) {
      const off = FX_ST + i * FX_SLOT;
      const x = roundF80(readF80(exp, off), roundBits);
      const y = roundF80(readF80(act, off), roundBits);
      if (x.sign === y.sign && x.exp === y.exp && x.sig === y.sig) skip.fill(1, off, off + 10);
    }
  }
  const e = new DataView(exp.buffer, exp.byteOffset);
  const a = new DataView(act.buffer, act.byteOffset);
  const diffs: FpuDiff[] = [];
  const u16 = (name: string, off: number, fmt: (v: number) => string): void => {
    if (differs(off, 2)) diffs.push({ field: name, expected: fmt(e.getUint16(off, true)), actual: fmt(a.getUint16(off, true)) });
  };
  const h16 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
  u16('fcw', FX_FCW, h16);
  u16('fsw', FX_FSW, fswText);
  if (differs(FX_FTW, 1)) diffs.push({ field: 'ftw (abridged)', expected: h16(exp[FX_FTW]), actual: h16(act[FX_FTW]) });
  if (differs(FX_MXCSR, 4)) {
    diffs.push({ field: 'mxcsr', expected: h16(e.getUint32(FX_MXCSR, true)), actual: h16(a.getUint32(FX_MXCSR, true)) });
  }
  for (let i = 0; i < 8; i++) {
    const off = FX_ST + i * FX_SLOT;
    if (differs(off, FX_SLOT)) {
      diffs.push({ field: `st${i}`, expected: describeF80(readF80(exp, off)), actual: describeF80(readF80(act, off)) });
    }
  }
  for (let i = 0; i < 8; i++) {
    const off = FX_XMM + i * FX_SLOT;
    if (differs(off, FX_SLOT)) {
      diffs.push({ field: `xmm${i}`, expected: hexBytes(exp.subarray(off, off + 16)), actual: hexBytes(act.subarray(off, off + 16)) });
    }
  }
  const known = new Set<number>();
  for (const off of [FX_FCW, FX_FCW + 1, FX_FSW, FX_FSW + 1, FX_FTW]) known.add(off);
  for (let i = 0; i < 4; i++) known.add(FX_MXCSR + i);
  for (let i = FX_ST; i < FX_END_32BIT; i++) known.add(i);
  const other: number[] = [];
  for (let i = 0; i < FPU_IMAGE_BYTES; i++) if (!known.has(i) && !skip[i] && exp[i] !== act[i]) other.push(i);
  if (other.length) {
    diffs.push({
      field: `image bytes`,
      expected: other.map((i) => `+${i.toString(16)}=${exp[i].toString(16)}`).join(' '),
      actual: other.map((i) => `+${i.toString(16)}=${act[i].toString(16)}`).join(' '),
    });
  }
  return diffs;
}

/** Initial-state lines for a report: control words and the non-empty registers. */
export function describeFpuImage(img: Uint8Array): string[] {
  const dv = new DataView(img.buffer, img.byteOffset);
  const lines = [
    `fpu: fcw=0x${dv.getUint16(FX_FCW, true).toString(16)} fsw=${fswText(dv.getUint16(FX_FSW, true))} ` +
      `ftw=0x${img[FX_FTW].toString(16)} mxcsr=0x${dv.getUint32(FX_MXCSR, true).toString(16)}`,
  ];
  const top = (img[FX_FSW + 1] >> 3) & 7;
  for (let st = 0; st < 8; st++) {
    if (img[FX_FTW] & (1 << ((top + st) & 7))) lines.push(`  st${st} = ${describeF80(readF80(img, FX_ST + st * FX_SLOT))}`);
  }
  return lines;
}
