// The tabvm command line (DESIGN §7). bin/tabvm imports this file from dist/.
//
// Exit statuses are a contract tests and scripts rely on:
//   (v << 1) | 1  the guest wrote v to isa-debug-exit (port 0xf4)
//   0             guest reset with --no-reboot, guest halted for good, Ctrl-A x, help
//   2             bad arguments or bad input files: one line on stderr saying
//                 what was wrong and what to do (no stack trace)
//   124           --timeout reached
//   70            an internal error (a bug in tabvm: the stack trace is printed)

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { LinuxBootError, firmwareLinuxItems, planLinuxBoot, type LinuxBootInput } from '../host/linux-boot.js';
import { MultibootError, parseMultibootKernel, type MultibootModule } from '../host/multiboot.js';
import { DEFAULT_PROFILE_INTERVAL, MIN_PROFILE_INTERVAL } from '../host/guest-profile.js';
import { NodeMachine, type BootSource, type DebugconSink, type DiskImage } from '../host/node-machine.js';
import { kqemuUnavailableReason } from './kqemu/device.js';
import { kvmUnavailableReason } from './kvm/availability.js';
import type { WorkerMachineOptions, WorkerResult } from './machine-worker.js';
import { kvmSpeedProbe } from './kvm/speed-probe.js';
import { BIOS_IMAGE, LINUXBOOT_ROM_IMAGE, VGA_BIOS_IMAGE, ImagesError, findPreparedImage, imagesCommand, imagesDir } from './images.js';
import { DEFAULT_LIMITS, listEngines } from './machines.js';
import { HelperServer } from './server.js';

export const STATUS_OK = 0;
export const STATUS_USAGE = 2;
export const STATUS_INTERNAL = 70;

const DEFAULT_MEM_MIB = 256;
const MIB = 1024 * 1024;
/** Debian's qemu-system-data installs QEMU's linuxboot option ROM here. */
const HOST_LINUXBOOT_ROM = '/usr/share/qemu/linuxboot_dma.bin';
const MAX_MEM_MIB = 3072;
/** The core counts the profile interval in a u32. */
const MAX_PROFILE_INTERVAL = 0xffff_ffff;
const MAX_PORT = 0xffff;
const PORT_DEBUGCON_DEFAULT = 0xe9;
const MAX_DEBUGCON = 4;
const STDERR_FD = 2;
const CTRL_A = 0x01;
const QUIT_KEY = 0x78; // 'x' after Ctrl-A

/** A mistake of the user's: reported in one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: tabvm <command> [options]

commands:
  run [options]       boot a machine in Node; guest serial (COM1) on stdin/stdout
  helper [options]    serve machines to the browser over WebSocket (see tabvm helper --help)
  images prepare|list prepare the default guest images (SeaBIOS, Linux, busybox) / show them
  bench               run the benchmarks (guest instructions per second, ratios to native)
  help                show this text
  --version           print the version

tabvm run options:
  (the guest: --kernel or --multiboot booted directly, else the firmware boots --hda/--cdrom/--fda;
   disks given with a kernel are attached for it to use)
  --kernel FILE       Linux bzImage, started through the Linux boot protocol (32-bit entry);
                      with --bios, SeaBIOS runs first and boots it (QEMU's linuxboot_dma.bin ROM)
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
  --accel wasm|kvm|kqemu  where guest code runs: the Wasm CPU (default), /dev/kvm or /dev/kqemu
                      (kvm/kqemu need the native addon and the device; exit 2 says why when missing)
  --clock realtime|deterministic  guest time: the host's clock (default), or 10 ns per instruction
  --no-reboot         exit with status 0 when the guest resets
  --timeout S         stop after S seconds with exit status 124
  --stats FILE        write the final counters as JSON
  --profile FILE      sample the guest's EIP and write the histogram as JSON at the end (and on
                      SIGUSR2, which then starts a new one); bench/guest-profile.mjs symbolises it
  --profile-interval N  guest instructions per sample (default ${DEFAULT_PROFILE_INTERVAL}, at least ${MIN_PROFILE_INTERVAL})
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
  profile: 'string',
  'profile-interval': 'string',
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

function parseProfileInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < MIN_PROFILE_INTERVAL || n > MAX_PROFILE_INTERVAL) {
    throw new UsageError(
      `tabvm run: --profile-interval must be a whole number of instructions from ${MIN_PROFILE_INTERVAL} to ${MAX_PROFILE_INTERVAL} (got "${text}")`,
    );
  }
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

/**
 * --kernel, --initrd and --append read and checked by `check` (the direct
 * boot's plan or the fw_cfg items SeaBIOS loads), so that both paths refuse
 * the same bad input with the same message.
 */
