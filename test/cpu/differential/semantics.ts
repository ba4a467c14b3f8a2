// What an instruction touches beyond its explicit operands, and which parts
// of the final state the SDM leaves undefined.  Used by the generator (keep
// address registers intact, never read undefined flags) and the comparator
// (mask undefined flags, registers and bytes).

import {
  CASE_FLAGS,
  DATA_ADDR,
  DATA_SIZE,
  FLAG_AF,
  FLAG_CF,
  FLAG_OF,
  flagBits,
  initialData,
  type CpuOutcome,
  type TestCase,
} from './cases';
import { addressRegs, effectiveAddress, modrmIsMem, opsize, parseOperands, PFX_REP, PFX_REPNE, readUnsigned, type Insn } from './x86';

export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;
const ALL_REGS = [EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI];

export function isString(insn: Insn): boolean {
  return parseOperands(insn.row.ops).some((o) => o.kind === 'X' || o.kind === 'Y');
}

export function hasRep(insn: Insn): boolean {
  return insn.prefixes.includes(PFX_REP) || insn.prefixes.includes(PFX_REPNE);
}

// Mnemonics that only read their operands.
const NO_WRITE = /^(cmp|test|bt$|push|nop|pause|ud2|j|loop|scas|cmps|bound|into|int|prefetch)/;

/** Width class of a ModRM reg/rm field for an operand letter. */
function gprOf(field: number, size: string): number {
  // Byte registers 4-7 are AH CH DH BH: the same GPRs as 0-3.
  return size === 'b' ? field & 3 : field;
}

/** Registers the instruction may modify (explicit and implicit). */
export function writtenRegs(insn: Insn): number[] {
  const mn = insn.row.mn;
  const out = new Set<number>();
  const ops = parseOperands(insn.row.ops);
  const modrm = insn.modrm ?? 0;
  const explicit = (idx: number): void => {
    const o = ops[idx];
    if (!o) return;
    if (o.kind === 'G') out.add(gprOf((modrm >> 3) & 7, o.size));
    else if (o.kind === 'E' && !modrmIsMem(insn)) out.add(gprOf(modrm & 7, o.size));
    else if (o.kind === 'reg' && o.size !== 'seg') out.add(o.size === 'b' ? (o.fixedReg as number) & 3 : (o.fixedReg as number));
  };
  if (!NO_WRITE.test(mn)) explicit(0);
  if (/^(xchg|xadd)/.test(mn)) explicit(1);
  if (/^pop/.test(mn) && ops.length > 0) explicit(0);
  const add = (...regs: number[]): void => regs.forEach((r) => out.add(r));
  if (/^(mul|imul|div|idiv)$/.test(mn) && ops.length === 1) add(EAX, EDX);
  if (/^(cwde|cbw|lahf|aaa|aas|aam|aad|daa|das|xlat|salc)/.test(mn)) add(EAX);
  if (/^(cdq|cwd)/.test(mn)) add(EDX);
  if (/^cmpxchg8b/.test(mn)) add(EAX, EDX);
  else if (/^cmpxchg/.test(mn)) add(EAX);
  if (/^lods/.test(mn)) add(EAX, ESI);
  if (/^(movs|cmps|outs)/.test(mn) && isString(insn)) add(ESI, EDI);
  if (/^(stos|scas|ins)/.test(mn)) add(EDI);
  if (isString(insn) && hasRep(insn)) add(ECX);
  if (insn.row.cf === 'loop') add(ECX);
  if (/^(push|pop|call|ret|enter|leave|into|int)/.test(mn)) add(ESP);
  if (/^(enter|leave)/.test(mn)) add(EBP);
  if (/^popa/.test(mn)) add(...ALL_REGS);
  return [...out];
}

