// Local APIC (xAPIC) of the one CPU, the bootstrap processor.
//
// Reference: Intel SDM Vol. 3A ch. 10 "Advanced Programmable Interrupt
// Controller (APIC)" (ch. 11 in newer editions); QEMU hw/intc/apic.c for the
// PC wiring (8259A on LINT0) and the timer's clock.
//
// Hardware enable: IA32_APIC_BASE (MSR 1Bh, kept in the CPU state at
// OFF_APIC_BASE): base[31:12], bit 8 BSP, bit 11 global enable; reset value
// FEE00900h. The 4 KiB register page is decoded at the base while enabled.
// Registers (32-bit, 16-byte aligned; other accesses read 0 and write
// nothing, SDM §10.4.1 "accesses must be 32-bit aligned"; an aligned access
// to a reserved slot also logs "illegal register address" in the ESR):
//   020 ID  030 version (00050014h: version 14h, 6 LVT entries)
//   080 TPR 090 APR 0A0 PPR 0B0 EOI 0C0 RRD 0D0 LDR 0E0 DFR 0F0 SVR
//   100-170 ISR 180-1F0 TMR 200-270 IRR (8 × 32 bits each)
//   280 ESR (write, then read the errors logged since the previous write)
//   300/310 ICR low/high
//   320 LVT timer 330 thermal 340 perfmon 350 LINT0 360 LINT1 370 error
//   380 timer initial count 390 current count 3E0 divide configuration
// Software enable: SVR bit 8; while clear every LVT is masked and stays so
// (§10.4.7.2), and fixed interrupts are not accepted.
//
// PC wiring (QEMU's pc machine, the MP spec's virtual-wire mode): the
// 8259A's INT output is LINT0, the board's NMI is LINT1. With the APIC
// disabled (hardware or software) the 8259A drives the CPU's INTR directly
// and the acknowledge cycle goes to it. Enabled, LINT0 is delivered as its
// LVT says (the BIOS programs ExtINT: the CPU's INTR follows the 8259A and
// INTA asks it for the vector, ignoring priorities, as QEMU does), and the
// CPU's INTR is high while the IRR holds a vector whose priority class
// beats the PPR (§10.8.3.1).
//
// Timer (§10.5.4): counts at 1 GHz of virtual time (clockNow() ns, QEMU's APIC
// bus clock) divided by 1-128; one-shot and periodic modes (the TSC-deadline
// mode is not offered: CPUID.1:ECX[24] is clear). The current count is
// computed from the virtual clock at read time; lapicAdvance() raises due
// interrupts (missed periods coalesce, as the IRR bit does).
//
// IPIs (ICR): fixed and lowest-priority to this APIC (by destination,
// self or all-including-self shorthand), NMI; INIT, SIPI and SMI are for
// other CPUs (there are none) and are dropped. Delivery status always idle.

import { CPU_STATE, LAPIC_STATE } from '../machine/layout';
import { OFF_APIC_BASE } from '../cpu/state';
import { DEV_LAPIC, DEV_NONE } from '../machine/device-ids';
import { registerMmio, mmioOwner } from '../machine/mmio';
import { clockNow, nextDeadline, NO_DEADLINE } from '../machine/clock';
import { requestStop, STOP_LIMIT } from '../cpu/control';
import { setCpuIntrLine, requestNmi } from '../cpu/external';
import { acknowledgeIrq } from '../machine/irq';
import { ioapicEoi } from './ioapic';

// IA32_APIC_BASE (SDM Vol. 3A §10.4.4).
export const APIC_BASE_BSP: u32 = 1 << 8;
export const APIC_BASE_ENABLE: u32 = 1 << 11;
export const APIC_BASE_ADDR_MASK: u32 = 0xfffff000;
export const APIC_DEFAULT_BASE: u32 = 0xfee00000;
/** Bits a WRMSR may set (no x2APIC: bit 10 is reserved, as are 0-7 and 9). */
export const APIC_BASE_WRITABLE: u32 = APIC_BASE_ADDR_MASK | APIC_BASE_ENABLE | APIC_BASE_BSP;
const APIC_PAGE_SIZE: u32 = 0x1000;

