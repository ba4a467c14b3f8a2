// The tabvm command line (DESIGN §7). bin/tabvm imports this file from dist/.
//
// Exit statuses are a contract tests and scripts rely on:
//   (v << 1) | 1  the guest wrote v to isa-debug-exit (port 0xf4)
//   0             guest reset with --no-reboot, guest halted for good, Ctrl-A x, help
//   2             bad arguments or bad input files: one line on stderr saying
//                 what was wrong and what to do (no stack trace)
//   124           --timeout reached
//   70            an internal error (a bug in tabvm: the stack trace is printed)

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LinuxBootError, planLinuxBoot } from '../host/linux-boot.js';
import { MultibootError, parseMultibootKernel, type MultibootModule } from '../host/multiboot.js';
import { NodeMachine, type BootSource, type DebugconSink, type DiskImage } from '../host/node-machine.js';
import { BIOS_IMAGE, VGA_BIOS_IMAGE, ImagesError, findPreparedImage, imagesCommand } from './images.js';

export const STATUS_OK = 0;
export const STATUS_USAGE = 2;
export const STATUS_INTERNAL = 70;

const DEFAULT_MEM_MIB = 256;
const MIB = 1024 * 1024;
const MAX_MEM_MIB = 3072;
const MAX_PORT = 0xffff;
const PORT_DEBUGCON_DEFAULT = 0xe9;
const MAX_DEBUGCON = 4;
const STDERR_FD = 2;

