// The Multiboot v1 loader (host/multiboot.ts, Multiboot spec 0.6.96): real
// kernels built with nasm + ld at test time, and malformed files that must be
// refused with a one-line MultibootError, never a crash or a stray write.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';
import { loadMultiboot, MultibootError, parseMultibootKernel, MULTIBOOT_BOOTLOADER_MAGIC } from '../../host/multiboot.js';

/** The system test kernels' linker script: the image at 1 MiB, the Multiboot header first. */
const SYSTEM_KERNEL_LD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'images', 'tests', 'link.ld');
const MEM_MIB = 8;
const MIB = 1024 * 1024;
const PAGE = 4096;
const FIRMWARE_TABLES = 128 * 1024;
const KERNEL_BASE = 0x100000;
const BSS_BYTES = 0x3000;
const AOUT_BASE = 0x200000;
const INFO_FLAGS_EXPECTED = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9);
const HEADER_MAGIC = 0x1badb002;
const E_TYPE = 16;
const E_MACHINE = 18;
const E_ENTRY = 24;
const E_PHOFF = 28;
/** Virtual minus physical address of the higher-half test kernel. */
const HIGH_HALF_OFFSET = 0xc0000000;
const P_PADDR = 12;
const P_FILESZ = 16;
const P_MEMSZ = 20;
const CR0_PE = 1;
const CR0_ET = 0x10;
const SEG_CS = 1;

const KERNEL_ASM = `
bits 32
section .multiboot
    dd 0x1BADB002
    dd 0x3
    dd -(0x1BADB002 + 0x3)
section .text
global _start
_start:
    jmp $
section .data
marker: dd 0xC0DEFEED
section .bss
    resb ${BSS_BYTES}
`;

const HIGH_HALF_LD = `
OUTPUT_FORMAT("elf32-i386")
ENTRY(_start)
SECTIONS {
  . = 0xC0100000;
  .text : AT(0x100000) { *(.multiboot) *(.text) }
  .data : { *(.data) }
  .bss : { *(.bss) }
  /DISCARD/ : { *(.note*) *(.comment) }
}
`;

const AOUT_ASM = `
bits 32
org ${AOUT_BASE}
header:
    dd 0x1BADB002
    dd 0x00010003
    dd -(0x1BADB002 + 0x00010003)
    dd header
    dd ${AOUT_BASE}
    dd load_end
    dd load_end + 0x2000
    dd entry
    times 64 db 0x90
entry:
    jmp $
    dd 0xA0A0A0A0
load_end:
`;

let dir: string;
let elf: Uint8Array;
let highHalf: Uint8Array;
let aout: Uint8Array;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

function buildElf(name: string, asm: string, ldScript?: string): Uint8Array {
  const src = join(dir, `${name}.asm`);
  const obj = join(dir, `${name}.o`);
  const out = join(dir, `${name}.elf`);
  writeFileSync(src, asm);
  run('nasm', ['-f', 'elf32', '-o', obj, src]);
  const script = join(dir, `${name}.ld`);
  writeFileSync(script, ldScript ?? readFileSync(SYSTEM_KERNEL_LD, 'utf8'));
  run('ld', ['-m', 'elf_i386', '-T', script, '-o', out, obj]);
  return new Uint8Array(readFileSync(out));
}