// Register offsets.
const REG_ID: u32 = 0x020;
const REG_VERSION: u32 = 0x030;
const REG_TPR: u32 = 0x080;
const REG_APR: u32 = 0x090;
const REG_PPR: u32 = 0x0a0;
const REG_EOI: u32 = 0x0b0;
const REG_RRD: u32 = 0x0c0;
const REG_LDR: u32 = 0x0d0;
const REG_DFR: u32 = 0x0e0;
const REG_SVR: u32 = 0x0f0;
const REG_ISR: u32 = 0x100;
const REG_TMR: u32 = 0x180;
const REG_IRR: u32 = 0x200;
const REG_ESR: u32 = 0x280;
const REG_ICR_LOW: u32 = 0x300;
const REG_ICR_HIGH: u32 = 0x310;
const REG_LVT_FIRST: u32 = 0x320;
const REG_LVT_LAST: u32 = 0x370;
const REG_TIMER_INITIAL: u32 = 0x380;
const REG_TIMER_CURRENT: u32 = 0x390;
const REG_TIMER_DIVIDE: u32 = 0x3e0;

/** Version 14h (P6/Pentium 4 xAPIC), max LVT entry 5 (six entries). */
export const APIC_VERSION: u32 = 0x00050014;

// LVT indices (register REG_LVT_FIRST + 16 × index).
export const LVT_TIMER: u32 = 0;
export const LVT_THERMAL: u32 = 1;
export const LVT_PERF: u32 = 2;
export const LVT_LINT0: u32 = 3;
export const LVT_LINT1: u32 = 4;
export const LVT_ERROR: u32 = 5;
const LVT_COUNT: u32 = 6;

// LVT fields (SDM Figure 10-8).
const LVT_VECTOR: u32 = 0xff;
const LVT_MODE_SHIFT: u32 = 8;
const LVT_MODE_MASK: u32 = 7 << LVT_MODE_SHIFT;
const LVT_REMOTE_IRR: u32 = 1 << 14;
const LVT_LEVEL: u32 = 1 << 15;
export const LVT_MASKED: u32 = 1 << 16;
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
const LVT_RESET: u32 = LVT_MASKED;
// Writable bits per entry: timer (vector, mask, mode), thermal/perf (vector,
// delivery mode, mask), LINT0/1 (+ polarity, trigger), error (vector, mask).
const LVT_WRITABLE_TIMER: u32 = 0x000300ff;
const LVT_WRITABLE_LOCAL: u32 = 0x000107ff;
const LVT_WRITABLE_LINT: u32 = 0x0001a7ff;
const LVT_WRITABLE_ERROR: u32 = 0x000100ff;

// Delivery modes (LVT, ICR, IOAPIC redirection entries).
export const DELIVERY_FIXED: u32 = 0;
export const DELIVERY_LOWEST: u32 = 1;
export const DELIVERY_SMI: u32 = 2;
export const DELIVERY_NMI: u32 = 4;
export const DELIVERY_INIT: u32 = 5;
export const DELIVERY_STARTUP: u32 = 6;
export const DELIVERY_EXTINT: u32 = 7;

// SVR (SDM Figure 10-23).
const SVR_ENABLE: u32 = 1 << 8;
const SVR_WRITABLE: u32 = 0x3ff; // vector, enable, focus processor checking
const SVR_RESET: u32 = 0xff;

// DFR: model in bits 31:28, the rest reads as ones.
const DFR_MODEL_FLAT: u32 = 0xf;
const DFR_ONES: u32 = 0x0fffffff;
const LDR_MASK: u32 = 0xff000000;
const ID_SHIFT: u32 = 24;

// ICR (SDM Figure 10-12).
const ICR_DEST_LOGICAL: u32 = 1 << 11;
const ICR_LEVEL_TRIGGER: u32 = 1 << 15;
const ICR_SHORTHAND_SHIFT: u32 = 18;
const ICR_LOW_WRITABLE: u32 = 0x000ccfff; // vector, mode, dest mode, level, trigger, shorthand
const ICR_HIGH_MASK: u32 = 0xff000000;
const SHORTHAND_NONE: u32 = 0;
const SHORTHAND_SELF: u32 = 1;
const SHORTHAND_ALL_INCLUDING_SELF: u32 = 2;
const BROADCAST_DEST: u32 = 0xff;

// ESR bits (SDM §10.5.3).
export const ESR_SEND_ILLEGAL_VECTOR: u32 = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR: u32 = 1 << 6;
export const ESR_ILLEGAL_REGISTER: u32 = 1 << 7;
/** Vectors 0-15 are reserved: never delivered (§10.5.2). */
const FIRST_LEGAL_VECTOR: u32 = 16;

// Timer.
const DIVIDE_WRITABLE: u32 = 0xb;
/** Shortest period the run loop is asked to stop for: tiny periods coalesce instead of slicing every instruction. */
const MIN_TIMER_SLICE_NS: u64 = 1000;

