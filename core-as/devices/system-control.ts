// The PC's system control ports: port 0x61 (NMI status and control, PIT
// channel 2 gate, speaker) and port 0x92 (PS/2 "System Control Port A":
// fast A20 gate and fast reset), plus the A20 gate itself.
//
// References: Intel 82371SB (PIIX3) datasheet §4.7.2 "NMISC—NMI Status and
// Control Register" (port 0x61); IBM PS/2 Model 50/60 technical reference,
// "System Control Port A" (port 0x92; QEMU hw/i386/port92.c).
//
// Port 0x61:
//   bit 0  timer 2 gate (R/W)           → PIT channel 2 GATE
//   bit 1  speaker data enable (R/W)    → speaker = OUT2 AND this bit (recorded only)
//   bit 2  PCI SERR# enable (R/W, stored)
//   bit 3  IOCHK# NMI enable (R/W, stored)
//   bit 4  refresh cycle toggle (RO): flips every 15 µs of virtual time
//   bit 5  timer 2 OUT (RO)
//   bit 6  IOCHK# NMI source (RO, 0)
//   bit 7  SERR# NMI source (RO, 0)
// Port 0x92:
//   bit 0  fast reset: a 0→1 write resets the machine
//   bit 1  A20 gate (1 = enabled)
//   other bits read back as written (QEMU).
//
// The A20 gate is one CPU input driven by two sources, this port and the
// 8042's output port; as in QEMU, the last one written wins (setA20).

import { SYSTEM_CONTROL_STATE, CPU_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { clockNow } from '../machine/clock';
import { DEV_SYSTEM_CONTROL } from '../machine/device-ids';
import { OFF_A20_MASK } from '../cpu/state';
import { tlbFlushAll } from '../cpu/paging';
import { invalidateFetch } from '../cpu/memory';
import { requestReset } from '../cpu/control';
import { pitSetGate, pitOut } from './pit8254';

export const PORT_SYSTEM_CONTROL_B: u32 = 0x61;
export const PORT_SYSTEM_CONTROL_A: u32 = 0x92;

const NMISC_GATE2: u32 = 0x01;
const NMISC_SPEAKER: u32 = 0x02;
const NMISC_WRITABLE: u32 = 0x0f;
const NMISC_REFRESH: u32 = 0x10;
const NMISC_OUT2: u32 = 0x20;
/** DRAM refresh request period (the toggle software times short delays with). */
const REFRESH_PERIOD_NS: u64 = 15_000;

const PORTA_FAST_RESET: u32 = 0x01;
const PORTA_A20: u32 = 0x02;

const A20_ENABLED_MASK: u32 = 0xffffffff;
const A20_DISABLED_MASK: u32 = 0xffefffff; // physical address bit 20 forced to 0
const PIT_CHANNEL_SPEAKER: u32 = 2;

// State (SYSTEM_CONTROL_STATE).
const ST_NMISC: u32 = SYSTEM_CONTROL_STATE + 0x00; // u8 writable bits of port 0x61
const ST_PORT_A: u32 = SYSTEM_CONTROL_STATE + 0x01; // u8 port 0x92

/**
 * Drive the CPU's A20 gate (port 0x92 bit 1, the 8042's output port bit 1).
 * Disabled, physical address bit 20 reads as 0 (the 8086 wrap-around).
 * Cached translations hold A20-masked addresses, so a change flushes them.
 */
export function setA20(enabled: bool): void {
  const mask = enabled ? A20_ENABLED_MASK : A20_DISABLED_MASK;
  if (load<u32>(CPU_STATE + OFF_A20_MASK) == mask) return;
  store<u32>(CPU_STATE + OFF_A20_MASK, mask);
  tlbFlushAll(false);
  invalidateFetch();
}

export function a20Enabled(): bool {
  return load<u32>(CPU_STATE + OFF_A20_MASK) == A20_ENABLED_MASK;
}

/** Whether the speaker is driven now (OUT2 gated by port 0x61 bit 1); recorded, no audio. */
export function speakerOn(): bool {
  return (<u32>load<u8>(ST_NMISC) & NMISC_SPEAKER) != 0 && pitOut(PIT_CHANNEL_SPEAKER);
}

export function systemControlRead(port: u32): u32 {
  if (port == PORT_SYSTEM_CONTROL_A) return <u32>load<u8>(ST_PORT_A);
  let v = <u32>load<u8>(ST_NMISC) & NMISC_WRITABLE;
  if (((clockNow() / REFRESH_PERIOD_NS) & 1) != 0) v |= NMISC_REFRESH;
  if (pitOut(PIT_CHANNEL_SPEAKER)) v |= NMISC_OUT2;
  return v;
}

export function systemControlWrite(port: u32, value: u32): void {
  value &= 0xff;
  if (port == PORT_SYSTEM_CONTROL_A) {
    const old = <u32>load<u8>(ST_PORT_A);
    store<u8>(ST_PORT_A, <u8>value);
    setA20((value & PORTA_A20) != 0);
    if ((value & PORTA_FAST_RESET) != 0 && (old & PORTA_FAST_RESET) == 0) requestReset();
    return;
  }
  store<u8>(ST_NMISC, <u8>(value & NMISC_WRITABLE));
  pitSetGate(PIT_CHANNEL_SPEAKER, (value & NMISC_GATE2) != 0);
}

export function systemControlInit(): void {
  registerPorts(PORT_SYSTEM_CONTROL_B, 1, DEV_SYSTEM_CONTROL);
  registerPorts(PORT_SYSTEM_CONTROL_A, 1, DEV_SYSTEM_CONTROL);
}

/** RESET: port 0x61 all clear (gate 2 low), port 0x92 with A20 enabled as the CPU resets it. */
export function systemControlReset(): void {
  store<u8>(ST_NMISC, 0);
  store<u8>(ST_PORT_A, <u8>PORTA_A20);
  pitSetGate(PIT_CHANNEL_SPEAKER, false);
}
