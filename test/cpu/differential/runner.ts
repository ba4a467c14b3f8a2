// Shared driver of the differential tests: native harness = expected,
// tabvm (or, until the core exists, the native harness again) = actual.
//
// Expected outcomes come from the host CPU wherever it can run a case: the
// 32-bit harness where the host runs 32-bit code, else the 64-bit harness on
// the case's 64-bit-mode translation.  Cases with no translation (DAA, BOUND,
// PUSHA, 32-bit PUSH/POP, ...) then run on the 32-bit harness under
// qemu-i386 user mode (test/cpu/native/build.ts), all in one process.

import { buildHarness32 } from '../native/build';
import { buildHarness, NativeTarget, type HarnessRun } from '../native/native';
import { VECTOR_NAMES, type CpuOutcome, type Target, type TestCase } from './cases';
import { compareOutcomes, formatReport, type Disassembler } from './compare';
import { computeMasks, stopIndex } from './semantics';
import { loadOpcodeTable, type LoadedTable } from './table';
import { createTabvmTarget, loadDisassembler } from './tabvm';
import type { OpcodeRow } from './x86';

const PROGRESS_EVERY = 10_000;
const CHUNK = 10_000;

export interface DiffSetup {
  native?: NativeTarget; // the host CPU
  ref32?: NativeTarget; // 32-bit reference for cases `native` cannot run
  ref32Missing?: string; // why cases without a 64-bit form cannot be compared
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
  let ref32: NativeTarget | undefined;
  let ref32Missing: string | undefined;
  if (built.bits === 64) {
    const r32 = buildHarness32();
    if (typeof r32 === 'string') {
      ref32Missing = r32;
      notes.push(`this host cannot run 32-bit code and has no 32-bit reference (${r32}): 32-bit-only rows not compared`);
    } else {
      ref32 = new NativeTarget(r32);
      notes.push(`this host cannot run 32-bit code: ${built.name} where possible, ${r32.name} for the 32-bit-only rest`);
    }
  }
  const refs = { native, ref32, ref32Missing };
  const want = process.env.TABVM_DIFF_TARGET;
  let actual: Target | undefined;
  let selfCheck = false;
  if (want !== 'native') {
    const tabvm = await createTabvmTarget();
    if (typeof tabvm === 'string') {
      if (want === 'tabvm') return { table, ...refs, selfCheck, notes, skipReason: `tabvm unavailable: ${tabvm}` };
      notes.push(`tabvm unavailable (${tabvm}): comparing the native harness with itself`);
    } else {
      actual = tabvm;
    }
  }
  if (!actual) {
    // Self-check: every case runs on its own reference a second time.
    const name = ref32 ? `${native.name} / ${ref32.name}` : native.name;
    actual = {
      name,
      run: (cases) => {
        const runs = runReferences({ table, ...refs, selfCheck: true, notes }, cases);
        return Promise.resolve(cases.map((_, i) => runs.outcome(i)));
      },
    };
    selfCheck = true;
  }
  return { table, ...refs, actual, selfCheck, notes, disasm: await loadDisassembler() };
}

/**
 * For a test about the 32-bit-only cases: fails in CI (process.env.CI) when
 * there is no 32-bit reference, skips with a message elsewhere.
 */
export function require32BitReference(setup: DiffSetup, label: string, ctx: { skip(): void }): void {
  if (!setup.ref32Missing) return;
  const msg = `32-bit-only instructions (DAA, BOUND, PUSHA, 32-bit PUSH/POP, ...) are not compared: ${setup.ref32Missing}`;
  if (process.env.CI) throw new Error(`${msg} (required in CI: install qemu-user-static)`);
  console.log(`${label}: SKIPPED: ${msg}`);
  ctx.skip();
}

/** The reference that runs a case: the host CPU if it can, else the 32-bit one. */
export function referenceFor(setup: DiffSetup, tc: TestCase): NativeTarget | undefined {
  if (setup.native?.canRun(tc)) return setup.native;
  return setup.ref32?.canRun(tc) ? setup.ref32 : undefined;
}

