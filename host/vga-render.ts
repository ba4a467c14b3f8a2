// Turns the VGA/VBE display descriptor (core-as/devices/vga-display.ts) and
// VRAM into an RGBA image, reading only the shared memory: the browser worker
// puts the result on a canvas, tests compare it with golden images.
//
// VRAM is in QEMU's layout (plane p of plane address a at byte 4a + p). The
// image has the mode's logical size: pixel doubling (40-column text, 320-wide
// modes) and scan doubling (200-line modes) are undone, so mode 13h is 320×200
// and 80×25 text is 720×400.

import * as L from './generated/cpu-layout.js';

export interface VgaImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, rows top to bottom. */
  rgba: Uint8Array;
  /** The descriptor's generation when the image was drawn. */
  generation: number;
}

export interface RenderOptions {
  /**
   * Vertical frames since power-on, for blinking: the cursor shows while bit 3
   * is clear (1/16 of the frame rate), blinking characters while bit 4 is
   * clear (VGA Technical Reference, Attribute Mode Control bit 3). Default 0.
   */
  frame?: number;
}

/** Largest image a descriptor may ask for (guards against nonsense register values). */
const MAX_PIXELS = 4096 * 4096;
const OPAQUE_BLACK = 0xff000000;
const CHAR_BYTES = 4; // one text cell per plane address
const FONT_CHAR_STRIDE = 32 * 4; // 32 scan lines of plane 2 per character
const LINE_GRAPHICS_FIRST = 0xc0;
const LINE_GRAPHICS_LAST = 0xdf;

class Descriptor {
  private readonly dv: DataView;
  constructor(
    mem: ArrayBufferLike,
    private readonly base: number,
  ) {
    this.dv = new DataView(mem);
  }
  u32(field: number): number {
    return this.dv.getUint32(this.base + field, true);
  }
  u8(field: number): number {
    return this.dv.getUint8(this.base + field);
  }
}

/** Render the current picture. `displayAddress` is core.exports.getVgaDisplay() (L.VGA_DISPLAY). */
export function renderVga(buffer: ArrayBufferLike, displayAddress = L.VGA_DISPLAY, opts: RenderOptions = {}): VgaImage {
  const d = new Descriptor(buffer, displayAddress);
  const generation = d.u32(L.DISPLAY_GENERATION);
  const kind = d.u32(L.DISPLAY_KIND);
  const width = d.u32(L.DISPLAY_WIDTH);
  const height = d.u32(L.DISPLAY_HEIGHT);
  if (kind === L.DISPLAY_KIND_BLANK || width === 0 || height === 0 || width * height > MAX_PIXELS) {
    return { width: 0, height: 0, rgba: new Uint8Array(0), generation };
  }
  const vramAddress = d.u32(L.DISPLAY_VRAM_ADDRESS);
  const vram = new Uint8Array(buffer, vramAddress, d.u32(L.DISPLAY_VRAM_SIZE));
  const out = new Uint32Array(width * height);
  const palette = new Uint32Array(256);
  const pv = new DataView(buffer);
  for (let i = 0; i < 256; i++) palette[i] = pv.getUint32(displayAddress + L.DISPLAY_PALETTE + i * 4, true);
  const pelMask = d.u32(L.DISPLAY_PEL_MASK);
  const attr = new Uint32Array(16);
  for (let i = 0; i < 16; i++) attr[i] = palette[d.u8(L.DISPLAY_ATTR_MAP + i) & pelMask];
  const ctx: Ctx = { d, vram, out, width, height, palette, attr, pelMask, frame: opts.frame ?? 0 };
  if (kind === L.DISPLAY_KIND_TEXT) drawText(ctx);
  else if (kind === L.DISPLAY_KIND_VBE) drawVbe(ctx);
  else drawGraphics(ctx, kind);
  return { width, height, rgba: new Uint8Array(out.buffer), generation };
}

interface Ctx {
  d: Descriptor;
  vram: Uint8Array;
  out: Uint32Array;
  width: number;
  height: number;
  palette: Uint32Array;
  attr: Uint32Array;
  pelMask: number;
  frame: number;
}

/** RGBA word (little-endian: R in the low byte) as the Uint32Array view stores it. */
function rgb(r: number, g: number, b: number): number {
  return (OPAQUE_BLACK | (b << 16) | (g << 8) | r) >>> 0;
}

