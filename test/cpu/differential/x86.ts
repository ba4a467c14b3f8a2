// Instruction model for the differential tests: opcode-table rows, a
// table-driven 32-bit decoder/encoder, and the translation of a 32-bit
// instruction to its 64-bit-mode equivalent (for hosts that cannot run
// 32-bit code natively, see test/cpu/native/harness.c).

/** A row of core-as/cpu/opcode-table.mjs, normalized by table.ts. */
export interface OpcodeRow {
  op: number;
  mn: string;
  mn32?: string;
  ops: string;
  exec?: string;
  lock?: boolean;
  flags: { w: string; u: string; r: string; uNote?: string };
  user: boolean;
  cf?: string;
  reg?: number;
  mod?: 'mem' | 'reg';
  rm?: number;
  pfx?: number;
}

export const PFX_OPSIZE = 0x66;
export const PFX_ADDRSIZE = 0x67;
export const PFX_LOCK = 0xf0;
export const PFX_REPNE = 0xf2;
export const PFX_REP = 0xf3;
export const SEG_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const LEGACY_PREFIXES = new Set([PFX_OPSIZE, PFX_ADDRSIZE, PFX_LOCK, PFX_REPNE, PFX_REP, ...SEG_PREFIXES]);

export const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export type Reg32 = (typeof REG32)[number];

// Fixed-register operand names as the SDM opcode map spells them.
const FIXED_REGS: Record<string, { reg: number; size: 'b' | 'w' | 'v' | 'seg' }> = {};
['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'].forEach((n, i) => (FIXED_REGS[n] = { reg: i, size: 'b' }));
['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'].forEach((n, i) => (FIXED_REGS[n] = { reg: i, size: 'w' }));
['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'].forEach((n, i) => {
  FIXED_REGS['e' + n] = { reg: i, size: 'v' };
  FIXED_REGS['r' + n] = { reg: i, size: 'v' };
  FIXED_REGS['E' + n] = { reg: i, size: 'v' };
});
['ES', 'CS', 'SS', 'DS', 'FS', 'GS'].forEach((n, i) => (FIXED_REGS[n] = { reg: i, size: 'seg' }));

export interface Operand {
  text: string;
  // Addressing method letter (SDM Appendix A), 'reg' for a fixed register,
  // 'one' for the constant 1.
  kind: string;
  size: string;
  signExt: boolean;
  fixedReg?: number;
}

const operandCache = new Map<string, Operand[]>();

export function parseOperands(ops: string): Operand[] {
  const cached = operandCache.get(ops);
  if (cached) return cached;
  const out: Operand[] = [];
  for (const raw of ops.split(',')) {
    const text = raw.trim();
    if (text === '') continue;
    const fixed = FIXED_REGS[text];
    const inOpcode = /^r([0-7])([bwdv])$/.exec(text); // register in the opcode's low bits
    if (text === 'ST' || text === 'STi') {
      // x87 stack registers: ST(0), ST(ModRM.rm).
      out.push({ text, kind: 'st', size: 't', signExt: false });
    } else if (inOpcode) {
      out.push({ text, kind: 'reg', size: inOpcode[2], signExt: false, fixedReg: Number(inOpcode[1]) });
    } else if (fixed) {
      out.push({ text, kind: 'reg', size: fixed.size, signExt: false, fixedReg: fixed.reg });
    } else if (text === '1') {
      out.push({ text, kind: 'one', size: 'b', signExt: false });
    } else {
      const m = /^([A-Z])([a-z]*?)(s?)$/.exec(text);
      if (!m) throw new Error(`cannot parse operand '${text}' in '${ops}'`);
      out.push({ text, kind: m[1], size: m[2], signExt: m[3] === 's' });
    }
  }
  operandCache.set(ops, out);
  return out;
}

const MODRM_KINDS = new Set(['E', 'G', 'M', 'R', 'S', 'C', 'D', 'Q', 'N', 'P', 'U', 'V', 'W']);

export function rowHasModrm(row: OpcodeRow): boolean {
  return row.reg !== undefined || parseOperands(row.ops).some((o) => MODRM_KINDS.has(o.kind));
}

