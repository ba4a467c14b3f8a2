// Compares two outcomes of a case under its undefined-state masks and
// formats readable mismatch reports.

import {
  CASE_FLAGS,
  CODE_ADDR,
  DATA_ADDR,
  VECTOR_NAMES,
  VEC_GP,
  VEC_PF,
  flagNames,
  initialData,
  type CpuOutcome,
  type TestCase,
} from './cases';
import { compareFpuImages, describeFpuImage } from './fpu-image';
import type { Masks } from './semantics';
import { hex, REG32, type Insn } from './x86';

// #PF error code bits both sides agree on: present, write, user.
const PF_ERROR_BITS = 0x7;

export interface FieldDiff {
  field: string;
  expected: string;
  actual: string;
}

const h32 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function compareOutcomes(
  exp: CpuOutcome,
  act: CpuOutcome,
  masks: Masks,
  fpuIgnore?: readonly [number, number][],
  fpuRoundBits?: number,
): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const describe = (o: CpuOutcome): string => (o.kind === 'ok' ? 'completed' : `${VECTOR_NAMES[o.vector ?? -1] ?? `vector ${o.vector}`}`);
  if (exp.kind !== act.kind || exp.vector !== act.vector) {
    diffs.push({ field: 'outcome', expected: describe(exp), actual: describe(act) });
  }
  if (exp.eipOffset !== act.eipOffset) {
    diffs.push({ field: 'eip', expected: h32(CODE_ADDR + exp.eipOffset), actual: h32(CODE_ADDR + act.eipOffset) });
  }
  if (exp.kind === 'fault' && exp.vector === act.vector) {
    if (exp.vector === VEC_PF && exp.cr2 !== act.cr2) {
      diffs.push({ field: 'cr2', expected: h32(exp.cr2 ?? 0), actual: h32(act.cr2 ?? 0) });
    }
    if (exp.vector === VEC_PF && ((exp.errorCode ?? 0) & PF_ERROR_BITS) !== ((act.errorCode ?? 0) & PF_ERROR_BITS)) {
      diffs.push({ field: 'error code', expected: h32(exp.errorCode ?? 0), actual: h32(act.errorCode ?? 0) });
    }
    if (exp.vector === VEC_GP && (exp.errorCode ?? 0) !== (act.errorCode ?? 0)) {
      diffs.push({ field: 'error code', expected: h32(exp.errorCode ?? 0), actual: h32(act.errorCode ?? 0) });
    }
  }
  for (let i = 0; i < 8; i++) {
    const keep = ~masks.regs[i] >>> 0;
    if (((exp.regs[i] ^ act.regs[i]) & keep) >>> 0 !== 0) {
      diffs.push({ field: REG32[i], expected: h32(exp.regs[i]), actual: h32(act.regs[i]) });
    }
  }
  const flagKeep = CASE_FLAGS & ~masks.flags;
  const flagDiff = (exp.eflags ^ act.eflags) & flagKeep;
  if (flagDiff) {
    diffs.push({
      field: 'eflags',
      expected: `${h32(exp.eflags & CASE_FLAGS)} [${flagNames(exp.eflags & flagKeep)}]`,
      actual: `${h32(act.eflags & CASE_FLAGS)} [${flagNames(act.eflags & flagKeep)}] differ: ${flagNames(flagDiff)}`,
    });
  }
  const ignored = new Uint8Array(exp.data.length);
  for (const m of masks.mem) ignored.fill(1, Math.max(0, m.offset), Math.min(exp.data.length, m.offset + m.len));
  const bad: number[] = [];
  for (let i = 0; i < exp.data.length; i++) if (!ignored[i] && exp.data[i] !== act.data[i]) bad.push(i);
  if (bad.length > 0) {
    const shown = bad.slice(0, 8);
    diffs.push({
      field: `memory (${bad.length} bytes)`,
      expected: shown.map((i) => `[${h32(DATA_ADDR + i)}]=${hex([exp.data[i]])}`).join(' '),
      actual: shown.map((i) => `[${h32(DATA_ADDR + i)}]=${hex([act.data[i]])}`).join(' '),
    });
  }
  if (exp.fpu && act.fpu) diffs.push(...compareFpuImages(exp.fpu, act.fpu, fpuIgnore, fpuRoundBits));
  else if (exp.fpu || act.fpu)
    diffs.push({ field: 'fpu image', expected: exp.fpu ? 'present' : 'none', actual: act.fpu ? 'present' : 'none' });
  return diffs;
}

export type Disassembler = (bytes: Uint8Array, offset: number) => { text: string; length: number };

/** Fallback when host/disasm.ts is not there yet: mnemonic + operand spec. */
export function tableDisassembly(insn: Insn): string {
  return `${insn.row.mn} ${insn.row.ops}`.trim();
}

export function disassembleCase(tc: TestCase, disasm?: Disassembler): string[] {
  const { bytes, starts } = tc.code.code32;
  return tc.insns.map((insn, i) => {
    const slice = bytes.subarray(starts[i], starts[i + 1]);
    let text = tableDisassembly(insn);
    if (disasm) {
      try {
        text = disasm(bytes, starts[i]).text;
      } catch (e) {
        text += ` (disassembler failed: ${(e as Error).message})`;
      }
    }
    return `  ${h32(CODE_ADDR + starts[i])}  ${hex(slice).padEnd(30)} ${text}`;
  });
}

export function formatReport(opts: {
  seed?: number;
  index: number;
  tc: TestCase;
  expected: CpuOutcome;
  actual: CpuOutcome;
  masks: Masks;
  diffs: FieldDiff[];
  expectedName: string;
  actualName: string;
  disasm?: Disassembler;
}): string {
  const { tc, masks } = opts;
  const lines: string[] = [];
  const seedText = opts.seed === undefined ? '' : `seed 0x${opts.seed.toString(16)} `;
  lines.push(`--- ${seedText}case #${opts.index}${tc.label ? ` (${tc.label})` : ''}`);
  lines.push(`code: ${hex(tc.code.code32.bytes)}`);
  lines.push(...disassembleCase(tc, opts.disasm));
  lines.push('initial: ' + REG32.map((r, i) => `${r}=${h32(tc.regs[i])}`).join(' ') + ` flags=[${flagNames(tc.eflags & CASE_FLAGS)}]`);
  lines.push(`data seed 0x${tc.dataSeed.toString(16)}` + (tc.patches.length ? `, patches: ` : ''));
  const init = initialData(tc);
  for (const p of tc.patches) lines.push(`  [${h32(DATA_ADDR + p.offset)}] = ${hex(init.subarray(p.offset, p.offset + p.bytes.length))}`);
  if (tc.fpu) lines.push(...describeFpuImage(tc.fpu));
  lines.push(
    `masked: flags [${flagNames(masks.flags)}]` +
      masks.regs.map((m, i) => (m ? ` ${REG32[i]}&${h32(m)}` : '')).join('') +
      masks.mem.map((m) => ` mem[${h32(DATA_ADDR + m.offset)}+${m.len}]`).join(''),
  );
  lines.push(`${'field'.padEnd(20)} ${opts.expectedName.padEnd(36)} ${opts.actualName}`);
  for (const d of opts.diffs) lines.push(`* ${d.field.padEnd(18)} ${d.expected.padEnd(36)} ${d.actual}`);
  if (opts.expected.note) lines.push(`${opts.expectedName}: ${opts.expected.note}`);
  if (opts.actual.note) lines.push(`${opts.actualName}: ${opts.actual.note}`);
  return lines.join('\n');
}
