// PS/2 mouse (with the Microsoft IntelliMouse wheel) behind the 8042's auxiliary port.
//
// References: IBM PS/2 Hardware Interface Technical Reference, "Pointing
// Device" (commands 0xE6-0xFF, the 3-byte packet, status request); Microsoft
// "Wheel mouse" / IntelliMouse protocol (sample rates 200, 100, 80 switch the
// mouse to id 3 and 4-byte packets; 200, 200, 80 to the 5-button id 4);
// QEMU hw/input/ps2.c for what guests see under QEMU.
//
// Packet byte 0: bit 0 left, 1 right, 2 middle, 3 always 1, 4 X sign, 5 Y sign,
// 6 X overflow, 7 Y overflow; bytes 1-2: X and Y movement (9-bit two's
// complement with the sign bits; Y grows upwards); byte 3 (id 3): wheel, 8-bit
// two's complement; (id 4): wheel in bits 0-3, buttons 4 and 5 in bits 4-5.
//
// Movement from the host accumulates in counters. In stream mode with
// reporting enabled a packet goes out whenever the buffer has room; motion
// beyond the 9-bit range is carried into following packets, so nothing is
// lost. In remote mode the host CPU reads the counters with 0xEB: values out
// of range are clamped and flagged with the overflow bits, and the counters
// restart from zero (Technical Reference, "Read Data").

import { I8042_STATE } from '../machine/layout';

// ---- state (I8042_STATE + 0x100 .. 0x140) ----
const MOUSE: u32 = I8042_STATE + 0x100;
const M_COUNT: u32 = MOUSE + 0x00; // u8 bytes queued
const M_READ: u32 = MOUSE + 0x01; // u8 queue read index
const M_STATUS: u32 = MOUSE + 0x02; // u8 STATUS_* (remote, enabled, 2:1 scaling)
const M_RESOLUTION: u32 = MOUSE + 0x03; // u8 0..3 (1, 2, 4, 8 counts/mm)
const M_RATE: u32 = MOUSE + 0x04; // u8 samples/s
const M_WRAP: u32 = MOUSE + 0x05; // u8 1 = wrap (echo) mode
const M_ID: u32 = MOUSE + 0x06; // u8 0, 3 (IntelliMouse) or 4 (IntelliMouse Explorer)
const M_DETECT: u32 = MOUSE + 0x07; // u8 position in the 200-100-80 / 200-200-80 sequences
const M_PENDING: u32 = MOUSE + 0x08; // u8 command waiting for its argument, 0 none
const M_BUTTONS: u32 = MOUSE + 0x09; // u8 BUTTON_* as the host last said
const M_SENT_BUTTONS: u32 = MOUSE + 0x0a; // u8 buttons in the last packet
const M_DX: u32 = MOUSE + 0x0c; // i32 movement counters
const M_DY: u32 = MOUSE + 0x10; // i32 (up positive)
const M_DZ: u32 = MOUSE + 0x14; // i32 (wheel towards the user positive)
const M_QUEUE: u32 = MOUSE + 0x20; // 16 bytes
export const MOUSE_QUEUE_SIZE: u32 = 16;

const STATUS_REMOTE: u32 = 0x40;
const STATUS_ENABLED: u32 = 0x20;
const STATUS_SCALE21: u32 = 0x10;
// Host button bits (and packet byte 0 bits 0-2).
const BUTTON_LEFT: u32 = 0x01;
const BUTTON_RIGHT: u32 = 0x02;
const BUTTON_MIDDLE: u32 = 0x04;
const BUTTON_4: u32 = 0x08;
const BUTTON_5: u32 = 0x10;
const BUTTONS_3: u32 = BUTTON_LEFT | BUTTON_RIGHT | BUTTON_MIDDLE;

const PACKET_ALWAYS_1: u32 = 0x08;
const PACKET_X_SIGN: u32 = 0x10;
const PACKET_Y_SIGN: u32 = 0x20;
const PACKET_X_OVERFLOW: u32 = 0x40;
const PACKET_Y_OVERFLOW: u32 = 0x80;
const MOVE_MIN: i32 = -256;
const MOVE_MAX: i32 = 255;
const WHEEL_MIN: i32 = -128;
const WHEEL_MAX: i32 = 127;
const WHEEL4_MIN: i32 = -8;
const WHEEL4_MAX: i32 = 7;

