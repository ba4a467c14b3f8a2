// Random snippet generator for the user-mode differential test.
//
// Every case is 1-4 instructions drawn from the opcode table.  Each case has
// a "primary" row, taken round-robin from the eligible rows so every row gets
// cases; the other instructions are random rows.  Memory operands always
// land inside DATA: the registers an address is formed from are given
// initial values that make it so, and an instruction may only use a register
// as an address while no earlier instruction has written it.  Flags read by an instruction must be defined
// at that point (checked with computeMasks), so results never depend on
// undefined flags.

import { DATA_ADDR, DATA_SIZE, FLAG_AC, FLAG_DF, FLAG_TF, CASE_FLAGS, makeCase, SnippetTooLong, type Patch, type TestCase } from './cases';
import { computeMasks, ECX, EDX, EAX, EBP, EDI, ESI, ESP, EBX, addressUseRegs, isString, writtenRegs } from './semantics';
import {
  effectiveAddress,
  encode64,
  isStackOp,
  littleEndian,
  opsize,
  parseOperands,
  PFX_ADDRSIZE,
  PFX_LOCK,
  PFX_OPSIZE,
  PFX_REP,
  PFX_REPNE,
  rowHasModrm,
  usesAddressing,
  type Insn,
  type OpcodeRow,
  type Operand,
} from './x86';

// ------------------------------------------------------------------ PRNG

/** xoshiro128** seeded through splitmix32: fast, 32-bit, reproducible. */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---------------------------------------------------------- value choice

const EDGE32 = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
];
const EDGE16 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff];
const EDGE8 = [0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const SHIFT_COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 0xff];

export function edgeValue(rng: Rng, bytes: number): number {
  const r = rng.int(10);
  if (bytes === 1) return r < 6 ? rng.pick(EDGE8) : rng.int(0x100);
  if (bytes === 2) return r < 5 ? rng.pick(EDGE16) : r < 7 ? rng.pick(EDGE8) : rng.int(0x10000);
  if (r < 4) return rng.pick(EDGE32);
  if (r < 5) return (rng.u32() & 0xffffff00) | rng.pick(EDGE8); // edge low byte
  if (r < 6) return (rng.u32() & 0xffff0000) | rng.pick(EDGE16); // edge low word
  if (r < 7) return rng.int(64); // small
  return rng.u32();
}

// -------------------------------------------------------------- policy

/** Rows the generator never emits, with the reason (reported). */
const EXCLUDED_MNEMONICS: Record<string, string> = {
  cpuid: 'differs between CPUs',
  rdtsc: 'differs between runs',
  rdtscp: 'differs between runs',
  rdrand: 'random',
  rdseed: 'random',
  rdpid: 'differs between CPUs',
  xgetbv: 'differs between CPUs',
  lzcnt: 'decodes as BSR on CPUs without ABM/LZCNT',
  hlt: 'privileged',
  // MXCSR, fences and cache hints: compared by the SSE suite (test/cpu/sse), whose
  // cases carry the FP/SIMD state (MXCSR is part of it).
  popcnt: 'compared by test/cpu/simd (its snippets keep ESP valid)',
  ldmxcsr: 'SSE state: compared by test/cpu/sse',
  stmxcsr: 'SSE state: compared by test/cpu/sse',
  lfence: 'SSE: compared by test/cpu/sse',
  mfence: 'SSE: compared by test/cpu/sse',
  sfence: 'SSE: compared by test/cpu/sse',
  clflush: 'SSE: compared by test/cpu/sse',
  prefetchnta: 'SSE: compared by test/cpu/sse',
  prefetcht0: 'SSE: compared by test/cpu/sse',
  prefetcht1: 'SSE: compared by test/cpu/sse',
  prefetcht2: 'SSE: compared by test/cpu/sse',
};
const SUPPORTED_KINDS = new Set(['E', 'G', 'M', 'I', 'J', 'O', 'X', 'Y', 'reg', 'one']);
// MMX/XMM register operands (SDM App. A: V W U xmm, P Q N mm): their rows have their own
// random suites with initial register images (integer rows: test/cpu/simd).
const SIMD_KINDS = new Set(['V', 'W', 'U', 'P', 'Q', 'N']);
const GENERATED_CF = new Set(['jcc', 'loop', 'jmp']);

