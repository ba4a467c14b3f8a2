// IBM VGA: sequencer, CRT controller, graphics controller, attribute
// controller, DAC, and the video memory window 0xA0000-0xBFFFF.
//
// Reference: IBM VGA Technical Reference (the "VGA XGA Technical Reference
// Manual", 1992), chapter "Video Graphics Array": register descriptions and
// "Read/Write Modes"; QEMU's hw/display/vga.c (the std VGA that Debian's
// SeaBIOS vgabios-stdvga.bin drives), whose memory layout this file shares.
//
// Ports (0x3B0-0x3DF; the CRTC and input status 1 answer at 0x3B4/5 and 0x3BA
// when misc output bit 0 is clear (monochrome), at 0x3D4/5 and 0x3DA when it
// is set; the other set reads as open bus):
//   0x3C0 attribute index/data (one port, a flip-flop picks which; reading
//         input status 1 resets it to "index"), 0x3C1 attribute data read
//   0x3C2 misc output (write) / input status 0 (read), 0x3CC misc output read
//   0x3C4/5 sequencer, 0x3CE/F graphics controller
//   0x3C6 DAC pixel mask, 0x3C7 DAC read index (write) / DAC state (read),
//   0x3C8 DAC write index, 0x3C9 DAC data (three 6-bit reads or writes per
//         entry, R G B, index auto-increments)
//   0x3xA feature control (write), 0x3CA (read)
//
// Video memory: 256 KiB as four 64 KiB planes, in VRAM (vramBase()) at QEMU's
// layout: plane p of plane address a is VRAM byte 4a + p. CPU accesses in the
// window selected by graphics controller register 6 (memory map select) go
//   - chain 4 (sequencer 4 bit 3): straight to VRAM byte `offset` (plane
//     offset & 3), so mode 13h memory is linear;
//   - odd/even (sequencer 4 bit 2 clear for writes, GC 5 bit 4 for reads):
//     plane (GC 4 bit 1) | (offset & 1), plane address offset >> 1 (QEMU's
//     compressed text layout: character n at VRAM 4n, attribute at 4n + 1);
//   - planar: through the latches, with the four write modes (rotate,
//     set/reset, logical function, bit mask, map mask) and two read modes.
// Bochs VBE (vbe.ts) adds a 64 KiB bank offset when it is enabled.
//
// Timing (input status 1): a 640×400 70 Hz frame (25.175 MHz dot clock, 800
// dots × 449 lines) on the virtual clock, so retrace and display-enable waits
// terminate in deterministic mode too.
//
// The host sees the picture through the display descriptor (vga-display.ts),
// updated on every register write that changes it.

import { VGA_STATE, VRAM_SIZE } from '../machine/layout';
import { vramBase } from '../machine/physmem';
import { clockNow, NO_DEADLINE } from '../machine/clock';
import { registerPorts } from '../machine/ports';
import { registerMmio } from '../machine/mmio';
import { DEV_VGA } from '../machine/device-ids';
import { tlbFlushAll } from '../cpu/paging';
import { invalidateFetch } from '../cpu/memory';
import {
  VGA_DISPLAY, DISPLAY_GENERATION, DISPLAY_KIND, DISPLAY_WIDTH, DISPLAY_HEIGHT, DISPLAY_BPP, DISPLAY_STRIDE,
  DISPLAY_START, DISPLAY_VRAM_ADDRESS, DISPLAY_VRAM_SIZE, DISPLAY_LINES, DISPLAY_MULTI_SCAN, DISPLAY_CRTC_MODE,
  DISPLAY_LINE_COMPARE, DISPLAY_PEL_MASK, DISPLAY_COLS, DISPLAY_ROWS, DISPLAY_CHAR_WIDTH, DISPLAY_CHAR_HEIGHT,
  DISPLAY_CURSOR, DISPLAY_CURSOR_START, DISPLAY_CURSOR_END, DISPLAY_FONT_A, DISPLAY_FONT_B, DISPLAY_TEXT_FLAGS,
  DISPLAY_ATTR_MAP, DISPLAY_PALETTE, DISPLAY_DIRTY, DISPLAY_DIRTY_BYTES, DISPLAY_DIRTY_SHIFT, DISPLAY_SIZE,
  DISPLAY_KIND_BLANK, DISPLAY_KIND_TEXT, DISPLAY_KIND_PLANAR, DISPLAY_KIND_CGA, DISPLAY_KIND_256,
  DISPLAY_CURSOR_OFF, DISPLAY_TEXT_BLINK, DISPLAY_TEXT_LINE_GRAPHICS,
} from './vga-display';
import { vbeEnabled, vbeBankOffset, vbeDescribe, vbeDac8Bit, vbeChain4 } from './vbe';

export const PORT_VGA_FIRST: u32 = 0x3b0;
export const VGA_PORT_COUNT: u32 = 0x30;
export const VGA_WINDOW_BASE: u32 = 0xa0000;
export const VGA_WINDOW_SIZE: u32 = 0x20000;

