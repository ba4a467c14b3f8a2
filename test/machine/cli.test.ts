// The tabvm CLI contract (DESIGN §7): exit statuses and one-line errors,
// checked by spawning `node bin/tabvm` on small kernels built at test time.
//
// The guest-running cases need the IN/OUT, MOV, JMP, CLI/HLT, CMP/Jcc
// handlers that other core families provide; the argument and file checks
// and the triple-fault case run on the bare core.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABVM = join(ROOT, 'bin', 'tabvm');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const LINK_LD = join(ROOT, 'images', 'tests', 'link.ld');
const STATUS_USAGE = 2;
const STATUS_TIMEOUT = 124;
const KILL_AFTER_MS = 60_000;

/** Shared prologue: Multiboot header, then `main` in 32-bit protected mode. */
const PROLOGUE = `
bits 32
section .multiboot
    dd 0x1BADB002
    dd 0x3
    dd -(0x1BADB002 + 0x3)
section .text
global _start
_start:
`;

const KERNELS: Record<string, string> = {
  // jmp $ forever.
  loop: `jmp $`,
  // isa-debug-exit with v = 0x2a: status (0x2a << 1) | 1 = 85.
  exit: `
    mov al, 0x2a
    out 0xf4, al
    cli
    hlt`,
  // Polled COM1 output, then exit with v = 0.
  serial: `
    mov esi, msg
.next:
    mov al, [esi]
    test al, al
    jz .done
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, [esi]
    mov dx, 0x3f8
    out dx, al
    inc esi
    jmp .next
.done:
    mov al, 0
    out 0xf4, al
msg: db "ok from COM1", 10, 0`,
  // Echo COM1 input until 'q', then exit with v = 3 (status 7).
  echo: `
.poll:
    mov dx, 0x3fd
    in al, dx
    test al, 1
    jz .poll
    mov dx, 0x3f8
    in al, dx
    out dx, al
    cmp al, 'q'
    jne .poll
    mov al, 3
    out 0xf4, al`,
  // Debug console bytes on 0xe9 and on a POST port.
  debugcon: `
    mov al, 'd'
    out 0xe9, al
    mov al, 'b'
    out 0xe9, al
    mov al, 0x42
    out 0x80, al
    mov al, 0
    out 0xf4, al`,
  // cli; hlt: nothing can wake the CPU.
  halt: `
    cli
    hlt`,
  // #UD with no IDT: #NP on the gates, #DF, then a triple fault (reset).
  triple: `ud2`,
};

let dir: string;
const elf: Record<string, string> = {};