function vramByte(vram: Uint8Array, off: number): number {
  return off >= 0 && off < vram.length ? vram[off] : 0;
}

function drawText(c: Ctx): void {
  const { d, vram, out, width } = c;
  const cols = d.u32(L.DISPLAY_COLS);
  const rows = d.u32(L.DISPLAY_ROWS);
  const cw = d.u32(L.DISPLAY_CHAR_WIDTH);
  const ch = d.u32(L.DISPLAY_CHAR_HEIGHT);
  const stride = d.u32(L.DISPLAY_STRIDE);
  const start = d.u32(L.DISPLAY_START);
  const fontA = d.u32(L.DISPLAY_FONT_A);
  const fontB = d.u32(L.DISPLAY_FONT_B);
  const flags = d.u32(L.DISPLAY_TEXT_FLAGS);
  const blinkAttr = (flags & L.DISPLAY_TEXT_BLINK) !== 0;
  const lineGraphics = (flags & L.DISPLAY_TEXT_LINE_GRAPHICS) !== 0;
  const cursorAddr = d.u32(L.DISPLAY_CURSOR) * CHAR_BYTES;
  const cursorStart = d.u32(L.DISPLAY_CURSOR_START);
  const cursorEnd = Math.min(d.u32(L.DISPLAY_CURSOR_END), ch - 1);
  const cursorOn = cursorStart !== L.DISPLAY_CURSOR_OFF && cursorStart <= cursorEnd && (c.frame & 8) === 0;
  const blinkOn = (c.frame & 16) === 0;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const cell = start + row * stride + col * CHAR_BYTES;
      const code = vramByte(vram, cell);
      const a = vramByte(vram, cell + 1);
      const fg = c.attr[a & 0xf];
      const bg = c.attr[blinkAttr ? (a >> 4) & 7 : a >> 4];
      const hideFg = blinkAttr && (a & 0x80) !== 0 && !blinkOn;
      const font = ((a & 8) !== 0 ? fontA : fontB) + code * FONT_CHAR_STRIDE;
      const wide = lineGraphics && code >= LINE_GRAPHICS_FIRST && code <= LINE_GRAPHICS_LAST;
      const isCursor = cursorOn && cell === cursorAddr;
      for (let y = 0; y < ch; y++) {
        let bits = hideFg ? 0 : vramByte(vram, font + y * 4);
        if (isCursor && y >= cursorStart && y <= cursorEnd) bits = 0xff;
        // The 9th dot repeats the 8th only for the line-drawing characters.
        const ninth = cw === 9 && (isCursor && y >= cursorStart && y <= cursorEnd ? true : wide && (bits & 1) !== 0);
        const o = (row * ch + y) * width + col * cw;
        for (let x = 0; x < 8; x++) out[o + x] = (bits << x) & 0x80 ? fg : bg;
        if (cw === 9) out[o + 8] = ninth ? fg : bg;
      }
    }
  }
}

/**
 * Graphics through the CRTC's scan-out (QEMU vga_draw_graphic): each memory
 * line shows MULTI_SCAN + 1 times (drawn once here), the CGA/Hercules
 * interleave replaces address bits 14/15 by the row counter when CRTC mode
 * bits 0/1 are clear, and memory restarts at 0 after the line compare line.
 */
function drawGraphics(c: Ctx, kind: number): void {
  const { d, width, height } = c;
  const stride = d.u32(L.DISPLAY_STRIDE);
  const lines = d.u32(L.DISPLAY_LINES);
  const multiScan = d.u32(L.DISPLAY_MULTI_SCAN);
  const crtcMode = d.u32(L.DISPLAY_CRTC_MODE);
  const lineCompare = d.u32(L.DISPLAY_LINE_COMPARE);
  let addr1 = d.u32(L.DISPLAY_START);
  let y1 = 0;
  let multiRun = multiScan;
  let row = 0;
  for (let y = 0; y < lines && row < height; y++) {
    if (multiRun === multiScan) {
      let addr = addr1;
      if ((crtcMode & 1) === 0) {
        const shift = 14 + ((crtcMode >> 6) & 1);
        addr = (addr & ~(1 << shift)) | ((y1 & 1) << shift);
      }
      if ((crtcMode & 2) === 0) addr = (addr & ~0x8000) | ((y1 & 2) << 14);
      drawLine(c, kind, addr, row * width);
      row++;
    }
    if (multiRun === 0) {
      const mask = (crtcMode & 3) ^ 3;
      if ((y1 & mask) === mask) addr1 += stride;
      y1++;
      multiRun = multiScan;
    } else {
      multiRun--;
    }
    if (y === lineCompare) addr1 = 0;
  }
}

