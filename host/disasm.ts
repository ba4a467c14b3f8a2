// An x86 disassembler (Intel syntax) generated from the one opcode table:
// the same rows that drive the interpreter's decoder drive this, so a
// failure message shows exactly what the CPU decoded.

import { OPCODES } from './generated/opcode-table.js';
import type { OpcodeRow } from './opcode-row.js';

export interface Disassembly {
  /** Intel-syntax text, e.g. "add dword [ebx+0x10], 0x1" or "(bad)". */
  text: string;
  /** Instruction length in bytes. */
  length: number;
  /** The table row, when the bytes decode to a known instruction. */
  row?: OpcodeRow;
}

const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const MEM16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
const MAX_LENGTH = 15;

/** Rows keyed by "op" or "op/reg". */
const index = new Map<string, OpcodeRow[]>();
for (const row of OPCODES) {
  const key = row.reg === undefined ? `${row.op}` : `${row.op}/${row.reg}`;
  const list = index.get(key) ?? [];
  list.push(row);
  index.set(key, list);
}
const groupOps = new Set(OPCODES.filter((r) => r.reg !== undefined).map((r) => r.op));

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function regName(n: number, size: number): string {
  return size === 32 ? REG32[n] : size === 16 ? REG16[n] : REG8[n];
}

/** Operand size in bits named by a size letter, given the current operand size. */
function sizeOf(letter: string, os: number): number {
  switch (letter) {
    case 'b':
      return 8;
    case 'w':
      return 16;
    case 'd':
      return 32;
    case 'q':
      return 64;
    case 't':
      return 80;
    case 'p':
      return os + 16;
    case 'a':
      return os * 2;
    default:
      return os; // v, z
  }
}

function ptrName(size: number): string {
  switch (size) {
    case 8:
      return 'byte ';
    case 16:
      return 'word ';
    case 32:
      return 'dword ';
    case 48:
      return 'fword ';
    case 64:
      return 'qword ';
    case 80:
      return 'tword ';
    default:
      return '';
  }
}

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
  ) {
    this.pos = start;
  }
  get ok(): boolean {
    return this.pos - this.start <= MAX_LENGTH && this.pos <= this.bytes.length;
  }
  u8(): number {
    const v = this.pos < this.bytes.length ? this.bytes[this.pos] : 0;
    this.pos++;
    return v;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  s8(): number {
    return (this.u8() << 24) >> 24;
  }
}

/**
 * Disassemble one instruction at `offset` of `bytes`. `bits` is the code
 * segment's default size; `address` (optional) resolves relative branches.
 */
