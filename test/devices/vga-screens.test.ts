// Golden screen tests: VGA and VBE modes programmed through their registers,
// drawn through the memory window or the linear framebuffer, rendered by
// host/vga-render.ts and compared with the PNGs in test/devices/golden/.
// TABVM_UPDATE_GOLDENS=1 rewrites the goldens (look at them before committing).

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { renderVga, type VgaImage } from '../../host/vga-render.js';
import { encodePng, decodePng } from './png.js';
import {
  MODE_03H,
  MODE_12H,
  MODE_13H,
  MODE_X,
  setMode,
  setDac,
  loadEgaPalette,
  loadFont,
  seq,
  gc,
  crtc,
  WINDOW,
  TEXT_WINDOW,
} from './vga-modes.js';

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.TABVM_UPDATE_GOLDENS === '1';
const PORT_VBE_INDEX = 0x1ce;
const PORT_VBE_DATA = 0x1cf;
const LFB_BASE = 0xe0000000;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 4 });
});

function render(): VgaImage {
  return renderVga(core.memory.buffer, core.exports.getVgaDisplay());
}

function expectGolden(name: string, img: VgaImage, size: [number, number]): void {
  expect([img.width, img.height]).toEqual(size);
  const file = join(GOLDEN_DIR, `${name}.png`);
  const png = encodePng(img.width, img.height, img.rgba);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`golden ${file} is missing: run with TABVM_UPDATE_GOLDENS=1 and review it`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, png);
    return;
  }
  const golden = decodePng(readFileSync(file));
  const same =
    golden.width === img.width && golden.height === img.height && Buffer.compare(Buffer.from(golden.rgba), Buffer.from(img.rgba)) === 0;
  if (!same) {
    const actual = join(tmpdir(), `tabvm-${name}-actual.png`);
    writeFileSync(actual, png);
    let first = -1;
    for (let i = 0; i < img.rgba.length && first < 0; i += 4)
      if (img.rgba[i] !== golden.rgba[i] || img.rgba[i + 1] !== golden.rgba[i + 1] || img.rgba[i + 2] !== golden.rgba[i + 2]) first = i / 4;
    throw new Error(
      `${name}: screen differs from ${file} (first at x=${first % img.width}, y=${Math.floor(first / img.width)}); actual image in ${actual}`,
    );
  }
}

// A 5×7 font, each row scaled to 8 dots wide (shifted left by 1) and doubled to 14 of 16 scan lines.
const FONT_5X7: Record<string, string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  x: ['.....', '.....', '#...#', '.#.#.', '..#..', '.#.#.', '#...#'],
};
const BOX_HORIZONTAL = 0xc4; // ─ (line graphics: the 9th dot repeats the 8th)
const FULL_BLOCK = 0xdb; // █
const BLOCK_ASCII = 0x7f; // the same shape outside C0h-DFh: its 9th dot stays background

function testFont(): Map<number, number[]> {
  const glyphs = new Map<number, number[]>();
  for (const [ch, rows] of Object.entries(FONT_5X7)) {
    const g = new Array<number>(16).fill(0);
    rows.forEach((r, y) => {
      const bits = [...r].reduce((v, c, i) => v | (c === '#' ? 0x40 >> i : 0), 0);
      g[1 + 2 * y] = bits;
      g[2 + 2 * y] = bits;
    });
    glyphs.set(ch.charCodeAt(0), g);
  }
  glyphs.set(BOX_HORIZONTAL, [0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0]);
  glyphs.set(FULL_BLOCK, new Array<number>(16).fill(0xff));
  glyphs.set(BLOCK_ASCII, new Array<number>(16).fill(0xff));
  return glyphs;
}

function putText(row: number, col: number, text: string | number[], attr: number): void {
  const codes = typeof text === 'string' ? [...text].map((c) => c.charCodeAt(0)) : text;
  codes.forEach((c, i) => {
    const a = TEXT_WINDOW + (row * 80 + col + i) * 2;
    core.exports.busWrite(a, c | (attr << 8), 2);
  });
}

function vbeWrite(index: number, v: number): void {
  core.exports.portWrite(PORT_VBE_INDEX, index, 2);
  core.exports.portWrite(PORT_VBE_DATA, v, 2);
}

/** Assign BAR0 and turn memory decoding on through configuration mechanism #1. */
function mapLfb(base: number): void {
  const addr = (reg: number): number => (0x80000000 | (2 << 11) | reg) >>> 0;
  core.exports.portWrite(0xcf8, addr(0x10), 4);
  core.exports.portWrite(0xcfc, base, 4);
  core.exports.portWrite(0xcf8, addr(0x04), 4);
  core.exports.portWrite(0xcfc, 0x0002, 4);
}

