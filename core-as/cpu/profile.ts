// The guest profiler: where the guest spends its instructions.
//
// While it is on, run() (interp.ts) cuts its batches so that one ends every
// `interval` retired instructions, and the linear address of the next
// instruction (CS base + EIP) is appended to a sample buffer that the host
// drains between slices (host/guest-profile.ts), builds a histogram from, and
// symbolises against a symbol map (bench/guest-profile.mjs). A sample is the
// place the guest had reached after a fixed number of instructions, so the
// histogram is proportional to guest instructions, whichever engine ran them
// (compiled blocks honour run()'s budget: jit/cache.ts jitEnter).
//
// Each sample also says how many of the instructions since the previous
// sample compiled code ran (the JIT's counter, generated/stats.ts), so a
// report can show which hot code the JIT leaves to the interpreter.
//
// When off (interval 0) the cost is one compare per RUN_BATCH instructions.
//
// Buffer layout (PROFILE_BUFFER, static data of this module; host reads it
// at the address profileBuffer() returns):
//   +0  u32  samples in the buffer (the host resets it to 0 after draining)
//   +4  u32  samples dropped because the buffer was full (host resets too)
//   +8  u32  capacity in samples
//   +16 samples[capacity], each two u32: the linear address, then the
//       instructions compiled code retired since the previous sample

import { eip, segBase, SEG_CS } from './state';
import { STAT_JIT_INSTRUCTIONS } from '../generated/stats';

export const PROFILE_OFF_COUNT: u32 = 0;
export const PROFILE_OFF_DROPPED: u32 = 4;
export const PROFILE_OFF_CAPACITY: u32 = 8;
export const PROFILE_OFF_SAMPLES: u32 = 16;
/** Bytes per sample: address and compiled-instruction count. */
export const PROFILE_SAMPLE_SIZE: u32 = 8;
/** Samples one buffer holds: a slice of 8 M instructions at an interval of ≥ 512. */
export const PROFILE_CAPACITY: u32 = 16384;
const PROFILE_BYTES: i32 = <i32>(PROFILE_OFF_SAMPLES + PROFILE_CAPACITY * PROFILE_SAMPLE_SIZE);
const PROFILE_BUFFER: usize = memory.data(PROFILE_BYTES, 16);

/** Instructions between samples; 0 = profiler off. */
export let profileInterval: u32 = 0;
/** Instructions left until the next sample. */
let countdown: u32 = 0;
/** The JIT's instruction counter at the previous sample. */
let jitAtLastSample: u64 = 0;

/** Turn the profiler on (interval > 0: instructions between samples) or off (0); empties the buffer. */
export function profileSetInterval(interval: u32): void {
  profileInterval = interval;
  countdown = interval;
  jitAtLastSample = load<u64>(STAT_JIT_INSTRUCTIONS);
  store<u32>(PROFILE_BUFFER + PROFILE_OFF_COUNT, 0);
  store<u32>(PROFILE_BUFFER + PROFILE_OFF_DROPPED, 0);
  store<u32>(PROFILE_BUFFER + PROFILE_OFF_CAPACITY, PROFILE_CAPACITY);
}

/** The wasm address of the sample buffer. */
export function profileBuffer(): usize {
  return PROFILE_BUFFER;
}

/** Largest batch run() may start so that it ends at the next sample point. */
@inline export function profileBatchLimit(batch: u32): u32 {
  return batch < countdown ? batch : countdown;
}

/** run() retired `n` instructions in a batch: take a sample when the interval is complete. */
export function profileRetired(n: u32): void {
  if (n < countdown) {
    countdown -= n;
    return;
  }
  countdown = profileInterval;
  const jit = load<u64>(STAT_JIT_INSTRUCTIONS);
  const compiled = <u32>(jit - jitAtLastSample);
  jitAtLastSample = jit;
  const count = load<u32>(PROFILE_BUFFER + PROFILE_OFF_COUNT);
  if (count >= PROFILE_CAPACITY) {
    store<u32>(PROFILE_BUFFER + PROFILE_OFF_DROPPED, load<u32>(PROFILE_BUFFER + PROFILE_OFF_DROPPED) + 1);
    return;
  }
  const at = PROFILE_BUFFER + PROFILE_OFF_SAMPLES + count * PROFILE_SAMPLE_SIZE;
  store<u32>(at, segBase(SEG_CS) + eip());
  store<u32>(at + 4, compiled);
  store<u32>(PROFILE_BUFFER + PROFILE_OFF_COUNT, count + 1);
}
