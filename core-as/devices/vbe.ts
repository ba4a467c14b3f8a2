// Bochs VBE ("DISPI") extensions and the PCI function of QEMU's std VGA
// (PCI 1234:1111), the adapter Debian's SeaBIOS vgabios-stdvga.bin drives.
//
// Reference: QEMU docs/specs/standard-vga.rst and hw/display/vga.c
// (vbe_ioport_write_data, vbe_fixup_regs, vbe_update_vgaregs), Bochs
// iodev/vga.h (VBE_DISPI_* constants).
//
// DISPI registers, 16-bit, through index port 0x1CE and data port 0x1CF
// (0x1D0 on non-x86 QEMU targets answers too):
//   0 ID (writes of 0xB0C0-0xB0C5 stick; reads 0xB0C5 after reset)
//   1 XRES  2 YRES  3 BPP (4, 8, 15, 16, 24, 32)
//   4 ENABLE: bit 0 enabled, 1 GETCAPS (XRES/YRES/BPP read their maximum),
//             5 8-bit DAC, 6 LFB, 7 NOCLEARMEM (otherwise enabling clears
//             the visible memory)
//   5 BANK (64 KiB bank of VRAM seen at 0xA0000 while enabled)
//   6 VIRT_WIDTH  7 VIRT_HEIGHT (read-only: what VRAM holds)  8 X_OFFSET  9 Y_OFFSET
//   10 VIDEO_MEMORY_64K (read-only: VRAM size / 64 KiB)
// Every mode write is clamped as QEMU's vbe_fixup_regs does.
//
// PCI: bus 0 device 2 function 0 (devfn 0x10, QEMU's pc machine), class 030000,
// revision 2, no interrupt pin.
//   BAR0  16 MiB prefetchable memory: the linear framebuffer, VRAM from offset 0
//   BAR2  4 KiB memory: +0x400-0x41F VGA ports 0x3C0-0x3DF (byte lanes in port
//         order), +0x500-0x515 DISPI register n at 2n (16-bit), +0x600 QEMU
//         extended registers (region size, framebuffer endianness)
//   ROM   the VGA BIOS the host copied to OPTION_ROM_AREA (vbeSetRom)
// Framebuffer pages are mapped straight to VRAM by the TLB (vbeDirectPage,
// used by cpu/paging.ts): reads always, writes once the page has been written
// through the slow path in the current frame, so the host still learns which
// pages changed (vga.ts vramPageWritten / vgaAdvance).

import { VBE_STATE, VRAM_SIZE } from '../machine/layout';
import { vramBase, getRamSize } from '../machine/physmem';
import { registerPorts } from '../machine/ports';
import { registerMmio } from '../machine/mmio';
import { DEV_NONE, DEV_VBE } from '../machine/device-ids';
import { OPTION_ROM_AREA, OPTION_ROM_AREA_SIZE } from '../machine/firmware';
import {
  pciAddFunction, pciDeclareBar, pciSetQemuSubsystem, pciBarAddress, pciSet16, pciSet32, PCI_NO_FUNCTION,
  PCI_BAR_MEM, PCI_BAR_PREFETCH, PCI_BAR_ROM, PCI_BAR_UNMAPPED, PCI_BAR0, PCI_ROM_ADDRESS, PCI_COMMAND,
} from '../machine/pci';
import {
  vgaUpdateDisplay, vgaPaletteModeChanged, vgaPortRead, vgaPortWrite, vgaSetRegister, vgaGetRegister,
  setGeometry, setLinearScan, markDirty, vramPageArmed, vramPageWritten, VGA_REG_GR, VGA_REG_CR,
} from './vga';
import { DISPLAY_KIND_PLANAR, DISPLAY_KIND_VBE, DISPLAY_DIRTY_SHIFT } from './vga-display';

export const PORT_VBE_INDEX: u32 = 0x1ce;
export const VBE_PORT_COUNT: u32 = 3; // index, data, and the alternative data port 0x1D0

