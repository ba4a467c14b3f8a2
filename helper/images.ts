// tabvm images prepare|list: the default guests, prepared into a cache folder.
//
// What `prepare` makes (DESIGN §6 "Boot paths"), from Debian packages fetched
// with `apt-get download` (i386 architecture, whatever the host's):
//   bios.bin, vgabios-stdvga.bin  SeaBIOS and its VGA BIOS        (seabios)
//   linuxboot_dma.bin             QEMU's option ROM with which SeaBIOS boots a
//                                 kernel given in fw_cfg (--kernel with --bios) (qemu-system-data)
//   vmlinuz                       Linux 6.1 686 bzImage            (linux-image-6.1.0-N-686,
//                                                                  via the linux-image-686 metapackage)
//   busybox                       static i386 busybox              (busybox-static)
//   initrd.gz                     an initramfs built here (host/cpio.ts): busybox and its applet
//                                 links, /init (mounts proc/sys/devtmpfs, runs a shell on the
//                                 console), /dev/console, a test file of known content, and
//                                 /bin/tabvm-bench (bench/workload.c, `gcc -m32 -O2 -static -nostdlib`)
//   tabvm-bench                   that workload binary (npm run bench runs it in the guest)
//   isolinux.bin, ldlinux.c32     ISOLINUX                         (isolinux, syslinux-common)
//   tabvm.iso                     a bootable CD (host/iso9660.ts): ISOLINUX boots vmlinuz + initrd.gz
//   tabvm-hd.img                  a hard disk: the project's own boot loader (images/boot/hdboot.asm)
//                                 loads vmlinuz + initrd.gz with INT 13h extended reads
//   tabvm-floppy.img              a 1.44 MB FAT12 floppy: SYSLINUX (installed by the host's
//                                 `syslinux`, with mkfs.fat and mtools) whose mboot.c32 boots the
//                                 project's Multiboot test kernel images/tests/hello.asm; made only
//                                 where those tools are installed (apt-get install syslinux mtools
//                                 dosfstools), else skipped with a note
// and manifest.json: each file's size and SHA-256, the packages and versions
// it came from, and the kernel command line the media use.
//
// apt runs with a private state (lists, cache, sources) inside the cache
// folder, so it needs neither root nor any change to the host's apt setup:
// the host's Debian sources (deb822 .sources or one-line sources.list) are
// copied there with their signing keys; APT::Architecture(s)=i386 selects
// the 32-bit packages.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants as zlibConstants } from 'node:zlib';

import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeCpio, type CpioEntry } from '../host/cpio.js';
import { writeIso } from '../host/iso9660.js';

/** A mistake of the user's or an environment problem: one message, exit status 2. */
export class ImagesError extends Error {
  override name = 'ImagesError';
}

export const BIOS_IMAGE = 'bios.bin';
export const VGA_BIOS_IMAGE = 'vgabios-stdvga.bin';
export const LINUXBOOT_ROM_IMAGE = 'linuxboot_dma.bin';
export const KERNEL_IMAGE = 'vmlinuz';
export const INITRD_IMAGE = 'initrd.gz';
export const ISO_IMAGE = 'tabvm.iso';
export const DISK_IMAGE = 'tabvm-hd.img';
export const FLOPPY_IMAGE = 'tabvm-floppy.img';
export const MANIFEST = 'manifest.json';
/** The command line the CD and disk images pass to the kernel. */
export const MEDIA_APPEND = 'console=ttyS0 noapic panic=-1';
/** The shell prompt the initramfs's shell shows. */
export const GUEST_PROMPT = 'tabvm# ';
/** The file in the initramfs whose SHA-256 tests compare with the host's. */
export const GUEST_TEST_FILE = '/root/testdata.bin';
const TEST_FILE_BYTES = 256 * 1024;
const TEST_FILE_SEED = 'tabvm initramfs test data';

const KERNEL_METAPACKAGE = 'linux-image-686';
const PACKAGES = ['busybox-static', 'seabios', 'isolinux', 'syslinux-common', 'qemu-system-data'];
const ARCH = 'i386';
/** 2: the initramfs carries the disk drivers (older folders are prepared again). */
const MANIFEST_VERSION = 2;
const STATUS_USAGE = 2;
const PROGRESS_INTERVAL_MS = 250;
const MIB = 1024 * 1024;
const KIB = 1024;

/** The package root: this file runs from helper/ (tests) or dist/helper/ (the CLI). */
function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}
const REPO_ROOT = packageRoot();
const HDBOOT_SOURCE = join(REPO_ROOT, 'images', 'boot', 'hdboot.asm');
const WORKLOAD_SOURCE = join(REPO_ROOT, 'bench', 'workload.c');
/** The benchmark workload's name in the prepared folder, and its path in the initramfs. */
export const WORKLOAD_IMAGE = 'tabvm-bench';
export const GUEST_WORKLOAD = '/bin/tabvm-bench';
/** The guest script that loads the disk drivers (DISK_MODULES), on demand (idempotent). */
export const GUEST_DISKS_SCRIPT = '/bin/tabvm-disks';

export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
  description: string;
}

export interface Manifest {
  version: number;
  /** ISO 8601 time of the prepare run. */
  prepared: string;
  packages: { name: string; version: string; file: string; sha256: string }[];
  files: ManifestFile[];
  append: string;
  prompt: string;
  testFile: { path: string; sha256: string };
}

