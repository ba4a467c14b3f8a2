// Runs a Multiboot test kernel on QEMU (qemu-system-i386, TCG), the oracle
// for the system-level differential tests.

import { spawnSync } from 'node:child_process';

/** What a run of a test kernel produced: COM1 output and exit status. */
export interface RunResult {
  /** Everything the guest wrote to COM1. */
  stdout: string;
  /**
   * Process exit status: (v << 1) | 1 after the guest wrote v to the
   * isa-debug-exit port, TIMEOUT_STATUS on timeout.
   */
  status: number;
  /** Diagnostics printed by the emulator itself (not compared). */
  stderr: string;
}

export interface QemuOptions {
  /** QEMU -cpu model, e.g. 'qemu32,+nx'. Defaults to QEMU's own default. */
  cpu?: string;
  memMiB?: number;
  timeoutMs: number;
}

/** Same convention as coreutils timeout(1). */
export const TIMEOUT_STATUS = 124;

const QEMU_BINARY = 'qemu-system-i386';
const DEFAULT_MEM_MIB = 32;
const DEBUG_EXIT_DEVICE = 'isa-debug-exit,iobase=0xf4,iosize=0x04';

/** True when qemu-system-i386 can be started. */
export function haveQemu(): boolean {
  const result = spawnSync(QEMU_BINARY, ['--version'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

/** The exact argument list used for a kernel (also handy for reports). */
export function qemuArgs(elfPath: string, options: QemuOptions): string[] {
  const args = [
    '-M',
    'pc',
    '-m',
    String(options.memMiB ?? DEFAULT_MEM_MIB),
    '-display',
    'none',
    '-nodefaults',
    '-serial',
    'stdio',
    '-device',
    DEBUG_EXIT_DEVICE,
    '-no-reboot',
  ];
  if (options.cpu !== undefined) {
    args.push('-cpu', options.cpu);
  }
  args.push('-kernel', elfPath);
  return args;
}

export function runOnQemu(elfPath: string, options: QemuOptions): RunResult {
  const result = spawnSync(QEMU_BINARY, qemuArgs(elfPath, options), {
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
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
