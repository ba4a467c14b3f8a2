// A shell session with the prepared Linux guest through `tabvm run`: boot,
// wait for the initramfs prompt on COM1, type commands one at a time and
// collect what each printed up to the next prompt. Shared by the Linux system
// tests (boot paths, disks, SeaBIOS with fw_cfg).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GUEST_PROMPT } from '../../helper/images.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
/** How much of the console a failure message shows. */
const CONSOLE_TAIL = 4000;
const MS_PER_S = 1000;

const promptRe = new RegExp(GUEST_PROMPT.replace(/[#$]/g, '\\$&'));

export interface SessionOptions {
  /** How long to wait for the first prompt (and, for linuxSession, tabvm's own --timeout). */
  bootTimeoutS: number;
  /** How long one command may take to bring the prompt back. */
  commandTimeoutMs: number;
  /** After the commands: power off through ACPI and wait for tabvm to exit (every write reaches the disk images), or kill it. */
  end?: { poweroffWithinMs: number };
}

export interface SessionResult {
  /** Everything COM1 printed. */
  console: string;
  /** Per command, the console from its prompt to the next. */
  answers: string[];
  /** The emulator's exit status after a power-off; null when it was killed. */
  status: number | null;
}

export async function linuxSession(args: string[], commands: string[], options: SessionOptions): Promise<SessionResult> {
  const child = spawn(process.execPath, [TABVM, 'run', ...args, '--timeout', String(options.bootTimeoutS), '--no-reboot'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return shellSession(child, commands, options);
}

/** The same session with any emulator already started whose COM1 is its stdin/stdout (QEMU with -serial stdio). */
export async function shellSession(
  child: ChildProcessWithoutNullStreams,
  commands: string[],
  options: SessionOptions,
): Promise<SessionResult> {
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const fail = (why: string): Error => new Error(`${why}; console:\n${out.slice(-CONSOLE_TAIL)}\nstderr:\n${err}`);
  const waitPrompt = (from: number, ms: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(fail(`no prompt after ${ms} ms`)), ms);
      const check = (): void => {
        const m = promptRe.exec(out.slice(from));
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(from + m.index + m[0].length);
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => reject(fail('tabvm exited')));
      check();
    });
  try {
    let at = await waitPrompt(0, options.bootTimeoutS * MS_PER_S);
    const answers: string[] = [];
    for (const c of commands) {
      child.stdin.write(`${c}\n`);
      const next = await waitPrompt(at, options.commandTimeoutMs);
      answers.push(out.slice(at, next));
      at = next;
    }
    if (!options.end) return { console: out, answers, status: null };
    child.stdin.write('poweroff -f\n');
    const ms = options.end.poweroffWithinMs;
    const status = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
    if (status === null) throw fail(`tabvm did not exit within ${ms} ms of poweroff`);
    return { console: out, answers, status };
  } finally {
    child.kill('SIGKILL');
  }
}