function buildFlat(name: string, asm: string): Uint8Array {
  const src = join(dir, `${name}.asm`);
  const out = join(dir, `${name}.bin`);
  writeFileSync(src, asm);
  run('nasm', ['-f', 'bin', '-o', out, src]);
  return new Uint8Array(readFileSync(out));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tabvm-multiboot-'));
  elf = buildElf('kernel', KERNEL_ASM);
  highHalf = buildElf('high', KERNEL_ASM, HIGH_HALF_LD);
  aout = buildFlat('aout', AOUT_ASM);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u32 = (b: Uint8Array, off: number): number => dv(b).getUint32(off, true);

function patched(src: Uint8Array, edits: [offset: number, value: number, size?: 1 | 2 | 4][]): Uint8Array {
  const out = src.slice();
  for (const [off, value, size = 4] of edits) {
    if (size === 1) out[off] = value;
    else if (size === 2) dv(out).setUint16(off, value, true);
    else dv(out).setUint32(off, value >>> 0, true);
  }
  return out;
}

/** File offset of the first PT_LOAD program header (the .text segment here). */
function firstPhdr(file: Uint8Array): number {
  return u32(file, E_PHOFF);
}

/** A header with other flags (and a matching checksum). */
function withFlags(file: Uint8Array, flags: number): Uint8Array {
  const off = parseMultibootKernel(file).headerOffset;
  return patched(file, [
    [off + 4, flags],
    [off + 8, -(HEADER_MAGIC + flags)],
  ]);
}

function cString(core: Core, addr: number): string {
  const bytes = core.readPhys(addr, 256);
  return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
}

async function freshCore(): Promise<Core> {
  return createCore({ memoryMiB: MEM_MIB });
}

function expectRefused(file: Uint8Array, reason: RegExp): void {
  let error: unknown;
  try {
    parseMultibootKernel(file);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MultibootError);
  const message = (error as Error).message;
  expect(message).toMatch(reason);
  expect(message).not.toContain('\n');
}

describe('Multiboot loader: ELF kernels', () => {
  it('loads PT_LOAD segments, zeroes the bss and enters the Multiboot machine state (§3.2)', async () => {
    const core = await freshCore();
    const parsed = parseMultibootKernel(elf);
    const bss = parsed.segments.reduce((end, s) => Math.max(end, s.dest + s.memSize), 0) - BSS_BYTES;
    core.writePhys(bss, new Uint8Array(BSS_BYTES).fill(0xaa));
    const loaded = loadMultiboot(core, { name: 'kernel.elf', data: elf, append: 'console=ttyS0' });
    expect(core.readPhys(bss, BSS_BYTES).every((b) => b === 0)).toBe(true);
    const text = core.readPhys(KERNEL_BASE, 16);
    expect(u32(text, 0)).toBe(HEADER_MAGIC);
    expect(core.getReg('eip')).toBe(u32(elf, E_ENTRY));
    expect(core.getReg('eip')).toBeGreaterThan(KERNEL_BASE);
    expect(core.getReg('eax')).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    expect(core.getReg('ebx')).toBe(loaded.infoAddress);
    expect(core.getReg('eflags')).toBe(0x2);
    expect(core.getState(L.OFF_CR0)).toBe(CR0_PE | CR0_ET); // caches on, paging off
    expect(core.getReg('ecx')).toBe(u32(elf, E_ENTRY)); // as QEMU's loader leaves it
    const cs = core.getSegment(SEG_CS);
    expect([cs.selector, cs.base, cs.limit >>> 0]).toEqual([0x08, 0, 0xffffffff]);
  });

  it('builds the information structure: memory, command line, modules, memory map (§3.3)', async () => {
    const core = await freshCore();
    const mod1 = new Uint8Array(5000).fill(0x11);
    const mod2 = Uint8Array.from([1, 2, 3]);
    const loaded = loadMultiboot(core, {
      name: 'kernel.elf',
      data: elf,
      append: 'quiet',
      modules: [
        { string: 'initrd.img root=/dev/ram', data: mod1 },
        { string: 'second', data: mod2 },
      ],
    });
    const info = core.readPhys(loaded.infoAddress, 88);
    expect(u32(info, 0) & INFO_FLAGS_EXPECTED).toBe(INFO_FLAGS_EXPECTED);
    expect(u32(info, 0) & (1 << 1)).toBe(0); // no boot device
    // As QEMU + SeaBIOS report them: EBDA below 640 KiB, firmware tables in the top 128 KiB.
    expect(u32(info, 4)).toBe(639);
    expect(u32(info, 8)).toBe(MEM_MIB * 1024 - 1024 - 128);
    expect(cString(core, u32(info, 16))).toBe('kernel.elf quiet');
    expect(cString(core, u32(info, 64))).toBe('tabvm');
    expect(u32(info, 20)).toBe(2);
    const mods = core.readPhys(u32(info, 24), 32);
    const [start1, end1, str1] = [u32(mods, 0), u32(mods, 4), u32(mods, 8)];
    const [start2, end2, str2] = [u32(mods, 16), u32(mods, 20), u32(mods, 24)];
    expect(start1 % PAGE).toBe(0);
    expect(start1).toBeGreaterThanOrEqual(loaded.kernelEnd);
    expect(end1 - start1).toBe(mod1.length);
    expect(start2 % PAGE).toBe(0);
    expect(start2).toBeGreaterThanOrEqual(end1);
    expect(end2 - start2).toBe(3);
    expect([...core.readPhys(start2, 3)]).toEqual([1, 2, 3]);
    expect(core.readPhys(start1, mod1.length).every((b) => b === 0x11)).toBe(true);
    expect(cString(core, str1)).toBe('initrd.img root=/dev/ram');
    expect(cString(core, str2)).toBe('second');
    const mmapLength = u32(info, 44);
    const mmap = core.readPhys(u32(info, 48), mmapLength);
    const entries: [number, number, number][] = [];
    for (let off = 0; off < mmapLength; off += u32(mmap, off) + 4) {
      const d = dv(mmap);
      entries.push([Number(d.getBigUint64(off + 4, true)), Number(d.getBigUint64(off + 12, true)), d.getUint32(off + 20, true)]);
    }
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xf0000, 0x10000, 2],
      [MIB, MEM_MIB * MIB - MIB - FIRMWARE_TABLES, 1],
      [MEM_MIB * MIB - FIRMWARE_TABLES, FIRMWARE_TABLES, 2],
      [0xfffc0000, 0x40000, 2],
    ]);
  });

  it('passes "<kernel path> " as the command line without --append, as QEMU does', async () => {
    const core = await freshCore();
    const loaded = loadMultiboot(core, { name: '/x/hello.elf', data: elf });
    expect(cString(core, u32(core.readPhys(loaded.infoAddress, 20), 16))).toBe('/x/hello.elf ');
  });

  it('loads a higher-half kernel at its physical address and enters at the physical entry', async () => {
    const core = await freshCore();
    loadMultiboot(core, { name: 'high.elf', data: highHalf });
    expect(u32(core.readPhys(KERNEL_BASE, 4), 0)).toBe(HEADER_MAGIC);
    expect(u32(highHalf, E_ENTRY)).toBeGreaterThan(HIGH_HALF_OFFSET);
    expect(core.getReg('eip')).toBe(u32(highHalf, E_ENTRY) - HIGH_HALF_OFFSET);
  });

  it('accepts a kernel that fills RAM up to the last byte, and one byte more is refused', async () => {
    const core = await freshCore();
    const ph = firstPhdr(elf);
    const paddr = MEM_MIB * MIB - u32(elf, ph + P_MEMSZ);
    // Moving the text segment makes the bss land elsewhere; only check the bounds logic.
    const atEnd = patched(elf, [[ph + P_PADDR, paddr]]);
    expect(() => loadMultiboot(core, { name: 'k', data: atEnd })).not.toThrow();
    const past = patched(elf, [[ph + P_PADDR, paddr + 1]]);
    expect(() => loadMultiboot(core, { name: 'k', data: past })).toThrow(/outside guest RAM/);
  });

  it('refuses modules that do not fit in the RAM left to the OS', async () => {
    const core = await freshCore();
    const big = new Uint8Array(MEM_MIB * MIB - 2 * MIB);
    expect(() => loadMultiboot(core, { name: 'k', data: elf, modules: [{ string: 'fits', data: big }] })).not.toThrow();
    const tooBig = new Uint8Array(MEM_MIB * MIB - MIB - 64 * 1024);
    expect(() => loadMultiboot(core, { name: 'k', data: elf, modules: [{ string: 'big', data: tooBig }] })).toThrow(
      /module "big".*outside guest RAM/,
    );
  });
});

