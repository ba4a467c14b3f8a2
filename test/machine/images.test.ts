// Guest image building blocks (host/cpio.ts, host/iso9660.ts, helper/images.ts)
// checked against their formats, and the prepared media booted under QEMU
// (the reference machine) to a shell prompt on COM1.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, readCpio, writeCpio } from '../../host/cpio.js';
import { SECTOR_BYTES, patchBootInfoTable, writeIso } from '../../host/iso9660.js';
import { shellSession } from '../system/linux-session.js';
import {
  DISK_IMAGE,
  GUEST_DISKS_SCRIPT,
  GUEST_WORKLOAD,
  GUEST_TEST_FILE,
  INIT_SCRIPT,
  ISO_IMAGE,
  assembleHdboot,
  buildDiskImage,
  buildFloppy,
  buildInitramfs,
  buildWorkload,
  busyboxApplets,
  floppyToolsMissing,
  debianSources,
  DISK_MODULES,
  disksScript,
  imagesDir,
  moduleDepends,
  readManifest,
  resolveModules,
  testFileContent,
  type KernelModule,
} from '../../helper/images.js';

describe('cpio newc writer (buffer-format.rst)', () => {
  it('writes entries that read back with their type, data, device numbers and 4-byte alignment', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const bytes = writeCpio([
      { name: 'bin', mode: S_IFDIR | 0o755 },
      { name: 'bin/x', mode: S_IFREG | 0o755, data },
      { name: 'bin/y', mode: S_IFLNK | 0o777, data: 'x' },
      { name: 'dev/console', mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    ]);
    expect(bytes.length % 4).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('070701');
    const back = readCpio(bytes);
    expect(back.map((e) => e.name)).toEqual(['bin', 'bin/x', 'bin/y', 'dev/console']);
    expect(back[1].data).toEqual(data);
    expect(back[2].mode & S_IFMT).toBe(S_IFLNK);
    expect(new TextDecoder().decode(back[2].data)).toBe('x');
    expect([back[3].rdevMajor, back[3].rdevMinor]).toEqual([5, 1]);
    expect(new TextDecoder().decode(bytes)).toContain('TRAILER!!!');
  });

  it('refuses absolute names, ".." and duplicates', () => {
    expect(() => writeCpio([{ name: '/init', mode: S_IFREG }])).toThrow(/bad entry name/);
    expect(() => writeCpio([{ name: 'a/../b', mode: S_IFREG }])).toThrow(/bad entry name/);
    expect(() =>
      writeCpio([
        { name: 'a', mode: S_IFDIR },
        { name: 'a', mode: S_IFDIR },
      ]),
    ).toThrow(/twice/);
  });

  it('builds an initramfs with /init, busybox links, /dev/console and the test file', () => {
    const fakeBusybox = new Uint8Array([0x7f, 0x45, 0x4c, 0x46]);
    const entries = readCpio(buildInitramfs(fakeBusybox, ['sh', 'mount', 'busybox']));
    const get = (n: string) => entries.find((e) => e.name === n);
    expect(new TextDecoder().decode(get('init')?.data)).toBe(INIT_SCRIPT);
    expect((get('init')?.mode ?? 0) & 0o111).toBe(0o111);
    expect(new TextDecoder().decode(get('bin/sh')?.data)).toBe('busybox');
    expect(get('bin/busybox')?.data).toEqual(fakeBusybox);
    expect(get('dev/console')?.rdevMajor).toBe(5);
    expect(get(GUEST_TEST_FILE.slice(1))?.data).toEqual(testFileContent());
    expect(INIT_SCRIPT).toMatch(/setsid cttyhack sh/);
    expect(get(GUEST_WORKLOAD.slice(1))).toBeUndefined();
  });

  it('adds the benchmark workload as an executable /bin/tabvm-bench', () => {
    const workload = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1]);
    const entries = readCpio(buildInitramfs(new Uint8Array(4), ['sh'], workload));
    const bench = entries.find((e) => e.name === GUEST_WORKLOAD.slice(1));
    expect(bench?.data).toEqual(workload);
    expect((bench?.mode ?? 0) & S_IFMT).toBe(S_IFREG);
    expect((bench?.mode ?? 0) & 0o111).toBe(0o111);
  });
});