export const VBE_INDEX_ID: u32 = 0;
export const VBE_INDEX_XRES: u32 = 1;
export const VBE_INDEX_YRES: u32 = 2;
export const VBE_INDEX_BPP: u32 = 3;
export const VBE_INDEX_ENABLE: u32 = 4;
export const VBE_INDEX_BANK: u32 = 5;
export const VBE_INDEX_VIRT_WIDTH: u32 = 6;
export const VBE_INDEX_VIRT_HEIGHT: u32 = 7;
export const VBE_INDEX_X_OFFSET: u32 = 8;
export const VBE_INDEX_Y_OFFSET: u32 = 9;
export const VBE_INDEX_VIDEO_MEMORY_64K: u32 = 10;
const VBE_REGISTERS: u32 = 10; // ID .. Y_OFFSET are stored

export const VBE_ID0: u32 = 0xb0c0;
export const VBE_ID5: u32 = 0xb0c5;
export const VBE_ENABLED: u32 = 0x01;
export const VBE_GETCAPS: u32 = 0x02;
export const VBE_8BIT_DAC: u32 = 0x20;
export const VBE_LFB_ENABLED: u32 = 0x40;
export const VBE_NOCLEARMEM: u32 = 0x80;
/** Largest mode: 1920×1080 is the advertised target; QEMU's limits let bigger virtual screens fit in VRAM. */
export const VBE_MAX_XRES: u32 = 16000;
export const VBE_MAX_YRES: u32 = 12000;
export const VBE_MAX_BPP: u32 = 32;
const BANK_SIZE: u32 = 0x10000;
const BANK_MASK: u32 = VRAM_SIZE / BANK_SIZE - 1;

// PCI identity (QEMU hw/display/vga-pci.c).
const VENDOR_QEMU: u32 = 0x1234;
const DEVICE_STD_VGA: u32 = 0x1111;
const CLASS_VGA: u32 = 0x030000;
const REVISION: u32 = 2; // the extended registers at +0x600 exist
const DEVFN_VGA: u32 = 0x10;
const BAR_LFB: u32 = 0;
const BAR_MMIO: u32 = 2;
const MMIO_BAR_SIZE: u32 = 0x1000;
const MMIO_VGA_PORTS: u32 = 0x400;
const MMIO_VGA_PORTS_END: u32 = 0x420;
const MMIO_DISPI: u32 = 0x500;
const MMIO_DISPI_END: u32 = 0x516;
const MMIO_QEXT_SIZE: u32 = 0x600;
const MMIO_QEXT_ENDIAN: u32 = 0x604;
const QEXT_REGION_SIZE: u32 = 8;
const QEXT_LITTLE_ENDIAN: u32 = 0x1e1e1e1e;
const VGA_PORT_BASE: u32 = 0x3c0;
const ROM_MIN_SIZE: u32 = 0x800;
/** A page of wasm memory may be written directly (vbeDirectPage's low bit). */
export const DIRECT_WRITABLE: u32 = 1;

// State (VBE_STATE):
const ST_REGS: u32 = VBE_STATE + 0x00; // u16 × 16
const ST_INDEX: u32 = VBE_STATE + 0x20; // u32
const ST_LINE_OFFSET: u32 = VBE_STATE + 0x24; // bytes per virtual line
const ST_START: u32 = VBE_STATE + 0x28; // byte offset of the visible top-left pixel
const ST_BANK_OFFSET: u32 = VBE_STATE + 0x2c;
const ST_LFB: u32 = VBE_STATE + 0x30; // where BAR0 decodes now (PCI_BAR_UNMAPPED if not)
const ST_MMIO: u32 = VBE_STATE + 0x34;
const ST_ROM: u32 = VBE_STATE + 0x38;
const ST_RESET_END: u32 = VBE_STATE + 0x40;
// Kept across resets (the host's choice of image):
const ST_ROM_IMAGE: u32 = VBE_STATE + 0x40; // bytes of VGA BIOS in OPTION_ROM_AREA
const ST_ROM_BAR: u32 = VBE_STATE + 0x44; // ROM BAR size

/** The function's PCI slot (a cache: set when the machine is built). */
let vgaSlot: u32 = 0xff; // PCI_NO_FUNCTION (a literal: pci.ts imports this file)

@inline function reg(i: u32): u32 {
  return <u32>load<u16>(ST_REGS + i * 2);
}
@inline function setReg(i: u32, v: u32): void {
  store<u16>(ST_REGS + i * 2, <u16>v);
}