function tool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stdout + r.stderr}`);
}

function tabvm(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [TABVM, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: input ?? '',
    timeout: KILL_AFTER_MS,
    killSignal: 'SIGKILL',
  });
}

function expectUsageError(r: SpawnSyncReturns<string>, reason: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(r.status, r.stderr).toBe(STATUS_USAGE);
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(reason);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

beforeAll(() => {
  tool(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.json')]);
  dir = mkdtempSync(join(tmpdir(), 'tabvm-cli-'));
  for (const [name, body] of Object.entries(KERNELS)) {
    const src = join(dir, `${name}.asm`);
    writeFileSync(src, PROLOGUE + body + '\n');
    tool('nasm', ['-f', 'elf32', '-o', join(dir, `${name}.o`), src]);
    elf[name] = join(dir, `${name}.elf`);
    tool('ld', ['-m', 'elf_i386', '-T', LINK_LD, '-o', elf[name], join(dir, `${name}.o`)]);
  }
  writeFileSync(join(dir, 'not-a-kernel.txt'), 'hello\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tabvm: bad arguments and files exit 2 with one line', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown option', () => ['run', '--frobnicate'], /unknown option --frobnicate/],
    ['no guest', () => ['run'], /no guest to boot: give --kernel FILE, --multiboot FILE or a disk/],
    ['a missing kernel file', () => ['run', '--multiboot', join(dir, 'nope.elf')], /cannot read kernel .*no such file/],
    ['a file that is not a kernel', () => ['run', '--multiboot', join(dir, 'not-a-kernel.txt')], /not a Multiboot kernel/],
    ['a bad --mem', () => ['run', '--multiboot', elf.loop, '--mem', 'lots'], /--mem must be a whole number of MiB/],
    ['--mem 0', () => ['run', '--multiboot', elf.loop, '--mem', '0'], /--mem must be/],
    ['a bad --timeout', () => ['run', '--multiboot', elf.loop, '--timeout', '-1'], /--timeout must be a positive number/],
    ['an unknown --engine', () => ['run', '--multiboot', elf.loop, '--engine', 'turbo'], /unknown --engine "turbo"/],
    // Where the device exists the guest would run (elf.loop never ends): only hosts without it check the message.
    ...(existsSync('/dev/kvm')
      ? []
      : [
          ['--accel kvm without /dev/kvm', () => ['run', '--multiboot', elf.loop, '--accel', 'kvm'], /--accel kvm is unavailable: /] as [
            string,
            () => string[],
            RegExp,
          ],
        ]),
    ...(existsSync('/dev/kqemu')
      ? []
      : [
          [
            '--accel kqemu without /dev/kqemu',
            () => ['run', '--multiboot', elf.loop, '--accel', 'kqemu'],
            /--accel kqemu is unavailable: /,
          ] as [string, () => string[], RegExp],
        ]),
    [
      '--accel kvm with a disk',
      () => ['run', '--accel', 'kvm', '--hda', join(dir, 'nope.img')],
      /--accel kvm boots --kernel or --multiboot guests only/,
    ],
    [
      '--accel kvm with --kernel and --bios',
      () => ['run', '--accel', 'kvm', '--kernel', join(dir, 'nope.bzImage'), '--bios', join(dir, 'nope.bin')],
      /--accel kvm boots --kernel without --bios only .*: drop --bios/,
    ],
    ['an unknown --accel', () => ['run', '--multiboot', elf.loop, '--accel', 'hyperv'], /unknown --accel "hyperv": use wasm, kvm or kqemu/],
    ['a bad --debugcon', () => ['run', '--multiboot', elf.loop, '--debugcon', 'e9'], /bad --debugcon "e9": write PORT=FILE/],
    ['a --debugcon port out of range', () => ['run', '--multiboot', elf.loop, '--debugcon', '0x10000=x'], /bad --debugcon port/],
    [
      'a --stats file that cannot be written',
      () => ['run', '--multiboot', elf.loop, '--stats', join(dir, 'no', 'dir', 's.json')],
      /cannot write stats file/,
    ],
    ['a missing module', () => ['run', '--multiboot', elf.loop, '--module', join(dir, 'nope.img')], /cannot read module/],
    ['an option without its value', () => ['run', '--multiboot'], /--multiboot needs a value/],
    ['an unknown command', () => ['fly'], /unknown command "fly"/],
    ['a stray argument', () => ['run', 'kernel.elf'], /unexpected argument "kernel.elf"/],
  ];
  for (const [what, args, reason] of cases) {
    it(`refuses ${what}`, () => expectUsageError(tabvm(args()), reason));
  }
});

describe('tabvm: help and version', () => {
  it('prints help with status 0', () => {
    for (const args of [['help'], ['--help'], ['run', '--help']]) {
      const r = tabvm(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/tabvm run options:/);
    }
  });

  it('prints its version', () => {
    const r = tabvm(['--version']);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(`tabvm ${pkg.version}`);
  });
});

describe('tabvm run: exit statuses', () => {
  it('exits 124 when --timeout is reached', () => {
    const r = tabvm(['run', '--multiboot', elf.loop, '--mem', '4', '--timeout', '1']);
    expect(r.status, r.stderr).toBe(STATUS_TIMEOUT);
    expect(r.stderr).toMatch(/timeout after 1 s/);
  });

  it('exits 0 on a guest reset with --no-reboot, and writes --stats', () => {
    const stats = join(dir, 'stats.json');
    const r = tabvm(['run', '--multiboot', elf.triple, '--mem', '4', '--no-reboot', '--timeout', '20', '--stats', stats]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/guest reset; exiting \(--no-reboot\)/);
    const doc = JSON.parse(readFileSync(stats, 'utf8')) as {
      counters: { name: string; unit: string; kind: string; description: string; value: number }[];
    };
    const names = doc.counters.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['instructions', 'wall_time', 'cpu_time', 'instructions_per_second']));
    for (const c of doc.counters) {
      expect(Object.keys(c).sort()).toEqual(['description', 'kind', 'name', 'unit', 'value']);
      expect(['cumulative', 'instant', 'peak']).toContain(c.kind);
      expect(typeof c.value).toBe('number');
    }
  });

  it('runs the jit engine by default and --engine interp on request, as --stats records', () => {
    const engineOf = (extra: string[]): string => {
      const stats = join(dir, `engine-${extra.length}.json`);
      const r = tabvm(['run', '--multiboot', elf.triple, '--mem', '4', '--no-reboot', '--timeout', '20', '--stats', stats, ...extra]);
      expect(r.stderr).not.toMatch(/not built/);
      return (JSON.parse(readFileSync(stats, 'utf8')) as { engine: string }).engine;
    };
    expect(engineOf([])).toBe('jit');
    expect(engineOf(['--engine', 'interp'])).toBe('interp');
  });

  // Needs MOV r8, imm8 and OUT imm8, AL.
  it('exits (v << 1) | 1 when the guest writes v to isa-debug-exit', () => {
    const r = tabvm(['run', '--multiboot', elf.exit, '--mem', '4', '--timeout', '20']);
    expect(r.status, r.stderr).toBe((0x2a << 1) | 1);
  });

  // Needs CLI and HLT.
  it('stops with status 0 and a notice when the guest halts with interrupts disabled', () => {
    const r = tabvm(['run', '--multiboot', elf.halt, '--mem', '4', '--timeout', '20']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/guest halted with interrupts disabled/);
  });
});

describe('tabvm run: guest I/O', () => {
  // Needs MOV, TEST, Jcc, JMP, INC, IN and OUT.
  it('sends COM1 output to stdout', () => {
    const r = tabvm(['run', '--multiboot', elf.serial, '--mem', '4', '--timeout', '20']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('ok from COM1\n');
  });

  // Needs MOV, TEST, CMP, Jcc, IN and OUT.
  it('feeds stdin to COM1 without losing bytes', () => {
    const input = 'x'.repeat(3000) + 'q';
    const r = tabvm(['run', '--multiboot', elf.echo, '--mem', '4', '--timeout', '30'], input);
    expect(r.status, r.stderr).toBe((3 << 1) | 1);
    expect(r.stdout).toBe(input);
  });

  // Needs MOV r8, imm8 and OUT imm8, AL.
  it('sends port 0xe9 to stderr and --debugcon PORT=FILE ports to their file', () => {
    const post = join(dir, 'post.log');
    const r = tabvm([
      'run',
      '--multiboot',
      elf.debugcon,
      '--mem',
      '4',
      '--engine',
      'interp',
      '--timeout',
      '20',
      '--debugcon',
      `0x80=${post}`,
    ]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('db');
    expect([...readFileSync(post)]).toEqual([0x42]);
  });

  // Needs MOV r8, imm8 and OUT imm8, AL.
  it('can send port 0xe9 to a file instead of stderr', () => {
    const log = join(dir, 'e9.log');
    const r = tabvm([
      'run',
      '--multiboot',
      elf.debugcon,
      '--mem',
      '4',
      '--engine',
      'interp',
      '--timeout',
      '20',
      '--debugcon',
      `0xe9=${log}`,
    ]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    expect(readFileSync(log, 'utf8')).toBe('db');
  });
});