/** A case's expected outcome, from the reference that ran it. */
export interface ReferenceRuns {
  refs: NativeTarget[]; // per case
  outcome(index: number): CpuOutcome; // decoded on demand
}

/** Runs each case on its reference: one harness process per reference. */
export function runReferences(setup: DiffSetup, cases: readonly TestCase[]): ReferenceRuns {
  const refs = cases.map((tc) => {
    const ref = referenceFor(setup, tc);
    if (!ref) throw new Error(`no reference can run ${tc.label ?? 'a case'}: ${tc.code.why64 ?? ''}`);
    return ref;
  });
  const runOf: HarnessRun[] = [];
  const indexIn = new Uint32Array(cases.length);
  for (const ref of new Set(refs)) {
    const idx = cases.map((_, i) => i).filter((i) => refs[i] === ref);
    const run = ref.start(idx.map((i) => cases[i]));
    idx.forEach((i, k) => {
      runOf[i] = run;
      indexIn[i] = k;
    });
  }
  return { refs, outcome: (i) => runOf[i].outcome(indexIn[i]) };
}

export interface RowStats {
  cases: number;
  mismatches: number;
  byReference: Map<string, number>; // reference name -> cases
}

export interface DiffResult {
  compared: number;
  mismatches: number;
  reports: string[];
  perRow: Map<OpcodeRow, RowStats>;
  byReference: Map<string, number>; // reference name -> cases
  outcomes: Map<string, number>; // reference outcome kind -> count
}

export async function runDiff(
  setup: DiffSetup,
  cases: readonly TestCase[],
  opts: { seed?: number; maxReports: number; progress: boolean },
): Promise<DiffResult> {
  const actualTarget = setup.actual as Target;
  const { outcome, refs } = runReferences(setup, cases);
  const byReference = new Map<string, number>();
  for (const ref of refs) byReference.set(ref.name, (byReference.get(ref.name) ?? 0) + 1);
  const perRow = new Map<OpcodeRow, RowStats>();
  const reports: string[] = [];
  const outcomes = new Map<string, number>();
  let mismatches = 0;
  for (let start = 0; start < cases.length; start += CHUNK) {
    const chunk = cases.slice(start, start + CHUNK);
    const actual = await actualTarget.run(chunk);
    chunk.forEach((tc, j) => {
      const index = start + j;
      const expected = outcome(index);
      const key = expected.kind === 'ok' ? 'completed' : (VECTOR_NAMES[expected.vector ?? -1] ?? `vector ${expected.vector}`);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // Only instructions before a fault count (the reference decides where).
      const masks = computeMasks(tc, stopIndex(tc, expected));
      const diffs = compareOutcomes(expected, actual[j], masks, tc.fpuIgnore, tc.fpuRoundBits);
      for (const row of new Set(tc.insns.map((insn) => insn.row))) {
        const s = perRow.get(row) ?? { cases: 0, mismatches: 0, byReference: new Map<string, number>() };
        s.cases++;
        s.byReference.set(refs[index].name, (s.byReference.get(refs[index].name) ?? 0) + 1);
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
            expected,
            actual: actual[j],
            masks,
            diffs,
            expectedName: refs[index].name,
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
  return { compared: cases.length, mismatches, reports, perRow, byReference, outcomes };
}

export function rowName(row: OpcodeRow): string {
  const op = row.op > 0xff ? row.op.toString(16).padStart(4, '0') : row.op.toString(16).padStart(2, '0');
  const parts = [`${row.pfx !== undefined ? row.pfx.toString(16) + ' ' : ''}${op}`];
  if (row.reg !== undefined) parts.push(`/${row.reg}`);
  if (row.mod !== undefined) parts.push(`(${row.mod})`);
  return `${parts.join('')} ${row.mn} ${row.ops}`.trim();
}
