// Random cases for the MMX and packed-integer SSE rows of the opcode table
// (core-as/cpu/ops/simd-int-*.ts), compared with the host CPU through the
// differential harness's FXSAVE image: each case is one instruction with
// random MMX/XMM registers (in the initial image), general registers and
// memory, and the final image, registers, flags and memory are compared.
//
// Operand values favour the boundaries where integer SIMD goes wrong: all
// zeros, all ones, the signed/unsigned saturation limits per lane width,
// small shift counts and shuffle indices, and short strings with NULs for
// the SSE4.2 string compares.

import { DATA_ADDR, DATA_SIZE, makeCase, type Patch, type TestCase } from '../differential/cases';
import { DEFAULT_MXCSR, FINIT_FCW, FX_FSW, FX_FTW, FX_MXCSR, FX_SLOT, FX_ST, FX_XMM, FX_FCW } from '../differential/fpu-image';
import { FPU_IMAGE_BYTES } from '../differential/cases';
import { Rng } from '../differential/generator';
import { littleEndian, parseOperands, rowHasModrm, PFX_OPSIZE, type Insn, type OpcodeRow } from '../differential/x86';

/** Handlers of the SIMD-integer rows (the exec names of their table rows). */
const SIMD_INT_HANDLERS =
  /^(mmxBinary|xmmBinary|mmxShift|xmmShift|mmxShiftImm|xmmShiftImm|mmxBinaryImm|xmmBinaryImm|movdToMmx|movdFromMmx|movdToXmm|movdFromXmm|movqToXmm|movqFromXmm|movqToMmx|movqFromMmx|movq2dq|movdq2q|movdqLoad|movdqStore|maskmovq|maskmovdqu|emms|pinsrwMmx|pinsrXmm|pextrwMmx|pextrwXmm|pextrXmm|pmovmskbMmx|pmovmskbXmm|ptest|pmovx|pcmpstr|crc32|popcntGE)\(/;

export function isSimdIntRow(row: OpcodeRow): boolean {
  return SIMD_INT_HANDLERS.test(row.exec ?? '');
}

const EDGE8 = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const EDGE16 = [0x0000, 0x0001, 0x007f, 0x0080, 0x00ff, 0x0100, 0x7fff, 0x8000, 0x8001, 0xff80, 0xff7f, 0xfffe, 0xffff];
const EDGE32 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xffff8000, 0xfffffffe, 0xffffffff];
const SHIFT_COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255];
const STRING_ALPHABET = [0x41, 0x42, 0x43, 0x61, 0x62, 0x7a, 0x80, 0xff];

/** 16 bytes of an "interesting" vector. */
export function vectorBytes(rng: Rng): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  const kind = rng.int(12);
  switch (kind) {
    case 0:
      break; // all zeros
    case 1:
      out.fill(0xff);
      break;
    case 2:
      for (let i = 0; i < 16; i++) out[i] = rng.pick(EDGE8);
      break;
    case 3:
      for (let i = 0; i < 8; i++) dv.setUint16(i * 2, rng.pick(EDGE16), true);
      break;
    case 4:
      for (let i = 0; i < 4; i++) dv.setUint32(i * 4, rng.pick(EDGE32), true);
      break;
    case 5:
      // Small signed bytes: shuffle indices, sign operands, shift counts.
      for (let i = 0; i < 16; i++) out[i] = rng.chance(0.8) ? rng.int(32) : rng.pick(EDGE8);
      break;
    case 6: {
      // A short string with a NUL (SSE4.2 string compares), bytes or words.
      const words = rng.chance(0.3);
      const n = words ? 8 : 16;
      const len = rng.int(n + 1);
      for (let i = 0; i < n; i++) {
        const c = i < len ? rng.pick(STRING_ALPHABET) : rng.chance(0.7) ? 0 : rng.pick(STRING_ALPHABET);
        if (words) dv.setUint16(i * 2, c | (rng.chance(0.2) ? rng.pick(STRING_ALPHABET) << 8 : 0), true);
        else out[i] = c;
      }
      break;
    }
    case 7:
      // Shift count in the low quadword, random high quadword.
      dv.setUint32(0, rng.chance(0.8) ? rng.pick(SHIFT_COUNTS) : rng.u32(), true);
      dv.setUint32(4, rng.chance(0.85) ? 0 : rng.pick([1, 0x80000000, rng.u32()]), true);
      for (let i = 8; i < 16; i++) out[i] = rng.int(256);
      break;
    default:
      for (let i = 0; i < 16; i++) out[i] = rng.int(256);
  }
  return out;
}

const DATA_LO = DATA_ADDR + 0x100;
const DATA_HI = DATA_ADDR + DATA_SIZE - 0x100;
const ALIGN = 16;
const MISALIGNED_CHANCE = 0.12;
const SEG_OVERRIDES = [0x26, 0x36, 0x3e]; // flat in both modes
const FSW_TOP_SHIFT = 11;
const FSW_CONDITION_BITS = 0x4700; // C0-C3: any value; no exception bits (MMX would raise #MF)
const MMX_EXPONENTS = [0x0000, 0x3fff, 0x7fff, 0xffff];
const PCMPSTR_IMM_MASK = 0x7f; // imm8[7] is reserved