/** A mistake of the user's: reported in one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: tabvm <command> [options]

commands:
  run [options]       boot a machine in Node; guest serial (COM1) on stdin/stdout
  images prepare|list prepare the default guest images (SeaBIOS, Linux, busybox) / show them
  bench               run the benchmarks (guest instructions per second, ratios to native)
  help                show this text
  --version           print the version

tabvm run options:
  (the guest: --kernel or --multiboot booted directly, else the firmware boots --hda/--cdrom/--fda)
  --kernel FILE       Linux bzImage, started through the Linux boot protocol (32-bit entry)
  --initrd FILE       initramfs / initrd for --kernel
  --append TEXT       kernel command line (Multiboot kernels see "FILE TEXT", as under QEMU)
  --multiboot FILE    Multiboot v1 kernel (ELF32 i386, or a.out-kludge image)
  --module FILE[,ARGS]  Multiboot module (repeatable); the kernel sees "FILE ARGS"
  --bios FILE         system BIOS image (default: the prepared SeaBIOS bios.bin)
  --vga-bios FILE     VGA BIOS option ROM (default: the prepared vgabios-stdvga.bin)
  --hda FILE          hard-disk image (raw; opened read-write, else read-only)
  --cdrom FILE        CD image (ISO 9660, read-only)
  --fda FILE          floppy image (raw, a standard size: 360K, 720K, 1.2M, 1.44M or 2.88M)
  --boot c|d|a        boot from the hard disk, CD or floppy (default: the first one given, in c d a order)
  --mem MiB           guest RAM, 1-${MAX_MEM_MIB} (default ${DEFAULT_MEM_MIB})
  --engine jit|interp CPU engine (default jit: hot code is compiled to WebAssembly)
  --accel wasm        where guest code runs (kvm and kqemu are not available yet)
  --clock realtime|deterministic  guest time: the host's clock (default), or 10 ns per instruction
  --no-reboot         exit with status 0 when the guest resets
  --timeout S         stop after S seconds with exit status 124
  --stats FILE        write the final counters as JSON
  --debugcon PORT=FILE  bytes the guest writes to I/O port PORT go to FILE
                      (repeatable, up to ${MAX_DEBUGCON}; port 0xe9 goes to stderr unless redirected)
  --help              show this text

tabvm images options:
  --dir DIR           the images folder (default $TABVM_IMAGES, else ~/.cache/tabvm/images)

exit status: (v << 1) | 1 when the guest writes v to port 0xf4 (isa-debug-exit);
0 on reset with --no-reboot or when the guest halts with interrupts off;
124 on timeout; 2 on bad arguments or files.
On a terminal, Ctrl-A x quits and Ctrl-A Ctrl-A sends Ctrl-A.
`;

type OptionKind = 'string' | 'flag' | 'list';
const RUN_OPTIONS: Record<string, OptionKind> = {
  kernel: 'string',
  initrd: 'string',
  multiboot: 'string',
  append: 'string',
  module: 'list',
  bios: 'string',
  'vga-bios': 'string',
  hda: 'string',
  cdrom: 'string',
  fda: 'string',
  boot: 'string',
  mem: 'string',
  engine: 'string',
  accel: 'string',
  clock: 'string',
  'no-reboot': 'flag',
  timeout: 'string',
  stats: 'string',
  debugcon: 'list',
  help: 'flag',
};

interface ParsedArgs {
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(args: string[], options: Record<string, OptionKind> = RUN_OPTIONS, command = 'tabvm run'): ParsedArgs {
  const parsed: ParsedArgs = { strings: new Map(), lists: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h') {
      parsed.flags.add('help');
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}" (options start with --; see tabvm help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(options, name) ? options[name] : undefined;
    if (kind === undefined) throw new UsageError(`${command}: unknown option --${name} (see tabvm help)`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`${command}: --${name} takes no value`);
      parsed.flags.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new UsageError(`${command}: --${name} needs a value (see tabvm help)`);
      value = args[++i];
    }
    if (kind === 'list') parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
    else {
      if (parsed.strings.has(name)) throw new UsageError(`${command}: --${name} given twice; give it once`);
      parsed.strings.set(name, value);
    }
  }
  return parsed;
}

function readInputFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(code ?? err);
    throw new UsageError(`tabvm run: cannot read ${what} "${path}": ${why}`);
  }
}

function openOutputFile(path: string, what: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : String(code ?? err);
    throw new UsageError(`tabvm run: cannot write ${what} "${path}": ${why}`);
  }
}

function parseMem(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MEM_MIB;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_MEM_MIB) {
    throw new UsageError(`tabvm run: --mem must be a whole number of MiB from 1 to ${MAX_MEM_MIB} (got "${text}")`);
  }
  return n;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n > 0)) throw new UsageError(`tabvm run: --timeout must be a positive number of seconds (got "${text}")`);
  return n;
}

function parsePort(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PORT) {
    throw new UsageError(`tabvm run: bad --debugcon port "${text}": give an I/O port from 0 to 0xffff, e.g. --debugcon 0xe9=debug.log`);
  }
  return n;
}

/** --debugcon PORT=FILE entries; port 0xe9 goes to stderr unless one of them names it. */
function parseDebugcon(specs: string[]): DebugconSink[] {
  const wanted: { port: number; path?: string }[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw new UsageError(`tabvm run: bad --debugcon "${spec}": write PORT=FILE, e.g. --debugcon 0x402=firmware.log`);
    }
    const port = parsePort(spec.slice(0, eq));
    if (wanted.some((w) => w.port === port)) throw new UsageError(`tabvm run: --debugcon port ${spec.slice(0, eq)} given twice`);
    wanted.push({ port, path: spec.slice(eq + 1) });
  }
  if (!wanted.some((w) => w.port === PORT_DEBUGCON_DEFAULT)) wanted.unshift({ port: PORT_DEBUGCON_DEFAULT });
  if (wanted.length > MAX_DEBUGCON) throw new UsageError(`tabvm run: at most ${MAX_DEBUGCON} debug console ports (counting 0xe9)`);
  return wanted.map((w) => ({ port: w.port, fd: w.path === undefined ? STDERR_FD : openOutputFile(w.path, 'debug console file') }));
}

function parseModules(specs: string[]): MultibootModule[] {
  return specs.map((spec) => {
    const comma = spec.indexOf(',');
    const path = comma < 0 ? spec : spec.slice(0, comma);
    const args = comma < 0 ? '' : spec.slice(comma + 1);
    if (path === '') throw new UsageError(`tabvm run: bad --module "${spec}": write FILE or FILE,ARGS`);
    return { string: args === '' ? path : `${path} ${args}`, data: readInputFile(path, 'module') };
  });
}

