// Intel 8237A DMA controller pair and the 74LS612 page registers of the PC/AT.
//
// Reference: Intel 8237A High Performance Programmable DMA Controller
// datasheet (register descriptions, Tables 2-4); IBM PC/AT Technical Reference
// §1 "DMA controller" for the cascade and page register map.
//
//   DMA1 (channels 0-3, byte transfers):  ports 0x00-0x0F
//   DMA2 (channels 4-7, word transfers):  ports 0xC0-0xDF (register r at 0xC0 + 2r);
//                                         channel 4 cascades DMA1
//   Page registers: 0x87 ch0, 0x83 ch1, 0x81 ch2, 0x82 ch3, 0x8F ch4 (refresh),
//                   0x8B ch5, 0x89 ch6, 0x8A ch7; the others of 0x81-0x8F are
//                   plain storage. Port 0x80 is the POST code port, not ours.
//
// Registers per controller: current/base address and count per channel
// (16 bits through the byte-pointer flip-flop), command, mode, request, mask,
// status (terminal count bits clear when read), temporary; master clear.
//
// Only single-cycle transfers requested by a device are modelled: a device
// (the floppy controller) calls dmaTransfer(), which moves bytes between its
// buffer and guest memory as far as the channel's count allows, updates the
// current address/count, and sets terminal count (auto-initialise reloads).
// Memory-to-memory and the cascade are not modelled. Guest addresses are
// bounds-checked by physmem (outside RAM: MMIO or the open bus).

import { DMA_STATE } from '../machine/layout';
import { DEV_DMA } from '../machine/device-ids';
import { registerPorts } from '../machine/ports';
import { physRead8, physWrite8 } from '../machine/physmem';

export const PORT_DMA1: u32 = 0x00;
export const PORT_DMA2: u32 = 0xc0;
const DMA1_PORTS: u32 = 16;
const DMA2_PORTS: u32 = 32;
const PORT_PAGE_FIRST: u32 = 0x81;
const PAGE_PORTS: u32 = 15; // 0x81-0x8F
const PAGE_REGISTERS: u32 = 16;
/** Page register index (port - 0x80) of each channel. */
const PAGE_OF_CHANNEL_0: u32 = 0x07;
const PAGE_OF_CHANNEL_1: u32 = 0x03;
const PAGE_OF_CHANNEL_2: u32 = 0x01;
const PAGE_OF_CHANNEL_3: u32 = 0x02;
const PAGE_OF_CHANNEL_4: u32 = 0x0f;
const PAGE_OF_CHANNEL_5: u32 = 0x0b;
const PAGE_OF_CHANNEL_6: u32 = 0x09;
const PAGE_OF_CHANNEL_7: u32 = 0x0a;

// Controller registers (offset in register units).
const REG_STATUS_COMMAND: u32 = 8;
const REG_REQUEST: u32 = 9;
const REG_SINGLE_MASK: u32 = 10;
const REG_MODE: u32 = 11;
const REG_CLEAR_FLIP_FLOP: u32 = 12;
const REG_TEMP_MASTER_CLEAR: u32 = 13;
const REG_CLEAR_MASK: u32 = 14;
const REG_WRITE_MASK: u32 = 15;

// Mode register (datasheet "Mode register").
const MODE_TYPE_MASK: u32 = 0x0c;
export const MODE_VERIFY: u32 = 0x00;
/** "Write": the device writes memory. */
export const MODE_WRITE: u32 = 0x04;
/** "Read": the device reads memory. */
export const MODE_READ: u32 = 0x08;
const MODE_AUTOINIT: u32 = 0x10;
const MODE_DECREMENT: u32 = 0x20;

// State (DMA_STATE).
const CHANNEL_STRIDE: u32 = 0x20;
const CH_BASE_ADDR: u32 = 0x00;
const CH_CUR_ADDR: u32 = 0x04;
const CH_BASE_COUNT: u32 = 0x08;
const CH_CUR_COUNT: u32 = 0x0c;
const CH_MODE: u32 = 0x10;
const CONTROLLER_BASE: u32 = 0x100; // + c * 0x20
const CT_COMMAND: u32 = 0x00;
const CT_MASK: u32 = 0x04;
const CT_STATUS: u32 = 0x08;
const CT_REQUEST: u32 = 0x0c;
const CT_FLIP_FLOP: u32 = 0x10;
const CT_TEMP: u32 = 0x14;
const PAGES: u32 = 0x140; // 16 bytes: page registers by port - 0x80

