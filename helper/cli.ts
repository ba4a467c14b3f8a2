// The tabvm command line (DESIGN §7). bin/tabvm imports this file from dist/.
//
// Exit statuses are a contract tests and scripts rely on:
//   (v << 1) | 1  the guest wrote v to isa-debug-exit (port 0xf4)
//   0             guest reset with --no-reboot, guest halted for good, Ctrl-A x, help
//   2             bad arguments or bad input files: one line on stderr saying
//                 what was wrong and what to do (no stack trace)
//   124           --timeout reached
//   70            an internal error (a bug in tabvm: the stack trace is printed)

import { openSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { MultibootError, type MultibootModule } from '../host/multiboot.js';
import { NodeMachine, type DebugconSink } from '../host/node-machine.js';

export const STATUS_OK = 0;
export const STATUS_USAGE = 2;
export const STATUS_INTERNAL = 70;

const DEFAULT_MEM_MIB = 256;
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
  bench               run the benchmarks (guest instructions per second, ratios to native)
  help                show this text
  --version           print the version

tabvm run options:
  --multiboot FILE    Multiboot v1 kernel (ELF32 i386, or a.out-kludge image)
  --append TEXT       kernel command line (the kernel sees "FILE TEXT", as under QEMU)
  --module FILE[,ARGS]  Multiboot module (repeatable); the kernel sees "FILE ARGS"
  --mem MiB           guest RAM, 1-${MAX_MEM_MIB} (default ${DEFAULT_MEM_MIB})
  --engine jit|interp CPU engine (default jit; the JIT is not built yet: jit runs the interpreter)
  --accel wasm        where guest code runs (kvm and kqemu are not available yet)
  --no-reboot         exit with status 0 when the guest resets
  --timeout S         stop after S seconds with exit status 124
  --stats FILE        write the final counters as JSON
  --debugcon PORT=FILE  bytes the guest writes to I/O port PORT go to FILE
                      (repeatable, up to ${MAX_DEBUGCON}; port 0xe9 goes to stderr unless redirected)
  --help              show this text

not implemented yet (PC platform issue): --kernel --initrd --bios --vga-bios --hda --cdrom --fda --boot

exit status: (v << 1) | 1 when the guest writes v to port 0xf4 (isa-debug-exit);
0 on reset with --no-reboot or when the guest halts with interrupts off;
124 on timeout; 2 on bad arguments or files.
On a terminal, Ctrl-A x quits and Ctrl-A Ctrl-A sends Ctrl-A.
`;

type OptionKind = 'string' | 'flag' | 'list';
const RUN_OPTIONS: Record<string, OptionKind> = {
  multiboot: 'string',
  append: 'string',
  module: 'list',
  mem: 'string',
  engine: 'string',
  accel: 'string',
  'no-reboot': 'flag',
  timeout: 'string',
  stats: 'string',
  debugcon: 'list',
  help: 'flag',
};
/** DESIGN §7 options that the PC platform issue implements. */
const PLATFORM_OPTIONS = ['kernel', 'initrd', 'bios', 'vga-bios', 'hda', 'cdrom', 'fda', 'boot'];

interface ParsedArgs {
  strings: Map<string, string>;
  lists: Map<string, string[]>;
  flags: Set<string>;
}

function parseArgs(args: string[]): ParsedArgs {
  const parsed: ParsedArgs = { strings: new Map(), lists: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h') {
      parsed.flags.add('help');
      continue;
    }
    if (!arg.startsWith('--'))
      throw new UsageError(`tabvm run: unexpected argument "${arg}" (options start with --; see tabvm run --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (PLATFORM_OPTIONS.includes(name)) {
      throw new UsageError(`tabvm run: --${name} is not implemented yet (platform issue); use --multiboot FILE for now`);
    }
    const kind = RUN_OPTIONS[name];
    if (kind === undefined) throw new UsageError(`tabvm run: unknown option --${name} (see tabvm run --help)`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(`tabvm run: --${name} takes no value`);
      parsed.flags.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new UsageError(`tabvm run: --${name} needs a value (see tabvm run --help)`);
      value = args[++i];
    }
    if (kind === 'list') parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
    else {
      if (parsed.strings.has(name)) throw new UsageError(`tabvm run: --${name} given twice; give it once`);
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
  const memMiB = parseMem(p.strings.get('mem'));
  const timeoutS = parseTimeout(p.strings.get('timeout'));
  const kernelPath = p.strings.get('multiboot');
  if (kernelPath === undefined) throw new UsageError('tabvm run: no guest to boot: give --multiboot FILE (see tabvm run --help)');
  const kernelData = readInputFile(kernelPath, 'kernel');
  const modules = parseModules(p.lists.get('module') ?? []);
  const statsFile = p.strings.get('stats');
  if (statsFile !== undefined) openOutputFile(statsFile, 'stats file');
  const debugcon = parseDebugcon(p.lists.get('debugcon') ?? []);

  let machine: NodeMachine;
  try {
    machine = await NodeMachine.create({
      kernel: { name: kernelPath, data: kernelData, append: p.strings.get('append'), modules },
      memMiB,
      engine: 'interp',
      noReboot: p.flags.has('no-reboot'),
      timeoutS,
      statsFile,
      debugcon,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (err) {
    if (err instanceof MultibootError) throw new UsageError(`tabvm run: ${kernelPath}: ${err.message}`);
    if (err instanceof Error && err.message.includes('core.wasm not found')) throw new UsageError(`tabvm: ${err.message}`);
    throw err;
  }
  if (engine === 'jit') process.stderr.write('tabvm: the jit engine is not built yet; running the interpreter\n');
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
        throw new UsageError('tabvm images is not implemented yet (PC platform issue); tabvm run is available (see tabvm help)');
      case undefined:
        process.stderr.write(USAGE);
        return STATUS_USAGE;
      default:
        throw new UsageError(`tabvm: unknown command "${command}" (see tabvm help)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return STATUS_USAGE;
    }
    process.stderr.write(`tabvm: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return STATUS_INTERNAL;
  }
}
