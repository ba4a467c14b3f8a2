// core.wasm: the exports the host (web worker, Node runner, helper) uses.
// The host reads and writes CPU state directly in shared memory at the
// offsets of host/generated/cpu-layout.ts; these functions cover the rest.

import { CPU_STATE, CPU_STATE_SIZE, RAM_BASE, TLB, ROM_AREA } from './machine/layout';
import { setRamSize, getRamSize, vramBase, physRead8, physRead16, physRead32, physWrite8, physWrite16, physWrite32 } from './machine/physmem';
import {
  loadSegmentCache, setSegmentRights, SEG_RIGHT_READ, SEG_RIGHT_WRITE, setReg32, setEip, setCpl, SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
  OFF_CR0, OFF_INTR_LINE, OFF_IDTR_LIMIT, OFF_GDTR_LIMIT, OFF_DR, OFF_A20_MASK, REG_EDX, FLAG_IF, CR0_PE, CR0_ET, CR0_NW, CR0_CD,
  ATTR_P, ATTR_S, ATTR_RW, ATTR_CODE, ATTR_ACCESSED, ATTR_DB, ATTR_G, ATTR_DPL_SHIFT,
} from './cpu/state';
import { getEflags as coreGetEflags, setEflagsRaw } from './cpu/flags';
import { tlbFlushAll } from './cpu/paging';
import { invalidateFetch } from './cpu/memory';
import { run as interpRun, instructionsRetired } from './cpu/interp';
import {
  setStopOnException as ctlSetStopOnException, stoppedVector, stoppedErrorCode, exitCode, STOP_LIMIT, STOP_IDLE,
} from './cpu/control';
import { stopReason as helperStopReason, clearStop as helperClearStop } from './cpu/control';
import { takeIrqRises } from './machine/irq';
import { unimplementedCount, lastUnimplementedOpcode } from './cpu/unimplemented';
import { CPU_SIGNATURE } from './cpu/identity';
import { fpuReset } from './cpu/x87/fpu-state';
import { updateDebugChecks } from './cpu/debug';
import { eip as coreEip } from './cpu/state';
import { setNextEip, nextEip } from './cpu/decode';
import { deliverInterrupt } from './cpu/interrupts';
import { faulted, faultVector, faultErrorCode, clearFault } from './cpu/fault';

export { portRead, portWrite } from './machine/ports';
export { mmioRead, mmioWrite } from './machine/mmio';
export { setDebugconPort } from './devices/debugcon';
import { initRings } from './machine/rings';
import { serviceUarts } from './devices/uart16550';
import { ideService } from './devices/ide';
import { fdcService } from './devices/fdc82077';
import { serviceInput } from './devices/i8042';
import { kbdLeds } from './devices/ps2-keyboard';
export { fwCfgAlloc, fwCfgAddItem, fwCfgAddFile, fwCfgHostArea } from './devices/fw-cfg';
import { initDebugcon } from './devices/debugcon';
/** The irq.ts source bit tests drive lines with. */
const IRQ_SOURCE_TEST: u32 = 30;
import { irqLevel, setIrqSource, acknowledgeIrq, IRQ_SOURCE_HOST } from './machine/irq';
import { buildMachine, resetMachine } from './machine/machine';
import { mapSystemBios as firmwareMapBios } from './machine/firmware';
import {
  clockInit, clockNow, clockMode, clockSkipTo, clockPause as clockPauseImpl, CLOCK_DETERMINISTIC, NS_PER_INSTRUCTION,
  NO_DEADLINE,
} from './machine/clock';
import { serviceTimers } from './machine/timers';
import { pciAddFunction, pciSetIrq } from './machine/pci';
import { DEV_NONE } from './machine/device-ids';
import { nmiDeliverable, acknowledgeInterrupt } from './cpu/external';
import { lapicReset } from './devices/lapic';
import {
  rtcSetTime as rtcSetTimeImpl, cmosSetBootOrder as cmosSetBootOrderImpl, cmosSetFloppyType as cmosSetFloppyTypeImpl,
  cmosSetDiskPresent as cmosSetDiskPresentImpl, cmosRead as cmosReadImpl,
} from './devices/rtc146818';
import { vbeSetRom } from './devices/vbe';
import { vgaUpdateDisplay } from './devices/vga';
import { VGA_DISPLAY } from './devices/vga-display';
import { OPTION_ROM_AREA } from './machine/firmware';