/** The drive a --boot letter names. */
const BOOT_DRIVES = { c: 'hda', d: 'cdrom', a: 'fda' } as const;
type BootLetter = keyof typeof BOOT_DRIVES;
const SECTOR_BYTES = 512;
const CD_SECTOR_BYTES = 2048;
/** ECMA-119 §8.1: the first volume descriptor at sector 16 starts with a type byte and "CD001". */
const ISO_DESCRIPTOR_ID_OFFSET = 16 * CD_SECTOR_BYTES + 1;
const ISO_STANDARD_ID = 'CD001';
/** Floppy geometries the FDC models (and QEMU's fda) accept, in KiB. */
const FLOPPY_SIZES_KIB = [160, 180, 320, 360, 720, 1200, 1440, 2880];
const KIB = 1024;
/** Option ROM header: 55 AA, then its length in 512-byte units (PCI Firmware spec §5.1). */
const OPTION_ROM_SIGNATURE = 0xaa55;
const OPTION_ROM_SIZE_UNIT = 512;
const OPTION_ROM_MAX_BYTES = 0x20000;
const BIOS_SIZE_UNIT = 0x10000;
const BIOS_MAX_BYTES = 0x40000;
const RESET_VECTOR_FROM_END = 16;
const OPCODE_JMP_FAR = 0xea;
const OPCODE_JMP_NEAR = 0xe9;
const BYTE_MASK = 0xff;

/** The system BIOS: a whole number of 64 KiB, at most 256 KiB, with a jump at the reset vector. */
function checkBios(data: Uint8Array, path: string): void {
  if (data.length === 0 || data.length % BIOS_SIZE_UNIT !== 0 || data.length > BIOS_MAX_BYTES) {
    throw new UsageError(
      `tabvm run: ${path}: not a BIOS image: ${data.length} bytes (a system BIOS is 64, 128, 192 or 256 KiB; truncated?)`,
    );
  }
  const op = data[data.length - RESET_VECTOR_FROM_END];
  if (op !== OPCODE_JMP_FAR && op !== OPCODE_JMP_NEAR) {
    throw new UsageError(`tabvm run: ${path}: not a BIOS image: no jump at its reset vector (offset size-16); corrupt?`);
  }
}

/** A VGA BIOS: an option ROM whose declared length fits the file and whose bytes sum to 0. */
function checkOptionRom(data: Uint8Array, path: string): void {
  if (data.length < 3 || (data[0] | (data[1] << 8)) !== OPTION_ROM_SIGNATURE) {
    throw new UsageError(`tabvm run: ${path}: not an option ROM (no 55 AA signature)`);
  }
  const len = data[2] * OPTION_ROM_SIZE_UNIT;
  if (len === 0 || len > data.length) {
    throw new UsageError(`tabvm run: ${path}: the option ROM declares ${len} bytes but the file has ${data.length} (truncated?)`);
  }
  if (len > OPTION_ROM_MAX_BYTES) throw new UsageError(`tabvm run: ${path}: the option ROM is larger than 128 KiB`);
  let sum = 0;
  for (let i = 0; i < len; i++) sum = (sum + data[i]) & BYTE_MASK;
  if (sum !== 0) throw new UsageError(`tabvm run: ${path}: bad option ROM checksum (its bytes must sum to 0 mod 256); corrupt?`);
}

