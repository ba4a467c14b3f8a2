// Intel 82077AA floppy disk controller (PC/AT mode), with up to two 3.5" drives.
//
// Reference: Intel 82077AA CHMOS Single-Chip Floppy Disk Controller datasheet
// (290166), §2 "Register description" (DOR, MSR, DSR, FIFO, DIR, CCR), §5
// "Command set" (Table 5-1 command bytes, Table 5-2 status registers ST0-ST3,
// Table 5-4 the C/H/R/N a read or write ends with).
//
//   0x3F0 SRA, 0x3F1 SRB (PS/2 status; fixed values as QEMU), 0x3F2 DOR,
//   0x3F3 TDR, 0x3F4 MSR (read) / DSR (write), 0x3F5 FIFO, 0x3F7 DIR (read) /
//   CCR (write). 0x3F6 belongs to the primary IDE channel. IRQ 6, ISA DMA
//   channel 2 (dma8237.ts); the IRQ and DMA request pins are gated by DOR bit 3.
//
// A command is its bytes written to the FIFO (command phase), an execution
// phase (data moves by DMA through FDC_BUFFER and the host's block request
// slot for the drive: core-as/machine/rings.ts), and result bytes read back.
// Seeks and recalibration complete at once and interrupt; SENSE INTERRUPT
// STATUS then reports them (and the four drive-polling interrupts after a
// reset). Geometry comes from the image size: 1.44 MB (80×2×18), 720 KB
// (80×2×9), 1.2 MB (80×2×15), 2.88 MB (80×2×36), 360 KB (40×2×9). The disk
// change line (DIR bit 7) is active after power-on and after the host changes
// the medium, until a seek with a disk in the drive.
//
// Not modelled: non-DMA (programmed I/O) execution, FORMAT TRACK, READ TRACK,
// the SCAN and deleted-data commands (they end as invalid commands), data
// rate mismatches, implied-seek settings.

import { FDC_STATE, FDC_BUFFER } from '../machine/layout';
import { DEV_FDC } from '../machine/device-ids';
import { registerPorts } from '../machine/ports';
import { raiseIrq, lowerIrq } from '../machine/irq';
import {
  blockSubmit, blockDone, blockTakeResult, blockCancel, blockKind, blockMediaSectors, blockReadOnly, blockMediaGeneration,
} from '../machine/block-requests';
import { BLOCK_DRIVE_FLOPPY0, BLOCK_KIND_FLOPPY, BLOCK_OP_READ, BLOCK_OP_WRITE, BLOCK_OK, BLOCK_SECTOR_SIZE } from '../machine/rings';
import { dmaTransfer, dmaChannelReady, dmaBytesLeft } from './dma8237';

export const PORT_FDC: u32 = 0x3f0;
const IRQ_FDC: u32 = 6;
const DMA_CHANNEL: u32 = 2;
const UNITS: u32 = 2;

// Port offsets.
const REG_SRA: u32 = 0;
const REG_SRB: u32 = 1;
const REG_DOR: u32 = 2;
const REG_TDR: u32 = 3;
const REG_MSR_DSR: u32 = 4;
const REG_FIFO: u32 = 5;
const REG_DIR_CCR: u32 = 7;
const SRA_AT: u32 = 0x00;
const SRB_AT: u32 = 0xc0;

const DOR_SELECT: u32 = 0x03;
const DOR_NRESET: u32 = 0x04;
const DOR_DMA_GATE: u32 = 0x08;
const DOR_POWER_ON: u32 = DOR_NRESET | DOR_DMA_GATE;
const DSR_SW_RESET: u32 = 0x80;
const DSR_RATE_MASK: u32 = 0x03;
const MSR_RQM: u32 = 0x80;
const MSR_DIO: u32 = 0x40;
const MSR_CB: u32 = 0x10;
const DIR_DISK_CHANGE: u32 = 0x80;

