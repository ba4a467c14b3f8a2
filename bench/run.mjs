#!/usr/bin/env node
// npm run bench: tabvm's speed against its peers and the physical limit,
// measured in one run. It reports; it never fails a build.
//
// 1. Linux: the same Debian 686 kernel, initramfs and command line (the
//    prepared ~/.cache/tabvm/images) booted to the busybox shell prompt on
//    COM1, then the in-guest workload /bin/tabvm-bench (bench/workload.c)
//    typed at the prompt and timed to its end marker, under
//      tabvm --engine interp and --engine jit (node bin/tabvm run --kernel ...),
//      v86 (npm package, headless in Node: bench/v86-guest.mjs; SeaBIOS from the images),
//      QEMU TCG (qemu-system-i386 -accel tcg -kernel ...),
//    and the workload natively (gcc -m64 -O2: this host cannot run 32-bit code).
//    Each emulator runs as its own process; its CPU time is read from
//    /proc/PID/stat (all threads) when the prompt appears and when the
//    workload ends, wall time from this process's clock. Medians of
//    TABVM_BENCH_RUNS runs (default 3): the machine is shared and noisy.
// 2. The interpreter loop micro-benchmark: guest instructions per second
//    against the same loop run natively.
//
// TABVM_BENCH_ONLY=interp,jit,v86,qemu,native,loop picks a subset.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../dist/host/core.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const RUNS = Number(process.env.TABVM_BENCH_RUNS ?? 3);
const ONLY = new Set((process.env.TABVM_BENCH_ONLY ?? 'interp,jit,v86,qemu,native,loop').split(','));
const ITERATIONS = Number(process.env.TABVM_BENCH_ITERATIONS ?? 200_000);
const LOAD_ADDRESS = 0x100000;
const SLICE = 10_000_000;
const NATIVE_SCALE = 50;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function haveTool(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

async function benchTabvm(image) {
  const times = [];
  let instructions = 0;
  for (let i = 0; i < RUNS; i++) {
    const core = await createCore({ memoryMiB: 16 });
    core.writePhys(LOAD_ADDRESS, image);
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', LOAD_ADDRESS);
    core.setReg('esp', 0x90000);
    const cpu0 = process.cpuUsage();
    let result;
    do {
      result = core.run(SLICE);
    } while (result.reason === 'limit');
    const cpu = process.cpuUsage(cpu0);
    if (result.reason !== 'idle') throw new Error(`benchmark guest stopped early: ${JSON.stringify(result)}`);
    instructions = Number(core.instructionCount);
    times.push((cpu.user + cpu.system) / 1e6);
  }
  return { seconds: median(times), instructions };
}

function benchNative(dir) {
  const obj = join(dir, 'loop.o');
  const exe = join(dir, 'native');
  execFileSync('nasm', ['-f', 'elf64', '-DNATIVE', '-o', obj, join(here, 'interp-loop.asm')], { stdio: 'pipe' });
  execFileSync('gcc', ['-O2', '-no-pie', '-o', exe, join(here, 'native-main.c'), obj], { stdio: 'pipe' });
  // The native loop is fast enough that timer resolution matters: run it
  // NATIVE_SCALE times longer and scale back.
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(exe, [String(ITERATIONS * NATIVE_SCALE)], { encoding: 'utf8' });
    times.push(Number(out.split(' ')[0]) / NATIVE_SCALE);
  }
  return median(times);
}

// ---------------------------------------------------------------- Linux

const MEM_MIB = 128;
const APPEND = 'console=ttyS0 panic=-1 cryptomgr.notests';
const PROMPT = 'tabvm# ';
const WORKLOAD = '/bin/tabvm-bench';
const DONE_RE = /tabvm-bench done ([0-9a-f]{8}) (\S+)/;
const BOOT_TIMEOUT_MS = Number(process.env.TABVM_BENCH_BOOT_TIMEOUT ?? 600) * 1000;
const WORKLOAD_TIMEOUT_MS = 600_000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const STAT_UTIME = 13; // fields of /proc/PID/stat after the command, counted from 0 at "state" + 2
const STAT_STIME = 14;
const NATIVE_WORKLOAD_RUNS = 7;

function imagesDir() {
  if (process.env.TABVM_IMAGES) return process.env.TABVM_IMAGES;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tabvm', 'images');
}

/** User + system CPU seconds of a running process (all its threads), from /proc/PID/stat. */
function processCpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[STAT_UTIME - 2]) + Number(fields[STAT_STIME - 2])) / CLK_TCK;
}

/**
 * One boot: spawns the emulator, waits for the prompt, types the workload,
 * waits for its end marker. Returns the wall and CPU seconds of each phase.
 */
