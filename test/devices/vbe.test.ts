// Bochs VBE (DISPI) registers and the std VGA PCI function
// (core-as/devices/vbe.ts) against QEMU hw/display/vga.c and
// docs/specs/standard-vga.rst: ID and capabilities, mode clamping, clearing
// on enable, banks through 0xA0000, BAR sizing and moving, the linear
// framebuffer (also through the TLB's direct mapping, with its dirty pages
// re-armed every frame), the MMIO BAR and the expansion ROM.

import { existsSync, readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { takeDirtyPages } from '../../host/vga-render.js';
import * as L from '../../host/generated/cpu-layout.js';

const PORT_INDEX = 0x1ce;
const PORT_DATA = 0x1cf;
const ID = 0;
const XRES = 1;
const YRES = 2;
const BPP = 3;
const ENABLE = 4;
const BANK = 5;
const VIRT_WIDTH = 6;
const VIRT_HEIGHT = 7;
const Y_OFFSET = 9;
const VIDEO_MEMORY_64K = 10;
const ENABLED = 0x01;
const GETCAPS = 0x02;
const LFB = 0x40;
const NOCLEARMEM = 0x80;
const VGA_DEVFN = 0x10;
const LFB_BASE = 0xe0000000;
const MMIO_BASE = 0xe1000000;
const ROM_BASE = 0xe1010000;
const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 4 });
});

function w(index: number, v: number): void {
  core.exports.portWrite(PORT_INDEX, index, 2);
  core.exports.portWrite(PORT_DATA, v, 2);
}
function r(index: number): number {
  core.exports.portWrite(PORT_INDEX, index, 2);
  return core.exports.portRead(PORT_DATA, 2);
}
function cfgAddr(reg: number): number {
  return (0x80000000 | (VGA_DEVFN << 8) | reg) >>> 0;
}
function cfgRead(reg: number): number {
  core.exports.portWrite(0xcf8, cfgAddr(reg), 4);
  return core.exports.portRead(0xcfc, 4) >>> 0;
}
function cfgWrite(reg: number, v: number): void {
  core.exports.portWrite(0xcf8, cfgAddr(reg), 4);
  core.exports.portWrite(0xcfc, v >>> 0, 4);
}
function vram(off: number, len: number): Uint8Array {
  return new Uint8Array(core.memory.buffer, core.exports.getVramBase() + off, len);
}
function mapBars(): void {
  cfgWrite(0x10, LFB_BASE);
  cfgWrite(0x18, MMIO_BASE);
  cfgWrite(0x04, 0x0002);
}

describe('Bochs VBE DISPI registers', () => {
  it('reads ID B0C5h after reset and keeps only the IDs B0C0h-B0C5h', () => {
    expect(r(ID)).toBe(0xb0c5);
    w(ID, 0xb0c2);
    expect(r(ID)).toBe(0xb0c2);
    w(ID, 0x1234);
    expect(r(ID)).toBe(0xb0c2);
  });

  it('reports 16 MiB of video memory and, with GETCAPS, the largest mode', () => {
    expect(r(VIDEO_MEMORY_64K)).toBe(256);
    w(ENABLE, GETCAPS);
    expect([r(XRES), r(YRES), r(BPP)]).toEqual([16000, 12000, 32]);
    expect(r(XRES)).toBeGreaterThanOrEqual(1920);
    w(ENABLE, 0);
    expect(r(XRES)).toBe(0);
  });

  it('sets 1920×1080×32 with the LFB, and clamps what VRAM cannot hold (vbe_fixup_regs)', () => {
    w(XRES, 1920);
    w(YRES, 1080);
    w(BPP, 32);
    w(ENABLE, ENABLED | LFB);
    expect([r(XRES), r(YRES), r(BPP), r(VIRT_WIDTH)]).toEqual([1920, 1080, 32, 1920]);
    expect(r(VIRT_HEIGHT)).toBe(Math.floor((16 << 20) / (1920 * 4)));
    w(XRES, 1001); // multiple of 8
    expect(r(XRES)).toBe(1000);
    w(BPP, 7); // unsupported depth → 8
    expect(r(BPP)).toBe(8);
    w(BPP, 32);
    w(XRES, 4096);
    w(YRES, 4096); // 64 MiB: clamped to what 16 MiB holds
    expect(r(YRES)).toBe(1024);
    w(Y_OFFSET, 2000); // past the end: reset to 0
    expect(r(Y_OFFSET)).toBe(0);
  });

  it('clears the visible memory when enabled unless NOCLEARMEM is set', () => {
    vram(0, 16).fill(0x77);
    w(XRES, 64);
    w(YRES, 4);
    w(BPP, 8);
    w(ENABLE, ENABLED | NOCLEARMEM);
    expect(vram(0, 1)[0]).toBe(0x77);
    w(ENABLE, 0);
    w(ENABLE, ENABLED);
    expect([...vram(0, 16)]).toEqual(new Array<number>(16).fill(0));
  });

  it('shows 64 KiB banks of VRAM at 0xA0000 while enabled', () => {
    w(XRES, 640);
    w(YRES, 480);
    w(BPP, 8);
    w(ENABLE, ENABLED);
    w(BANK, 3);
    core.exports.busWrite(0xa0010, 0xabcd, 2);
    expect([...vram(0x30010, 2)]).toEqual([0xcd, 0xab]);
    w(BANK, 0);
    expect(core.exports.busRead(0xa0010, 2)).toBe(0);
  });
});

