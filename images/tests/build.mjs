#!/usr/bin/env node
// Builds the system test kernels: images/tests/NAME.asm -> images/tests/build/NAME.elf
// (nasm -f elf32, then ld with link.ld, loaded at 1 MiB). A kernel is rebuilt
// only when its source, an include file, link.ld or this script is newer than
// its ELF. Prints one line per kernel; exits non-zero on failure.
//
// Usage: node images/tests/build.mjs [NAME...]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TESTS_DIR = dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = join(TESTS_DIR, 'build');
const LINKER_SCRIPT = join(TESTS_DIR, 'link.ld');

const TOOL_HINTS = {
  nasm: 'install nasm: apt-get install nasm',
  ld: 'install binutils (for ld): apt-get install binutils',
};

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function haveTool(tool) {
  const result = spawnSync(tool, ['-v'], { stdio: 'ignore' });
  return !result.error;
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.error) {
    throw new Error(`${cmd}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }
}

/** Lists kernel names (NAME of images/tests/NAME.asm), sorted. */
export function listKernels() {
  return readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.asm'))
    .map((f) => basename(f, '.asm'))
    .sort();
}

/** Path of the built ELF for a kernel name. */
export function elfPath(name) {
  return join(BUILD_DIR, `${name}.elf`);
}

/**
 * Builds the given kernels (default: all). Returns [{ name, elf, built }].
 * Throws with a readable message if a tool is missing or a build fails.
 */
export function buildKernels(names = listKernels(), log = console.log) {
  for (const tool of Object.keys(TOOL_HINTS)) {
    if (!haveTool(tool)) {
      throw new Error(`${tool} not found; ${TOOL_HINTS[tool]}`);
    }
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  // Any shared input makes every kernel stale.
  const shared = readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.inc'))
    .map((f) => join(TESTS_DIR, f))
    .concat([LINKER_SCRIPT, fileURLToPath(import.meta.url)]);
  const sharedTime = Math.max(...shared.map(mtime));
  const results = [];
  for (const name of names) {
    const src = join(TESTS_DIR, `${name}.asm`);
    const obj = join(BUILD_DIR, `${name}.o`);
    const elf = elfPath(name);
    if (!existsSync(src)) {
      throw new Error(`no such kernel: ${src}`);
    }
    const stale = mtime(elf) < Math.max(mtime(src), sharedTime);
    if (stale) {
      // -I needs the trailing separator for nasm < 2.14 compatibility.
      run('nasm', ['-f', 'elf32', '-w+all', '-I', `${TESTS_DIR}/`, '-o', obj, src]);
      run('ld', ['-m', 'elf_i386', '-T', LINKER_SCRIPT, '-o', elf, obj]);
    }
    log(`${stale ? 'built     ' : 'up to date'} ${name} -> ${elf}`);
    results.push({ name, elf, built: stale });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  try {
    buildKernels(names.length > 0 ? names : undefined);
  } catch (err) {
    console.error(`images/tests/build.mjs: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