/** The images folder: --dir, else $TABVM_IMAGES, else ~/.cache/tabvm/images. */
export function imagesDir(override?: string): string {
  if (override !== undefined) return resolve(override);
  const env = process.env.TABVM_IMAGES;
  if (env !== undefined && env !== '') return resolve(env);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'tabvm', 'images');
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function readManifest(dir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
    return m.version === MANIFEST_VERSION && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

export type FoundImage = { ok: true; path: string; data: Uint8Array } | { ok: false; why: string };

/** A prepared file, verified against the manifest's checksum. */
export function findPreparedImage(name: string, dir = imagesDir()): FoundImage {
  const m = readManifest(dir);
  if (!m) return { ok: false, why: `the images in ${dir} are not prepared` };
  const entry = m.files.find((f) => f.name === name);
  if (!entry) return { ok: false, why: `${name} is not among the prepared images in ${dir}` };
  const path = join(dir, name);
  let data: Uint8Array;
  try {
    data = new Uint8Array(readFileSync(path));
  } catch {
    return { ok: false, why: `the prepared ${path} is missing` };
  }
  if (data.length !== entry.size || sha256(data) !== entry.sha256) {
    return { ok: false, why: `the prepared ${path} does not match its checksum (changed or corrupt)` };
  }
  return { ok: true, path, data };
}

/** Deterministic test data: SHA-256 in counter mode over a fixed seed. */
export function testFileContent(): Uint8Array {
  const out = new Uint8Array(TEST_FILE_BYTES);
  const BLOCK = 32;
  for (let i = 0; i < TEST_FILE_BYTES / BLOCK; i++) {
    out.set(createHash('sha256').update(`${TEST_FILE_SEED} ${i}`).digest(), i * BLOCK);
  }
  return out;
}

// ---------------------------------------------------------------- progress

class Progress {
  private readonly tty: boolean;
  private lineOpen = false;
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly steps: number,
  ) {
    this.tty = Boolean(out.isTTY);
  }
  step(n: number, text: string): void {
    this.end();
    this.out.write(`[${n}/${this.steps}] ${text}\n`);
  }
  /** A transient status line (a TTY rewrites it in place; elsewhere only `final` ones print). */
  status(text: string, final = false): void {
    if (this.tty) {
      this.out.write(`\r\x1b[K      ${text}`);
      this.lineOpen = true;
      if (final) this.end();
    } else if (final) this.out.write(`      ${text}\n`);
  }
  end(): void {
    if (this.lineOpen) this.out.write('\n');
    this.lineOpen = false;
  }
}

const fmtBytes = (n: number): string => (n >= MIB ? `${(n / MIB).toFixed(1)} MiB` : n >= KIB ? `${(n / KIB).toFixed(0)} KiB` : `${n} B`);

// ---------------------------------------------------------------- apt

interface AptSetup {
  options: string[];
  root: string;
}

/** The host's Debian sources, as deb822 stanzas for the private apt state. */
export function debianSources(etcApt = '/etc/apt'): string {
  const stanzas: string[] = [];
  const listDir = join(etcApt, 'sources.list.d');
  const files: string[] = [];
  if (existsSync(join(etcApt, 'sources.list'))) files.push(join(etcApt, 'sources.list'));
  if (existsSync(listDir)) {
    for (const f of readdirSync(listDir).sort()) if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(listDir, f));
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const lines = stanza.split('\n').filter((l) => !l.startsWith('#') && l.trim() !== '');
        const get = (k: string): string | undefined =>
          lines.find((l) => l.toLowerCase().startsWith(`${k.toLowerCase()}:`))?.replace(/^[^:]*:\s*/, '');
        if (!/\bdeb\b/.test(get('Types') ?? '') || !/debian/.test(get('URIs') ?? '')) continue;
        if (/^(no|false)$/i.test(get('Enabled') ?? 'yes')) continue;
        // Keep URIs, suites, components and keys; drop any architecture restriction.
        const kept = ['URIs', 'Suites', 'Components', 'Signed-By']
          .map((k) => (get(k) !== undefined ? `${k}: ${get(k)}` : ''))
          .filter(Boolean);
        stanzas.push(['Types: deb', ...kept].join('\n'));
      }
    } else {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const m = /^deb\s+(\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line);
        if (!m || !/debian/.test(m[3])) continue;
        const signed = /signed-by=(\S+)/.exec(m[2] ?? '');
        stanzas.push(
          ['Types: deb', `URIs: ${m[3]}`, `Suites: ${m[4]}`, `Components: ${m[5]}`, signed ? `Signed-By: ${signed[1]}` : '']
            .filter(Boolean)
            .join('\n'),
        );
      }
    }
  }
  return stanzas.join('\n\n') + (stanzas.length ? '\n' : '');
}

