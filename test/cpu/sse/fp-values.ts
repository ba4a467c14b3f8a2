// Random operands for the SSE floating-point differential test: a mix of
// the special values (±0, denormals, infinities, QNaN/SNaN), values near
// rounding, overflow and underflow boundaries, integer limits and plain
// random numbers, plus random MXCSR settings (all rounding modes, FTZ, DAZ,
// sticky flags, occasionally unmasked exceptions).

/** mulberry32: a small seeded PRNG (deterministic per seed). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

export type ElemKind = 'f32' | 'f64' | 'i32';

const F32_SPECIALS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00000, 0xff800001, 0x00000001, 0x80000001, 0x007fffff,
  0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x4f000000, 0xcf000000,
  0x4effffff, 0xcf000001, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0x00400000, 0x1f800000, 0x5f800000, 0x20000000, 0x60000000,
  0x0c000000, 0x72800000,
];
const F64_SPECIALS = [
  0x0000000000000000n,
  0x8000000000000000n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0xfff8000000000000n,
  0x7ff4000000000000n,
  0x7ff0000000000001n,
  0x0000000000000001n,
  0x8000000000000001n,
  0x000fffffffffffffn,
  0x0010000000000000n,
  0x8010000000000000n,
  0x7fefffffffffffffn,
  0xffefffffffffffffn,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x3ff0000000000001n,
  0x3fefffffffffffffn,
  0x41e0000000000000n,
  0xc1e0000000000000n,
  0x41dfffffffc00000n,
  0xc1e0000000200000n,
  0x41dfffffffe00000n,
  0x3fe0000000000000n,
  0x3ff8000000000000n,
  0x36a0000000000000n,
  0x47e0000000000000n,
  0x3810000000000000n,
  0x380fffffe0000000n,
  0x47efffffe0000000n,
  0x47efffffefffffffn,
  0x36a0000000000001n,
  0x1ff0000000000000n,
  0x5ff0000000000000n,
];
const I32_SPECIALS = [0, 1, -1, 0x7fffffff, -0x80000000, 0x7fffff80, 0x1000001, 0x1000003, -0x1000003, 16777217, 0x7ffffffe];

function f32(rng: Rng): number {
  const r = rng.below(10);
  if (r < 3) return rng.pick(F32_SPECIALS) >>> 0;
  const sign = rng.chance(0.5) ? 0x80000000 : 0;
  if (r < 5) {
    // Random exponent over the whole range, mantissa with boundary patterns.
    const e = rng.below(256);
    const m = rng.chance(0.5) ? rng.u32() & 0x7fffff : rng.pick([0, 0x7fffff, 0x400000, 0x3fffff, 0x400001, 1, 0x7ffffe]);
    return (sign | (e << 23) | m) >>> 0;
  }
  if (r < 7) {
    // Near 1, near the underflow and overflow thresholds of products and sums.
    const e = rng.pick([127, 126, 128, 1, 2, 0, 63, 64, 190, 191, 253, 254, 24, 25, 40, 100, 150]) + rng.below(3) - 1;
    return (sign | ((Math.max(0, Math.min(254, e)) & 0xff) << 23) | (rng.u32() & 0x7fffff)) >>> 0;
  }
  // Plain random: exponents of moderate size.
  return (sign | ((100 + rng.below(56)) << 23) | (rng.u32() & 0x7fffff)) >>> 0;
}

function f64(rng: Rng): bigint {
  const r = rng.below(10);
  if (r < 3) return rng.pick(F64_SPECIALS);
  const sign = rng.chance(0.5) ? 1n << 63n : 0n;
  const frac = rng.chance(0.5)
    ? rng.u64() & 0xfffffffffffffn
    : rng.pick([0n, 0xfffffffffffffn, 0x8000000000000n, 0x7ffffffffffffn, 0x8000000000001n, 1n, 0x10000000n, 0xfffffe0000000n]);
  let e: number;
  if (r < 5) e = rng.below(2048);
  else if (r < 7) {
    // Near 1, the f64 and f32 boundaries (CVTSD2SS) and products' limits.
    const centers = [
      1023,
      1,
      0,
      2,
      2046,
      2045,
      1023 - 126,
      1023 - 127,
      1023 - 149,
      1023 - 150,
      1023 + 127,
      1023 + 128,
      512,
      1535,
      1023 + 31,
    ];
    e = Math.max(0, Math.min(2046, rng.pick(centers) + rng.below(3) - 1));
  } else e = 900 + rng.below(250);
  return sign | (BigInt(e) << 52n) | frac;
}

function i32(rng: Rng): number {
  if (rng.chance(0.3)) return rng.pick(I32_SPECIALS) >>> 0;
  if (rng.chance(0.5)) return (rng.u32() >>> rng.below(32)) >>> 0;
  return rng.u32();
}

/** 16 bytes of lanes of `kind` (sometimes another kind, so mixed inputs occur). */
export function fillVector(rng: Rng, kind: ElemKind, out: Uint8Array, at: number, bytes = 16): void {
  const dv = new DataView(out.buffer, out.byteOffset + at, bytes);
  for (let p = 0; p < bytes; p += 8) {
    const k = rng.chance(0.8) ? kind : rng.pick<ElemKind>(['f32', 'f64', 'i32']);
    if (k === 'f64') dv.setBigUint64(p, f64(rng), true);
    else if (k === 'f32') {
      dv.setUint32(p, f32(rng), true);
      dv.setUint32(p + 4, f32(rng), true);
    } else {
      dv.setUint32(p, i32(rng), true);
      dv.setUint32(p + 4, i32(rng), true);
    }
  }
}

/** A general register value (integer sources of CVTSI2SS/SD). */
export function randomInt(rng: Rng): number {
  return i32(rng);
}

const MXCSR_MASKS_ALL = 0x1f80;

/** A valid MXCSR (reserved bits clear): any rounding, FTZ/DAZ, sticky flags, mostly masked. */
export function randomMxcsr(rng: Rng): number {
  let m = rng.below(4) << 13;
  if (rng.chance(0.3)) m |= 0x8000; // FTZ
  if (rng.chance(0.3)) m |= 0x40; // DAZ
  if (rng.chance(0.3)) m |= rng.below(64); // sticky flags
  if (rng.chance(0.15)) {
    for (let b = 7; b < 13; b++) if (!rng.chance(0.3)) m |= 1 << b;
  } else m |= MXCSR_MASKS_ALL;
  if (rng.chance(0.5)) m |= 0x20; // PE usually already set in real programs: exercises the fast path
  return m >>> 0;
}