// State (LAPIC_STATE).
const ST_ID: u32 = LAPIC_STATE + 0x00;
const ST_TPR: u32 = LAPIC_STATE + 0x04;
const ST_LDR: u32 = LAPIC_STATE + 0x08;
const ST_DFR: u32 = LAPIC_STATE + 0x0c;
const ST_SVR: u32 = LAPIC_STATE + 0x10;
const ST_ESR: u32 = LAPIC_STATE + 0x14; // the value reads return
const ST_ESR_PENDING: u32 = LAPIC_STATE + 0x18; // errors since the last ESR write
const ST_ICR_LOW: u32 = LAPIC_STATE + 0x1c;
const ST_ICR_HIGH: u32 = LAPIC_STATE + 0x20;
const ST_TIMER_INITIAL: u32 = LAPIC_STATE + 0x24;
const ST_TIMER_DIVIDE: u32 = LAPIC_STATE + 0x28;
const ST_LINT0_PIN: u32 = LAPIC_STATE + 0x2c; // 8259A INT output level
const ST_LINT1_PIN: u32 = LAPIC_STATE + 0x30;
const ST_EXTINT: u32 = LAPIC_STATE + 0x34; // an ExtINT message (IOAPIC) waits for INTA
const ST_MAPPED_BASE: u32 = LAPIC_STATE + 0x38; // page decoded now (1: none)
const ST_MAPPED_PREV: u32 = LAPIC_STATE + 0x3c; // owner of that page before
const ST_TIMER_START: u32 = LAPIC_STATE + 0x40; // u64 ns when the count was loaded
const ST_TIMER_NEXT: u32 = LAPIC_STATE + 0x48; // u64 ns of the next expiry, or NO_DEADLINE
const ST_LVT: u32 = LAPIC_STATE + 0x60; // 6 × u32
const ST_IRR: u32 = LAPIC_STATE + 0x80; // 8 × u32
const ST_ISR: u32 = LAPIC_STATE + 0xa0;
const ST_TMR: u32 = LAPIC_STATE + 0xc0;
const NOT_MAPPED: u32 = 1;

// ---------- helpers ----------

@inline function apicBase(): u32 {
  return load<u32>(CPU_STATE + OFF_APIC_BASE);
}
@inline function hwEnabled(): bool {
  return (apicBase() & APIC_BASE_ENABLE) != 0;
}
@inline function swEnabled(): bool {
  return (load<u32>(ST_SVR) & SVR_ENABLE) != 0;
}
/** True when the APIC is in the interrupt path (hardware and software enabled). */
export function lapicActive(): bool {
  return hwEnabled() && swEnabled();
}
@inline function lvt(i: u32): u32 {
  return load<u32>(ST_LVT + (i << 2));
}
@inline function setLvt(i: u32, v: u32): void {
  store<u32>(ST_LVT + (i << 2), v);
}
@inline function lvtMode(v: u32): u32 {
  return (v & LVT_MODE_MASK) >>> LVT_MODE_SHIFT;
}

@inline function testBit(base: u32, v: u32): bool {
  return (load<u32>(base + ((v >>> 5) << 2)) & (1 << (v & 31))) != 0;
}
@inline function setBit(base: u32, v: u32): void {
  const a = base + ((v >>> 5) << 2);
  store<u32>(a, load<u32>(a) | (1 << (v & 31)));
}
@inline function clearBit(base: u32, v: u32): void {
  const a = base + ((v >>> 5) << 2);
  store<u32>(a, load<u32>(a) & ~(1 << (v & 31)));
}
/** Highest set vector of a 256-bit register, or -1. */
function highest(base: u32): i32 {
  for (let w: i32 = 7; w >= 0; w--) {
    const bits = load<u32>(base + (<u32>w << 2));
    if (bits != 0) return (w << 5) + 31 - <i32>clz(bits);
  }
  return -1;
}

/** PPR (SDM §10.8.3.1): TPR, or the in-service class when it is higher. */
function ppr(): u32 {
  const tpr = load<u32>(ST_TPR);
  const isrv = highest(ST_ISR);
  const isrClass: u32 = isrv < 0 ? 0 : <u32>isrv & 0xf0;
  return (tpr & 0xf0) >= isrClass ? tpr : isrClass;
}

