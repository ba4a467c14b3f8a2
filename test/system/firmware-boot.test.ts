// SeaBIOS on tabvm (issue 4, "Firmware and boot paths"):
// - its banner on the VGA text screen, read back from text memory at 0xB8000
//   as the CPU sees it, and the same banner on COM1 (SeaBIOS's serial
//   console, fw_cfg etc/sercon-port);
// - a 1.44 MB floppy booted with --fda --boot a: SYSLINUX from the FAT12
//   floppy (SeaBIOS's INT 13h on the 82077AA and the 8237 DMA), then its
//   mboot.c32 loads the Multiboot test kernel images/tests/hello.asm, which
//   prints on COM1 and leaves through isa-debug-exit.
//
// Needs `tabvm images prepare` (the floppy also needs syslinux, mtools and
// dosfstools on the host); skipped with a message otherwise.

import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { BIOS_IMAGE, FLOPPY_IMAGE, VGA_BIOS_IMAGE, findPreparedImage, imagesDir } from '../../helper/images.js';
import { serviceBlockRequests } from '../../host/block-device.js';
import type { Core } from '../../host/core.js';
import { NodeMachine } from '../../host/node-machine.js';
import { uartTxRing } from '../../host/rings.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
const TEXT_BASE = 0xb8000;
const COLUMNS = 80;
const ROWS = 25;
const COM1 = 0;
const SLICE = 1_000_000;
/** SeaBIOS shows its banner after a few million instructions; this is far more. */
const BANNER_BUDGET = 400_000_000;
const BANNER = /SeaBIOS \(version [^)]+\)/;
const FLOPPY_TIMEOUT_S = 300;
/** hello.asm's DONE writes 0 to isa-debug-exit: status (0 << 1) | 1. */
const HELLO_STATUS = 1;

const dir = imagesDir();
const bios = findPreparedImage(BIOS_IMAGE, dir);
const vgaBios = findPreparedImage(VGA_BIOS_IMAGE, dir);
const floppy = findPreparedImage(FLOPPY_IMAGE, dir);
if (!bios.ok || !vgaBios.ok) console.warn(`SeaBIOS screen test skipped: ${bios.ok ? '' : bios.why} ${vgaBios.ok ? '' : vgaBios.why}`);
if (!floppy.ok)
  console.warn(`floppy boot test skipped: ${floppy.why} (run: node bin/tabvm images prepare, with syslinux, mtools, dosfstools)`);

/** The 80×25 text screen as the CPU reads it (character bytes of B800:0000). */
function textScreen(core: Core): string[] {
  const rows: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    let line = '';
    for (let c = 0; c < COLUMNS; c++) {
      const ch = core.exports.busRead(TEXT_BASE + (r * COLUMNS + c) * 2, 1);
      line += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ' ';
    }
    rows.push(line.trimEnd());
  }
  return rows;
}

const sink = (): Writable => new Writable({ write: (_chunk, _enc, done) => done() });

describe.skipIf(!bios.ok || !vgaBios.ok)('SeaBIOS on the VGA text screen', () => {
  it('shows its version banner in text memory and the same banner on COM1', async () => {
    if (!bios.ok || !vgaBios.ok) return;
    const machine = await NodeMachine.create({
      boot: { kind: 'firmware', firmware: { bios: bios.data, vgaBios: vgaBios.data }, bootOrder: 'c' },
      memMiB: 32,
      engine: 'interp',
      clock: 'deterministic',
      noReboot: true,
      debugcon: [],
      stdout: sink(),
      stderr: sink(),
    });
    // The machine's core, to drive it slice by slice and read its memory (TypeScript's private is compile-time only).
    const core = (machine as unknown as { core: Core }).core;
    const com1 = uartTxRing(core.memory, COM1);
    let serial = '';
    let screen: string[] = [];
    for (let done = 0; done < BANNER_BUDGET; done += SLICE) {
      core.run(SLICE);
      serviceBlockRequests(core);
      core.exports.serviceDevices();
      serial += new TextDecoder('latin1').decode(com1.read());
      screen = textScreen(core);
      if (screen.some((l) => BANNER.test(l)) && BANNER.test(serial)) break;
    }
    const line = screen.find((l) => BANNER.test(l));
    expect(line, `screen:\n${screen.join('\n')}`).toBeDefined();
    expect(serial).toContain(BANNER.exec(line ?? '')?.[0]);
  }, 300_000);
});

describe.skipIf(!floppy.ok)('booting a floppy', () => {
  it(
    'boots SYSLINUX from a 1.44 MB FAT12 floppy, which starts the Multiboot test kernel',
    () => {
      if (!floppy.ok) return;
      const r = spawnSync(
        process.execPath,
        [TABVM, 'run', '--fda', floppy.path, '--boot', 'a', '--mem', '32', '--no-reboot', '--timeout', String(FLOPPY_TIMEOUT_S)],
        {
          cwd: ROOT,
          encoding: 'latin1',
          timeout: (FLOPPY_TIMEOUT_S + 10) * 1000,
          killSignal: 'SIGKILL',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const out = r.stdout ?? '';
      const context = `stdout:\n${out.slice(-2000)}\nstderr:\n${r.stderr}`;
      expect(out, context).toMatch(/SYSLINUX \d+\.\d+/);
      // SeaBIOS's serial console copies the screen with a delay, so the kernel's own COM1 output may cut into "ok".
      expect(out, context).toContain('Loading hello.elf...');
      expect(out, context).toContain('hello from tabvm test kernel');
      expect(out, context).toContain('multiboot magic=2badb002');
      expect(r.status, context).toBe(HELLO_STATUS);
    },
    (FLOPPY_TIMEOUT_S + 30) * 1000,
  );
});
