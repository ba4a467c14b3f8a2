// System-level differential tests: every kernel in images/tests/ is run on
// QEMU (the oracle) and on tabvm, and their COM1 transcripts must match line
// for line. See images/tests/lib.inc for what the kernels print.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { haveQemu, qemuArgs, runOnQemu, type RunResult } from './qemu.js';
import { runOnTabvm } from './tabvm.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TESTS_DIR = join(REPO_ROOT, 'images', 'tests');
const BUILD_SCRIPT = join(TESTS_DIR, 'build.mjs');
const BUILD_DIR = join(TESTS_DIR, 'build');

/** isa-debug-exit status for `out 0xf4, al` with al = 0: (0 << 1) | 1. */
const STATUS_DONE = 1;
/** Last line every kernel prints before exiting (DONE macro in lib.inc). */
const DONE_LINE = 'done';
const MEM_MIB = 32;
const QEMU_TIMEOUT_MS = 20_000;
const TABVM_TIMEOUT_MS = 60_000;
const CONTEXT_LINES = 3;

/**
 * Per-kernel QEMU CPU model. tabvm models one CPU; these pick a QEMU model
 * that has the features a kernel needs (NX needs an explicit +nx).
 */
const QEMU_CPU: Record<string, string> = {
  paging: 'qemu32,+nx',
};

function haveNasm(): boolean {
  const result = spawnSync('nasm', ['-v'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function listKernels(): string[] {
  return readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.asm'))
    .map((f) => f.slice(0, -'.asm'.length))
    .sort();
}

function elfOf(name: string): string {
  return join(BUILD_DIR, `${name}.elf`);
}

function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** A readable report of the first difference between two transcripts. */
export function describeMismatch(expected: string[], got: string[]): string | undefined {
  const n = Math.max(expected.length, got.length);
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (expected[i] !== got[i]) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    return undefined;
  }
  const from = Math.max(0, first - CONTEXT_LINES);
  const to = first + CONTEXT_LINES + 1;
  const show = (lines: string[]): string =>
    lines
      .slice(from, to)
      .map((line, k) => {
        const idx = from + k;
        const mark = idx === first ? '>' : ' ';
        return `${mark} ${String(idx + 1).padStart(4)} | ${line}`;
      })
      .join('\n') || '  (no output)';
  const where = first < got.length ? `line ${first + 1}` : `line ${first + 1} (tabvm output ended)`;
  return [
    `first difference at ${where}`,
    `expected (QEMU, ${expected.length} lines):`,
    show(expected),
    `got (tabvm, ${got.length} lines):`,
    show(got),
  ].join('\n');
}

const qemuAvailable = haveQemu();
const nasmAvailable = haveNasm();
const missing = [
  qemuAvailable ? '' : 'qemu-system-i386 (apt-get install qemu-system-x86)',
  nasmAvailable ? '' : 'nasm (apt-get install nasm)',
].filter((s) => s !== '');
if (missing.length > 0) {
  console.warn(`test/system: skipping kernel tests, missing ${missing.join(' and ')}`);
}

describe.skipIf(missing.length > 0)('system test kernels (QEMU vs tabvm)', () => {
  const kernels = listKernels();
  const reference = new Map<string, RunResult>();

  beforeAll(() => {
    const result = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`kernel build failed:\n${result.stdout}${result.stderr}`);
    }
  });

  function qemuReference(name: string): RunResult {
    let ref = reference.get(name);
    if (ref === undefined) {
      ref = runOnQemu(elfOf(name), { cpu: QEMU_CPU[name], memMiB: MEM_MIB, timeoutMs: QEMU_TIMEOUT_MS });
      reference.set(name, ref);
    }
    return ref;
  }

  for (const name of kernels) {
    it(`${name}: QEMU reference runs to completion`, () => {
      const ref = qemuReference(name);
      const lines = splitLines(ref.stdout);
      const cmd = ['qemu-system-i386', ...qemuArgs(elfOf(name), { cpu: QEMU_CPU[name], memMiB: MEM_MIB, timeoutMs: 0 })];
      const context = `${cmd.join(' ')}\nstatus ${ref.status}\n${ref.stdout}${ref.stderr}`;
      expect(ref.status, context).toBe(STATUS_DONE);
      expect(lines.length, context).toBeGreaterThan(1);
      expect(lines[lines.length - 1], context).toBe(DONE_LINE);
    });

    it(`${name}: tabvm matches QEMU`, () => {
      const ref = qemuReference(name);
      const got = runOnTabvm(elfOf(name), { memMiB: MEM_MIB, timeoutMs: TABVM_TIMEOUT_MS });
      const mismatch = describeMismatch(splitLines(ref.stdout), splitLines(got.stdout));
      if (mismatch !== undefined) {
        const stderr = got.stderr.trim() === '' ? '' : `\ntabvm stderr:\n${got.stderr.trim()}`;
        throw new Error(`${name}: tabvm output differs from QEMU\n${mismatch}${stderr}`);
      }
      expect(got.status, `tabvm exit status (QEMU: ${ref.status})`).toBe(ref.status);
    });
  }
});