/** Magic numbers of what Linux unpacks as an initrd: cpio archives, the compressions it knows, an ext2 image. */
function checkInitrd(data: Uint8Array, path: string): void {
  const starts = (...b: number[]): boolean => b.every((v, i) => data[i] === v);
  const EXT2_MAGIC_OFFSET = 1080;
  const known =
    starts(0x30, 0x37, 0x30, 0x37, 0x30) || // "07070": cpio newc/crc/odc
    starts(0x1f, 0x8b) || // gzip
    starts(0xfd, 0x37, 0x7a, 0x58, 0x5a) || // xz
    starts(0x42, 0x5a, 0x68) || // bzip2 "BZh"
    starts(0x5d, 0x00) || // lzma
    starts(0x89, 0x4c, 0x5a, 0x4f) || // lzop
    starts(0x02, 0x21, 0x4c, 0x18) || // lz4 legacy
    starts(0x28, 0xb5, 0x2f, 0xfd) || // zstd
    (data.length > EXT2_MAGIC_OFFSET + 1 && data[EXT2_MAGIC_OFFSET] === 0x53 && data[EXT2_MAGIC_OFFSET + 1] === 0xef);
  if (data.length === 0) throw new UsageError(`tabvm run: ${path}: the initrd is empty`);
  if (!known) {
    throw new UsageError(`tabvm run: ${path}: not an initrd (no cpio, gzip, xz, bzip2, lzma, lzo, lz4, zstd or ext2 signature)`);
  }
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EISDIR'
      ? 'it is a directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : String(code ?? err);
}

