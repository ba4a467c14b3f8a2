// MMX and packed-integer SSE2/SSSE3/SSE4.1/SSE4.2, CRC32 and POPCNT against
// the host CPU: random single-instruction cases (int-cases.ts) for every
// SIMD-integer row of the opcode table, compared through the harness's
// FXSAVE image (MMX/XMM registers, TOP, tags), GPRs, flags and memory.
//
// Env: CI -> 30,000 cases, seed 0x5100; otherwise TABVM_SIMD_CASES (default
// 30,000) with a random seed; TABVM_SIMD_SEED overrides the seed.

import { describe, expect, it } from 'vitest';
import { Rng } from '../differential/generator';
import { rowName, runDiff, setupDiff } from '../differential/runner';
import type { TestCase } from '../differential/cases';
import { isSimdIntRow, simdIntCase } from './int-cases';

const CI_CASES = 30_000;
const CI_SEED = 0x5100;
const MIN_CASES_PER_ROW = 20;
const MAX_REPORTS = Number(process.env.TABVM_DIFF_REPORTS ?? 10);
const TIMEOUT_MS = 5 * 60_000;

const inCI = Boolean(process.env.CI);
const caseCount = inCI ? CI_CASES : Number(process.env.TABVM_SIMD_CASES ?? CI_CASES);
const seed = process.env.TABVM_SIMD_SEED ? Number(process.env.TABVM_SIMD_SEED) : inCI ? CI_SEED : (Math.random() * 0x100000000) >>> 0;

const setup = await setupDiff();
for (const note of setup.notes) console.log(`simd-int: ${note}`);
if (setup.skipReason) console.log(`simd-int: SKIPPED: ${setup.skipReason}`);

describe.skipIf(setup.skipReason !== undefined)('MMX / SSE integer differential', () => {
  it(
    `${caseCount} random cases match the host CPU (seed 0x${seed.toString(16)})`,
    async () => {
      const rows = setup.table.rows.filter(isSimdIntRow);
      expect(rows.length).toBeGreaterThan(150);
      const rng = new Rng(seed);
      const cases: TestCase[] = [];
      for (let i = 0; i < caseCount; i++) cases.push(simdIntCase(rng, rows[i % rows.length]));
      const result = await runDiff(setup, cases, { seed, maxReports: MAX_REPORTS, progress: false });
      const mismatchRows = [...result.perRow]
        .filter(([, s]) => s.mismatches > 0)
        .sort((a, b) => b[1].mismatches - a[1].mismatches)
        .map(([row, s]) => `${rowName(row)}: ${s.mismatches}/${s.cases}`);
      console.log(
        `simd-int: seed 0x${seed.toString(16)}, ${result.compared} cases vs ${setup.actual!.name}, ${result.mismatches} mismatches, ` +
          `${rows.length} rows; outcomes: ${[...result.outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`,
      );
      expect(
        result.mismatches,
        `${result.mismatches} mismatching cases (rerun: TABVM_SIMD_SEED=0x${seed.toString(16)} TABVM_SIMD_CASES=${caseCount})\n` +
          `rows: ${mismatchRows.slice(0, 40).join('; ')}\n\n${result.reports.join('\n\n')}`,
      ).toBe(0);
      const thin = rows.filter((row) => (result.perRow.get(row)?.cases ?? 0) < Math.min(MIN_CASES_PER_ROW, caseCount / rows.length / 2));
      expect(thin.map(rowName)).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