describe('std VGA PCI function 1234:1111', () => {
  it('sits at 00:02.0 with class 030000, revision 2 and QEMU subsystem ids', () => {
    expect(cfgRead(0x00)).toBe(0x11111234);
    expect(cfgRead(0x08)).toBe(0x03000002);
    expect(cfgRead(0x2c)).toBe(0x11001af4);
  });

  it('sizes BAR0 as 16 MiB prefetchable memory and BAR2 as 4 KiB memory', () => {
    cfgWrite(0x10, 0xffffffff);
    expect(cfgRead(0x10)).toBe(0xff000008);
    cfgWrite(0x14, 0xffffffff);
    expect(cfgRead(0x14)).toBe(0);
    cfgWrite(0x18, 0xffffffff);
    expect(cfgRead(0x18)).toBe(0xfffff000);
  });

  it('decodes the framebuffer at BAR0 only while memory decoding is on, and follows the BAR when it moves', () => {
    cfgWrite(0x10, LFB_BASE);
    core.exports.busWrite(LFB_BASE + 0x100, 0x12345678, 4);
    expect([...vram(0x100, 4)]).toEqual([0, 0, 0, 0]);
    cfgWrite(0x04, 0x0002);
    core.exports.busWrite(LFB_BASE + 0x100, 0x12345678, 4);
    expect([...vram(0x100, 4)]).toEqual([0x78, 0x56, 0x34, 0x12]);
    cfgWrite(0x10, 0xd0000000);
    expect(core.exports.busRead(LFB_BASE + 0x100, 4) >>> 0).toBe(0xffffffff);
    expect(core.exports.busRead(0xd0000100, 4)).toBe(0x12345678);
  });

  it('maps VGA ports at BAR2+0x400 (index and data in one word) and DISPI registers at +0x500', () => {
    mapBars();
    core.exports.busWrite(MMIO_BASE + 0x500 + 2 * XRES, 800, 2);
    expect(r(XRES)).toBe(800);
    expect(core.exports.busRead(MMIO_BASE + 0x500 + 2 * ID, 2)).toBe(0xb0c5);
    core.exports.busWrite(MMIO_BASE + 0x400 + 0x04, 0x0a02, 2); // sequencer index 2 ← 0x0A
    core.exports.portWrite(0x3c4, 2, 1);
    expect(core.exports.portRead(0x3c5, 1)).toBe(0x0a);
    expect(core.exports.busRead(MMIO_BASE + 0x604, 4)).toBe(0x1e1e1e1e);
  });

  it.skipIf(!existsSync(VGABIOS))('exposes the VGA BIOS through the expansion ROM BAR', () => {
    const bios = readFileSync(VGABIOS);
    new Uint8Array(core.memory.buffer, core.exports.getOptionRomArea(), bios.length).set(bios);
    expect(core.exports.setVgaBios(bios.length)).toBeTruthy();
    let size = 2048;
    while (size < bios.length) size *= 2;
    cfgWrite(0x30, 0xffffffff);
    expect(cfgRead(0x30)).toBe((~(size - 1) | 1) >>> 0);
    cfgWrite(0x30, ROM_BASE | 1);
    cfgWrite(0x04, 0x0002);
    expect(core.exports.busRead(ROM_BASE, 2)).toBe(0xaa55);
    expect(core.exports.busRead(ROM_BASE + 0x100, 4)).toBe(bios.readUInt32LE(0x100));
    cfgWrite(0x30, ROM_BASE); // enable bit clear: no decode
    expect(core.exports.busRead(ROM_BASE, 2)).toBe(0xffff);
  });

  it('lets the CPU write the framebuffer through the TLB and still reports the pages it writes every frame', () => {
    mapBars();
    w(XRES, 640);
    w(YRES, 480);
    w(BPP, 32);
    w(ENABLE, ENABLED | LFB);
    takeDirtyPages(core.memory.buffer);
    // mov edi,LFB; mov ecx,1024; mov eax,11223344h; rep stosd; (page 0..0xfff) ; hlt
    // then: mov ecx,200000; loop $ (2 frames of 10 ns instructions); mov [LFB+8],eax; hlt
    const b = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const code = [
      0xbf,
      ...b(LFB_BASE),
      0xb9,
      ...b(1024),
      0xb8,
      ...b(0x11223344),
      0xf3,
      0xab,
      0xf4,
      0xb9,
      ...b(2_000_000),
      0xe2,
      0xfe,
      0xa3,
      ...b(LFB_BASE + 8),
      0xf4,
    ];
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', 0x1000);
    // HLT with interrupts off (after the idle CPU skipped to the next retrace, which re-arms the pages)
    expect(core.run(10_000_000).reason).toBe('idle');
    expect(new Uint32Array(vram(0, 4096).slice().buffer).every((x) => x === 0x11223344)).toBe(true);
    let pages = takeDirtyPages(core.memory.buffer);
    expect(pages[0]).toBe(1);
    expect(pages[1]).toBe(0);
    core.setState(L.OFF_HALTED, 0);
    core.setReg('eip', 0x1000 + 18);
    expect(core.run(10_000_000).reason).toBe('idle');
    expect(vram(8, 1)[0]).toBe(0x44);
    pages = takeDirtyPages(core.memory.buffer);
    expect(pages[0]).toBe(1);
  });
});