export function disassemble(bytes: Uint8Array, offset = 0, opts: { bits: 16 | 32; address?: number } = { bits: 32 }): Disassembly {
  const r = new Reader(bytes, offset);
  let os = opts.bits;
  let as = opts.bits;
  let seg = -1;
  let rep = 0;
  let lock = false;
  let op: number;
  for (;;) {
    const b = r.u8();
    if (!r.ok) return { text: '(bad)', length: Math.max(1, Math.min(r.pos - offset, bytes.length - offset)) };
    if (b in SEG_PREFIX) seg = SEG_PREFIX[b];
    else if (b === 0x66) os = os === 32 ? 16 : 32;
    else if (b === 0x67) as = as === 32 ? 16 : 32;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf2 || b === 0xf3) rep = b;
    else if (b === 0x0f) {
      const b2 = r.u8();
      op = b2 === 0x38 || b2 === 0x3a ? 0x0f0000 | (b2 << 8) | r.u8() : 0x0f00 | b2;
      break;
    } else {
      op = b;
      break;
    }
  }
  let reg = 0;
  const needsModrm = groupOps.has(op) || (index.get(`${op}`) ?? []).some((row) => /(^|,)[EGMRSCD]/.test(row.ops));
  let memText = '';
  let isReg = false;
  let rm = 0;
  if (needsModrm) {
    const modrm = r.u8();
    reg = (modrm >> 3) & 7;
    rm = modrm & 7;
    const mod = modrm >> 6;
    isReg = mod === 3;
    if (!isReg) memText = as === 32 ? mem32(r, mod, rm) : mem16(r, mod, rm);
  }
  const listed = groupOps.has(op) ? index.get(`${op}/${reg}`) : index.get(`${op}`);
  // Memory and register forms may be different rows, register forms told apart by ModRM.rm (x87).
  const rows = listed?.filter(
    (row) => !(needsModrm && row.mod !== undefined && (row.mod === 'reg') !== isReg) && (row.rm === undefined || row.rm === rm),
  );
  if (!rows || rows.length === 0) return bad(r, offset);
  const prefixed = rows.find((row) => row.pfx !== undefined && (row.pfx === rep || (row.pfx === 0x66 && os !== opts.bits)));
  const row = prefixed ?? rows.find((row) => row.pfx === undefined);
  if (!row) return bad(r, offset);
  if ((row.mod === 'mem' && isReg) || (row.mod === 'reg' && !isReg && needsModrm)) return bad(r, offset);

  const segText = seg >= 0 ? `${SEGS[seg]}:` : '';
  const operands: string[] = [];
  const parts = row.ops ? row.ops.split(',') : [];
  const hasImmWord = parts.includes('Iw') && parts.includes('Ib');
  // String instructions name their operands in the mnemonic (movsb, stosd, ...).
  const stringOp = parts.some((p) => p[0] === 'X' || p[0] === 'Y');
  for (const p of stringOp ? [] : parts) {
    const kind = p[0];
    const letter = p.slice(1);
    if (p === 'ST' || p === 'STi') {
      operands.push(p === 'ST' ? 'st0' : `st${rm}`);
    } else if (/^[A-Z]{2}$/.test(p) || p === '1') {
      operands.push(p.toLowerCase());
    } else if (/^r\d[bwdvz]$/.test(p)) {
      operands.push(regName(Number(p[1]), sizeOf(p[2], os)));
    } else if (kind === 'E' || kind === 'M') {
      const size = sizeOf(letter || 'v', os);
      if (isReg) operands.push(regName(rm, size > 32 ? 32 : size));
      else operands.push(`${letter === '' || letter === 's' ? '' : ptrName(size)}[${segText}${memText}]`);
    } else if (kind === 'G') {
      operands.push(regName(reg, sizeOf(letter, os)));
    } else if (kind === 'R') {
      operands.push(regName(rm, 32));
    } else if (kind === 'S') {
      operands.push(SEGS[reg]);
    } else if (kind === 'C') {
      operands.push(`cr${reg}`);
    } else if (kind === 'D' && letter === 'd') {
      operands.push(`dr${reg}`);
    } else if (p === 'Ib' && hasImmWord) {
      operands.push(hex(r.u8()));
    } else if (p === 'Ib') {
      operands.push(hex(r.u8()));
    } else if (p === 'Ibs') {
      operands.push(hex(r.s8() & (os === 32 ? 0xffffffff : 0xffff)));
    } else if (p === 'Iw') {
      operands.push(hex(r.u16()));
    } else if (p === 'Iz' || p === 'Iv') {
      operands.push(hex(os === 32 ? r.u32() : r.u16()));
    } else if (p === 'Jb' || p === 'Jz') {
      const rel = p === 'Jb' ? r.s8() : os === 32 ? r.u32() | 0 : (r.u16() << 16) >> 16;
      const base = (opts.address ?? 0) + (r.pos - offset);
      const target = (base + rel) & (os === 32 ? 0xffffffff : 0xffff);
      operands.push(hex(target));
    } else if (p === 'Ap') {
      const off = os === 32 ? r.u32() : r.u16();
      operands.push(`${hex(r.u16())}:${hex(off)}`);
    } else if (kind === 'O') {
      const size = sizeOf(letter, os);
      operands.push(`${ptrName(size)}[${segText}${hex(as === 32 ? r.u32() : r.u16())}]`);
    } else if (p === 'eAX') {
      operands.push(os === 32 ? 'eax' : 'ax');
    } else {
      operands.push(p.toLowerCase());
    }
  }
  if (!r.ok) return bad(r, offset);
  let mn = os === 32 && row.mn32 ? row.mn32 : os === 16 && row.mn16 ? row.mn16 : row.mn;
  if (rep && row.pfx === undefined) mn = `${rep === 0xf3 ? (row.f?.includes('z') ? 'repe' : 'rep') : 'repne'} ${mn}`;
  if (lock) mn = `lock ${mn}`;
  const text = operands.length ? `${mn} ${operands.join(', ')}` : mn;
  return { text, length: r.pos - offset, row };
}

function bad(r: Reader, offset: number): Disassembly {
  return { text: '(bad)', length: Math.max(1, Math.min(r.pos - offset, MAX_LENGTH)) };
}

function disp(v: number): string {
  if (v === 0) return '';
  return v < 0 ? `-${hex(-v)}` : `+${hex(v)}`;
}

function mem32(r: Reader, mod: number, rm: number): string {
  let text: string;
  if (rm === 4) {
    const sib = r.u8();
    const scale = 1 << (sib >> 6);
    const index = (sib >> 3) & 7;
    const base = sib & 7;
    const parts: string[] = [];
    if (base === 5 && mod === 0) parts.push(hex(r.u32()));
    else parts.push(REG32[base]);
    if (index !== 4) parts.push(scale > 1 ? `${REG32[index]}*${scale}` : REG32[index]);
    text = parts.join('+');
  } else if (rm === 5 && mod === 0) {
    return hex(r.u32());
  } else {
    text = REG32[rm];
  }
  if (mod === 1) text += disp(r.s8());
  else if (mod === 2) text += disp(r.u32() | 0);
  return text;
}

function mem16(r: Reader, mod: number, rm: number): string {
  if (mod === 0 && rm === 6) return hex(r.u16());
  let text = MEM16[rm];
  if (mod === 1) text += disp(r.s8());
  else if (mod === 2) text += disp((r.u16() << 16) >> 16);
  return text;
}

/** Bytes as "01 d8" for failure messages. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
