// PS/2 (MF2) keyboard behind the 8042's keyboard port.
//
// References: IBM PS/2 Hardware Interface Technical Reference, "Keyboard and
// Auxiliary Device Controller" and "101/102-Key Keyboard" (commands, scan code
// sets 1-3, typematic rates); QEMU hw/input/ps2.c for what guests see under
// QEMU (identify 0xAB 0x83, set-2 default).
//
// The keyboard talks scan code set 2 (or 1 or 3 when told, command 0xF0); the
// 8042 translates set 2 to set 1 when its command byte says so (i8042.ts).
// Replies and key codes wait in the keyboard's own 16-byte buffer until the
// controller's output buffer is free (the PS/2 clock is inhibited meanwhile).
//
// Keys come from the host as key numbers (host/ps2-input.ts maps
// KeyboardEvent.code): the set-2 make code in bits 0-7 and KEY_EXTENDED (the
// 0xE0 prefix) in bit 8; KEY_PAUSE is Pause (E1 14 77 E1 F0 14 F0 77, make
// only, never repeats) and PrintScreen (E0 7C) gets its fake shift E0 12.
// Typematic: the last key pressed repeats its make code after the delay at the
// rate set by command 0xF3, on the virtual clock (i8042Advance in i8042.ts).

import { I8042_STATE } from '../machine/layout';
import { NO_DEADLINE } from '../machine/clock';

// ---- state (I8042_STATE + 0x40 .. 0x80) ----
const KBD: u32 = I8042_STATE + 0x40;
const K_COUNT: u32 = KBD + 0x00; // u8 bytes queued
const K_READ: u32 = KBD + 0x01; // u8 queue read index
const K_SET: u32 = KBD + 0x02; // u8 scan code set 1..3
const K_SCANNING: u32 = KBD + 0x03; // u8 1 = scanning enabled
const K_LEDS: u32 = KBD + 0x04; // u8 LED bits (0 scroll, 1 num, 2 caps)
const K_TYPEMATIC: u32 = KBD + 0x05; // u8 last 0xF3 argument
const K_PENDING: u32 = KBD + 0x06; // u8 command waiting for its argument, 0 none
const K_LAST_SENT: u32 = KBD + 0x07; // u8 last byte handed to the controller (0xFE resend)
const K_HELD: u32 = KBD + 0x08; // u16 key number repeating, 0 none
const K_REPEAT_AT: u32 = KBD + 0x10; // u64 ns of the next typematic repeat
const K_QUEUE: u32 = KBD + 0x20; // 16 bytes
export const KBD_QUEUE_SIZE: u32 = 16;

// ---- key numbers (host protocol) ----
export const KEY_EXTENDED: u32 = 0x100;
export const KEY_PAUSE: u32 = 0x200;
const KEY_PRINT_SCREEN: u32 = KEY_EXTENDED | 0x7c;
const KEY_CODE_MASK: u32 = 0xff;
/** Longest sequence a key produces (Pause). */
const KEY_MAX_BYTES: u32 = 8;

// ---- commands and replies ----
const CMD_SET_LEDS: u32 = 0xed;
const CMD_ECHO: u32 = 0xee;
const CMD_SCAN_SET: u32 = 0xf0;
const CMD_IDENTIFY: u32 = 0xf2;
const CMD_TYPEMATIC: u32 = 0xf3;
const CMD_ENABLE: u32 = 0xf4;
const CMD_DISABLE: u32 = 0xf5;
const CMD_DEFAULTS: u32 = 0xf6;
const CMD_SET3_FIRST: u32 = 0xf7; // 0xF7-0xFD: set-3 key type commands (accepted, no effect)
const CMD_SET3_LAST: u32 = 0xfd;
const CMD_RESEND: u32 = 0xfe;
const CMD_RESET: u32 = 0xff;
const REPLY_ACK: u32 = 0xfa;
const REPLY_RESEND: u32 = 0xfe;
const REPLY_SELF_TEST_OK: u32 = 0xaa;
const REPLY_ID_1: u32 = 0xab;
const REPLY_ID_2: u32 = 0x83;
const SET2_BREAK: u32 = 0xf0;
const PREFIX_E0: u32 = 0xe0;
const PREFIX_E1: u32 = 0xe1;
/** A command byte has bit 7 set; arguments of ED/F0/F3 never do, so one aborts a pending command. */
const COMMAND_BIT: u32 = 0x80;

