#!/usr/bin/env node
// Builds the libm program (libm.c) twice from the one source:
//   build/libm.elf    gcc -m32, a Multiboot kernel for tabvm (and QEMU)
//   build/libm-native gcc -m64, a static Linux program for the host CPU
// Each build compiles libm.c three times: the driver, the x87 part
// (-mfpmath=387 -ffast-math: inline FSIN/FPTAN/FYL2X/...) and the SSE part
// (-mfpmath=sse -ffp-contract=off). Afterwards it checks the disassembly of
// both builds: the x87 part must hold the x87 transcendental instructions and
// no calls (gcc could have fallen back to libm), the SSE part no x87
// arithmetic. Rebuilds only when an input is newer than the outputs.
//
// Usage: node images/tests/libm/build.mjs [--libc32]   (prints the paths)
// --libc32 also builds build/libm-glibc32, a static -m32 glibc build, for
// information: run it with qemu-i386-static (this host cannot run it).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = join(DIR, 'build');
const SOURCE = join(DIR, 'libm.c');
const LINKER_SCRIPT = join(DIR, 'kernel.ld');
export const KERNEL = join(BUILD_DIR, 'libm.elf');
export const NATIVE = join(BUILD_DIR, 'libm-native');

const COMMON = [
  '-O2',
  '-msse4.2',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-stack-protector',
  '-fno-pie',
  '-fno-asynchronous-unwind-tables',
  '-fno-tree-loop-distribute-patterns',
  '-Wall',
  '-Werror',
];
const PARTS = {
  driver: ['-DPART_DRIVER', '-mfpmath=sse', '-ffp-contract=off'],
  x87: ['-DPART_X87', '-mfpmath=387', '-ffast-math'],
  sse: ['-DPART_SSE', '-mfpmath=sse', '-ffp-contract=off'],
};
const LIBC32 = join(BUILD_DIR, 'libm-glibc32');
const TARGETS = {
  kernel: {
    out: KERNEL,
    arch: ['-m32', '-DTABVM_KERNEL'],
    link: ['-m32', '-nostdlib', '-static', '-no-pie', '-T', LINKER_SCRIPT, '-Wl,--build-id=none'],
  },
  native: { out: NATIVE, arch: ['-m64'], link: ['-m64', '-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none'] },
  // Information only (--libc32): a static -m32 glibc build for qemu-i386-static.
  libc32: { out: LIBC32, optional: true, arch: ['-m32', '-DUSE_LIBC'], link: ['-m32', '-static', '-no-pie', '-Wl,--build-id=none'] },
};
/** The x87 instructions gcc must have expanded inline in the x87 part. */
const X87_REQUIRED = ['fsin', 'fcos', 'fptan', 'fpatan', 'fyl2x', 'f2xm1', 'fscale', 'frndint'];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function mtime(p) {
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

/** Mnemonics in one object file's disassembly. */
function mnemonics(obj) {
  const text = run('objdump', ['-d', '--no-show-raw-insn', obj]);
  const set = new Set();
  for (const line of text.split('\n')) {
    const m = /^\s+[0-9a-f]+:\s+([a-z0-9]+)/.exec(line);
    if (m) set.add(m[1]);
  }
  return set;
}

function check(target, objs) {
  const x87 = mnemonics(objs.x87);
  for (const op of X87_REQUIRED) {
    if (!x87.has(op)) throw new Error(`${target}: x87 part lacks ${op} (gcc did not expand it inline)`);
  }
  if ([...x87].some((op) => op.startsWith('call'))) throw new Error(`${target}: x87 part calls a function`);
  const sse = mnemonics(objs.sse);
  const x87Arith = [...sse].filter((op) => /^f(add|sub|mul|div|sqrt|sin|cos|ptan|patan|yl2x|2xm1|scale|rndint)/.test(op));
  if (x87Arith.length) throw new Error(`${target}: SSE part uses x87 arithmetic: ${x87Arith.join(' ')}`);
}

export function buildLibm(withLibc32 = false) {
  mkdirSync(BUILD_DIR, { recursive: true });
  const newest = Math.max(mtime(SOURCE), mtime(LINKER_SCRIPT), mtime(fileURLToPath(import.meta.url)));
  for (const [target, t] of Object.entries(TARGETS)) {
    if (mtime(t.out) > newest || (t.optional && !withLibc32)) continue;
    const objs = {};
    for (const [part, flags] of Object.entries(PARTS)) {
      const obj = join(BUILD_DIR, `${target}-${part}.o`);
      run('gcc', [...t.arch, ...COMMON, ...flags, '-c', SOURCE, '-o', obj]);
      objs[part] = obj;
    }
    check(target, objs);
    run('gcc', [...t.link, '-o', t.out, objs.driver, objs.x87, objs.sse, '-lgcc']);
  }
  return { kernel: KERNEL, native: NATIVE };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const withLibc32 = process.argv.includes('--libc32');
  const out = buildLibm(withLibc32);
  console.log(`${out.kernel}\n${out.native}${withLibc32 ? `\n${LIBC32}` : ''}`);
}
