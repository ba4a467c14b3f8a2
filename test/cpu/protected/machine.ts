// A small protected-mode machine for the tests of core-as/cpu/protected and
// ops/far.ts, ops/segments.ts: GDT, IDT, TSSs and stacks in guest RAM built
// from TypeScript, and the CPU put in 32-bit protected mode at ring 0 or 3.

import { createCore, Core } from '../../../host/core.js';
import * as L from '../../../host/generated/cpu-layout.js';

export { L };

// Guest-physical layout (flat segments, paging off).
export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS_A = 0x3000; // the current task
export const TSS_B = 0x3100;
export const TSS_C = 0x3200;
export const TSS_16 = 0x3300;
export const LDT = 0x3800;
export const CODE0 = 0x10000;
export const CODE3 = 0x20000;
export const HANDLER = 0x30000;
export const CODE_B = 0x40000;
export const STACK0_TOP = 0x80000;
export const STACK1_TOP = 0x88000;
export const STACK3_TOP = 0x90000;
export const STACK_B_TOP = 0x98000;
export const DATA = 0x50000;

// Selectors of the standard GDT.
export const SEL = {
  code0: 0x08,
  data0: 0x10,
  code3: 0x1b,
  data3: 0x23,
  tssA: 0x28,
  tssB: 0x30,
  code1: 0x39,
  data1: 0x41,
  callGate3: 0x4b, // 32-bit call gate, DPL 3 → code0:CALL_TARGET, 2 params
  code16: 0x50,
  conforming0: 0x58,
  data16: 0x60,
  notPresent: 0x68,
  taskGateB: 0x70,
  ldt: 0x78,
  tss16: 0x80,
  callGate16: 0x8b, // 16-bit call gate, DPL 3 → code0:CALL_TARGET, 1 param
  codeExecOnly0: 0x90,
  readOnly0: 0x98,
  dataDpl0Rpl3: 0x13,
  tssC: 0xa0,
  expandDown0: 0xa8,
  smallData0: 0xb0, // writable data, 32-bit, limit 0xfffff (byte granular)
} as const;
export const GDT_ENTRIES = 0xb8 / 8;
export const CALL_TARGET = 0x11000;

// Descriptor types (S bit included for code/data).
export const T = {
  data: 0x12, // writable data (not accessed)
  dataRO: 0x10,
  dataDown: 0x16,
  code: 0x1a, // execute/read
  codeX: 0x18, // execute-only
  conforming: 0x1e,
  tss16: 0x01,
  ldt: 0x02,
  tss16Busy: 0x03,
  callGate16: 0x04,
  taskGate: 0x05,
  intGate16: 0x06,
  trapGate16: 0x07,
  tss32: 0x09,
  tss32Busy: 0x0b,
  callGate32: 0x0c,
  intGate32: 0x0e,
  trapGate32: 0x0f,
} as const;

/** A code/data/system segment descriptor. */
export function segDesc(
  base: number,
  limit: number,
  type: number,
  dpl: number,
  opts: { big?: boolean; gran?: boolean; present?: boolean } = {},
): [number, number] {
  const big = opts.big ?? true;
  const gran = opts.gran ?? limit > 0xfffff;
  const lim = gran ? limit >>> 12 : limit;
  const present = opts.present ?? true;
  const lo = ((base & 0xffff) << 16) | (lim & 0xffff);
  const hi =
    ((base >>> 16) & 0xff) |
    ((type & 0x1f) << 8) |
    ((dpl & 3) << 13) |
    (present ? 1 << 15 : 0) |
    (lim & 0xf0000) |
    (big ? 1 << 22 : 0) |
    (gran ? 1 << 23 : 0) |
    (base & 0xff000000);
  return [lo >>> 0, hi >>> 0];
}

/** A gate descriptor (call, interrupt, trap, task). */
export function gateDesc(selector: number, offset: number, type: number, dpl: number, params = 0, present = true): [number, number] {
  const lo = ((selector & 0xffff) << 16) | (offset & 0xffff);
  const hi = (offset & 0xffff0000) | (present ? 1 << 15 : 0) | ((dpl & 3) << 13) | ((type & 0x1f) << 8) | (params & 0x1f);
  return [lo >>> 0, hi >>> 0];
}

