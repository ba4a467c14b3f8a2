// The display descriptor: what the VGA/VBE adapter shows, for the host.
//
// The core keeps this block up to date on every register write that changes
// the picture (write-through; core-as/devices/vga.ts vgaUpdateDisplay), so a
// renderer on any thread (host/vga-render.ts) reads the mode, geometry and
// palette from shared memory without calling the core. Pixels themselves stay
// in VRAM (vramBase() in core-as/machine/physmem.ts), in QEMU's layout: plane
// p of plane address a is VRAM byte 4a + p, so chained 256-colour memory and
// the VBE framebuffer are linear from VRAM offset 0.
//
// Every field is a u32 at VGA_DISPLAY + DISPLAY_*; the host copy of these
// constants is host/generated/cpu-layout.ts.
//
// DISPLAY_GENERATION counts changes of any field or palette entry: a host that
// sees it move redraws everything. Between changes, DISPLAY_DIRTY (one bit per
// 4 KiB page of VRAM, bit n of byte n >> 3) says which VRAM pages the guest
// wrote; the host takes the bits (Atomics.exchange per u32 word, or a plain
// read-and-clear on the core's thread) before it renders. The core only ever
// sets bits, so a page written while the host renders is drawn again next time.
// (Writes through the linear framebuffer's direct mapping set the page's bit on
// the first write after each vertical retrace; vga.ts vgaAdvance.)

import { VGA_STATE } from '../machine/layout';

export const VGA_DISPLAY: u32 = VGA_STATE + 0x1000;

// What the adapter shows (DISPLAY_KIND).
export const DISPLAY_KIND_BLANK: u32 = 0; // screen off, palette access, or no mode set
export const DISPLAY_KIND_TEXT: u32 = 1; // alphanumeric: character/attribute planes 0/1, font in plane 2
export const DISPLAY_KIND_PLANAR: u32 = 2; // 16 colours, 4 planes (modes 0Dh-12h)
export const DISPLAY_KIND_CGA: u32 = 3; // 4 colours, interleaved shift (modes 4/5)
export const DISPLAY_KIND_256: u32 = 4; // 256 colours, one byte per pixel through the DAC (13h, mode X)
export const DISPLAY_KIND_VBE: u32 = 5; // Bochs VBE linear framebuffer, DISPLAY_BPP 8/15/16/24/32

export const DISPLAY_GENERATION: u32 = 0x00;
export const DISPLAY_KIND: u32 = 0x04;
export const DISPLAY_WIDTH: u32 = 0x08; // pixels the renderer produces (pixel doubling undone)
export const DISPLAY_HEIGHT: u32 = 0x0c; // rows the renderer produces (scan doubling undone)
export const DISPLAY_BPP: u32 = 0x10; // 4 planar, 2 CGA, 8, or the VBE depth; 0 for text
export const DISPLAY_STRIDE: u32 = 0x14; // VRAM bytes from one memory line (or text row) to the next
export const DISPLAY_START: u32 = 0x18; // VRAM byte offset of the first pixel / character
export const DISPLAY_VRAM_ADDRESS: u32 = 0x1c; // wasm address of VRAM byte 0
export const DISPLAY_VRAM_SIZE: u32 = 0x20;
export const DISPLAY_LINES: u32 = 0x24; // graphics: display lines before scan doubling is undone
export const DISPLAY_MULTI_SCAN: u32 = 0x28; // graphics: each memory line is shown this many times + 1
export const DISPLAY_CRTC_MODE: u32 = 0x2c; // graphics: CRTC mode control (bits 0/1: CGA/Hercules line interleave)
export const DISPLAY_LINE_COMPARE: u32 = 0x30; // graphics: display line after which memory restarts at 0
export const DISPLAY_PEL_MASK: u32 = 0x34; // DAC pixel mask, ANDed with every colour index
export const DISPLAY_COLS: u32 = 0x38; // text
export const DISPLAY_ROWS: u32 = 0x3c; // text
export const DISPLAY_CHAR_WIDTH: u32 = 0x40; // text: 8 or 9 dots
export const DISPLAY_CHAR_HEIGHT: u32 = 0x44; // text: scan lines per row
export const DISPLAY_CURSOR: u32 = 0x48; // text: plane address of the cursor cell
export const DISPLAY_CURSOR_START: u32 = 0x4c; // text: first cursor scan line, or DISPLAY_CURSOR_OFF
export const DISPLAY_CURSOR_END: u32 = 0x50; // text: last cursor scan line
export const DISPLAY_FONT_A: u32 = 0x54; // text: VRAM byte offset of the font for attribute bit 3 = 1
export const DISPLAY_FONT_B: u32 = 0x58; // text: ... for attribute bit 3 = 0
export const DISPLAY_TEXT_FLAGS: u32 = 0x5c; // text: DISPLAY_TEXT_*
export const DISPLAY_ATTR_MAP: u32 = 0x60; // 16 × u8: 4-bit pixel / text colour → DAC index
export const DISPLAY_PALETTE: u32 = 0x100; // 256 × u32 RGBA (byte order R, G, B, 255)
export const DISPLAY_DIRTY: u32 = 0x500; // VRAM_SIZE / 4 KiB bits
export const DISPLAY_DIRTY_BYTES: u32 = 0x200;
export const DISPLAY_SIZE: u32 = 0x700;

export const DISPLAY_CURSOR_OFF: u32 = 0xff;
export const DISPLAY_TEXT_BLINK: u32 = 1 << 0; // attribute bit 7 blinks the character (else: bright background)
export const DISPLAY_TEXT_LINE_GRAPHICS: u32 = 1 << 1; // 9th dot of C0h-DFh repeats the 8th
/** Log2 of the VRAM bytes one dirty bit covers. */
export const DISPLAY_DIRTY_SHIFT: u32 = 12;
