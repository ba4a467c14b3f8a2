// VGA register and memory semantics (core-as/devices/vga.ts) against the IBM
// VGA Technical Reference: attribute flip-flop, DAC indexing, register masks,
// CRTC protection, port decoding by misc output bit 0, the four write modes
// and two read modes with their latches, chain 4 and odd/even addressing, and
// the retrace bits of input status 1 on the virtual clock.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';
import {
  PORT_ATTR,
  PORT_MISC,
  PORT_SEQ,
  PORT_GC,
  PORT_CRTC,
  PORT_STATUS1,
  PORT_DAC_READ_INDEX,
  PORT_DAC_WRITE_INDEX,
  PORT_DAC_DATA,
  WINDOW,
  TEXT_WINDOW,
  MODE_03H,
  MODE_12H,
  setMode,
  out,
  inp,
  seq,
  gc,
} from './vga-modes.js';

const PORT_ATTR_READ = 0x3c1;
const PORT_MISC_READ = 0x3cc;
const PORT_CRTC_MONO = 0x3b4;
const PORT_STATUS1_MONO = 0x3ba;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 4 });
});

function vram(off: number, len = 1): Uint8Array {
  const base = core.exports.getVramBase();
  return new Uint8Array(core.memory.buffer, base + off, len);
}
function plane(p: number, addr: number): number {
  return vram(addr * 4 + p)[0];
}
function setPlanes(addr: number, bytes: [number, number, number, number]): void {
  vram(addr * 4, 4).set(bytes);
}
function planes(addr: number): number[] {
  return [...vram(addr * 4, 4)];
}
function rd(a: number): number {
  return core.exports.busRead(WINDOW + a, 1);
}
function wr(a: number, v: number): void {
  core.exports.busWrite(WINDOW + a, v, 1);
}

/** Planar graphics addressing (mode 12h) with all write-path registers neutral. */
function planarMode(): void {
  setMode(core, MODE_12H);
}