/** Why the generator does not emit a row, or undefined when it does. */
export function exclusionReason(row: OpcodeRow): string | undefined {
  if (EXCLUDED_MNEMONICS[row.mn]) return EXCLUDED_MNEMONICS[row.mn];
  // POPF is ring-3 safe here: the generator controls the popped value.
  if (row.cf === 'sys' && /^popf/.test(row.mn)) return undefined;
  if (row.cf !== undefined) {
    const rel = parseOperands(row.ops).some((o) => o.kind === 'J');
    if (GENERATED_CF.has(row.cf) && rel) return undefined;
    return `control transfer (${row.cf})`;
  }
  if (!row.user) return 'not user-mode comparable (table user: false)';
  if (row.op > 0xffff) return 'three-byte opcodes not generated yet';
  for (const o of parseOperands(row.ops)) {
    if (SIMD_KINDS.has(o.kind)) return 'MMX/XMM operands: compared by their own suites (test/cpu/simd)';
    if (!SUPPORTED_KINDS.has(o.kind)) return `operand kind ${o.text} not generated`;
    if (o.kind === 'reg' && o.size === 'seg') return 'segment register operand';
  }
  return undefined;
}

/** Rows a 64-bit harness can never run (see encode64). */
export function needs32BitHost(row: OpcodeRow): string | undefined {
  const insn: Insn = { prefixes: [PFX_OPSIZE], op: row.op, disp: [], imm: [], row };
  if (rowHasModrm(row)) insn.modrm = 0xc0 | ((row.reg ?? 0) << 3);
  const r = encode64(insn);
  return typeof r === 'string' && !/stack/.test(r) ? `needs a 32-bit host (${r})` : undefined;
}

// ------------------------------------------------------------ generator

const DATA_LO = DATA_ADDR + 0x100;
const DATA_HI = DATA_ADDR + DATA_SIZE - 0x100;
// ESP starts mid-region so pushes, pops and ENTER frames stay inside DATA.
const STACK_LO = DATA_ADDR + 0x1000;
const STACK_HI = DATA_ADDR + 0x1400;
const SEG_OVERRIDES = [0x26, 0x36, 0x3e]; // ES SS DS: flat in both modes
const MAX_ATTEMPTS = 60;

interface Ctx {
  rng: Rng;
  regs: number[];
  fixed: Set<number>; // registers whose initial value is decided
  written: Set<number>; // registers written by earlier instructions
  espStable: boolean; // ESP is initial +- small pushes/pops
  patches: Patch[];
  index: number; // position of the instruction being generated
  target64: boolean; // every instruction must have a 64-bit-mode form
}

function fix(ctx: Ctx, reg: number, value: number): void {
  ctx.regs[reg] = value >>> 0;
  ctx.fixed.add(reg);
}

/** The register's value when it can still be relied on, else undefined. */
function usable(ctx: Ctx, reg: number): boolean {
  if (reg === ESP) return ctx.espStable;
  return !ctx.written.has(reg);
}

function patch(ctx: Ctx, addr: number, bytes: number[]): void {
  const offset = addr - DATA_ADDR;
  if (offset < 0 || offset + bytes.length > DATA_SIZE) return;
  ctx.patches.push({ offset, bytes });
}

// Not an Error: rejections are frequent and stack capture is costly.
class Reject {
  constructor(readonly message: string) {}
}

function reject(why: string): never {
  throw new Reject(why);
}

interface MemChoice {
  modrmRm: number; // mod<<6 | rm, reg filled in later
  sib?: number;
  disp: number[];
  ea: number;
}

