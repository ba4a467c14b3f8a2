// Keyboard and mouse input for the guest's 8042 (core-as/devices/i8042.ts).
//
// The host sends events, not scan codes: the device turns a key number into
// the bytes of the guest-selected scan code set and repeats a held key itself
// (typematic, on the virtual clock). Records are INPUT_EVENT_SIZE bytes in the
// RING_INPUT ring (host/rings.ts inputRing):
//
//   key:    [kind = 1 down | 2 up, 0, key number lo, key number hi, 0, 0, 0, 0]
//   mouse:  [3, 0, dx lo, dx hi, dy lo, dy hi, buttons, wheel]
//
// A key number is the key's set-2 make code with KEY_EXTENDED (0x100) for the
// keys that send an E0 prefix; KEY_PAUSE (0x200) is Pause. dx/dy are i16
// (right, down as on the screen), buttons bit 0 left, 1 right, 2 middle,
// 3 back, 4 forward, wheel an i8 of steps (positive: towards the user, as a
// DOM WheelEvent with deltaY > 0).
//
// KEY_CODES maps DOM KeyboardEvent.code values to key numbers (scan code set 2
// from the IBM PS/2 Technical Reference and Microsoft's "Keyboard Scan Code
// Specification").

import type { HostRing } from './rings.js';

export const INPUT_EVENT_SIZE = 8;
const INPUT_KEY_DOWN = 1;
const INPUT_KEY_UP = 2;
const INPUT_MOUSE = 3;
export const KEY_EXTENDED = 0x100;
export const KEY_PAUSE = 0x200;
const E = KEY_EXTENDED;

export const KEY_CODES: Readonly<Record<string, number>> = {
  Escape: 0x76,
  F1: 0x05,
  F2: 0x06,
  F3: 0x04,
  F4: 0x0c,
  F5: 0x03,
  F6: 0x0b,
  F7: 0x83,
  F8: 0x0a,
  F9: 0x01,
  F10: 0x09,
  F11: 0x78,
  F12: 0x07,
  Backquote: 0x0e,
  Digit1: 0x16,
  Digit2: 0x1e,
  Digit3: 0x26,
  Digit4: 0x25,
  Digit5: 0x2e,
  Digit6: 0x36,
  Digit7: 0x3d,
  Digit8: 0x3e,
  Digit9: 0x46,
  Digit0: 0x45,
  Minus: 0x4e,
  Equal: 0x55,
  Backspace: 0x66,
  Tab: 0x0d,
  KeyQ: 0x15,
  KeyW: 0x1d,
  KeyE: 0x24,
  KeyR: 0x2d,
  KeyT: 0x2c,
  KeyY: 0x35,
  KeyU: 0x3c,
  KeyI: 0x43,
  KeyO: 0x44,
  KeyP: 0x4d,
  BracketLeft: 0x54,
  BracketRight: 0x5b,
  Backslash: 0x5d,
  CapsLock: 0x58,
  KeyA: 0x1c,
  KeyS: 0x1b,
  KeyD: 0x23,
  KeyF: 0x2b,
  KeyG: 0x34,
  KeyH: 0x33,
  KeyJ: 0x3b,
  KeyK: 0x42,
  KeyL: 0x4b,
  Semicolon: 0x4c,
  Quote: 0x52,
  Enter: 0x5a,
  ShiftLeft: 0x12,
  IntlBackslash: 0x61,
  KeyZ: 0x1a,
  KeyX: 0x22,
  KeyC: 0x21,
  KeyV: 0x2a,
  KeyB: 0x32,
  KeyN: 0x31,
  KeyM: 0x3a,
  Comma: 0x41,
  Period: 0x49,
  Slash: 0x4a,
  ShiftRight: 0x59,
  ControlLeft: 0x14,
  MetaLeft: E | 0x1f,
  AltLeft: 0x11,
  Space: 0x29,
  AltRight: E | 0x11,
  MetaRight: E | 0x27,
  ContextMenu: E | 0x2f,
  ControlRight: E | 0x14,
  PrintScreen: E | 0x7c,
  ScrollLock: 0x7e,
  Pause: KEY_PAUSE,
  Insert: E | 0x70,
  Home: E | 0x6c,
  PageUp: E | 0x7d,
  Delete: E | 0x71,
  End: E | 0x69,
  PageDown: E | 0x7a,
  ArrowUp: E | 0x75,
  ArrowLeft: E | 0x6b,
  ArrowDown: E | 0x72,
  ArrowRight: E | 0x74,
  NumLock: 0x77,
  NumpadDivide: E | 0x4a,
  NumpadMultiply: 0x7c,
  NumpadSubtract: 0x7b,
  Numpad7: 0x6c,
  Numpad8: 0x75,
  Numpad9: 0x7d,
  NumpadAdd: 0x79,
  Numpad4: 0x6b,
  Numpad5: 0x73,
  Numpad6: 0x74,
  Numpad1: 0x69,
  Numpad2: 0x72,
  Numpad3: 0x7a,
  Numpad0: 0x70,
  NumpadDecimal: 0x71,
  NumpadEnter: E | 0x5a,
  IntlRo: 0x51,
  IntlYen: 0x6a,
  KanaMode: 0x13,
  Convert: 0x64,
  NonConvert: 0x67,
  Power: E | 0x37,
  Sleep: E | 0x3f,
  WakeUp: E | 0x5e,
  AudioVolumeMute: E | 0x23,
  AudioVolumeDown: E | 0x21,
  AudioVolumeUp: E | 0x32,
  MediaPlayPause: E | 0x34,
  MediaStop: E | 0x3b,
  MediaTrackNext: E | 0x4d,
  MediaTrackPrevious: E | 0x15,
};