/** APR (SDM §10.8.3.1, P6/Pentium arbitration priority). */
function apr(): u32 {
  const tpr = load<u32>(ST_TPR);
  const isrv = highest(ST_ISR);
  const irrv = highest(ST_IRR);
  const isrClass: u32 = isrv < 0 ? 0 : <u32>isrv & 0xf0;
  const irrClass: u32 = irrv < 0 ? 0 : <u32>irrv & 0xf0;
  if ((tpr & 0xf0) >= irrClass && (tpr & 0xf0) > isrClass) return tpr;
  let m = tpr & 0xf0;
  if (isrClass > m) m = isrClass;
  if (irrClass > m) m = irrClass;
  return m;
}

/** The IRR vector the CPU may take now, or -1. */
function acceptable(): i32 {
  const v = highest(ST_IRR);
  if (v < 0) return -1;
  return (<u32>v & 0xf0) > (ppr() & 0xf0) ? v : -1;
}

/** LINT0 programmed as ExtINT with the 8259A's output high: INTR follows the 8259A. */
function extintAsserted(): bool {
  if (load<u32>(ST_EXTINT) != 0) return true;
  const l = lvt(LVT_LINT0);
  return (l & LVT_MASKED) == 0 && lvtMode(l) == DELIVERY_EXTINT && load<u32>(ST_LINT0_PIN) != 0;
}

/** Recompute the CPU's INTR input. */
function updateIntr(): void {
  if (!lapicActive()) {
    setCpuIntrLine(load<u32>(ST_LINT0_PIN) != 0);
    return;
  }
  setCpuIntrLine(extintAsserted() || acceptable() >= 0);
}

// ---------- errors ----------

/** Log an error (ESR bits) and signal it through the error LVT (SDM §10.5.3). */
function reportError(bits: u32): void {
  const before = load<u32>(ST_ESR_PENDING);
  store<u32>(ST_ESR_PENDING, before | bits);
  if ((before | bits) == before) return;
  const e = lvt(LVT_ERROR);
  if ((e & LVT_MASKED) != 0 || !lapicActive()) return;
  const v = e & LVT_VECTOR;
  // An illegal error vector logs itself but raises no further error interrupt.
  if (v < FIRST_LEGAL_VECTOR) {
    store<u32>(ST_ESR_PENDING, load<u32>(ST_ESR_PENDING) | ESR_RECEIVE_ILLEGAL_VECTOR);
    return;
  }
  acceptInterrupt(v, false);
}

// ---------- accepting interrupts ----------

/**
 * A fixed interrupt arrives (LVT, IPI, IOAPIC message): into the IRR, the
 * TMR bit set for level-triggered ones (their EOI is broadcast). Dropped
 * while software-disabled; vectors 0-15 log a receive error instead.
 */
function acceptInterrupt(vector: u32, level: bool): void {
  if (!lapicActive()) return;
  vector &= 0xff;
  if (vector < FIRST_LEGAL_VECTOR) {
    reportError(ESR_RECEIVE_ILLEGAL_VECTOR);
    return;
  }
  setBit(ST_IRR, vector);
  if (level) setBit(ST_TMR, vector);
  else clearBit(ST_TMR, vector);
  updateIntr();
}

/** Deliver an LVT entry's event (timer, thermal, perfmon, error, a LINT edge). */
function deliverLocal(i: u32): void {
  const l = lvt(i);
  if ((l & LVT_MASKED) != 0 || !lapicActive()) return;
  // The timer and error entries have no delivery mode field: always fixed.
  const mode = i == LVT_TIMER || i == LVT_ERROR ? DELIVERY_FIXED : lvtMode(l);
  switch (mode) {
    case DELIVERY_FIXED: {
      const level = (i == LVT_LINT0 || i == LVT_LINT1) && (l & LVT_LEVEL) != 0;
      if (level) {
        if ((l & LVT_REMOTE_IRR) != 0) return; // in service until its EOI
        setLvt(i, l | LVT_REMOTE_IRR);
      }
      acceptInterrupt(l & LVT_VECTOR, level);
      break;
    }
    case DELIVERY_NMI:
      requestNmi();
      break;
    case DELIVERY_EXTINT:
      updateIntr();
      break;
    default:
      break; // SMI, INIT: no SMM, one CPU
  }
}

/** The 8259A's INT output (LINT0). */
export function lapicSetLint0(high: bool): void {
  const was = load<u32>(ST_LINT0_PIN) != 0;
  store<u32>(ST_LINT0_PIN, high ? 1 : 0);
  if (!lapicActive()) {
    setCpuIntrLine(high);
    return;
  }
  lintChanged(LVT_LINT0, was, high);
}

/** The board's NMI signal (LINT1): an NMI on its rising edge with the APIC disabled. */
export function lapicSetLint1(high: bool): void {
  const was = load<u32>(ST_LINT1_PIN) != 0;
  store<u32>(ST_LINT1_PIN, high ? 1 : 0);
  if (!lapicActive()) {
    if (high && !was) requestNmi();
    return;
  }
  lintChanged(LVT_LINT1, was, high);
}

