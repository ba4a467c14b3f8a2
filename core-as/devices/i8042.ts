// Intel 8042 keyboard controller (the PC/AT "KBC"), with its PS/2 keyboard
// (ps2-keyboard.ts) and PS/2 mouse (ps2-mouse.ts).
//
// References: IBM PS/2 Hardware Interface Technical Reference, "Keyboard and
// Auxiliary Device Controller" (status register, command byte, controller
// commands, output port); QEMU hw/input/pckbd.c for what guests see under QEMU.
//
// Ports:  0x60  data: read the output buffer; write a byte for the keyboard,
//               or the argument of the last controller command
//         0x64  read status; write a controller command
// IRQs:   1 while the output buffer holds a keyboard byte (command byte bit 0),
//         12 while it holds a mouse byte (command byte bit 1).
//
// One output buffer serves both devices. When it is empty the controller
// fills it from, in order: its own command reply, the keyboard's buffer, the
// mouse's buffer (a disabled interface's data waits in its device). With the
// command byte's translation bit set, keyboard bytes are translated from scan
// code set 2 to set 1 on the way (an 0xF0 break prefix is absorbed and sets
// bit 7 of the next byte).
//
// Output port (0xD0/0xD1): bit 0 system reset (0 = reset), bit 1 A20 gate,
// bit 4 keyboard output buffer full, bit 5 mouse output buffer full. Commands
// 0xF0-0xFF pulse output port bits 0-3 low where the command's bit is 0: a
// pulse of bit 0 resets the machine (the classic 0x64 ← 0xFE reboot).
//
// Host input: the RING_INPUT ring (core-as/machine/rings.ts) carries
// INPUT_EVENT_SIZE-byte records, see the constants below and host/ps2-input.ts.
// Events stay in the ring while the keyboard's buffer is full.