/** A stand-in .ko: what matters is its .modinfo strings, NUL-separated ("depends=" as modpost writes it). */
function fakeModule(file: string, depends: string[]): KernelModule {
  const info = `\0license=GPL\0depends=${depends.join(',')}\0retpoline=Y\0name=${file.replace(/-/g, '_')}\0`;
  return { file, name: file.replace(/-/g, '_'), data: new TextEncoder().encode(`\x7fELF${info}`) };
}

describe('disk drivers in the initramfs (modinfo depends, /bin/tabvm-disks)', () => {
  const tree = new Map(
    [
      fakeModule('ata_piix', ['libata']),
      fakeModule('libata', ['scsi_mod', 'scsi_common']),
      fakeModule('scsi_mod', ['scsi_common']),
      fakeModule('scsi_common', []),
      fakeModule('sd_mod', ['scsi_mod', 't10-pi']),
      fakeModule('t10-pi', ['crc-t10dif']),
      fakeModule('crc-t10dif', []),
      fakeModule('pata_legacy', ['libata']),
    ].map((m) => [m.name, m]),
  );
  const find = (n: string): KernelModule | undefined => tree.get(n.replace(/-/g, '_'));

  it("reads a module's dependencies from its .modinfo", () => {
    expect(moduleDepends(fakeModule('sd_mod', ['scsi_mod', 't10-pi']).data)).toEqual(['scsi_mod', 't10-pi']);
    expect(moduleDepends(fakeModule('scsi_common', []).data)).toEqual([]);
  });

  it('orders every module after what it depends on, each once, names with - or _ alike', () => {
    const order = resolveModules(['sd_mod', 'ata_piix'], find).map((m) => m.file);
    expect(order).toEqual(['scsi_common', 'scsi_mod', 'crc-t10dif', 't10-pi', 'sd_mod', 'libata', 'ata_piix']);
    expect(resolveModules(['t10_pi'], find).map((m) => m.file)).toEqual(['crc-t10dif', 't10-pi']);
  });

  it('loads the legacy-port IDE driver only when the kernel sees no PCI device, on the two PC channels', () => {
    const script = disksScript(resolveModules(['ata_piix', 'pata_legacy'], find));
    expect(script.split('\n').slice(-2)).toEqual(['[ -n "$(ls /sys/bus/pci/devices)" ] || load pata_legacy pata_legacy probe_mask=3', '']);
    expect(DISK_MODULES).toContain('pata_legacy');
  });

  it('names a missing module and the one that needs it', () => {
    expect(() => resolveModules(['ata_piix'], (n) => (n === 'libata' ? undefined : find(n)))).toThrow(
      /no module libata \(needed by ata_piix\)/,
    );
  });

  it('puts the modules in /lib/modules and a loader script that skips loaded ones, which /init names', () => {
    const modules = resolveModules(['ata_piix'], find);
    const entries = readCpio(buildInitramfs(new Uint8Array(4), ['sh'], undefined, modules));
    for (const m of modules) expect(entries.find((e) => e.name === `lib/modules/${m.file}.ko`)?.data).toEqual(m.data);
    const script = new TextDecoder().decode(entries.find((e) => e.name === GUEST_DISKS_SCRIPT.slice(1))?.data);
    expect(script).toBe(disksScript(modules));
    expect(script.split('\n').filter((l) => l.startsWith('load '))).toEqual([
      'load scsi_common scsi_common',
      'load scsi_mod scsi_mod',
      'load libata libata',
      'load ata_piix ata_piix',
    ]);
    expect(script).toMatch(/grep -q "\^\$2 " \/proc\/modules \|\| insmod \/lib\/modules\/\$1\.ko \$3/);
    // Loaded on demand: /init only says how (loading them costs the boot seconds).
    expect(INIT_SCRIPT).toMatch(new RegExp(`echo "tabvm initramfs: ${GUEST_DISKS_SCRIPT} loads the IDE disk`));
    expect(INIT_SCRIPT.split('\n').filter((l) => l.startsWith(GUEST_DISKS_SCRIPT))).toEqual([]);
  });
});

