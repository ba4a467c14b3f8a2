// Linux on tabvm to a shell prompt on COM1 (issue 4): once from the direct
// boot path (--kernel/--initrd) and once from SeaBIOS + the prepared CD
// image. The test types commands and checks the answers: `uname -a` names the
// Debian 686 kernel, /proc/cpuinfo shows the CPU with an FPU, and the
// guest's sha256sum of a file in the initramfs equals the host's.
//
// Needs `tabvm images prepare` (CI runs it); skipped with a message otherwise.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { GUEST_TEST_FILE, ISO_IMAGE, imagesDir, readManifest, testFileContent } from '../../helper/images.js';

import { linuxSession } from './linux-session.js';

const BOOT_TIMEOUT_S = 600;
const COMMAND_TIMEOUT_MS = 120_000;
const SESSION = { bootTimeoutS: BOOT_TIMEOUT_S, commandTimeoutMs: COMMAND_TIMEOUT_MS };
const DIRECT_APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';

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
      const { answers } = await linuxSession(
        ['--kernel', join(dir, 'vmlinuz'), '--initrd', join(dir, 'initrd.gz'), '--append', DIRECT_APPEND, '--mem', '128'],
        [...COMMANDS, 'ls /sys/bus/pci/devices'],
        SESSION,
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
      const { answers } = await linuxSession(['--cdrom', join(dir, ISO_IMAGE), '--boot', 'd', '--mem', '128'], COMMANDS, SESSION);
      checkAnswers(answers);
    },
    (BOOT_TIMEOUT_S + 60) * 1000,
  );
});