/** Opens and checks a disk image; hda and fda read-write when the file allows it. */
function openDrive(kind: DiskImage['kind'], path: string, notices: string[]): DiskImage {
  let fd: number;
  let readOnly = kind === 'cdrom';
  try {
    fd = openSync(path, readOnly ? 'r' : 'r+');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (readOnly || (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM')) {
      throw new UsageError(`tabvm run: cannot open --${kind} "${path}": ${errnoText(err)}`);
    }
    try {
      fd = openSync(path, 'r');
    } catch (err2) {
      throw new UsageError(`tabvm run: cannot open --${kind} "${path}": ${errnoText(err2)}`);
    }
    readOnly = true;
    notices.push(`--${kind} ${path} is not writable: the guest sees it read-only`);
  }
  const fail = (why: string): never => {
    closeSync(fd);
    throw new UsageError(`tabvm run: --${kind} "${path}": ${why}`);
  };
  const st = fstatSync(fd);
  if (st.isDirectory()) fail('it is a directory');
  if (!st.isFile() && !st.isBlockDevice()) fail('not a regular file');
  const size = st.size;
  // A read proves the file is readable (a directory, or a device without media, fails here).
  try {
    readSync(fd, new Uint8Array(Math.min(size, SECTOR_BYTES)), 0, Math.min(size, SECTOR_BYTES), 0);
  } catch (err) {
    fail(`cannot read it: ${errnoText(err)}`);
  }
  if (size === 0) fail('the image is empty');
  if (kind === 'hda' && size % SECTOR_BYTES !== 0) fail(`${size} bytes is not a whole number of 512-byte sectors (truncated?)`);
  if (kind === 'fda' && !FLOPPY_SIZES_KIB.includes(size / KIB)) {
    fail(`${size} bytes is not a floppy size (160K 180K 320K 360K 720K 1200K 1440K 2880K)`);
  }
  if (kind === 'cdrom') {
    if (size % CD_SECTOR_BYTES !== 0) fail(`${size} bytes is not a whole number of 2048-byte sectors (truncated?)`);
    const id = new Uint8Array(ISO_STANDARD_ID.length);
    const n = size > ISO_DESCRIPTOR_ID_OFFSET + id.length ? readSync(fd, id, 0, id.length, ISO_DESCRIPTOR_ID_OFFSET) : 0;
    if (n !== id.length || new TextDecoder().decode(id) !== ISO_STANDARD_ID) {
      fail('not an ISO 9660 image (no "CD001" volume descriptor at sector 16)');
    }
  }
  return { kind, path, fd, size, readOnly };
}

/** A prepared image from the images folder, checked against its recorded checksum. */
function preparedImage(name: string, option: string): { path: string; data: Uint8Array } {
  const found = findPreparedImage(name);
  if (!found.ok) {
    throw new UsageError(`tabvm run: no ${option} given and ${found.why}: run "tabvm images prepare" or give ${option} FILE`);
  }
  return { path: found.path, data: found.data };
}

async function runCommand(args: string[]): Promise<number> {
  const p = parseArgs(args);
  if (p.flags.has('help')) {
    process.stdout.write(USAGE);
    return STATUS_OK;
  }
  const engine = p.strings.get('engine') ?? 'jit';
  if (engine !== 'jit' && engine !== 'interp') throw new UsageError(`tabvm run: unknown --engine "${engine}": use jit or interp`);
  const accel = p.strings.get('accel') ?? 'wasm';
  if (accel === 'kvm' || accel === 'kqemu') throw new UsageError(`tabvm run: --accel ${accel} is not available yet; use --accel wasm`);
  if (accel !== 'wasm') throw new UsageError(`tabvm run: unknown --accel "${accel}": use wasm`);
  const clock = p.strings.get('clock') ?? 'realtime';
  if (clock !== 'realtime' && clock !== 'deterministic') {
    throw new UsageError(`tabvm run: unknown --clock "${clock}": use realtime or deterministic`);
  }
  const memMiB = parseMem(p.strings.get('mem'));
  const timeoutS = parseTimeout(p.strings.get('timeout'));
  const bootText = p.strings.get('boot');
  if (bootText !== undefined && !Object.hasOwn(BOOT_DRIVES, bootText)) {
    throw new UsageError(`tabvm run: unknown --boot "${bootText}": use c (hard disk), d (CD) or a (floppy)`);
  }
  const kernelPath = p.strings.get('kernel');
  const multibootPath = p.strings.get('multiboot');
  const drivePaths = (['hda', 'cdrom', 'fda'] as const).filter((k) => p.strings.has(k));
  if (kernelPath !== undefined && multibootPath !== undefined) {
    throw new UsageError('tabvm run: give either --kernel (Linux) or --multiboot, not both');
  }
  if (p.strings.has('initrd') && kernelPath === undefined) throw new UsageError('tabvm run: --initrd needs --kernel');
  if (p.lists.has('module') && multibootPath === undefined) throw new UsageError('tabvm run: --module needs --multiboot');
  const hostLoaded = kernelPath !== undefined || multibootPath !== undefined;
  if (hostLoaded && (p.strings.has('bios') || p.strings.has('vga-bios'))) {
    // TODO(platform): SeaBIOS first, then the kernel through fw_cfg and a linuxboot option ROM, as QEMU does.
    throw new UsageError(
      'tabvm run: --kernel/--multiboot with --bios (firmware first) is not available yet; drop --bios to boot the kernel directly',
    );
  }
  if (hostLoaded && (drivePaths.length || bootText !== undefined)) {
    // TODO(platform): disks next to a directly booted kernel, once the storage devices land.
    throw new UsageError(
      'tabvm run: disks (--hda/--cdrom/--fda/--boot) need the firmware boot path; drop --kernel/--multiboot to boot from a disk',
    );
  }
  if (!hostLoaded && !drivePaths.length && !p.strings.has('bios')) {
    throw new UsageError(
      'tabvm run: no guest to boot: give --kernel FILE, --multiboot FILE or a disk (--hda/--cdrom/--fda) (see tabvm run --help)',
    );
  }
  let bootLetter: BootLetter = drivePaths.length ? ({ hda: 'c', cdrom: 'd', fda: 'a' } as const)[drivePaths[0]] : 'c';
  if (bootText !== undefined) {
    bootLetter = bootText as BootLetter;
    if (!p.strings.has(BOOT_DRIVES[bootLetter])) {
      throw new UsageError(`tabvm run: --boot ${bootLetter} needs --${BOOT_DRIVES[bootLetter]} FILE`);
    }
  }

  let boot: BootSource;
  if (multibootPath !== undefined) {
    const data = readInputFile(multibootPath, 'kernel');
    boot = {
      kind: 'multiboot',
      kernel: { name: multibootPath, data, append: p.strings.get('append'), modules: parseModules(p.lists.get('module') ?? []) },
    };
    try {
      parseMultibootKernel(data);
    } catch (err) {
      if (err instanceof MultibootError) throw new UsageError(`tabvm run: ${multibootPath}: ${err.message}`);
      throw err;
    }
  } else if (kernelPath !== undefined) {
    const kernel = readInputFile(kernelPath, 'kernel');
    const initrdPath = p.strings.get('initrd');
    const initrd = initrdPath === undefined ? undefined : readInputFile(initrdPath, 'initrd');
    if (initrd !== undefined) checkInitrd(initrd, initrdPath as string);
    const linux = { kernel, initrd, cmdline: p.strings.get('append') };
    try {
      planLinuxBoot(linux, memMiB * MIB);
    } catch (err) {
      if (err instanceof LinuxBootError) throw new UsageError(`tabvm run: ${kernelPath}: ${err.message}`);
      throw err;
    }
    boot = { kind: 'linux', linux };
  } else {
    const biosPath = p.strings.get('bios');
    const bios = biosPath === undefined ? preparedImage(BIOS_IMAGE, '--bios') : { path: biosPath, data: readInputFile(biosPath, 'BIOS') };
    checkBios(bios.data, bios.path);
    const vgaPath = p.strings.get('vga-bios');
    const vga =
      vgaPath === undefined ? preparedImage(VGA_BIOS_IMAGE, '--vga-bios') : { path: vgaPath, data: readInputFile(vgaPath, 'VGA BIOS') };
    checkOptionRom(vga.data, vga.path);
    boot = { kind: 'firmware', firmware: { bios: bios.data, vgaBios: vga.data }, bootOrder: bootLetter };
  }
  const notices: string[] = [];
  const drives: DiskImage[] = [];
  try {
    for (const k of drivePaths) drives.push(openDrive(k, p.strings.get(k) as string, notices));
  } catch (err) {
    for (const d of drives) closeSync(d.fd);
    throw err;
  }
  const statsFile = p.strings.get('stats');
  if (statsFile !== undefined) closeSync(openOutputFile(statsFile, 'stats file'));
  const debugcon = parseDebugcon(p.lists.get('debugcon') ?? []);

  let machine: NodeMachine;
  try {
    machine = await NodeMachine.create({
      boot,
      disks: drives,
      clock,
      memMiB,
      engine,
      noReboot: p.flags.has('no-reboot'),
      timeoutS,
      statsFile,
      debugcon,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (err) {
    const name = kernelPath ?? multibootPath ?? '';
    if (err instanceof MultibootError || err instanceof LinuxBootError) throw new UsageError(`tabvm run: ${name}: ${err.message}`);
    if (err instanceof Error && err.message.includes('core.wasm not found')) throw new UsageError(`tabvm: ${err.message}`);
    throw err;
  }
  for (const n of notices) process.stderr.write(`tabvm: ${n}\n`);
  const outcome = await machine.run();
  return outcome.status;
}

function version(): string {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** tabvm bench: the benchmarks of bench/run.mjs (npm run bench builds first). */
function benchCommand(args: string[]): number {
  if (args.length) throw new UsageError(`tabvm bench takes no arguments (got ${args.join(' ')})`);
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'run.mjs');
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  return r.status ?? STATUS_INTERNAL;
}

/** Runs the CLI; resolves to the process exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return STATUS_OK;
      case '--version':
      case '-V':
      case 'version':
        process.stdout.write(`tabvm ${version()}\n`);
        return STATUS_OK;
      case 'bench':
        return benchCommand(rest);
      case 'helper':
        throw new UsageError('tabvm helper is not implemented yet (helper issue); tabvm run is available (see tabvm help)');
      case 'images':
        return await imagesCommand(rest, parseArgs);
      case undefined:
        process.stderr.write(USAGE);
        return STATUS_USAGE;
      default:
        throw new UsageError(`tabvm: unknown command "${command}" (see tabvm help)`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ImagesError) {
      process.stderr.write(`${err.message}\n`);
      return STATUS_USAGE;
    }
    process.stderr.write(`tabvm: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return STATUS_INTERNAL;
  }
}