/** Picks a 32-bit memory operand whose address is in [lo, hi]. */
function chooseMemory(ctx: Ctx, lo: number, hi: number, avoid: number[]): MemChoice {
  const { rng } = ctx;
  const want = lo + rng.int(hi - lo + 1);
  // ESP as a base only while it still has its initial value: the address
  // is computed from it and must stay inside DATA.
  const candidates = [EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI].filter((r) => !avoid.includes(r) && !ctx.written.has(r));
  const form = rng.int(10);
  if (form === 0 || candidates.length === 0) {
    return { modrmRm: 0x05, disp: littleEndian(want, 4), ea: want }; // [disp32]
  }
  const base = rng.pick(candidates);
  const valueOf = (r: number, fallback: number): number => {
    if (!ctx.fixed.has(r)) fix(ctx, r, fallback);
    return ctx.regs[r];
  };
  const useSib = base === ESP || form >= 6;
  let index = -1;
  let scale = 0;
  let indexValue = 0;
  if (useSib && form >= 6) {
    const idxCands = candidates.filter((r) => r !== ESP && r !== base);
    if (idxCands.length > 0 && form !== 9) {
      index = rng.pick(idxCands);
      scale = rng.int(4);
      indexValue = valueOf(index, rng.chance(0.3) ? -rng.int(8) >>> 0 : rng.int(16));
    }
  }
  const indexPart = index >= 0 ? Math.imul(indexValue, 1 << scale) : 0;
  const dispKind = base === EBP ? 1 + rng.int(2) : rng.int(3); // [ebp] needs a disp
  let disp = 0;
  if (dispKind === 1) disp = rng.range(-128, 127);
  else if (dispKind === 2) disp = rng.chance(0.5) ? rng.range(-0x400, 0x400) : rng.u32() | 0;
  let baseValue: number;
  if (ctx.fixed.has(base)) {
    baseValue = ctx.regs[base];
    if (dispKind === 2) disp = (want - baseValue - indexPart) | 0; // disp32 reaches anywhere
  } else {
    baseValue = valueOf(base, (want - disp - indexPart) >>> 0);
  }
  const ea = (baseValue + indexPart + disp) >>> 0;
  if (ea < lo || ea > hi) reject('address out of range');
  const mod = dispKind;
  const dispBytes = dispKind === 0 ? [] : littleEndian(disp, dispKind === 1 ? 1 : 4);
  if (useSib) {
    const sib = (scale << 6) | ((index >= 0 ? index : 4) << 3) | base;
    return { modrmRm: (mod << 6) | 4, sib, disp: dispBytes, ea };
  }
  return { modrmRm: (mod << 6) | base, disp: dispBytes, ea };
}

function immBytes(ctx: Ctx, o: Operand, row: OpcodeRow, osize: number): number[] {
  const { rng } = ctx;
  const n = o.size === 'v' ? osize : o.size === 'z' ? osize : o.size === 'w' ? 2 : o.size === 'd' ? 4 : 1;
  if (/^(rol|ror|rcl|rcr|shl|sal|shr|sar|shld|shrd)$/.test(row.mn)) {
    return [rng.chance(0.8) ? rng.pick(SHIFT_COUNTS) : rng.int(256)];
  }
  if (/^(aam|aad)$/.test(row.mn)) return [rng.chance(0.6) ? 10 : rng.chance(0.2) ? 0 : rng.int(256)];
  return littleEndian(edgeValue(rng, n), n);
}

function sizeOf(o: Operand, osize: number): number {
  return o.size === 'b' ? 1 : o.size === 'w' ? 2 : o.size === 'd' ? 4 : o.size === 'q' ? 8 : o.size === 'a' ? 2 * osize : osize;
}

