#!/usr/bin/env node
// npm run bench: tabvm's speed against the physical limit, measured in one run.
//
// Reports CPU seconds (this machine is shared and noisy: medians of several
// runs) and guest instructions per second. It reports; it never fails a build.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../dist/host/core.js';

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.TABVM_BENCH_RUNS ?? 5);
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

async function main() {
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