/** Registers the instruction may read (explicit, implicit and addresses). */
export function readRegs(insn: Insn): number[] {
  const mn = insn.row.mn;
  const out = new Set<number>(addressUseRegs(insn));
  const modrm = insn.modrm ?? 0;
  for (const o of parseOperands(insn.row.ops)) {
    if (o.kind === 'G') out.add(gprOf((modrm >> 3) & 7, o.size));
    else if (o.kind === 'E' && !modrmIsMem(insn)) out.add(gprOf(modrm & 7, o.size));
    else if (o.kind === 'reg' && o.size !== 'seg') out.add(o.size === 'b' ? (o.fixedReg as number) & 3 : (o.fixedReg as number));
  }
  const add = (...regs: number[]): void => regs.forEach((r) => out.add(r));
  if (/^(mul|imul|div|idiv)$/.test(mn) && insn.row.ops.split(',').length === 1) add(EAX, EDX);
  if (/^(cbw|cwde|cwd|cdq|sahf|aaa|aas|aam|aad|daa|das|xlat|stos|scas|cmpxchg)/.test(mn)) add(EAX);
  if (/^cmpxchg8b/.test(mn)) add(EAX, EDX, ECX, EBX);
  if (insn.row.cf === 'loop' || insn.op === 0xe3 || /CL/.test(insn.row.ops)) add(ECX);
  if (/^pusha/.test(mn)) add(EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI);
  return [...out];
}

/** Registers whose values form addresses (must stay inside DATA). */
export function addressUseRegs(insn: Insn): number[] {
  const mn = insn.row.mn;
  const out = new Set<number>(addressRegs(insn));
  if (isString(insn)) {
    const ops = parseOperands(insn.row.ops);
    if (ops.some((o) => o.kind === 'X')) out.add(ESI);
    if (ops.some((o) => o.kind === 'Y')) out.add(EDI);
    if (hasRep(insn)) out.add(ECX);
  }
  if (/^xlat/.test(mn)) out.add(EBX);
  if (/^(push|pop|call|ret|enter|leave|pusha|popa)/.test(mn)) out.add(ESP);
  if (/^(enter|leave)/.test(mn)) out.add(EBP);
  // bt* with a register bit offset and a memory operand address beyond it.
  if (/^bt[src]?$/.test(mn) && modrmIsMem(insn) && parseOperands(insn.row.ops)[1]?.kind === 'G') {
    out.add(((insn.modrm as number) >> 3) & 7);
  }
  return [...out];
}

function usesMemoryImplicitly(insn: Insn): boolean {
  return isString(insn) || isStackOpMn(insn.row.mn) || /^xlat/.test(insn.row.mn);
}

function isStackOpMn(mn: string): boolean {
  return /^(push|pop|call|ret|enter|leave)/.test(mn);
}

/** True when the instruction may write memory. */
export function writesMemory(insn: Insn): boolean {
  const mn = insn.row.mn;
  if (/^(push|call|enter|pusha)/.test(mn)) return true;
  if (/^(stos|movs)/.test(mn) && isString(insn)) return true;
  if (/^cmpxchg8b/.test(mn)) return true;
  if (!modrmIsMem(insn) && !parseOperands(insn.row.ops).some((o) => o.kind === 'O')) return false;
  const first = parseOperands(insn.row.ops)[0];
  if (!first || (first.kind !== 'E' && first.kind !== 'O' && first.kind !== 'M')) return /^(xchg|xadd)/.test(mn);
  return !NO_WRITE.test(mn) && !/^(bt$|lea|bound)/.test(mn);
}

// ------------------------------------------------------------ flag masks

/** What the comparator must not compare after a case ran. */
export interface Masks {
  flags: number; // undefined EFLAGS bits
  regs: number[]; // per GPR: bits whose value is undefined
  mem: { offset: number; len: number }[]; // undefined DATA bytes
  // Set when the outcome depends on undefined state in a way masks cannot
  // express (e.g. a Jcc on an undefined flag): the case cannot be compared.
  unverifiable?: string;
}

/** Known initial values (instruction 0 sees the case's initial state). */
interface Known {
  regs: (number | undefined)[];
  data: (() => Uint8Array) | undefined;
}

// Shift counts are masked to 5 bits for 8/16/32-bit operands.
const COUNT_MASK = 0x1f;

/** The shift/rotate count operand value, when known. */
function shiftCount(insn: Insn, known: Known): number | undefined {
  const ops = parseOperands(insn.row.ops);
  const last = ops[ops.length - 1];
  if (last.kind === 'one') return 1;
  if (last.kind === 'I') return insn.imm[insn.imm.length - 1] & COUNT_MASK;
  const ecx = known.regs[ECX];
  return ecx === undefined ? undefined : ecx & COUNT_MASK;
}