/** Segment descriptor attributes for the power-on and flat setups. */
const ATTR_DATA_RW: u32 = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED;
const ATTR_CODE_RX: u32 = ATTR_P | ATTR_S | ATTR_CODE | ATTR_RW | ATTR_ACCESSED;

/** Prepare a machine with `ramBytes` of guest RAM and power it on. */
export function init(ramBytes: u32): void {
  setRamSize(ramBytes);
  initRings();
  initDebugcon();
  buildMachine();
  resetDevices();
  reset();
  clockInit(CLOCK_DETERMINISTIC);
}

/** Reset every device to its power-on register state (the host rings keep flowing). */
export function resetDevices(): void {
  resetMachine();
}

/**
 * Choose the clock (machine/clock.ts CLOCK_DETERMINISTIC or CLOCK_REALTIME)
 * and restart it at 0; call before the guest runs.
 */
export function setClockMode(mode: u32): void {
  clockInit(mode);
}
/** Realtime clock: stop it while the host pauses the machine (1), restart it (0). */
export function clockPause(paused: bool): void {
  clockPauseImpl(paused);
}
/** Virtual time in nanoseconds since power-on. */
export function getClockNs(): u64 {
  return clockNow();
}
/**
 * Nanoseconds of virtual time until the next timer deadline (0xffffffff if none
 * or farther than 4 s): how long a host may sleep while the guest idles.
 */
export function getIdleNs(): u32 {
  const d = serviceTimers();
  if (d == NO_DEADLINE) return 0xffffffff;
  const now = clockNow();
  const dt = d > now ? d - now : 0;
  return dt > 0xffffffff ? 0xffffffff : <u32>dt;
}

/**
 * The host copied a system BIOS image of `size` bytes to getRomArea(): map
 * it (machine/firmware.ts). Returns false for a size the machine cannot map.
 */
export function mapSystemBios(size: u32): bool {
  return firmwareMapBios(size);
}
export function getRomArea(): u32 {
  return ROM_AREA;
}
export function getVramBase(): u32 {
  return vramBase();
}

/** Where the host copies option ROMs (the VGA BIOS) before setVgaBios. */
export function getOptionRomArea(): u32 {
  return OPTION_ROM_AREA;
}
/**
 * The host copied a VGA BIOS image (vgabios-stdvga.bin) of `size` bytes to
 * getOptionRomArea(): expose it through the std VGA's PCI expansion ROM BAR
 * (devices/vbe.ts). Returns false for a size that does not fit.
 */
export function setVgaBios(size: u32): bool {
  return vbeSetRom(size);
}
/**
 * A guest-physical access as the CPU's bus sees it (RAM, or the device that
 * decodes the page), `size` 1, 2 or 4 bytes: for host tools and tests.
 */
export function busRead(phys: u32, size: u32): u32 {
  return size == 1 ? physRead8(phys) : size == 2 ? physRead16(phys) : physRead32(phys);
}
export function busWrite(phys: u32, v: u32, size: u32): void {
  if (size == 1) physWrite8(phys, v);
  else if (size == 2) physWrite16(phys, v);
  else physWrite32(phys, v);
}
/** Address of the display descriptor (devices/vga-display.ts) in the shared memory. */
export function getVgaDisplay(): u32 {
  vgaUpdateDisplay();
  return VGA_DISPLAY;
}

/** Level of ISA IRQ line `line` as the devices drive it (tests; the PIC samples it later). */
export function getIrqLevel(line: u32): bool {
  return irqLevel(line);
}

/** A CPU interrupt acknowledge cycle now (tests): the vector the local APIC (or the 8259A through it) answers. */
export function cpuInterruptAcknowledge(): u32 {
  return acknowledgeInterrupt();
}
/** Drive ISA IRQ `line` from a test source of its own (bit 30; the devices' drive is kept). */
export function testDriveIrqLine(line: u32, high: bool): void {
  setIrqSource(line, IRQ_SOURCE_TEST, high);
}
/** The CPU's INTR input as the interrupt controllers drive it (tests). */
export function getIntrLine(): bool {
  return load<u32>(CPU_STATE + OFF_INTR_LINE) != 0;
}
/** Drive ISA IRQ `line` from the host (its own source: the devices' drive is kept). */
export function setHostIrq(line: u32, high: bool): void {
  setIrqSource(line, IRQ_SOURCE_HOST, high);
}
/** An interrupt acknowledge cycle now (tests): the vector the interrupt controller answers. */
export function interruptAcknowledge(): u32 {
  return acknowledgeIrq();
}
/** Deterministic clock: let `ns` of virtual time pass without instructions; timers catch up (tests). */
export function advanceClock(ns: u64): void {
  clockSkipTo(clockNow() + ns);
  serviceTimers();
}

