// Motorola MC146818A real-time clock and CMOS RAM, as the PC/AT wires it,
// with the PIIX4's upper 128-byte bank.
//
// Reference: Motorola MC146818A datasheet: "Address map" (Figure 3),
// "Time, calendar and alarm locations" (Table 3, Table 4 data modes),
// "Update cycle" (UIP, Figure 6), "Register A-D", "Interrupts" (periodic
// rates, Table 5), "Alarm" (don't-care codes 11XXXXXX). QEMU's
// hw/rtc/mc146818rtc.c and hw/i386/pc.c (pc_cmos_init) for the machine's
// behaviour and for the NVRAM contents SeaBIOS reads.
//
// Ports: 0x70 index (bit 7: NMI mask, write only), 0x71 data;
//        0x72 index, 0x73 data for CMOS bytes 0x80-0xFF (PIIX4 upper bank).
// IRQ 8: asserted while register C's IRQF is set, released by reading C.
//
// Time: the seconds counter is anchored to the virtual clock (a value at a
// virtual time); the date registers are computed from it when read, and
// the update cycle happens at each whole second after the anchor: UIP reads
// 1 during the 244 µs before it (QEMU's model; the datasheet's update itself
// then takes no time). Flags (PF, AF, UF) are computed for the interval
// since they were last brought up to date, so a guest polling register C
// sees them without any timer running; timers run only for enabled
// interrupts. The anchor starts at a fixed epoch (2026-01-01 00:00:00 UTC);
// the host sets the real date in realtime mode (rtcSetTime).

