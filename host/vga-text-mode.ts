// VGA text mode 3 (80x25, 16 colours, 9x16 characters) for kernels booted
// without firmware: what the VGA BIOS does on a mode set, through the same
// port and memory accesses, so Linux's vgacon (which trusts the boot loader's
// screen_info) finds a working text screen and a font.
//
// Register values: IBM VGA Technical Reference, "Mode 3+" (as SeaBIOS's
// vgasrc/stdvgamodes.c lists them for mode 0x03). The font is the VGA BIOS's
// own 8x16 font (found in the option ROM image), loaded into plane 2 the way
// the BIOS loads it (sequencer map mask 4, sequential addressing).

import type { Core } from './core.js';

const MISC_WRITE = 0x3c2;
const SEQ_INDEX = 0x3c4;
const GC_INDEX = 0x3ce;
const CRTC_INDEX = 0x3d4;
const ATTR_INDEX = 0x3c0;
const INPUT_STATUS_1 = 0x3da;
const DAC_WRITE_INDEX = 0x3c8;
const DAC_DATA = 0x3c9;
const PEL_MASK = 0x3c6;

const MISC_MODE3 = 0x67;
/** Sequencer registers 0-4 (reset, clocking, map mask, character map, memory mode). */
const SEQ_MODE3 = [0x03, 0x00, 0x03, 0x00, 0x02];
const CRTC_MODE3 = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9,
  0xa3, 0xff,
];
const CRTC_VRETRACE_END = 0x11;
const CRTC_PROTECT = 0x80;
const ATTR_MODE3 = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
];
const ATTR_PALETTE_ENABLE = 0x20;
const GC_MODE3 = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff];
const EGA_COLOURS = 64;
const DAC_ENTRIES = 256;
/** A 6-bit DAC component of an EGA colour: 2/3 intensity for the primary bit, 1/3 for the secondary. */
const EGA_PRIMARY = 0x2a;
const EGA_SECONDARY = 0x15;

// Font loading (plane 2, 32 bytes per character slot).
const SEQ_MAP_MASK = 2;
const SEQ_MEMORY_MODE = 4;
const GC_READ_MAP = 4;
const GC_MODE = 5;
const GC_MISC = 6;
const PLANE2 = 0x04;
const MEMORY_MODE_FONT = 0x07; // extended memory, sequential (no odd/even), chain 4 off
const GC_MISC_A0000_64K = 0x04;
const VGA_WINDOW = 0xa0000;
const FONT_SLOT = 32;
export const FONT_HEIGHT = 16;
const FONT_CHARS = 256;
const TEXT_BUFFER = 0xb8000;
const TEXT_CELLS = 80 * 25;
const BLANK_CELL = 0x0720; // space, light grey on black

/** Glyph of 'A' in the IBM 8x16 VGA font, to find the font in a VGA BIOS image. */
const GLYPH_A = [0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00];
const CHAR_A = 0x41;

/** The 8x16 font (4096 bytes) inside a VGA BIOS image, or undefined. */
export function findVgaFont(rom: Uint8Array): Uint8Array | undefined {
  const size = FONT_CHARS * FONT_HEIGHT;
  outer: for (let i = CHAR_A * FONT_HEIGHT; i + (FONT_CHARS - CHAR_A) * FONT_HEIGHT <= rom.length; i++) {
    for (let j = 0; j < GLYPH_A.length; j++) if (rom[i + j] !== GLYPH_A[j]) continue outer;
    const start = i - CHAR_A * FONT_HEIGHT;
    return rom.slice(start, start + size);
  }
  return undefined;
}

/** Program VGA mode 3, load `font` (256 characters of 16 lines) and clear the screen. */
export function setVgaTextMode(core: Core, font: Uint8Array): void {
  const out = (port: number, value: number): void => core.exports.portWrite(port, value, 1);
  const indexed = (port: number, index: number, value: number): void => {
    out(port, index);
    out(port + 1, value);
  };
  out(MISC_WRITE, MISC_MODE3);
  SEQ_MODE3.forEach((v, i) => indexed(SEQ_INDEX, i, v));
  indexed(CRTC_INDEX, CRTC_VRETRACE_END, CRTC_MODE3[CRTC_VRETRACE_END] & ~CRTC_PROTECT);
  CRTC_MODE3.forEach((v, i) => indexed(CRTC_INDEX, i, v));
  GC_MODE3.forEach((v, i) => indexed(GC_INDEX, i, v));
  core.exports.portRead(INPUT_STATUS_1, 1); // the attribute controller's flip-flop to "index"
  ATTR_MODE3.forEach((v, i) => {
    out(ATTR_INDEX, i);
    out(ATTR_INDEX, v);
  });
  out(ATTR_INDEX, ATTR_PALETTE_ENABLE);
  out(PEL_MASK, 0xff);
  out(DAC_WRITE_INDEX, 0);
  for (let i = 0; i < DAC_ENTRIES; i++) {
    // RGB: bits 2/5 red, 1/4 green, 0/3 blue (primary/secondary).
    for (const bit of [2, 1, 0]) {
      const v = i < EGA_COLOURS ? ((i >> bit) & 1) * EGA_PRIMARY + ((i >> (bit + 3)) & 1) * EGA_SECONDARY : 0;
      out(DAC_DATA, v);
    }
  }

  indexed(SEQ_INDEX, SEQ_MAP_MASK, PLANE2);
  indexed(SEQ_INDEX, SEQ_MEMORY_MODE, MEMORY_MODE_FONT);
  indexed(GC_INDEX, GC_READ_MAP, 2);
  indexed(GC_INDEX, GC_MODE, 0);
  indexed(GC_INDEX, GC_MISC, GC_MISC_A0000_64K);
  for (let c = 0; c < FONT_CHARS; c++) {
    for (let y = 0; y < FONT_SLOT; y++) {
      const bits = y < FONT_HEIGHT ? (font[c * FONT_HEIGHT + y] ?? 0) : 0;
      core.exports.busWrite(VGA_WINDOW + c * FONT_SLOT + y, bits, 1);
    }
  }
  indexed(SEQ_INDEX, SEQ_MAP_MASK, SEQ_MODE3[SEQ_MAP_MASK]);
  indexed(SEQ_INDEX, SEQ_MEMORY_MODE, SEQ_MODE3[SEQ_MEMORY_MODE]);
  indexed(GC_INDEX, GC_READ_MAP, GC_MODE3[GC_READ_MAP]);
  indexed(GC_INDEX, GC_MODE, GC_MODE3[GC_MODE]);
  indexed(GC_INDEX, GC_MISC, GC_MODE3[GC_MISC]);
  for (let i = 0; i < TEXT_CELLS; i++) core.exports.busWrite(TEXT_BUFFER + i * 2, BLANK_CELL, 2);
}