function bootOnce(command, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let phase = 'boot';
    let boot;
    let typed;
    let timer;
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}; last console output:\n${out.slice(-800)}\nstderr: ${err.slice(-400)}`));
    };
    const arm = (ms, what) => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(`no ${what} after ${ms / 1000} s`), ms);
    };
    arm(BOOT_TIMEOUT_MS, 'shell prompt');
    child.stderr.on('data', (b) => (err += b.toString()));
    child.on('close', (code) => {
      if (phase !== 'finished') fail(`exited (status ${code}) during the ${phase}`);
    });
    child.stdout.on('data', (b) => {
      out += b.toString('latin1');
      if (phase === 'boot' && out.includes(PROMPT)) {
        boot = { wall: (performance.now() - t0) / 1000, cpu: processCpu(child.pid) };
        phase = 'workload';
        out = '';
        typed = { wall: performance.now(), cpu: processCpu(child.pid) };
        child.stdin.write(`${WORKLOAD}\n`);
        arm(WORKLOAD_TIMEOUT_MS, 'workload end marker');
      } else if (phase === 'workload') {
        const m = DONE_RE.exec(out);
        if (!m) {
          // The shell is back without the end marker: the workload failed in the guest.
          if (out.includes(PROMPT)) fail(`the workload ended without its result: ${JSON.stringify(out.slice(0, 300))}`);
          return;
        }
        const work = { wall: (performance.now() - typed.wall) / 1000, cpu: processCpu(child.pid) - typed.cpu };
        phase = 'finished';
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ boot, work, answer: `${m[1]} ${m[2]}`, stderr: err });
      }
    });
  });
}

function engines(dir) {
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, 'initrd.gz');
  const tabvm = (engine) => [
    process.execPath,
    [
      join(ROOT, 'bin', 'tabvm'),
      'run',
      '--kernel',
      kernel,
      '--initrd',
      initrd,
      '--append',
      APPEND,
      '--mem',
      String(MEM_MIB),
      '--engine',
      engine,
    ],
  ];
  const list = [
    { key: 'interp', name: 'tabvm interp', note: 'direct boot (no BIOS)', run: tabvm('interp') },
    { key: 'jit', name: 'tabvm jit', note: 'direct boot (no BIOS)', run: tabvm('jit') },
  ];
  const bios = join(dir, 'bios.bin');
  const vgaBios = join(dir, 'vgabios-stdvga.bin');
  list.push({
    key: 'v86',
    name: 'v86',
    note: 'npm v86, SeaBIOS',
    run: [process.execPath, [join(here, 'v86-guest.mjs'), bios, vgaBios, kernel, initrd, String(MEM_MIB), APPEND]],
    missing: existsSync(join(ROOT, 'node_modules', 'v86')) ? undefined : 'node_modules/v86 is not installed',
  });
  list.push({
    key: 'qemu',
    name: 'QEMU TCG',
    note: 'qemu-system-i386, SeaBIOS',
    run: [
      'qemu-system-i386',
      [
        '-accel',
        'tcg',
        '-m',
        String(MEM_MIB),
        '-kernel',
        kernel,
        '-initrd',
        initrd,
        '-append',
        APPEND,
        '-display',
        'none',
        '-serial',
        'stdio',
        '-monitor',
        'none',
        '-no-reboot',
      ],
    ],
    missing: haveTool('qemu-system-i386', ['--version']) ? undefined : 'qemu-system-i386 is not installed',
  });
  return list.filter((e) => ONLY.has(e.key));
}

/** The workload built natively (64-bit: this host cannot execute 32-bit code); CPU seconds from bash's `times`. */
function benchWorkloadNative(dir) {
  const exe = join(dir, 'workload');
  execFileSync('gcc', ['-m64', '-O2', '-o', exe, join(here, 'workload.c')], { stdio: 'pipe' });
  const cpu = [];
  const wall = [];
  let answer;
  // It takes a fraction of a second, so a few more runs cost nothing and steady the median on a busy machine.
  for (let i = 0; i < Math.max(RUNS, NATIVE_WORKLOAD_RUNS); i++) {
    const t0 = performance.now();
    const out = execFileSync('bash', ['-c', '"$0"; times', exe], { encoding: 'utf8' });
    wall.push((performance.now() - t0) / 1000);
    answer = `${DONE_RE.exec(out)?.slice(1, 3).join(' ')}`;
    // `times` prints the shell's and then its children's user and system time: "0m0.170s 0m0.010s".
    const children = out.trim().split('\n').at(-1).split(' ');
    cpu.push(children.reduce((n, t) => n + Number(/(\d+)m([\d.]+)s/.exec(t)[1]) * 60 + Number(/(\d+)m([\d.]+)s/.exec(t)[2]), 0));
  }
  return { cpu: median(cpu), wall: median(wall), answer };
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);

async function benchLinux(dir) {
  const images = imagesDir();
  if (!existsSync(join(images, 'initrd.gz')) || !existsSync(join(images, 'tabvm-bench'))) {
    console.log(`Linux benchmark skipped: no prepared images with the workload in ${images} (run: node bin/tabvm images prepare)`);
    return;
  }
  console.log(`Linux benchmark: ${images}/vmlinuz + initrd.gz, "${APPEND}", ${MEM_MIB} MiB; medians of ${RUNS} runs`);
  console.log(`  workload: ${WORKLOAD} (bench/workload.c, gcc -m32 -O2 -static -nostdlib), typed at the prompt, timed to its end marker`);
  const rows = [];
  let native;
  if (ONLY.has('native')) {
    native = benchWorkloadNative(dir);
    console.log(
      `  native workload (gcc -m64 -O2: this host cannot execute 32-bit code): ${native.cpu.toFixed(3)} CPU s, answer ${native.answer}`,
    );
  }
  for (const e of engines(images)) {
    if (e.missing) {
      console.log(`  ${e.name}: not measured: ${e.missing}`);
      continue;
    }
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      try {
        const r = await bootOnce(...e.run);
        runs.push(r);
        const wrong = native && r.answer !== native.answer ? ` (WRONG ANSWER: native says ${native.answer})` : '';
        // tabvm says so on stderr while --engine jit still runs the interpreter.
        const fallback = /jit engine is not built yet/.test(r.stderr) ? ' (the JIT is not built yet: this ran the interpreter)' : '';
        console.log(
          `  ${e.name} run ${i + 1}: prompt ${r.boot.cpu.toFixed(2)} CPU s / ${r.boot.wall.toFixed(2)} s, workload ${r.work.cpu.toFixed(2)} CPU s / ${r.work.wall.toFixed(2)} s, answer ${r.answer}${wrong}${fallback}`,
        );
      } catch (err) {
        console.log(`  ${e.name} run ${i + 1}: failed: ${err.message.split('\n')[0]}`);
      }
    }
    if (!runs.length) continue;
    const med = (f) => median(runs.map(f));
    rows.push({
      key: e.key,
      name: e.name,
      note: e.note,
      bootCpu: med((r) => r.boot.cpu),
      bootWall: med((r) => r.boot.wall),
      workCpu: med((r) => r.work.cpu),
      workWall: med((r) => r.work.wall),
    });
  }
  if (native) rows.push({ key: 'native', name: 'native', note: 'gcc -m64 -O2, workload only', workCpu: native.cpu, workWall: native.wall });
  const v86 = rows.find((r) => r.key === 'v86');
  const qemu = rows.find((r) => r.key === 'qemu');
  const head = [
    'engine',
    'prompt CPU s',
    'prompt wall s',
    'work CPU s',
    'work wall s',
    'boot/v86',
    'boot/QEMU',
    'work/v86',
    'work/QEMU',
    'work/native',
  ];
  const table = [head];
  for (const r of rows) {
    table.push([
      r.name,
      fmt(r.bootCpu),
      fmt(r.bootWall),
      fmt(r.workCpu),
      fmt(r.workWall),
      ratio(r.bootCpu, v86?.bootCpu),
      ratio(r.bootCpu, qemu?.bootCpu),
      ratio(r.workCpu, v86?.workCpu),
      ratio(r.workCpu, qemu?.workCpu),
      ratio(r.workCpu, native?.cpu),
    ]);
  }
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log('');
  for (const row of table)
    console.log(`  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`);
  console.log('  (ratios are of CPU seconds; tabvm boots the kernel directly, v86 and QEMU through SeaBIOS)');
  console.log('');
}

// ---------------------------------------------------------------- main

async function main() {
  const dir0 = mkdtempSync(join(tmpdir(), 'tabvm-bench-'));
  await benchLinux(dir0);
  if (!ONLY.has('loop')) return;
  if (!haveTool('nasm', ['-v'])) {
    console.error('bench: nasm is needed to build the benchmark guest (apt-get install nasm)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tabvm-bench-'));
  const bin = join(dir, 'loop.bin');
  execFileSync('nasm', ['-f', 'bin', `-DITERATIONS=${ITERATIONS}`, '-o', bin, join(here, 'interp-loop.asm')]);
  const image = new Uint8Array(readFileSync(bin));

  console.log(`interpreter micro-benchmark: ${ITERATIONS} loop iterations, median of ${RUNS} runs (CPU seconds)`);
  const tabvm = await benchTabvm(image);
  const mips = tabvm.instructions / tabvm.seconds / 1e6;
  console.log(`  tabvm interp   ${tabvm.seconds.toFixed(3)} s   ${tabvm.instructions} instructions   ${mips.toFixed(1)} M instructions/s`);
  if (haveTool('gcc', ['--version'])) {
    try {
      const native = benchNative(dir);
      console.log(
        `  native         ${native.toFixed(4)} s   (the same instructions as 64-bit code; tabvm interp / native = ${(tabvm.seconds / native).toFixed(0)}x)`,
      );
    } catch (e) {
      console.log(`  native         not measured: ${e.message.split('\n')[0]}`);
    }
  }
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
