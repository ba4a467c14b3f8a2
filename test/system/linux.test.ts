// Linux on tabvm to a shell prompt on COM1 (issue 4): once from the direct
// boot path (--kernel/--initrd) and once from SeaBIOS + the prepared CD
// image. The test types commands and checks the answers: `uname -a` names the
// Debian 686 kernel, /proc/cpuinfo shows the CPU with an FPU, and the
// guest's sha256sum of a file in the initramfs equals the host's.
//
// Needs `tabvm images prepare` (CI runs it); skipped with a message otherwise.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { GUEST_PROMPT, GUEST_TEST_FILE, ISO_IMAGE, imagesDir, readManifest, testFileContent } from '../../helper/images.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
const BOOT_TIMEOUT_S = 600;
const COMMAND_TIMEOUT_MS = 120_000;
const DIRECT_APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';

const promptRe = new RegExp(GUEST_PROMPT.replace(/[#$]/g, '\\$&'));

/** Runs tabvm, waits for the shell, types each command and collects the console between prompts. */
async function session(args: string[], commands: string[]): Promise<{ console: string; answers: string[] }> {
  const child = spawn(process.execPath, [TABVM, 'run', ...args, '--timeout', String(BOOT_TIMEOUT_S), '--no-reboot'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const waitPrompt = (from: number, ms: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no prompt after ${ms} ms; console:\n${out.slice(-3000)}\nstderr:\n${err}`)), ms);
      const check = (): void => {
        const m = promptRe.exec(out.slice(from));
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(from + m.index + m[0].length);
        }
      };
      child.stdout.on('data', check);
      child.on('close', () => reject(new Error(`tabvm exited; console:\n${out.slice(-3000)}\nstderr:\n${err}`)));
      check();
    });
  try {
    let at = await waitPrompt(0, BOOT_TIMEOUT_S * 1000);
    const answers: string[] = [];
    for (const c of commands) {
      child.stdin.write(`${c}\n`);
      const next = await waitPrompt(at, COMMAND_TIMEOUT_MS);
      answers.push(out.slice(at, next));
      at = next;
    }
    child.stdin.write('exit\n');
    return { console: out, answers };
  } finally {
    child.kill('SIGKILL');
  }
}

function checkAnswers(answers: string[]): void {
  const [uname, cpuinfo, sum] = answers;
  expect(uname).toMatch(/Linux \S+ 6\.1\.\S+-686 #1 SMP .* i686 GNU\/Linux/);
  expect(cpuinfo).toMatch(/^processor\s*:\s*0/m);
  expect(cpuinfo).toMatch(/^fpu\s*:\s*yes/m);
  expect(cpuinfo).toMatch(/^flags\s*:.*\bcx8\b.*\bcmov\b/m);
  const want = createHash('sha256').update(testFileContent()).digest('hex');
  expect(sum).toContain(`${want}  ${GUEST_TEST_FILE}`);
}

const COMMANDS = ['uname -a', 'cat /proc/cpuinfo', `sha256sum ${GUEST_TEST_FILE}`];
const dir = imagesDir();
const ready = readManifest(dir) !== undefined && existsSync(join(dir, ISO_IMAGE));
if (!ready) console.warn(`Linux boot tests skipped: no prepared images in ${dir} (run: node bin/tabvm images prepare)`);

describe.skipIf(!ready)('Linux boots to a shell on COM1', () => {
  it(
    'from the direct boot path (--kernel/--initrd)',
    async () => {
      const { answers } = await session(
        ['--kernel', join(dir, 'vmlinuz'), '--initrd', join(dir, 'initrd.gz'), '--append', DIRECT_APPEND, '--mem', '128'],
        [...COMMANDS, 'ls /sys/bus/pci/devices'],
      );
      checkAnswers(answers);
      // The direct-boot ACPI tables declare the PCI root bridge (host/acpi-tables.ts): without it Linux scans no PCI bus.
      const pci = answers[COMMANDS.length].match(/0000:00:[0-9a-f]{2}\.[0-7]/g) ?? [];
      expect(pci.sort()).toEqual(['0000:00:00.0', '0000:00:01.0', '0000:00:01.1', '0000:00:01.3', '0000:00:02.0']);
    },
    (BOOT_TIMEOUT_S + 60) * 1000,
  );

  it(
    'from SeaBIOS and the CD image (ISOLINUX)',
    async () => {
      const { answers } = await session(['--cdrom', join(dir, ISO_IMAGE), '--boot', 'd', '--mem', '128'], COMMANDS);
      checkAnswers(answers);
    },
    (BOOT_TIMEOUT_S + 60) * 1000,
  );
});