// Status register bits (Table 5-2).
const ST0_ABNORMAL: u32 = 0x40;
const ST0_INVALID: u32 = 0x80;
const ST0_SEEK_END: u32 = 0x20;
const ST0_EQUIPMENT_CHECK: u32 = 0x10;
const ST0_NOT_READY: u32 = 0x08;
const ST0_POLLING: u32 = 0xc0;
const ST1_END_OF_CYLINDER: u32 = 0x80;
const ST1_NO_DATA: u32 = 0x04;
const ST1_NOT_WRITABLE: u32 = 0x02;
const ST1_MISSING_ADDRESS_MARK: u32 = 0x01;
const ST3_WRITE_PROTECTED: u32 = 0x40;
const ST3_READY: u32 = 0x20;
const ST3_TRACK0: u32 = 0x10;
const ST3_TWO_SIDED: u32 = 0x08;

// Commands (low five bits; MT/MFM/SK are the top three bits of the first byte).
const CMD_MASK: u32 = 0x1f;
const CMD_SPECIFY: u32 = 0x03;
const CMD_SENSE_DRIVE_STATUS: u32 = 0x04;
const CMD_WRITE_DATA: u32 = 0x05;
const CMD_READ_DATA: u32 = 0x06;
const CMD_RECALIBRATE: u32 = 0x07;
const CMD_SENSE_INTERRUPT: u32 = 0x08;
const CMD_READ_ID: u32 = 0x0a;
const CMD_DUMPREG: u32 = 0x0e;
const CMD_SEEK: u32 = 0x0f;
const CMD_VERSION: u32 = 0x10;
const CMD_PERPENDICULAR: u32 = 0x12;
const CMD_CONFIGURE: u32 = 0x13;
const CMD_LOCK: u32 = 0x14;
const CMD_MT: u32 = 0x80;
const VERSION_82077: u32 = 0x90;
const SECTOR_SIZE_CODE_512: u32 = 2;
const RESET_POLLING_INTERRUPTS: u32 = 4;
/** CONFIGURE after reset: implied seeks off, FIFO disabled, drive polling on, threshold 0 (§5.2.7). */
const CONFIG_DEFAULT: u32 = 0x20;

const PHASE_COMMAND: u32 = 0;
const PHASE_EXECUTION: u32 = 1;
const PHASE_RESULT: u32 = 2;

// State (FDC_STATE), u32 fields.
const F_DOR: u32 = 0x00;
const F_TDR: u32 = 0x04;
const F_DSR: u32 = 0x08;
const F_PHASE: u32 = 0x0c;
const F_CMD_LEN: u32 = 0x10;
const F_CMD_POS: u32 = 0x14;
const F_RES_LEN: u32 = 0x18;
const F_RES_POS: u32 = 0x1c;
const F_IRQ: u32 = 0x20;
const F_INT_ST0: u32 = 0x24; // ST0 of the pending seek/recalibrate interrupt (0xff: none)
const F_RESET_SENSEI: u32 = 0x28; // drive-polling interrupts left to report after reset
const F_SPECIFY1: u32 = 0x2c;
const F_SPECIFY2: u32 = 0x30;
const F_CONFIG: u32 = 0x34;
const F_PRETRK: u32 = 0x38;
const F_LOCK: u32 = 0x3c;
const F_PERPENDICULAR: u32 = 0x40;
const F_EOT: u32 = 0x44;
// Execution of READ/WRITE DATA.
const X_WRITE: u32 = 0x50;
const X_UNIT: u32 = 0x54;
const X_C: u32 = 0x58;
const X_H: u32 = 0x5c;
const X_R: u32 = 0x60; // first sector of the run in flight
const X_LAST: u32 = 0x64; // last sector number of the track run (min(EOT, sectors per track))
const X_MT: u32 = 0x68;
const X_N: u32 = 0x6c;
const X_COUNT: u32 = 0x70; // sectors in the request in flight
const X_WAITING_DMA: u32 = 0x74; // the channel was masked: retry in fdcService
const X_TC: u32 = 0x78; // terminal count reached
const UNIT_BASE: u32 = 0x80; // + u * 0x10
const U_TRACK: u32 = 0x00;
const U_SEEN_GEN: u32 = 0x04;
const UNIT_STRIDE: u32 = 0x10;
const CMD_BYTES: u32 = 0xc0; // 16 bytes
const RES_BYTES: u32 = 0xd0; // 16 bytes