const PORT_CRTC_INDEX_MONO: u32 = 0x3b4;
const PORT_CRTC_DATA_MONO: u32 = 0x3b5;
const PORT_STATUS1_MONO: u32 = 0x3ba;
const PORT_ATTR: u32 = 0x3c0;
const PORT_ATTR_READ: u32 = 0x3c1;
const PORT_MISC_WRITE: u32 = 0x3c2; // input status 0 when read
const PORT_VGA_ENABLE: u32 = 0x3c3;
const PORT_SEQ_INDEX: u32 = 0x3c4;
const PORT_SEQ_DATA: u32 = 0x3c5;
const PORT_PEL_MASK: u32 = 0x3c6;
const PORT_DAC_READ_INDEX: u32 = 0x3c7; // DAC state when read
const PORT_DAC_WRITE_INDEX: u32 = 0x3c8;
const PORT_DAC_DATA: u32 = 0x3c9;
const PORT_FEATURE_READ: u32 = 0x3ca;
const PORT_MISC_READ: u32 = 0x3cc;
const PORT_GC_INDEX: u32 = 0x3ce;
const PORT_GC_DATA: u32 = 0x3cf;
const PORT_CRTC_INDEX_COLOR: u32 = 0x3d4;
const PORT_CRTC_DATA_COLOR: u32 = 0x3d5;
const PORT_STATUS1_COLOR: u32 = 0x3da;

// Misc output register bits.
const MISC_COLOR: u32 = 0x01; // I/O address select: CRTC at 0x3Dx
const MISC_WRITABLE: u32 = 0xef; // bit 4 does not exist on the VGA
// Input status 1 bits.
const STATUS1_DISPLAY_DISABLED: u32 = 0x01;
const STATUS1_VRETRACE: u32 = 0x08;
const FEATURE_WRITABLE: u32 = 0x10; // QEMU keeps only bit 4

// Sequencer registers and the bits each keeps (QEMU sr_mask).
const SR_CLOCKING: u32 = 1;
const SR_MAP_MASK: u32 = 2;
const SR_CHAR_MAP: u32 = 3;
const SR_MEMORY_MODE: u32 = 4;
const SR_COUNT: u32 = 8;
const SR1_8DOT: u32 = 0x01;
const SR1_SCREEN_OFF: u32 = 0x20;
const SR4_ODD_EVEN_DISABLE: u32 = 0x04;
const SR4_CHAIN4: u32 = 0x08;
// Graphics controller registers.
const GR_SET_RESET: u32 = 0;
const GR_ENABLE_SET_RESET: u32 = 1;
const GR_COLOR_COMPARE: u32 = 2;
const GR_ROTATE: u32 = 3;
const GR_READ_MAP: u32 = 4;
const GR_MODE: u32 = 5;
const GR_MISC: u32 = 6;
const GR_COLOR_DONT_CARE: u32 = 7;
const GR_BIT_MASK: u32 = 8;
const GR_COUNT: u32 = 16;
const GR5_READ_MODE1: u32 = 0x08;
const GR5_ODD_EVEN: u32 = 0x10;
const GR5_SHIFT_SHIFT: u32 = 5;
const GR6_GRAPHICS: u32 = 0x01;
const GR6_MAP_SHIFT: u32 = 2;
// Attribute controller.
const AR_INDEX_MASK: u32 = 0x1f;
const AR_PALETTE_ADDRESS_SOURCE: u32 = 0x20; // clear: the CPU owns the palette and the screen is blank
const AR_PALETTE_COUNT: u32 = 16;
const AR_MODE: u32 = 0x10;
const AR_OVERSCAN: u32 = 0x11;
const AR_PLANE_ENABLE: u32 = 0x12;
const AR_PANNING: u32 = 0x13;
const AR_COLOR_SELECT: u32 = 0x14;
const AR_COUNT: u32 = 0x15;
const AR10_LINE_GRAPHICS: u32 = 0x04;
const AR10_BLINK: u32 = 0x08;
const AR10_P54S: u32 = 0x80;
// CRT controller.
const CR_H_DISPLAY_END: u32 = 0x01;
const CR_OVERFLOW: u32 = 0x07;
const CR_MAX_SCAN: u32 = 0x09;
const CR_CURSOR_START: u32 = 0x0a;
const CR_CURSOR_END: u32 = 0x0b;
const CR_START_HI: u32 = 0x0c;
const CR_START_LO: u32 = 0x0d;
const CR_CURSOR_HI: u32 = 0x0e;
const CR_CURSOR_LO: u32 = 0x0f;
const CR_V_RETRACE_END: u32 = 0x11;
const CR_V_DISPLAY_END: u32 = 0x12;
const CR_OFFSET: u32 = 0x13;
const CR_MODE: u32 = 0x17;
const CR_LINE_COMPARE: u32 = 0x18;
const CR11_PROTECT: u32 = 0x80; // registers 0-7 write-protected (but CR7 bit 4)
const CR7_LINE_COMPARE_8: u32 = 0x10;
const CR_PROTECTED_LAST: u32 = 7;
const CURSOR_DISABLE: u32 = 0x20;
const SCAN_MASK: u32 = 0x1f;
// DAC.
const DAC_ENTRIES: u32 = 256;
const DAC_STATE_WRITE: u32 = 0;
const DAC_STATE_READ: u32 = 3;
const DAC_6BIT: u32 = 0x3f;
const DAC_COMPONENTS: u32 = 3;