describe('VGA golden screens', () => {
  it('shows 80×25 text with a guest-loaded font, colours, line-graphics 9th dot and the cursor', () => {
    setMode(core, MODE_03H);
    loadEgaPalette(core);
    loadFont(core, testFont());
    for (let r = 0; r < 25; r++) putText(r, 0, ' '.repeat(80), 0x07);
    putText(0, 0, 'TABVM VGA', 0x1e);
    putText(1, 0, '80x25 TEXT', 0x07);
    putText(2, 0, new Array<number>(20).fill(BOX_HORIZONTAL), 0x0a);
    putText(3, 0, new Array<number>(4).fill(FULL_BLOCK), 0x0c);
    putText(3, 5, new Array<number>(4).fill(BLOCK_ASCII), 0x0c);
    for (let c = 0; c < 16; c++) putText(5, c * 2, [FULL_BLOCK, FULL_BLOCK], c);
    for (let c = 0; c < 8; c++) putText(6, c * 4, 'AB', (c << 4) | 0x0f);
    // Cursor on row 8, column 3, scan lines 13-14 (the BIOS's underline cursor).
    crtc(core, 0x0e, (8 * 80 + 3) >> 8);
    crtc(core, 0x0f, (8 * 80 + 3) & 0xff);
    const img = render();
    expectGolden('text-80x25', img, [720, 400]);
  });

  it('shows mode 13h: chained 256 colours through the DAC, doubled scan lines undone', () => {
    setMode(core, MODE_13H);
    for (let i = 0; i < 256; i++) setDac(core, i, (i >> 2) & 0x3f, (i * 4) & 0x3f, 0x3f - ((i >> 2) & 0x3f));
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 320; x += 4) {
        const c = (x + y) & 0xff;
        const v = c | ((c + 1) << 8) | ((c + 2) << 16) | ((c + 3) << 24);
        core.exports.busWrite(WINDOW + y * 320 + x, v >>> 0, 4);
      }
    }
    for (let x = 0; x < 320; x++) {
      core.exports.busWrite(WINDOW + x, 0xff, 1);
      core.exports.busWrite(WINDOW + 199 * 320 + x, 0xff, 1);
    }
    setDac(core, 0xff, 0x3f, 0x3f, 0x3f);
    const img = render();
    expectGolden('mode-13h', img, [320, 200]);
  });

  it('shows mode 12h: 16 planar colours drawn with write modes 2 and 0 (set/reset)', () => {
    setMode(core, MODE_12H);
    loadEgaPalette(core);
    // Write mode 2: 16 vertical bars of 40 pixels, the colour's bits spread over the planes.
    gc(core, 5, 0x02);
    for (let y = 0; y < 480; y++) {
      for (let xb = 0; xb < 80; xb++) {
        const a = WINDOW + y * 80 + xb;
        core.exports.busRead(a, 1); // load the latches
        core.exports.busWrite(a, Math.floor((xb * 8) / 40), 1);
      }
    }
    // Write mode 0 with set/reset enabled on all planes: a white box, 4 pixels in from byte edges (bit mask).
    gc(core, 5, 0x00);
    gc(core, 0, 0x0f);
    gc(core, 1, 0x0f);
    for (let y = 200; y < 280; y++) {
      for (let xb = 30; xb < 50; xb++) {
        gc(core, 8, xb === 30 ? 0x0f : xb === 49 ? 0xf0 : 0xff);
        const a = WINDOW + y * 80 + xb;
        core.exports.busRead(a, 1);
        core.exports.busWrite(a, 0, 1);
      }
    }
    gc(core, 1, 0x00);
    gc(core, 8, 0xff);
    const img = render();
    expectGolden('mode-12h', img, [640, 480]);
  });

  it('shows mode X: 320×240 unchained 256 colours, planes picked with the map mask', () => {
    setMode(core, MODE_X);
    for (let i = 0; i < 16; i++) setDac(core, i, i * 4, 63 - i * 4, (i & 1) * 63);
    setDac(core, 15, 63, 63, 63);
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 320; x++) {
        const quadrant = (x >= 160 ? 1 : 0) | (y >= 120 ? 2 : 0);
        let c = quadrant * 3 + 1;
        if (x === y || x === 319 - y) c = 15;
        if (x % 4 === 0 && y % 40 === 0) c = 15;
        seq(core, 2, 1 << (x & 3));
        core.exports.busWrite(WINDOW + y * 80 + (x >> 2), c, 1);
      }
    }
    const img = render();
    expectGolden('mode-x', img, [320, 240]);
  });

  it('shows a VBE 32-bpp mode written through the PCI linear framebuffer', () => {
    const width = 160;
    const height = 120;
    mapLfb(LFB_BASE);
    vbeWrite(1, width);
    vbeWrite(2, height);
    vbeWrite(3, 32);
    vbeWrite(4, 0x41);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const r = (x >> 4) * 28; // bytes B, G, R, X in memory
        const g = (y >> 4) * 36;
        const b = ((x ^ y) & 0x20) !== 0 ? 0xff : 0x40;
        core.exports.busWrite(LFB_BASE + (y * width + x) * 4, ((r << 16) | (g << 8) | b) >>> 0, 4);
      }
    }
    const img = render();
    expectGolden('vbe-160x120x32', img, [width, height]);
  });
});