@inline function get(f: u32): u32 {
  return load<u32>(FDC_STATE + f);
}
@inline function set(f: u32, v: u32): void {
  store<u32>(FDC_STATE + f, v);
}
@inline function unitGet(u: u32, f: u32): u32 {
  return load<u32>(FDC_STATE + UNIT_BASE + (u & 3) * UNIT_STRIDE + f);
}
@inline function unitSet(u: u32, f: u32, v: u32): void {
  store<u32>(FDC_STATE + UNIT_BASE + (u & 3) * UNIT_STRIDE + f, v);
}
@inline function cmdByte(i: u32): u32 {
  return <u32>load<u8>(FDC_STATE + CMD_BYTES + (i & 0xf));
}
@inline function driveOf(u: u32): u32 {
  return BLOCK_DRIVE_FLOPPY0 + u;
}
function present(u: u32): bool {
  return u < UNITS && blockKind(driveOf(u)) == BLOCK_KIND_FLOPPY;
}
function hasMedium(u: u32): bool {
  return present(u) && blockMediaSectors(driveOf(u)) != 0;
}

// ---- geometry ----

const HEADS: u32 = 2;
/** Sectors per track for an image of `sectors` 512-byte sectors (datasheet formats; others: 18). */
function sectorsPerTrack(u: u32): u32 {
  const n = blockMediaSectors(driveOf(u));
  if (n == 1440 || n == 720) return 9; // 720 KB, 360 KB
  if (n == 2400) return 15; // 1.2 MB
  if (n == 5760) return 36; // 2.88 MB
  return 18;
}
function tracks(u: u32): u32 {
  const perCylinder = <u64>(sectorsPerTrack(u) * HEADS);
  return <u32>((blockMediaSectors(driveOf(u)) + perCylinder - 1) / perCylinder);
}

// ---- registration and reset ----

export function fdcInit(): void {
  registerPorts(PORT_FDC, REG_FIFO + 1, DEV_FDC);
  registerPorts(PORT_FDC + REG_DIR_CCR, 1, DEV_FDC);
}

export function fdcReset(): void {
  memory.fill(FDC_STATE, 0, RES_BYTES + 16);
  set(F_DOR, DOR_POWER_ON);
  set(F_INT_ST0, 0xff);
  set(F_CONFIG, CONFIG_DEFAULT);
  for (let u: u32 = 0; u < UNITS; u++) {
    blockCancel(driveOf(u));
    // The disk change line is active after power-on until the first step.
    unitSet(u, U_SEEN_GEN, blockMediaGeneration(driveOf(u)) - 1);
  }
  lowerIrq(IRQ_FDC);
}

/** Controller reset (DOR nRESET pulse or DSR software reset): idle, and the polling interrupt. */
function controllerReset(): void {
  for (let u: u32 = 0; u < UNITS; u++) blockCancel(driveOf(u));
  set(F_PHASE, PHASE_COMMAND);
  set(F_CMD_POS, 0);
  set(F_INT_ST0, 0xff);
  set(F_RESET_SENSEI, RESET_POLLING_INTERRUPTS);
  set(X_WAITING_DMA, 0);
  if (get(F_LOCK) == 0) {
    set(F_CONFIG, CONFIG_DEFAULT);
    set(F_PRETRK, 0);
  }
  raise();
}

// ---- interrupts ----

function updateIrq(): void {
  if (get(F_IRQ) != 0 && (get(F_DOR) & DOR_DMA_GATE) != 0) raiseIrq(IRQ_FDC);
  else lowerIrq(IRQ_FDC);
}
function raise(): void {
  set(F_IRQ, 1);
  updateIrq();
}
function clearIrq(): void {
  set(F_IRQ, 0);
  updateIrq();
}

