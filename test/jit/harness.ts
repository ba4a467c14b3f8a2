// Shared set-up of the JIT tests (smc.test.ts, region.test.ts): a flat 32-bit
// core on either engine, the architectural outcome and JIT counters of a run,
// and a timer interrupt driven by the PIT through the 8259A.

import { createCore, type Core, type Engine, type RegName } from '../../host/core.js';
import { readStat } from '../../host/stats.js';
import * as L from '../../host/generated/cpu-layout.js';

export const CODE = 0x1000;
export const STACK = 0x8000;
const REGS: RegName[] = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'];

export const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

export interface Outcome {
  regs: Record<string, number>;
  instructions: number;
  reason: string;
  vector?: number;
  jitInstructions: number;
  compiles: number;
  invalidations: number;
  blocks: number;
  blockRuns: number;
}

/**
 * A core in flat 32-bit protected mode at CPL 0 with a stack; `threshold`: entries before compiling;
 * `clusterBytes`: the JIT's function size (1: every block of a region a function of its own).
 */
export async function flatCore(engine: Engine, threshold = 1, clusterBytes?: number): Promise<Core> {
  const core = await createCore({ memoryMiB: 4, engine, jitThreshold: threshold, jitClusterBytes: clusterBytes });
  core.setupFlat32({ cpl: 0 });
  core.setReg('esp', STACK);
  return core;
}

export function outcome(core: Core, r: { reason: string; instructions: number; vector?: number }): Outcome {
  const regs: Record<string, number> = {};
  for (const n of REGS) regs[n] = core.getReg(n);
  return {
    regs,
    instructions: r.instructions,
    reason: r.reason,
    vector: r.vector,
    jitInstructions: readStat(core.memory, 'jit_instructions'),
    compiles: readStat(core.memory, 'jit_compiles'),
    invalidations: readStat(core.memory, 'jit_invalidations'),
    blocks: readStat(core.memory, 'jit_blocks'),
    blockRuns: readStat(core.memory, 'jit_block_runs'),
  };
}

/** `setup` on a fresh flat core, then up to `max` instructions, stopping at the first exception. */
export async function runOn(
  engine: Engine,
  setup: (core: Core) => void,
  max: number,
  threshold = 1,
  clusterBytes?: number,
): Promise<Outcome> {
  const core = await flatCore(engine, threshold, clusterBytes);
  setup(core);
  return outcome(core, core.run(max, { stopOnException: true }));
}

const IDT = 0x3000;
/** Where the timer interrupt's handler (mov edx, eax; hlt) sits. */
export const TIMER_HANDLER = 0x4000;
const TIMER_VECTOR = 0x20;
const PIT_COUNT = 1000;

/**
 * `code` at CODE with interrupts enabled, and a timer interrupt on the way: IDT vector 0x20 → a
 * handler that copies EAX to EDX and halts; the 8259A maps IRQ 0 to 0x20 with the others masked;
 * PIT channel 0 runs as a rate generator with count 1000.
 */
export function armTimerInterrupt(c: Core, code: number[]): void {
  const gate = new DataView(new ArrayBuffer(8));
  gate.setUint16(0, TIMER_HANDLER & 0xffff, true);
  gate.setUint16(2, 0x08, true);
  gate.setUint16(4, 0x8e00, true); // present, DPL 0, 32-bit interrupt gate
  gate.setUint16(6, TIMER_HANDLER >>> 16, true);
  c.writePhys(IDT + TIMER_VECTOR * 8, new Uint8Array(gate.buffer));
  c.setState(L.OFF_IDTR_BASE, IDT);
  c.setState(L.OFF_IDTR_LIMIT, 0x7ff);
  c.writePhys(TIMER_HANDLER, Uint8Array.from([0x89, 0xc2, 0xf4])); // mov edx, eax; hlt
  c.writePhys(CODE, Uint8Array.from(code));
  const out = (port: number, v: number): void => c.exports.portWrite(port, v, 1);
  out(0x20, 0x11); // ICW1: edge, cascade, ICW4
  out(0x21, TIMER_VECTOR); // ICW2
  out(0x21, 0x04); // ICW3: slave on IR2
  out(0x21, 0x01); // ICW4: 8086 mode
  out(0x21, 0xfe); // OCW1: only IRQ 0
  out(0x43, 0x34); // channel 0, LSB then MSB, mode 2
  out(0x40, PIT_COUNT & 0xff);
  out(0x40, PIT_COUNT >> 8);
  c.setReg('eip', CODE);
  c.setReg('eflags', 0x202);
}
