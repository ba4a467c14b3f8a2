// User-mode differential test: random snippets from the opcode table run on
// the host CPU (test/cpu/native/harness.c) and on tabvm; the whole
// architectural state must match, except what the SDM leaves undefined.
//
// Reference per case (runner.ts): the host CPU (32-bit harness, or the
// 64-bit harness on the case's 64-bit-mode translation); cases without a
// 64-bit form (DAA, BOUND, PUSHA, 32-bit PUSH/POP, ...) run under qemu-i386
// user mode when the host cannot run 32-bit code.  They keep their normal
// share of the random mix.  Without qemu-i386 they are left out locally
// (with a message) and the run fails in CI.
//
// Env: CI -> 100,000 cases, seed 0x7ab0; otherwise TABVM_DIFF_CASES (default
// 20,000) with a random seed; TABVM_DIFF_SEED overrides the seed.
// TABVM_DIFF_TARGET=tabvm|native (see runner.ts), TABVM_DIFF_NATIVE_BITS=32|64,
// TABVM_HARNESS32=qemu|none (test/cpu/native/build.ts), TABVM_DIFF_REPORTS
// (mismatch reports shown, default 10), TABVM_DIFF_ROWS=1 (list every row's
// reference counts).
//
// Native signal -> x86 exception (native/native.ts signalToVector):
//   SIGFPE -> #DE(0); SIGILL -> #UD(6); SIGTRAP -> #BP(3) (trapno when given);
//   SIGSEGV SEGV_MAPERR/ACCERR -> #PF(14), si_addr = CR2;
//   SIGSEGV SI_KERNEL -> trapno (#GP 13, #BR 5, #OF 4), or from the opcode
//   byte (62 BOUND -> #BR, CE INTO -> #OF, else #GP) when trapno is missing;
//   SIGBUS -> #AC(17).
// EIP at a fault is the faulting instruction; for traps (#BP from INT3, #OF
// from INTO) it is the next instruction, on both sides (tabvm's
// stopOnException reports traps after the instruction too).

import { describe, expect, it } from 'vitest';
import type { TestCase } from './cases';
import { Generator } from './generator';
import { referenceFor, require32BitReference, rowName, runDiff, setupDiff, type RowStats } from './runner';
import type { OpcodeRow } from './x86';

const CI_CASES = 100_000;
const CI_SEED = 0x7ab0;
const DEFAULT_CASES = 20_000;
const MAX_REPORTS = Number(process.env.TABVM_DIFF_REPORTS ?? 10);
// Every eligible row must appear in at least this many compared cases
// (scaled down for small runs: rows get about N / rows cases each).
const MIN_CASES_PER_ROW = 3;
const TIMEOUT_MS = 20 * 60_000;

const inCI = Boolean(process.env.CI);
const caseCount = inCI ? CI_CASES : Number(process.env.TABVM_DIFF_CASES ?? DEFAULT_CASES);
const seed = process.env.TABVM_DIFF_SEED ? Number(process.env.TABVM_DIFF_SEED) : inCI ? CI_SEED : (Math.random() * 0x100000000) >>> 0;

const setup = await setupDiff();
for (const note of setup.notes) console.log(`differential: ${note}`);
if (setup.skipReason) console.log(`differential: SKIPPED: ${setup.skipReason}`);

/**
 * Which reference each row was compared against, with case counts.  Rows
 * mostly on the host CPU are summarized unless TABVM_DIFF_ROWS=1 (most of
 * them also appear as fillers in cases that a 32-bit-only row sends to QEMU).
 */
