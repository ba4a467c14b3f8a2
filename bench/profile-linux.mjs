#!/usr/bin/env node
// Profiles the benchmark's Linux guest (bench/run.mjs) in three phases: up
// to the first console output (the kernel's decompressor and early setup),
// the rest of the boot to the shell prompt, then the in-guest workload
// /bin/tabvm-bench. Runs `tabvm run --profile`, sends SIGUSR2 at the first
// output, at the prompt and at the workload's end marker (each writes the
// profile so far and starts a new one), and leaves OUT-early.json,
// OUT-boot.json and OUT-workload.json for bench/guest-profile.mjs.
//
// Usage: node bench/profile-linux.mjs OUT [--engine jit|interp] [--interval N] [--append TEXT]
// Images: $TABVM_IMAGES (vmlinuz, initrd.gz with /bin/tabvm-bench).

import { spawn } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// The benchmark's machine (bench/run.mjs).
const MEM_MIB = 128;
const APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';
const PROMPT = 'tabvm# ';
const WORKLOAD = '/bin/tabvm-bench';
const DONE_RE = /tabvm-bench done [0-9a-f]{8} \S+/;
const WRITE_POLL_MS = 50;

const args = process.argv.slice(2);
const out = args[0];
if (!out || out.startsWith('--')) {
  process.stderr.write('usage: node bench/profile-linux.mjs OUT [--engine jit|interp] [--interval N] [--append TEXT]\n');
  process.exit(2);
}
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? def : args[i + 1];
};
const images = process.env.TABVM_IMAGES || join(homedir(), '.cache', 'tabvm', 'images');
const profile = `${out}-current.json`;
const runArgs = [
  join(ROOT, 'bin', 'tabvm'),
  'run',
  '--kernel',
  join(images, 'vmlinuz'),
  '--initrd',
  join(images, 'initrd.gz'),
  '--append',
  opt('append', APPEND),
  '--mem',
  String(MEM_MIB),
  '--engine',
  opt('engine', 'jit'),
  '--profile',
  profile,
];
const interval = opt('interval', undefined);
if (interval !== undefined) runArgs.push('--profile-interval', interval);

const mtime = () => {
  try {
    return statSync(profile).mtimeMs;
  } catch {
    return 0;
  }
};
/** Signal the runner and wait until it has rewritten the profile, then keep a copy. */
async function snapshot(child, to) {
  const before = mtime();
  child.kill('SIGUSR2');
  while (mtime() === before) await new Promise((r) => setTimeout(r, WRITE_POLL_MS));
  await new Promise((r) => setTimeout(r, WRITE_POLL_MS));
  copyFileSync(profile, to);
  process.stderr.write(`profile-linux: wrote ${to}\n`);
}

const t0 = performance.now();
const child = spawn(process.execPath, runArgs, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
let text = '';
let phase = 'early';
child.stdout.on('data', async (b) => {
  const s = b.toString('latin1');
  process.stdout.write(s);
  text += s;
  if (phase === 'early') {
    phase = 'snap-early';
    process.stderr.write(`profile-linux: first output after ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    await snapshot(child, `${out}-early.json`);
    phase = 'boot';
  }
  if (phase === 'boot' && text.includes(PROMPT)) {
    phase = 'snap-boot';
    process.stderr.write(`profile-linux: prompt after ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    await snapshot(child, `${out}-boot.json`);
    text = '';
    phase = 'workload';
    child.stdin.write(`${WORKLOAD}\n`);
  } else if (phase === 'workload' && DONE_RE.test(text)) {
    phase = 'snap-workload';
    await snapshot(child, `${out}-workload.json`);
    child.kill('SIGKILL');
    process.exit(0);
  }
});
child.on('close', (code) => {
  if (phase !== 'snap-workload') {
    process.stderr.write(`profile-linux: tabvm exited (${code}) during the ${phase}\n`);
    process.exit(1);
  }
});