function haveCommand(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function aptSetup(dir: string): AptSetup {
  if (!haveCommand('apt-get', ['--version']) || !haveCommand('dpkg-deb', ['--version'])) {
    throw new ImagesError(
      'tabvm images prepare: needs apt-get and dpkg-deb (Debian or Ubuntu), which this system lacks; run it on Debian ' +
        `and copy ${dir} here, or give tabvm run your own files: --bios/--vga-bios (SeaBIOS), --kernel/--initrd (Linux)`,
    );
  }
  const root = join(dir, 'apt');
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'etc/sources.list.d', 'etc/apt.conf.d', 'etc/preferences.d']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  const status = join(root, 'state', 'status');
  if (!existsSync(status)) writeFileSync(status, '');
  const sources = process.env.TABVM_APT_SOURCES ? readFileSync(process.env.TABVM_APT_SOURCES, 'utf8') : debianSources();
  if (sources.trim() === '') {
    throw new ImagesError(
      'tabvm images prepare: found no Debian package sources in /etc/apt (sources.list or sources.list.d/*.sources); ' +
        'set TABVM_APT_SOURCES to a deb822 .sources file naming a Debian mirror',
    );
  }
  writeFileSync(join(root, 'etc', 'sources.list.d', 'tabvm.sources'), sources);
  const options = [
    `Dir::State=${join(root, 'state')}`,
    `Dir::State::status=${status}`,
    `Dir::Cache=${join(root, 'cache')}`,
    'Dir::Etc::SourceList=/dev/null',
    `Dir::Etc::SourceParts=${join(root, 'etc', 'sources.list.d')}`,
    `Dir::Etc::Parts=${join(root, 'etc', 'apt.conf.d')}`,
    `Dir::Etc::PreferencesParts=${join(root, 'etc', 'preferences.d')}`,
    `APT::Architecture=${ARCH}`,
    `APT::Architectures=${ARCH}`,
    // As root, apt would drop to the _apt user, who cannot write the private folders.
    'APT::Sandbox::User=root',
    'Acquire::Languages=none',
  ].flatMap((o) => ['-o', o]);
  return { options, root };
}

function apt(setup: AptSetup, cmd: 'apt-get' | 'apt-cache', args: string[], cwd?: string): { status: number; out: string; err: string } {
  const r = spawnSync(cmd, [...setup.options, ...args], { encoding: 'utf8', cwd, maxBuffer: 64 * MIB });
  if (r.error) throw new ImagesError(`tabvm images prepare: cannot run ${cmd}: ${r.error.message}`);
  return { status: r.status ?? 1, out: r.stdout, err: r.stderr };
}

interface DebInfo {
  package: string;
  url: string;
  file: string;
  size: number;
  sha256: string;
}

/** apt-get download --print-uris: URL, file name, size and SHA-256 of each package. */
function resolveDebs(setup: AptSetup, packages: string[]): DebInfo[] {
  const r = apt(setup, 'apt-get', ['--print-uris', 'download', ...packages]);
  if (r.status !== 0) throw new ImagesError(`tabvm images prepare: apt-get cannot find the packages: ${firstError(r.err)}`);
  const debs: DebInfo[] = [];
  for (const line of r.out.split('\n')) {
    const m = /^'([^']+)' (\S+) (\d+) SHA256:([0-9a-f]{64})$/.exec(line.trim());
    if (m) debs.push({ package: '', url: m[1], file: m[2], size: Number(m[3]), sha256: m[4] });
  }
  // apt lists them in its own order: match each by its file name, "<package>_<version>_<arch>.deb".
  return packages.map((pkg) => {
    const d = debs.find((x) => x.file.startsWith(`${pkg}_`));
    if (!d) throw new ImagesError(`tabvm images prepare: apt-get did not resolve ${pkg}`);
    return { ...d, package: pkg };
  });
}

function firstError(text: string): string {
  const line = text.split('\n').find((l) => l.startsWith('E:')) ?? text.trim().split('\n')[0] ?? '';
  return line.replace(/^E:\s*/, '') || 'unknown error';
}

const fileSha256 = (path: string): string => sha256(new Uint8Array(readFileSync(path)));