export class Machine {
  constructor(readonly core: Core) {}

  w8(addr: number, v: number): void {
    this.core.writePhys(addr, Uint8Array.of(v & 0xff));
  }
  w16(addr: number, v: number): void {
    this.core.writePhys(addr, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff));
  }
  w32(addr: number, v: number): void {
    this.core.writePhys(addr, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff));
  }
  r16(addr: number): number {
    const b = this.core.readPhys(addr, 2);
    return b[0] | (b[1] << 8);
  }
  r32(addr: number): number {
    const b = this.core.readPhys(addr, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
  bytes(addr: number, code: number[]): void {
    this.core.writePhys(addr, Uint8Array.from(code));
  }

  setGdt(index: number, d: [number, number]): void {
    this.w32(GDT + index * 8, d[0]);
    this.w32(GDT + index * 8 + 4, d[1]);
  }
  gdtHi(sel: number): number {
    return this.r32(GDT + (sel & 0xfff8) + 4);
  }
  setIdt(vector: number, d: [number, number]): void {
    this.w32(IDT + vector * 8, d[0]);
    this.w32(IDT + vector * 8 + 4, d[1]);
  }
  setLdt(index: number, d: [number, number]): void {
    this.w32(LDT + index * 8, d[0]);
    this.w32(LDT + index * 8 + 4, d[1]);
  }

  get eip(): number {
    return this.core.getReg('eip');
  }
  get esp(): number {
    return this.core.getReg('esp');
  }
  get cpl(): number {
    return this.core.getState(L.OFF_CPL);
  }
  sel(seg: number): number {
    return this.core.getSegment(seg).selector;
  }
  seg(seg: number) {
    return this.core.getSegment(seg);
  }
  setSegmentCache(seg: number, selector: number, base: number, limit: number, attr: number): void {
    this.core.exports.setSegmentCache(seg, selector, base, limit, attr);
  }
  /** Load a segment register's cache from the GDT/LDT entry its selector names. */
  loadCacheFromTable(seg: number, selector: number): void {
    const table = selector & 4 ? LDT : GDT;
    const lo = this.r32(table + (selector & 0xfff8));
    const hi = this.r32(table + (selector & 0xfff8) + 4);
    const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
    let limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & (1 << 23)) limit = ((limit << 12) | 0xfff) >>> 0;
    this.setSegmentCache(seg, selector, base, limit, (hi >>> 8) & 0xf0ff);
  }

  /** Run until the first exception (or `max` instructions); returns the run result. */
  runToException(max = 100) {
    return this.core.run(max, { stopOnException: true });
  }
  /** Run `n` instructions delivering exceptions through the IDT. */
  runDelivering(n: number) {
    return this.core.run(n, { stopOnException: false });
  }

  /** 32-bit TSS image: ring stacks, the task's registers and segments. */
  writeTss32(
    addr: number,
    t: {
      esp0?: number;
      ss0?: number;
      esp1?: number;
      ss1?: number;
      esp2?: number;
      ss2?: number;
      cr3?: number;
      eip?: number;
      eflags?: number;
      regs?: number[];
      segs?: number[];
      ldt?: number;
      trap?: number;
      link?: number;
    },
  ): void {
    this.core.writePhys(addr, new Uint8Array(0x68));
    this.w16(addr + 0x00, t.link ?? 0);
    this.w32(addr + 0x04, t.esp0 ?? STACK0_TOP);
    this.w16(addr + 0x08, t.ss0 ?? SEL.data0);
    this.w32(addr + 0x0c, t.esp1 ?? STACK1_TOP);
    this.w16(addr + 0x10, t.ss1 ?? SEL.data1);
    this.w32(addr + 0x14, t.esp2 ?? 0);
    this.w16(addr + 0x18, t.ss2 ?? 0);
    this.w32(addr + 0x1c, t.cr3 ?? 0);
    this.w32(addr + 0x20, t.eip ?? 0);
    this.w32(addr + 0x24, t.eflags ?? 0x2);
    const regs = t.regs ?? [0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 8; i++) this.w32(addr + 0x28 + i * 4, regs[i]);
    const segs = t.segs ?? [SEL.data0, SEL.code0, SEL.data0, SEL.data0, SEL.data0, SEL.data0];
    for (let i = 0; i < 6; i++) this.w16(addr + 0x48 + i * 4, segs[i]);
    this.w16(addr + 0x60, t.ldt ?? 0);
    this.w16(addr + 0x64, t.trap ?? 0);
    this.w16(addr + 0x66, 0x68);
  }
}