function drawLine(c: Ctx, kind: number, addr: number, o: number): void {
  const { vram, out, width, attr } = c;
  if (kind === L.DISPLAY_KIND_256) {
    for (let x = 0; x < width; x++) out[o + x] = c.palette[vramByte(vram, addr + x) & c.pelMask];
    return;
  }
  if (kind === L.DISPLAY_KIND_CGA) {
    // Interleaved shift: the plane 0 byte gives pixels 0-3 (2 bits each, MSB first), plane 1 pixels 4-7;
    // planes 2/3 supply bits 2-3 of the same pixels.
    for (let x = 0; x < width; x++) {
      const a = addr + (x >> 3) * 4;
      const hi = (x & 7) >= 4 ? 1 : 0;
      const sh = 6 - 2 * (x & 3);
      const lo2 = (vramByte(vram, a + hi) >> sh) & 3;
      const hi2 = (vramByte(vram, a + 2 + hi) >> sh) & 3;
      out[o + x] = attr[lo2 | (hi2 << 2)];
    }
    return;
  }
  // 16 colours: bit 7 - (x mod 8) of each plane byte is bit p of the pixel.
  for (let x = 0; x < width; x++) {
    const a = addr + (x >> 3) * 4;
    const bit = 7 - (x & 7);
    const p =
      ((vramByte(vram, a) >> bit) & 1) |
      (((vramByte(vram, a + 1) >> bit) & 1) << 1) |
      (((vramByte(vram, a + 2) >> bit) & 1) << 2) |
      (((vramByte(vram, a + 3) >> bit) & 1) << 3);
    out[o + x] = attr[p];
  }
}

function drawVbe(c: Ctx): void {
  const { d, vram, out, width, height, palette, pelMask } = c;
  const bpp = d.u32(L.DISPLAY_BPP);
  const stride = d.u32(L.DISPLAY_STRIDE);
  const start = d.u32(L.DISPLAY_START);
  for (let y = 0; y < height; y++) {
    const line = start + y * stride;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      let v: number;
      switch (bpp) {
        case 8:
          v = palette[vramByte(vram, line + x) & pelMask];
          break;
        case 15: {
          const w = vramByte(vram, line + 2 * x) | (vramByte(vram, line + 2 * x + 1) << 8);
          v = rgb(expand5((w >> 10) & 31), expand5((w >> 5) & 31), expand5(w & 31));
          break;
        }
        case 16: {
          const w = vramByte(vram, line + 2 * x) | (vramByte(vram, line + 2 * x + 1) << 8);
          v = rgb(expand5((w >> 11) & 31), expand6((w >> 5) & 63), expand5(w & 31));
          break;
        }
        case 24: {
          const p = line + 3 * x; // bytes B, G, R
          v = rgb(vramByte(vram, p + 2), vramByte(vram, p + 1), vramByte(vram, p));
          break;
        }
        default: {
          const p = line + 4 * x; // bytes B, G, R, X
          v = rgb(vramByte(vram, p + 2), vramByte(vram, p + 1), vramByte(vram, p));
          break;
        }
      }
      out[o + x] = v;
    }
  }
}

function expand5(v: number): number {
  return (v << 3) | (v >> 2);
}
function expand6(v: number): number {
  return (v << 2) | (v >> 4);
}

/**
 * Take the dirty bits (one per 4 KiB VRAM page) the core set since the last
 * call, clearing them; `true` in the result means the page changed.
 */
export function takeDirtyPages(buffer: ArrayBufferLike, displayAddress = L.VGA_DISPLAY): Uint8Array {
  const words = new Int32Array(buffer, displayAddress + L.DISPLAY_DIRTY, L.DISPLAY_DIRTY_BYTES / 4);
  const pages = new Uint8Array(L.DISPLAY_DIRTY_BYTES * 8);
  const shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
  for (let i = 0; i < words.length; i++) {
    const w = shared ? Atomics.exchange(words, i, 0) : words[i];
    if (!shared) words[i] = 0;
    if (w === 0) continue;
    for (let b = 0; b < 32; b++) if ((w >>> b) & 1) pages[i * 32 + b] = 1;
  }
  return pages;
}