// Video timing: 640×400 at 70 Hz (VGA Technical Reference, mode 3 timings).
const LINE_NS: u64 = 31_778; // 800 dots at 25.175 MHz
const ACTIVE_NS: u64 = 25_422; // 640 dots
const FRAME_LINES: u64 = 449;
const ACTIVE_LINES: u64 = 400;
const VRETRACE_FIRST: u64 = 412;
const VRETRACE_LINES: u64 = 2;
const FRAME_NS: u64 = LINE_NS * FRAME_LINES;

const PLANES: u32 = 4;
const PLANE_SIZE: u32 = 0x10000;
const FONT_MAP_BYTES: u32 = 8192 * PLANES; // one character map: 8 KiB of plane 2
const FONT_PLANE: u32 = 2;
const TEXT_MAX: u32 = 256; // columns / rows / scan lines the descriptor accepts
const GRAPHICS_MAX_WIDTH: u32 = 2048;
const GRAPHICS_MAX_LINES: u32 = 2048;

// State (VGA_STATE):
const ST_MISC: u32 = VGA_STATE + 0x00;
const ST_FEATURE: u32 = VGA_STATE + 0x01;
const ST_SR_INDEX: u32 = VGA_STATE + 0x02;
const ST_GR_INDEX: u32 = VGA_STATE + 0x03;
const ST_CR_INDEX: u32 = VGA_STATE + 0x04;
const ST_AR_INDEX: u32 = VGA_STATE + 0x05;
const ST_AR_FLIP: u32 = VGA_STATE + 0x06; // 0: next 0x3C0 write is an index
const ST_DAC_READ: u32 = VGA_STATE + 0x07;
const ST_DAC_WRITE: u32 = VGA_STATE + 0x08;
const ST_DAC_SUB: u32 = VGA_STATE + 0x09; // component 0-2 of the current entry
const ST_DAC_STATE: u32 = VGA_STATE + 0x0a;
const ST_PEL_MASK: u32 = VGA_STATE + 0x0b;
const ST_DAC_CACHE: u32 = VGA_STATE + 0x0c; // 3 bytes: an entry being written
const ST_LATCH: u32 = VGA_STATE + 0x10; // u32: planes 0-3 in bytes 0-3
const ST_LFB_ARMED: u32 = VGA_STATE + 0x14; // u32: some VRAM page is mapped for direct writes
const ST_NEXT_VSYNC: u32 = VGA_STATE + 0x18; // u64
const ST_SR: u32 = VGA_STATE + 0x40;
const ST_GR: u32 = VGA_STATE + 0x50;
const ST_AR: u32 = VGA_STATE + 0x60;
const ST_CR: u32 = VGA_STATE + 0x100; // 256
const ST_DAC: u32 = VGA_STATE + 0x200; // 768: R G B per entry
const ST_ARMED_MAP: u32 = VGA_STATE + 0x600; // DISPLAY_DIRTY_BYTES: VRAM pages direct-writable this frame

// Writable bits of the sequencer and graphics controller registers (QEMU sr_mask/gr_mask).
const SR_MASKS: u64 = 0xff_00_00_0e_3f_0f_3d_03;
const GR_MASK_LO: u64 = 0x0f_0f_7b_03_1f_0f_0f_0f; // registers 7..0
const GR_MASK_8: u32 = 0xff;

@inline function sr(i: u32): u32 {
  return <u32>load<u8>(ST_SR + i);
}
@inline function gr(i: u32): u32 {
  return <u32>load<u8>(ST_GR + i);
}
@inline function ar(i: u32): u32 {
  return <u32>load<u8>(ST_AR + i);
}
@inline function cr(i: u32): u32 {
  return <u32>load<u8>(ST_CR + i);
}
@inline function disp(field: u32, v: u32): void {
  store<u32>(VGA_DISPLAY + field, v);
}

/** Four copies of the low 4 bits, one per plane byte: bit p set → byte p = 0xff. */
@inline function expandPlanes(m: u32): u32 {
  return ((m & 1) != 0 ? 0xff : 0) | ((m & 2) != 0 ? 0xff00 : 0) | ((m & 4) != 0 ? 0xff0000 : 0) | ((m & 8) != 0 ? 0xff000000 : 0);
}

// ---- machine interface ----

export function vgaInit(): void {
  registerPorts(PORT_VGA_FIRST, VGA_PORT_COUNT, DEV_VGA);
  // The whole legacy window always belongs to the adapter (the chipset never
  // puts RAM there); offsets outside the selected map read as open bus.
  registerMmio(VGA_WINDOW_BASE, VGA_WINDOW_SIZE, DEV_VGA);
}

/** Power-on state: every register 0 (QEMU vga_common_reset), display blank. */
export function vgaReset(): void {
  memory.fill(VGA_STATE, 0, VGA_DISPLAY - VGA_STATE);
  memory.fill(VGA_DISPLAY, 0, DISPLAY_SIZE);
  store<u8>(ST_PEL_MASK, 0xff);
  store<u64>(ST_NEXT_VSYNC, NO_DEADLINE);
  for (let i: u32 = 0; i < DAC_ENTRIES; i++) updatePaletteEntry(i);
  vgaUpdateDisplay();
  markAllDirty();
}

// ---- I/O ports ----