/** Builds one instruction of `row` at position ctx.index. */
function genInsn(ctx: Ctx, row: OpcodeRow): Insn {
  const { rng } = ctx;
  const ops = parseOperands(row.ops);
  const insn: Insn = { prefixes: [], op: row.op, disp: [], imm: [], row };
  const stackOp = isStackOp(row);
  const branch = GENERATED_CF.has(row.cf ?? '');
  const hasSized = ops.some((o) => o.size === 'v' || o.size === 'z' || o.size === 'a') || stackOp;
  if (row.pfx !== undefined) insn.prefixes.push(row.pfx);
  if (!branch && hasSized && row.pfx !== PFX_OPSIZE) {
    const wantOpsize = ctx.target64 && stackOp ? true : rng.chance(row.mn === 'bswap' ? 0.05 : 0.3);
    if (wantOpsize) insn.prefixes.unshift(PFX_OPSIZE);
  }
  const osize = opsize(insn);
  const hasModrm = rowHasModrm(row);
  let memOperandSize = 0;
  let mem: MemChoice | undefined;
  if (hasModrm) {
    const eOp = ops.find((o) => o.kind === 'E' || o.kind === 'M');
    const memForm = row.mod === 'mem' || (row.mod !== 'reg' && eOp !== undefined && rng.chance(0.5));
    const regField = row.reg ?? rng.int(8);
    if (memForm) {
      memOperandSize = eOp ? Math.max(1, sizeOf(eOp, osize)) : osize;
      let lo = DATA_LO;
      let hi = DATA_HI - memOperandSize;
      const gOp = ops.find((o) => o.kind === 'G');
      const avoid: number[] = [];
      if (/^bt[src]?$/.test(row.mn) && gOp) {
        // Bit offset register: small signed value, the address moves by it.
        avoid.push(regField);
        if (!ctx.fixed.has(regField)) fix(ctx, regField, rng.range(-8 * 0x300, 8 * 0x300) >>> 0);
        if (Math.abs(ctx.regs[regField] | 0) > 8 * 0x300) reject('bit offset register holds a large value');
        lo = DATA_ADDR + 0xa00;
        hi = DATA_ADDR + 0x1600;
      }
      mem = chooseMemory(ctx, lo, hi, avoid);
      insn.modrm = mem.modrmRm | (regField << 3);
      if (mem.sib !== undefined) insn.sib = mem.sib;
      insn.disp = mem.disp;
    } else {
      insn.modrm = 0xc0 | (regField << 3) | rng.int(8);
    }
  }
  for (const o of ops) {
    if (o.kind === 'I') insn.imm.push(...immBytes(ctx, o, row, osize));
    else if (o.kind === 'J') insn.imm.push(...new Array<number>(o.size === 'b' ? 1 : osize).fill(0));
    else if (o.kind === 'O') {
      const addr = rng.range(DATA_LO, DATA_HI - 4);
      insn.imm.push(...littleEndian(addr, 4));
      mem = { modrmRm: 0, disp: [], ea: addr };
      memOperandSize = sizeOf(o, osize);
    }
  }
  if (row.mn === 'enter') {
    // ENTER size, nesting level: small frames, mostly shallow nesting.
    insn.imm = [...littleEndian(rng.chance(0.5) ? rng.int(16) * 4 : rng.int(0x100), 2), rng.pick([0, 1, 2, 3, 5, 31, 32, 33])];
  }

  // Prefixes that depend on the operand form.
  const memory = mem !== undefined || isString(insn);
  if (memory && rng.chance(0.15)) insn.prefixes.unshift(rng.pick(SEG_OVERRIDES));
  if (row.lock && mem && hasModrm && rng.chance(0.4)) insn.prefixes.unshift(PFX_LOCK);
  else if (rng.chance(0.01)) insn.prefixes.unshift(PFX_LOCK); // mostly illegal: #UD
  if (isString(insn) && rng.chance(0.6)) {
    const repne = /^(cmps|scas)/.test(row.mn) ? rng.chance(0.4) : rng.chance(0.1);
    insn.prefixes.unshift(repne ? PFX_REPNE : PFX_REP);
  }
  if (!usesAddressing(insn) && !branch && rng.chance(0.03)) insn.prefixes.unshift(PFX_ADDRSIZE); // no effect
  if (rng.chance(0.03) && insn.prefixes.length < 4) {
    // Redundant prefixes must not change anything.
    insn.prefixes.unshift(rng.pick(SEG_OVERRIDES));
  }

  setupImplicit(ctx, insn);
  checkRegisters(ctx, insn);
  if (mem && rng.chance(0.5) && memOperandSize > 0) {
    const n = Math.min(memOperandSize, 8);
    const bytes =
      n === 8 ? [...littleEndian(edgeValue(rng, 4), 4), ...littleEndian(edgeValue(rng, 4), 4)] : littleEndian(edgeValue(rng, n), n);
    patch(ctx, mem.ea, bytes);
  }
  setupValues(ctx, insn, mem);
  return insn;
}

/** Initial values for registers the instruction uses as addresses/counts. */
function setupImplicit(ctx: Ctx, insn: Insn): void {
  const { rng } = ctx;
  const mn = insn.row.mn;
  // A register may already hold a value chosen for another purpose: it
  // must then still be within the range this use needs.
  const need = (reg: number, lo: number, hi: number, value: () => number): void => {
    if (!usable(ctx, reg)) reject(`${['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][reg]} no longer known`);
    if (!ctx.fixed.has(reg)) fix(ctx, reg, value());
    if (ctx.regs[reg] < lo || ctx.regs[reg] > hi) reject('register value unusable as address/count');
  };
  const midLo = DATA_ADDR + 0x600;
  const midHi = DATA_ADDR + 0x1a00;
  const mid = (): number => rng.range(midLo, midHi);
  if (isString(insn)) {
    const ops = parseOperands(insn.row.ops);
    if (ops.some((o) => o.kind === 'X')) need(ESI, midLo - 0x400, midHi + 0x400, mid);
    if (ops.some((o) => o.kind === 'Y')) need(EDI, midLo - 0x400, midHi + 0x400, mid);
    if (insn.prefixes.includes(PFX_REP) || insn.prefixes.includes(PFX_REPNE)) need(ECX, 0, 16, () => rng.int(8));
  }
  if (/^xlat/.test(mn)) need(EBX, DATA_LO, DATA_HI - 0x100, () => rng.range(DATA_LO, DATA_HI - 0x100));
  if (isStackOp(insn.row)) need(ESP, STACK_LO - 0x200, STACK_HI + 0x200, () => rng.range(STACK_LO, STACK_HI));
  if (/^(enter|leave)/.test(mn)) {
    need(EBP, DATA_ADDR + 0x1000, DATA_ADDR + 0x1a00, () => rng.range(DATA_ADDR + 0x1400, DATA_ADDR + 0x1800) & ~1);
  }
  if (/^popf/.test(mn)) {
    if (ctx.index !== 0) reject('popf only first (its operand must be a safe flags value)');
    const value = (edgeValue(rng, 4) | CASE_FLAGS) & ~(FLAG_TF | FLAG_AC) & (rng.u32() | ~CASE_FLAGS);
    patch(ctx, ctx.regs[ESP], littleEndian(value & ~(FLAG_TF | FLAG_AC), 4));
  }
}

