// Intel 8254 Programmable Interval Timer.
//
// Reference: Intel 8254 datasheet (order 231164): "Control Word Format",
// "Read Operations" (counter latch, read-back command, status byte),
// "Mode Definitions" (modes 0-5), Table "Gate Pin Operations Summary".
//
// Ports: 0x40-0x42 counters 0-2, 0x43 control word (write only).
// Clock: 1.193182 MHz, derived from the virtual clock (clockNow()); every
//        counter value and OUT level is computed from it when read, so no
//        state changes per tick.
// Wiring (PC/AT): OUT0 → IRQ 0 (a pulse on each rising edge of OUT0); GATE0
//        and GATE1 tied high; GATE2 = port 0x61 bit 0, OUT2 readable at port
//        0x61 bit 5 and gated to the speaker (system-control.ts).
//
// A counter's count is "loaded" when written (the datasheet loads it on the
// next CLK, which shows as the status byte's NULL COUNT bit for one tick).
// In modes 2 and 3 a count written while counting takes effect at the end
// of the current period (datasheet, modes 2 and 3). GATE low suspends
// counting in modes 0, 2, 3 and 4 (and forces OUT high in 2 and 3); a GATE
// rising edge (re)starts modes 1, 2, 3 and 5.

import { PIT_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { pulseIrq } from '../machine/irq';
import { clockNow, NO_DEADLINE } from '../machine/clock';
import { DEV_PIT } from '../machine/device-ids';
import { requestStop, STOP_LIMIT } from '../cpu/control';

export const PORT_PIT: u32 = 0x40;
const PIT_PORT_COUNT: u32 = 4;
const PORT_CONTROL_OFFSET: u32 = 3;
const CHANNELS: u32 = 3;
const IRQ_TIMER: u32 = 0;

/** The PC's PIT input clock (14.31818 MHz / 12). */
export const PIT_HZ: u64 = 1193182;
const NS_PER_S: u64 = 1_000_000_000;
const NO_TICK: u64 = 0xffff_ffff_ffff_ffff;

// Control word (datasheet "Control Word Format").
const CW_SELECT_SHIFT: u32 = 6;
const SELECT_READ_BACK: u32 = 3;
const CW_RW_SHIFT: u32 = 4;
const CW_MODE_SHIFT: u32 = 1;
const CW_BCD: u32 = 0x01;
const RW_LATCH: u32 = 0;
const RW_LSB: u32 = 1;
const RW_MSB: u32 = 2;
const RW_WORD: u32 = 3;
// Read-back command bits.
const RB_NO_COUNT: u32 = 0x20; // active low: latch count
const RB_NO_STATUS: u32 = 0x10; // active low: latch status
const RB_CHANNEL0: u32 = 0x02;
// Status byte.
const STATUS_OUT: u32 = 0x80;
const STATUS_NULL_COUNT: u32 = 0x40;

// Byte sequencing of a word access (the flip-flop).
const SEQ_LOW: u32 = 0; // next byte is the low byte
const SEQ_HIGH: u32 = 1; // next byte is the high byte

// Per-channel state at PIT_STATE + n * CH_STRIDE.
const CH_STRIDE: u32 = 0x50;
const C_MODE: u32 = 0x00; // u8 mode as written (0-7)
const C_RW: u32 = 0x01; // u8 RW_*
const C_BCD: u32 = 0x02; // u8
const C_GATE: u32 = 0x03; // u8 GATE input level
const C_READ_SEQ: u32 = 0x04; // u8 SEQ_* for reads
const C_WRITE_SEQ: u32 = 0x05; // u8 SEQ_* for writes
const C_WRITE_LOW: u32 = 0x06; // u8 low byte written, awaiting the high byte
const C_LATCHED: u32 = 0x07; // u8 count latched: bytes still to read (RW_* style, 0 none)
const C_LATCH_SEQ: u32 = 0x08; // u8 SEQ_* for the latched word
const C_STATUS_LATCHED: u32 = 0x09; // u8
const C_STATUS: u32 = 0x0a; // u8 latched status byte
const C_ARMED: u32 = 0x0b; // u8 a count was written since the control word
const C_TRIGGERED: u32 = 0x0c; // u8 modes 1/5: a gate trigger started counting
const C_HAS_PENDING: u32 = 0x0e; // u8 modes 2/3: a new count waits for the end of the period
const C_LATCHED_COUNT: u32 = 0x10; // u32 latched counter value
const C_COUNT: u32 = 0x14; // u32 initial count N (1..65536 binary, 1..10000 BCD)
const C_PENDING_COUNT: u32 = 0x18; // u32
const C_HELD: u32 = 0x1c; // u32 counter value while not counting (paused, unarmed)
const C_LOAD_TICK: u32 = 0x20; // u64 tick at which the count was loaded (counter = N)
const C_PAUSE_TICK: u32 = 0x28; // u64 tick at which the gate went low
const C_NULL_UNTIL: u32 = 0x30; // u64 NULL COUNT reads 1 before this tick
const C_IRQ_DONE_TICK: u32 = 0x38; // u64 channel 0: rising edges up to here were signalled
const C_MISSED: u32 = 0x40; // u64 channel 0: rising edges folded into one IRQ pulse
const C_BACKLOG: u32 = 0x48; // u32 channel 0: folded edges not yet delivered

// Whole-device state after the channels.
const S_MISSED_TOTAL: u32 = PIT_STATE + CHANNELS * CH_STRIDE; // u64
const S_REDELIVER_TICK: u32 = S_MISSED_TOTAL + 8; // u64 channel 0: no delayed edge before this tick
/** At most this many folded edges wait for delivery: a host that stalled for long catches up this far, no further. */
const MAX_BACKLOG: u32 = 1000;
/** Delayed edges come a quarter of the period apart, so the guest's handler can run between them. */
const REDELIVER_SPACING_DIV: u64 = 4;

@inline function chBase(ch: u32): u32 {
  return PIT_STATE + ch * CH_STRIDE;
}
@inline function g8(ch: u32, f: u32): u32 {
  return <u32>load<u8>(chBase(ch) + f);
}
@inline function s8(ch: u32, f: u32, v: u32): void {
  store<u8>(chBase(ch) + f, <u8>v);
}
@inline function g32(ch: u32, f: u32): u32 {
  return load<u32>(chBase(ch) + f);
}
@inline function s32(ch: u32, f: u32, v: u32): void {
  store<u32>(chBase(ch) + f, v);
}
@inline function g64(ch: u32, f: u32): u64 {
  return load<u64>(chBase(ch) + f);
}
@inline function s64(ch: u32, f: u32, v: u64): void {
  store<u64>(chBase(ch) + f, v);
}

/** PIT clock ticks elapsed at virtual time `ns` (no overflow for any u64). */
export function ticksAt(ns: u64): u64 {
  return (ns / NS_PER_S) * PIT_HZ + ((ns % NS_PER_S) * PIT_HZ) / NS_PER_S;
}
/** The first virtual time at which ticksAt() reaches `tick`. */
export function nsOfTick(tick: u64): u64 {
  if (tick == NO_TICK) return NO_DEADLINE;
  return (tick / PIT_HZ) * NS_PER_S + ((tick % PIT_HZ) * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}
@inline function nowTick(): u64 {
  return ticksAt(clockNow());
}

/** Modes 6 and 7 are modes 2 and 3 (datasheet: "X" bit). */
@inline function modeOf(ch: u32): u32 {
  const m = g8(ch, C_MODE);
  return m >= 6 ? m - 4 : m;
}

function fromBcd(v: u32): u32 {
  return ((v >>> 12) & 0xf) * 1000 + ((v >>> 8) & 0xf) * 100 + ((v >>> 4) & 0xf) * 10 + (v & 0xf);
}
function toBcd(v: u32): u32 {
  v %= 10000;
  return ((v / 1000) << 12) | (((v / 100) % 10) << 8) | (((v / 10) % 10) << 4) | (v % 10);
}

/** GATE low suspends counting in modes 0, 2, 3 and 4 (modes 1 and 5 only trigger on it). */
@inline function paused(ch: u32): bool {
  const mode = modeOf(ch);
  return g8(ch, C_GATE) == 0 && mode != 1 && mode != 5;
}

/** Ticks counted since the load: frozen while the gate suspends counting. */
function elapsed(ch: u32, tick: u64): u64 {
  const load = g64(ch, C_LOAD_TICK);
  const t = paused(ch) ? g64(ch, C_PAUSE_TICK) : tick;
  return t > load ? t - load : 0;
}

/** Whether the counter is counting down from a loaded count. */
function counting(ch: u32): bool {
  if (g8(ch, C_ARMED) == 0) return false;
  const mode = modeOf(ch);
  if ((mode == 1 || mode == 5) && g8(ch, C_TRIGGERED) == 0) return false;
  return true;
}

/** Modes 2/3: a count written during counting starts at the end of the period it was written in. */
function settlePending(ch: u32, tick: u64): void {
  if (g8(ch, C_HAS_PENDING) == 0) return;
  const mode = modeOf(ch);
  if (mode != 2 && mode != 3) return;
  const n = <u64>g32(ch, C_COUNT);
  const load = g64(ch, C_LOAD_TICK);
  const writeTick = g64(ch, C_NULL_UNTIL) - 1;
  const sinceLoad = writeTick > load ? writeTick - load : 0;
  const boundary = load + (sinceLoad / n + 1) * n;
  if (tick < boundary || paused(ch)) return;
  s32(ch, C_COUNT, g32(ch, C_PENDING_COUNT));
  s64(ch, C_LOAD_TICK, boundary);
  s8(ch, C_HAS_PENDING, 0);
  s64(ch, C_NULL_UNTIL, 0);
}

/** The counting element's value (binary, 0..65535) at `tick`. */
function counterValue(ch: u32, tick: u64): u32 {
  settlePending(ch, tick);
  if (!counting(ch)) return g32(ch, C_HELD);
  const n = <u64>g32(ch, C_COUNT);
  const d = elapsed(ch, tick);
  const mode = modeOf(ch);
  const modulus: u64 = g8(ch, C_BCD) != 0 ? 10000 : 0x10000;
  switch (mode) {
    case 2:
      return <u32>(n - (d % n));
    case 3: {
      // Decrements by two; an odd count loads N-1 and its high half lasts one tick longer.
      const p = d % n;
      if ((n & 1) == 0) return <u32>(n - 2 * (p % (n >> 1)));
      const high = (n + 1) >> 1;
      const q = p < high ? p : p - high;
      return <u32>(n - 1 - 2 * q);
    }
    default:
      // Modes 0, 1, 4, 5 count down through zero and wrap.
      return <u32>((n + modulus * 2 - (d % modulus)) % modulus);
  }
}

/** OUT at `tick` (datasheet mode definitions and waveforms). */
function outLevel(ch: u32, tick: u64): bool {
  settlePending(ch, tick);
  const mode = modeOf(ch);
  if (g8(ch, C_ARMED) == 0) return mode != 0; // control word: OUT low in mode 0, else high
  if ((mode == 2 || mode == 3) && paused(ch)) return true;
  if ((mode == 1 || mode == 5) && g8(ch, C_TRIGGERED) == 0) return true;
  const n = <u64>g32(ch, C_COUNT);
  const d = elapsed(ch, tick);
  switch (mode) {
    case 0:
    case 1:
      return d >= n;
    case 2:
      return n == 1 || d % n != n - 1;
    case 3:
      return d % n < (n + 1) >> 1;
    default:
      // Modes 4 and 5: low for one tick when the count reaches zero.
      return d != n;
  }
}

/** The first rising edge of OUT strictly after `after`, or NO_TICK. */
function nextRisingEdge(ch: u32, after: u64): u64 {
  if (!counting(ch) || paused(ch)) return NO_TICK;
  const n = <u64>g32(ch, C_COUNT);
  const load = g64(ch, C_LOAD_TICK);
  let edge: u64;
  switch (modeOf(ch)) {
    case 0:
    case 1:
      edge = load + n;
      return edge > after ? edge : NO_TICK;
    case 4:
    case 5:
      edge = load + n + 1;
      return edge > after ? edge : NO_TICK;
    default: {
      // Modes 2 and 3: OUT rises at the start of every period after the first.
      if (after < load + n) edge = load + n;
      else edge = load + ((after - load) / n + 1) * n;
      if (g8(ch, C_HAS_PENDING) != 0) {
        // The pending count takes over at the first boundary after its write.
        const writeTick = g64(ch, C_NULL_UNTIL) - 1;
        const boundary = load + ((writeTick > load ? writeTick - load : 0) / n + 1) * n;
        if (edge > boundary) {
          const m = <u64>g32(ch, C_PENDING_COUNT);
          const k = (edge - boundary + m - 1) / m;
          edge = boundary + (k == 0 ? m : k * m);
        }
      }
      return edge;
    }
  }
}

/** Counter value as the guest reads it (BCD when programmed so). */
function readableCount(ch: u32, tick: u64): u32 {
  const v = counterValue(ch, tick);
  return g8(ch, C_BCD) != 0 ? toBcd(v) : v & 0xffff;
}

function statusByte(ch: u32, tick: u64): u32 {
  let s = (g8(ch, C_RW) << CW_RW_SHIFT) | (g8(ch, C_MODE) << CW_MODE_SHIFT) | g8(ch, C_BCD);
  if (outLevel(ch, tick)) s |= STATUS_OUT;
  if (g8(ch, C_ARMED) == 0 || tick < g64(ch, C_NULL_UNTIL) || g8(ch, C_HAS_PENDING) != 0) s |= STATUS_NULL_COUNT;
  else if ((modeOf(ch) == 1 || modeOf(ch) == 5) && g8(ch, C_TRIGGERED) == 0) s |= STATUS_NULL_COUNT;
  return s;
}

function latchCount(ch: u32, tick: u64): void {
  if (g8(ch, C_LATCHED) != 0) return; // a latched count is kept until read
  s32(ch, C_LATCHED_COUNT, readableCount(ch, tick));
  s8(ch, C_LATCHED, g8(ch, C_RW));
  s8(ch, C_LATCH_SEQ, SEQ_LOW);
}

/** Channel 0's IRQ bookkeeping restarts at `tick` (a new count or gate trigger). */
function restartIrq(ch: u32, tick: u64): void {
  if (ch != 0) return;
  s64(ch, C_IRQ_DONE_TICK, tick);
  s32(ch, C_BACKLOG, 0);
  // The run loop sized its slice for the old deadline: end it so the new one is seen.
  requestStop(STOP_LIMIT);
}

/** A new initial count (binary or BCD as written) arrives. */
function loadCount(ch: u32, raw: u32): void {
  const tick = nowTick();
  let n = g8(ch, C_BCD) != 0 ? fromBcd(raw) : raw;
  if (n == 0) n = g8(ch, C_BCD) != 0 ? 10000 : 0x10000;
  const mode = modeOf(ch);
  settlePending(ch, tick);
  if ((mode == 1 || mode == 5) && g8(ch, C_TRIGGERED) != 0) {
    // Modes 1/5: the one-shot in progress is not affected; the next trigger loads it.
    s32(ch, C_PENDING_COUNT, n);
    s8(ch, C_HAS_PENDING, 1);
    return;
  }
  if ((mode == 2 || mode == 3) && counting(ch)) {
    // Datasheet modes 2/3: the current period is not affected.
    s32(ch, C_PENDING_COUNT, n);
    s8(ch, C_HAS_PENDING, 1);
    s64(ch, C_NULL_UNTIL, tick + 1);
    restartIrq(ch, g64(ch, C_IRQ_DONE_TICK));
    return;
  }
  s32(ch, C_COUNT, n);
  s8(ch, C_ARMED, 1);
  s64(ch, C_LOAD_TICK, tick);
  s64(ch, C_NULL_UNTIL, tick + 1);
  if (paused(ch)) s64(ch, C_PAUSE_TICK, tick);
  // Modes 1 and 5 wait for a gate trigger.
  if (mode == 1 || mode == 5) {
    s32(ch, C_HELD, n & 0xffff);
    s64(ch, C_NULL_UNTIL, NO_TICK);
  }
  restartIrq(ch, tick);
}

function controlWrite(value: u32): void {
  const tick = nowTick();
  const select = value >>> CW_SELECT_SHIFT;
  if (select == SELECT_READ_BACK) {
    for (let ch: u32 = 0; ch < CHANNELS; ch++) {
      if ((value & (RB_CHANNEL0 << ch)) == 0) continue;
      if ((value & RB_NO_COUNT) == 0) latchCount(ch, tick);
      if ((value & RB_NO_STATUS) == 0 && g8(ch, C_STATUS_LATCHED) == 0) {
        s8(ch, C_STATUS, statusByte(ch, tick));
        s8(ch, C_STATUS_LATCHED, 1);
      }
    }
    return;
  }
  const ch = select;
  const rw = (value >>> CW_RW_SHIFT) & 3;
  if (rw == RW_LATCH) {
    latchCount(ch, tick);
    return;
  }
  // A control word stops the counter until a new count is written.
  s32(ch, C_HELD, counterValue(ch, tick) & 0xffff);
  s8(ch, C_RW, rw);
  s8(ch, C_MODE, (value >>> CW_MODE_SHIFT) & 7);
  s8(ch, C_BCD, value & CW_BCD);
  s8(ch, C_READ_SEQ, SEQ_LOW);
  s8(ch, C_WRITE_SEQ, SEQ_LOW);
  s8(ch, C_LATCHED, 0);
  s8(ch, C_STATUS_LATCHED, 0);
  s8(ch, C_ARMED, 0);
  s8(ch, C_TRIGGERED, 0);
  s8(ch, C_HAS_PENDING, 0);
  if (paused(ch)) s64(ch, C_PAUSE_TICK, tick);
  restartIrq(ch, tick);
}

function counterWrite(ch: u32, value: u32): void {
  switch (g8(ch, C_RW)) {
    case RW_LSB:
      loadCount(ch, value);
      break;
    case RW_MSB:
      loadCount(ch, value << 8);
      break;
    default:
      if (g8(ch, C_WRITE_SEQ) == SEQ_LOW) {
        s8(ch, C_WRITE_LOW, value);
        s8(ch, C_WRITE_SEQ, SEQ_HIGH);
        // Mode 0: writing the first byte stops the count (datasheet mode 0).
        if (modeOf(ch) == 0 && g8(ch, C_ARMED) != 0) {
          const tick = nowTick();
          s32(ch, C_HELD, counterValue(ch, tick) & 0xffff);
          s8(ch, C_ARMED, 0);
          restartIrq(ch, tick);
        }
      } else {
        s8(ch, C_WRITE_SEQ, SEQ_LOW);
        loadCount(ch, g8(ch, C_WRITE_LOW) | (value << 8));
      }
      break;
  }
}

function counterRead(ch: u32): u32 {
  if (g8(ch, C_STATUS_LATCHED) != 0) {
    s8(ch, C_STATUS_LATCHED, 0);
    return g8(ch, C_STATUS);
  }
  const latched = g8(ch, C_LATCHED);
  if (latched != 0) {
    const v = g32(ch, C_LATCHED_COUNT);
    if (latched == RW_MSB) {
      s8(ch, C_LATCHED, 0);
      return (v >>> 8) & 0xff;
    }
    if (latched == RW_LSB) {
      s8(ch, C_LATCHED, 0);
      return v & 0xff;
    }
    if (g8(ch, C_LATCH_SEQ) == SEQ_LOW) {
      s8(ch, C_LATCH_SEQ, SEQ_HIGH);
      return v & 0xff;
    }
    s8(ch, C_LATCHED, 0);
    return (v >>> 8) & 0xff;
  }
  const v = readableCount(ch, nowTick());
  switch (g8(ch, C_RW)) {
    case RW_LSB:
      return v & 0xff;
    case RW_MSB:
      return (v >>> 8) & 0xff;
    default:
      if (g8(ch, C_READ_SEQ) == SEQ_LOW) {
        s8(ch, C_READ_SEQ, SEQ_HIGH);
        return v & 0xff;
      }
      s8(ch, C_READ_SEQ, SEQ_LOW);
      return (v >>> 8) & 0xff;
  }
}

export function pitRead(port: u32): u32 {
  const ch = (port - PORT_PIT) & 3;
  if (ch == PORT_CONTROL_OFFSET) return 0xff; // the control word register cannot be read
  return counterRead(ch);
}

export function pitWrite(port: u32, value: u32): void {
  const ch = (port - PORT_PIT) & 3;
  if (ch == PORT_CONTROL_OFFSET) controlWrite(value & 0xff);
  else counterWrite(ch, value & 0xff);
}

/** GATE input of a channel (channel 2: port 0x61 bit 0). Datasheet "Gate Pin Operations Summary". */
export function pitSetGate(ch: u32, high: bool): void {
  if (ch >= CHANNELS) return;
  const was = g8(ch, C_GATE) != 0;
  if (was == high) return;
  const tick = nowTick();
  settlePending(ch, tick);
  const mode = modeOf(ch);
  if (!high) {
    // Modes 0, 2, 3, 4: counting suspended from now (2, 3: OUT forced high).
    s64(ch, C_PAUSE_TICK, tick);
    s8(ch, C_GATE, 0);
    return;
  }
  const wasPaused = paused(ch);
  s8(ch, C_GATE, 1);
  if (wasPaused && (mode == 0 || mode == 4)) {
    // Resume where counting stopped.
    s64(ch, C_LOAD_TICK, g64(ch, C_LOAD_TICK) + (tick - g64(ch, C_PAUSE_TICK)));
  }
  // A rising edge (re)loads the count in modes 1, 2, 3 and 5.
  if (mode != 0 && mode != 4 && g8(ch, C_ARMED) != 0) {
    if (g8(ch, C_HAS_PENDING) != 0) {
      s32(ch, C_COUNT, g32(ch, C_PENDING_COUNT));
      s8(ch, C_HAS_PENDING, 0);
    }
    s64(ch, C_LOAD_TICK, tick);
    s64(ch, C_NULL_UNTIL, tick + 1);
    s8(ch, C_TRIGGERED, 1);
  }
  restartIrq(ch, tick);
}

/** OUT of a channel now (channel 2: port 0x61 bit 5). */
export function pitOut(ch: u32): bool {
  if (ch >= CHANNELS) return false;
  return outLevel(ch, nowTick());
}

/** Rising edges of OUT0 the timer service found already past (each delivered late, or dropped beyond the backlog's bound). */
export function pitMissedTicks(): u64 {
  return load<u64>(S_MISSED_TOTAL);
}

/**
 * Timer service: signal the rising edges of OUT0 up to `now` on IRQ 0 and
 * return the virtual time of the next one. Edges are computed from the load
 * tick, so slicing never accumulates drift. However late the service is,
 * it pulses IRQ 0 once for the edges it finds past (the 8259A would latch
 * them as one request anyway), and keeps the rest as a backlog that it
 * delivers one pulse at a time, a quarter period apart, as KVM's PIT
 * reinjects lost ticks: an emulator stalled by the host (a JIT compile, a
 * busy machine) must not make the guest's clock lose ticks. Linux counts
 * jiffies by these interrupts early in boot: without the catch-up its TSC
 * watchdog saw jiffies run at half speed and called the TSC unstable, and
 * its IO-APIC timer check saw too few ticks and panicked.
 */
export function pitAdvance(now: u64): u64 {
  const ch: u32 = 0;
  const tick = ticksAt(now);
  settlePending(ch, tick);
  const done = g64(ch, C_IRQ_DONE_TICK);
  const edge = nextRisingEdge(ch, done);
  const mode = modeOf(ch);
  const periodic = mode == 2 || mode == 3;
  const n = <u64>g32(ch, C_COUNT);
  const spacing = periodic ? max<u64>(n / REDELIVER_SPACING_DIV, 1) : 1;
  if (edge != NO_TICK && edge <= tick) {
    pulseIrq(IRQ_TIMER);
    let last = edge;
    let folded: u64 = 0;
    if (periodic) {
      const loadTick = g64(ch, C_LOAD_TICK);
      if (edge >= loadTick) {
        last = loadTick + ((tick - loadTick) / n) * n;
        if (last < edge) last = edge;
        folded = (last - edge) / n;
      }
    }
    s64(ch, C_IRQ_DONE_TICK, last);
    if (folded > 0) {
      s64(ch, C_MISSED, g64(ch, C_MISSED) + folded);
      store<u64>(S_MISSED_TOTAL, load<u64>(S_MISSED_TOTAL) + folded);
      const backlog = <u64>g32(ch, C_BACKLOG) + folded;
      s32(ch, C_BACKLOG, backlog > <u64>MAX_BACKLOG ? MAX_BACKLOG : <u32>backlog);
    }
    store<u64>(S_REDELIVER_TICK, tick + spacing);
  } else if (g32(ch, C_BACKLOG) != 0 && tick >= load<u64>(S_REDELIVER_TICK)) {
    pulseIrq(IRQ_TIMER);
    s32(ch, C_BACKLOG, g32(ch, C_BACKLOG) - 1);
    store<u64>(S_REDELIVER_TICK, tick + spacing);
  }
  let next = nsOfTick(nextRisingEdge(ch, g64(ch, C_IRQ_DONE_TICK)));
  if (g32(ch, C_BACKLOG) != 0) {
    const redeliver = nsOfTick(max<u64>(load<u64>(S_REDELIVER_TICK), tick + 1));
    if (redeliver < next) next = redeliver;
  }
  return next;
}

export function pitInit(): void {
  registerPorts(PORT_PIT, PIT_PORT_COUNT, DEV_PIT);
}

/** RESET: every channel waits for a control word; gates 0 and 1 tied high, gate 2 low (port 0x61 reset). */
export function pitReset(): void {
  memory.fill(PIT_STATE, 0, S_REDELIVER_TICK + 8 - PIT_STATE);
  for (let ch: u32 = 0; ch < CHANNELS; ch++) {
    s8(ch, C_RW, RW_WORD);
    s8(ch, C_GATE, ch == 2 ? 0 : 1);
  }
}