/** Size in bytes of a size letter for the given operand size (2 or 4). */
export function sizeBytes(size: string, osize: number): number {
  switch (size) {
    case 'b':
      return 1;
    case 'w':
      return 2;
    case 'd':
      return 4;
    case 'q':
      return 8;
    case 't':
      return 10;
    case 'v':
    case 'z':
    case 'y':
      return osize;
    case 'a':
      return osize * 2;
    case 'p':
      return osize + 2;
    default:
      return 0;
  }
}

/** Immediate/offset bytes following ModRM/SIB/disp, in encoding order. */
export function immediateSizes(row: OpcodeRow, osize: number, asize: number): number[] {
  const sizes: number[] = [];
  for (const o of parseOperands(row.ops)) {
    if (o.kind === 'I' || o.kind === 'J') {
      sizes.push(o.size === 'v' ? osize : sizeBytes(o.size, osize));
    } else if (o.kind === 'O') {
      sizes.push(asize);
    } else if (o.kind === 'A') {
      sizes.push(osize + 2);
    }
  }
  return sizes;
}

export interface Insn {
  prefixes: number[];
  op: number;
  modrm?: number;
  sib?: number;
  disp: number[];
  imm: number[];
  row: OpcodeRow;
  // For relative branches: index of the instruction the branch lands on
  // (insns.length = the end of the snippet).  Encoders recompute the rel.
  branchTarget?: number;
}

export function opsize(insn: Insn): number {
  return insn.prefixes.includes(PFX_OPSIZE) && insn.row.pfx !== PFX_OPSIZE ? 2 : 4;
}

export function addrsize(insn: Insn): number {
  return insn.prefixes.includes(PFX_ADDRSIZE) ? 2 : 4;
}

export function modrmIsMem(insn: Insn): boolean {
  return insn.modrm !== undefined && insn.modrm >> 6 !== 3;
}

function opcodeBytes(op: number): number[] {
  if (op > 0xffff) return [0x0f, (op >> 8) & 0xff, op & 0xff];
  if (op > 0xff) return [0x0f, op & 0xff];
  return [op];
}

/** 32-bit (native protected mode) encoding without branch fix-up. */
export function encodeRaw(insn: Insn): number[] {
  const out = [...insn.prefixes, ...opcodeBytes(insn.op)];
  if (insn.modrm !== undefined) out.push(insn.modrm);
  if (insn.sib !== undefined) out.push(insn.sib);
  out.push(...insn.disp, ...insn.imm);
  return out;
}

export function isRelBranch(row: OpcodeRow): boolean {
  return parseOperands(row.ops).some((o) => o.kind === 'J');
}

// ---------------------------------------------------------------- decoding

export class DecodeError extends Error {}

export function decodeOne(table: readonly OpcodeRow[], bytes: Uint8Array, start: number): { insn: Insn; length: number } {
  let p = start;
  const need = (n: number): void => {
    if (p + n > bytes.length) throw new DecodeError(`truncated instruction at ${start}`);
  };
  const prefixes: number[] = [];
  need(1);
  while (LEGACY_PREFIXES.has(bytes[p])) {
    prefixes.push(bytes[p++]);
    need(1);
  }
  let op = bytes[p++];
  if (op === 0x0f) {
    need(1);
    const b = bytes[p++];
    if (b === 0x38 || b === 0x3a) {
      need(1);
      op = 0x0f0000 | (b << 8) | bytes[p++];
    } else {
      op = 0x0f00 | b;
    }
  }
  let candidates = table.filter((r) => r.op === op);
  const withPfx = candidates.filter((r) => r.pfx !== undefined && prefixes.includes(r.pfx));
  candidates = withPfx.length > 0 ? withPfx : candidates.filter((r) => r.pfx === undefined);
  if (candidates.length === 0) throw new DecodeError(`no table row for opcode 0x${op.toString(16)}`);
  const insn: Insn = { prefixes, op, disp: [], imm: [], row: candidates[0] };
  if (candidates.some(rowHasModrm)) {
    need(1);
    const modrm = bytes[p++];
    insn.modrm = modrm;
    const mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    const byReg = candidates.filter((r) => r.reg === undefined || r.reg === reg);
    const byMod = byReg.filter((r) => (r.mod === undefined || (r.mod === 'mem') === (mod !== 3)) && (r.rm === undefined || r.rm === rm));
    // The wrong form of a mem-only/reg-only row is #UD but decodes the same.
    candidates = byMod.length > 0 ? byMod : byReg;
    if (candidates.length === 0) throw new DecodeError(`no table row for 0x${op.toString(16)} /${reg} mod=${mod}`);
    insn.row = candidates[0];
    let dispLen = 0;
    if (mod !== 3) {
      if (addrsize(insn) === 2) {
        dispLen = mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 6) ? 2 : 0;
      } else {
        if (rm === 4) {
          need(1);
          insn.sib = bytes[p++];
        }
        const base = insn.sib !== undefined ? insn.sib & 7 : rm;
        dispLen = mod === 1 ? 1 : mod === 2 || (mod === 0 && base === 5) ? 4 : 0;
      }
    }
    need(dispLen);
    insn.disp = Array.from(bytes.subarray(p, p + dispLen));
    p += dispLen;
  }
  for (const n of immediateSizes(insn.row, opsize(insn), addrsize(insn))) {
    need(n);
    insn.imm.push(...bytes.subarray(p, p + n));
    p += n;
  }
  return { insn, length: p - start };
}