const ELF_CLASS = 4;
const ELFCLASS32 = 1;
const ELF_MACHINE = 18;
const EM_386 = 3;
const ELF32_PHOFF = 28;
const ELF32_PHENTSIZE = 42;
const ELF32_PHNUM = 44;
const PT_INTERP = 3;

describe('benchmark workload (bench/workload.c)', () => {
  it('builds as a static 32-bit x86 ELF, the same bytes each time (prepare stays idempotent)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabvm-workload-'));
    try {
      const a = buildWorkload(dir);
      const b = buildWorkload(dir);
      expect(new TextDecoder().decode(a.subarray(1, 4))).toBe('ELF');
      expect(a[ELF_CLASS]).toBe(ELFCLASS32);
      expect(new DataView(a.buffer, a.byteOffset).getUint16(ELF_MACHINE, true)).toBe(EM_386);
      // Static: no program header asks for a dynamic loader (PT_INTERP).
      const dv = new DataView(a.buffer, a.byteOffset);
      const phoff = dv.getUint32(ELF32_PHOFF, true);
      const types = Array.from({ length: dv.getUint16(ELF32_PHNUM, true) }, (_, i) =>
        dv.getUint32(phoff + i * dv.getUint16(ELF32_PHENTSIZE, true), true),
      );
      expect(types.length).toBeGreaterThan(0);
      expect(types).not.toContain(PT_INTERP);
      expect(createHash('sha256').update(b).digest('hex')).toBe(createHash('sha256').update(a).digest('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const FAT12_LABEL_OFFSET = 0x36;
const BOOT_SIGNATURE_OFFSET = 510;
const FLOPPY_BYTES = 1474560;
const floppyMissing = floppyToolsMissing();

describe.skipIf(floppyMissing !== undefined)('boot floppy (mkfs.fat, syslinux, mtools)', () => {
  it('is a 1.44 MB FAT12 image with SYSLINUX in its boot sector and the files it loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabvm-floppy-'));
    try {
      const kernel = new TextEncoder().encode('not really a kernel');
      const img = buildFloppy(dir, kernel);
      expect(img.length).toBe(FLOPPY_BYTES);
      expect(new TextDecoder().decode(img.subarray(FAT12_LABEL_OFFSET, FAT12_LABEL_OFFSET + 8))).toBe('FAT12   ');
      expect([img[BOOT_SIGNATURE_OFFSET], img[BOOT_SIGNATURE_OFFSET + 1]]).toEqual([0x55, 0xaa]);
      const text = new TextDecoder('latin1').decode(img);
      expect(text).toContain('SYSLINUX');
      // 8.3 directory entries of the files mboot.c32 needs.
      for (const name of ['LDLINUX SYS', 'SYSLINUXCFG', 'MBOOT   C32', 'LIBCOM32C32', 'HELLO   ELF']) expect(text).toContain(name);
      expect(text).toContain('not really a kernel');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('busybox applet table', () => {
  it('reads the NUL-separated applet names that start with "[" and "[["', () => {
    const names = ['[', '[[', 'cat', 'cttyhack', 'mount', 'poweroff', 'setsid', 'sh', 'sha256sum', 'uname'];
    const table = new TextEncoder().encode(`junk\0${names.join('\0')}\0\0more`);
    expect(busyboxApplets(table)).toEqual(names);
  });
  it('refuses a binary without the table', () => {
    expect(() => busyboxApplets(new Uint8Array(100))).toThrow(/applet table/);
  });
});

describe('ISO 9660 + El Torito writer (ECMA-119, El Torito 1.0)', () => {
  const boot = new Uint8Array(4096).map((_, i) => i & 0xff);
  const iso = writeIso({
    volumeId: 'test',
    bootFile: 'BOOT.BIN',
    files: [
      { name: 'BOOT.BIN', data: boot },
      { name: 'README', data: new TextEncoder().encode('hello') },
    ],
  });
  const sector = (n: number) => iso.subarray(n * SECTOR_BYTES, (n + 1) * SECTOR_BYTES);
  const dv = new DataView(iso.buffer);

  it('has a primary volume descriptor, a boot record and a terminator at sectors 16-18', () => {
    expect(iso.length % SECTOR_BYTES).toBe(0);
    expect(sector(16)[0]).toBe(1);
    expect(new TextDecoder().decode(sector(16).subarray(1, 6))).toBe('CD001');
    expect(new TextDecoder().decode(sector(16).subarray(40, 44))).toBe('TEST');
    expect(dv.getUint32(16 * SECTOR_BYTES + 80, true)).toBe(iso.length / SECTOR_BYTES);
    expect(dv.getUint32(16 * SECTOR_BYTES + 84, false)).toBe(iso.length / SECTOR_BYTES);
    expect(sector(17)[0]).toBe(0);
    expect(new TextDecoder().decode(sector(17).subarray(7, 30))).toBe('EL TORITO SPECIFICATION');
    expect(sector(18)[0]).toBe(255);
  });

  it('lists the files in the root directory with ";1" names, and stores their data at their extents', () => {
    const rootLba = dv.getUint32(16 * SECTOR_BYTES + 156 + 2, true);
    const root = sector(rootLba);
    let o = 0;
    const found: Record<string, [number, number]> = {};
    while (root[o] !== 0) {
      const nameLen = root[o + 32];
      const name = new TextDecoder().decode(root.subarray(o + 33, o + 33 + nameLen));
      found[name] = [dv.getUint32(rootLba * SECTOR_BYTES + o + 2, true), dv.getUint32(rootLba * SECTOR_BYTES + o + 10, true)];
      o += root[o];
    }
    expect(Object.keys(found)).toEqual(['\0', '\x01', 'BOOT.BIN;1', 'README.;1']);
    const [lba, size] = found['README.;1'];
    expect(new TextDecoder().decode(iso.subarray(lba * SECTOR_BYTES, lba * SECTOR_BYTES + size))).toBe('hello');
  });

  it('has a boot catalog whose validation entry sums to 0 and whose default entry loads the boot file', () => {
    const catLba = dv.getUint32(17 * SECTOR_BYTES + 0x47, true);
    const cat = catLba * SECTOR_BYTES;
    let sum = 0;
    for (let k = 0; k < 32; k += 2) sum = (sum + dv.getUint16(cat + k, true)) & 0xffff;
    expect(sum).toBe(0);
    expect([iso[cat + 0x1e], iso[cat + 0x1f]]).toEqual([0x55, 0xaa]);
    expect(iso[cat + 0x20]).toBe(0x88);
    expect(iso[cat + 0x21]).toBe(0); // no emulation
    const bootLba = dv.getUint32(cat + 0x28, true);
    // The boot-info table: PVD at 16, the file's LBA and length, the checksum from offset 64.
    expect(dv.getUint32(bootLba * SECTOR_BYTES + 8, true)).toBe(16);
    expect(dv.getUint32(bootLba * SECTOR_BYTES + 12, true)).toBe(bootLba);
    expect(dv.getUint32(bootLba * SECTOR_BYTES + 16, true)).toBe(boot.length);
    expect(iso.subarray(bootLba * SECTOR_BYTES + 64, bootLba * SECTOR_BYTES + boot.length)).toEqual(boot.subarray(64));
  });

  it('computes the boot-info checksum as the 32-bit sum of the dwords from offset 64', () => {
    const f = new Uint8Array(72);
    new DataView(f.buffer).setUint32(64, 0xfffffff0, true);
    new DataView(f.buffer).setUint32(68, 0x20, true);
    expect(new DataView(patchBootInfoTable(f, 30).buffer).getUint32(20, true)).toBe(0x10);
  });

  it('refuses names that are not ISO 9660 level 1', () => {
    expect(() => writeIso({ volumeId: 'x', files: [{ name: 'toolongname.txt', data: new Uint8Array(1) }] })).toThrow(/level-1/);
  });
});

describe('hard-disk image (images/boot/hdboot.asm)', () => {
  it('has hdboot with the parameter block filled in, a partition and the kernel and initrd at their LBAs', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tabvm-hd-'));
    try {
      const loader = assembleHdboot(tmp);
      expect(loader.length % 512).toBe(0);
      expect([loader[510], loader[511]]).toEqual([0x55, 0xaa]);
      const kernel = new Uint8Array(1000).fill(0x11);
      const initrd = new Uint8Array(700).fill(0x22);
      const img = buildDiskImage(loader, kernel, initrd, 'console=ttyS0');
      const dv = new DataView(img.buffer);
      expect(new TextDecoder().decode(img.subarray(0x200, 0x204))).toBe('TVBP');
      const kLba = dv.getUint32(0x204, true);
      const iLba = dv.getUint32(0x20c, true);
      expect(dv.getUint32(0x208, true)).toBe(1000);
      expect(dv.getUint32(0x210, true)).toBe(700);
      expect(img.subarray(kLba * 512, kLba * 512 + 1000)).toEqual(kernel);
      expect(img.subarray(iLba * 512, iLba * 512 + 700)).toEqual(initrd);
      expect(new TextDecoder().decode(img.subarray(0x214, 0x214 + 13))).toBe('console=ttyS0');
      expect(img[446]).toBe(0x80);
      expect(img.length % 512).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('private apt sources', () => {
  it("converts the host's Debian sources (deb822 and one-line) and drops others", () => {
    const etc = mkdtempSync(join(tmpdir(), 'tabvm-apt-'));
    try {
      mkdirSync(join(etc, 'sources.list.d'));
      writeFileSync(
        join(etc, 'sources.list.d', 'debian.sources'),
        'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nArchitectures: amd64\n' +
          'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n',
      );
      writeFileSync(
        join(etc, 'sources.list'),
        'deb [signed-by=/k.gpg] http://ftp.debian.org/debian bookworm main contrib\ndeb http://example.com/x y z\n',
      );
      const s = debianSources(etc);
      expect(s).toContain('URIs: http://deb.debian.org/debian');
      expect(s).toContain('URIs: http://ftp.debian.org/debian\nSuites: bookworm\nComponents: main contrib\nSigned-By: /k.gpg');
      expect(s).not.toContain('nodesource');
      expect(s).not.toContain('example.com');
      expect(s).not.toContain('Architectures');
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});

/** Boots a prepared medium under QEMU, waits for the prompt, types commands, returns the console text. */
async function qemuSession(args: string[], commands: string[], timeoutMs: number): Promise<string> {
  const child = spawn('qemu-system-i386', ['-display', 'none', '-serial', 'stdio', '-m', '128', '-no-reboot', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return (await shellSession(child, commands, { bootTimeoutS: timeoutMs / 1000, commandTimeoutMs: timeoutMs })).console;
}

const dir = imagesDir();
const prepared = readManifest(dir) !== undefined && existsSync(join(dir, ISO_IMAGE));
const haveQemu = existsSync('/usr/bin/qemu-system-i386');
describe.skipIf(!prepared || !haveQemu)('the prepared media boot Linux to a shell under QEMU (needs tabvm images prepare)', () => {
  const expectShell = (out: string): void => {
    expect(out).toMatch(/Linux \S+ 6\.1\.\S+-686 .* i686/);
    const want = createHash('sha256').update(testFileContent()).digest('hex');
    expect(out).toContain(`${want}  ${GUEST_TEST_FILE}`);
  };
  const commands = ['uname -a', `sha256sum ${GUEST_TEST_FILE}`];
  it('boots the CD image (ISOLINUX)', async () => {
    expectShell(await qemuSession(['-cdrom', join(dir, ISO_IMAGE), '-boot', 'd'], commands, 120_000));
  }, 150_000);
  it('boots the hard-disk image (hdboot)', async () => {
    const out = await qemuSession(['-drive', `file=${join(dir, DISK_IMAGE)},format=raw`], commands, 120_000);
    expect(out).toMatch(/tabvm hdboot: loading the kernel\.+\r?\nloading the initrd\.+\r?\nbooting/);
    expectShell(out);
  }, 150_000);
  it('records checksums that match the files', () => {
    const m = readManifest(dir);
    for (const f of m?.files ?? []) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, f.name)))
          .digest('hex'),
        f.name,
      ).toBe(f.sha256);
    }
    expect(
      gunzipSync(readFileSync(join(dir, 'initrd.gz')))
        .subarray(0, 6)
        .toString(),
    ).toBe('070701');
  });
});
