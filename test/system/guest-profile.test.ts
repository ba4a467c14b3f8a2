// The guest profiler (core-as/cpu/profile.ts, host/guest-profile.ts,
// `tabvm run --profile`): a guest with two loops of known lengths
// (images/tests/profile-loops.asm: 3 × N and N iterations of the same three
// instructions) must come out as 3/4 and 1/4 of the samples, under both
// engines, once symbolised against the kernel's own symbols (nm -n).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseSymbolMap, symbolise, OUTSIDE_MAP, type GuestProfileDocument } from '../../host/guest-profile.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TESTS_DIR = join(REPO_ROOT, 'images', 'tests');
const KERNEL = join(TESTS_DIR, 'build', 'profile-loops.elf');
const TABVM_CLI = join(REPO_ROOT, 'bin', 'tabvm');
/** Iterations of loop_one (ITERATIONS in profile-loops.asm); loop_three runs three times as many. */
const ITERATIONS = 1_000_000;
const INSTRUCTIONS_PER_ITERATION = 3;
const LOOP_INSTRUCTIONS = 4 * ITERATIONS * INSTRUCTIONS_PER_ITERATION;
/** A prime interval that is not the default, so --profile-interval is exercised. */
const INTERVAL = 997;
/** Sampling error allowed on a share: ±1 percentage point (12 000 samples). */
const SHARE_TOLERANCE = 0.01;
const STATUS_DONE = 1;
/** Share of loop_three's instructions the JIT must run compiled (it is hot after DEFAULT_JIT_THRESHOLD, 10000, of 3 M iterations). */
const MIN_JIT_SHARE = 0.95;
const TIMEOUT_S = 60;

function haveTool(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

const toolsMissing = !haveTool('nasm', ['-v']) || !haveTool('nm', ['--version']);

describe.skipIf(toolsMissing)('guest profiler on a guest with two known loops', () => {
  let dir = '';
  let symbolMap = '';

  beforeAll(() => {
    const built = spawnSync(process.execPath, [join(TESTS_DIR, 'build.mjs'), 'profile-loops'], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`kernel build failed:\n${built.stdout}${built.stderr}`);
    symbolMap = spawnSync('nm', ['-n', KERNEL], { encoding: 'utf8' }).stdout;
    dir = mkdtempSync(join(tmpdir(), 'tabvm-profile-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ['interp', 'jit']) {
    it(`gives loop_three 3/4 and loop_one 1/4 of the samples (${engine})`, () => {
      const file = join(dir, `${engine}.json`);
      const r = spawnSync(
        process.execPath,
        [
          TABVM_CLI,
          'run',
          '--multiboot',
          KERNEL,
          '--mem',
          '32',
          '--engine',
          engine,
          '--timeout',
          String(TIMEOUT_S),
          '--profile',
          file,
          '--profile-interval',
          String(INTERVAL),
        ],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      expect(r.stdout).toContain('done');
      expect(r.status).toBe(STATUS_DONE);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as GuestProfileDocument;
      expect(doc.interval).toBe(INTERVAL);
      expect(doc.engine).toBe(engine);
      expect(doc.dropped).toBe(0);
      // One sample per INTERVAL instructions: the loops plus a few thousand of setup and printing.
      expect(doc.samples).toBeGreaterThanOrEqual(Math.floor(LOOP_INSTRUCTIONS / INTERVAL));
      expect(doc.samples).toBeLessThan(Math.floor(LOOP_INSTRUCTIONS / INTERVAL) + 20);
      const rows = symbolise(doc, parseSymbolMap(symbolMap));
      expect(rows[0].name).toBe('loop_three');
      expect(rows[1].name).toBe('loop_one');
      expect(Math.abs(rows[0].share - 0.75)).toBeLessThan(SHARE_TOLERANCE);
      expect(Math.abs(rows[1].share - 0.25)).toBeLessThan(SHARE_TOLERANCE);
      // The JIT compiles each loop after its first DEFAULT_JIT_THRESHOLD entries; the interpreter compiles nothing.
      if (engine === 'jit') expect(rows[0].compiledShare).toBeGreaterThan(MIN_JIT_SHARE);
      else expect(rows[0].compiledShare).toBe(0);
    });
  }
});

describe('guest profile symbolisation', () => {
  const doc: GuestProfileDocument = {
    format: 'tabvm-guest-profile',
    version: 1,
    interval: 1000,
    engine: 'interp',
    samples: 10,
    dropped: 0,
    wallS: 1,
    haltedS: 0,
    cpuS: 1,
    histogram: { c1000010: 4, c1000100: 3, '8048000': 2, c2000000: 1 },
    compiled: { c1000010: 2000, c1000100: 3000 },
  };
  const map = 'c1000000 T _text\nc1000000 T startup_32\nc1000100 t delay_loop\nc1000200 D some_data\nc1000300 T _etext\n';

  it('charges each address and its compiled instructions to the last code symbol at or below it, data symbols ignored', () => {
    const rows = symbolise(doc, parseSymbolMap(map), 0xc1000300);
    expect(rows).toEqual([
      { name: 'startup_32', samples: 4, share: 0.4, compiledShare: 0.5 },
      { name: OUTSIDE_MAP, samples: 3, share: 0.3, compiledShare: 0 },
      { name: 'delay_loop', samples: 3, share: 0.3, compiledShare: 1 },
    ]);
  });
});
