// Linux booted by SeaBIOS from fw_cfg (issue 4, "Direct Linux boot ... with
// SeaBIOS first"): `tabvm run --kernel --initrd --append --bios` runs SeaBIOS
// from the reset vector; SeaBIOS runs QEMU's linuxboot_dma.bin option ROM,
// which loads the kernel, initrd and command line over fw_cfg DMA and enters
// the kernel's real-mode setup code, as under QEMU with -kernel. The test
// checks that SeaBIOS's banner reaches COM1 before the kernel's messages,
// waits for the initramfs shell and runs `uname -r`.
//
// Needs `tabvm images prepare` (CI runs it) and the linuxboot ROM (prepared,
// or /usr/share/qemu from qemu-system-data); skipped with a message otherwise.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  BIOS_IMAGE,
  GUEST_PROMPT,
  INITRD_IMAGE,
  KERNEL_IMAGE,
  LINUXBOOT_ROM_IMAGE,
  findPreparedImage,
  imagesDir,
} from '../../helper/images.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
const HOST_ROM = '/usr/share/qemu/linuxboot_dma.bin';
const TEST_TIMEOUT_MS = 90_000;
const GUEST_TIMEOUT_S = 85;
const APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';
const SEABIOS_BANNER = /SeaBIOS \(version [^)]+\)/;
const KERNEL_BANNER = /Linux version (\S+)/;

const dir = imagesDir();
const ready =
  findPreparedImage(KERNEL_IMAGE, dir).ok &&
  findPreparedImage(BIOS_IMAGE, dir).ok &&
  (findPreparedImage(LINUXBOOT_ROM_IMAGE, dir).ok || existsSync(HOST_ROM));
if (!ready) console.warn(`SeaBIOS kernel boot test skipped: prepare the images in ${dir} (node bin/tabvm images prepare)`);

/** Runs tabvm until `uname -r` has answered at the shell prompt; returns COM1's output. */
function bootAndAsk(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [TABVM, 'run', ...args, '--timeout', String(GUEST_TIMEOUT_S), '--no-reboot'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let asked = -1;
  return new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (asked < 0 && out.includes(GUEST_PROMPT)) {
        asked = out.length;
        child.stdin.write('uname -r\n');
      } else if (asked >= 0 && out.indexOf(GUEST_PROMPT, asked) >= 0) {
        child.kill('SIGKILL');
        resolve(out);
      }
    });
    child.on('close', () => reject(new Error(`tabvm exited before the answer; console:\n${out.slice(-3000)}\nstderr:\n${err}`)));
  });
}

describe.skipIf(!ready)('Linux booted by SeaBIOS through fw_cfg (--kernel with --bios)', () => {
  it(
    'shows the SeaBIOS banner first, then boots the kernel to a shell that answers uname -r',
    async () => {
      const out = await bootAndAsk([
        '--kernel',
        join(dir, KERNEL_IMAGE),
        '--initrd',
        join(dir, INITRD_IMAGE),
        '--append',
        APPEND,
        '--bios',
        join(dir, BIOS_IMAGE),
        '--mem',
        '128',
      ]);
      const bios = SEABIOS_BANNER.exec(out);
      const linux = KERNEL_BANNER.exec(out);
      expect(bios, out.slice(0, 2000)).not.toBeNull();
      expect(linux, out.slice(0, 2000)).not.toBeNull();
      expect(bios?.index).toBeLessThan(linux?.index ?? 0);
      // The kernel saw the command line the ROM copied, and the release it prints is what uname -r answers.
      expect(out).toMatch(/Kernel command line: .*console=ttyS0 panic=-1 cryptomgr\.notests/);
      const release = linux?.[1] ?? '';
      const answer = out.slice(out.lastIndexOf('uname -r'));
      expect(answer).toContain(`\n${release}`);
    },
    TEST_TIMEOUT_MS,
  );
});
