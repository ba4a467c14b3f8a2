// tabvm run's PC-platform inputs (DESIGN §7): Linux kernels and initrds,
// firmware images and disk images. Every bad input exits with status 2 and
// one line on stderr that names the problem (no stack trace); good inputs
// get past validation.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const STATUS_USAGE = 2;
const STATUS_TIMEOUT = 124;
const KILL_AFTER_MS = 60_000;
const MIB = 1024 * 1024;
const PM_BYTES = 4096;

let dir: string;
const f: Record<string, string> = {};

function tabvm(args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [TABVM, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: '',
    timeout: KILL_AFTER_MS,
    killSignal: 'SIGKILL',
    // An empty images folder: no prepared SeaBIOS unless a test makes one.
    env: { ...process.env, TABVM_IMAGES: join(dir, 'no-images'), ...env },
  });
}

function expectUsageError(r: SpawnSyncReturns<string>, reason: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(r.status, r.stderr).toBe(STATUS_USAGE);
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A minimal bzImage: 4 setup sectors with a protocol 2.15 header, then a protected-mode part that exits through isa-debug-exit. */
function bzImage(): Uint8Array {
  const b = new Uint8Array(5 * 512 + PM_BYTES);
  const dv = new DataView(b.buffer);
  b[0x1f1] = 4;
  dv.setUint32(0x1f4, PM_BYTES / 16, true);
  dv.setUint16(0x1fe, 0xaa55, true);
  b[0x201] = 0x6a;
  b.set(new TextEncoder().encode('HdrS'), 0x202);
  dv.setUint16(0x206, 0x020f, true);
  b[0x211] = 1;
  dv.setUint32(0x22c, 0x7fffffff, true);
  dv.setUint32(0x230, 0x200000, true);
  b[0x234] = 1;
  dv.setUint32(0x238, 2047, true);
  dv.setUint32(0x258, 0x1000000, true);
  dv.setUint32(0x260, 0x100000, true);
  // mov al, 0x21; out 0xf4, al: exit status (0x21 << 1) | 1 = 67.
  b.set([0xb0, 0x21, 0xe6, 0xf4], 5 * 512);
  return b;
}

/** A 64 KiB BIOS image with a far jump at the reset vector. */
function biosImage(): Uint8Array {
  const b = new Uint8Array(0x10000).fill(0xff);
  b[0x10000 - 16] = 0xea;
  return b;
}

/** A 512-byte option ROM with a correct checksum. */
function optionRom(): Uint8Array {
  const b = new Uint8Array(512);
  b[0] = 0x55;
  b[1] = 0xaa;
  b[2] = 1;
  let sum = 0;
  for (const x of b) sum = (sum + x) & 0xff;
  b[511] = (0x100 - sum) & 0xff;
  return b;
}

function isoImage(): Uint8Array {
  const b = new Uint8Array(18 * 2048);
  b[16 * 2048] = 1;
  b.set(new TextEncoder().encode('CD001'), 16 * 2048 + 1);
  return b;
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc: ${r.stdout}${r.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'tabvm-cli-platform-'));
  const put = (name: string, data: Uint8Array | string): void => {
    f[name] = join(dir, name);
    writeFileSync(f[name], data);
  };
  const k = bzImage();
  put('bzImage', k);
  put('truncated.bzImage', k.subarray(0, 5 * 512 + 100));
  const old = k.slice();
  new DataView(old.buffer).setUint16(0x206, 0x0202, true);
  put('old.bzImage', old);
  put('text.txt', 'hello, not a kernel\n');
  put('long.txt', 'hello, not a kernel\n'.repeat(300));
  const gz = new Uint8Array(4096);
  gz.set([0x1f, 0x8b, 8, 0]);
  put('initrd.gz', gz);
  const big = new Uint8Array(40 * MIB);
  big.set([0x1f, 0x8b, 8, 0]);
  put('big-initrd.gz', big);
  put('empty', new Uint8Array(0));
  put('bios.bin', biosImage());
  put('short-bios.bin', biosImage().subarray(0, 0x9000));
  const corrupt = biosImage();
  corrupt[0x10000 - 16] = 0;
  put('corrupt-bios.bin', corrupt);
  put('vga.rom', optionRom());
  const badSum = optionRom();
  badSum[100] ^= 1;
  put('badsum-vga.rom', badSum);
  put('truncated-vga.rom', optionRom().subarray(0, 300));
  put('disk.img', new Uint8Array(64 * 512));
  put('odd-disk.img', new Uint8Array(64 * 512 + 7));
  put('cd.iso', isoImage());
  put('notiso.iso', new Uint8Array(18 * 2048));
  put('floppy.img', new Uint8Array(1440 * 1024));
  put('odd-floppy.img', new Uint8Array(1000 * 1024));
  f.dir = join(dir, 'a-directory');
  mkdirSync(f.dir);
  put('noread.img', new Uint8Array(512));
  chmodSync(f['noread.img'], 0o000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tabvm run: bad platform inputs exit 2 with one line', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing kernel', () => ['run', '--kernel', join(dir, 'nope')], /cannot read kernel .*no such file/],
    ['a kernel that is not a bzImage', () => ['run', '--kernel', f['long.txt']], /not a Linux bzImage: no "HdrS"/],
    ['a kernel shorter than a boot sector', () => ['run', '--kernel', f['text.txt']], /not a Linux kernel: the file is only 20 bytes/],
    ['a truncated kernel', () => ['run', '--kernel', f['truncated.bzImage']], /the kernel file is truncated/],
    ['a kernel with boot protocol 2.02', () => ['run', '--kernel', f['old.bzImage']], /boot protocol 2\.02; tabvm needs 2\.04/],
    ['an empty kernel', () => ['run', '--kernel', f.empty], /not a Linux kernel: the file is only 0 bytes/],
    ['a missing initrd', () => ['run', '--kernel', f.bzImage, '--initrd', join(dir, 'nope')], /cannot read initrd .*no such file/],
    ['an initrd that is a directory', () => ['run', '--kernel', f.bzImage, '--initrd', f.dir], /cannot read initrd .*it is a directory/],
    ['an empty initrd', () => ['run', '--kernel', f.bzImage, '--initrd', f.empty], /the initrd is empty/],
    ['a corrupt initrd', () => ['run', '--kernel', f.bzImage, '--initrd', f['text.txt']], /not an initrd \(no cpio, gzip/],
    [
      'an initrd larger than RAM',
      () => ['run', '--kernel', f.bzImage, '--initrd', f['big-initrd.gz'], '--mem', '32'],
      /initrd \(41943040 bytes\) does not fit in RAM .*--mem \d+ MiB or more/,
    ],
    ['--initrd without --kernel', () => ['run', '--initrd', f['initrd.gz']], /--initrd needs --kernel/],
    ['--kernel with --multiboot', () => ['run', '--kernel', f.bzImage, '--multiboot', f.bzImage], /either --kernel .* or --multiboot/],
    ['--module without --multiboot', () => ['run', '--kernel', f.bzImage, '--module', f.bzImage], /--module needs --multiboot/],
    ['an unknown --boot', () => ['run', '--hda', f['disk.img'], '--boot', 'x'], /unknown --boot "x": use c .*, d .* or a/],
    ['--boot d without --cdrom', () => ['run', '--hda', f['disk.img'], '--boot', 'd', '--bios', f['bios.bin']], /--boot d needs --cdrom/],
    ['an unknown --clock', () => ['run', '--kernel', f.bzImage, '--clock', 'fast'], /unknown --clock "fast"/],
    [
      'a missing disk',
      () => ['run', '--hda', join(dir, 'nope.img'), '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      /cannot open --hda .*no such file/,
    ],
    [
      'a disk that is a directory',
      () => ['run', '--hda', f.dir, '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      /--hda .*it is a directory/,
    ],
    ['an empty disk', () => ['run', '--hda', f.empty, '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']], /--hda .*the image is empty/],
    [
      'a disk that is not whole sectors',
      () => ['run', '--hda', f['odd-disk.img'], '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      /not a whole number of 512-byte sectors/,
    ],
    [
      'a CD that is not ISO 9660',
      () => ['run', '--cdrom', f['notiso.iso'], '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      /not an ISO 9660 image/,
    ],
    [
      'a floppy of no floppy size',
      () => ['run', '--fda', f['odd-floppy.img'], '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      /is not a floppy size/,
    ],
    ['a truncated BIOS', () => ['run', '--bios', f['short-bios.bin'], '--vga-bios', f['vga.rom']], /not a BIOS image: 36864 bytes/],
    ['a corrupt BIOS', () => ['run', '--bios', f['corrupt-bios.bin'], '--vga-bios', f['vga.rom']], /no jump at its reset vector/],
    [
      'a VGA BIOS with a bad checksum',
      () => ['run', '--bios', f['bios.bin'], '--vga-bios', f['badsum-vga.rom']],
      /bad option ROM checksum/,
    ],
    [
      'a truncated VGA BIOS',
      () => ['run', '--bios', f['bios.bin'], '--vga-bios', f['truncated-vga.rom']],
      /declares 512 bytes but the file has 300/,
    ],
    ['a VGA BIOS that is not an option ROM', () => ['run', '--bios', f['bios.bin'], '--vga-bios', f['text.txt']], /not an option ROM/],
    [
      'a disk without prepared firmware',
      () => ['run', '--hda', f['disk.img']],
      /no --bios given and the images in .* are not prepared: run "tabvm images prepare"/,
    ],
    [
      '--vga-bios with --kernel but no --bios',
      () => ['run', '--kernel', f.bzImage, '--vga-bios', f['vga.rom']],
      /--vga-bios with --kernel needs --bios \(firmware first\)/,
    ],
    [
      '--boot with --kernel',
      () => ['run', '--kernel', f.bzImage, '--hda', f['disk.img'], '--boot', 'c'],
      /a --kernel or --multiboot guest boots itself: drop --boot/,
    ],
    ['an unknown images subcommand', () => ['images', 'frob'], /tabvm images: unknown subcommand "frob": prepare or list/],
    [
      'images list with nothing prepared',
      () => ['images', 'list', '--dir', join(dir, 'none')],
      /no prepared images in .*: run "tabvm images prepare"/,
    ],
  ];
  for (const [what, args, reason] of cases) {
    it(`refuses ${what}`, () => expectUsageError(tabvm(args()), reason));
  }

  it.skipIf(process.getuid?.() === 0)('refuses an unreadable disk (permission denied)', () => {
    expectUsageError(
      tabvm(['run', '--hda', f['noread.img'], '--bios', f['bios.bin'], '--vga-bios', f['vga.rom']]),
      /cannot open --hda .*permission denied/,
    );
  });
});

describe('tabvm run: good platform inputs get past validation', () => {
  it('boots a bzImage through the 32-bit boot protocol (its code exits through isa-debug-exit)', () => {
    const r = tabvm([
      'run',
      '--kernel',
      f.bzImage,
      '--initrd',
      f['initrd.gz'],
      '--append',
      'console=ttyS0',
      '--mem',
      '32',
      '--timeout',
      '20',
    ]);
    expect(r.status, r.stderr).toBe((0x21 << 1) | 1);
  });

  it('starts the firmware with good disk images and a BIOS until --timeout', () => {
    const r = tabvm([
      'run',
      ...['--bios', f['bios.bin'], '--vga-bios', f['vga.rom']],
      ...['--hda', f['disk.img'], '--cdrom', f['cd.iso'], '--fda', f['floppy.img'], '--boot', 'd'],
      ...['--mem', '16', '--timeout', '1', '--clock', 'deterministic'],
    ]);
    expect(r.status, r.stderr).toBe(STATUS_TIMEOUT);
  });
});