/** Downloads the .deb files not already present with the right checksum, showing the bytes as they arrive. */
async function downloadDebs(setup: AptSetup, debs: DebInfo[], debDir: string, progress: Progress): Promise<void> {
  mkdirSync(debDir, { recursive: true });
  const missing = debs.filter((d) => !existsSync(join(debDir, d.file)) || fileSha256(join(debDir, d.file)) !== d.sha256);
  const total = missing.reduce((n, d) => n + d.size, 0);
  if (!missing.length) {
    progress.status(`all ${debs.length} packages already downloaded`, true);
    return;
  }
  const sizeNow = (): number => {
    let n = 0;
    for (const d of missing) {
      for (const p of [join(debDir, d.file), join(debDir, `${d.file}.FAILED`)]) if (existsSync(p)) n += statSync(p).size;
    }
    return Math.min(n, total);
  };
  const timer = setInterval(() => progress.status(`${fmtBytes(sizeNow())} of ${fmtBytes(total)}`), PROGRESS_INTERVAL_MS);
  const child = spawn('apt-get', [...setup.options, '-q', 'download', ...missing.map((d) => d.package)], {
    cwd: debDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout.on('data', () => {});
  const status = await new Promise<number>((r) => {
    child.on('error', () => r(-1));
    child.on('close', (code) => r(code ?? -1));
  });
  clearInterval(timer);
  if (status !== 0) throw new ImagesError(`tabvm images prepare: apt-get download failed: ${firstError(err)}`);
  for (const d of missing) {
    if (fileSha256(join(debDir, d.file)) !== d.sha256)
      throw new ImagesError(`tabvm images prepare: ${d.file}: checksum mismatch after download`);
  }
  progress.status(`${fmtBytes(total)} downloaded (${missing.length} packages), checksums verified`, true);
}

function extractDeb(deb: string, into: string): void {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const r = spawnSync('dpkg-deb', ['-x', deb, into], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new ImagesError(`tabvm images prepare: dpkg-deb -x ${deb} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

// ---------------------------------------------------------------- initramfs

/**
 * Busybox's applet names: the sorted, NUL-separated applet_names table in
 * the binary ("[", "[[", "acpid", ... ending with an empty name). The i386
 * binary cannot run on this host to print `busybox --list`, so its table is
 * read instead.
 */
export function busyboxApplets(binary: Uint8Array): string[] {
  const start = findBytes(binary, Uint8Array.from([0x5b, 0, 0x5b, 0x5b, 0])); // "[\0[[\0"
  if (start < 0) throw new ImagesError('tabvm images prepare: cannot find the applet table in busybox');
  const names: string[] = [];
  let i = start;
  for (;;) {
    let j = i;
    while (j < binary.length && binary[j] !== 0) j++;
    if (j === i || j >= binary.length) break;
    names.push(new TextDecoder().decode(binary.subarray(i, j)));
    i = j + 1;
  }
  const needed = ['sh', 'mount', 'setsid', 'cttyhack', 'sha256sum', 'poweroff', 'uname', 'cat'];
  const missing = needed.filter((n) => !names.includes(n));
  if (missing.length || names.some((n) => !/^[\x21-\x7e]+$/.test(n))) {
    throw new ImagesError(`tabvm images prepare: busybox's applet table looks wrong (missing ${missing.join(' ') || 'nothing'})`);
  }
  return names;
}

function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

export const INIT_SCRIPT = `#!/bin/sh
# /init of tabvm's initramfs (tabvm images prepare): mount the kernel's
# filesystems, then a shell on the console with job control (cttyhack gives
# it the console's real tty, e.g. ttyS0, as its controlling terminal).
export PATH=/bin HOME=/root PS1='${GUEST_PROMPT}'
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
echo "tabvm initramfs: $(uname -sr) on $(cat /sys/class/tty/console/active 2>/dev/null)"
# The disk drivers load on demand: loading them all costs the boot ~600 M guest
# instructions (seconds), so ${GUEST_DISKS_SCRIPT} does it when the disks are wanted.
[ -x ${GUEST_DISKS_SCRIPT} ] && echo "tabvm initramfs: ${GUEST_DISKS_SCRIPT} loads the IDE disk and CD-ROM drivers (/dev/sda, /dev/sr0)"
cd /root
setsid cttyhack sh
echo 'tabvm initramfs: the shell exited; powering off'
poweroff -f
reboot -f
`;

// ---------------------------------------------------------------- disk drivers

/**
 * The IDE driver for a kernel that sees no PCI bus: tabvm's direct-boot ACPI
 * tables (host/acpi-tables.ts) declare no PCI root bridge, so Linux does not
 * scan PCI and ata_piix finds nothing; pata_legacy drives the same drives at
 * the legacy ports 1F0h/170h (IRQ 14/15), in PIO modes. Loaded only then.
 */
const LEGACY_IDE_MODULE = 'pata_legacy';
/** Only the PC's two channels (its port table: 1F0h, 170h, then ISA extras that tabvm lacks). */
const LEGACY_IDE_PARAMS = 'probe_mask=3';

/**
 * The modules Linux needs to see tabvm's disks (the 686 kernel builds them
 * all as modules): ata_piix drives the PIIX IDE function (PIO and bus-master
 * DMA) through libata, sd_mod makes ATA disks /dev/sdX, sr_mod makes the ATAPI
 * CD-ROM /dev/sr0; vfat (with the code page and character set the kernel's
 * FAT defaults name: CONFIG_FAT_DEFAULT_CODEPAGE=437, _IOCHARSET="ascii") and
 * isofs mount them. Their dependencies come from each module's modinfo.
 * sd_mod and sr_mod load before ata_piix, so the disks libata finds while
 * ata_piix initialises are attached at once (the kernel waits for that
 * asynchronous probing before insmod returns: kernel/module/main.c
 * do_init_module, async_synchronize_full).
 */
export const DISK_MODULES = [
  'sd_mod',
  'sr_mod',
  'ata_piix',
  'fat',
  'vfat',
  'nls_cp437',
  'nls_ascii',
  'nls_iso8859-1',
  'isofs',
  LEGACY_IDE_MODULE,
];
const GUEST_MODULE_DIR = 'lib/modules';

export interface KernelModule {
  /** The file's name without .ko (may contain '-'). */
  file: string;
  /** The name the kernel lists in /proc/modules ('-' becomes '_'). */
  name: string;
  data: Uint8Array;
}

const moduleName = (file: string): string => file.replace(/-/g, '_');

/**
 * The modules a .ko needs first: its .modinfo "depends=a,b" string (what
 * `modinfo -F depends` prints; depmod builds modules.dep from the same).
 */
export function moduleDepends(ko: Uint8Array): string[] {
  const key = new TextEncoder().encode('\0depends=');
  const at = findBytes(ko, key);
  if (at < 0) return [];
  let end = at + key.length;
  while (end < ko.length && ko[end] !== 0) end++;
  const text = new TextDecoder().decode(ko.subarray(at + key.length, end));
  return text === '' ? [] : text.split(',');
}

/**
 * `roots` and everything they depend on, each after its dependencies (a
 * depth-first post-order), from `find` (a module's bytes by file name, '-'
 * and '_' alike, as modprobe matches them).
 */
export function resolveModules(roots: string[], find: (name: string) => KernelModule | undefined): KernelModule[] {
  const order: KernelModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (wanted: string, by: string): void => {
    const key = moduleName(wanted);
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting')
      throw new ImagesError(`tabvm images prepare: kernel modules depend on each other in a cycle at ${wanted}`);
    const m = find(wanted);
    if (!m) throw new ImagesError(`tabvm images prepare: the kernel package has no module ${wanted}${by ? ` (needed by ${by})` : ''}`);
    state.set(key, 'visiting');
    for (const d of moduleDepends(m.data)) visit(d, m.file);
    state.set(key, 'done');
    order.push(m);
  };
  for (const r of roots) visit(r, '');
  return order;
}

/** Every module under an extracted kernel package's lib/modules/VERSION/kernel, by its name ('-' as '_'). */
export function indexModules(kernelDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ko')) index.set(moduleName(e.name.slice(0, -'.ko'.length)), full);
    }
  };
  if (existsSync(kernelDir)) walk(kernelDir);
  return index;
}

/** The shell guard of the legacy IDE driver: no PCI device visible. */
const NO_PCI_GUARD = '[ -n "$(ls /sys/bus/pci/devices)" ] || ';

/** /bin/tabvm-disks: insmod each module not yet in /proc/modules, in dependency order. */
export function disksScript(modules: KernelModule[]): string {
  return `#!/bin/sh
# ${GUEST_DISKS_SCRIPT} (tabvm images prepare): load the disk drivers in
# dependency order (the initramfs has no modprobe database); safe to run again.
load() { grep -q "^$2 " /proc/modules || insmod /${GUEST_MODULE_DIR}/$1.ko $3; }
${modules.map((m) => (m.name === LEGACY_IDE_MODULE ? `${NO_PCI_GUARD}load ${m.file} ${m.name} ${LEGACY_IDE_PARAMS}` : `load ${m.file} ${m.name}`)).join('\n')}
`;
}

/** The initramfs (uncompressed newc cpio); `workload` becomes /bin/tabvm-bench, `modules` go to /lib/modules with /bin/tabvm-disks. */
export function buildInitramfs(busybox: Uint8Array, applets: string[], workload?: Uint8Array, modules?: KernelModule[]): Uint8Array {
  const dir = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755 });
  const entries: CpioEntry[] = [
    dir('bin'),
    dir('dev'),
    dir('etc'),
    dir('proc'),
    dir('root'),
    dir('sys'),
    { name: 'tmp', mode: S_IFDIR | 0o1777 },
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: busybox },
    ...applets.filter((a) => a !== 'busybox').map((a): CpioEntry => ({ name: `bin/${a}`, mode: S_IFLNK | 0o777, data: 'busybox' })),
    { name: 'init', mode: S_IFREG | 0o755, data: INIT_SCRIPT },
    { name: GUEST_TEST_FILE.slice(1), mode: S_IFREG | 0o644, data: testFileContent() },
  ];
  if (workload) entries.push({ name: GUEST_WORKLOAD.slice(1), mode: S_IFREG | 0o755, data: workload });
  if (modules?.length) {
    entries.push(dir('lib'), dir(GUEST_MODULE_DIR));
    for (const m of modules) entries.push({ name: `${GUEST_MODULE_DIR}/${m.file}.ko`, mode: S_IFREG | 0o644, data: m.data });
    entries.push({ name: GUEST_DISKS_SCRIPT.slice(1), mode: S_IFREG | 0o755, data: disksScript(modules) });
  }
  return writeCpio(entries);
}