/** Power-on typematic setting: 10.9 characters/s after 500 ms. */
const TYPEMATIC_DEFAULT: u32 = 0x2b;
/** Typematic period = (8 + A) * 2^B * 4.17 ms (A = bits 0-2, B = bits 3-4): in ns units of 4.17 ms. */
const TYPEMATIC_UNIT_NS: u64 = 4_170_000;
const TYPEMATIC_DELAY_UNIT_NS: u64 = 250_000_000;

// ---- scan code tables ----
/** The 8042's set-2 → set-1 translation (IBM PS/2 Technical Reference; same table as QEMU's). */
export const SET2_TO_SET1: usize = memory.data<u8>([
  0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
  0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
  0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
  0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
  0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
  0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
  0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
  0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
]);
const SET2_TABLE_SIZE: u32 = 0x80;
/** Codes 0x80-0xFF translate to themselves except these two (F7 is set-2 0x83, Alt+SysRq 0x84). */
const SET2_F7: u32 = 0x83;
const SET1_F7: u32 = 0x41;
const SET2_SYSRQ: u32 = 0x84;
const SET1_SYSRQ: u32 = 0x54;

/** Set 1 code of a set-2 byte (the 8042's translation, without the break prefix). */
export function set2ToSet1(b: u32): u32 {
  b &= 0xff;
  if (b < SET2_TABLE_SIZE) return <u32>load<u8>(SET2_TO_SET1 + b);
  if (b == SET2_F7) return SET1_F7;
  if (b == SET2_SYSRQ) return SET1_SYSRQ;
  return b;
}

/**
 * Set-3 codes by set-1 code for the unprefixed keys (PS/2 Technical
 * Reference, scan code set 3; the table QEMU used), 0 where set 3 has no key.
 */
const SET1_TO_SET3: usize = memory.data<u8>([
  0, 8, 22, 30, 38, 37, 46, 54, 61, 62, 70, 69, 78, 85, 102, 13,
  21, 29, 36, 45, 44, 53, 60, 67, 68, 77, 84, 91, 90, 17, 28, 27,
  35, 43, 52, 51, 59, 66, 75, 76, 82, 14, 18, 92, 26, 34, 33, 42,
  50, 49, 58, 65, 73, 74, 89, 126, 25, 41, 20, 7, 15, 23, 31, 39,
  47, 2, 63, 71, 79, 118, 95, 108, 117, 125, 132, 107, 115, 116, 124, 105,
  114, 122, 112, 113, 127, 96, 97, 86, 94, 0, 0, 0, 0, 0, 0, 0,
]);
const SET1_TO_SET3_SIZE: u32 = 0x60;

/** Set-3 code of an extended (E0) set-2 key; 0 if none. */
function set3Extended(code: u32): u32 {
  switch (code) {
    case 0x11: return 0x39; // right Alt
    case 0x14: return 0x58; // right Ctrl
    case 0x70: return 0x67; // Insert
    case 0x71: return 0x64; // Delete
    case 0x6c: return 0x6e; // Home
    case 0x69: return 0x65; // End
    case 0x7d: return 0x6f; // Page Up
    case 0x7a: return 0x6d; // Page Down
    case 0x75: return 0x63; // Up
    case 0x72: return 0x60; // Down
    case 0x6b: return 0x61; // Left
    case 0x74: return 0x6a; // Right
    case 0x4a: return 0x77; // keypad /
    case 0x5a: return 0x79; // keypad Enter
    case 0x7c: return 0x57; // Print Screen
    case 0x1f: return 0x8b; // left GUI
    case 0x27: return 0x8c; // right GUI
    case 0x2f: return 0x8d; // Menu
    default: return 0;
  }
}

// ---- the queue ----
@inline function count(): u32 {
  return <u32>load<u8>(K_COUNT);
}
export function kbdQueueRoom(): u32 {
  return KBD_QUEUE_SIZE - count();
}
export function kbdHasData(): bool {
  return count() != 0;
}
function put(b: u32): void {
  const n = count();
  if (n >= KBD_QUEUE_SIZE) return;
  const at = (<u32>load<u8>(K_READ) + n) & (KBD_QUEUE_SIZE - 1);
  store<u8>(K_QUEUE + at, <u8>b);
  store<u8>(K_COUNT, <u8>(n + 1));
}
/** The controller takes the next byte (kbdHasData() must be true). */
export function kbdTake(): u32 {
  const r = <u32>load<u8>(K_READ);
  const b = <u32>load<u8>(K_QUEUE + r);
  store<u8>(K_READ, <u8>((r + 1) & (KBD_QUEUE_SIZE - 1)));
  store<u8>(K_COUNT, <u8>(count() - 1));
  store<u8>(K_LAST_SENT, <u8>b);
  return b;
}
function clearQueue(): void {
  store<u8>(K_COUNT, 0);
  store<u8>(K_READ, 0);
}