function ioValid(port: u32): bool {
  const color = (load<u8>(ST_MISC) & MISC_COLOR) != 0;
  if (port >= 0x3b0 && port <= 0x3bf) return !color;
  if (port >= 0x3d0 && port <= 0x3df) return color;
  return true;
}

/** Input status 1 from the virtual clock: vertical retrace and display-disabled bits. */
function inputStatus1(): u32 {
  const t = clockNow() % FRAME_NS;
  const line = t / LINE_NS;
  let v: u32 = 0;
  if (line >= ACTIVE_LINES || t % LINE_NS >= ACTIVE_NS) v |= STATUS1_DISPLAY_DISABLED;
  if (line >= VRETRACE_FIRST && line < VRETRACE_FIRST + VRETRACE_LINES) v |= STATUS1_VRETRACE;
  return v;
}

export function vgaPortRead(port: u32): u32 {
  if (!ioValid(port)) return 0xff;
  switch (port) {
    case PORT_ATTR:
      return load<u8>(ST_AR_FLIP) == 0 ? <u32>load<u8>(ST_AR_INDEX) : 0;
    case PORT_ATTR_READ: {
      const i = <u32>load<u8>(ST_AR_INDEX) & AR_INDEX_MASK;
      return i < AR_COUNT ? ar(i) : 0;
    }
    case PORT_MISC_WRITE:
      return 0; // input status 0: no switch sense, no CRT interrupt
    case PORT_SEQ_INDEX:
      return <u32>load<u8>(ST_SR_INDEX);
    case PORT_SEQ_DATA:
      return sr(<u32>load<u8>(ST_SR_INDEX));
    case PORT_PEL_MASK:
      return <u32>load<u8>(ST_PEL_MASK);
    case PORT_DAC_READ_INDEX:
      return <u32>load<u8>(ST_DAC_STATE);
    case PORT_DAC_WRITE_INDEX:
      return <u32>load<u8>(ST_DAC_WRITE);
    case PORT_DAC_DATA: {
      const index = <u32>load<u8>(ST_DAC_READ);
      const sub = <u32>load<u8>(ST_DAC_SUB);
      const v = <u32>load<u8>(ST_DAC + index * DAC_COMPONENTS + sub);
      if (sub + 1 == DAC_COMPONENTS) {
        store<u8>(ST_DAC_SUB, 0);
        store<u8>(ST_DAC_READ, <u8>(index + 1));
      } else store<u8>(ST_DAC_SUB, <u8>(sub + 1));
      return v;
    }
    case PORT_FEATURE_READ:
      return <u32>load<u8>(ST_FEATURE);
    case PORT_MISC_READ:
      return <u32>load<u8>(ST_MISC);
    case PORT_GC_INDEX:
      return <u32>load<u8>(ST_GR_INDEX);
    case PORT_GC_DATA:
      return gr(<u32>load<u8>(ST_GR_INDEX));
    case PORT_CRTC_INDEX_MONO:
    case PORT_CRTC_INDEX_COLOR:
      return <u32>load<u8>(ST_CR_INDEX);
    case PORT_CRTC_DATA_MONO:
    case PORT_CRTC_DATA_COLOR:
      return cr(<u32>load<u8>(ST_CR_INDEX));
    case PORT_STATUS1_MONO:
    case PORT_STATUS1_COLOR:
      store<u8>(ST_AR_FLIP, 0);
      return inputStatus1();
    default:
      return 0xff;
  }
}