function lintChanged(i: u32, was: bool, high: bool): void {
  const l = lvt(i);
  const mode = lvtMode(l);
  if (mode == DELIVERY_EXTINT) {
    updateIntr();
    return;
  }
  if (mode == DELIVERY_FIXED && (l & LVT_LEVEL) != 0) {
    // Level-triggered: requested while asserted, unless already in service.
    if (high) deliverLocal(i);
    else if ((l & LVT_REMOTE_IRR) == 0) {
      clearBit(ST_IRR, l & LVT_VECTOR);
      updateIntr();
    }
    return;
  }
  if (high && !was) deliverLocal(i);
}

/**
 * An interrupt message from the IOAPIC (82093AA redirection entry fields):
 * accepted when the destination names this APIC.
 */
export function lapicDeliverMessage(vector: u32, mode: u32, logical: bool, dest: u32, level: bool): void {
  if (!hwEnabled() || !destinationMatches(logical, dest)) return;
  switch (mode) {
    case DELIVERY_FIXED:
    case DELIVERY_LOWEST:
      acceptInterrupt(vector, level);
      break;
    case DELIVERY_NMI:
      requestNmi();
      break;
    case DELIVERY_EXTINT:
      if (!lapicActive()) return;
      store<u32>(ST_EXTINT, 1);
      updateIntr();
      break;
    default:
      break; // SMI, INIT, SIPI
  }
}

/** SDM §10.6.2: physical (APIC ID or broadcast FFh) or logical (flat/cluster model against the LDR). */
function destinationMatches(logical: bool, dest: u32): bool {
  dest &= 0xff;
  if (!logical) return dest == BROADCAST_DEST || dest == load<u32>(ST_ID) >>> ID_SHIFT;
  if (dest == BROADCAST_DEST) return true;
  const ldr = load<u32>(ST_LDR) >>> ID_SHIFT;
  if (load<u32>(ST_DFR) >>> 28 == DFR_MODEL_FLAT) return (dest & ldr) != 0;
  // Cluster model: cluster in bits 7:4 (or 0xF for all clusters), members in 3:0.
  const cluster = dest >>> 4;
  return (cluster == 0xf || cluster == ldr >>> 4) && (dest & ldr & 0xf) != 0;
}

// ---------- the CPU's side ----------

/**
 * INTA with the APIC in the path: an ExtINT source asks the 8259A; otherwise
 * the highest acceptable IRR vector moves to the ISR; with nothing
 * acceptable (the TPR rose since INTR), the spurious vector (§10.9).
 */
export function lapicAcknowledge(): u32 {
  if (!lapicActive()) return acknowledgeIrq();
  if (extintAsserted()) {
    store<u32>(ST_EXTINT, 0);
    const v = acknowledgeIrq();
    updateIntr();
    return v;
  }
  const v = acceptable();
  if (v < 0) return load<u32>(ST_SVR) & 0xff;
  const vector = <u32>v;
  clearBit(ST_IRR, vector);
  setBit(ST_ISR, vector);
  updateIntr();
  return vector;
}

/** EOI (SDM §10.8.5): retire the highest in-service vector; level-triggered ones are broadcast to the IOAPIC. */
function eoi(): void {
  const v = highest(ST_ISR);
  if (v < 0) return;
  const vector = <u32>v;
  clearBit(ST_ISR, vector);
  if (testBit(ST_TMR, vector)) {
    for (let i = LVT_LINT0; i <= LVT_LINT1; i++) {
      const l = lvt(i);
      if ((l & LVT_REMOTE_IRR) != 0 && (l & LVT_VECTOR) == vector) {
        setLvt(i, l & ~LVT_REMOTE_IRR);
        // Still asserted: requested again.
        if (load<u32>(i == LVT_LINT0 ? ST_LINT0_PIN : ST_LINT1_PIN) != 0) deliverLocal(i);
      }
    }
    ioapicEoi(vector);
  }
  updateIntr();
}