// ---- ports ----

export function fdcRead(port: u32): u32 {
  switch (port - PORT_FDC) {
    case REG_SRA:
      return SRA_AT;
    case REG_SRB:
      return SRB_AT;
    case REG_DOR:
      return get(F_DOR);
    case REG_TDR:
      return get(F_TDR);
    case REG_MSR_DSR:
      return mainStatus();
    case REG_FIFO:
      return fifoRead();
    case REG_DIR_CCR: {
      const u = get(F_DOR) & DOR_SELECT;
      return diskChanged(u) ? DIR_DISK_CHANGE : 0;
    }
    default:
      return 0xff;
  }
}

export function fdcWrite(port: u32, v: u32): void {
  switch (port - PORT_FDC) {
    case REG_DOR: {
      const old = get(F_DOR);
      set(F_DOR, v);
      if ((v & DOR_NRESET) == 0) {
        // Held in reset: idle, nothing pending.
        set(F_PHASE, PHASE_COMMAND);
        set(F_CMD_POS, 0);
        set(F_IRQ, 0);
      } else if ((old & DOR_NRESET) == 0) controllerReset();
      updateIrq();
      return;
    }
    case REG_TDR:
      set(F_TDR, v);
      return;
    case REG_MSR_DSR:
      set(F_DSR, v & ~DSR_SW_RESET);
      if ((v & DSR_SW_RESET) != 0) controllerReset();
      return;
    case REG_FIFO:
      fifoWrite(v);
      return;
    case REG_DIR_CCR:
      set(F_DSR, (get(F_DSR) & ~DSR_RATE_MASK) | (v & DSR_RATE_MASK));
      return;
    default:
      return;
  }
}

function mainStatus(): u32 {
  if ((get(F_DOR) & DOR_NRESET) == 0) return 0;
  switch (get(F_PHASE)) {
    case PHASE_RESULT:
      return MSR_RQM | MSR_DIO | MSR_CB;
    case PHASE_EXECUTION:
      return MSR_CB;
    default:
      return get(F_CMD_POS) > 0 ? MSR_RQM | MSR_CB : MSR_RQM;
  }
}

function diskChanged(u: u32): bool {
  if (!present(u)) return false;
  return !hasMedium(u) || unitGet(u, U_SEEN_GEN) != blockMediaGeneration(driveOf(u));
}

/** A step pulse with a disk in the drive clears the change line. */
function stepped(u: u32): void {
  if (hasMedium(u)) unitSet(u, U_SEEN_GEN, blockMediaGeneration(driveOf(u)));
}

// ---- command and result phases ----

function commandLength(cmd: u32): u32 {
  switch (cmd & CMD_MASK) {
    case CMD_READ_DATA:
    case CMD_WRITE_DATA:
      return 9;
    case CMD_CONFIGURE:
      return 4;
    case CMD_SPECIFY:
    case CMD_SEEK:
      return 3;
    case CMD_SENSE_DRIVE_STATUS:
    case CMD_RECALIBRATE:
    case CMD_READ_ID:
    case CMD_PERPENDICULAR:
      return 2;
    default:
      return 1;
  }
}

function fifoWrite(v: u32): void {
  if ((get(F_DOR) & DOR_NRESET) == 0 || get(F_PHASE) != PHASE_COMMAND) return;
  const pos = get(F_CMD_POS);
  store<u8>(FDC_STATE + CMD_BYTES + pos, <u8>v);
  if (pos == 0) set(F_CMD_LEN, commandLength(v));
  set(F_CMD_POS, pos + 1);
  if (pos + 1 < get(F_CMD_LEN)) return;
  set(F_CMD_POS, 0);
  execute();
}