describe('Multiboot loader: a.out kludge (header flag 16)', () => {
  it('loads the image at load_addr, zeroes up to bss_end_addr and enters at entry_addr', async () => {
    const core = await freshCore();
    core.writePhys(AOUT_BASE + aout.length, new Uint8Array(0x2000).fill(0xaa));
    loadMultiboot(core, { name: 'aout.bin', data: aout });
    expect([...core.readPhys(AOUT_BASE, aout.length)]).toEqual([...aout]);
    expect(core.readPhys(AOUT_BASE + aout.length, 0x2000).every((b) => b === 0)).toBe(true);
    expect(core.getReg('eip')).toBe(AOUT_BASE + 32 + 64);
  });

  it('refuses inconsistent load addresses', () => {
    expectRefused(patched(aout, [[16, AOUT_BASE + 0x100]]), /load_addr .* is above header_addr/);
    expectRefused(patched(aout, [[16, AOUT_BASE - 0x100]]), /before the start of the file/);
    expectRefused(patched(aout, [[20, AOUT_BASE + 0x100000]]), /truncated/);
    expectRefused(patched(aout, [[24, AOUT_BASE + 1]]), /bss_end_addr .* is below/);
    expectRefused(aout.slice(0, 20), /address fields are cut off/);
  });
});