export function vbeInit(): void {
  registerPorts(PORT_VBE_INDEX, VBE_PORT_COUNT, DEV_VBE);
  vgaSlot = pciAddFunction(DEVFN_VGA, DEV_VBE, VENDOR_QEMU, DEVICE_STD_VGA, CLASS_VGA, REVISION, 0);
  if (vgaSlot == PCI_NO_FUNCTION) return;
  pciSetQemuSubsystem(vgaSlot);
  pciDeclareBar(vgaSlot, BAR_LFB, VRAM_SIZE, PCI_BAR_MEM | PCI_BAR_PREFETCH);
  pciDeclareBar(vgaSlot, BAR_MMIO, MMIO_BAR_SIZE, PCI_BAR_MEM);
  const romBar = load<u32>(ST_ROM_BAR);
  if (romBar != 0) pciDeclareBar(vgaSlot, PCI_BAR_ROM, romBar, PCI_BAR_MEM);
  store<u32>(ST_LFB, PCI_BAR_UNMAPPED);
  store<u32>(ST_MMIO, PCI_BAR_UNMAPPED);
  store<u32>(ST_ROM, PCI_BAR_UNMAPPED);
}

/** Power-on: VBE off, ID 0xB0C5, BARs unassigned and decoding off. */
export function vbeReset(): void {
  if (vgaSlot != PCI_NO_FUNCTION) {
    pciSet16(vgaSlot, PCI_COMMAND, 0);
    pciSet32(vgaSlot, PCI_BAR0 + BAR_LFB * 4, PCI_BAR_MEM | PCI_BAR_PREFETCH);
    pciSet32(vgaSlot, PCI_BAR0 + BAR_MMIO * 4, PCI_BAR_MEM);
    pciSet32(vgaSlot, PCI_ROM_ADDRESS, 0);
    vbePciMappingChanged();
  }
  memory.fill(ST_REGS, 0, ST_LFB - ST_REGS);
  setReg(VBE_INDEX_ID, VBE_ID5);
}

/**
 * The host copied a VGA BIOS of `size` bytes to OPTION_ROM_AREA: expose it
 * through the expansion ROM BAR (the smallest power of two ≥ size). Call
 * before the guest runs. Returns false for an empty or oversized image.
 */
export function vbeSetRom(size: u32): bool {
  if (size == 0 || size > OPTION_ROM_AREA_SIZE) return false;
  let bar = ROM_MIN_SIZE;
  while (bar < size) bar <<= 1;
  store<u32>(ST_ROM_IMAGE, size);
  store<u32>(ST_ROM_BAR, bar);
  if (vgaSlot != PCI_NO_FUNCTION) pciDeclareBar(vgaSlot, PCI_BAR_ROM, bar, PCI_BAR_MEM);
  return true;
}

// ---- DISPI registers ----

export function vbeEnabled(): bool {
  return (reg(VBE_INDEX_ENABLE) & VBE_ENABLED) != 0;
}
export function vbeBankOffset(): u32 {
  return load<u32>(ST_BANK_OFFSET);
}
export function vbeDac8Bit(): bool {
  return (reg(VBE_INDEX_ENABLE) & VBE_8BIT_DAC) != 0;
}
/** VBE modes above 4 bpp see VRAM through the window as chain 4 with every plane enabled (QEMU sr_vbe). */
export function vbeChain4(): bool {
  return vbeEnabled() && reg(VBE_INDEX_BPP) != 4;
}

function dispiRead(index: u32): u32 {
  if (index < VBE_REGISTERS) {
    if ((reg(VBE_INDEX_ENABLE) & VBE_GETCAPS) != 0) {
      if (index == VBE_INDEX_XRES) return VBE_MAX_XRES;
      if (index == VBE_INDEX_YRES) return VBE_MAX_YRES;
      if (index == VBE_INDEX_BPP) return VBE_MAX_BPP;
    }
    return reg(index);
  }
  if (index == VBE_INDEX_VIDEO_MEMORY_64K) return VRAM_SIZE / BANK_SIZE;
  return 0;
}