function fifoRead(): u32 {
  if (get(F_PHASE) != PHASE_RESULT) return 0;
  const pos = get(F_RES_POS);
  const v = <u32>load<u8>(FDC_STATE + RES_BYTES + (pos & 0xf));
  set(F_RES_POS, pos + 1);
  if (pos + 1 >= get(F_RES_LEN)) {
    // The last result byte read ends the command and releases INT (as QEMU).
    set(F_PHASE, PHASE_COMMAND);
    clearIrq();
  }
  return v;
}

/** Enter the result phase with `n` bytes already in RES_BYTES; `interrupt` for commands that signal their end. */
function result(n: u32, interrupt: bool): void {
  set(F_RES_LEN, n);
  set(F_RES_POS, 0);
  set(F_PHASE, PHASE_RESULT);
  if (interrupt) raise();
}
@inline function res(i: u32, v: u32): void {
  store<u8>(FDC_STATE + RES_BYTES + i, <u8>v);
}

function invalid(): void {
  res(0, ST0_INVALID);
  result(1, false);
}

function execute(): void {
  const cmd = cmdByte(0);
  switch (cmd & CMD_MASK) {
    case CMD_SPECIFY:
      set(F_SPECIFY1, cmdByte(1));
      set(F_SPECIFY2, cmdByte(2));
      set(F_PHASE, PHASE_COMMAND);
      return;
    case CMD_SENSE_DRIVE_STATUS: {
      const u = cmdByte(1) & 3;
      const head = (cmdByte(1) >>> 2) & 1;
      let st3 = u | (head << 2) | ST3_READY | ST3_TWO_SIDED;
      if (unitGet(u, U_TRACK) == 0) st3 |= ST3_TRACK0;
      if (hasMedium(u) && blockReadOnly(driveOf(u))) st3 |= ST3_WRITE_PROTECTED;
      res(0, st3);
      result(1, false);
      return;
    }
    case CMD_RECALIBRATE:
      seek(cmdByte(1) & 3, 0, 0);
      return;
    case CMD_SEEK:
      seek(cmdByte(1) & 3, (cmdByte(1) >>> 2) & 1, cmdByte(2));
      return;
    case CMD_SENSE_INTERRUPT:
      senseInterrupt();
      return;
    case CMD_READ_DATA:
    case CMD_WRITE_DATA:
      startReadWrite((cmd & CMD_MASK) == CMD_WRITE_DATA);
      return;
    case CMD_READ_ID:
      readId();
      return;
    case CMD_VERSION:
      if (cmd != CMD_VERSION) break;
      res(0, VERSION_82077);
      result(1, false);
      return;
    case CMD_CONFIGURE:
      if (cmd != CMD_CONFIGURE) break;
      set(F_CONFIG, cmdByte(2));
      set(F_PRETRK, cmdByte(3));
      set(F_PHASE, PHASE_COMMAND);
      return;
    case CMD_LOCK:
      if ((cmd & 0x7f) != CMD_LOCK) break;
      set(F_LOCK, cmd >>> 7);
      res(0, (cmd >>> 7) << 4);
      result(1, false);
      return;
    case CMD_PERPENDICULAR:
      if (cmd != CMD_PERPENDICULAR) break;
      set(F_PERPENDICULAR, cmdByte(1));
      set(F_PHASE, PHASE_COMMAND);
      return;
    case CMD_DUMPREG:
      if (cmd != CMD_DUMPREG) break;
      for (let u: u32 = 0; u < 4; u++) res(u, unitGet(u, U_TRACK));
      res(4, get(F_SPECIFY1));
      res(5, get(F_SPECIFY2));
      res(6, get(F_EOT));
      res(7, (get(F_LOCK) << 7) | (get(F_PERPENDICULAR) & 0x7f));
      res(8, get(F_CONFIG));
      res(9, get(F_PRETRK));
      result(10, false);
      return;
    default:
      break;
  }
  invalid();
}

