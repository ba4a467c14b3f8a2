// Shared setup for the system-instruction tests: a core in flat 32-bit
// protected mode (or real mode), code snippets as hex bytes, and state
// accessors by layout offset.
//
// Snippets use only instructions of this family plus the ALU group (the one
// family the skeleton ships), so they run before the other families land:
// memory is read with `add reg, [mem]` into a zeroed register, written with
// `add [mem], reg` onto zeroed memory, and registers are preset by the host.

import { createCore, type Core, type RunResult } from '../../../host/core.js';
import * as L from '../../../host/generated/cpu-layout.js';

export { L };
export type { Core, RunResult };

export const CODE = 0x1000;
export const STACK_TOP = 0x8000;

/** "0f 22 c0  0f 0b" → bytes (whitespace ignored). */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex string: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function le32(v: number): string {
  const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** A core in flat 32-bit protected mode at `cpl`, paging off, ESP = STACK_TOP. */
export async function flatCore(cpl: 0 | 3 = 0): Promise<Core> {
  const core = await createCore({ memoryMiB: 8 });
  core.setupFlat32({ cpl });
  core.setReg('esp', STACK_TOP);
  return core;
}

/** A core in real mode with CS = SS = DS = ES = 0 (after reset), SP = STACK_TOP. */
export async function realCore(): Promise<Core> {
  const core = await createCore({ memoryMiB: 8 });
  setSegment(core, L.SEG_CS, 0, 0, 0xffff);
  core.setReg('esp', STACK_TOP);
  return core;
}

/** Overwrite selector and base of a segment cache, keeping its limit and rights. */
export function setSegment(core: Core, seg: number, sel: number, base: number, limit: number): void {
  const a = L.OFF_SEGS + seg * L.SEG_SIZE;
  core.setState(a + L.SEG_SEL, sel);
  core.setState(a + L.SEG_BASE, base);
  core.setState(a + L.SEG_LIMIT, limit);
  core.setState(a + L.SEG_LO, 0);
  core.setState(a + L.SEG_HI, limit);
  core.exports.flushTlb();
}

/** Write `code` at `at`, jump there and run until the first exception (snippets end with ud2). */
export function runCode(core: Core, code: string, at = CODE, max = 1000): RunResult {
  core.writePhys(at, hex(code));
  core.setReg('eip', at);
  return core.run(max, { stopOnException: true });
}

/** Continue from the current EIP. */
export function resume(core: Core, max = 1000): RunResult {
  return core.run(max, { stopOnException: true });
}

export function dr(core: Core, n: number): number {
  return core.getState(L.OFF_DR + n * 8);
}
export function setDr(core: Core, n: number, v: number): void {
  core.setState(L.OFF_DR + n * 8, v);
}

export function read32(core: Core, addr: number): number {
  const b = core.readPhys(addr, 4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}
export function write32(core: Core, addr: number, v: number): void {
  core.writePhys(addr, Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]));
}
export function write64(core: Core, addr: number, lo: number, hi: number): void {
  write32(core, addr, lo);
  write32(core, addr + 4, hi);
}

export const FLAG_ZF = 0x40;
export const FLAG_TF = 0x100;
export const FLAG_IF = 0x200;
export const FLAG_OF = 0x800;
export const FLAG_VM = 0x20000;
export const IOPL3 = 0x3000;

export const EXC = { DB: 1, BP: 3, OF: 4, UD: 6, NM: 7, NP: 11, GP: 13, PF: 14 } as const;
