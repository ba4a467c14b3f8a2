// Shared driver of the differential tests: native harness = expected,
// tabvm (or, until the core exists, the native harness again) = actual.

import { buildHarness, NativeTarget } from '../native/native';
import { VECTOR_NAMES, type CpuOutcome, type Target, type TestCase } from './cases';
import { compareOutcomes, formatReport, type Disassembler } from './compare';
import { computeMasks, stopIndex } from './semantics';
import { loadOpcodeTable, type LoadedTable } from './table';
import { createTabvmTarget, loadDisassembler } from './tabvm';
import type { OpcodeRow } from './x86';

const PROGRESS_EVERY = 10_000;
const CHUNK = 10_000;

export interface DiffSetup {
  native?: NativeTarget;
  skipReason?: string; // set when the suite cannot run at all
  actual?: Target;
  selfCheck: boolean; // actual is the native harness itself
  disasm?: Disassembler;
  table: LoadedTable;
  notes: string[];
}

/**
 * TABVM_DIFF_TARGET=tabvm requires the core; =native forces the self-check;
 * unset uses tabvm when host/core.ts exists, else the self-check.
 */
export async function setupDiff(): Promise<DiffSetup> {
  const table = await loadOpcodeTable();
  const notes: string[] = [];
  if (table.source === 'fixture') notes.push('core-as/cpu/opcode-table.mjs not found: using the test fixture table');
  const built = buildHarness();
  if (typeof built === 'string') {
    return {
      table,
      selfCheck: false,
      notes,
      skipReason: `cannot build the native harness (install gcc-multilib for gcc -m32):\n${built}`,
    };
  }
  const native = new NativeTarget(built);
  if (built.bits === 64) {
    notes.push('this host cannot run 32-bit code: using the 64-bit harness with translated snippets (32-bit-only rows not compared)');
  }
  const want = process.env.TABVM_DIFF_TARGET;
  let actual: Target | undefined;
  let selfCheck = false;
  if (want !== 'native') {
    const tabvm = await createTabvmTarget();
    if (typeof tabvm === 'string') {
      if (want === 'tabvm') return { table, native, selfCheck, notes, skipReason: `tabvm unavailable: ${tabvm}` };
      notes.push(`tabvm unavailable (${tabvm}): comparing the native harness with itself`);
    } else {
      actual = tabvm;
    }
  }
  if (!actual) {
    actual = native;
    selfCheck = true;
  }
  return { table, native, actual, selfCheck, notes, disasm: await loadDisassembler() };
}

export interface RowStats {
  cases: number;
  mismatches: number;
}

export interface DiffResult {
  compared: number;
  mismatches: number;
  reports: string[];
  perRow: Map<OpcodeRow, RowStats>;
  expected: CpuOutcome[];
  outcomes: Map<string, number>; // native outcome kind -> count
}

export async function runDiff(
  setup: DiffSetup,
  cases: readonly TestCase[],
  opts: { seed?: number; maxReports: number; progress: boolean },
): Promise<DiffResult> {
  const native = setup.native as NativeTarget;
  const actualTarget = setup.actual as Target;
  const expected = await native.run(cases);
  const perRow = new Map<OpcodeRow, RowStats>();
  const reports: string[] = [];
  let mismatches = 0;
  for (let start = 0; start < cases.length; start += CHUNK) {
    const chunk = cases.slice(start, start + CHUNK);
    const actual = await actualTarget.run(chunk);
    chunk.forEach((tc, j) => {
      const index = start + j;
      // Only instructions before a fault count (native decides where).
      const masks = computeMasks(tc, stopIndex(tc, expected[index]));
      const diffs = compareOutcomes(expected[index], actual[j], masks);
      for (const row of new Set(tc.insns.map((insn) => insn.row))) {
        const s = perRow.get(row) ?? { cases: 0, mismatches: 0 };
        s.cases++;
        if (diffs.length > 0) s.mismatches++;
        perRow.set(row, s);
      }
      if (diffs.length === 0) return;
      mismatches++;
      if (reports.length < opts.maxReports) {
        reports.push(
          formatReport({
            seed: opts.seed,
            index,
            tc,
            expected: expected[index],
            actual: actual[j],
            masks,
            diffs,
            expectedName: native.name,
            actualName: actualTarget.name,
            disasm: setup.disasm,
          }),
        );
      }
    });
    const done = Math.min(start + CHUNK, cases.length);
    if (opts.progress && (done % PROGRESS_EVERY === 0 || done === cases.length)) {
      console.log(`differential: ${done}/${cases.length} cases, ${mismatches} mismatches`);
    }
  }
  const outcomes = new Map<string, number>();
  for (const o of expected) {
    const key = o.kind === 'ok' ? 'completed' : (VECTOR_NAMES[o.vector ?? -1] ?? `vector ${o.vector}`);
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  return { compared: cases.length, mismatches, reports, perRow, expected, outcomes };
}

export function rowName(row: OpcodeRow): string {
  const op = row.op > 0xff ? row.op.toString(16).padStart(4, '0') : row.op.toString(16).padStart(2, '0');
  const parts = [`${row.pfx !== undefined ? row.pfx.toString(16) + ' ' : ''}${op}`];
  if (row.reg !== undefined) parts.push(`/${row.reg}`);
  if (row.mod !== undefined) parts.push(`(${row.mod})`);
  return `${parts.join('')} ${row.mn} ${row.ops}`.trim();
}