@inline function ch(n: u32, f: u32): u32 {
  return DMA_STATE + (n & 7) * CHANNEL_STRIDE + f;
}
@inline function ct(c: u32, f: u32): u32 {
  return DMA_STATE + CONTROLLER_BASE + (c & 1) * CHANNEL_STRIDE + f;
}

function pageIndex(channel: u32): u32 {
  switch (channel & 7) {
    case 0:
      return PAGE_OF_CHANNEL_0;
    case 1:
      return PAGE_OF_CHANNEL_1;
    case 2:
      return PAGE_OF_CHANNEL_2;
    case 3:
      return PAGE_OF_CHANNEL_3;
    case 4:
      return PAGE_OF_CHANNEL_4;
    case 5:
      return PAGE_OF_CHANNEL_5;
    case 6:
      return PAGE_OF_CHANNEL_6;
    default:
      return PAGE_OF_CHANNEL_7;
  }
}

export function dmaInit(): void {
  registerPorts(PORT_DMA1, DMA1_PORTS, DEV_DMA);
  registerPorts(PORT_DMA2, DMA2_PORTS, DEV_DMA);
  registerPorts(PORT_PAGE_FIRST, PAGE_PORTS, DEV_DMA);
}

export function dmaReset(): void {
  memory.fill(DMA_STATE, 0, CONTROLLER_BASE + 2 * CHANNEL_STRIDE + PAGE_REGISTERS);
  masterClear(0);
  masterClear(1);
}

/** Master clear: command, status, request, temporary and flip-flop cleared, all channels masked. */
function masterClear(c: u32): void {
  store<u32>(ct(c, CT_COMMAND), 0);
  store<u32>(ct(c, CT_STATUS), 0);
  store<u32>(ct(c, CT_REQUEST), 0);
  store<u32>(ct(c, CT_TEMP), 0);
  store<u32>(ct(c, CT_FLIP_FLOP), 0);
  store<u32>(ct(c, CT_MASK), 0x0f);
}

/** Controller and register of a port (0xff: a page register). */
function decode(port: u32): u32 {
  if (port < DMA1_PORTS) return port;
  if (port - PORT_DMA2 < DMA2_PORTS) return 0x10 | ((port - PORT_DMA2) >>> 1);
  return 0xff;
}

export function dmaRead(port: u32): u32 {
  const r = decode(port);
  if (r == 0xff) return <u32>load<u8>(DMA_STATE + PAGES + (port & 0xf));
  const c = r >>> 4;
  const reg = r & 0xf;
  if (reg < REG_STATUS_COMMAND) {
    const n = c * 4 + (reg >>> 1);
    const v = load<u32>(ch(n, (reg & 1) == 0 ? CH_CUR_ADDR : CH_CUR_COUNT));
    return flipFlopByte(c, v);
  }
  switch (reg) {
    case REG_STATUS_COMMAND: {
      // Terminal count bits clear when the status is read (datasheet "Status register").
      const st = load<u32>(ct(c, CT_STATUS));
      store<u32>(ct(c, CT_STATUS), st & 0xf0);
      return st;
    }
    case REG_TEMP_MASTER_CLEAR:
      return load<u32>(ct(c, CT_TEMP));
    case REG_WRITE_MASK:
      return load<u32>(ct(c, CT_MASK)) | 0xf0;
    default:
      return 0xff;
  }
}

function flipFlopByte(c: u32, v: u32): u32 {
  const ff = load<u32>(ct(c, CT_FLIP_FLOP));
  store<u32>(ct(c, CT_FLIP_FLOP), ff ^ 1);
  return ff == 0 ? v & 0xff : (v >>> 8) & 0xff;
}

