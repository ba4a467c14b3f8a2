// Runs a Multiboot test kernel on tabvm through its CLI. Contract (shared
// with QEMU's isa-debug-exit + COM1): COM1 output on stdout, exit status
// (v << 1) | 1 after the guest writes v to port 0xf4, 124 on timeout.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TIMEOUT_STATUS, type RunResult } from './qemu.js';

export interface TabvmOptions {
  memMiB?: number;
  timeoutMs: number;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM_CLI = join(REPO_ROOT, 'bin', 'tabvm');
const DEFAULT_MEM_MIB = 32;
const MS_PER_S = 1000;
/** Grace period on top of tabvm's own --timeout before we kill it. */
const KILL_GRACE_MS = 5000;

export function runOnTabvm(elfPath: string, options: TabvmOptions): RunResult {
  const timeoutS = Math.max(1, Math.ceil(options.timeoutMs / MS_PER_S));
  const args = [
    TABVM_CLI,
    'run',
    '--multiboot',
    elfPath,
    '--mem',
    String(options.memMiB ?? DEFAULT_MEM_MIB),
    '--timeout',
    String(timeoutS),
  ];
  const result = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: timeoutS * MS_PER_S + KILL_GRACE_MS,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') {
    throw result.error;
  }
  return {
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    status: result.status ?? TIMEOUT_STATUS,
  };
}