function readLinuxInput(
  p: ParsedArgs,
  kernelPath: string,
  memMiB: number,
  check: (linux: LinuxBootInput, ramBytes: number) => unknown,
): LinuxBootInput {
  const kernel = readInputFile(kernelPath, 'kernel');
  const initrdPath = p.strings.get('initrd');
  const initrd = initrdPath === undefined ? undefined : readInputFile(initrdPath, 'initrd');
  if (initrd !== undefined) checkInitrd(initrd, initrdPath as string);
  const linux = { kernel, initrd, cmdline: p.strings.get('append') };
  try {
    check(linux, memMiB * MIB);
  } catch (err) {
    if (err instanceof LinuxBootError) throw new UsageError(`tabvm run: ${kernelPath}: ${err.message}`);
    throw err;
  }
  return linux;
}

/**
 * The kernel SeaBIOS boots (--kernel with --bios), with QEMU's
 * linuxboot_dma.bin option ROM: the prepared one, else the host's
 * qemu-system-data copy.
 */
function firmwareKernelInput(p: ParsedArgs, kernelPath: string, memMiB: number): { linux: LinuxBootInput; optionRom: Uint8Array } {
  const linux = readLinuxInput(p, kernelPath, memMiB, firmwareLinuxItems);
  const found = findPreparedImage(LINUXBOOT_ROM_IMAGE);
  if (found.ok) return { linux, optionRom: found.data };
  if (existsSync(HOST_LINUXBOOT_ROM)) return { linux, optionRom: readInputFile(HOST_LINUXBOOT_ROM, 'option ROM') };
  throw new UsageError(
    `tabvm run: --kernel with --bios needs QEMU's ${LINUXBOOT_ROM_IMAGE} option ROM and ${found.why}: run "tabvm images prepare" (or apt-get install qemu-system-data)`,
  );
}

/** A prepared image from the images folder, checked against its recorded checksum. */
function preparedImage(name: string, option: string): { path: string; data: Uint8Array } {
  const found = findPreparedImage(name);
  if (!found.ok) {
    throw new UsageError(`tabvm run: no ${option} given and ${found.why}: run "tabvm images prepare" or give ${option} FILE`);
  }
  return { path: found.path, data: found.data };
}

/**
 * --accel kvm|kqemu: the device must be usable (else a usage error, status 2,
 * with the reason); KVM first runs its speed probe and says how fast it is.
 * TABVM_KQEMU_DEVICE=substitute runs kqemu against the substitute device (tests).
 */
function checkAccelerator(accel: 'wasm' | 'kvm' | 'kqemu'): void {
  if (accel === 'wasm') return;
  if (accel === 'kqemu') {
    if (process.env.TABVM_KQEMU_DEVICE === 'substitute') return;
    const why = kqemuUnavailableReason();
    if (why !== undefined) throw new UsageError(`tabvm run: --accel kqemu is unavailable: ${why}; use --accel wasm`);
    return;
  }
  const why = kvmUnavailableReason();
  if (why !== undefined) throw new UsageError(`tabvm run: --accel kvm is unavailable: ${why}; use --accel wasm`);
  process.stderr.write(`tabvm: ${kvmSpeedProbe().summary}\n`);
}

/**
 * The machine in a worker (helper/machine-worker.ts): the vCPU blocks that
 * thread, this one keeps the terminal. stdin goes to the worker; on a
 * terminal Ctrl-A x still quits (handled here, as the worker has no TTY).
 */