describe('VGA registers', () => {
  it('attribute controller: 0x3C0 alternates index and data; reading input status 1 resets to index', () => {
    out(core, PORT_MISC, 0x01); // colour: input status 1 at 0x3DA
    inp(core, PORT_STATUS1);
    out(core, PORT_ATTR, 0x05);
    out(core, PORT_ATTR, 0x2a);
    out(core, PORT_ATTR, 0x06); // an index again
    expect(inp(core, PORT_ATTR)).toBe(0); // data phase: 0x3C0 reads 0... (QEMU)
    out(core, PORT_ATTR, 0x11); // data for register 6
    expect(inp(core, PORT_ATTR)).toBe(0x06); // index phase: 0x3C0 reads the index
    out(core, PORT_ATTR, 0x05);
    expect(inp(core, PORT_ATTR_READ)).toBe(0x2a);
    inp(core, PORT_STATUS1); // reset the flip-flop mid-pair
    out(core, PORT_ATTR, 0x06);
    expect(inp(core, PORT_ATTR_READ)).toBe(0x11);
    out(core, PORT_ATTR, 0x3f); // data: palette registers keep 6 bits
    out(core, PORT_ATTR, 0x06);
    expect(inp(core, PORT_ATTR_READ)).toBe(0x3f);
  });

  it('DAC: index auto-increments after the third component, reads and writes have separate indices', () => {
    out(core, PORT_DAC_WRITE_INDEX, 0xfe);
    for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9]) out(core, PORT_DAC_DATA, v); // entries FE, FF, then wraps to 00
    expect(inp(core, PORT_DAC_WRITE_INDEX)).toBe(0x01);
    expect(inp(core, PORT_DAC_READ_INDEX)).toBe(0); // DAC state: write mode
    out(core, PORT_DAC_READ_INDEX, 0xff);
    expect(inp(core, PORT_DAC_READ_INDEX)).toBe(3); // read mode
    expect([0, 1, 2, 3, 4, 5].map(() => inp(core, PORT_DAC_DATA))).toEqual([4, 5, 6, 7, 8, 9]);
    out(core, PORT_DAC_READ_INDEX, 0xfe);
    expect(inp(core, PORT_DAC_DATA)).toBe(1);
    // Components are 6 bits wide.
    out(core, PORT_DAC_WRITE_INDEX, 0x10);
    for (const v of [0xff, 0x40, 0x3f]) out(core, PORT_DAC_DATA, v);
    out(core, PORT_DAC_READ_INDEX, 0x10);
    expect([inp(core, PORT_DAC_DATA), inp(core, PORT_DAC_DATA), inp(core, PORT_DAC_DATA)]).toEqual([0x3f, 0x00, 0x3f]);
  });

  it('DAC: an entry changes only when its blue component is written', () => {
    out(core, PORT_DAC_WRITE_INDEX, 0x20);
    for (const v of [10, 20, 30]) out(core, PORT_DAC_DATA, v);
    out(core, PORT_DAC_WRITE_INDEX, 0x20);
    out(core, PORT_DAC_DATA, 1);
    out(core, PORT_DAC_DATA, 2);
    out(core, PORT_DAC_READ_INDEX, 0x20);
    expect([inp(core, PORT_DAC_DATA), inp(core, PORT_DAC_DATA), inp(core, PORT_DAC_DATA)]).toEqual([10, 20, 30]);
  });

  it('sequencer and graphics controller keep only the bits their registers have', () => {
    const seqBits = [0x03, 0x3d, 0x0f, 0x3f, 0x0e];
    seqBits.forEach((mask, i) => {
      seq(core, i, 0xff);
      expect(inp(core, PORT_SEQ + 1)).toBe(mask);
    });
    const gcBits = [0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff];
    gcBits.forEach((mask, i) => {
      gc(core, i, 0xff);
      expect(inp(core, PORT_GC + 1)).toBe(mask);
    });
    out(core, PORT_SEQ, 0xff);
    expect(inp(core, PORT_SEQ)).toBe(0x07);
  });

  it('CRTC 11h bit 7 write-protects registers 0-7 except the line compare bit of register 7', () => {
    out(core, PORT_MISC, 0x01);
    const w = (i: number, v: number): void => {
      out(core, PORT_CRTC, i);
      out(core, PORT_CRTC + 1, v);
    };
    const r = (i: number): number => {
      out(core, PORT_CRTC, i);
      return inp(core, PORT_CRTC + 1);
    };
    w(0x01, 0x4f);
    w(0x07, 0x00);
    w(0x11, 0x80);
    w(0x01, 0x27);
    w(0x07, 0xff);
    w(0x09, 0x41);
    expect([r(0x01), r(0x07), r(0x09)]).toEqual([0x4f, 0x10, 0x41]);
  });

  it('decodes the CRTC and input status 1 at 0x3Dx or 0x3Bx by misc output bit 0', () => {
    out(core, PORT_MISC, 0x01);
    expect(inp(core, PORT_MISC_READ)).toBe(0x01);
    out(core, PORT_CRTC, 0x0e);
    out(core, PORT_CRTC + 1, 0x12);
    expect(inp(core, PORT_CRTC_MONO)).toBe(0xff);
    out(core, PORT_MISC, 0x00);
    expect(inp(core, PORT_CRTC)).toBe(0xff);
    out(core, PORT_CRTC_MONO, 0x0e);
    expect(inp(core, PORT_CRTC_MONO + 1)).toBe(0x12);
    // Input status 1 at 0x3BA resets the attribute flip-flop in mono mode.
    out(core, PORT_ATTR, 0x01);
    inp(core, PORT_STATUS1_MONO);
    out(core, PORT_ATTR, 0x02);
    expect(inp(core, PORT_ATTR)).toBe(0);
  });

  it('input status 1: vertical retrace comes and goes on the virtual clock, so a guest wait loop ends', () => {
    // mov dx,3DAh; a: in al,dx; test al,8; jz a; b: in al,dx; test al,8; jnz b; c: in al,dx; test al,1; jnz c; hlt
    const code = [0x66, 0xba, 0xda, 0x03, 0xec, 0xa8, 0x08, 0x74, 0xfb, 0xec, 0xa8, 0x08, 0x75, 0xfb, 0xec, 0xa8, 0x01, 0x75, 0xfb, 0xf4];
    out(core, PORT_MISC, 0x01);
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', 0x1000);
    const r = core.run(5_000_000);
    expect(r.reason).toBe('idle'); // reached the HLT
    expect(core.getReg('eip')).toBe(0x1000 + code.length);
  });
});