describe('Multiboot loader: malformed kernels give one-line reasons', () => {
  it('refuses a file without a header', () => {
    expectRefused(new Uint8Array(10000), /not a Multiboot kernel: no header/);
    expectRefused(Uint8Array.from([1, 2, 3]), /not a Multiboot kernel/);
    expectRefused(new Uint8Array(0), /not a Multiboot kernel/);
  });

  it('only looks for the header in the first 8192 bytes', () => {
    const late = new Uint8Array(8192 + 64);
    late.set(elf.subarray(parseMultibootKernel(elf).headerOffset, parseMultibootKernel(elf).headerOffset + 12), 8192);
    expectRefused(late, /no header/);
  });

  it('refuses a bad header checksum', () => {
    const off = parseMultibootKernel(elf).headerOffset;
    expectRefused(patched(elf, [[off + 8, u32(elf, off + 8) + 1]]), /bad Multiboot header checksum/);
  });

  it('refuses required flags it cannot honour (low 16 bits)', () => {
    expectRefused(withFlags(elf, 0x7), /video mode/);
    expectRefused(withFlags(elf, 0x23), /header flags 0x20/);
    expect(() => parseMultibootKernel(withFlags(elf, 0x80000003))).not.toThrow(); // high bits are optional
  });

  it('refuses files that are not ELF32 i386 executables', () => {
    expectRefused(patched(elf, [[0, 0x11223344]]), /not an ELF file/);
    expectRefused(patched(elf, [[4, 2, 1]]), /not an ELF32 little-endian/);
    expectRefused(patched(elf, [[E_MACHINE, 62, 2]]), /not an i386 ELF/);
    expectRefused(patched(elf, [[E_TYPE, 3, 2]]), /not an ELF executable/);
  });

  it('refuses truncated files and tables past the end', () => {
    expectRefused(elf.slice(0, parseMultibootKernel(elf).headerOffset + 12), /truncated: ELF segment/);
    expectRefused(patched(elf, [[E_PHOFF, 0xfffffff0]]), /truncated: the program header table/);
    expectRefused(patched(elf, [[firstPhdr(elf) + 4, 0x7fffffff]]), /truncated: ELF segment 0/);
  });

  it('refuses segments outside guest RAM and absurd sizes', async () => {
    const core = await freshCore();
    const ph = firstPhdr(elf);
    const cases: [Uint8Array, RegExp][] = [
      [patched(elf, [[ph + P_PADDR, 0xf0000000]]), /outside guest RAM/],
      [patched(elf, [[ph + P_MEMSZ, 0xffffffff]]), /outside guest RAM/],
      [patched(elf, [[ph + P_PADDR, 0xffffff00]]), /outside guest RAM/],
    ];
    for (const [file, reason] of cases) {
      expect(() => loadMultiboot(core, { name: 'k', data: file })).toThrow(reason);
    }
    expectRefused(patched(elf, [[ph + P_FILESZ, u32(elf, ph + P_MEMSZ) + 1]]), /file size .* larger than its memory size/);
  });

  it('never throws anything but MultibootError on randomly corrupted kernels', async () => {
    const core = await freshCore();
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const hot = [
      E_TYPE,
      E_MACHINE,
      E_PHOFF,
      42,
      44,
      firstPhdr(elf),
      firstPhdr(elf) + 4,
      firstPhdr(elf) + P_PADDR,
      firstPhdr(elf) + P_FILESZ,
      firstPhdr(elf) + P_MEMSZ,
    ];
    for (let i = 0; i < 400; i++) {
      const file = elf.slice(0, random(4) === 0 ? random(elf.length) : elf.length);
      for (let k = random(4) + 1; k > 0; k--) {
        const off = random(2) ? hot[random(hot.length)] + random(4) : random(Math.max(1, file.length));
        if (off < file.length) file[off] = random(256);
      }
      try {
        loadMultiboot(core, { name: 'fuzz', data: file });
      } catch (e) {
        if (!(e instanceof MultibootError)) throw new Error(`case ${i}: ${String(e)}`, { cause: e });
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });
});