// ---------------------------------------------------------------- media

// No SERIAL directive: SeaBIOS's serial console (fw_cfg etc/sercon-port, which
// tabvm gives it so its messages reach COM1 as the issue asks) already mirrors
// every INT 10h character to COM1, so ISOLINUX writing the UART itself too
// printed each of its lines twice.
const ISOLINUX_CFG = `DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND ${MEDIA_APPEND}
`;

export function buildIso(isolinux: Uint8Array, ldlinux: Uint8Array, kernel: Uint8Array, initrd: Uint8Array): Uint8Array {
  return writeIso({
    volumeId: 'TABVM',
    bootFile: 'ISOLINUX.BIN',
    files: [
      { name: 'ISOLINUX.BIN', data: isolinux },
      { name: 'LDLINUX.C32', data: ldlinux },
      { name: 'ISOLINUX.CFG', data: new TextEncoder().encode(ISOLINUX_CFG) },
      { name: 'VMLINUZ', data: kernel },
      { name: 'INITRD.GZ', data: initrd },
    ],
  });
}

// images/boot/hdboot.asm: the parameter block in its second sector.
const HDBOOT_PARAMS = 0x200;
const HDBOOT_MAGIC = 0x50425654; // "TVBP"
const HDBOOT_CMDLINE = HDBOOT_PARAMS + 20;
const HDBOOT_CMDLINE_MAX = 491;
const DISK_SECTOR = 512;
/** The data area starts at 32 KiB; the partition covers it. */
const DISK_DATA_LBA = 64;
const MBR_PARTITION_TABLE = 446;
const PARTITION_TYPE = 0x7f; // "reserved for individual or local use"
const PARTITION_BOOTABLE = 0x80;
/** CHS 1023/254/63: "use the LBA fields". */
const CHS_LBA_ONLY = [0xfe, 0xff, 0xff];