/** SEEK / RECALIBRATE: the head moves at once; the interrupt says "seek end" (or equipment check without a drive). */
function seek(u: u32, head: u32, track: u32): void {
  let st0 = ST0_SEEK_END | (head << 2) | u;
  if (!present(u)) st0 |= ST0_ABNORMAL | ST0_EQUIPMENT_CHECK;
  else {
    unitSet(u, U_TRACK, track);
    stepped(u);
  }
  set(F_INT_ST0, st0);
  set(F_PHASE, PHASE_COMMAND);
  raise();
}

/** SENSE INTERRUPT STATUS: the reset polling interrupts, then a pending seek's, else invalid (datasheet §5.2.9). */
function senseInterrupt(): void {
  clearIrq();
  const polls = get(F_RESET_SENSEI);
  if (polls > 0) {
    const u = RESET_POLLING_INTERRUPTS - polls;
    set(F_RESET_SENSEI, polls - 1);
    res(0, ST0_POLLING | u);
    res(1, unitGet(u, U_TRACK));
    result(2, false);
    return;
  }
  const st0 = get(F_INT_ST0);
  if (st0 == 0xff) {
    invalid();
    return;
  }
  set(F_INT_ST0, 0xff);
  res(0, st0);
  res(1, unitGet(st0 & 3, U_TRACK));
  result(2, false);
}

function readId(): void {
  const u = cmdByte(1) & 3;
  const head = (cmdByte(1) >>> 2) & 1;
  if (!hasMedium(u)) {
    endTransfer(u, head, ST0_ABNORMAL | ST0_NOT_READY, ST1_MISSING_ADDRESS_MARK, unitGet(u, U_TRACK), head, 1, SECTOR_SIZE_CODE_512);
    return;
  }
  endTransfer(u, head, 0, 0, unitGet(u, U_TRACK), head, 1, SECTOR_SIZE_CODE_512);
}

/** Result phase of a data command: ST0 ST1 ST2 C H R N, and the interrupt. */
function endTransfer(u: u32, head: u32, st0: u32, st1: u32, c: u32, h: u32, r: u32, n: u32): void {
  res(0, st0 | (head << 2) | u);
  res(1, st1);
  res(2, 0);
  res(3, c);
  res(4, h);
  res(5, r);
  res(6, n);
  result(7, true);
}

// ---- READ DATA / WRITE DATA ----

function startReadWrite(write: bool): void {
  const u = cmdByte(1) & 3;
  const head = (cmdByte(1) >>> 2) & 1;
  const c = cmdByte(2);
  const r = cmdByte(4);
  const n = cmdByte(5);
  const eot = cmdByte(6);
  set(F_EOT, eot);
  set(F_PHASE, PHASE_EXECUTION);
  if (!hasMedium(u)) {
    endTransfer(u, head, ST0_ABNORMAL | ST0_NOT_READY, ST1_MISSING_ADDRESS_MARK, c, cmdByte(3), r, n);
    return;
  }
  const spt = sectorsPerTrack(u);
  const last = eot < spt ? eot : spt;
  if (n != SECTOR_SIZE_CODE_512 || r == 0 || r > last || c >= tracks(u)) {
    endTransfer(u, head, ST0_ABNORMAL, ST1_NO_DATA, c, cmdByte(3), r, n);
    return;
  }
  if (write && blockReadOnly(driveOf(u))) {
    endTransfer(u, head, ST0_ABNORMAL, ST1_NOT_WRITABLE, c, cmdByte(3), r, n);
    return;
  }
  unitSet(u, U_TRACK, c);
  set(X_WRITE, write ? 1 : 0);
  set(X_UNIT, u);
  set(X_C, c);
  set(X_H, head);
  set(X_R, r);
  set(X_LAST, last);
  set(X_MT, (cmdByte(0) & CMD_MT) != 0 ? 1 : 0);
  set(X_N, n);
  set(X_TC, 0);
  startRun();
}

