#!/usr/bin/env node
// bench/run.mjs's v86 runner: boots a bzImage + initrd under v86 (npm
// package `v86`, headless in Node) with SeaBIOS, bridges COM1 to
// stdout/stdin, and exits when stdin closes. Runs as its own process so the
// benchmark can read its CPU time from /proc like any other emulator's.
//
// usage: node bench/v86-guest.mjs BIOS VGABIOS KERNEL INITRD MEMORY_MIB CMDLINE

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const [bios, vgaBios, kernel, initrd, memMiB, cmdline] = process.argv.slice(2);
const MIB = 1024 * 1024;
const VGA_MEMORY = 8 * MIB;

const buffer = (path) => {
  const b = readFileSync(path);
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) };
};

const require = createRequire(import.meta.url);
const v86Dir = dirname(require.resolve('v86'));
const { V86 } = await import(join(v86Dir, 'libv86.mjs'));

const emulator = new V86({
  wasm_path: join(v86Dir, 'v86.wasm'),
  bios: buffer(bios),
  vga_bios: buffer(vgaBios),
  bzimage: buffer(kernel),
  initrd: buffer(initrd),
  cmdline,
  memory_size: Number(memMiB) * MIB,
  vga_memory_size: VGA_MEMORY,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
  log_level: 0,
});

const out = [];
let flushing = false;
emulator.add_listener('serial0-output-byte', (byte) => {
  out.push(byte);
  if (!flushing) {
    flushing = true;
    setImmediate(() => {
      process.stdout.write(Buffer.from(out));
      out.length = 0;
      flushing = false;
    });
  }
});
process.stdin.on('data', (b) => emulator.serial0_send(b.toString('latin1')));
process.stdin.on('end', () => {
  emulator.stop();
  emulator.destroy();
  process.exit(0);
});