import { RTC_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { raiseIrq, lowerIrq } from '../machine/irq';
import { clockNow, NO_DEADLINE } from '../machine/clock';
import { getRamSize } from '../machine/physmem';
import { DEV_RTC } from '../machine/device-ids';
import { requestStop, STOP_LIMIT } from '../cpu/control';

export const PORT_RTC_INDEX: u32 = 0x70;
export const PORT_RTC_DATA: u32 = 0x71;
export const PORT_RTC_EXT_INDEX: u32 = 0x72;
const RTC_PORT_COUNT: u32 = 4;
const IRQ_RTC: u32 = 8;

/** 2026-01-01 00:00:00 UTC: the date in deterministic mode. */
export const RTC_DEFAULT_EPOCH: u64 = 1767225600;
const NS_PER_S: u64 = 1_000_000_000;
/** UIP is set this long before the update (8 cycles of the 32.768 kHz base: 244.14 µs). */
const UIP_HOLD_NS: u64 = 244_140;
/** After the divider leaves reset, the first update comes half a second later. */
const DIVIDER_RESET_PHASE_NS: u64 = 500_000_000;
const TIMEBASE_HZ: u64 = 32768;
const SECONDS_PER_DAY: u64 = 86400;

// Register indices.
const REG_SECONDS: u32 = 0x00;
const REG_SECONDS_ALARM: u32 = 0x01;
const REG_MINUTES: u32 = 0x02;
const REG_MINUTES_ALARM: u32 = 0x03;
const REG_HOURS: u32 = 0x04;
const REG_HOURS_ALARM: u32 = 0x05;
const REG_WEEKDAY: u32 = 0x06;
const REG_DAY: u32 = 0x07;
const REG_MONTH: u32 = 0x08;
const REG_YEAR: u32 = 0x09;
const REG_A: u32 = 0x0a;
const REG_B: u32 = 0x0b;
const REG_C: u32 = 0x0c;
const REG_D: u32 = 0x0d;
const CMOS_SHUTDOWN: u32 = 0x0f;
const CMOS_FLOPPY_TYPES: u32 = 0x10;
const CMOS_DISK_TYPES: u32 = 0x12;
const CMOS_EQUIPMENT: u32 = 0x14;
const CMOS_BASE_MEM_LO: u32 = 0x15;
const CMOS_EXT_MEM_LO: u32 = 0x17;
const CMOS_DISK0_TYPE: u32 = 0x19;
const CMOS_DISK1_TYPE: u32 = 0x1a;
const CMOS_DISK0_PARAMS: u32 = 0x1b;
const CMOS_DISK1_PARAMS: u32 = 0x24;
const CMOS_EXT_MEM2_LO: u32 = 0x30;
const CMOS_CENTURY: u32 = 0x32;
const CMOS_HIGH_MEM_LO: u32 = 0x34;
const CMOS_CENTURY_PS2: u32 = 0x37; // IBM PS/2 century byte: an alias of 0x32 (QEMU)
const CMOS_BOOT_ORDER_3: u32 = 0x38; // bits 7-4: third boot device; bit 0: skip floppy signature check
const CMOS_DISK_TRANSLATION: u32 = 0x39;
const CMOS_BOOT_ORDER_12: u32 = 0x3d; // bits 3-0 first, 7-4 second
const CMOS_MEM_ABOVE_4G: u32 = 0x5b; // 3 bytes, 64 KiB units
const CMOS_CPU_COUNT: u32 = 0x5f; // CPUs - 1

// Register A.
const A_UIP: u32 = 0x80;
const A_DIVIDER_MASK: u32 = 0x70;
const A_DIVIDER_NORMAL: u32 = 0x20; // 32.768 kHz time base, running
const A_RATE_MASK: u32 = 0x0f;
// Register B.
const B_SET: u32 = 0x80;
const B_PIE: u32 = 0x40;
const B_AIE: u32 = 0x20;
const B_UIE: u32 = 0x10;
const B_SQWE: u32 = 0x08;
const B_BINARY: u32 = 0x04; // DM: binary (else BCD)
const B_24H: u32 = 0x02;
// Register C.
const C_IRQF: u32 = 0x80;
const C_PF: u32 = 0x40;
const C_AF: u32 = 0x20;
const C_UF: u32 = 0x10;
// Register D.
const D_VRT: u32 = 0x80;
/** Alarm "don't care": both top bits set (datasheet "Alarm"). */
const ALARM_DONT_CARE: u32 = 0xc0;
const HOUR_PM: u32 = 0x80;

const CMOS_SIZE: u32 = 256;
const INDEX_MASK: u32 = 0x7f;
const UPPER_BANK: u32 = 0x80;

// QEMU's CMOS encodings.
const DISK_TYPE_USER: u32 = 47;
const EQUIPMENT_FPU: u32 = 0x02;
const EQUIPMENT_PS2_MOUSE: u32 = 0x04;
const EQUIPMENT_ONE_FLOPPY: u32 = 0x01;
const EQUIPMENT_TWO_FLOPPIES: u32 = 0x41;
export const BOOT_FLOPPY: u32 = 1;
export const BOOT_DISK: u32 = 2;
export const BOOT_CDROM: u32 = 3;
const KIB: u32 = 1024;
const MIB: u32 = 1024 * 1024;
const BASE_MEMORY_KIB: u32 = 640;
const UNIT_64K: u32 = 65536;
/** The i440FX's top of low memory (QEMU pc: RAM above it is mapped above 4 GiB). */
const LOW_MEMORY_LIMIT: u32 = 0xe000_0000;

// State (RTC_STATE): the 256 CMOS bytes, then the clock.
const CMOS: u32 = RTC_STATE;
const ST_INDEX: u32 = RTC_STATE + 0x100; // u8 port 0x70 index
const ST_EXT_INDEX: u32 = RTC_STATE + 0x101; // u8 port 0x72 index
const ST_NMI_MASKED: u32 = RTC_STATE + 0x102; // u8 port 0x70 bit 7
const ST_SECONDS: u32 = RTC_STATE + 0x108; // u64 seconds since 1970 at the anchor
const ST_ANCHOR_NS: u32 = RTC_STATE + 0x110; // u64 virtual time of the anchor (a whole second)
const ST_FLAGS_NS: u32 = RTC_STATE + 0x118; // u64 flags in C are up to date to this time
const ST_PERIODIC_NS: u32 = RTC_STATE + 0x120; // u64 virtual time the periodic divider phase counts from

@inline function cmos(i: u32): u32 {
  return <u32>load<u8>(CMOS + (i & 0xff));
}
@inline function setCmos(i: u32, v: u32): void {
  store<u8>(CMOS + (i & 0xff), <u8>v);
}

/** Whether the divider chain runs and updates are enabled (not SET, DV = 010). */
function running(): bool {
  return (cmos(REG_B) & B_SET) == 0 && (cmos(REG_A) & A_DIVIDER_MASK) == A_DIVIDER_NORMAL;
}
/** Whether the divider runs (periodic interrupts need it, SET does not stop them). */
function dividerRunning(): bool {
  return (cmos(REG_A) & A_DIVIDER_MASK) == A_DIVIDER_NORMAL;
}

/** Bring the anchor up to `now` (whole seconds only; the phase is kept), guarding a restarted clock. */
function anchorAt(now: u64): void {
  const anchor = load<u64>(ST_ANCHOR_NS);
  if (now < anchor) {
    store<u64>(ST_ANCHOR_NS, now);
    return;
  }
  if (!running()) return;
  const whole = (now - anchor) / NS_PER_S;
  store<u64>(ST_SECONDS, load<u64>(ST_SECONDS) + whole);
  store<u64>(ST_ANCHOR_NS, anchor + whole * NS_PER_S);
}

/** Seconds since 1970 the clock reads at `now`. */
function secondsAt(now: u64): u64 {
  const anchor = load<u64>(ST_ANCHOR_NS);
  if (!running() || now < anchor) return load<u64>(ST_SECONDS);
  return load<u64>(ST_SECONDS) + (now - anchor) / NS_PER_S;
}

// Civil calendar <-> days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
// closed-form algorithms, no loops, so any register contents are safe).
function daysFromCivil(y0: i64, m: i64, d: i64): i64 {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = (153 * mp + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

let civilYear: u32 = 0;
let civilMonth: u32 = 0;
let civilDay: u32 = 0;
function civilFromDays(z0: i64): void {
  const z = z0 + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  civilYear = <u32>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  civilMonth = <u32>m;
  civilDay = <u32>d;
}

@inline function binary(): bool {
  return (cmos(REG_B) & B_BINARY) != 0;
}
function encode(v: u32): u32 {
  return binary() ? v : ((v / 10) << 4) | (v % 10);
}
function decode(v: u32): u32 {
  return binary() ? v : ((v >>> 4) & 0xf) * 10 + (v & 0xf);
}
function encodeHour(h: u32): u32 {
  if ((cmos(REG_B) & B_24H) != 0) return encode(h);
  const pm = h >= 12;
  let h12 = h % 12;
  if (h12 == 0) h12 = 12;
  return encode(h12) | (pm ? HOUR_PM : 0);
}
function decodeHour(v: u32): u32 {
  if ((cmos(REG_B) & B_24H) != 0) return decode(v);
  const h = decode(v & ~HOUR_PM) % 12;
  return (v & HOUR_PM) != 0 ? h + 12 : h;
}

/** Write the time and date registers (and the century bytes) for `secs`. */
function storeTime(secs: u64): void {
  const days = secs / SECONDS_PER_DAY;
  const tod = <u32>(secs % SECONDS_PER_DAY);
  civilFromDays(<i64>days);
  setCmos(REG_SECONDS, encode(tod % 60));
  setCmos(REG_MINUTES, encode((tod / 60) % 60));
  setCmos(REG_HOURS, encodeHour(tod / 3600));
  setCmos(REG_WEEKDAY, encode(<u32>((days + 4) % 7) + 1)); // 1970-01-01 was a Thursday; Sunday = 1
  setCmos(REG_DAY, encode(civilDay));
  setCmos(REG_MONTH, encode(civilMonth));
  setCmos(REG_YEAR, encode(civilYear % 100));
  const century = ((civilYear / 100 / 10) << 4) | ((civilYear / 100) % 10); // always BCD (QEMU)
  setCmos(CMOS_CENTURY, century);
}

/** The seconds count the time and date registers hold (normalising out-of-range values). */
function loadTime(): u64 {
  const c = cmos(CMOS_CENTURY);
  const year = <i64>(((c >>> 4) & 0xf) * 10 + (c & 0xf)) * 100 + <i64>decode(cmos(REG_YEAR));
  const days = daysFromCivil(year, <i64>decode(cmos(REG_MONTH)), <i64>decode(cmos(REG_DAY)));
  const s =
    days * <i64>SECONDS_PER_DAY +
    <i64>decodeHour(cmos(REG_HOURS)) * 3600 +
    <i64>decode(cmos(REG_MINUTES)) * 60 +
    <i64>decode(cmos(REG_SECONDS));
  return s > 0 ? <u64>s : 0;
}

/** Periodic interrupt period for the rate in register A (Table 5), or 0 when off. */
function periodicNs(): u64 {
  const rs = cmos(REG_A) & A_RATE_MASK;
  if (rs == 0 || !dividerRunning()) return 0;
  // Rates 1 and 2 repeat rates 8 and 9 with the 32.768 kHz time base.
  const shift = rs <= 2 ? rs + 6 : rs - 1;
  return ((<u64>1 << shift) * NS_PER_S) / TIMEBASE_HZ;
}

/** Does an update to `secs` match the alarm (each byte equal or don't care)? */
function alarmMatches(secs: u64): bool {
  const tod = <u32>(secs % SECONDS_PER_DAY);
  const as = cmos(REG_SECONDS_ALARM);
  const am = cmos(REG_MINUTES_ALARM);
  const ah = cmos(REG_HOURS_ALARM);
  if ((as & ALARM_DONT_CARE) != ALARM_DONT_CARE && as != encode(tod % 60)) return false;
  if ((am & ALARM_DONT_CARE) != ALARM_DONT_CARE && am != encode((tod / 60) % 60)) return false;
  if ((ah & ALARM_DONT_CARE) != ALARM_DONT_CARE && ah != encodeHour(tod / 3600)) return false;
  return true;
}

/** The first second s in (from, to] whose update matches the alarm, or 0 (bounded search). */
function firstAlarmIn(from: u64, to: u64): u64 {
  let s = from + 1;
  // Each step skips a whole non-matching hour, minute or second: at most
  // 24 + 60 + 60 steps per day searched, two days at most.
  for (let i: u32 = 0; i < 400 && s <= to; i++) {
    const tod = <u32>(s % SECONDS_PER_DAY);
    const ah = cmos(REG_HOURS_ALARM);
    const am = cmos(REG_MINUTES_ALARM);
    if ((ah & ALARM_DONT_CARE) != ALARM_DONT_CARE && ah != encodeHour(tod / 3600)) {
      s += <u64>(3600 - (tod % 3600));
      continue;
    }
    if ((am & ALARM_DONT_CARE) != ALARM_DONT_CARE && am != encode((tod / 60) % 60)) {
      s += <u64>(60 - (tod % 60));
      continue;
    }
    if (alarmMatches(s)) return s;
    s++;
  }
  if (to - from > 2 * SECONDS_PER_DAY && alarmMatches(to)) return to;
  return 0;
}

/** Recompute IRQF and the IRQ 8 line from C and the enables in B. */
function updateIrq(): void {
  const b = cmos(REG_B);
  let c = cmos(REG_C) & (C_PF | C_AF | C_UF);
  if ((c & b & (B_PIE | B_AIE | B_UIE)) != 0) c |= C_IRQF;
  setCmos(REG_C, c);
  if ((c & C_IRQF) != 0) raiseIrq(IRQ_RTC);
  else lowerIrq(IRQ_RTC);
}

/** Set the flags in C for the events in (ST_FLAGS_NS, now]. */
function catchUp(now: u64): void {
  const from = load<u64>(ST_FLAGS_NS);
  if (now <= from) {
    if (now < from) store<u64>(ST_FLAGS_NS, now); // the clock restarted
    return;
  }
  let c = cmos(REG_C);
  const period = periodicNs();
  if (period != 0) {
    const base = load<u64>(ST_PERIODIC_NS);
    if (now >= base && (from < base ? now >= base + period : (now - base) / period > (from - base) / period)) c |= C_PF;
  }
  if (running()) {
    const s0 = secondsAt(from);
    const s1 = secondsAt(now);
    if (s1 > s0) {
      c |= C_UF;
      if (firstAlarmIn(s0, s1) != 0) c |= C_AF;
    }
  }
  store<u64>(ST_FLAGS_NS, now);
  setCmos(REG_C, c);
  updateIrq();
}

/** The next virtual time an enabled interrupt's flag will be set, or NO_DEADLINE. */
function nextEvent(now: u64): u64 {
  const b = cmos(REG_B);
  let next = NO_DEADLINE;
  const period = periodicNs();
  if ((b & B_PIE) != 0 && period != 0) {
    const base = load<u64>(ST_PERIODIC_NS);
    const t = now < base ? base + period : base + ((now - base) / period + 1) * period;
    if (t < next) next = t;
  }
  if ((b & (B_UIE | B_AIE)) != 0 && running()) {
    const anchor = load<u64>(ST_ANCHOR_NS);
    const t = now < anchor ? anchor + NS_PER_S : anchor + ((now - anchor) / NS_PER_S + 1) * NS_PER_S;
    if (t < next) next = t;
  }
  return next;
}

/** Timer service: set due flags, raise IRQ 8 for enabled ones, return the next deadline. */
export function rtcAdvance(now: u64): u64 {
  catchUp(now);
  anchorAt(now);
  return nextEvent(now);
}

function readRegister(index: u32): u32 {
  const now = clockNow();
  if (index == CMOS_CENTURY_PS2) index = CMOS_CENTURY; // an alias (QEMU)
  if (index <= REG_YEAR || index == CMOS_CENTURY) {
    if (running()) storeTime(secondsAt(now));
    return cmos(index);
  }
  switch (index) {
    case REG_A: {
      let a = cmos(REG_A) & ~A_UIP;
      if (running()) {
        const anchor = load<u64>(ST_ANCHOR_NS);
        const phase = now >= anchor ? (now - anchor) % NS_PER_S : 0;
        if (phase >= NS_PER_S - UIP_HOLD_NS) a |= A_UIP;
      }
      return a;
    }
    case REG_C: {
      catchUp(now);
      const c = cmos(REG_C);
      // Reading C clears every flag and releases IRQ 8 (datasheet "Register C").
      setCmos(REG_C, 0);
      updateIrq();
      return c;
    }
    case REG_D:
      return D_VRT;
    default:
      return cmos(index);
  }
}

function writeRegister(index: u32, value: u32): void {
  const now = clockNow();
  if (index == CMOS_CENTURY_PS2) index = CMOS_CENTURY;
  if (index <= REG_YEAR || index == CMOS_CENTURY) {
    catchUp(now);
    anchorAt(now);
    if (running()) storeTime(secondsAt(now));
    setCmos(index, value);
    // Alarm bytes are plain storage; a time byte moves the clock (the phase is kept).
    if (index != REG_SECONDS_ALARM && index != REG_MINUTES_ALARM && index != REG_HOURS_ALARM) {
      store<u64>(ST_SECONDS, loadTime());
    }
    return;
  }
  switch (index) {
    case REG_A: {
      catchUp(now);
      anchorAt(now);
      const wasDividing = dividerRunning();
      setCmos(REG_A, value & ~A_UIP);
      if (!wasDividing && dividerRunning()) {
        // Leaving divider reset: the first update is 500 ms later, periodic restarts.
        if (now >= DIVIDER_RESET_PHASE_NS) store<u64>(ST_ANCHOR_NS, now - DIVIDER_RESET_PHASE_NS);
        else store<u64>(ST_ANCHOR_NS, now);
        store<u64>(ST_PERIODIC_NS, now);
      } else if (wasDividing && !dividerRunning()) {
        store<u64>(ST_SECONDS, secondsAt(now));
      }
      requestStop(STOP_LIMIT);
      return;
    }
    case REG_B: {
      catchUp(now);
      anchorAt(now);
      const old = cmos(REG_B);
      if ((value & B_SET) != 0 && (old & B_SET) == 0) {
        // SET: freeze the registers where they are; updates stop and UIE clears.
        store<u64>(ST_SECONDS, secondsAt(now));
        storeTime(load<u64>(ST_SECONDS));
        value &= ~B_UIE;
      }
      setCmos(REG_B, value);
      if ((value & B_SET) == 0 && (old & B_SET) != 0) {
        // Counting restarts from the registers; the next update is a second away.
        store<u64>(ST_SECONDS, loadTime());
        store<u64>(ST_ANCHOR_NS, now);
        store<u64>(ST_FLAGS_NS, now);
      } else if ((value & (B_BINARY | B_24H)) != (old & (B_BINARY | B_24H)) && running()) {
        storeTime(secondsAt(now)); // registers follow the new format
      }
      updateIrq();
      requestStop(STOP_LIMIT);
      return;
    }
    case REG_C:
    case REG_D:
      return; // read only
    default:
      setCmos(index, value);
  }
}

export function rtcRead(port: u32): u32 {
  switch (port) {
    case PORT_RTC_DATA:
      return readRegister(<u32>load<u8>(ST_INDEX));
    case PORT_RTC_EXT_INDEX + 1:
      return cmos(<u32>load<u8>(ST_EXT_INDEX) | UPPER_BANK);
    default:
      return 0xff; // index registers are write only
  }
}

export function rtcWrite(port: u32, value: u32): void {
  value &= 0xff;
  switch (port) {
    case PORT_RTC_INDEX:
      store<u8>(ST_INDEX, <u8>(value & INDEX_MASK));
      store<u8>(ST_NMI_MASKED, <u8>(value >>> 7));
      return;
    case PORT_RTC_DATA:
      writeRegister(<u32>load<u8>(ST_INDEX), value);
      return;
    case PORT_RTC_EXT_INDEX:
      store<u8>(ST_EXT_INDEX, <u8>(value & INDEX_MASK));
      return;
    default:
      setCmos(<u32>load<u8>(ST_EXT_INDEX) | UPPER_BANK, value);
  }
}

/** NMI masked by port 0x70 bit 7. */
export function rtcNmiMasked(): bool {
  return load<u8>(ST_NMI_MASKED) != 0;
}

/** The clock reads `seconds` (since 1970-01-01 00:00:00 UTC) now. */
export function rtcSetTime(seconds: u64): void {
  const now = clockNow();
  store<u64>(ST_SECONDS, seconds);
  store<u64>(ST_ANCHOR_NS, now);
  store<u64>(ST_FLAGS_NS, now);
  storeTime(seconds);
}

/** The memory-size bytes, from the RAM size (QEMU pc_cmos_init). */
function storeMemorySizes(): void {
  const ram = getRamSize();
  const below4g = ram < LOW_MEMORY_LIMIT ? ram : LOW_MEMORY_LIMIT;
  const above4g = ram - below4g;
  let base = below4g / KIB;
  if (base > BASE_MEMORY_KIB) base = BASE_MEMORY_KIB;
  setCmos(CMOS_BASE_MEM_LO, base & 0xff);
  setCmos(CMOS_BASE_MEM_LO + 1, base >>> 8);
  let ext = below4g > MIB ? (below4g - MIB) / KIB : 0;
  if (ext > 0xffff) ext = 0xffff;
  setCmos(CMOS_EXT_MEM_LO, ext & 0xff);
  setCmos(CMOS_EXT_MEM_LO + 1, ext >>> 8);
  setCmos(CMOS_EXT_MEM2_LO, ext & 0xff);
  setCmos(CMOS_EXT_MEM2_LO + 1, ext >>> 8);
  let high = below4g > 16 * MIB ? (below4g - 16 * MIB) / UNIT_64K : 0;
  if (high > 0xffff) high = 0xffff;
  setCmos(CMOS_HIGH_MEM_LO, high & 0xff);
  setCmos(CMOS_HIGH_MEM_LO + 1, high >>> 8);
  const above = above4g / UNIT_64K;
  setCmos(CMOS_MEM_ABOVE_4G, above & 0xff);
  setCmos(CMOS_MEM_ABOVE_4G + 1, (above >>> 8) & 0xff);
  setCmos(CMOS_MEM_ABOVE_4G + 2, above >>> 16);
}

/** Boot order, QEMU's encoding (BOOT_FLOPPY 1, BOOT_DISK 2, BOOT_CDROM 3, 0 none). */
export function cmosSetBootOrder(first: u32, second: u32, third: u32): void {
  setCmos(CMOS_BOOT_ORDER_12, (first & 0xf) | ((second & 0xf) << 4));
  setCmos(CMOS_BOOT_ORDER_3, ((third & 0xf) << 4) | (cmos(CMOS_BOOT_ORDER_3) & 0x0f));
}

/**
 * Floppy drive `drive` (0 or 1) type, CMOS encoding: 0 none, 1 360K, 2 1.2M,
 * 3 720K, 4 1.44M, 5 2.88M. Also sets the equipment byte's floppy count.
 */
export function cmosSetFloppyType(drive: u32, type: u32): void {
  if (drive > 1) return;
  const shift: u32 = drive == 0 ? 4 : 0;
  const types = (cmos(CMOS_FLOPPY_TYPES) & ~(0xf << shift)) | ((type & 0xf) << shift);
  setCmos(CMOS_FLOPPY_TYPES, types);
  const count = ((types >>> 4) != 0 ? 1 : 0) + ((types & 0xf) != 0 ? 1 : 0);
  let eq = cmos(CMOS_EQUIPMENT) & ~EQUIPMENT_TWO_FLOPPIES;
  if (count == 1) eq |= EQUIPMENT_ONE_FLOPPY;
  else if (count == 2) eq |= EQUIPMENT_TWO_FLOPPIES;
  setCmos(CMOS_EQUIPMENT, eq);
}

/**
 * IDE hard disk `drive` (0-3: primary master, slave, secondary master, slave)
 * with its BIOS geometry and translation (0 none, 1 LBA, 2 large, 3 r-echs),
 * as QEMU's cmos_init_hd: drives 0 and 1 get type 47 and a parameter table.
 */
export function cmosSetDiskPresent(drive: u32, cylinders: u32, heads: u32, sectors: u32, translation: u32): void {
  if (drive > 3) return;
  const shift = drive * 2;
  setCmos(CMOS_DISK_TRANSLATION, (cmos(CMOS_DISK_TRANSLATION) & ~(3 << shift)) | ((translation & 3) << shift));
  if (drive > 1) return;
  setCmos(CMOS_DISK_TYPES, cmos(CMOS_DISK_TYPES) | (drive == 0 ? 0xf0 : 0x0f));
  setCmos(drive == 0 ? CMOS_DISK0_TYPE : CMOS_DISK1_TYPE, DISK_TYPE_USER);
  const p = drive == 0 ? CMOS_DISK0_PARAMS : CMOS_DISK1_PARAMS;
  setCmos(p + 0, cylinders & 0xff);
  setCmos(p + 1, (cylinders >>> 8) & 0xff);
  setCmos(p + 2, heads & 0xff);
  setCmos(p + 3, 0xff); // write precompensation: none
  setCmos(p + 4, 0xff);
  setCmos(p + 5, 0xc0 | (heads > 8 ? 0x08 : 0));
  setCmos(p + 6, cylinders & 0xff); // landing zone
  setCmos(p + 7, (cylinders >>> 8) & 0xff);
  setCmos(p + 8, sectors & 0xff);
}

/** Read a CMOS byte directly (host, tests). */
export function cmosRead(index: u32): u32 {
  return cmos(index);
}
export function cmosWrite(index: u32, value: u32): void {
  setCmos(index, value);
}

/** Power-on (battery installed): NVRAM as QEMU's pc machine fills it, the clock at the fixed epoch. */
export function rtcInit(): void {
  registerPorts(PORT_RTC_INDEX, RTC_PORT_COUNT, DEV_RTC);
  memory.fill(RTC_STATE, 0, CMOS_SIZE + 0x40);
  setCmos(REG_A, A_DIVIDER_NORMAL | 0x06); // 32.768 kHz, 1024 Hz rate (QEMU's reset value)
  setCmos(REG_B, B_24H);
  setCmos(REG_D, D_VRT);
  setCmos(CMOS_EQUIPMENT, EQUIPMENT_FPU | EQUIPMENT_PS2_MOUSE);
  setCmos(CMOS_CPU_COUNT, 0);
  setCmos(CMOS_SHUTDOWN, 0);
  storeMemorySizes();
  // QEMU's default boot order "cad": disk, floppy, CD-ROM.
  cmosSetBootOrder(BOOT_DISK, BOOT_FLOPPY, BOOT_CDROM);
  rtcSetTime(RTC_DEFAULT_EPOCH);
  store<u64>(ST_PERIODIC_NS, 0);
}

/**
 * RESET# (machine reset): the datasheet's RESET clears PIE, AIE, UIE, SQWE
 * and the flags in C and releases IRQ 8; time and NVRAM are kept.
 */
export function rtcReset(): void {
  const now = clockNow();
  catchUp(now);
  setCmos(REG_B, cmos(REG_B) & ~(B_PIE | B_AIE | B_UIE | B_SQWE));
  setCmos(REG_C, 0);
  updateIrq();
  storeMemorySizes();
}