/** The RTC reads `seconds` since 1970-01-01 00:00:00 UTC now (realtime mode: the host's date). */
export function rtcSetTime(seconds: f64): void {
  rtcSetTimeImpl(seconds > 0 ? <u64>seconds : 0);
}
/** CMOS boot order (QEMU's encoding: 1 floppy, 2 hard disk, 3 CD-ROM, 0 none). */
export function cmosSetBootOrder(first: u32, second: u32, third: u32): void {
  cmosSetBootOrderImpl(first, second, third);
}
/** CMOS floppy drive type (0 none, 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M) of drive 0 or 1. */
export function cmosSetFloppyType(drive: u32, type: u32): void {
  cmosSetFloppyTypeImpl(drive, type);
}
/** CMOS hard disk entry for IDE drive 0-3: BIOS geometry and translation (0 none, 1 LBA, 2 large, 3 r-echs). */
export function cmosSetDiskPresent(drive: u32, cylinders: u32, heads: u32, sectors: u32, translation: u32): void {
  cmosSetDiskPresentImpl(drive, cylinders, heads, sectors, translation);
}
export function cmosRead(index: u32): u32 {
  return cmosReadImpl(index);
}

/**
 * Let devices exchange bytes with the host rings: call between run() slices
 * after the host drained TX rings or filled RX rings.
 */
export function serviceDevices(): void {
  serviceUarts();
  ideService();
  fdcService();
  serviceInput();
}

/** The keyboard's LEDs as the guest last set them (bit 0 Scroll, 1 Num, 2 Caps Lock). */
export function getKeyboardLeds(): u32 {
  return kbdLeds();
}

/** Power-on reset of the CPU (SDM Vol. 3A §9.1.1, Table 9-1). Guest RAM is kept. */
export function reset(): void {
  memory.fill(CPU_STATE, 0, CPU_STATE_SIZE);
  lapicReset(); // the local APIC is part of the CPU: IA32_APIC_BASE and its registers
  tlbFlushAll(false);
  invalidateFetch();
  setEflagsRaw(0);
  setEip(0xfff0);
  loadSegmentCache(SEG_CS, 0xf000, 0xffff0000, 0xffff, ATTR_CODE_RX);
  for (let s: u32 = 0; s < 6; s++) {
    if (s != SEG_CS) loadSegmentCache(s, 0, 0, 0xffff, ATTR_DATA_RW);
    setSegmentRights(s, SEG_RIGHT_READ | SEG_RIGHT_WRITE);
  }
  loadSegmentCache(SEG_LDTR, 0, 0, 0xffff, ATTR_P | 0x02);
  loadSegmentCache(SEG_TR, 0, 0, 0xffff, ATTR_P | 0x0b);
  store<u32>(CPU_STATE + OFF_GDTR_LIMIT, 0xffff);
  store<u32>(CPU_STATE + OFF_IDTR_LIMIT, 0xffff);
  store<u32>(CPU_STATE + OFF_CR0, CR0_ET | CR0_NW | CR0_CD);
  store<u32>(CPU_STATE + OFF_DR + 6 * 8, 0xffff0ff0);
  store<u32>(CPU_STATE + OFF_DR + 7 * 8, 0x00000400);
  store<u32>(CPU_STATE + OFF_A20_MASK, 0xffffffff);
  setReg32(REG_EDX, CPU_SIGNATURE);
  fpuReset();
  setCpl(0);
}

/**
 * Put the CPU straight into 32-bit protected mode with flat 4 GiB segments
 * and paging off, at privilege `cpl` (0 or 3). For Multiboot kernels (the
 * spec's machine state, §3.2) and for instruction tests.
 */