/** An initial FXSAVE image: random MMX (x87 slots, TOP and tags) and XMM registers. */
function randomImage(rng: Rng): Uint8Array {
  const img = new Uint8Array(FPU_IMAGE_BYTES);
  const dv = new DataView(img.buffer);
  dv.setUint16(FX_FCW, FINIT_FCW, true);
  const top = rng.chance(0.5) ? 0 : rng.int(8);
  dv.setUint16(FX_FSW, (rng.u32() & FSW_CONDITION_BITS) | (top << FSW_TOP_SHIFT), true);
  img[FX_FTW] = rng.chance(0.5) ? 0xff : rng.chance(0.5) ? 0 : rng.int(256);
  dv.setUint32(FX_MXCSR, DEFAULT_MXCSR, true);
  for (let i = 0; i < 8; i++) {
    img.set(vectorBytes(rng).subarray(0, 8), FX_ST + i * FX_SLOT);
    dv.setUint16(FX_ST + i * FX_SLOT + 8, rng.pick(MMX_EXPONENTS), true);
    img.set(vectorBytes(rng), FX_XMM + i * FX_SLOT);
  }
  return img;
}

/** Bytes the memory operand covers (16 for packed XMM operands). */
function memoryBytes(row: OpcodeRow, opsize: number): number {
  const e = parseOperands(row.ops).find((o) => ['E', 'M', 'Q', 'W'].includes(o.kind));
  if (!e) return 0;
  switch (e.size) {
    case 'b':
      return 1;
    case 'w':
      return 2;
    case 'd':
      return 4;
    case 'q':
      return 8;
    case 'v':
      return opsize;
    default:
      return 16;
  }
}

function immediateFor(rng: Rng, row: OpcodeRow): number {
  const exec = row.exec ?? '';
  if (/ShiftImm/.test(exec)) return rng.chance(0.8) ? rng.pick(SHIFT_COUNTS) : rng.int(256);
  if (/PALIGNR/.test(exec)) return rng.chance(0.8) ? rng.int(34) : rng.int(256);
  if (/^pcmpstr/.test(exec)) return rng.int(256) & PCMPSTR_IMM_MASK;
  return rng.int(256);
}

/** A signed string length for PCMPESTRx (EAX, EDX): mostly within ±20, sometimes extreme. */
function stringLength(rng: Rng): number {
  if (rng.chance(0.8)) return (rng.int(41) - 20) >>> 0;
  return rng.pick([0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x10, 0x11, 0x100]);
}

/** One case whose only instruction is `row`. */
export function simdIntCase(rng: Rng, row: OpcodeRow): TestCase {
  const prefixes: number[] = [];
  if (row.pfx !== undefined) prefixes.push(row.pfx);
  const ops = parseOperands(row.ops);
  // Operand-size prefix on the integer forms with a v-sized operand (POPCNT, CRC32).
  if (row.pfx !== PFX_OPSIZE && ops.some((o) => o.size === 'v') && rng.chance(0.3)) prefixes.unshift(PFX_OPSIZE);
  const opsize = prefixes.includes(PFX_OPSIZE) && row.pfx !== PFX_OPSIZE ? 2 : 4;
  const insn: Insn = { prefixes, op: row.op, disp: [], imm: [], row };
  const patches: Patch[] = [];
  const regs = Array.from({ length: 8 }, () => (rng.chance(0.5) ? rng.pick(EDGE32) : rng.u32()) >>> 0);
  regs[4] = DATA_ADDR + 0x1000; // ESP inside DATA
  if (rowHasModrm(row)) {
    const reg = row.reg ?? rng.int(8);
    const memForm = row.mod === 'mem' || (row.mod !== 'reg' && rng.chance(0.45));
    if (memForm) {
      const bytes = memoryBytes(row, opsize);
      let addr = DATA_LO + rng.int(DATA_HI - DATA_LO - 32);
      addr = rng.chance(MISALIGNED_CHANCE) ? addr : addr & ~(ALIGN - 1);
      // [disp32]: no register is an address, so all of them stay random.
      insn.modrm = (reg << 3) | 5;
      insn.disp = littleEndian(addr, 4);
      patches.push({ offset: addr - DATA_ADDR, bytes: Array.from(vectorBytes(rng).subarray(0, Math.max(bytes, 1))) });
      if (rng.chance(0.1)) prefixes.unshift(rng.pick(SEG_OVERRIDES));
    } else {
      insn.modrm = 0xc0 | (reg << 3) | rng.int(8);
    }
  }
  for (const o of ops) if (o.kind === 'I') insn.imm.push(immediateFor(rng, row));
  const exec = row.exec ?? '';
  if (/^pcmpstr\(true/.test(exec)) {
    regs[0] = stringLength(rng);
    regs[2] = stringLength(rng);
  }
  if (/^maskmov/.test(exec)) regs[7] = DATA_LO + rng.int(DATA_HI - DATA_LO - 16);
  return makeCase([insn], { regs, eflags: rng.u32() & 0x8d5, dataSeed: rng.u32(), patches, fpu: randomImage(rng) });
}