export function vgaPortWrite(port: u32, v: u32): void {
  if (!ioValid(port)) return;
  v &= 0xff;
  switch (port) {
    case PORT_ATTR:
      attrWrite(v);
      return;
    case PORT_MISC_WRITE:
      store<u8>(ST_MISC, <u8>(v & MISC_WRITABLE));
      vgaUpdateDisplay();
      return;
    case PORT_SEQ_INDEX:
      store<u8>(ST_SR_INDEX, <u8>(v & (SR_COUNT - 1)));
      return;
    case PORT_SEQ_DATA: {
      const i = <u32>load<u8>(ST_SR_INDEX);
      store<u8>(ST_SR + i, <u8>(v & <u32>((SR_MASKS >> (i * 8)) & 0xff)));
      vgaUpdateDisplay();
      return;
    }
    case PORT_PEL_MASK:
      store<u8>(ST_PEL_MASK, <u8>v);
      vgaUpdateDisplay();
      return;
    case PORT_DAC_READ_INDEX:
      store<u8>(ST_DAC_READ, <u8>v);
      store<u8>(ST_DAC_SUB, 0);
      store<u8>(ST_DAC_STATE, <u8>DAC_STATE_READ);
      return;
    case PORT_DAC_WRITE_INDEX:
      store<u8>(ST_DAC_WRITE, <u8>v);
      store<u8>(ST_DAC_SUB, 0);
      store<u8>(ST_DAC_STATE, <u8>DAC_STATE_WRITE);
      return;
    case PORT_DAC_DATA: {
      // The DAC takes an entry whole, after its third (blue) component.
      const sub = <u32>load<u8>(ST_DAC_SUB);
      store<u8>(ST_DAC_CACHE + sub, <u8>(vbeDac8Bit() ? v : v & DAC_6BIT));
      if (sub + 1 < DAC_COMPONENTS) {
        store<u8>(ST_DAC_SUB, <u8>(sub + 1));
        return;
      }
      const index = <u32>load<u8>(ST_DAC_WRITE);
      for (let c: u32 = 0; c < DAC_COMPONENTS; c++) store<u8>(ST_DAC + index * DAC_COMPONENTS + c, load<u8>(ST_DAC_CACHE + c));
      store<u8>(ST_DAC_SUB, 0);
      store<u8>(ST_DAC_WRITE, <u8>(index + 1));
      updatePaletteEntry(index);
      bumpGeneration();
      return;
    }
    case PORT_GC_INDEX:
      store<u8>(ST_GR_INDEX, <u8>(v & (GR_COUNT - 1)));
      return;
    case PORT_GC_DATA: {
      const i = <u32>load<u8>(ST_GR_INDEX);
      const mask = i < 8 ? <u32>((GR_MASK_LO >> (i * 8)) & 0xff) : i == GR_BIT_MASK ? GR_MASK_8 : 0;
      store<u8>(ST_GR + i, <u8>(v & mask));
      vgaUpdateDisplay();
      return;
    }
    case PORT_CRTC_INDEX_MONO:
    case PORT_CRTC_INDEX_COLOR:
      store<u8>(ST_CR_INDEX, <u8>v);
      return;
    case PORT_CRTC_DATA_MONO:
    case PORT_CRTC_DATA_COLOR: {
      const i = <u32>load<u8>(ST_CR_INDEX);
      if ((cr(CR_V_RETRACE_END) & CR11_PROTECT) != 0 && i <= CR_PROTECTED_LAST) {
        // VGA Technical Reference, CRTC 11h bit 7: the line compare bit of CR7 stays writable.
        if (i == CR_OVERFLOW) store<u8>(ST_CR + i, <u8>((cr(i) & ~CR7_LINE_COMPARE_8) | (v & CR7_LINE_COMPARE_8)));
      } else {
        store<u8>(ST_CR + i, <u8>v);
      }
      vgaUpdateDisplay();
      return;
    }
    case PORT_STATUS1_MONO:
    case PORT_STATUS1_COLOR:
      store<u8>(ST_FEATURE, <u8>(v & FEATURE_WRITABLE));
      return;
    case PORT_VGA_ENABLE:
    default:
      return;
  }
}

function attrWrite(v: u32): void {
  if (load<u8>(ST_AR_FLIP) == 0) {
    store<u8>(ST_AR_INDEX, <u8>(v & 0x3f));
    store<u8>(ST_AR_FLIP, 1);
    vgaUpdateDisplay(); // the palette address source bit blanks or shows the screen
    return;
  }
  store<u8>(ST_AR_FLIP, 0);
  const i = <u32>load<u8>(ST_AR_INDEX) & AR_INDEX_MASK;
  // Bits that exist in each register (VGA Technical Reference; QEMU vga_ioport_write).
  let mask: u32;
  if (i < AR_PALETTE_COUNT) mask = 0x3f;
  else if (i == AR_MODE) mask = 0xef;
  else if (i == AR_OVERSCAN) mask = 0xff;
  else if (i == AR_PLANE_ENABLE) mask = 0x3f;
  else if (i == AR_PANNING || i == AR_COLOR_SELECT) mask = 0x0f;
  else return;
  store<u8>(ST_AR + i, <u8>(v & mask));
  vgaUpdateDisplay();
}

// ---- video memory ----

/** Mark VRAM byte `off` changed for the host (DISPLAY_DIRTY). */
@inline export function markDirty(off: u32): void {
  const page = off >>> DISPLAY_DIRTY_SHIFT;
  const a = VGA_DISPLAY + DISPLAY_DIRTY + (page >>> 3);
  store<u8>(a, <u8>(<u32>load<u8>(a) | (<u32>1 << (page & 7))));
}

export function markAllDirty(): void {
  memory.fill(VGA_DISPLAY + DISPLAY_DIRTY, 0xff, DISPLAY_DIRTY_BYTES);
}

/**
 * Offset of window offset `addr` (0 .. 0x1FFFF from 0xA0000) in the memory
 * the sequencer addresses, or 0xffffffff outside the mapped window (GC 6 bits 2-3).
 */
function windowOffset(addr: u32): u32 {
  switch ((gr(GR_MISC) >>> GR6_MAP_SHIFT) & 3) {
    case 0:
      return addr;
    case 1:
      return addr < 0x10000 ? addr + vbeBankOffset() : 0xffffffff;
    case 2:
      return addr >= 0x10000 && addr < 0x18000 ? addr - 0x10000 : 0xffffffff;
    default:
      return addr >= 0x18000 ? addr - 0x18000 : 0xffffffff;
  }
}

@inline function chain4(): bool {
  return (sr(SR_MEMORY_MODE) & SR4_CHAIN4) != 0 || vbeChain4();
}