/** Move the run from X_R to X_LAST on head X_H (as far as the DMA count reaches). */
function startRun(): void {
  set(X_WAITING_DMA, 0);
  if ((get(F_DOR) & DOR_DMA_GATE) == 0 || !dmaChannelReady(DMA_CHANNEL)) {
    // No DMA acknowledge yet: the controller waits with the request raised.
    set(X_WAITING_DMA, 1);
    return;
  }
  const u = get(X_UNIT);
  const r = get(X_R);
  const sectorsLeftOnTrack = get(X_LAST) - r + 1;
  const dmaSectors = (dmaBytesLeft(DMA_CHANNEL) + BLOCK_SECTOR_SIZE - 1) / BLOCK_SECTOR_SIZE;
  const count = sectorsLeftOnTrack < dmaSectors ? sectorsLeftOnTrack : dmaSectors;
  set(X_COUNT, count);
  const spt = sectorsPerTrack(u);
  const lba = (<u64>get(X_C) * HEADS + <u64>get(X_H)) * <u64>spt + <u64>(r - 1);
  const bytes = count * BLOCK_SECTOR_SIZE;
  if (get(X_WRITE) != 0) {
    const before = dmaBytesLeft(DMA_CHANNEL);
    const moved = dmaTransfer(DMA_CHANNEL, FDC_BUFFER, bytes);
    if (before <= bytes) set(X_TC, 1);
    // Terminal count inside the last sector: the rest of it is written as zeros.
    if (moved < bytes) memory.fill(FDC_BUFFER + moved, 0, bytes - moved);
    blockSubmit(driveOf(u), BLOCK_OP_WRITE, lba, bytes, FDC_BUFFER);
  } else {
    blockSubmit(driveOf(u), BLOCK_OP_READ, lba, bytes, FDC_BUFFER);
  }
}

/** Between run() slices: finish a data command whose media request completed; retry a waiting DMA. */
export function fdcService(): void {
  if (get(F_PHASE) != PHASE_EXECUTION) return;
  if (get(X_WAITING_DMA) != 0) {
    startRun();
    return;
  }
  const u = get(X_UNIT);
  if (!blockDone(driveOf(u))) return;
  const status = blockTakeResult(driveOf(u));
  const head = get(X_H);
  if (status != BLOCK_OK) {
    endTransfer(u, head, ST0_ABNORMAL, ST1_NO_DATA, get(X_C), head, get(X_R), get(X_N));
    return;
  }
  const count = get(X_COUNT);
  if (get(X_WRITE) == 0) {
    const bytes = count * BLOCK_SECTOR_SIZE;
    const before = dmaBytesLeft(DMA_CHANNEL);
    dmaTransfer(DMA_CHANNEL, FDC_BUFFER, bytes);
    if (before <= bytes) set(X_TC, 1);
  }
  runDone(u, head, count);
}

/** A run of `count` sectors went through: stop at terminal count, continue on head 1 (MT), or end at EOT. */
function runDone(u: u32, head: u32, count: u32): void {
  const lastSector = get(X_R) + count - 1;
  const last = get(X_LAST);
  const c = get(X_C);
  const mt = get(X_MT) != 0;
  const n = get(X_N);
  if (lastSector < last) {
    // Runs are sized to the DMA count, so a run that stops mid-track stopped at terminal count.
    endTransfer(u, head, 0, 0, c, head, lastSector + 1, n);
    return;
  }
  // At the end of the track (Table 5-4): multi-track goes on to head 1, otherwise the next cylinder.
  if (mt && head == 0 && get(X_TC) == 0) {
    set(X_H, 1);
    set(X_R, 1);
    startRun();
    return;
  }
  const nextC = mt && head == 0 ? c : c + 1;
  const nextH = mt ? head ^ 1 : head;
  if (get(X_TC) != 0) endTransfer(u, head, 0, 0, nextC, nextH, 1, n);
  // EOT reached with the DMA count left: abnormal termination, "end of cylinder" (datasheet §5.1.2).
  else endTransfer(u, head, ST0_ABNORMAL, ST1_END_OF_CYLINDER, nextC, nextH, 1, n);
}
