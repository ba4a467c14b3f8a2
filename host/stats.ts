// Reading the core's statistics counters (DESIGN §9) from shared memory.

import { STATS_SCHEMA, type StatDescriptor } from './generated/stats-schema.js';
import { STATS } from './generated/cpu-layout.js';

export interface StatValue extends Omit<StatDescriptor, 'offset'> {
  value: number;
}

/** Every counter of the schema with its current value. */
export function readStats(memory: WebAssembly.Memory): StatValue[] {
  const view = new DataView(memory.buffer);
  return STATS_SCHEMA.map(({ offset, ...descriptor }) => ({
    ...descriptor,
    value: Number(view.getBigUint64(STATS + offset, true)),
  }));
}

/** One counter's value by name. */
export function readStat(memory: WebAssembly.Memory, name: string): number {
  const d = STATS_SCHEMA.find((s) => s.name === name);
  if (!d) throw new Error(`no statistics counter named "${name}"`);
  return Number(new DataView(memory.buffer).getBigUint64(STATS + d.offset, true));
}