function dispiWrite(index: u32, v: u32): void {
  v &= 0xffff;
  switch (index) {
    case VBE_INDEX_ID:
      if (v >= VBE_ID0 && v <= VBE_ID5) setReg(index, v);
      return;
    case VBE_INDEX_XRES:
    case VBE_INDEX_YRES:
    case VBE_INDEX_BPP:
    case VBE_INDEX_VIRT_WIDTH:
    case VBE_INDEX_X_OFFSET:
    case VBE_INDEX_Y_OFFSET:
      setReg(index, v);
      fixupRegs();
      updateVgaRegs();
      break;
    case VBE_INDEX_BANK:
      setReg(index, v & BANK_MASK);
      store<u32>(ST_BANK_OFFSET, (v & BANK_MASK) * BANK_SIZE);
      break;
    case VBE_INDEX_ENABLE: {
      const old = reg(VBE_INDEX_ENABLE);
      if ((v & VBE_ENABLED) != 0 && (old & VBE_ENABLED) == 0) {
        setReg(VBE_INDEX_VIRT_WIDTH, 0);
        setReg(VBE_INDEX_X_OFFSET, 0);
        setReg(VBE_INDEX_Y_OFFSET, 0);
        setReg(VBE_INDEX_ENABLE, old | VBE_ENABLED);
        fixupRegs();
        updateVgaRegs();
        if ((v & VBE_NOCLEARMEM) == 0) {
          const bytes = reg(VBE_INDEX_YRES) * load<u32>(ST_LINE_OFFSET);
          memory.fill(vramBase(), 0, bytes);
          for (let off: u32 = 0; off < bytes; off += 1 << DISPLAY_DIRTY_SHIFT) markDirty(off);
        }
      } else {
        store<u32>(ST_BANK_OFFSET, 0);
      }
      setReg(VBE_INDEX_ENABLE, v);
      if (((old ^ v) & VBE_8BIT_DAC) != 0) vgaPaletteModeChanged();
      break;
    }
    default:
      return;
  }
  vgaUpdateDisplay();
}

/** Clamp the mode registers to what VRAM holds (QEMU vbe_fixup_regs). */
function fixupRegs(): void {
  if (!vbeEnabled()) return;
  let bits: u32;
  const bpp = reg(VBE_INDEX_BPP);
  if (bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32) bits = bpp;
  else if (bpp == 15) bits = 16;
  else {
    bits = 8;
    setReg(VBE_INDEX_BPP, 8);
  }
  let xres = reg(VBE_INDEX_XRES) & ~7;
  if (xres == 0) xres = 8;
  if (xres > VBE_MAX_XRES) xres = VBE_MAX_XRES;
  setReg(VBE_INDEX_XRES, xres);
  let virtWidth = reg(VBE_INDEX_VIRT_WIDTH) & ~7;
  if (virtWidth > VBE_MAX_XRES) virtWidth = VBE_MAX_XRES;
  if (virtWidth < xres) virtWidth = xres;
  setReg(VBE_INDEX_VIRT_WIDTH, virtWidth);
  const lineLength = (virtWidth * bits) / 8;
  const maxY = VRAM_SIZE / lineLength;
  let yres = reg(VBE_INDEX_YRES);
  if (yres == 0) yres = 1;
  if (yres > VBE_MAX_YRES) yres = VBE_MAX_YRES;
  if (yres > maxY) yres = maxY;
  setReg(VBE_INDEX_YRES, yres);
  if (reg(VBE_INDEX_X_OFFSET) > VBE_MAX_XRES) setReg(VBE_INDEX_X_OFFSET, VBE_MAX_XRES);
  if (reg(VBE_INDEX_Y_OFFSET) > VBE_MAX_YRES) setReg(VBE_INDEX_Y_OFFSET, VBE_MAX_YRES);
  let offset = (reg(VBE_INDEX_X_OFFSET) * bits) / 8 + reg(VBE_INDEX_Y_OFFSET) * lineLength;
  if (<u64>offset + <u64>yres * <u64>lineLength > <u64>VRAM_SIZE) {
    // Out of range: try without the vertical offset, then without any.
    setReg(VBE_INDEX_Y_OFFSET, 0);
    offset = (reg(VBE_INDEX_X_OFFSET) * bits) / 8;
    if (<u64>offset + <u64>yres * <u64>lineLength > <u64>VRAM_SIZE) {
      setReg(VBE_INDEX_X_OFFSET, 0);
      offset = 0;
    }
  }
  setReg(VBE_INDEX_VIRT_HEIGHT, maxY);
  store<u32>(ST_LINE_OFFSET, lineLength);
  store<u32>(ST_START, offset & ~3); // QEMU keeps the start in dwords
}

