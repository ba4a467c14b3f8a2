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

import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { BIOS_IMAGE, INITRD_IMAGE, KERNEL_IMAGE, LINUXBOOT_ROM_IMAGE, findPreparedImage, imagesDir } from '../../helper/images.js';

import { linuxSession } from './linux-session.js';

const HOST_ROM = '/usr/share/qemu/linuxboot_dma.bin';
const GUEST_TIMEOUT_S = 600;
const COMMAND_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = (GUEST_TIMEOUT_S + 60) * 1000;
const APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';
const SEABIOS_BANNER = /SeaBIOS \(version [^)]+\)/;
const KERNEL_BANNER = /Linux version (\S+)/;

const dir = imagesDir();
const ready =
  findPreparedImage(KERNEL_IMAGE, dir).ok &&
  findPreparedImage(BIOS_IMAGE, dir).ok &&
  (findPreparedImage(LINUXBOOT_ROM_IMAGE, dir).ok || existsSync(HOST_ROM));
if (!ready) console.warn(`SeaBIOS kernel boot test skipped: prepare the images in ${dir} (node bin/tabvm images prepare)`);

describe.skipIf(!ready)('Linux booted by SeaBIOS through fw_cfg (--kernel with --bios)', () => {
  it(
    'shows the SeaBIOS banner first, then boots the kernel to a shell that answers uname -r',
    async () => {
      const { console: out, answers } = await linuxSession(
        [
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
        ],
        ['uname -r'],
        { bootTimeoutS: GUEST_TIMEOUT_S, commandTimeoutMs: COMMAND_TIMEOUT_MS },
      );
      const bios = SEABIOS_BANNER.exec(out);
      const linux = KERNEL_BANNER.exec(out);
      expect(bios, out.slice(0, 2000)).not.toBeNull();
      expect(linux, out.slice(0, 2000)).not.toBeNull();
      expect(bios?.index).toBeLessThan(linux?.index ?? 0);
      // The kernel saw the command line the ROM copied, and the release it prints is what uname -r answers.
      expect(out).toMatch(/Kernel command line: .*console=ttyS0 panic=-1 cryptomgr\.notests/);
      const release = linux?.[1] ?? '';
      expect(answers[0]).toContain(`\n${release}`);
    },
    TEST_TIMEOUT_MS,
  );
});