export function dmaWrite(port: u32, v: u32): void {
  const r = decode(port);
  if (r == 0xff) {
    store<u8>(DMA_STATE + PAGES + (port & 0xf), <u8>v);
    return;
  }
  const c = r >>> 4;
  const reg = r & 0xf;
  if (reg < REG_STATUS_COMMAND) {
    // Address or count: a byte through the flip-flop, written to both base and current registers.
    const n = c * 4 + (reg >>> 1);
    const baseField = (reg & 1) == 0 ? CH_BASE_ADDR : CH_BASE_COUNT;
    const curField = (reg & 1) == 0 ? CH_CUR_ADDR : CH_CUR_COUNT;
    const ff = load<u32>(ct(c, CT_FLIP_FLOP));
    store<u32>(ct(c, CT_FLIP_FLOP), ff ^ 1);
    const old = load<u32>(ch(n, baseField));
    const nv = ff == 0 ? (old & 0xff00) | v : (old & 0xff) | (v << 8);
    store<u32>(ch(n, baseField), nv);
    store<u32>(ch(n, curField), nv);
    return;
  }
  switch (reg) {
    case REG_STATUS_COMMAND:
      store<u32>(ct(c, CT_COMMAND), v);
      return;
    case REG_REQUEST: {
      const bit: u32 = 1 << (v & 3);
      const req = load<u32>(ct(c, CT_REQUEST));
      store<u32>(ct(c, CT_REQUEST), (v & 4) != 0 ? req | bit : req & ~bit);
      return;
    }
    case REG_SINGLE_MASK: {
      const bit: u32 = 1 << (v & 3);
      const mask = load<u32>(ct(c, CT_MASK));
      store<u32>(ct(c, CT_MASK), (v & 4) != 0 ? mask | bit : mask & ~bit);
      return;
    }
    case REG_MODE:
      store<u32>(ch(c * 4 + (v & 3), CH_MODE), v & 0xfc);
      return;
    case REG_CLEAR_FLIP_FLOP:
      store<u32>(ct(c, CT_FLIP_FLOP), 0);
      return;
    case REG_TEMP_MASTER_CLEAR:
      masterClear(c);
      return;
    case REG_CLEAR_MASK:
      store<u32>(ct(c, CT_MASK), 0);
      return;
    default:
      store<u32>(ct(c, CT_MASK), v & 0x0f);
  }
}

/** True when channel `n` is unmasked (a device may transfer). */
export function dmaChannelReady(n: u32): bool {
  const c = (n >>> 2) & 1;
  return (load<u32>(ct(c, CT_MASK)) & (1 << (n & 3))) == 0;
}

/** Bytes the channel will still move before terminal count. */
export function dmaBytesLeft(n: u32): u32 {
  const units = load<u32>(ch(n, CH_CUR_COUNT)) + 1;
  return n >= 4 ? units * 2 : units;
}

/** The channel's transfer type (MODE_VERIFY, MODE_WRITE, MODE_READ). */
export function dmaMode(n: u32): u32 {
  return load<u32>(ch(n, CH_MODE)) & MODE_TYPE_MASK;
}

/**
 * A device asks channel `n` to move up to `bytes` bytes between its buffer at
 * wasm address `buf` and memory (direction from the channel's mode: WRITE
 * stores into memory, READ loads from it, VERIFY moves nothing). Returns the
 * bytes moved; stops at terminal count (sets the TC status bit; auto-init
 * reloads the base registers). Addresses wrap within the 64 KiB (128 KiB for
 * word channels) page, as the 8237's 16-bit counter does.
 */
export function dmaTransfer(n: u32, buf: u32, bytes: u32): u32 {
  n &= 7;
  if (!dmaChannelReady(n)) return 0;
  const c = n >>> 2;
  const wide = n >= 4;
  const mode = load<u32>(ch(n, CH_MODE));
  const type = mode & MODE_TYPE_MASK;
  const step: u32 = wide ? 2 : 1;
  const page = <u32>load<u8>(DMA_STATE + PAGES + pageIndex(n));
  let addr = load<u32>(ch(n, CH_CUR_ADDR));
  let count = load<u32>(ch(n, CH_CUR_COUNT));
  let moved: u32 = 0;
  let tc = false;
  while (moved + step <= bytes) {
    // Word channels address words: A16-A1 from the counter, A23-A17 from the page (bit 0 ignored).
    const phys = wide ? ((page & 0xfe) << 16) | (addr << 1) : (page << 16) | addr;
    for (let i: u32 = 0; i < step; i++) {
      if (type == MODE_WRITE) physWrite8(phys + i, <u32>load<u8>(buf + moved + i));
      else if (type == MODE_READ) store<u8>(buf + moved + i, <u8>physRead8(phys + i));
    }
    moved += step;
    addr = ((mode & MODE_DECREMENT) != 0 ? addr - 1 : addr + 1) & 0xffff;
    if (count == 0) {
      tc = true;
      break;
    }
    count = (count - 1) & 0xffff;
  }
  if (tc) {
    store<u32>(ct(c, CT_STATUS), load<u32>(ct(c, CT_STATUS)) | (1 << (n & 3)));
    if ((mode & MODE_AUTOINIT) != 0) {
      addr = load<u32>(ch(n, CH_BASE_ADDR));
      count = load<u32>(ch(n, CH_BASE_COUNT));
    } else {
      // The counter rolled over to FFFFh; the channel masks itself at terminal count.
      count = 0xffff;
      store<u32>(ct(c, CT_MASK), load<u32>(ct(c, CT_MASK)) | (1 << (n & 3)));
    }
  }
  store<u32>(ch(n, CH_CUR_ADDR), addr);
  store<u32>(ch(n, CH_CUR_COUNT), count);
  return moved;
}