/** Program the VGA registers a VBE mode implies (QEMU vbe_update_vgaregs), for guests that read them. */
function updateVgaRegs(): void {
  if (!vbeEnabled()) return;
  // Graphics, memory map 1 (64 KiB at 0xA0000 for the banks).
  vgaSetRegister(VGA_REG_GR, 6, (vgaGetRegister(VGA_REG_GR, 6) & ~0x0c) | 0x04 | 0x01);
  vgaSetRegister(VGA_REG_CR, 0x17, vgaGetRegister(VGA_REG_CR, 0x17) | 3);
  vgaSetRegister(VGA_REG_CR, 0x13, (load<u32>(ST_LINE_OFFSET) >>> 3) & 0xff);
  vgaSetRegister(VGA_REG_CR, 0x01, ((reg(VBE_INDEX_XRES) >>> 3) - 1) & 0xff);
  const h = reg(VBE_INDEX_YRES) - 1;
  vgaSetRegister(VGA_REG_CR, 0x12, h & 0xff);
  let overflow = (vgaGetRegister(VGA_REG_CR, 0x07) & ~0x42) | ((h >>> 7) & 0x02) | ((h >>> 3) & 0x40);
  vgaSetRegister(VGA_REG_CR, 0x18, 0xff);
  overflow |= 0x10;
  vgaSetRegister(VGA_REG_CR, 0x07, overflow);
  const shift: u32 = reg(VBE_INDEX_BPP) == 4 ? 0 : 2;
  vgaSetRegister(VGA_REG_GR, 5, (vgaGetRegister(VGA_REG_GR, 5) & ~0x60) | (shift << 5));
  vgaSetRegister(VGA_REG_CR, 0x09, (vgaGetRegister(VGA_REG_CR, 0x09) | 0x40) & ~0x9f);
  // QEMU keeps the sequencer's chain 4 / map mask changes in a shadow (sr_vbe): vbeChain4().
}

/** Fill the display descriptor for the enabled VBE mode (vga.ts vgaUpdateDisplay). */
export function vbeDescribe(): void {
  const bpp = reg(VBE_INDEX_BPP);
  const kind = bpp == 4 ? DISPLAY_KIND_PLANAR : DISPLAY_KIND_VBE;
  setGeometry(kind, reg(VBE_INDEX_XRES), reg(VBE_INDEX_YRES), bpp, load<u32>(ST_LINE_OFFSET), load<u32>(ST_START));
  setLinearScan(reg(VBE_INDEX_YRES));
}

// ---- I/O ports (wide: 16-bit registers) ----

export function vbePortRead(port: u32, size: u32): u32 {
  const v = port == PORT_VBE_INDEX ? load<u32>(ST_INDEX) : dispiRead(load<u32>(ST_INDEX));
  return size == 1 ? v & 0xff : v;
}

export function vbePortWrite(port: u32, v: u32, size: u32): void {
  if (size == 1) v &= 0xff;
  if (port == PORT_VBE_INDEX) store<u32>(ST_INDEX, v & 0xffff);
  else dispiWrite(load<u32>(ST_INDEX), v);
}

// ---- PCI ----

/** BAR0, BAR2 or the ROM BAR moved, or decoding was switched: claim the new pages. */
export function vbePciMappingChanged(): void {
  if (vgaSlot == PCI_NO_FUNCTION) return;
  const romBar = load<u32>(ST_ROM_BAR);
  unmap(ST_LFB, VRAM_SIZE);
  unmap(ST_MMIO, MMIO_BAR_SIZE);
  unmap(ST_ROM, romBar);
  map(ST_LFB, pciBarAddress(vgaSlot, BAR_LFB), VRAM_SIZE);
  map(ST_MMIO, pciBarAddress(vgaSlot, BAR_MMIO), MMIO_BAR_SIZE);
  if (romBar != 0) map(ST_ROM, pciBarAddress(vgaSlot, PCI_BAR_ROM), romBar);
}

function unmap(field: u32, size: u32): void {
  const base = load<u32>(field);
  if (base != PCI_BAR_UNMAPPED) registerMmio(base, size, DEV_NONE);
  store<u32>(field, PCI_BAR_UNMAPPED);
}