const ID_STANDARD: u32 = 0;
const ID_INTELLIMOUSE: u32 = 3;
const ID_EXPLORER: u32 = 4;

const CMD_SCALE_1_1: u32 = 0xe6;
const CMD_SCALE_2_1: u32 = 0xe7;
const CMD_RESOLUTION: u32 = 0xe8;
const CMD_STATUS: u32 = 0xe9;
const CMD_STREAM: u32 = 0xea;
const CMD_READ_DATA: u32 = 0xeb;
const CMD_RESET_WRAP: u32 = 0xec;
const CMD_WRAP: u32 = 0xee;
const CMD_REMOTE: u32 = 0xf0;
const CMD_IDENTIFY: u32 = 0xf2;
const CMD_SAMPLE_RATE: u32 = 0xf3;
const CMD_ENABLE: u32 = 0xf4;
const CMD_DISABLE: u32 = 0xf5;
const CMD_DEFAULTS: u32 = 0xf6;
const CMD_RESEND: u32 = 0xfe;
const CMD_RESET: u32 = 0xff;
const REPLY_ACK: u32 = 0xfa;
const REPLY_RESEND: u32 = 0xfe;
const REPLY_SELF_TEST_OK: u32 = 0xaa;

const DEFAULT_RATE: u32 = 100;
const DEFAULT_RESOLUTION: u32 = 2;
const DETECT_RATE_1: u32 = 200;
const DETECT_RATE_2_WHEEL: u32 = 100;
const DETECT_RATE_2_EXPLORER: u32 = 200;
const DETECT_RATE_3: u32 = 80;
const DETECT_SAW_200: u32 = 1;
const DETECT_SAW_200_100: u32 = 2;
const DETECT_SAW_200_200: u32 = 3;

// ---- the queue ----
@inline function count(): u32 {
  return <u32>load<u8>(M_COUNT);
}
export function mouseHasData(): bool {
  return count() != 0;
}
function room(): u32 {
  return MOUSE_QUEUE_SIZE - count();
}
function put(b: u32): void {
  const n = count();
  if (n >= MOUSE_QUEUE_SIZE) return;
  const at = (<u32>load<u8>(M_READ) + n) & (MOUSE_QUEUE_SIZE - 1);
  store<u8>(M_QUEUE + at, <u8>b);
  store<u8>(M_COUNT, <u8>(n + 1));
}
/** The controller takes the next byte (mouseHasData() must be true). */
export function mouseTake(): u32 {
  const r = <u32>load<u8>(M_READ);
  const b = <u32>load<u8>(M_QUEUE + r);
  store<u8>(M_READ, <u8>((r + 1) & (MOUSE_QUEUE_SIZE - 1)));
  store<u8>(M_COUNT, <u8>(count() - 1));
  return b;
}
function clearQueue(): void {
  store<u8>(M_COUNT, 0);
  store<u8>(M_READ, 0);
}
function clearCounters(): void {
  store<i32>(M_DX, 0);
  store<i32>(M_DY, 0);
  store<i32>(M_DZ, 0);
}

function setDefaults(): void {
  store<u8>(M_STATUS, 0);
  store<u8>(M_RATE, <u8>DEFAULT_RATE);
  store<u8>(M_RESOLUTION, <u8>DEFAULT_RESOLUTION);
  clearCounters();
}

/** Power-on: defaults, stream mode, reporting disabled, standard id. */
export function mouseReset(): void {
  clearQueue();
  setDefaults();
  store<u8>(M_WRAP, 0);
  store<u8>(M_ID, <u8>ID_STANDARD);
  store<u8>(M_DETECT, 0);
  store<u8>(M_PENDING, 0);
  store<u8>(M_BUTTONS, 0);
  store<u8>(M_SENT_BUTTONS, 0);
}