async function runInWorker(options: WorkerMachineOptions, accel: 'kvm' | 'kqemu'): Promise<number> {
  const worker = new Worker(new URL('./machine-worker.js', import.meta.url), { workerData: { options, accel }, stdin: true });
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  let sawCtrlA = false;
  const onData = (chunk: Buffer): void => {
    if (!raw) {
      worker.stdin?.write(chunk);
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (sawCtrlA) {
        sawCtrlA = false;
        if (b === QUIT_KEY) void worker.terminate();
        else out.push(b);
      } else if (b === CTRL_A) sawCtrlA = true;
      else out.push(b);
    }
    if (out.length) worker.stdin?.write(Buffer.from(out));
  };
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.on('end', () => worker.stdin?.end());
  try {
    const result = await new Promise<WorkerResult | undefined>((resolve, reject) => {
      worker.once('message', (m: WorkerResult) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', () => resolve(undefined));
    });
    if (result === undefined) return STATUS_OK; // Ctrl-A x
    if ('error' in result) {
      if (result.usage) throw new UsageError(`tabvm run: --accel ${accel}: ${result.error}`);
      throw new Error(result.error);
    }
    return result.outcome.status;
  } finally {
    stdin.off('data', onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    (stdin as { unref?: () => void }).unref?.();
    await worker.terminate();
  }
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
  if (accel !== 'wasm' && accel !== 'kvm' && accel !== 'kqemu')
    throw new UsageError(`tabvm run: unknown --accel "${accel}": use wasm, kvm or kqemu`);
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
  // --kernel with an explicit --bios: the firmware runs first and boots the kernel (as QEMU -kernel does).
  const firmwareKernel = kernelPath !== undefined && p.strings.has('bios');
  const hostLoaded = (kernelPath !== undefined && !firmwareKernel) || multibootPath !== undefined;
  if (p.strings.has('vga-bios') && kernelPath !== undefined && !firmwareKernel) {
    throw new UsageError('tabvm run: --vga-bios with --kernel needs --bios (firmware first); drop --vga-bios to boot the kernel directly');
  }
  if (accel === 'kvm' && !hostLoaded) {
    // UNFINISHED: SeaBIOS under KVM needs its ROM as read-only memory slots and PAM shadowing.
    throw new UsageError(
      firmwareKernel
        ? 'tabvm run: --accel kvm boots --kernel without --bios only (SeaBIOS under KVM is not implemented yet): drop --bios'
        : 'tabvm run: --accel kvm boots --kernel or --multiboot guests only (SeaBIOS under KVM is not implemented yet)',
    );
  }
  if (multibootPath !== undefined && (p.strings.has('bios') || p.strings.has('vga-bios'))) {
    throw new UsageError('tabvm run: --multiboot with --bios (firmware first) is not available; drop --bios to boot the kernel directly');
  }
  // Disks next to a kernel are attached as with the firmware (QEMU's -kernel with -hda); only the boot order has no meaning.
  if ((hostLoaded || firmwareKernel) && bootText !== undefined) {
    throw new UsageError('tabvm run: --boot picks the disk the firmware boots; a --kernel or --multiboot guest boots itself: drop --boot');
  }
  if (!hostLoaded && !firmwareKernel && !drivePaths.length && !p.strings.has('bios')) {
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
  } else if (kernelPath !== undefined && !firmwareKernel) {
    boot = { kind: 'linux', linux: readLinuxInput(p, kernelPath, memMiB, planLinuxBoot) };
  } else {
    const biosPath = p.strings.get('bios');
    const bios = biosPath === undefined ? preparedImage(BIOS_IMAGE, '--bios') : { path: biosPath, data: readInputFile(biosPath, 'BIOS') };
    checkBios(bios.data, bios.path);
    const vgaPath = p.strings.get('vga-bios');
    const vga =
      vgaPath === undefined ? preparedImage(VGA_BIOS_IMAGE, '--vga-bios') : { path: vgaPath, data: readInputFile(vgaPath, 'VGA BIOS') };
    checkOptionRom(vga.data, vga.path);
    boot = { kind: 'firmware', firmware: { bios: bios.data, vgaBios: vga.data }, bootOrder: bootLetter };
    if (kernelPath !== undefined) boot.kernel = firmwareKernelInput(p, kernelPath, memMiB);
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
  const profileFile = p.strings.get('profile');
  if (profileFile !== undefined) closeSync(openOutputFile(profileFile, 'profile file'));
  const profileInterval = parseProfileInterval(p.strings.get('profile-interval'));
  const debugcon = parseDebugcon(p.lists.get('debugcon') ?? []);
  checkAccelerator(accel);

  const machineOptions: WorkerMachineOptions = {
    boot,
    disks: drives,
    clock,
    memMiB,
    // The accelerators hand single instructions to the Wasm CPU: no JIT there.
    engine: accel === 'wasm' ? engine : 'interp',
    noReboot: p.flags.has('no-reboot'),
    timeoutS,
    statsFile,
    profileFile,
    profileInterval,
    debugcon,
  };
  if (accel !== 'wasm') {
    for (const n of notices) process.stderr.write(`tabvm: ${n}\n`);
    return await runInWorker(machineOptions, accel);
  }
  let machine: NodeMachine;
  try {
    machine = await NodeMachine.create({
      ...machineOptions,
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

const HELPER_OPTIONS: Record<string, OptionKind> = {
  host: 'string',
  port: 'string',
  images: 'string',
  origin: 'list',
  'max-machines': 'string',
  'max-mem': 'string',
  help: 'flag',
};

const HELPER_USAGE = `usage: tabvm helper [options]

Runs machines for the browser (or any WebSocket client) on this host: on KVM
where /dev/kvm works, else on the Wasm engine (protocol: helper/PROTOCOL.md).

  --host ADDR         listen address (default 127.0.0.1; anything else exposes the helper)
  --port N            TCP port (default 0: any free port; the URL printed says which)
  --images DIR        the folder clients may boot images from (default: the prepared images folder)
  --origin URL        a browser Origin allowed to connect (repeatable; default the tabvm dev/preview servers)
  --max-machines N    machines per client (default ${DEFAULT_LIMITS.maxMachinesPerClient})
  --max-mem MiB       guest memory per client (default ${DEFAULT_LIMITS.maxMemMiBPerClient})
`;

function positiveInt(text: string | undefined, option: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`tabvm helper: ${option} must be a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

/** tabvm helper: the WebSocket server (helper/server.ts) until SIGINT/SIGTERM. */
async function helperCommand(args: string[]): Promise<number> {
  const p = parseArgs(args, HELPER_OPTIONS, 'tabvm helper');
  if (p.flags.has('help')) {
    process.stdout.write(HELPER_USAGE);
    return STATUS_OK;
  }
  const portText = p.strings.get('port');
  const port = portText === undefined ? 0 : positiveInt(portText, '--port', 0, MAX_PORT);
  const imagesDirPath = p.strings.get('images') ?? imagesDir();
  if (!existsSync(imagesDirPath)) {
    throw new UsageError(
      `tabvm helper: the images folder ${imagesDirPath} does not exist: run "tabvm images prepare" or give --images DIR`,
    );
  }
  for (const o of p.lists.get('origin') ?? []) {
    if (!/^https?:\/\/[^/]+$/.test(o))
      throw new UsageError(`tabvm helper: bad --origin "${o}": give scheme://host[:port], e.g. http://localhost:5173`);
  }
  const limits = {
    maxMachinesPerClient: positiveInt(p.strings.get('max-machines'), '--max-machines', DEFAULT_LIMITS.maxMachinesPerClient, 64),
    maxMemMiBPerClient: positiveInt(p.strings.get('max-mem'), '--max-mem', DEFAULT_LIMITS.maxMemMiBPerClient, 65536),
  };
  let server: HelperServer;
  try {
    server = await HelperServer.start({
      host: p.strings.get('host') ?? '127.0.0.1',
      port,
      imagesDir: imagesDirPath,
      origins: p.lists.get('origin'),
      limits,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new UsageError(`tabvm helper: cannot listen on ${p.strings.get('host') ?? '127.0.0.1'}:${port}: ${code}`);
    }
    throw err;
  }
  for (const e of listEngines())
    process.stderr.write(`tabvm helper: engine ${e.name}: ${e.available ? 'available' : `unavailable: ${e.reason}`}\n`);
  if (listEngines().find((e) => e.name === 'kvm')?.available) process.stderr.write(`tabvm helper: ${kvmSpeedProbe().summary}\n`);
  process.stdout.write(`tabvm helper listening: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stderr.write('tabvm helper: stopped every machine; bye\n');
  return STATUS_OK;
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
        return await helperCommand(rest);
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