/** Rejects instructions whose address registers no longer hold known values. */
function checkRegisters(ctx: Ctx, insn: Insn): void {
  for (const r of addressUseRegs(insn)) {
    if (!usable(ctx, r)) reject('address register already modified');
  }
}

/** Interesting initial values for the instruction's data operands. */
function setupValues(ctx: Ctx, insn: Insn, mem: MemChoice | undefined): void {
  const { rng } = ctx;
  const mn = insn.row.mn;
  if (ctx.index !== 0) return;
  const osize = opsize(insn);
  if (/^(div|idiv)$/.test(mn) && rng.chance(0.6)) {
    const bytes = parseOperands(insn.row.ops)[0].size === 'b' ? 1 : osize;
    // Only registers still free: fixed ones may be forming the address.
    const signed = mn === 'idiv';
    if (bytes === 1) {
      if (!ctx.fixed.has(EAX)) {
        const al = edgeValue(rng, 1);
        fix(ctx, EAX, (rng.u32() & 0xffff0000) | ((signed && al & 0x80 ? 0xff : 0) << 8) | al);
      }
    } else if (!ctx.fixed.has(EDX)) {
      if (!ctx.fixed.has(EAX)) fix(ctx, EAX, edgeValue(rng, 4));
      const eax = ctx.regs[EAX];
      const neg = bytes === 2 ? eax & 0x8000 : eax & 0x80000000;
      fix(ctx, EDX, signed && neg ? 0xffffffff : 0);
    }
  }
  if (/^cmpxchg8b$/.test(mn) && mem && rng.chance(0.5)) {
    for (const r of [EAX, EDX]) if (!ctx.fixed.has(r)) fix(ctx, r, edgeValue(rng, 4));
    patch(ctx, mem.ea, [...littleEndian(ctx.regs[EAX], 4), ...littleEndian(ctx.regs[EDX], 4)]);
  } else if (/^cmpxchg$/.test(mn) && mem && rng.chance(0.5)) {
    if (!ctx.fixed.has(EAX)) fix(ctx, EAX, edgeValue(rng, 4));
    const n = parseOperands(insn.row.ops)[0].size === 'b' ? 1 : osize;
    patch(ctx, mem.ea, littleEndian(ctx.regs[EAX], n));
  }
  if (/^bound$/.test(mn) && mem) {
    const reg = ((insn.modrm as number) >> 3) & 7;
    if (!ctx.fixed.has(reg)) fix(ctx, reg, edgeValue(rng, 4));
    const v = osize === 2 ? (ctx.regs[reg] << 16) >> 16 : ctx.regs[reg] | 0;
    const lo = v - rng.range(-2, 3);
    const hi = v + rng.range(-2, 3);
    patch(ctx, mem.ea, [...littleEndian(lo, osize), ...littleEndian(hi, osize)]);
  }
}

function updateCtx(ctx: Ctx, insn: Insn): void {
  const explicitEsp =
    (!isStackOp(insn.row) && writtenRegs(insn).includes(ESP)) ||
    (/^pop$/.test(insn.row.mn) && writtenRegs(insn).filter((r) => r === ESP).length > 0 && popsIntoEsp(insn));
  if (explicitEsp) ctx.espStable = false;
  for (const r of writtenRegs(insn)) ctx.written.add(r);
}

function popsIntoEsp(insn: Insn): boolean {
  if (insn.op === 0x5c) return true;
  return insn.op === 0x8f && insn.modrm !== undefined && insn.modrm === 0xc4;
}