describe('VGA memory: planar write modes and latches', () => {
  beforeEach(planarMode);

  it('read mode 0 returns the plane Read Map Select picks, and a read loads all four latches', () => {
    setPlanes(0x100, [0x11, 0x22, 0x33, 0x44]);
    for (let p = 0; p < 4; p++) {
      gc(core, 4, p);
      expect(rd(0x100)).toBe(0x11 * (p + 1));
    }
    // Write mode 1 stores the latches: a copy of all four planes.
    gc(core, 5, 0x01);
    wr(0x200, 0x00);
    expect(planes(0x200)).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  it('write mode 0: rotate, set/reset on enabled planes, bit mask against the latches, map mask', () => {
    setPlanes(0x10, [0xf0, 0xf0, 0xf0, 0xf0]);
    rd(0x10);
    gc(core, 3, 0x04); // rotate right by 4
    gc(core, 1, 0x05); // set/reset enabled on planes 0 and 2
    gc(core, 0, 0x04); // ... with value: plane 0 ← 0x00, plane 2 ← 0xff
    gc(core, 8, 0x3c); // bit mask: bits 2-5 from the data, the rest from the latches
    wr(0x10, 0x12); // rotated: 0x21
    // plane 0: 0x00 & 3C | F0 & C3 = 0xC0; plane 1: 21 & 3C | C0 = 0xE0; plane 2: 3C | C0 = 0xFC; plane 3 = plane 1
    expect(planes(0x10)).toEqual([0xc0, 0xe0, 0xfc, 0xe0]);
    seq(core, 2, 0x02); // map mask: plane 1 only
    gc(core, 8, 0xff);
    wr(0x10, 0x00);
    expect(planes(0x10)).toEqual([0xc0, 0x00, 0xfc, 0xe0]);
  });

  it('write mode 0: the logical functions AND, OR and XOR combine data with the latches', () => {
    const results: number[] = [];
    for (const fn of [1, 2, 3]) {
      setPlanes(0x20, [0xcc, 0xcc, 0xcc, 0xcc]);
      rd(0x20);
      gc(core, 3, fn << 3);
      wr(0x20, 0xaa);
      results.push(plane(0, 0x20));
    }
    expect(results).toEqual([0xcc & 0xaa, 0xcc | 0xaa, 0xcc ^ 0xaa]);
  });

  it('write mode 2: the low nibble is a colour, one bit per plane, through the bit mask', () => {
    setPlanes(0x30, [0x0f, 0x0f, 0x0f, 0x0f]);
    rd(0x30);
    gc(core, 5, 0x02);
    gc(core, 8, 0xf0);
    wr(0x30, 0x5a); // colour 0xA: planes 1 and 3
    expect(planes(0x30)).toEqual([0x0f, 0xff, 0x0f, 0xff]);
  });

  it('write mode 3: rotated data ANDed with the bit mask selects set/reset bits', () => {
    setPlanes(0x40, [0x00, 0x00, 0xff, 0xff]);
    rd(0x40);
    gc(core, 5, 0x03);
    gc(core, 0, 0x03); // colour: planes 0 and 1 set, 2 and 3 clear
    gc(core, 3, 0x01); // rotate by 1
    gc(core, 8, 0x0f);
    wr(0x40, 0xf1); // rotated 0xF8; & 0x0F = 0x08
    expect(planes(0x40)).toEqual([0x08, 0x08, 0xf7, 0xf7]);
  });

  it("read mode 1: colour compare over the planes Colour Don't Care includes", () => {
    setPlanes(0x50, [0b1100, 0b1010, 0b0000, 0b1111]);
    gc(core, 5, 0x08);
    gc(core, 2, 0x0b); // colour 1011: planes 0, 1, 3 set
    gc(core, 7, 0x0f);
    expect(rd(0x50)).toBe(0b1000);
    gc(core, 7, 0x07); // ignore plane 3
    expect(rd(0x50)).toBe(0b1000);
    gc(core, 7, 0x00); // nothing compared: all bits match
    expect(rd(0x50)).toBe(0xff);
  });
});

describe('VGA memory: addressing', () => {
  it('chain 4: offset bits 0-1 pick the plane, memory is linear in VRAM, map mask gates planes', () => {
    seq(core, 4, 0x0e);
    gc(core, 6, 0x05);
    seq(core, 2, 0x0f);
    for (let i = 0; i < 8; i++) wr(0x1000 + i, 0x80 + i);
    expect([...vram(0x1000, 8)]).toEqual([0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87]);
    seq(core, 2, 0x05); // planes 0 and 2
    for (let i = 0; i < 4; i++) wr(0x2000 + i, 0x11);
    expect([...vram(0x2000, 4)]).toEqual([0x11, 0, 0x11, 0]);
    expect(rd(0x1003)).toBe(0x83);
  });

  it('odd/even (text): even offsets reach plane 0, odd plane 1, of plane address offset/2', () => {
    setMode(core, MODE_03H);
    core.exports.busWrite(TEXT_WINDOW + 2 * 5, 0x1f41, 2); // 'A' on blue at cell 5
    expect(plane(0, 5)).toBe(0x41);
    expect(plane(1, 5)).toBe(0x1f);
    expect(core.exports.busRead(TEXT_WINDOW + 2 * 5, 2)).toBe(0x1f41);
  });

  it('memory map select: only the selected window decodes; the rest reads as open bus', () => {
    setMode(core, MODE_03H); // B8000-BFFFF
    expect(core.exports.busRead(0xa0000, 1)).toBe(0xff);
    core.exports.busWrite(0xb0000, 0x55, 1); // dropped
    gc(core, 6, 0x0a); // B0000-B7FFF
    core.exports.busWrite(0xb0000, 0x55, 1);
    expect(plane(0, 0)).toBe(0x55);
  });

  it('marks written VRAM pages dirty for the host and bumps the generation on mode changes', () => {
    const disp = core.exports.getVgaDisplay();
    const dv = new DataView(core.memory.buffer);
    const dirty = new Uint8Array(core.memory.buffer, disp + L.DISPLAY_DIRTY, L.DISPLAY_DIRTY_BYTES);
    const gen0 = dv.getUint32(disp + L.DISPLAY_GENERATION, true);
    setMode(core, MODE_12H);
    expect(dv.getUint32(disp + L.DISPLAY_GENERATION, true)).not.toBe(gen0);
    dirty.fill(0);
    wr(0x1234, 0xff); // plane address 0x1234 → VRAM 0x48D0: page 4
    expect([...dirty.subarray(0, 2)]).toEqual([0x10, 0]);
  });
});