@inline function clamp(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/** 2:1 scaling (Technical Reference): 0 1 1 3 6 9 for |d| = 0..5, then 2d. */
function scale21(d: i32): i32 {
  const m = d < 0 ? -d : d;
  let s: i32;
  if (m <= 2) s = m == 0 ? 0 : 1;
  else if (m <= 5) s = (m - 2) * 3;
  else s = m * 2;
  return d < 0 ? -s : s;
}

function packetSize(): u32 {
  return load<u8>(M_ID) == ID_STANDARD ? 3 : 4;
}

/**
 * Put one packet from the counters. `carry`: keep what does not fit for the
 * next packet (stream mode); otherwise clamp, flag overflow and clear.
 */
function sendPacket(carry: bool): void {
  const dx = load<i32>(M_DX);
  const dy = load<i32>(M_DY);
  const dz = load<i32>(M_DZ);
  let x = clamp(dx, MOVE_MIN, MOVE_MAX);
  let y = clamp(dy, MOVE_MIN, MOVE_MAX);
  const id = <u32>load<u8>(M_ID);
  const z = id == ID_EXPLORER ? clamp(dz, WHEEL4_MIN, WHEEL4_MAX) : clamp(dz, WHEEL_MIN, WHEEL_MAX);
  const buttons = <u32>load<u8>(M_BUTTONS);
  let b0 = PACKET_ALWAYS_1 | (buttons & BUTTONS_3);
  if (!carry) {
    if (x != dx) b0 |= PACKET_X_OVERFLOW;
    if (y != dy) b0 |= PACKET_Y_OVERFLOW;
  }
  if (carry) {
    store<i32>(M_DX, dx - x);
    store<i32>(M_DY, dy - y);
    store<i32>(M_DZ, id == ID_STANDARD ? 0 : dz - z);
  } else {
    clearCounters();
  }
  if ((<u32>load<u8>(M_STATUS) & STATUS_SCALE21) != 0 && carry) {
    x = clamp(scale21(x), MOVE_MIN, MOVE_MAX);
    y = clamp(scale21(y), MOVE_MIN, MOVE_MAX);
  }
  if (x < 0) b0 |= PACKET_X_SIGN;
  if (y < 0) b0 |= PACKET_Y_SIGN;
  put(b0);
  put(<u32>x & 0xff);
  put(<u32>y & 0xff);
  if (id == ID_INTELLIMOUSE) put(<u32>z & 0xff);
  else if (id == ID_EXPLORER) put((<u32>z & 0x0f) | ((buttons & (BUTTON_4 | BUTTON_5)) << 1));
  store<u8>(M_SENT_BUTTONS, <u8>buttons);
}

/** Stream mode: send packets while there is news and room. */
function stream(): void {
  const status = <u32>load<u8>(M_STATUS);
  if ((status & STATUS_ENABLED) == 0 || (status & STATUS_REMOTE) != 0) return;
  while (room() >= packetSize()) {
    const moved = load<i32>(M_DX) != 0 || load<i32>(M_DY) != 0 || load<i32>(M_DZ) != 0;
    if (!moved && load<u8>(M_BUTTONS) == load<u8>(M_SENT_BUTTONS)) return;
    sendPacket(true);
  }
}

/**
 * Host input: movement (dx right, dy down as on a screen), the buttons now
 * down (BUTTON_*), wheel steps (positive towards the user).
 */
export function mouseEvent(dx: i32, dy: i32, buttons: u32, wheel: i32): void {
  const status = <u32>load<u8>(M_STATUS);
  // Counters of a disabled stream-mode mouse do not move (QEMU drops the motion too).
  if ((status & (STATUS_ENABLED | STATUS_REMOTE)) == 0) return;
  store<i32>(M_DX, clamp(load<i32>(M_DX) + dx, -0x10000, 0x10000));
  store<i32>(M_DY, clamp(load<i32>(M_DY) - dy, -0x10000, 0x10000));
  store<i32>(M_DZ, clamp(load<i32>(M_DZ) + wheel, -0x10000, 0x10000));
  store<u8>(M_BUTTONS, <u8>(buttons & (BUTTONS_3 | BUTTON_4 | BUTTON_5)));
  stream();
}

/** The controller took bytes: continue a stream that waited for room. */
export function mouseService(): void {
  stream();
}

export function mouseWrite(v: u32): void {
  if (load<u8>(M_WRAP) != 0 && v != CMD_RESET_WRAP && v != CMD_RESET) {
    put(v); // wrap mode echoes everything but these two (Technical Reference)
    return;
  }
  const pending = <u32>load<u8>(M_PENDING);
  store<u8>(M_PENDING, 0);
  if (pending == CMD_SAMPLE_RATE) {
    setSampleRate(v);
    put(REPLY_ACK);
    return;
  }
  if (pending == CMD_RESOLUTION) {
    store<u8>(M_RESOLUTION, <u8>(v & 3));
    put(REPLY_ACK);
    return;
  }
  const status = <u32>load<u8>(M_STATUS);
  switch (v) {
    case CMD_SCALE_1_1:
      store<u8>(M_STATUS, <u8>(status & ~STATUS_SCALE21));
      put(REPLY_ACK);
      return;
    case CMD_SCALE_2_1:
      store<u8>(M_STATUS, <u8>(status | STATUS_SCALE21));
      put(REPLY_ACK);
      return;
    case CMD_RESOLUTION:
    case CMD_SAMPLE_RATE:
      store<u8>(M_PENDING, <u8>v);
      put(REPLY_ACK);
      return;
    case CMD_STATUS: {
      // Status byte 1: bit 0 right, 1 middle, 2 left (note: not the packet order).
      const b = <u32>load<u8>(M_BUTTONS);
      const buttons = ((b & BUTTON_RIGHT) >> 1) | ((b & BUTTON_MIDDLE) >> 1) | ((b & BUTTON_LEFT) << 2);
      put(REPLY_ACK);
      put((status & (STATUS_REMOTE | STATUS_ENABLED | STATUS_SCALE21)) | buttons);
      put(<u32>load<u8>(M_RESOLUTION));
      put(<u32>load<u8>(M_RATE));
      return;
    }
    case CMD_STREAM:
      store<u8>(M_STATUS, <u8>(status & ~STATUS_REMOTE));
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_REMOTE:
      store<u8>(M_STATUS, <u8>(status | STATUS_REMOTE));
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_READ_DATA:
      put(REPLY_ACK);
      sendPacket(false);
      return;
    case CMD_RESET_WRAP:
      store<u8>(M_WRAP, 0);
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_WRAP:
      store<u8>(M_WRAP, 1);
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_IDENTIFY:
      clearCounters();
      put(REPLY_ACK);
      put(<u32>load<u8>(M_ID));
      return;
    case CMD_ENABLE:
      store<u8>(M_STATUS, <u8>(status | STATUS_ENABLED));
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_DISABLE:
      store<u8>(M_STATUS, <u8>(status & ~STATUS_ENABLED));
      clearCounters();
      put(REPLY_ACK);
      return;
    case CMD_DEFAULTS:
      setDefaults();
      put(REPLY_ACK);
      return;
    case CMD_RESEND:
      // Without a record of the last packet, answer as for a garbled byte.
      put(REPLY_RESEND);
      return;
    case CMD_RESET:
      mouseReset();
      put(REPLY_ACK);
      put(REPLY_SELF_TEST_OK);
      put(ID_STANDARD);
      return;
    default:
      put(REPLY_RESEND);
      return;
  }
}

/** Set Sample Rate, watching for the IntelliMouse knock sequences. */
function setSampleRate(v: u32): void {
  store<u8>(M_RATE, <u8>v);
  const state = <u32>load<u8>(M_DETECT);
  let next: u32 = v == DETECT_RATE_1 ? DETECT_SAW_200 : 0;
  if (state == DETECT_SAW_200) {
    if (v == DETECT_RATE_2_WHEEL) next = DETECT_SAW_200_100;
    else if (v == DETECT_RATE_2_EXPLORER) next = DETECT_SAW_200_200;
  } else if (state == DETECT_SAW_200_100 && v == DETECT_RATE_3) {
    store<u8>(M_ID, <u8>ID_INTELLIMOUSE);
    next = 0;
  } else if (state == DETECT_SAW_200_200 && v == DETECT_RATE_3) {
    // The Explorer sequence only upgrades a mouse already in wheel mode (Microsoft's protocol).
    if (load<u8>(M_ID) == ID_INTELLIMOUSE) store<u8>(M_ID, <u8>ID_EXPLORER);
    next = 0;
  }
  store<u8>(M_DETECT, <u8>next);
}