// ---- reset and defaults ----
function setDefaults(): void {
  store<u8>(K_SET, 2);
  store<u8>(K_TYPEMATIC, <u8>TYPEMATIC_DEFAULT);
  store<u16>(K_HELD, 0);
  store<u64>(K_REPEAT_AT, NO_DEADLINE);
}

/** Power-on: set 2, scanning, LEDs off, empty buffer. */
export function kbdReset(): void {
  clearQueue();
  setDefaults();
  store<u8>(K_SCANNING, 1);
  store<u8>(K_LEDS, 0);
  store<u8>(K_PENDING, 0);
  store<u8>(K_LAST_SENT, 0);
}

export function kbdLeds(): u32 {
  return <u32>load<u8>(K_LEDS);
}
export function kbdScanSet(): u32 {
  return <u32>load<u8>(K_SET);
}

// ---- commands from the host CPU (through the 8042) ----
export function kbdWrite(v: u32): void {
  const pending = <u32>load<u8>(K_PENDING);
  if (pending != 0 && (v & COMMAND_BIT) == 0) {
    store<u8>(K_PENDING, 0);
    kbdArgument(pending, v);
    return;
  }
  store<u8>(K_PENDING, 0);
  switch (v) {
    case CMD_SET_LEDS:
    case CMD_SCAN_SET:
    case CMD_TYPEMATIC:
      store<u8>(K_PENDING, <u8>v);
      put(REPLY_ACK);
      return;
    case CMD_ECHO:
      put(CMD_ECHO);
      return;
    case CMD_IDENTIFY:
      put(REPLY_ACK);
      put(REPLY_ID_1);
      put(REPLY_ID_2);
      return;
    case CMD_ENABLE:
      // Enable clears the output buffer and the typematic key (Technical Reference).
      clearQueue();
      store<u16>(K_HELD, 0);
      store<u64>(K_REPEAT_AT, NO_DEADLINE);
      store<u8>(K_SCANNING, 1);
      put(REPLY_ACK);
      return;
    case CMD_DISABLE:
      clearQueue();
      setDefaults();
      store<u8>(K_SCANNING, 0);
      put(REPLY_ACK);
      return;
    case CMD_DEFAULTS:
      clearQueue();
      setDefaults();
      store<u8>(K_SCANNING, 1);
      put(REPLY_ACK);
      return;
    case CMD_RESEND:
      put(<u32>load<u8>(K_LAST_SENT));
      return;
    case CMD_RESET:
      kbdReset();
      put(REPLY_ACK);
      put(REPLY_SELF_TEST_OK);
      return;
    default:
      if (v >= CMD_SET3_FIRST && v <= CMD_SET3_LAST) put(REPLY_ACK);
      else put(REPLY_RESEND);
      return;
  }
}

function kbdArgument(cmd: u32, v: u32): void {
  switch (cmd) {
    case CMD_SET_LEDS:
      store<u8>(K_LEDS, <u8>(v & 7));
      put(REPLY_ACK);
      return;
    case CMD_TYPEMATIC:
      store<u8>(K_TYPEMATIC, <u8>(v & 0x7f));
      put(REPLY_ACK);
      return;
    case CMD_SCAN_SET:
      if (v == 0) {
        put(REPLY_ACK);
        put(<u32>load<u8>(K_SET));
      } else if (v <= 3) {
        store<u8>(K_SET, <u8>v);
        put(REPLY_ACK);
      } else {
        put(REPLY_RESEND);
      }
      return;
  }
}