/** CPU read of window offset `addr` (one byte). */
export function vgaMemRead(addr: u32): u32 {
  const a = windowOffset(addr);
  if (a == 0xffffffff) return 0xff;
  const vram = vramBase();
  if (chain4()) {
    if (a >= VRAM_SIZE) return 0xff;
    store<u32>(ST_LATCH, load<u32>(vram + (a & ~3)));
    return <u32>load<u8>(vram + a);
  }
  if ((gr(GR_MODE) & GR5_ODD_EVEN) != 0) {
    const plane = (gr(GR_READ_MAP) & 2) | (a & 1);
    const off = ((a & ~1) << 1) | plane;
    if (off >= VRAM_SIZE) return 0xff;
    return <u32>load<u8>(vram + off);
  }
  if (a >= VRAM_SIZE / PLANES) return 0xff;
  const latch = load<u32>(vram + a * PLANES);
  store<u32>(ST_LATCH, latch);
  if ((gr(GR_MODE) & GR5_READ_MODE1) == 0) return (latch >>> ((gr(GR_READ_MAP) & 3) * 8)) & 0xff;
  // Read mode 1: a bit is 1 where every plane enabled by Color Don't Care matches Color Compare.
  let diff = (latch ^ expandPlanes(gr(GR_COLOR_COMPARE))) & expandPlanes(gr(GR_COLOR_DONT_CARE));
  diff |= diff >>> 16;
  diff |= diff >>> 8;
  return ~diff & 0xff;
}

/** CPU write of byte `v` at window offset `addr`. */
export function vgaMemWrite(addr: u32, v: u32): void {
  const a = windowOffset(addr);
  if (a == 0xffffffff) return;
  v &= 0xff;
  const vram = vramBase();
  const mapMask = vbeChain4() ? 0xf : sr(SR_MAP_MASK);
  if (chain4()) {
    if (a >= VRAM_SIZE || (mapMask & (1 << (a & 3))) == 0) return;
    store<u8>(vram + a, <u8>v);
    markDirty(a);
    return;
  }
  if ((sr(SR_MEMORY_MODE) & SR4_ODD_EVEN_DISABLE) == 0) {
    const plane = (gr(GR_READ_MAP) & 2) | (a & 1);
    if ((mapMask & (1 << plane)) == 0) return;
    const off = ((a & ~1) << 1) | plane;
    if (off >= VRAM_SIZE) return;
    store<u8>(vram + off, <u8>v);
    markDirty(off);
    return;
  }
  if (a >= VRAM_SIZE / PLANES) return;
  const latch = load<u32>(ST_LATCH);
  const rotate = gr(GR_ROTATE) & 7;
  let data: u32;
  let bitMask: u32 = gr(GR_BIT_MASK);
  let logical = true;
  switch (gr(GR_MODE) & 3) {
    case 0: {
      let b = ((v >>> rotate) | (v << (8 - rotate))) & 0xff;
      data = b | (b << 8) | (b << 16) | (b << 24);
      const enable = expandPlanes(gr(GR_ENABLE_SET_RESET));
      data = (data & ~enable) | (expandPlanes(gr(GR_SET_RESET)) & enable);
      break;
    }
    case 1:
      data = latch;
      logical = false;
      break;
    case 2:
      data = expandPlanes(v);
      break;
    default: {
      const b = ((v >>> rotate) | (v << (8 - rotate))) & 0xff;
      bitMask &= b;
      data = expandPlanes(gr(GR_SET_RESET));
      break;
    }
  }
  if (logical) {
    switch (gr(GR_ROTATE) >>> 3) {
      case 1:
        data &= latch;
        break;
      case 2:
        data |= latch;
        break;
      case 3:
        data ^= latch;
        break;
      default:
        break;
    }
    bitMask |= bitMask << 8;
    bitMask |= bitMask << 16;
    data = (data & bitMask) | (latch & ~bitMask);
  }
  const writeMask = expandPlanes(mapMask);
  const p = vram + a * PLANES;
  store<u32>(p, (load<u32>(p) & ~writeMask) | (data & writeMask));
  markDirty(a * PLANES);
}

export function vgaMmioRead(phys: u32, size: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) v |= vgaMemRead(phys + i - VGA_WINDOW_BASE) << (i * 8);
  return v;
}

export function vgaMmioWrite(phys: u32, v: u32, size: u32): void {
  for (let i: u32 = 0; i < size; i++) vgaMemWrite(phys + i - VGA_WINDOW_BASE, v >>> (i * 8));
}

// ---- the linear framebuffer's direct mapping (vbe.ts, cpu/paging.ts) ----

/** True when VRAM page `page` (offset >> 12) was written since the last retrace, so it may map writable. */
export function vramPageArmed(page: u32): bool {
  return ((<u32>load<u8>(ST_ARMED_MAP + (page >>> 3)) >>> (page & 7)) & 1) != 0;
}

/**
 * A write through the slow path reached VRAM page `page`: tell the host, and
 * let later writes to it this frame go straight to VRAM.
 */
export function vramPageWritten(page: u32): void {
  const a = ST_ARMED_MAP + (page >>> 3);
  store<u8>(a, <u8>(<u32>load<u8>(a) | (<u32>1 << (page & 7))));
  markDirty(page << DISPLAY_DIRTY_SHIFT);
  if (load<u32>(ST_LFB_ARMED) == 0) {
    store<u32>(ST_LFB_ARMED, 1);
    const now = clockNow();
    store<u64>(ST_NEXT_VSYNC, now - now % FRAME_NS + FRAME_NS);
  }
}