/**
 * A core in 32-bit protected mode at `cpl`, with the standard GDT (flat
 * ring-0/1/3 segments, TSS A loaded in TR), an empty IDT and paging off.
 */
export async function protectedMachine(opts: { cpl?: 0 | 3 } = {}): Promise<Machine> {
  const core = await createCore({ memoryMiB: 4 });
  const m = new Machine(core);
  const flat = 0xffffffff;
  m.setGdt(0, [0, 0]);
  m.setGdt(1, segDesc(0, flat, T.code, 0));
  m.setGdt(2, segDesc(0, flat, T.data, 0));
  m.setGdt(3, segDesc(0, flat, T.code, 3));
  m.setGdt(4, segDesc(0, flat, T.data, 3));
  m.setGdt(5, segDesc(TSS_A, 0x67, T.tss32Busy, 0, { big: false }));
  m.setGdt(6, segDesc(TSS_B, 0x67, T.tss32, 0, { big: false }));
  m.setGdt(7, segDesc(0, flat, T.code, 1));
  m.setGdt(8, segDesc(0, flat, T.data, 1));
  m.setGdt(9, gateDesc(SEL.code0, CALL_TARGET, T.callGate32, 3, 2));
  m.setGdt(10, segDesc(0, 0xffff, T.code, 0, { big: false }));
  m.setGdt(11, segDesc(0, flat, T.conforming, 0));
  m.setGdt(12, segDesc(0, 0xffff, T.data, 0, { big: false }));
  m.setGdt(13, segDesc(0, flat, T.data, 0, { present: false }));
  m.setGdt(14, gateDesc(SEL.tssB, 0, T.taskGate, 3));
  m.setGdt(15, segDesc(LDT, 0x3f, T.ldt, 0, { big: false }));
  m.setGdt(16, segDesc(TSS_16, 0x2b, T.tss16, 0, { big: false }));
  m.setGdt(17, gateDesc(SEL.code0, CALL_TARGET, T.callGate16, 3, 1));
  m.setGdt(18, segDesc(0, flat, T.codeX, 0));
  m.setGdt(19, segDesc(0, flat, T.dataRO, 0));
  m.setGdt(20, segDesc(TSS_C, 0x67, T.tss32, 3, { big: false }));
  m.setGdt(21, segDesc(0, 0x0fff, T.dataDown, 0, { big: true, gran: false }));
  m.setGdt(22, segDesc(0, 0xfffff, T.data, 0, { gran: false }));
  core.setupFlat32({ cpl: opts.cpl ?? 0 });
  core.setState(L.OFF_GDTR_BASE, GDT);
  core.setState(L.OFF_GDTR_LIMIT, GDT_ENTRIES * 8 - 1);
  core.setState(L.OFF_IDTR_BASE, IDT);
  core.setState(L.OFF_IDTR_LIMIT, 256 * 8 - 1);
  m.writeTss32(TSS_A, {});
  m.setSegmentCache(L.SEG_TR, SEL.tssA, TSS_A, 0x67, L.ATTR_P | T.tss32Busy);
  m.setSegmentCache(L.SEG_LDTR, 0, 0, 0, 0);
  core.setReg('esp', (opts.cpl ?? 0) === 3 ? STACK3_TOP : STACK0_TOP);
  core.setReg('eip', (opts.cpl ?? 0) === 3 ? CODE3 : CODE0);
  core.setReg('eflags', 0x2);
  return m;
}

/** Little-endian bytes of a 16/32-bit value. */
export const le16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
export const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export const UD2 = [0x0f, 0x0b];
