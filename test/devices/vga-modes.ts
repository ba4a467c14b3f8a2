// VGA register programming for tests, as a VGA BIOS does it: the standard
// parameter tables of modes 03h, 12h and 13h (IBM VGA Technical Reference,
// "BIOS video parameter table") and Michael Abrash's mode X (320×240, 256
// colours unchained; Graphics Programming Black Book ch. 47).

import type { Core } from '../../host/core.js';

export const PORT_ATTR = 0x3c0;
export const PORT_MISC = 0x3c2;
export const PORT_SEQ = 0x3c4;
export const PORT_DAC_READ_INDEX = 0x3c7;
export const PORT_DAC_WRITE_INDEX = 0x3c8;
export const PORT_DAC_DATA = 0x3c9;
export const PORT_GC = 0x3ce;
export const PORT_CRTC = 0x3d4;
export const PORT_STATUS1 = 0x3da;
export const WINDOW = 0xa0000;
export const TEXT_WINDOW = 0xb8000;

export interface ModeTable {
  misc: number;
  seq: number[];
  crtc: number[];
  gc: number[];
  attr: number[];
}

export const MODE_03H: ModeTable = {
  misc: 0x67,
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x50, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96,
    0xb9, 0xa3, 0xff,
  ],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00],
};

export const MODE_12H: ModeTable = {
  misc: 0xe3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7,
    0x04, 0xe3, 0xff,
  ],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00],
};

export const MODE_13H: ModeTable = {
  misc: 0x63,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96,
    0xb9, 0xa3, 0xff,
  ],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00],
};

/** Mode X: 13h unchained (sequencer 4 = 06h, CRTC 14h = 0, CRTC 17h = E3h) with 480-line timing, doubled to 240. */
export const MODE_X: ModeTable = (() => {
  const crtc = [...MODE_13H.crtc];
  const changes: [number, number][] = [
    [0x06, 0x0d],
    [0x07, 0x3e],
    [0x09, 0x41],
    [0x10, 0xea],
    [0x11, 0xac],
    [0x12, 0xdf],
    [0x14, 0x00],
    [0x15, 0xe7],
    [0x16, 0x06],
    [0x17, 0xe3],
  ];
  for (const [i, v] of changes) crtc[i] = v;
  return { ...MODE_13H, misc: 0xe3, seq: [0x03, 0x01, 0x0f, 0x00, 0x06], crtc };
})();

export function out(core: Core, port: number, v: number): void {
  core.exports.portWrite(port, v, 1);
}
export function inp(core: Core, port: number): number {
  return core.exports.portRead(port, 1);
}

/** Program every register of `m`, as a BIOS mode set does (screen shown at the end). */
export function setMode(core: Core, m: ModeTable): void {
  out(core, PORT_MISC, m.misc);
  m.seq.forEach((v, i) => {
    out(core, PORT_SEQ, i);
    out(core, PORT_SEQ + 1, v);
  });
  // Unprotect CRTC 0-7 first (CRTC 11h bit 7).
  out(core, PORT_CRTC, 0x11);
  out(core, PORT_CRTC + 1, 0x00);
  m.crtc.forEach((v, i) => {
    out(core, PORT_CRTC, i);
    out(core, PORT_CRTC + 1, v);
  });
  m.gc.forEach((v, i) => {
    out(core, PORT_GC, i);
    out(core, PORT_GC + 1, v);
  });
  inp(core, PORT_STATUS1);
  m.attr.forEach((v, i) => {
    out(core, PORT_ATTR, i);
    out(core, PORT_ATTR, v);
  });
  out(core, PORT_ATTR, 0x20); // palette address source: show the screen
}

export function setDac(core: Core, index: number, r: number, g: number, b: number): void {
  out(core, PORT_DAC_WRITE_INDEX, index);
  out(core, PORT_DAC_DATA, r);
  out(core, PORT_DAC_DATA, g);
  out(core, PORT_DAC_DATA, b);
}

/** The EGA-compatible 64 colours the BIOS loads for 16-colour modes (rgbRGB bits, 2/3 and 1/3 intensity). */
export function loadEgaPalette(core: Core): void {
  for (let i = 0; i < 64; i++) {
    const c = (hi: number, lo: number): number => ((i >> hi) & 1) * 0x2a + ((i >> lo) & 1) * 0x15;
    setDac(core, i, c(2, 5), c(1, 4), c(0, 3));
  }
}

export function seq(core: Core, i: number, v: number): void {
  out(core, PORT_SEQ, i);
  out(core, PORT_SEQ + 1, v);
}
export function gc(core: Core, i: number, v: number): void {
  out(core, PORT_GC, i);
  out(core, PORT_GC + 1, v);
}
export function crtc(core: Core, i: number, v: number): void {
  out(core, PORT_CRTC, i);
  out(core, PORT_CRTC + 1, v);
}

/**
 * Load an 8×16 font into character map 0 (plane 2) as the BIOS does: plane 2
 * only, sequential addressing, then back to text-mode addressing.
 */
export function loadFont(core: Core, glyphs: Map<number, number[]>): void {
  seq(core, 2, 0x04);
  seq(core, 4, 0x07);
  gc(core, 4, 0x02);
  gc(core, 5, 0x00);
  gc(core, 6, 0x04);
  for (let ch = 0; ch < 256; ch++) {
    const rows = glyphs.get(ch) ?? [];
    for (let y = 0; y < 32; y++) core.exports.busWrite(WINDOW + ch * 32 + y, rows[y] ?? 0, 1);
  }
  seq(core, 2, 0x03);
  seq(core, 4, 0x02);
  gc(core, 4, 0x00);
  gc(core, 5, 0x10);
  gc(core, 6, 0x0e);
}