/** Claim [base, base + size) unless it is unassigned, wraps past 4 GiB, or overlaps guest RAM (RAM wins, as in QEMU's PCI hole). */
function map(field: u32, base: u32, size: u32): void {
  if (base == PCI_BAR_UNMAPPED || base == 0) return;
  if (<u64>base + <u64>size > 0x1_0000_0000 || base < getRamSize()) return;
  registerMmio(base, size, DEV_VBE);
  store<u32>(field, base);
}

@inline function inRange(phys: u32, field: u32, size: u32): bool {
  const base = load<u32>(field);
  return base != PCI_BAR_UNMAPPED && phys - base < size;
}

export function vbeMmioRead(phys: u32, size: u32): u32 {
  if (inRange(phys, ST_LFB, VRAM_SIZE)) {
    const a = vramBase() + (phys - load<u32>(ST_LFB));
    return size == 1 ? <u32>load<u8>(a) : size == 2 ? <u32>load<u16>(a) : load<u32>(a);
  }
  if (inRange(phys, ST_MMIO, MMIO_BAR_SIZE)) return mmioBarRead(phys - load<u32>(ST_MMIO), size);
  if (inRange(phys, ST_ROM, load<u32>(ST_ROM_BAR))) {
    const off = phys - load<u32>(ST_ROM);
    let v: u32 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const o = off + i;
      if (o < load<u32>(ST_ROM_IMAGE)) v |= <u32>load<u8>(OPTION_ROM_AREA + o) << (i * 8);
    }
    return v;
  }
  return size == 4 ? 0xffffffff : size == 2 ? 0xffff : 0xff;
}

export function vbeMmioWrite(phys: u32, v: u32, size: u32): void {
  if (inRange(phys, ST_LFB, VRAM_SIZE)) {
    const off = phys - load<u32>(ST_LFB);
    const a = vramBase() + off;
    if (size == 1) store<u8>(a, <u8>v);
    else if (size == 2) store<u16>(a, <u16>v);
    else store<u32>(a, v);
    vramPageWritten(off >>> DISPLAY_DIRTY_SHIFT);
    return;
  }
  if (inRange(phys, ST_MMIO, MMIO_BAR_SIZE)) mmioBarWrite(phys - load<u32>(ST_MMIO), v, size);
}

function mmioBarRead(off: u32, size: u32): u32 {
  if (off >= MMIO_VGA_PORTS && off < MMIO_VGA_PORTS_END) {
    let v: u32 = 0;
    for (let i: u32 = 0; i < size && off + i < MMIO_VGA_PORTS_END; i++) {
      v |= vgaPortRead(VGA_PORT_BASE + off + i - MMIO_VGA_PORTS) << (i * 8);
    }
    return v;
  }
  if (off >= MMIO_DISPI && off < MMIO_DISPI_END) return dispiRead((off - MMIO_DISPI) >>> 1);
  if (off == MMIO_QEXT_SIZE) return QEXT_REGION_SIZE;
  if (off == MMIO_QEXT_ENDIAN) return QEXT_LITTLE_ENDIAN;
  return 0;
}

function mmioBarWrite(off: u32, v: u32, size: u32): void {
  if (off >= MMIO_VGA_PORTS && off < MMIO_VGA_PORTS_END) {
    // Byte lanes in port order, so an index and its data go in one word write.
    for (let i: u32 = 0; i < size && off + i < MMIO_VGA_PORTS_END; i++) {
      vgaPortWrite(VGA_PORT_BASE + off + i - MMIO_VGA_PORTS, (v >>> (i * 8)) & 0xff);
    }
    return;
  }
  if (off >= MMIO_DISPI && off < MMIO_DISPI_END) dispiWrite((off - MMIO_DISPI) >>> 1, size == 1 ? v & 0xff : v);
}

/**
 * The TLB's view of framebuffer page `physPage` (cpu/paging.ts fill): the
 * wasm address of the VRAM behind it, | DIRECT_WRITABLE when it was written
 * this frame already; 0 when the page is not framebuffer (slow path).
 */
export function vbeDirectPage(physPage: u32): u32 {
  if (!inRange(physPage, ST_LFB, VRAM_SIZE)) return 0;
  const off = physPage - load<u32>(ST_LFB);
  const a = vramBase() + off;
  return vramPageArmed(off >>> DISPLAY_DIRTY_SHIFT) ? a | DIRECT_WRITABLE : a;
}
