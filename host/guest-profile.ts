// The host end of the guest profiler (core-as/cpu/profile.ts).
//
// The core appends the linear address of the next instruction to a sample
// buffer every `interval` retired instructions; between slices this drains
// the buffer into a histogram (address → samples), and times how long the
// machine sat halted (run() stopped idle and the runner slept). The result is
// the JSON of `tabvm run --profile FILE`, which bench/guest-profile.mjs
// symbolises against a System.map (or any "address type name" map).

import { writeFileSync } from 'node:fs';

import type { Core } from './core.js';

/** Instructions between samples unless --profile-interval says otherwise (a prime, so loops do not alias). */
export const DEFAULT_PROFILE_INTERVAL = 1009;
/** The smallest interval: a slice of SLICE_MAX (8 M) instructions must fit the core's buffer (16384 samples). */
export const MIN_PROFILE_INTERVAL = 512;
export const PROFILE_FORMAT = 'tabvm-guest-profile';
export const PROFILE_VERSION = 1;

// Buffer layout (core-as/cpu/profile.ts).
const OFF_COUNT = 0;
const OFF_DROPPED = 4;
const OFF_SAMPLES = 16;
const SAMPLE_WORDS = 2;
const MS_PER_S = 1000;
const US_PER_S = 1e6;

/** The JSON a profile file holds. */
export interface GuestProfileDocument {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  /** Guest instructions per sample. */
  interval: number;
  engine: string;
  samples: number;
  /** Samples lost because the core's buffer was full (should be 0). */
  dropped: number;
  /** Seconds of wall time the profile covers, and of those the seconds the guest was halted. */
  wallS: number;
  haltedS: number;
  cpuS: number;
  /** Linear address (hex, no prefix) → samples. */
  histogram: Record<string, number>;
  /**
   * Linear address → instructions compiled code ran in the intervals that
   * ended at this address (absent: none); over samples × interval, the share
   * of that code the JIT ran.
   */
  compiled: Record<string, number>;
}

export class GuestProfiler {
  private histogram = new Map<number, number>();
  private compiled = new Map<number, number>();
  private samples = 0;
  private dropped = 0;
  private haltedMs = 0;
  private startWall = performance.now();
  private startCpu = process.cpuUsage();
  private readonly buffer: number;

  constructor(
    private readonly core: Core,
    readonly interval: number,
  ) {
    if (!(interval >= MIN_PROFILE_INTERVAL)) throw new RangeError(`profile interval must be at least ${MIN_PROFILE_INTERVAL}`);
    core.exports.profileSetInterval(interval);
    this.buffer = core.exports.profileBuffer() >>> 0;
  }

  /** Move the core's samples into the histogram (call after each run() slice). */
  drain(): void {
    const view = new DataView(this.core.memory.buffer);
    const n = view.getUint32(this.buffer + OFF_COUNT, true);
    const lost = view.getUint32(this.buffer + OFF_DROPPED, true);
    if (n === 0 && lost === 0) return;
    const words = new Uint32Array(this.core.memory.buffer, this.buffer + OFF_SAMPLES, n * SAMPLE_WORDS);
    for (let i = 0; i < words.length; i += SAMPLE_WORDS) {
      const a = words[i];
      this.histogram.set(a, (this.histogram.get(a) ?? 0) + 1);
      // At most one interval's worth: the counter also runs while the profiler was off.
      const jit = Math.min(words[i + 1], this.interval);
      if (jit) this.compiled.set(a, (this.compiled.get(a) ?? 0) + jit);
    }
    this.samples += n;
    this.dropped += lost;
    view.setUint32(this.buffer + OFF_COUNT, 0, true);
    view.setUint32(this.buffer + OFF_DROPPED, 0, true);
  }

  /** The runner waited `ms` for an interrupt while the guest was halted. */
  noteHalted(ms: number): void {
    this.haltedMs += ms;
  }