export function setupFlat32(cpl: u32): void {
  const dpl = (cpl & 3) << ATTR_DPL_SHIFT;
  store<u32>(CPU_STATE + OFF_CR0, load<u32>(CPU_STATE + OFF_CR0) | CR0_PE | CR0_ET);
  const codeSel: u32 = cpl == 3 ? 0x1b : 0x08;
  const dataSel: u32 = cpl == 3 ? 0x23 : 0x10;
  loadSegmentCache(SEG_CS, codeSel, 0, 0xffffffff, ATTR_CODE_RX | ATTR_DB | ATTR_G | dpl);
  loadSegmentCache(SEG_SS, dataSel, 0, 0xffffffff, ATTR_DATA_RW | ATTR_DB | ATTR_G | dpl);
  loadSegmentCache(SEG_DS, dataSel, 0, 0xffffffff, ATTR_DATA_RW | ATTR_DB | ATTR_G | dpl);
  loadSegmentCache(SEG_ES, dataSel, 0, 0xffffffff, ATTR_DATA_RW | ATTR_DB | ATTR_G | dpl);
  loadSegmentCache(SEG_FS, dataSel, 0, 0xffffffff, ATTR_DATA_RW | ATTR_DB | ATTR_G | dpl);
  loadSegmentCache(SEG_GS, dataSel, 0, 0xffffffff, ATTR_DATA_RW | ATTR_DB | ATTR_G | dpl);
  setCpl(cpl & 3);
  tlbFlushAll(false);
  invalidateFetch();
}

/** Most instructions between two timer services in realtime mode (bounds interrupt latency). */
const REALTIME_QUANTUM_MAX: u32 = 1 << 18;
const REALTIME_QUANTUM_MIN: u32 = 256;
/** Realtime mode: measured guest instructions per host nanosecond (starts at 50 MIPS). */
let instructionsPerNs: f64 = 0.05;

/** How many instructions to run before the next timer deadline `deadline`. */
function sliceUntil(deadline: u64, left: u32): u32 {
  if (deadline == NO_DEADLINE) return left;
  const now = clockNow();
  const dt = deadline > now ? deadline - now : 0;
  let n: u64;
  if (clockMode() == CLOCK_DETERMINISTIC) n = dt / NS_PER_INSTRUCTION + 1;
  else {
    n = <u64>(<f64>dt * instructionsPerNs) + 1;
    if (n > REALTIME_QUANTUM_MAX) n = REALTIME_QUANTUM_MAX;
    if (n < REALTIME_QUANTUM_MIN) n = REALTIME_QUANTUM_MIN;
  }
  return n < <u64>left ? <u32>n : left;
}

/**
 * Run up to `maxInstructions` instructions, servicing the timers between
 * slices that end at their deadlines. Returns a STOP_* reason (STOP_LIMIT
 * when the budget ran out or a device asked the host to service its rings;
 * STOP_IDLE when the CPU halts waiting for an interrupt that only the host's
 * time or input can bring: in deterministic mode time jumps to the next
 * timer deadline instead, and each jump counts against the budget).
 */
export function run(maxInstructions: u32): u32 {
  let left = maxInstructions;
  let wokeOnce = false;
  while (left > 0) {
    const deadline = serviceTimers();
    const budget = sliceUntil(deadline, left);
    const before = instructionsRetired();
    const t0 = clockNow();
    const reason = interpRun(budget);
    const ran = <u32>(instructionsRetired() - before);
    left -= ran < left ? ran : left;
    if (clockMode() != CLOCK_DETERMINISTIC && ran > 0) {
      const dt = clockNow() - t0;
      if (dt > 0) instructionsPerNs = instructionsPerNs * 0.75 + (<f64>ran / <f64>dt) * 0.25;
    }
    if (reason == STOP_LIMIT) {
      // A device ended the slice early (a yield): let the host service it.
      if (ran < budget) break;
      continue;
    }
    if (reason == STOP_IDLE) {
      const next = serviceTimers();
      // A timer raised an interrupt the CPU can take now: wake it (once per
      // idle stop, so a line the CPU cannot take cannot spin this loop).
      if (ran > 0 || !wokeOnce) {
        if ((load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 && (coreGetEflags() & FLAG_IF) != 0) || nmiDeliverable()) {
          wokeOnce = true;
          continue;
        }
      }
      wokeOnce = false;
      if (clockMode() != CLOCK_DETERMINISTIC || next == NO_DEADLINE) return STOP_IDLE;
      const now = clockNow();
      const idle = next > now ? (next - now) / NS_PER_INSTRUCTION : 0;
      clockSkipTo(next);
      left -= idle < <u64>left ? <u32>idle : left;
      continue;
    }
    return reason;
  }
  serviceTimers();
  return STOP_LIMIT;
}