// ---- keys from the host ----
function putMake(set: u32, key: u32): void {
  const code = key & KEY_CODE_MASK;
  const ext = (key & KEY_EXTENDED) != 0;
  if (set == 3) {
    const c = ext ? set3Extended(code) : set3Plain(code);
    if (c != 0) put(c);
    return;
  }
  if (key == KEY_PRINT_SCREEN) {
    putSet(set, PREFIX_E0);
    putSet(set, 0x12);
  }
  if (ext) putSet(set, PREFIX_E0);
  putSet(set, code);
}

function putBreak(set: u32, key: u32): void {
  const code = key & KEY_CODE_MASK;
  const ext = (key & KEY_EXTENDED) != 0;
  if (set == 3) {
    const c = ext ? set3Extended(code) : set3Plain(code);
    if (c != 0) {
      put(SET2_BREAK);
      put(c);
    }
    return;
  }
  if (ext) putSet(set, PREFIX_E0);
  putBreakCode(set, code);
  if (key == KEY_PRINT_SCREEN) {
    putSet(set, PREFIX_E0);
    putBreakCode(set, 0x12);
  }
}

function set3Plain(code: u32): u32 {
  const s1 = set2ToSet1(code);
  return s1 < SET1_TO_SET3_SIZE ? <u32>load<u8>(SET1_TO_SET3 + s1) : 0;
}

/** A set-2 byte in the keyboard's current set (1 or 2); prefixes pass unchanged. */
function putSet(set: u32, b: u32): void {
  put(set == 1 && b != PREFIX_E0 && b != PREFIX_E1 ? set2ToSet1(b) : b);
}
function putBreakCode(set: u32, code: u32): void {
  if (set == 1) put(set2ToSet1(code) | 0x80);
  else {
    put(SET2_BREAK);
    put(code);
  }
}

/** Pause: E1 14 77 E1 F0 14 F0 77 in set 2 (its translation in set 1), no break. */
function putPause(set: u32): void {
  if (set == 3) {
    put(0x62);
    return;
  }
  putSet(set, PREFIX_E1);
  putSet(set, 0x14);
  putSet(set, 0x77);
  putSet(set, PREFIX_E1);
  putBreakCode(set, 0x14);
  putBreakCode(set, 0x77);
}

/** The typematic period and delay of the current setting, in ns. */
function typematicPeriod(): u64 {
  const t = <u32>load<u8>(K_TYPEMATIC);
  return <u64>(8 + (t & 7)) * (<u64>1 << <u64>((t >> 3) & 3)) * TYPEMATIC_UNIT_NS;
}
function typematicDelay(): u64 {
  return <u64>(1 + ((<u32>load<u8>(K_TYPEMATIC) >> 5) & 3)) * TYPEMATIC_DELAY_UNIT_NS;
}

/**
 * A key went down (pressed) or up at virtual time `now`. Returns false when
 * the buffer has no room for the key's bytes (the host keeps the event).
 */
export function kbdKeyEvent(key: u32, pressed: bool, now: u64): bool {
  if (load<u8>(K_SCANNING) == 0) return true; // a disabled keyboard does not scan
  if (kbdQueueRoom() < KEY_MAX_BYTES) return false;
  const set = <u32>load<u8>(K_SET);
  key &= KEY_PAUSE | KEY_EXTENDED | KEY_CODE_MASK;
  if (key == KEY_PAUSE) {
    if (pressed) putPause(set);
    return true;
  }
  if (pressed) {
    putMake(set, key);
    store<u16>(K_HELD, <u16>key);
    store<u64>(K_REPEAT_AT, now + typematicDelay());
  } else {
    putBreak(set, key);
    if (<u32>load<u16>(K_HELD) == key) {
      store<u16>(K_HELD, 0);
      store<u64>(K_REPEAT_AT, NO_DEADLINE);
    }
  }
  return true;
}

/** Typematic: repeat the held key's make code for each period elapsed by `now`; the next deadline. */
export function kbdAdvance(now: u64): u64 {
  let at = load<u64>(K_REPEAT_AT);
  if (at == NO_DEADLINE || now < at) return at;
  const key = <u32>load<u16>(K_HELD);
  const period = typematicPeriod();
  const due = (now - at) / period + 1;
  at += due * period;
  // A real keyboard sends nothing while the controller holds it off; repeats
  // that do not fit are simply not sent.
  const set = <u32>load<u8>(K_SET);
  for (let i: u64 = 0; i < due && kbdQueueRoom() >= KEY_MAX_BYTES; i++) putMake(set, key);
  store<u64>(K_REPEAT_AT, at);
  return at;
}