function referenceReport(rows: readonly OpcodeRow[], perRow: Map<OpcodeRow, RowStats>, byReference: Map<string, number>): string {
  const primary = setup.native!.name;
  const other = setup.ref32?.name;
  const lines = [`references: ${[...byReference].map(([name, n]) => `${name} ${n} cases`).join('; ')}`];
  const only: string[] = [];
  const mostly: string[] = [];
  const host: string[] = [];
  let hostCases = 0;
  let otherCases = 0;
  for (const row of rows) {
    const by = perRow.get(row)?.byReference;
    const h = by?.get(primary) ?? 0;
    const o = other ? (by?.get(other) ?? 0) : 0;
    if (h === 0 && o > 0) only.push(`${rowName(row)}=${o}`);
    else if (o >= h && o > 0) mostly.push(`${rowName(row)}=${h}+${o}`);
    else {
      host.push(`${rowName(row)}=${h}` + (o ? `+${o}` : ''));
      hostCases += h;
      otherCases += o;
    }
  }
  if (other) {
    lines.push(`  only ${other} (${only.length} rows): ${only.join(', ') || '-'}`);
    lines.push(`  mostly ${other} (${mostly.length} rows, cases host CPU+32-bit reference): ${mostly.join(', ') || '-'}`);
  }
  const list = process.env.TABVM_DIFF_ROWS ? `: ${host.join(', ')}` : ' (list: TABVM_DIFF_ROWS=1)';
  const also = other ? `, ${otherCases} more on ${other}` : '';
  lines.push(`  ${other ? 'mostly ' : ''}${primary} (${host.length} rows, ${hostCases} row-cases${also})${list}`);
  return lines.join('\n');
}

describe.skipIf(setup.skipReason !== undefined)('user-mode differential', () => {
  it('has a reference for the 32-bit-only rows', (ctx) => require32BitReference(setup, 'differential', ctx));

  it(
    `${caseCount} random cases match (seed 0x${seed.toString(16)})`,
    async () => {
      const native = setup.native!;
      // Without a 32-bit reference, generate only cases the host CPU can run.
      const gen = new Generator({ seed, rows: setup.table.rows, target64: native.harness.bits === 64 && !setup.ref32 });
      const cases: TestCase[] = [];
      let notRunnable = 0;
      while (cases.length < caseCount) {
        const tc = gen.generate();
        if (!tc) {
          if (gen.stats.failedRows.size >= gen.stats.rows.length) break; // nothing generates
          continue;
        }
        if (referenceFor(setup, tc)) cases.push(tc);
        else notRunnable++;
      }
      const result = await runDiff(setup, cases, { seed, maxReports: MAX_REPORTS, progress: !inCI });

      // Coverage: cases per table row among the compared ones.
      const rows = gen.stats.rows;
      const minCases = Math.min(MIN_CASES_PER_ROW, Math.floor(caseCount / Math.max(1, rows.length) / 4));
      const thin = rows.filter((row) => (result.perRow.get(row)?.cases ?? 0) < minCases);
      const failed = [...gen.stats.failedRows].map(([row, why]) => `${rowName(row)}: ${why}`);
      const excluded = gen.stats.excluded.filter((e) => e.row.user && /32-bit host/.test(e.reason));
      if (!inCI || result.mismatches > 0 || thin.length > 0) {
        const counts = rows.map((row) => ({ row, n: result.perRow.get(row)?.cases ?? 0 })).sort((a, b) => a.n - b.n);
        console.log(
          `differential: seed 0x${seed.toString(16)}, ${result.compared} cases vs ${setup.actual!.name}` +
            `${setup.selfCheck ? ' (self-check)' : ''}, ${result.mismatches} mismatches, ${rows.length} rows, ` +
            `${notRunnable} generated cases without a reference\n` +
            `native outcomes: ${[...result.outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}\n` +
            `least covered rows: ${counts
              .slice(0, 12)
              .map((c) => `${rowName(c.row)}=${c.n}`)
              .join(', ')}` +
            (excluded.length ? `\nnot compared on this host: ${excluded.map((e) => rowName(e.row)).join(', ')}` : ''),
        );
      }
      console.log(`differential: ${referenceReport(rows, result.perRow, result.byReference)}`);
      const mismatchRows = [...result.perRow]
        .filter(([, s]) => s.mismatches > 0)
        .sort((a, b) => b[1].mismatches - a[1].mismatches)
        .slice(0, 20)
        .map(([row, s]) => `${rowName(row)}: ${s.mismatches}/${s.cases}`);
      expect(
        result.mismatches,
        `${result.mismatches} mismatching cases (seed 0x${seed.toString(16)}; rerun with TABVM_DIFF_SEED=0x${seed.toString(16)} TABVM_DIFF_CASES=${caseCount})\n` +
          `rows with mismatches: ${mismatchRows.join('; ')}\n\n${result.reports.join('\n\n')}`,
      ).toBe(0);
      expect(failed, 'rows the generator could not produce').toEqual([]);
      expect(thin.map(rowName), `rows with fewer than ${minCases} compared cases`).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