export interface GeneratorStats {
  rows: OpcodeRow[]; // eligible rows
  excluded: { row: OpcodeRow; reason: string }[];
  generatedPerRow: Map<OpcodeRow, number>;
  failedRows: Map<OpcodeRow, string>; // primary row never produced a case
}

export interface GeneratorOptions {
  seed: number;
  rows: readonly OpcodeRow[];
  target64?: boolean; // cases must have a 64-bit-mode translation
}

export class Generator {
  readonly rng: Rng;
  readonly stats: GeneratorStats;
  private order: OpcodeRow[] = [];
  private next = 0;

  constructor(readonly opts: GeneratorOptions) {
    this.rng = new Rng(opts.seed);
    const rows: OpcodeRow[] = [];
    const excluded: { row: OpcodeRow; reason: string }[] = [];
    for (const row of opts.rows) {
      const reason = exclusionReason(row) ?? (opts.target64 ? needs32BitHost(row) : undefined);
      if (reason) excluded.push({ row, reason });
      else rows.push(row);
    }
    this.stats = { rows, excluded, generatedPerRow: new Map(), failedRows: new Map() };
  }

  private nextPrimary(): OpcodeRow {
    if (this.next >= this.order.length) {
      this.order = [...this.stats.rows];
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
      }
      this.next = 0;
    }
    return this.order[this.next++];
  }

  /** One case with `primary` (default: round-robin) among its instructions. */
  generate(primary: OpcodeRow = this.nextPrimary()): TestCase | undefined {
    let lastWhy = '';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        return this.attempt(primary);
      } catch (e) {
        if (!(e instanceof Reject)) throw e;
        lastWhy = e.message;
      }
    }
    this.stats.failedRows.set(primary, lastWhy);
    return undefined;
  }

  private attempt(primary: OpcodeRow): TestCase {
    const { rng } = this;
    const lengths = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4];
    const n = rng.pick(lengths);
    const primaryAt = rng.chance(0.6) ? 0 : rng.int(n);
    const ctx: Ctx = {
      rng,
      regs: new Array<number>(8).fill(0),
      fixed: new Set(),
      written: new Set(),
      espStable: true,
      patches: [],
      index: 0,
      target64: this.opts.target64 ?? false,
    };
    // ESP always points mid-DATA so stray stack writes are compared.
    fix(ctx, ESP, rng.range(STACK_LO, STACK_HI) & (rng.chance(0.9) ? ~3 : ~0));
    const insns: Insn[] = [];
    for (let k = 0; k < n; k++) {
      ctx.index = k;
      const row = k === primaryAt ? primary : rng.pick(this.stats.rows);
      let insn: Insn | undefined;
      for (let tries = 0; tries < 8 && !insn; tries++) {
        try {
          insn = genInsn(ctx, tries === 0 || k === primaryAt ? row : rng.pick(this.stats.rows));
        } catch (e) {
          if (!(e instanceof Reject) || k === primaryAt) throw e;
        }
      }
      if (!insn) reject('no filler instruction fits');
      insns.push(insn);
      updateCtx(ctx, insn);
    }
    // Forward branches land on the next instruction or one further.
    insns.forEach((insn, k) => {
      if (GENERATED_CF.has(insn.row.cf ?? '')) insn.branchTarget = Math.min(n, k + 1 + rng.int(2));
    });
    for (let r = 0; r < 8; r++) if (!ctx.fixed.has(r)) ctx.regs[r] = edgeValue(rng, 4) >>> 0;
    let eflags = rng.u32() & CASE_FLAGS;
    if (rng.chance(0.6)) eflags &= ~FLAG_DF;
    let tc: TestCase;
    try {
      tc = makeCase(insns, { regs: ctx.regs, eflags, dataSeed: rng.u32(), patches: ctx.patches });
    } catch (e) {
      if (e instanceof SnippetTooLong) reject(e.message);
      throw e;
    }
    if (ctx.target64 && !tc.code.code64) reject(tc.code.why64 ?? 'no 64-bit form');
    const masks = computeMasks(tc);
    if (masks.unverifiable) reject(masks.unverifiable);
    this.stats.generatedPerRow.set(primary, (this.stats.generatedPerRow.get(primary) ?? 0) + 1);
    return tc;
  }
}

/** Rows of a case's instructions (for coverage counts). */
export function rowsOf(tc: TestCase): OpcodeRow[] {
  return tc.insns.map((i) => i.row);
}

export { effectiveAddress };