const I16_MIN = -0x8000;
const I16_MAX = 0x7fff;
const I8_MIN = -0x80;
const I8_MAX = 0x7f;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.trunc(v)));

/** The record for a key number going down or up. */
export function keyRecord(key: number, down: boolean): Uint8Array {
  const r = new Uint8Array(INPUT_EVENT_SIZE);
  r[0] = down ? INPUT_KEY_DOWN : INPUT_KEY_UP;
  r[2] = key & 0xff;
  r[3] = (key >> 8) & 0xff;
  return r;
}

/** The record for mouse movement, buttons and wheel (values clamped to their fields). */
export function mouseRecord(dx: number, dy: number, buttons: number, wheel = 0): Uint8Array {
  const r = new Uint8Array(INPUT_EVENT_SIZE);
  const view = new DataView(r.buffer);
  r[0] = INPUT_MOUSE;
  view.setInt16(2, clamp(dx, I16_MIN, I16_MAX), true);
  view.setInt16(4, clamp(dy, I16_MIN, I16_MAX), true);
  r[6] = buttons & 0x1f;
  view.setInt8(7, clamp(wheel, I8_MIN, I8_MAX));
  return r;
}

/** Writes whole records to the input ring; the caller then runs core.exports.serviceDevices(). */
export class PS2Input {
  constructor(private readonly ring: HostRing) {}

  /** False when the ring is full (try again after the guest ran). */
  private send(record: Uint8Array): boolean {
    if (this.ring.free < record.length) return false;
    this.ring.write(record);
    return true;
  }

  /** A DOM KeyboardEvent.code going down or up; false for unknown codes or a full ring. */
  key(code: string, down: boolean): boolean {
    const key = KEY_CODES[code];
    if (key === undefined) return false;
    return this.send(keyRecord(key, down));
  }

  keyNumber(key: number, down: boolean): boolean {
    return this.send(keyRecord(key, down));
  }

  mouse(dx: number, dy: number, buttons: number, wheel = 0): boolean {
    return this.send(mouseRecord(dx, dy, buttons, wheel));
  }
}