/** Assembles images/boot/hdboot.asm with nasm (-f bin). */
export function assembleHdboot(outDir: string): Uint8Array {
  if (!haveCommand('nasm', ['-v']))
    throw new ImagesError('tabvm images prepare: needs nasm for the disk boot loader: apt-get install nasm');
  const out = join(outDir, 'hdboot.bin');
  const r = spawnSync('nasm', ['-f', 'bin', '-o', out, HDBOOT_SOURCE], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new ImagesError(`tabvm images prepare: nasm ${HDBOOT_SOURCE} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return new Uint8Array(readFileSync(out));
}

/**
 * gcc flags of the guest workload: static i386, no C library (its own _start
 * and system calls, see bench/workload.c), no CET or stack-protector code,
 * stripped so the same source and compiler give the same bytes and prepare
 * stays idempotent.
 */
const WORKLOAD_GCC_FLAGS = [
  '-m32',
  '-O2',
  '-static',
  '-nostdlib',
  '-fno-pie',
  '-no-pie',
  '-fcf-protection=none',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-DTABVM_FREESTANDING',
  '-s',
];

/** Builds bench/workload.c as the guest's /bin/tabvm-bench. */
export function buildWorkload(outDir: string): Uint8Array {
  const out = join(outDir, WORKLOAD_IMAGE);
  const r = spawnSync('gcc', [...WORKLOAD_GCC_FLAGS, '-o', out, WORKLOAD_SOURCE, '-lgcc'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new ImagesError(
      `tabvm images prepare: cannot build the benchmark workload (gcc -m32 -static -nostdlib ${WORKLOAD_SOURCE}): ` +
        `${r.error?.message ?? r.stderr.trim().split('\n')[0]}; apt-get install gcc-multilib`,
    );
  }
  return new Uint8Array(readFileSync(out));
}

const FLOPPY_KIB = 1440;
const FLOPPY_VOLUME_ID = '54564d46'; // "TVMF": fixed, so the image does not change with each run
// No SERIAL directive, as for ISOLINUX: SeaBIOS's serial console copies it to COM1.
const FLOPPY_CFG = `PROMPT 0
TIMEOUT 0
DEFAULT hello
LABEL hello
  KERNEL mboot.c32
  APPEND hello.elf
`;
/** SYSLINUX's COM32 modules that mboot.c32 needs, from the host's syslinux-common (the installer's version). */
const SYSLINUX_MODULES = '/usr/lib/syslinux/modules/bios';
const FLOPPY_TOOLS = 'apt-get install syslinux mtools dosfstools';

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new ImagesError(`tabvm images prepare: ${what} (${cmd}) failed: ${r.error?.message ?? (r.stderr || r.stdout).trim()}`);
  }
}

/** Why the floppy cannot be made here (a missing tool), or undefined. */
export function floppyToolsMissing(): string | undefined {
  const missing = [
    ['mkfs.fat', ['--help']],
    ['syslinux', ['--version']],
    ['mcopy', ['--version']],
  ].filter(([cmd, args]) => spawnSync(cmd as string, args as string[], { stdio: 'ignore' }).error !== undefined);
  if (missing.length) return `${missing.map(([c]) => c).join(', ')} not installed (${FLOPPY_TOOLS})`;
  if (!existsSync(join(SYSLINUX_MODULES, 'mboot.c32'))) return `no ${SYSLINUX_MODULES}/mboot.c32 (${FLOPPY_TOOLS})`;
  return undefined;
}

/**
 * The boot floppy: FAT12 (mkfs.fat), SYSLINUX installed in its boot sector
 * and ldlinux.sys (syslinux --install, through mtools), its configuration,
 * mboot.c32 with the libraries it loads, and the Multiboot kernel.
 */
export function buildFloppy(workDir: string, kernel: Uint8Array): Uint8Array {
  const img = join(workDir, FLOPPY_IMAGE);
  rmSync(img, { force: true });
  run('mkfs.fat', ['-C', '-F', '12', '-n', 'TABVM', '-i', FLOPPY_VOLUME_ID, img, String(FLOPPY_KIB)], 'making the FAT12 floppy');
  run('syslinux', ['--install', img], 'installing SYSLINUX on the floppy');
  const cfg = join(workDir, 'syslinux.cfg');
  writeFileSync(cfg, FLOPPY_CFG);
  const elf = join(workDir, 'hello.elf');
  writeFileSync(elf, kernel);
  const files = [cfg, elf, ...['mboot.c32', 'libcom32.c32'].map((m) => join(SYSLINUX_MODULES, m))];
  run('mcopy', ['-i', img, '-o', ...files, '::'], 'copying files to the floppy');
  return new Uint8Array(readFileSync(img));
}

/** images/tests/hello.asm as a Multiboot ELF (images/tests/build.mjs: nasm and ld). */
function buildHelloKernel(): Uint8Array {
  const script = join(REPO_ROOT, 'images', 'tests', 'build.mjs');
  run(process.execPath, [script, 'hello'], 'building images/tests/hello.asm');
  return new Uint8Array(readFileSync(join(REPO_ROOT, 'images', 'tests', 'build', 'hello.elf')));
}

/** The hard-disk image: hdboot in the first sectors, then the kernel and the initrd, sector-aligned. */
export function buildDiskImage(loader: Uint8Array, kernel: Uint8Array, initrd: Uint8Array, append: string): Uint8Array {
  if (loader.length > DISK_DATA_LBA * DISK_SECTOR) throw new RangeError('hdboot is larger than its area');
  const dv0 = new DataView(loader.buffer, loader.byteOffset, loader.byteLength);
  if (dv0.getUint32(HDBOOT_PARAMS, true) !== HDBOOT_MAGIC) throw new RangeError('hdboot.bin has no parameter block at 0x200');
  const cmd = new TextEncoder().encode(append);
  if (cmd.length > HDBOOT_CMDLINE_MAX) throw new RangeError(`the disk's command line is longer than ${HDBOOT_CMDLINE_MAX} bytes`);
  const sectors = (n: number): number => Math.ceil(n / DISK_SECTOR);
  const kernelLba = DISK_DATA_LBA;
  const initrdLba = kernelLba + sectors(kernel.length);
  const total = initrdLba + sectors(initrd.length);
  const img = new Uint8Array(total * DISK_SECTOR);
  img.set(loader);
  const dv = new DataView(img.buffer);
  dv.setUint32(HDBOOT_PARAMS + 4, kernelLba, true);
  dv.setUint32(HDBOOT_PARAMS + 8, kernel.length, true);
  dv.setUint32(HDBOOT_PARAMS + 12, initrdLba, true);
  dv.setUint32(HDBOOT_PARAMS + 16, initrd.length, true);
  img.set(cmd, HDBOOT_CMDLINE);
  // One partition over the data area, so partitioning tools and firmware see a disk.
  const p = MBR_PARTITION_TABLE;
  img[p] = PARTITION_BOOTABLE;
  img.set(CHS_LBA_ONLY, p + 1);
  img[p + 4] = PARTITION_TYPE;
  img.set(CHS_LBA_ONLY, p + 5);
  dv.setUint32(p + 8, DISK_DATA_LBA, true);
  dv.setUint32(p + 12, total - DISK_DATA_LBA, true);
  img.set(kernel, kernelLba * DISK_SECTOR);
  img.set(initrd, initrdLba * DISK_SECTOR);
  return img;
}

// ---------------------------------------------------------------- commands

const STEPS = 8;

/** tabvm images prepare: returns the manifest written. */
export async function prepareImages(dir: string, out: NodeJS.WriteStream = process.stdout): Promise<Manifest> {
  const progress = new Progress(out, STEPS);
  out.write(`tabvm images prepare: into ${dir}\n`);
  mkdirSync(dir, { recursive: true });
  const setup = aptSetup(dir);

  progress.step(1, `apt-get update (private state in ${setup.root}, architecture ${ARCH})`);
  const upd = apt(setup, 'apt-get', ['-q', 'update']);
  if (upd.status !== 0)
    progress.status(`apt-get update reported a problem (continuing with what it fetched): ${firstError(upd.err)}`, true);

  progress.step(2, `resolving ${KERNEL_METAPACKAGE} and the other packages`);
  const dep = apt(setup, 'apt-cache', ['depends', KERNEL_METAPACKAGE]);
  const kernelPackage = /Depends:\s*(linux-image-[0-9][^\s<>]*-686)\b/.exec(dep.out)?.[1];
  if (!kernelPackage) {
    throw new ImagesError(
      `tabvm images prepare: cannot resolve ${KERNEL_METAPACKAGE} (apt-get update: ${upd.status === 0 ? 'ok' : firstError(upd.err)}); check network access to the Debian mirror`,
    );
  }
  const debs = resolveDebs(setup, [kernelPackage, ...PACKAGES]);
  for (const d of debs) progress.status(`${d.file} (${fmtBytes(d.size)})`, true);

  progress.step(3, `downloading ${debs.length} packages`);
  const debDir = join(dir, 'debs');
  await downloadDebs(setup, debs, debDir, progress);

  progress.step(4, 'extracting (dpkg-deb -x)');
  const work = join(dir, 'extract');
  const pick = (pkg: string, path: string): Uint8Array => {
    const d = debs.find((x) => x.package === pkg) as DebInfo;
    const into = join(work, pkg);
    const done = join(into, '.done');
    if (!existsSync(done) || readFileSync(done, 'utf8') !== d.sha256) {
      extractDeb(join(debDir, d.file), into);
      writeFileSync(done, d.sha256);
    }
    const full = join(into, path);
    if (!existsSync(full)) throw new ImagesError(`tabvm images prepare: ${d.file} has no ${path}`);
    return new Uint8Array(readFileSync(full));
  };
  const version = kernelPackage.replace(/^linux-image-/, '');
  const kernel = pick(kernelPackage, `boot/vmlinuz-${version}`);
  const moduleIndex = indexModules(join(work, kernelPackage, 'lib', 'modules', version, 'kernel'));
  const modules = resolveModules(DISK_MODULES, (name) => {
    const path = moduleIndex.get(moduleName(name));
    return path ? { file: basename(path, '.ko'), name: moduleName(name), data: new Uint8Array(readFileSync(path)) } : undefined;
  });
  const busybox = pick('busybox-static', 'bin/busybox');
  const bios = pick('seabios', 'usr/share/seabios/bios.bin');
  const vgabios = pick('seabios', 'usr/share/seabios/vgabios-stdvga.bin');
  const linuxbootRom = pick('qemu-system-data', `usr/share/qemu/${LINUXBOOT_ROM_IMAGE}`);
  const isolinux = pick('isolinux', 'usr/lib/ISOLINUX/isolinux.bin');
  const ldlinux = pick('syslinux-common', 'usr/lib/syslinux/modules/bios/ldlinux.c32');
  rmSync(work, { recursive: true, force: true });

  progress.step(5, 'building the initramfs (busybox, /init, a test file, the benchmark workload, the disk drivers)');
  const applets = busyboxApplets(busybox);
  const tmp = join(tmpdir(), `tabvm-prepare-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  let workload: Uint8Array;
  let loader: Uint8Array;
  try {
    workload = buildWorkload(tmp);
    loader = assembleHdboot(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const cpio = buildInitramfs(busybox, applets, workload, modules);
  const initrd = gzipSync(cpio, { level: zlibConstants.Z_BEST_COMPRESSION });
  progress.status(
    `${applets.length} busybox applets, ${modules.length} disk modules; cpio ${fmtBytes(cpio.length)}, gzip ${fmtBytes(initrd.length)}`,
    true,
  );

  progress.step(6, 'building the CD image (ISO 9660 + El Torito, ISOLINUX) and the hard-disk image (hdboot)');
  const iso = buildIso(isolinux, ldlinux, kernel, initrd);
  const disk = buildDiskImage(loader, kernel, initrd, MEDIA_APPEND);

  progress.step(7, 'building the boot floppy (FAT12, SYSLINUX, mboot.c32, images/tests/hello.asm)');
  const floppyMissing = floppyToolsMissing();
  let floppy: Uint8Array | undefined;
  if (floppyMissing) progress.status(`skipped: ${floppyMissing}`, true);
  else {
    const work = join(tmpdir(), `tabvm-floppy-${process.pid}`);
    mkdirSync(work, { recursive: true });
    try {
      floppy = buildFloppy(work, buildHelloKernel());
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  progress.step(8, 'writing the images and manifest.json (SHA-256 of each)');
  const files: [string, Uint8Array, string][] = [
    [BIOS_IMAGE, bios, 'SeaBIOS system BIOS (seabios)'],
    [VGA_BIOS_IMAGE, vgabios, 'SeaBIOS VGA BIOS for the standard VGA (seabios)'],
    [LINUXBOOT_ROM_IMAGE, linuxbootRom, "QEMU's option ROM that boots a kernel from fw_cfg (qemu-system-data)"],
    [KERNEL_IMAGE, kernel, `Linux bzImage (${kernelPackage})`],
    ['busybox', busybox, 'static i386 busybox (busybox-static)'],
    [WORKLOAD_IMAGE, workload, `benchmark workload, ${GUEST_WORKLOAD} in the initramfs (bench/workload.c)`],
    [INITRD_IMAGE, initrd, `initramfs: busybox, /init with a shell on the console, a test file, disk drivers (${modules.length} modules)`],
    ['isolinux.bin', isolinux, 'ISOLINUX (isolinux)'],
    ['ldlinux.c32', ldlinux, 'ISOLINUX core module (syslinux-common)'],
    [ISO_IMAGE, iso, 'bootable CD: ISOLINUX, vmlinuz, initrd.gz'],
    [DISK_IMAGE, disk, 'bootable hard disk: hdboot (images/boot/hdboot.asm), vmlinuz, initrd.gz'],
  ];
  if (floppy) files.push([FLOPPY_IMAGE, floppy, 'bootable 1.44 MB floppy: SYSLINUX, mboot.c32, hello.elf (images/tests/hello.asm)']);
  const manifestFiles: ManifestFile[] = [];
  for (const [name, data, description] of files) {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
    manifestFiles.push({ name, size: data.length, sha256: sha256(data), description });
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    prepared: new Date().toISOString(),
    packages: debs.map((d) => ({
      name: d.package,
      version: decodeURIComponent(/_([^_]+)_[^_]+\.deb$/.exec(d.file)?.[1] ?? ''),
      file: d.file,
      sha256: d.sha256,
    })),
    files: manifestFiles,
    append: MEDIA_APPEND,
    prompt: GUEST_PROMPT,
    testFile: { path: GUEST_TEST_FILE, sha256: sha256(testFileContent()) },
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  out.write(`tabvm images prepare: done; "tabvm images list" shows the files\n`);
  return manifest;
}

/** tabvm images list: the manifest, each file checked against its checksum. Returns false if any is bad. */
export function listImages(dir: string, out: NodeJS.WritableStream = process.stdout): boolean {
  const m = readManifest(dir);
  if (!m) throw new ImagesError(`tabvm images list: no prepared images in ${dir}: run "tabvm images prepare"`);
  out.write(`images in ${dir} (prepared ${m.prepared}):\n`);
  let ok = true;
  for (const f of m.files) {
    const path = join(dir, f.name);
    let state = 'ok';
    if (!existsSync(path)) state = 'MISSING';
    else if (statSync(path).size !== f.size || fileSha256(path) !== f.sha256) state = 'CHANGED';
    if (state !== 'ok') ok = false;
    out.write(`  ${f.name.padEnd(20)} ${String(f.size).padStart(10)}  sha256 ${f.sha256}  ${state.padEnd(7)} ${f.description}\n`);
  }
  out.write('packages:\n');
  for (const p of m.packages) out.write(`  ${p.name} ${p.version}\n`);
  out.write(`media command line: ${m.append}\n`);
  return ok;
}

type ParseFn = (
  args: string[],
  options: Record<string, 'string' | 'flag' | 'list'>,
  command: string,
) => { strings: Map<string, string>; flags: Set<string> };

/** tabvm images [prepare|list] [--dir DIR]: resolves to the exit status. */
export async function imagesCommand(args: string[], parse: ParseFn): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'prepare' && sub !== 'list') {
    throw new ImagesError(`tabvm images: ${sub === undefined ? 'give a subcommand' : `unknown subcommand "${sub}"`}: prepare or list`);
  }
  const p = parse(rest, { dir: 'string' }, `tabvm images ${sub}`);
  const dir = imagesDir(p.strings.get('dir'));
  if (sub === 'list') return listImages(dir) ? 0 : STATUS_USAGE;
  await prepareImages(dir);
  return 0;
}