/**
 * Timer service (machine/timers.ts): at each vertical retrace after the
 * guest wrote the framebuffer through direct mappings, take those mappings
 * back (a TLB flush) so the next write to each page marks it dirty again.
 */
export function vgaAdvance(now: u64): u64 {
  const next = load<u64>(ST_NEXT_VSYNC);
  if (next == NO_DEADLINE || now < next) return next;
  store<u32>(ST_LFB_ARMED, 0);
  store<u64>(ST_NEXT_VSYNC, NO_DEADLINE);
  memory.fill(ST_ARMED_MAP, 0, DISPLAY_DIRTY_BYTES);
  tlbFlushAll(false);
  invalidateFetch();
  return NO_DEADLINE;
}

// ---- the display descriptor ----

@inline function bumpGeneration(): void {
  disp(DISPLAY_GENERATION, load<u32>(VGA_DISPLAY + DISPLAY_GENERATION) + 1);
}

/** DAC entry → RGBA8 (6-bit components widened as QEMU's c6_to_8, or used whole in 8-bit DAC mode). */
function updatePaletteEntry(i: u32): void {
  let rgba: u32 = 0xff000000;
  const dac8 = vbeDac8Bit();
  for (let c: u32 = 0; c < DAC_COMPONENTS; c++) {
    let x = <u32>load<u8>(ST_DAC + i * DAC_COMPONENTS + c);
    if (!dac8) {
      x &= DAC_6BIT;
      const b = x & 1;
      x = (x << 2) | (b << 1) | b;
    }
    rgba |= x << (c * 8);
  }
  store<u32>(VGA_DISPLAY + DISPLAY_PALETTE + i * 4, rgba);
}

/** The 8-bit DAC switch changed (VBE): widen every entry again. */
export function vgaPaletteModeChanged(): void {
  for (let i: u32 = 0; i < DAC_ENTRIES; i++) updatePaletteEntry(i);
  bumpGeneration();
}

/** Attribute palette entry `i` → DAC index (VGA Technical Reference, Attribute Mode Control bit 7, Color Select). */
function attrToDac(i: u32): u32 {
  const p = ar(i & ar(AR_PLANE_ENABLE) & 0xf);
  const sel = ar(AR_COLOR_SELECT);
  if ((ar(AR_MODE) & AR10_P54S) != 0) return (p & 0x0f) | ((sel & 0x0f) << 4);
  return (p & 0x3f) | ((sel & 0x0c) << 4);
}

/** Vertical display end: CR12 plus overflow bits 1 (bit 8) and 6 (bit 9). */
function verticalDisplayEnd(): u32 {
  const o = cr(CR_OVERFLOW);
  return cr(CR_V_DISPLAY_END) | ((o & 0x02) << 7) | ((o & 0x40) << 3);
}

/** Recompute the display descriptor from the registers; bump the generation if anything changed. */
export function vgaUpdateDisplay(): void {
  const sum = descriptorChecksum();
  for (let i: u32 = 0; i < AR_PALETTE_COUNT; i++) store<u8>(VGA_DISPLAY + DISPLAY_ATTR_MAP + i, <u8>attrToDac(i));
  disp(DISPLAY_VRAM_ADDRESS, vramBase());
  disp(DISPLAY_VRAM_SIZE, VRAM_SIZE);
  disp(DISPLAY_PEL_MASK, <u32>load<u8>(ST_PEL_MASK));
  const start = ((cr(CR_START_HI) << 8) | cr(CR_START_LO)) * PLANES;
  if (vbeEnabled()) {
    // QEMU shows VBE modes whatever the attribute index (the Bochs BIOS never sets it).
    vbeDescribe();
  } else if ((load<u8>(ST_AR_INDEX) & AR_PALETTE_ADDRESS_SOURCE) == 0 || (sr(SR_CLOCKING) & SR1_SCREEN_OFF) != 0) {
    setGeometry(DISPLAY_KIND_BLANK, 0, 0, 0, 0, 0);
  } else if ((gr(GR_MISC) & GR6_GRAPHICS) == 0) {
    describeText(start);
  } else {
    describeGraphics(start);
  }
  if (sum != descriptorChecksum()) bumpGeneration();
}

/** A cheap fingerprint of the descriptor fields (not the palette or dirty bits). */
function descriptorChecksum(): u64 {
  let h: u64 = 0;
  for (let o: u32 = DISPLAY_KIND; o < DISPLAY_PALETTE; o += 4) h = h * 31 + <u64>load<u32>(VGA_DISPLAY + o);
  return h;
}

/** Set the fields every kind has. */
export function setGeometry(kind: u32, width: u32, height: u32, bpp: u32, stride: u32, start: u32): void {
  disp(DISPLAY_KIND, kind);
  disp(DISPLAY_WIDTH, width);
  disp(DISPLAY_HEIGHT, height);
  disp(DISPLAY_BPP, bpp);
  disp(DISPLAY_STRIDE, stride);
  disp(DISPLAY_START, start);
}

/** Graphics scan-line fields for a linear mode (VBE): every line once, no interleave, no split. */
export function setLinearScan(lines: u32): void {
  disp(DISPLAY_LINES, lines);
  disp(DISPLAY_MULTI_SCAN, 0);
  disp(DISPLAY_CRTC_MODE, 3);
  disp(DISPLAY_LINE_COMPARE, 0xffffffff);
}