/** ICR low written: send the IPI (SDM §10.6.1). */
function sendIpi(): void {
  const low = load<u32>(ST_ICR_LOW);
  const vector = low & 0xff;
  const mode = (low >>> 8) & 7;
  const shorthand = (low >>> ICR_SHORTHAND_SHIFT) & 3;
  let toSelf: bool;
  if (shorthand == SHORTHAND_SELF || shorthand == SHORTHAND_ALL_INCLUDING_SELF) toSelf = true;
  else if (shorthand == SHORTHAND_NONE) {
    toSelf = destinationMatches((low & ICR_DEST_LOGICAL) != 0, load<u32>(ST_ICR_HIGH) >>> ID_SHIFT);
  } else toSelf = false; // all excluding self: nobody else exists
  if (mode == DELIVERY_FIXED || mode == DELIVERY_LOWEST) {
    if (vector < FIRST_LEGAL_VECTOR) {
      reportError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    if (toSelf) acceptInterrupt(vector, (low & ICR_LEVEL_TRIGGER) != 0);
  } else if (mode == DELIVERY_NMI) {
    if (toSelf) requestNmi();
  }
  // INIT, SIPI, SMI: for processors this machine does not have.
}

// ---------- timer ----------

/** log2 of the divider from the divide configuration register (SDM Figure 10-10). */
@inline function timerShift(): u32 {
  const d = load<u32>(ST_TIMER_DIVIDE);
  return (((d & 3) | ((d >>> 1) & 4)) + 1) & 7;
}

function timerCurrent(now: u64): u32 {
  const initial = load<u32>(ST_TIMER_INITIAL);
  if (initial == 0) return 0;
  const start = load<u64>(ST_TIMER_START);
  const ticks = now > start ? (now - start) >>> timerShift() : 0;
  if ((lvt(LVT_TIMER) & LVT_TIMER_PERIODIC) != 0) return initial - <u32>(ticks % <u64>initial);
  return ticks >= <u64>initial ? 0 : initial - <u32>ticks;
}

/** The expiry after `now` (ticks counted from the last load), or NO_DEADLINE. */
function timerNextAfter(now: u64): u64 {
  const initial = <u64>load<u32>(ST_TIMER_INITIAL);
  if (initial == 0) return NO_DEADLINE;
  const start = load<u64>(ST_TIMER_START);
  const shift = timerShift();
  const elapsed = now > start ? (now - start) >>> shift : 0;
  if ((lvt(LVT_TIMER) & LVT_TIMER_PERIODIC) != 0) return start + (((elapsed / initial) + 1) * initial << shift);
  const end = start + (initial << shift);
  return end > now ? end : NO_DEADLINE;
}

/** Restart the count (initial count written) and tell the run loop of the new deadline. */
function timerRestart(): void {
  const now = clockNow();
  store<u64>(ST_TIMER_START, now);
  const next = timerNextAfter(now);
  store<u64>(ST_TIMER_NEXT, next);
  timerArmed(next);
}

function timerArmed(next: u64): void {
  // The run loop sized its slice for the old deadline: end it so the new one is seen.
  if (next < nextDeadline()) requestStop(STOP_LIMIT);
}

/** Timer service (core-as/machine/timers.ts): raise a due interrupt; the next expiry. */
export function lapicAdvance(now: u64): u64 {
  let next = load<u64>(ST_TIMER_NEXT);
  if (next == NO_DEADLINE) return NO_DEADLINE;
  if (now >= next) {
    deliverLocal(LVT_TIMER);
    next = timerNextAfter(now);
    store<u64>(ST_TIMER_NEXT, next);
  }
  if (next != NO_DEADLINE && next < now + MIN_TIMER_SLICE_NS) return now + MIN_TIMER_SLICE_NS;
  return next;
}

// ---------- register access ----------

function lvtWritable(i: u32): u32 {
  if (i == LVT_TIMER) return LVT_WRITABLE_TIMER;
  if (i == LVT_ERROR) return LVT_WRITABLE_ERROR;
  if (i == LVT_LINT0 || i == LVT_LINT1) return LVT_WRITABLE_LINT;
  return LVT_WRITABLE_LOCAL;
}

/** Read register at page offset `off` (16-byte aligned). */
function readRegister(off: u32): u32 {
  if (off >= REG_ISR && off < REG_ESR) {
    // ISR, TMR, IRR: eight 32-bit words each.
    const bank = off < REG_TMR ? ST_ISR : off < REG_IRR ? ST_TMR : ST_IRR;
    return load<u32>(bank + (((off >>> 4) & 7) << 2));
  }
  if (off >= REG_LVT_FIRST && off <= REG_LVT_LAST) return lvt((off - REG_LVT_FIRST) >>> 4);
  switch (off) {
    case REG_ID: return load<u32>(ST_ID);
    case REG_VERSION: return APIC_VERSION;
    case REG_TPR: return load<u32>(ST_TPR);
    case REG_APR: return apr();
    case REG_PPR: return ppr();
    case REG_EOI: return 0;
    case REG_RRD: return 0;
    case REG_LDR: return load<u32>(ST_LDR);
    case REG_DFR: return load<u32>(ST_DFR);
    case REG_SVR: return load<u32>(ST_SVR);
    case REG_ESR: return load<u32>(ST_ESR);
    case REG_ICR_LOW: return load<u32>(ST_ICR_LOW);
    case REG_ICR_HIGH: return load<u32>(ST_ICR_HIGH);
    case REG_TIMER_INITIAL: return load<u32>(ST_TIMER_INITIAL);
    case REG_TIMER_CURRENT: return timerCurrent(clockNow());
    case REG_TIMER_DIVIDE: return load<u32>(ST_TIMER_DIVIDE);
    default:
      reportError(ESR_ILLEGAL_REGISTER);
      return 0;
  }
}

function writeRegister(off: u32, v: u32): void {
  if (off >= REG_LVT_FIRST && off <= REG_LVT_LAST) {
    writeLvt((off - REG_LVT_FIRST) >>> 4, v);
    return;
  }
  if (off >= REG_ISR && off < REG_ESR) return; // read-only
  switch (off) {
    case REG_ID:
      store<u32>(ST_ID, v & LDR_MASK);
      break;
    case REG_VERSION:
    case REG_APR:
    case REG_PPR:
    case REG_RRD:
    case REG_TIMER_CURRENT:
      break; // read-only
    case REG_TPR:
      store<u32>(ST_TPR, v & 0xff);
      updateIntr();
      break;
    case REG_EOI:
      eoi();
      break;
    case REG_LDR:
      store<u32>(ST_LDR, v & LDR_MASK);
      break;
    case REG_DFR:
      store<u32>(ST_DFR, (v & ~DFR_ONES) | DFR_ONES);
      break;
    case REG_SVR:
      writeSvr(v);
      break;
    case REG_ESR:
      // Latch the errors seen since the previous write (§10.5.3).
      store<u32>(ST_ESR, load<u32>(ST_ESR_PENDING));
      store<u32>(ST_ESR_PENDING, 0);
      break;
    case REG_ICR_LOW:
      store<u32>(ST_ICR_LOW, v & ICR_LOW_WRITABLE);
      sendIpi();
      break;
    case REG_ICR_HIGH:
      store<u32>(ST_ICR_HIGH, v & ICR_HIGH_MASK);
      break;
    case REG_TIMER_INITIAL:
      store<u32>(ST_TIMER_INITIAL, v);
      timerRestart();
      break;
    case REG_TIMER_DIVIDE: {
      // The count keeps its value; it continues at the new rate.
      const now = clockNow();
      const current = timerCurrent(now);
      store<u32>(ST_TIMER_DIVIDE, v & DIVIDE_WRITABLE);
      rebaseTimer(now, current);
      break;
    }
    default:
      reportError(ESR_ILLEGAL_REGISTER);
  }
}

/** Move the timer's start so that it reads `current` at `now` at the present rate. */
function rebaseTimer(now: u64, current: u32): void {
  const initial = load<u32>(ST_TIMER_INITIAL);
  if (initial == 0 || current == 0) return;
  const done = <u64>(initial - current) << timerShift();
  store<u64>(ST_TIMER_START, now > done ? now - done : 0);
  const next = timerNextAfter(now);
  store<u64>(ST_TIMER_NEXT, next);
  timerArmed(next);
}

function writeLvt(i: u32, v: u32): void {
  const old = lvt(i);
  let nv = (v & lvtWritable(i)) | (old & LVT_REMOTE_IRR);
  if (!swEnabled()) nv |= LVT_MASKED; // §10.4.7.2: masks cannot be cleared while software-disabled
  if (i == LVT_LINT0 || i == LVT_LINT1) {
    // Remote IRR belongs to level-triggered fixed entries only.
    if ((nv & LVT_LEVEL) == 0 || lvtMode(nv) != DELIVERY_FIXED) nv &= ~LVT_REMOTE_IRR;
  }
  setLvt(i, nv);
  if (i == LVT_TIMER) {
    if (((old ^ nv) & LVT_TIMER_PERIODIC) != 0) {
      // A mode switch keeps the current count going (one-shot ↔ periodic).
      const now = clockNow();
      const next = timerNextAfter(now);
      store<u64>(ST_TIMER_NEXT, next);
      timerArmed(next);
    }
    return;
  }
  if (i == LVT_LINT0 || i == LVT_LINT1) {
    // An unmasked level source already asserted is seen now.
    const pin = load<u32>(i == LVT_LINT0 ? ST_LINT0_PIN : ST_LINT1_PIN) != 0;
    if (pin && (nv & LVT_MASKED) == 0 && (old & LVT_MASKED) != 0 && (nv & LVT_LEVEL) != 0) deliverLocal(i);
    updateIntr();
  }
}

function writeSvr(v: u32): void {
  const was = swEnabled();
  store<u32>(ST_SVR, v & SVR_WRITABLE);
  if (!swEnabled()) for (let i: u32 = 0; i < LVT_COUNT; i++) setLvt(i, lvt(i) | LVT_MASKED);
  if (was != swEnabled()) updateIntr();
}

// ---------- MMIO ----------

export function lapicRead(phys: u32, size: u32): u32 {
  const off = phys & (APIC_PAGE_SIZE - 1);
  if (size != 4 || (off & 0xf) != 0) return 0;
  return readRegister(off);
}

export function lapicWrite(phys: u32, v: u32, size: u32): void {
  const off = phys & (APIC_PAGE_SIZE - 1);
  if (size != 4 || (off & 0xf) != 0) return;
  writeRegister(off, v);
}

/** Decode the register page where IA32_APIC_BASE says, or nowhere when disabled. */
function remap(): void {
  const old = load<u32>(ST_MAPPED_BASE);
  const base = apicBase();
  const want = (base & APIC_BASE_ENABLE) != 0 ? base & APIC_BASE_ADDR_MASK : NOT_MAPPED;
  if (want == old) return;
  if (old != NOT_MAPPED) registerMmio(old, APIC_PAGE_SIZE, load<u32>(ST_MAPPED_PREV));
  if (want != NOT_MAPPED) {
    const prev = mmioOwner(want);
    store<u32>(ST_MAPPED_PREV, prev == DEV_LAPIC ? DEV_NONE : prev);
    registerMmio(want, APIC_PAGE_SIZE, DEV_LAPIC);
  }
  store<u32>(ST_MAPPED_BASE, want);
}

/** RDMSR 1Bh. */
export function lapicGetBase(): u32 {
  return apicBase();
}

/**
 * WRMSR 1Bh (value already checked for reserved bits). Clearing the enable
 * bit resets the APIC to its power-up state, SVR disabled (§10.4.3); the
 * PIC's output goes straight to the CPU again.
 */
export function lapicSetBase(v: u32): void {
  const wasEnabled = hwEnabled();
  store<u32>(CPU_STATE + OFF_APIC_BASE, v & APIC_BASE_WRITABLE);
  if (wasEnabled && !hwEnabled()) resetRegisters();
  remap();
  updateIntr();
}

function resetRegisters(): void {
  store<u32>(ST_ID, 0); // the BSP's APIC ID
  store<u32>(ST_TPR, 0);
  store<u32>(ST_LDR, 0);
  store<u32>(ST_DFR, 0xffffffff);
  store<u32>(ST_SVR, SVR_RESET);
  store<u32>(ST_ESR, 0);
  store<u32>(ST_ESR_PENDING, 0);
  store<u32>(ST_ICR_LOW, 0);
  store<u32>(ST_ICR_HIGH, 0);
  store<u32>(ST_TIMER_INITIAL, 0);
  store<u32>(ST_TIMER_DIVIDE, 0);
  store<u32>(ST_EXTINT, 0);
  store<u64>(ST_TIMER_START, 0);
  store<u64>(ST_TIMER_NEXT, NO_DEADLINE);
  for (let i: u32 = 0; i < LVT_COUNT; i++) setLvt(i, LVT_RESET);
  for (let w: u32 = 0; w < 8; w++) {
    store<u32>(ST_IRR + (w << 2), 0);
    store<u32>(ST_ISR + (w << 2), 0);
    store<u32>(ST_TMR + (w << 2), 0);
  }
}

export function lapicInit(): void {
  store<u32>(ST_MAPPED_BASE, NOT_MAPPED);
  store<u32>(ST_MAPPED_PREV, DEV_NONE);
  store<u32>(ST_LINT0_PIN, 0);
  store<u32>(ST_LINT1_PIN, 0);
}

/**
 * RESET# of the CPU (and of the machine): IA32_APIC_BASE = FEE00900h (BSP,
 * enabled), registers at power-up values (SDM §10.4.7.1). The LINT pins
 * keep the levels their sources drive.
 */
export function lapicReset(): void {
  resetRegisters();
  store<u32>(CPU_STATE + OFF_APIC_BASE, APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE);
  remap();
  updateIntr();
}