/** Decodes a whole snippet and resolves relative branch targets to indexes. */
export function decodeSnippet(table: readonly OpcodeRow[], bytes: Uint8Array): Insn[] {
  const insns: Insn[] = [];
  const starts: number[] = [];
  let p = 0;
  while (p < bytes.length) {
    const { insn, length } = decodeOne(table, bytes, p);
    starts.push(p);
    insns.push(insn);
    p += length;
  }
  starts.push(p);
  insns.forEach((insn, i) => {
    if (!isRelBranch(insn.row)) return;
    const target = starts[i + 1] + readSigned(insn.imm);
    const idx = starts.indexOf(target);
    if (idx >= 0) insn.branchTarget = idx;
  });
  return insns;
}

export function readSigned(bytes: number[]): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i];
  const bits = bytes.length * 8;
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

export function readUnsigned(bytes: number[]): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i];
  return v;
}

export function littleEndian(value: number, n: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(n * 8, BigInt(Math.trunc(value)));
  for (let i = 0; i < n; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

// ------------------------------------------------------ layout, translation

export interface Layout {
  bytes: Uint8Array;
  starts: number[]; // start offset of each instruction, plus the end
}

/** Lays out instructions, fixing up relative branches to their targets. */
export function layout(insns: Insn[], encode: (insn: Insn) => number[]): Layout {
  const parts = insns.map(encode);
  const starts: number[] = [0];
  for (const part of parts) starts.push(starts[starts.length - 1] + part.length);
  insns.forEach((insn, i) => {
    if (insn.branchTarget === undefined) return;
    const n = insn.imm.length;
    const rel = starts[insn.branchTarget] - starts[i + 1];
    parts[i].splice(parts[i].length - n, n, ...littleEndian(rel, n));
  });
  return { bytes: Uint8Array.from(parts.flat()), starts };
}

const STACK_MNEMONIC = /^(push|pop|enter|leave|call|ret)/;
// Valid in 32-bit mode, invalid (or something else) in 64-bit mode.
const INVALID_IN_64 = new Set([
  0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62, 0x63, 0x9a, 0xc4, 0xc5, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
]);

/** True when the instruction forms an address from registers/displacement. */
export function usesAddressing(insn: Insn): boolean {
  if (modrmIsMem(insn)) return true;
  if (insn.row.mn.startsWith('xlat')) return true;
  if (insn.row.cf === 'loop' || insn.op === 0xe3) return true; // eCX-sized count
  return parseOperands(insn.row.ops).some((o) => o.kind === 'X' || o.kind === 'Y' || o.kind === 'O');
}

export function isStackOp(row: OpcodeRow): boolean {
  return STACK_MNEMONIC.test(row.mn);
}

/**
 * The 64-bit-mode encoding with the same effect on the low 32 bits of the
 * registers, EFLAGS and memory, or a reason why there is none.
 */
export function encode64(insn: Insn): number[] | string {
  if (INVALID_IN_64.has(insn.op)) return `opcode 0x${insn.op.toString(16)} is invalid in 64-bit mode`;
  if (isStackOp(insn.row) && opsize(insn) !== 2) return '32-bit stack operation (64-bit mode pushes 8 bytes)';
  const addressing = usesAddressing(insn);
  if (addressing && addrsize(insn) === 2) return '16-bit addressing does not exist in 64-bit mode';
  let prefixes = insn.prefixes;
  let op = insn.op;
  let modrm = insn.modrm;
  let sib = insn.sib;
  const imm = insn.imm;
  // 0x67 makes the address arithmetic 32-bit (wrapping) like protected mode.
  if (addressing) prefixes = [PFX_ADDRSIZE, ...prefixes];
  if (op >= 0x40 && op <= 0x4f) {
    // inc/dec r32 are REX prefixes in 64-bit mode: use FF /0, FF /1.
    modrm = 0xc0 | ((op >= 0x48 ? 1 : 0) << 3) | (op & 7);
    op = 0xff;
  } else if (op === 0x82) {
    op = 0x80; // 0x82 is an alias of 0x80 that 64-bit mode dropped
  }
  if (modrm !== undefined && modrm >> 6 === 0 && (modrm & 7) === 5) {
    // [disp32] would be RIP-relative: use the SIB no-base no-index form.
    modrm = (modrm & 0xf8) | 4;
    sib = 0x25;
  }
  const out = [...prefixes, ...opcodeBytes(op)];
  if (modrm !== undefined) out.push(modrm);
  if (sib !== undefined) out.push(sib);
  out.push(...insn.disp, ...imm);
  return out;
}

export interface EncodedSnippet {
  code32: Layout;
  code64?: Layout;
  why64?: string; // why there is no 64-bit form
}

export function encodeSnippet(insns: Insn[]): EncodedSnippet {
  const code32 = layout(insns, encodeRaw);
  for (const insn of insns) {
    const r = encode64(insn);
    if (typeof r === 'string') return { code32, why64: `${insn.row.mn}: ${r}` };
  }
  // Branches whose target is not an instruction boundary cannot be re-laid.
  for (let i = 0; i < insns.length; i++) {
    if (isRelBranch(insns[i].row) && insns[i].branchTarget === undefined) {
      return { code32, why64: 'branch into the middle of an instruction' };
    }
  }
  return { code32, code64: layout(insns, (insn) => encode64(insn) as number[]) };
}

/** Maps an offset in one layout to the other (instruction starts/end). */
export function mapOffset(from: Layout, to: Layout, off: number): number {
  const idx = from.starts.indexOf(off);
  if (idx >= 0) return to.starts[idx];
  // Inside an instruction (should not happen): keep the distance from its start.
  for (let i = from.starts.length - 2; i >= 0; i--) {
    if (off > from.starts[i]) return to.starts[i] + (off - from.starts[i]);
  }
  return off;
}

// ------------------------------------------------------ effective addresses

/** 32-bit effective address of a ModRM memory operand, or undefined. */
export function effectiveAddress(insn: Insn, regs: readonly number[]): number | undefined {
  if (!modrmIsMem(insn) || addrsize(insn) !== 4) return undefined;
  const modrm = insn.modrm as number;
  const mod = modrm >> 6;
  const rm = modrm & 7;
  let ea = insn.disp.length > 0 ? readSigned(insn.disp) : 0;
  if (rm === 4) {
    const sib = insn.sib as number;
    const base = sib & 7;
    const index = (sib >> 3) & 7;
    if (!(base === 5 && mod === 0)) ea += regs[base];
    if (index !== 4) ea += regs[index] * (1 << (sib >> 6));
  } else if (!(rm === 5 && mod === 0)) {
    ea += regs[rm];
  }
  return ea >>> 0;
}

/** Registers an instruction's ModRM memory operand reads for its address. */
export function addressRegs(insn: Insn): number[] {
  if (!modrmIsMem(insn)) return [];
  const modrm = insn.modrm as number;
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (addrsize(insn) === 2) {
    const table16 = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]];
    return mod === 0 && rm === 6 ? [] : table16[rm];
  }
  if (rm !== 4) return mod === 0 && rm === 5 ? [] : [rm];
  const sib = insn.sib as number;
  const out: number[] = [];
  if (!((sib & 7) === 5 && mod === 0)) out.push(sib & 7);
  if (((sib >> 3) & 7) !== 4) out.push((sib >> 3) & 7);
  return out;
}

export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
