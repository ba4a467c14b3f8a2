// core.wasm: the exports the host (web worker, Node runner, helper) uses.
// The host reads and writes CPU state directly in shared memory at the
// offsets of host/generated/cpu-layout.ts; these functions cover the rest.

import { CPU_STATE, CPU_STATE_SIZE, RAM_BASE, TLB } from './machine/layout';
import { setRamSize, getRamSize } from './machine/physmem';
import {
  loadSegmentCache, setSegmentRights, SEG_RIGHT_READ, SEG_RIGHT_WRITE, setReg32, setEip, setCpl, SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
  OFF_CR0, OFF_IDTR_LIMIT, OFF_GDTR_LIMIT, OFF_DR, OFF_A20_MASK, REG_EDX, CR0_PE, CR0_ET, CR0_NW, CR0_CD,
  ATTR_P, ATTR_S, ATTR_RW, ATTR_CODE, ATTR_ACCESSED, ATTR_DB, ATTR_G, ATTR_DPL_SHIFT,
} from './cpu/state';
import { getEflags as coreGetEflags, setEflagsRaw } from './cpu/flags';
import { tlbFlushAll } from './cpu/paging';
import { invalidateFetch } from './cpu/memory';
import { run as interpRun } from './cpu/interp';
import {
  setStopOnException as ctlSetStopOnException, stoppedVector, stoppedErrorCode, exitCode,
} from './cpu/control';
import { unimplementedCount, lastUnimplementedOpcode } from './cpu/unimplemented';
import { CPU_SIGNATURE } from './cpu/identity';
import { fpuReset } from './cpu/x87/fpu-state';
import { updateDebugChecks } from './cpu/debug';
import { eip as coreEip } from './cpu/state';
import { setNextEip, nextEip } from './cpu/decode';
import { deliverInterrupt } from './cpu/interrupts';
import { faulted, faultVector, faultErrorCode, clearFault } from './cpu/fault';

export { portRead, portWrite } from './machine/ports';
export { setDebugconPort } from './devices/debugcon';
import { initRings } from './machine/rings';
import { resetUarts, serviceUarts } from './devices/uart16550';
import { initDebugcon } from './devices/debugcon';
import { irqLevel } from './machine/irq';

/** Segment descriptor attributes for the power-on and flat setups. */
const ATTR_DATA_RW: u32 = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED;
const ATTR_CODE_RX: u32 = ATTR_P | ATTR_S | ATTR_CODE | ATTR_RW | ATTR_ACCESSED;

/** Prepare a machine with `ramBytes` of guest RAM and power it on. */
export function init(ramBytes: u32): void {
  setRamSize(ramBytes);
  initRings();
  initDebugcon();
  resetDevices();
  reset();
}

/** Reset every device to its power-on register state (the host rings keep flowing). */
export function resetDevices(): void {
  resetUarts();
}

/** Level of ISA IRQ line `line` as the devices drive it (tests; the PIC samples it later). */
export function getIrqLevel(line: u32): bool {
  return irqLevel(line);
}

/**
 * Let devices exchange bytes with the host rings: call between run() slices
 * after the host drained TX rings or filled RX rings.
 */
export function serviceDevices(): void {
  serviceUarts();
}

/** Power-on reset of the CPU (SDM Vol. 3A §9.1.1, Table 9-1). Guest RAM is kept. */
export function reset(): void {
  memory.fill(CPU_STATE, 0, CPU_STATE_SIZE);
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

export function run(maxInstructions: u32): u32 {
  return interpRun(maxInstructions);
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