export function getEflags(): u32 {
  return coreGetEflags();
}
export function setEflags(v: u32): void {
  setEflagsRaw(v);
}
export function setStopOnException(on: bool): void {
  ctlSetStopOnException(on);
}
export function getStoppedVector(): u32 {
  return stoppedVector;
}
export function getStoppedErrorCode(): u32 {
  return stoppedErrorCode;
}
export function getExitCode(): u32 {
  return exitCode;
}
export function getUnimplementedCount(): u32 {
  return unimplementedCount;
}
export function getLastUnimplementedOpcode(): u32 {
  return lastUnimplementedOpcode;
}
/** After the host changes paging state or segment caches directly. */
export function flushTlb(): void {
  tlbFlushAll(false);
  invalidateFetch();
}
export function getRamBase(): u32 {
  return RAM_BASE;
}
export function getCpuStateBase(): u32 {
  return CPU_STATE;
}
export function getTlbBase(): u32 {
  return TLB;
}
export function getRamBytes(): u32 {
  return getRamSize();
}
/**
 * After the host sets EFLAGS.TF or DR7 directly: recompute whether the
 * interpreter runs its debug checks (cpu/debug.ts updateDebugChecks).
 */
export function refreshDebugChecks(): void {
  updateDebugChecks();
}

/** Fill a segment register's descriptor cache directly (tests: TR, LDTR, custom segments). */
export function setSegmentCache(seg: u32, selector: u32, base: u32, limit: u32, attr: u32): void {
  loadSegmentCache(seg & 7, selector, base, limit, attr);
  invalidateFetch();
}

/**
 * Deliver an interrupt or exception now, as the loop or an INT instruction
 * would (kind: cpu/interrupts.ts INT_*), with the current EIP as return
 * address (tests). Returns
 * 0xffffffff on success, else the fault raised during delivery as
 * (vector << 16) | (error code & 0xffff), with no state committed.
 */
export function deliverEvent(vector: u32, kind: u32, errorCode: u32, hasErrorCode: bool): u32 {
  setNextEip(coreEip());
  deliverInterrupt(vector, kind, errorCode, hasErrorCode, coreEip());
  if (faulted) {
    const r = (faultVector << 16) | (faultErrorCode & 0xffff);
    clearFault();
    return r;
  }
  setEip(nextEip);
  return 0xffffffff;
}

/**
 * Tests: put a bare function with interrupt pin `pin` (1-4 = INTA-D) at
 * `devfn` on PCI bus 0, so PIRQ routing can be observed before devices with
 * interrupt pins exist. Returns its slot (0xff when the bus is full).
 */
export function addTestPciFunction(devfn: u32, pin: u32): u32 {
  return pciAddFunction(devfn, DEV_NONE, 0x1234, 0x0001, 0xff0000, 0, pin);
}
/** Tests: drive the INTx pin of PCI slot `slot`. */
export function setPciIrq(slot: u32, high: bool): void {
  pciSetIrq(slot, high);
}

// Helper engines (helper/kvm): the CPU runs elsewhere, the device models here.
/** The stop a device requested since the last call (STOP_NONE when none: isa-debug-exit, reset, power-off), cleared. */
export function takeStopRequest(): u32 {
  const r = helperStopReason;
  helperClearStop();
  return r;
}
/** Run the timer devices up to now; returns ns until the next deadline (0xffffffff: none within 4 s). */
export function serviceTimerDevices(): u32 {
  return getIdleNs();
}
/** ISA lines that rose since the last call (bit n = IRQ n), cleared; see machine/irq.ts takeIrqRises. */
export function takeIrqEdges(): u32 {
  return takeIrqRises();
}

// ---------- the JIT (core-as/jit; host/jit-host.ts compiles the modules) ----------
export { jitRead, jitWrite, jitCondition, jitCarry, jitSetCfOf } from './jit/runtime';
export { interpretOne } from './cpu/interp';
export { jitFlushAll } from './jit/cache';
export { profileSetInterval, profileBuffer } from './cpu/profile';
import { jitConfigure, jitInvalidateRange } from './jit/cache';
import { setClusterBytes } from './jit/translate';
/**
 * Choose the engine: the JIT on (compile a block after `threshold` entries;
 * 1 compiles at once) or off (interpreter only). `firstTableIndex`: the
 * first index of the exported table the host keeps for compiled blocks.
 */
export function setJit(on: bool, threshold: u32, firstTableIndex: u32): void {
  jitConfigure(on, threshold, firstTableIndex);
}
/** Bytes of Wasm body per function of a compiled region (0: the default; see jit/translate.ts clusters). */
export function setJitClusterBytes(bytes: u32): void {
  setClusterBytes(bytes);
}
/** The host wrote guest RAM directly (loaders, tests): drop compiled code there. */
export function noteHostWrite(phys: u32, len: u32): void {
  jitInvalidateRange(phys, len);
}