function describeText(start: u32): void {
  const charWidth: u32 = (sr(SR_CLOCKING) & SR1_8DOT) != 0 ? 8 : 9;
  const charHeight = (cr(CR_MAX_SCAN) & SCAN_MASK) + 1;
  let cols = cr(CR_H_DISPLAY_END) + 1;
  let rows = (verticalDisplayEnd() + 1) / charHeight;
  if (cols > TEXT_MAX) cols = TEXT_MAX;
  if (rows > TEXT_MAX) rows = TEXT_MAX;
  setGeometry(DISPLAY_KIND_TEXT, cols * charWidth, rows * charHeight, 0, cr(CR_OFFSET) << 3, start);
  disp(DISPLAY_COLS, cols);
  disp(DISPLAY_ROWS, rows);
  disp(DISPLAY_CHAR_WIDTH, charWidth);
  disp(DISPLAY_CHAR_HEIGHT, charHeight);
  disp(DISPLAY_CURSOR, (cr(CR_CURSOR_HI) << 8) | cr(CR_CURSOR_LO));
  const cs = cr(CR_CURSOR_START);
  disp(DISPLAY_CURSOR_START, (cs & CURSOR_DISABLE) != 0 ? DISPLAY_CURSOR_OFF : cs & SCAN_MASK);
  disp(DISPLAY_CURSOR_END, cr(CR_CURSOR_END) & SCAN_MASK);
  // Sequencer 3: map A in bits 5,3,2, map B in bits 4,1,0; map n starts at plane-2 offset 8 KiB × n
  // in the order 0, 16K, 32K, 48K, 8K, 24K, 40K, 56K (low select bit = 8 KiB).
  const v = sr(SR_CHAR_MAP);
  const mapA = ((v >>> 5) & 1) | ((v >>> 1) & 6);
  const mapB = ((v >>> 4) & 1) | ((v << 1) & 6);
  disp(DISPLAY_FONT_A, mapA * FONT_MAP_BYTES + FONT_PLANE);
  disp(DISPLAY_FONT_B, mapB * FONT_MAP_BYTES + FONT_PLANE);
  const m = ar(AR_MODE);
  disp(
    DISPLAY_TEXT_FLAGS,
    ((m & AR10_BLINK) != 0 ? DISPLAY_TEXT_BLINK : 0) | ((m & AR10_LINE_GRAPHICS) != 0 ? DISPLAY_TEXT_LINE_GRAPHICS : 0),
  );
}

function describeGraphics(start: u32): void {
  const shift = (gr(GR_MODE) >>> GR5_SHIFT_SHIFT) & 3;
  const dots = (cr(CR_H_DISPLAY_END) + 1) * 8;
  let lines = verticalDisplayEnd() + 1;
  if (lines > GRAPHICS_MAX_LINES) lines = GRAPHICS_MAX_LINES;
  const maxScan = cr(CR_MAX_SCAN);
  const doubleScan = maxScan >>> 7;
  // QEMU vga_draw_graphic: CGA modes ignore the maximum scan line.
  const multiScan = shift == 1 ? doubleScan : (((maxScan & SCAN_MASK) + 1) << doubleScan) - 1;
  const height = (lines + multiScan) / (multiScan + 1);
  let kind = DISPLAY_KIND_PLANAR;
  let bpp: u32 = 4;
  let width = dots;
  if (shift == 1) {
    kind = DISPLAY_KIND_CGA;
    bpp = 2;
  } else if (shift >= 2) {
    kind = DISPLAY_KIND_256;
    bpp = 8;
    width = dots >>> 1;
  }
  if (width > GRAPHICS_MAX_WIDTH) width = GRAPHICS_MAX_WIDTH;
  setGeometry(kind, width, height, bpp, cr(CR_OFFSET) << 3, start);
  disp(DISPLAY_LINES, lines);
  disp(DISPLAY_MULTI_SCAN, multiScan);
  disp(DISPLAY_CRTC_MODE, cr(CR_MODE));
  disp(
    DISPLAY_LINE_COMPARE,
    cr(CR_LINE_COMPARE) | ((cr(CR_OVERFLOW) & CR7_LINE_COMPARE_8) << 4) | ((cr(CR_MAX_SCAN) & 0x40) << 3),
  );
}

/** VBE (vbe.ts) wrote the VGA registers it programs for its modes. */
export function vgaSetRegister(kind: u32, index: u32, v: u32): void {
  if (kind == 0) store<u8>(ST_SR + (index & (SR_COUNT - 1)), <u8>v);
  else if (kind == 1) store<u8>(ST_GR + (index & (GR_COUNT - 1)), <u8>v);
  else store<u8>(ST_CR + (index & 0xff), <u8>v);
}
export function vgaGetRegister(kind: u32, index: u32): u32 {
  if (kind == 0) return sr(index & (SR_COUNT - 1));
  if (kind == 1) return gr(index & (GR_COUNT - 1));
  return cr(index & 0xff);
}
export const VGA_REG_SR: u32 = 0;
export const VGA_REG_GR: u32 = 1;
export const VGA_REG_CR: u32 = 2;