function operandBits(insn: Insn): number {
  const first = parseOperands(insn.row.ops)[0];
  return first?.size === 'b' ? 8 : opsize(insn) * 8;
}

/** Reads the value of the ModRM r/m operand from the known initial state. */
function rmValue(insn: Insn, known: Known, bytes: number): number | undefined {
  const modrm = insn.modrm as number;
  if (!modrmIsMem(insn)) {
    const r = bytes === 1 ? modrm & 7 & 3 : modrm & 7;
    const v = known.regs[r];
    if (v === undefined) return undefined;
    if (bytes === 1) return (modrm & 4 ? v >>> 8 : v) & 0xff;
    return bytes === 2 ? v & 0xffff : v;
  }
  const ea = effectiveAddressKnown(insn, known);
  if (ea === undefined || !known.data) return undefined;
  const off = ea - DATA_ADDR;
  if (off < 0 || off + bytes > DATA_SIZE) return undefined;
  return readUnsigned(Array.from(known.data().subarray(off, off + bytes)));
}

function effectiveAddressKnown(insn: Insn, known: Known): number | undefined {
  const regs = addressRegs(insn);
  if (regs.some((r) => known.regs[r] === undefined)) return undefined;
  return effectiveAddress(
    insn,
    known.regs.map((v) => v ?? 0),
  );
}

interface Effect {
  defined: number; // flags written with defined values
  undef: number; // flags left undefined
  regMask: { reg: number; bits: number }[];
  memMask: { offset: number; len: number }[];
}

const FULL_MASK = 0xffffffff;

function destMask(insn: Insn, known: Known, eff: Effect): void {
  const bytes = opsize(insn);
  const bits = bytes === 2 ? 0xffff : FULL_MASK;
  if (!modrmIsMem(insn)) {
    eff.regMask.push({ reg: (insn.modrm as number) & 7, bits });
    return;
  }
  const ea = effectiveAddressKnown(insn, known);
  if (ea === undefined) eff.memMask.push({ offset: 0, len: DATA_SIZE });
  else eff.memMask.push({ offset: ea - DATA_ADDR, len: bytes });
}

/** Flag/destination effects, precise where the operand values are known. */
export function effectOf(insn: Insn, known: Known): Effect {
  const mn = insn.row.mn;
  const w = flagBits(insn.row.flags.w);
  const u = flagBits(insn.row.flags.u);
  const eff: Effect = { defined: w & ~u, undef: u, regMask: [], memMask: [] };
  if (/^(rol|ror|rcl|rcr|shl|sal|shr|sar)$/.test(mn)) {
    const count = shiftCount(insn, known);
    const size = operandBits(insn);
    if (count === undefined) {
      // Unknown count: anything the instruction may write is suspect.
      return { ...eff, defined: 0, undef: w | u | FLAG_OF | FLAG_CF };
    }
    if (count === 0) return { ...eff, defined: 0, undef: 0 };
    let undef = u | (count === 1 ? 0 : FLAG_OF);
    if (/^(shl|sal|shr)$/.test(mn) && count >= size) undef |= FLAG_CF;
    if (/^(shl|sal|shr|sar)$/.test(mn)) undef |= FLAG_AF;
    return { ...eff, defined: (w | FLAG_OF | FLAG_CF) & ~undef, undef };
  }
  if (/^(shld|shrd)$/.test(mn)) {
    const count = shiftCount(insn, known);
    const size = operandBits(insn);
    if (count === 0) return { ...eff, defined: 0, undef: 0 };
    if (count === undefined || count > size) {
      destMask(insn, known, eff);
      return { ...eff, defined: 0, undef: w | u };
    }
    const undef = u | FLAG_AF | (count === 1 ? 0 : FLAG_OF);
    return { ...eff, defined: w & ~undef, undef };
  }
  if (isString(insn) && hasRep(insn)) {
    // REP with ECX = 0 does nothing: then earlier undefined flags stay so.
    const ecx = known.regs[ECX];
    if (ecx === undefined || ecx === 0) return { ...eff, defined: 0, undef: 0 };
  }
  if (/^(bsf|bsr)$/.test(mn)) {
    const src = rmValue(insn, known, opsize(insn));
    if (src === undefined || src === 0) {
      const bits = opsize(insn) === 2 ? 0xffff : FULL_MASK;
      eff.regMask.push({ reg: ((insn.modrm as number) >> 3) & 7, bits });
    }
    return eff;
  }
  if (/^bswap/.test(mn) && opsize(insn) === 2) {
    // BSWAP r16 is undefined (real CPUs zero the low word).
    eff.regMask.push({ reg: insn.op & 7, bits: 0xffff });
  }
  return eff;
}