  /** The profile so far. */
  document(engine: string): GuestProfileDocument {
    this.drain();
    const cpu = process.cpuUsage(this.startCpu);
    const histogram: Record<string, number> = {};
    for (const [a, n] of [...this.histogram].sort((x, y) => y[1] - x[1])) histogram[a.toString(16)] = n;
    const compiled: Record<string, number> = {};
    for (const [a, n] of this.compiled) compiled[a.toString(16)] = n;
    return {
      format: PROFILE_FORMAT,
      version: PROFILE_VERSION,
      interval: this.interval,
      engine,
      samples: this.samples,
      dropped: this.dropped,
      wallS: (performance.now() - this.startWall) / MS_PER_S,
      haltedS: this.haltedMs / MS_PER_S,
      cpuS: (cpu.user + cpu.system) / US_PER_S,
      histogram,
      compiled,
    };
  }

  /** Write the profile so far to `file`; with `restart`, begin a new one (phases of a run). */
  write(file: string, engine: string, restart = false): void {
    writeFileSync(file, JSON.stringify(this.document(engine)) + '\n');
    if (restart) {
      this.histogram = new Map();
      this.compiled = new Map();
      this.samples = 0;
      this.dropped = 0;
      this.haltedMs = 0;
      this.startWall = performance.now();
      this.startCpu = process.cpuUsage();
    }
  }
}

// ---- Symbolising (bench/guest-profile.mjs) ----

/** One symbol of a map: where it starts and its name. */
export interface ProfileSymbol {
  address: number;
  name: string;
}

/** Symbol types of `nm`/System.map that name code. */
const CODE_SYMBOL_TYPES = new Set(['t', 'T', 'w', 'W']);
const HEX = 16;

/**
 * The code symbols of a System.map or `nm -n` listing ("c1000000 T _text"),
 * sorted by address; other lines are ignored.
 */
export function parseSymbolMap(text: string): ProfileSymbol[] {
  const symbols: ProfileSymbol[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]+)\s+(\S)\s+(\S+)/.exec(line);
    if (!m || !CODE_SYMBOL_TYPES.has(m[2])) continue;
    symbols.push({ address: parseInt(m[1], HEX), name: m[3] });
  }
  symbols.sort((a, b) => a.address - b.address);
  return symbols;
}

/** A row of the report: a function (or a bucket for addresses no symbol covers) and its samples. */
export interface ProfileRow {
  name: string;
  samples: number;
  /** Share of all samples (0..1). */
  share: number;
  /** Share of these samples' instructions that compiled code ran (0..1). */
  compiledShare: number;
}

/** Name of the bucket for samples below the first symbol or beyond `limit`. */
export const OUTSIDE_MAP = '[outside the map]';

/**
 * Samples per function: each address goes to the last symbol at or below it;
 * addresses below the first symbol or at/above `limit` (default: the last
 * symbol, e.g. System.map's _etext region end) go to OUTSIDE_MAP. Rows sorted
 * by samples, largest first (ties by name).
 */
export function symbolise(doc: GuestProfileDocument, symbols: ProfileSymbol[], limit = Infinity): ProfileRow[] {
  const perName = new Map<string, number>();
  const compiledPerName = new Map<string, number>();
  for (const [hex, n] of Object.entries(doc.histogram)) {
    const a = parseInt(hex, HEX);
    let lo = 0;
    let hi = symbols.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (symbols[mid].address <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const name = found < 0 || a >= limit ? OUTSIDE_MAP : symbols[found].name;
    perName.set(name, (perName.get(name) ?? 0) + n);
    compiledPerName.set(name, (compiledPerName.get(name) ?? 0) + (doc.compiled?.[hex] ?? 0));
  }
  const total = doc.samples || 1;
  return [...perName]
    .map(([name, samples]) => ({
      name,
      samples,
      share: samples / total,
      compiledShare: (compiledPerName.get(name) ?? 0) / (samples * doc.interval),
    }))
    .sort((x, y) => y.samples - x.samples || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}
