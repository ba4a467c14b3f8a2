// Builds test/cpu/native/harness.c and finds a way to run it: the one place
// that decides which reference CPU runs user-mode snippets.
//
// - 64-bit harness: runs on the host CPU; 32-bit snippets are translated to
//   their 64-bit-mode equivalents (test/cpu/differential/x86.ts encode64).
// - 32-bit harness (gcc -m32): runs on the host CPU when the kernel runs
//   32-bit code, else under qemu-i386(-static) user-mode emulation (Debian
//   qemu-user-static; .ci/run installs it).  Hosts such as PVM guests cannot
//   run 32-bit code at all ("Exec format error", or #GP on a 32-bit code
//   segment), and QEMU's TCG is then the reference for the instructions that
//   have no 64-bit-mode form (DAA, BOUND, PUSHA, 32-bit PUSH/POP, ...).
//
// Env TABVM_HARNESS32=qemu forces QEMU even where the host runs 32-bit code
// (to reproduce the QEMU-referenced runs on such a host); =none disables the
// 32-bit harness (to see how the tests behave on a host without one).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS_SOURCE = fileURLToPath(new URL('./harness.c', import.meta.url));

const QEMU_NAMES = ['qemu-i386-static', 'qemu-i386'];
const MAX_OUTPUT = 1 << 30;

/** Which CPU a built harness runs on, as reports name it. */
export type HarnessKind = 'host64' | 'host32' | 'qemu';

export const REFERENCE_NAMES: Record<HarnessKind, string> = {
  host64: 'host CPU (64-bit translation)',
  host32: 'host CPU (32-bit)',
  qemu: 'QEMU user mode (qemu-i386)',
};

export interface BuiltHarness {
  path: string; // the executable
  bits: 32 | 64; // the mode snippets run in
  kind: HarnessKind;
  name: string; // REFERENCE_NAMES[kind]
  command: string; // what to spawn: the executable, or QEMU
  args: string[]; // arguments before the harness's own
}

let buildDir: string | undefined;
const compiled = new Map<32 | 64, string>();

/** Compiles harness.c once per process; a string says why it failed. */
function compile(bits: 32 | 64): string | { exe: string } {
  const done = compiled.get(bits);
  if (done) return { exe: done };
  buildDir ??= mkdtempSync(join(tmpdir(), 'tabvm-harness-'));
  const exe = join(buildDir, `harness${bits}`);
  const archFlags = bits === 32 ? ['-m32'] : [];
  // -static keeps the binary off the (possibly missing) 32-bit loader and
  // lets qemu-i386 run it without a sysroot; fall back to dynamic.
  let cc = spawnSync('gcc', [...archFlags, '-O1', '-static', '-o', exe, HARNESS_SOURCE], { encoding: 'utf8' });
  if (cc.status !== 0) cc = spawnSync('gcc', [...archFlags, '-O1', '-o', exe, HARNESS_SOURCE], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    const why = cc.error?.message ?? cc.stderr.trim().split('\n')[0];
    return `${['gcc', ...archFlags].join(' ')} cannot build the harness (${why})`;
  }
  compiled.set(bits, exe);
  return { exe };
}

function runsAs(command: string, args: string[], bits: 32 | 64): boolean {
  const r = spawnSync(command, [...args, '--info'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(`bits=${bits}`);
}

function findQemu(): string | undefined {
  for (const n of QEMU_NAMES) {
    const r = spawnSync('sh', ['-c', `command -v ${n}`], { encoding: 'utf8' });
    const path = r.stdout?.trim();
    if (r.status === 0 && path && existsSync(path)) return path;
  }
  return undefined;
}

function made(exe: string, bits: 32 | 64, kind: HarnessKind, command: string, args: string[]): BuiltHarness {
  return { path: exe, bits, kind, name: REFERENCE_NAMES[kind], command, args };
}

/** The 64-bit harness on the host CPU, or why not. */
export function buildHarness64(): BuiltHarness | string {
  const c = compile(64);
  if (typeof c === 'string') return c;
  if (!runsAs(c.exe, [], 64)) return 'the 64-bit harness does not run on this host';
  return made(c.exe, 64, 'host64', c.exe, []);
}

/**
 * The 32-bit harness on the host CPU, or under qemu-i386 when the host cannot
 * run 32-bit code (`allowQemu`, default true); a string says why neither works.
 */
export function buildHarness32(opts: { allowQemu?: boolean } = {}): BuiltHarness | string {
  if (process.env.TABVM_HARNESS32 === 'none') return 'the 32-bit harness is disabled (TABVM_HARNESS32=none)';
  const c = compile(32);
  if (typeof c === 'string') return `${c}; install gcc-multilib`;
  const forceQemu = process.env.TABVM_HARNESS32 === 'qemu';
  if (!forceQemu && runsAs(c.exe, [], 32)) return made(c.exe, 32, 'host32', c.exe, []);
  if (opts.allowQemu === false) return 'the host cannot run 32-bit x86 code';
  const qemu = findQemu();
  if (!qemu) return 'the host cannot run 32-bit x86 code and qemu-i386-static is not installed (Debian: qemu-user-static)';
  if (!runsAs(qemu, [c.exe], 32)) return `${qemu} cannot run the 32-bit harness`;
  return made(c.exe, 32, 'qemu', qemu, [c.exe]);
}

/** Runs the harness on a batch of serialized input records (one process). */
export function runHarness(h: BuiltHarness, input: Buffer): Buffer {
  const r = spawnSync(h.command, h.args, { input, maxBuffer: MAX_OUTPUT });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    // Keep the input so the failing run can be repeated by hand.
    const saved = join(buildDir ?? tmpdir(), `input-${h.kind}-${process.pid}.bin`);
    writeFileSync(saved, input);
    throw new Error(
      `harness (${h.name}) exited with ${r.status ?? r.signal}: ${r.stderr.toString()}\n` +
        `rerun: ${[h.command, ...h.args].join(' ')} < ${saved}`,
    );
  }
  return r.stdout;
}