import { I8042_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { raiseIrq, lowerIrq } from '../machine/irq';
import { ringPop, ringUsed, RING_INPUT, RING_OFF_TAIL, RING_OFF_DATA, RING_OFF_CAPACITY } from '../machine/rings';
import { DEV_I8042 } from '../machine/device-ids';
import { clockNow } from '../machine/clock';
import { requestReset } from '../cpu/control';
import { setA20 } from './system-control';
import {
  kbdReset, kbdWrite, kbdHasData, kbdTake, kbdKeyEvent, kbdAdvance, set2ToSet1, KEY_EXTENDED, KEY_PAUSE,
} from './ps2-keyboard';
import { mouseReset, mouseWrite, mouseHasData, mouseTake, mouseEvent, mouseService } from './ps2-mouse';

export const PORT_I8042_DATA: u32 = 0x60;
export const PORT_I8042_COMMAND: u32 = 0x64;
export const IRQ_KEYBOARD: u32 = 1;
export const IRQ_MOUSE: u32 = 12;

// ---- state (I8042_STATE + 0x00 .. 0x40) ----
const C_MODE: u32 = I8042_STATE + 0x00; // u8 command byte
const C_STATUS: u32 = I8042_STATE + 0x01; // u8 status bits kept (SYS, A2); OBF bits derive from C_OUT_*
const C_OUTPORT: u32 = I8042_STATE + 0x02; // u8 output port (bits 4-5 derived when read)
const C_OUT_DATA: u32 = I8042_STATE + 0x03; // u8 output buffer
const C_OUT_FULL: u32 = I8042_STATE + 0x04; // u8 OUT_* source of the buffered byte, 0 empty
const C_WAITING: u32 = I8042_STATE + 0x05; // u8 controller command waiting for its data byte
const C_BREAK_PREFIX: u32 = I8042_STATE + 0x06; // u8 translation saw 0xF0
const C_REPLY: u32 = I8042_STATE + 0x07; // u8 pending controller reply
const C_REPLY_TO: u32 = I8042_STATE + 0x08; // u8 OUT_* the reply poses as, 0 none

const OUT_KEYBOARD: u32 = 1;
const OUT_MOUSE: u32 = 2;

// Status register.
const STATUS_OBF: u32 = 0x01;
const STATUS_SYS: u32 = 0x04; // system flag (set by a passed self-test, or command byte bit 2)
const STATUS_A2: u32 = 0x08; // last write was to port 0x64
const STATUS_UNLOCKED: u32 = 0x10; // keyboard inhibit switch off
const STATUS_AUX_OBF: u32 = 0x20;
const STATUS_KEPT: u32 = STATUS_SYS | STATUS_A2;

// Command byte.
const MODE_KBD_INT: u32 = 0x01;
const MODE_AUX_INT: u32 = 0x02;
const MODE_SYS: u32 = 0x04;
const MODE_DISABLE_KBD: u32 = 0x10;
const MODE_DISABLE_AUX: u32 = 0x20;
const MODE_TRANSLATE: u32 = 0x40;
/** QEMU's power-on command byte: both interrupts enabled (the BIOS sets the rest). */
const MODE_POWER_ON: u32 = MODE_KBD_INT | MODE_AUX_INT;

// Output port.
const OUTPORT_RESET: u32 = 0x01; // 0 holds the CPU in reset
const OUTPORT_A20: u32 = 0x02;
const OUTPORT_KBD_OBF: u32 = 0x10;
const OUTPORT_AUX_OBF: u32 = 0x20;
const OUTPORT_POWER_ON: u32 = 0xcf; // QEMU: reset high, A20 on, the unused lines high
const PULSE_LINES: u32 = 0x0f;

// Controller commands (port 0x64).
const CCMD_READ_MODE: u32 = 0x20;
const CCMD_WRITE_MODE: u32 = 0x60;
const CCMD_DISABLE_AUX: u32 = 0xa7;
const CCMD_ENABLE_AUX: u32 = 0xa8;
const CCMD_TEST_AUX: u32 = 0xa9;
const CCMD_SELF_TEST: u32 = 0xaa;
const CCMD_TEST_KBD: u32 = 0xab;
const CCMD_DISABLE_KBD: u32 = 0xad;
const CCMD_ENABLE_KBD: u32 = 0xae;
const CCMD_READ_INPUT: u32 = 0xc0;
const CCMD_READ_OUTPORT: u32 = 0xd0;
const CCMD_WRITE_OUTPORT: u32 = 0xd1;
const CCMD_WRITE_KBD_OBUF: u32 = 0xd2;
const CCMD_WRITE_AUX_OBUF: u32 = 0xd3;
const CCMD_WRITE_AUX: u32 = 0xd4;
const CCMD_DISABLE_A20: u32 = 0xdd; // HP Vectra; QEMU decodes it
const CCMD_ENABLE_A20: u32 = 0xdf;
const CCMD_READ_TEST_INPUTS: u32 = 0xe0;
const CCMD_PULSE_FIRST: u32 = 0xf0;

const SELF_TEST_OK: u32 = 0x55;
const INTERFACE_TEST_OK: u32 = 0x00;
/** Input port: bit 7 set = keyboard not inhibited (QEMU returns this). */
const INPUT_PORT: u32 = 0x80;
const BREAK_BIT: u32 = 0x80;
const SET2_BREAK: u32 = 0xf0;

// ---- host input records (RING_INPUT) ----
/** Every record is this long: byte 0 the kind, then the kind's fields. */
export const INPUT_EVENT_SIZE: u32 = 8;
/** Bytes 2-3: key number (ps2-keyboard.ts: set-2 code | KEY_EXTENDED, or KEY_PAUSE). */
export const INPUT_KEY_DOWN: u32 = 1;
export const INPUT_KEY_UP: u32 = 2;
/** Bytes 2-3 dx (i16, right), 4-5 dy (i16, down), 6 buttons, 7 wheel (i8, towards the user). */
export const INPUT_MOUSE: u32 = 3;

@inline function mode(): u32 {
  return <u32>load<u8>(C_MODE);
}

/** Drive IRQ 1 and 12 from the output buffer's state and the command byte's enables. */
function updateIrqs(): void {
  const full = <u32>load<u8>(C_OUT_FULL);
  const m = mode();
  if (full == OUT_KEYBOARD && (m & MODE_KBD_INT) != 0) raiseIrq(IRQ_KEYBOARD);
  else lowerIrq(IRQ_KEYBOARD);
  if (full == OUT_MOUSE && (m & MODE_AUX_INT) != 0) raiseIrq(IRQ_MOUSE);
  else lowerIrq(IRQ_MOUSE);
}

function setOutput(v: u32, from: u32): void {
  store<u8>(C_OUT_DATA, <u8>v);
  store<u8>(C_OUT_FULL, <u8>from);
}

/** Fill an empty output buffer from the controller, keyboard, mouse (in that order). */
function refill(): void {
  if (load<u8>(C_OUT_FULL) != 0) return;
  const replyTo = <u32>load<u8>(C_REPLY_TO);
  if (replyTo != 0) {
    setOutput(<u32>load<u8>(C_REPLY), replyTo);
    store<u8>(C_REPLY_TO, 0);
  } else {
    const m = mode();
    if ((m & MODE_DISABLE_KBD) == 0) {
      while (kbdHasData()) {
        let b = kbdTake();
        if ((m & MODE_TRANSLATE) != 0) {
          if (b == SET2_BREAK) {
            store<u8>(C_BREAK_PREFIX, 1);
            continue;
          }
          b = set2ToSet1(b);
          if (load<u8>(C_BREAK_PREFIX) != 0) b |= BREAK_BIT;
          store<u8>(C_BREAK_PREFIX, 0);
        }
        setOutput(b, OUT_KEYBOARD);
        break;
      }
    }
    if (load<u8>(C_OUT_FULL) == 0 && (m & MODE_DISABLE_AUX) == 0) {
      mouseService();
      if (mouseHasData()) setOutput(mouseTake(), OUT_MOUSE);
    }
  }
  updateIrqs();
}

/** A controller reply (posing as keyboard or mouse data for 0xD2/0xD3). */
function reply(v: u32, to: u32): void {
  store<u8>(C_REPLY, <u8>v);
  store<u8>(C_REPLY_TO, <u8>to);
  refill();
}

function writeOutport(v: u32): void {
  const old = <u32>load<u8>(C_OUTPORT);
  store<u8>(C_OUTPORT, <u8>v);
  if (((old ^ v) & OUTPORT_A20) != 0) setA20((v & OUTPORT_A20) != 0);
  if ((v & OUTPORT_RESET) == 0) requestReset();
}

// ---- registration, reset ----
export function i8042Init(): void {
  registerPorts(PORT_I8042_DATA, 1, DEV_I8042);
  registerPorts(PORT_I8042_COMMAND, 1, DEV_I8042);
}

export function i8042Reset(): void {
  store<u8>(C_MODE, <u8>MODE_POWER_ON);
  store<u8>(C_STATUS, 0);
  store<u8>(C_OUTPORT, <u8>OUTPORT_POWER_ON);
  store<u8>(C_OUT_DATA, 0);
  store<u8>(C_OUT_FULL, 0);
  store<u8>(C_WAITING, 0);
  store<u8>(C_BREAK_PREFIX, 0);
  store<u8>(C_REPLY, 0);
  store<u8>(C_REPLY_TO, 0);
  kbdReset();
  mouseReset();
  updateIrqs();
}

// ---- port access ----
export function i8042Read(port: u32): u32 {
  if (port == PORT_I8042_COMMAND) return i8042Status();
  const v = <u32>load<u8>(C_OUT_DATA);
  // An empty buffer reads as its last byte (QEMU; EMM386 relies on it).
  if (load<u8>(C_OUT_FULL) != 0) {
    store<u8>(C_OUT_FULL, 0);
    updateIrqs(); // the line drops before the next byte raises it again: a fresh edge
    refill();
  }
  return v;
}

function i8042Status(): u32 {
  const full = <u32>load<u8>(C_OUT_FULL);
  let s = (<u32>load<u8>(C_STATUS) & STATUS_KEPT) | STATUS_UNLOCKED;
  if (full != 0) s |= STATUS_OBF;
  if (full == OUT_MOUSE) s |= STATUS_AUX_OBF;
  return s;
}

export function i8042Write(port: u32, v: u32): void {
  v &= 0xff;
  const status = <u32>load<u8>(C_STATUS);
  if (port == PORT_I8042_COMMAND) {
    store<u8>(C_STATUS, <u8>(status | STATUS_A2));
    store<u8>(C_WAITING, 0);
    controllerCommand(v);
    return;
  }
  store<u8>(C_STATUS, <u8>(status & ~STATUS_A2));
  const waiting = <u32>load<u8>(C_WAITING);
  store<u8>(C_WAITING, 0);
  switch (waiting) {
    case CCMD_WRITE_MODE: {
      store<u8>(C_MODE, <u8>v);
      const s = <u32>load<u8>(C_STATUS);
      store<u8>(C_STATUS, <u8>((v & MODE_SYS) != 0 ? s | STATUS_SYS : s & ~STATUS_SYS));
      refill();
      updateIrqs();
      return;
    }
    case CCMD_WRITE_OUTPORT:
      writeOutport(v);
      return;
    case CCMD_WRITE_KBD_OBUF:
      reply(v, OUT_KEYBOARD);
      return;
    case CCMD_WRITE_AUX_OBUF:
      reply(v, OUT_MOUSE);
      return;
    case CCMD_WRITE_AUX:
      // Sending to a device re-enables its interface (QEMU; drivers rely on it).
      store<u8>(C_MODE, <u8>(mode() & ~MODE_DISABLE_AUX));
      mouseWrite(v);
      refill();
      return;
    default:
      store<u8>(C_MODE, <u8>(mode() & ~MODE_DISABLE_KBD));
      kbdWrite(v);
      refill();
      return;
  }
}

function controllerCommand(cmd: u32): void {
  switch (cmd) {
    case CCMD_READ_MODE:
      reply(mode(), OUT_KEYBOARD);
      return;
    case CCMD_WRITE_MODE:
    case CCMD_WRITE_OUTPORT:
    case CCMD_WRITE_KBD_OBUF:
    case CCMD_WRITE_AUX_OBUF:
    case CCMD_WRITE_AUX:
      store<u8>(C_WAITING, <u8>cmd);
      return;
    case CCMD_DISABLE_AUX:
      store<u8>(C_MODE, <u8>(mode() | MODE_DISABLE_AUX));
      return;
    case CCMD_ENABLE_AUX:
      store<u8>(C_MODE, <u8>(mode() & ~MODE_DISABLE_AUX));
      refill();
      return;
    case CCMD_TEST_AUX:
    case CCMD_TEST_KBD:
      reply(INTERFACE_TEST_OK, OUT_KEYBOARD);
      return;
    case CCMD_SELF_TEST:
      store<u8>(C_STATUS, <u8>(<u32>load<u8>(C_STATUS) | STATUS_SYS));
      reply(SELF_TEST_OK, OUT_KEYBOARD);
      return;
    case CCMD_DISABLE_KBD:
      store<u8>(C_MODE, <u8>(mode() | MODE_DISABLE_KBD));
      updateIrqs();
      return;
    case CCMD_ENABLE_KBD:
      store<u8>(C_MODE, <u8>(mode() & ~MODE_DISABLE_KBD));
      refill();
      return;
    case CCMD_READ_INPUT:
      reply(INPUT_PORT, OUT_KEYBOARD);
      return;
    case CCMD_READ_OUTPORT: {
      const full = <u32>load<u8>(C_OUT_FULL);
      let v = <u32>load<u8>(C_OUTPORT) & ~(OUTPORT_KBD_OBF | OUTPORT_AUX_OBF);
      if (full == OUT_KEYBOARD) v |= OUTPORT_KBD_OBF;
      if (full == OUT_MOUSE) v |= OUTPORT_AUX_OBF;
      reply(v, OUT_KEYBOARD);
      return;
    }
    case CCMD_DISABLE_A20:
      writeOutport(<u32>load<u8>(C_OUTPORT) & ~OUTPORT_A20);
      return;
    case CCMD_ENABLE_A20:
      writeOutport(<u32>load<u8>(C_OUTPORT) | OUTPORT_A20);
      return;
    case CCMD_READ_TEST_INPUTS:
      reply(0, OUT_KEYBOARD);
      return;
    default:
      // 0xF0-0xFF: pulse the output lines whose bit is 0 for ~6 µs; only reset has a lasting effect.
      if (cmd >= CCMD_PULSE_FIRST && (cmd & PULSE_LINES & OUTPORT_RESET) == 0) requestReset();
      return;
  }
}

// ---- host input and time ----
@inline function peekInput(offset: u32): u32 {
  const tail = load<u32>(RING_INPUT + RING_OFF_TAIL);
  const cap = load<u32>(RING_INPUT + RING_OFF_CAPACITY);
  return <u32>load<u8>(RING_INPUT + RING_OFF_DATA + ((tail + offset) & (cap - 1)));
}

/** Take host input events while the devices have room; call between run() slices. */
export function serviceInput(): void {
  const now = clockNow();
  while (ringUsed(RING_INPUT) >= INPUT_EVENT_SIZE) {
    const kind = peekInput(0);
    if (kind == INPUT_KEY_DOWN || kind == INPUT_KEY_UP) {
      const key = peekInput(2) | (peekInput(3) << 8);
      if (!kbdKeyEvent(key & (KEY_PAUSE | KEY_EXTENDED | 0xff), kind == INPUT_KEY_DOWN, now)) break;
    } else if (kind == INPUT_MOUSE) {
      const dx = <i32>(<i16>(peekInput(2) | (peekInput(3) << 8)));
      const dy = <i32>(<i16>(peekInput(4) | (peekInput(5) << 8)));
      mouseEvent(dx, dy, peekInput(6), <i32>(<i8>peekInput(7)));
    }
    for (let i: u32 = 0; i < INPUT_EVENT_SIZE; i++) ringPop(RING_INPUT);
  }
  refill();
}

/** serviceTimers(): typematic repeats due by `now`; the next repeat's time. */
export function i8042Advance(now: u64): u64 {
  const next = kbdAdvance(now);
  refill();
  return next;
}