function flagReads(insn: Insn): number {
  let r = flagBits(insn.row.flags.r);
  const mn = insn.row.mn;
  // Guard against tables that leave these reads implicit.
  if (/^(adc|sbb|rcl|rcr|cmc)$/.test(mn)) r |= FLAG_CF;
  if (/^(pushf|lahf)/.test(mn)) r |= /^lahf/.test(mn) ? flagBits('szapc') : CASE_FLAGS;
  if (isString(insn)) r |= flagBits('d');
  return r;
}

/**
 * Union of the masks over the paths through the snippet.  `stopAt` is the
 * instruction a fault stopped at (it and later ones did not execute).
 */
export function computeMasks(tc: TestCase, stopAt = tc.insns.length): Masks {
  const n = Math.min(stopAt, tc.insns.length);
  // Dataflow over forward branches: state at instruction k merges the
  // fall-through from k-1 and every branch that lands on k.
  const undefIn: number[] = new Array(n + 1).fill(-1);
  undefIn[0] = 0;
  const masks: Masks = { flags: 0, regs: new Array(8).fill(0), mem: [] };
  const written = new Set<number>();
  let memWritten = false;
  let init: Uint8Array | undefined; // computed only when a value is needed
  const data = (): Uint8Array => (init ??= initialData(tc));
  for (let k = 0; k < n; k++) {
    const insn = tc.insns[k];
    const before = undefIn[k] < 0 ? 0 : undefIn[k];
    const known: Known = {
      regs: tc.regs.map((v, i) => (written.has(i) ? undefined : v)),
      data: memWritten ? undefined : data,
    };
    const reads = flagReads(insn);
    if (reads & before) {
      if (insn.row.cf !== undefined) {
        masks.unverifiable = `${insn.row.mn} at #${k} branches on undefined flags`;
      } else {
        masks.unverifiable = `${insn.row.mn} at #${k} reads undefined flags`;
      }
    }
    // A register or memory byte left undefined by an earlier instruction
    // must not feed a later one: its result would be undefined too.
    if (readRegs(insn).some((r) => masks.regs[r] !== 0)) {
      masks.unverifiable = `${insn.row.mn} at #${k} reads a register left undefined`;
    }
    if (masks.mem.length > 0 && (modrmIsMem(insn) || usesMemoryImplicitly(insn))) {
      masks.unverifiable = `${insn.row.mn} at #${k} may read memory left undefined`;
    }
    const eff = effectOf(insn, known);
    for (const m of eff.regMask) masks.regs[m.reg] = (masks.regs[m.reg] | m.bits) >>> 0;
    masks.mem.push(...eff.memMask);
    const after = (before & ~eff.defined) | eff.undef;
    const merge = (idx: number): void => {
      undefIn[idx] = undefIn[idx] < 0 ? after : undefIn[idx] | after;
    };
    const unconditional = insn.row.cf === 'jmp';
    if (!unconditional) merge(k + 1);
    // Paths that jump past the stop point never reach it.
    if (insn.branchTarget !== undefined && insn.branchTarget <= n) merge(insn.branchTarget);
    for (const r of writtenRegs(insn)) written.add(r);
    if (writesMemory(insn)) memWritten = true;
  }
  masks.flags = undefIn[n] < 0 ? 0 : undefIn[n];
  return masks;
}

/** The instruction index an outcome stopped at (faults), else the count. */
export function stopIndex(tc: TestCase, outcome: CpuOutcome): number {
  if (outcome.kind === 'ok') return tc.insns.length;
  const idx = tc.code.code32.starts.indexOf(outcome.eipOffset);
  return idx < 0 ? tc.insns.length : idx;
}

export { flagReads };
