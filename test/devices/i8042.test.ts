// The 8042 keyboard controller, PS/2 keyboard and PS/2 mouse as drivers see
// them: command transcripts from the IBM PS/2 Hardware Interface Technical
// Reference ("Keyboard and Auxiliary Device Controller", "Keyboard",
// "Pointing Device"), through core.wasm's port exports and the input ring.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { inputRing } from '../../host/rings.js';
import { PS2Input, KEY_CODES, KEY_PAUSE } from '../../host/ps2-input.js';
import * as L from '../../host/generated/cpu-layout.js';

const DATA = 0x60;
const CMD = 0x64;
const STATUS_OBF = 0x01;
const STATUS_SYS = 0x04;
const STATUS_A2 = 0x08;
const STATUS_AUX_OBF = 0x20;
const MODE_KBD_INT = 0x01;
const MODE_AUX_INT = 0x02;
const MODE_DISABLE_KBD = 0x10;
const MODE_TRANSLATE = 0x40;
const ACK = 0xfa;
const IRQ_KBD = 1;
const IRQ_MOUSE = 12;
const NS_PER_INSTRUCTION = 10;

let core: Core;
let input: PS2Input;
const inb = (port: number): number => core.exports.portRead(port, 1);
const outb = (port: number, v: number): void => core.exports.portWrite(port, v, 1);

/** Everything the output buffer delivers now, as a driver polling OBF would read it. */
function drain(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64 && inb(CMD) & STATUS_OBF; i++) out.push(inb(DATA));
  return out;
}
function command(cmd: number, arg?: number): number[] {
  outb(CMD, cmd);
  if (arg !== undefined) outb(DATA, arg);
  return drain();
}
/** Write a byte to the keyboard and collect its answer. */
function kbd(...bytes: number[]): number[] {
  const out: number[] = [];
  for (const b of bytes) {
    outb(DATA, b);
    out.push(...drain());
  }
  return out;
}
function mouse(...bytes: number[]): number[] {
  const out: number[] = [];
  for (const b of bytes) {
    outb(CMD, 0xd4);
    outb(DATA, b);
    out.push(...drain());
  }
  return out;
}
function setMode(mode: number): void {
  outb(CMD, 0x60);
  outb(DATA, mode);
}
function keys(...events: [string, boolean][]): number[] {
  for (const [code, down] of events) expect(input.key(code, down)).toBe(true);
  core.exports.serviceDevices();
  return drain();
}
/** Advance the virtual clock by `ns` with the CPU spinning on jmp $, servicing timers as run() does. */
function runFor(ns: number): void {
  core.run(Math.ceil(ns / NS_PER_INSTRUCTION));
}

beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
  input = new PS2Input(inputRing(core.memory));
  // jmp $ at 0 in flat 32-bit mode, so run() just lets time pass.
  core.writePhys(0, new Uint8Array([0xeb, 0xfe]));
  core.setupFlat32({ cpl: 0 });
  core.setReg('eip', 0);
});

describe('8042 controller', () => {
  it('powers on with an empty buffer, interrupts enabled and the system flag clear', () => {
    expect(inb(CMD) & (STATUS_OBF | STATUS_SYS)).toBe(0);
    expect(command(0x20)).toEqual([MODE_KBD_INT | MODE_AUX_INT]);
  });

  it('passes its self test with 0x55 and sets the system flag', () => {
    expect(command(0xaa)).toEqual([0x55]);
    expect(inb(CMD) & STATUS_SYS).toBe(STATUS_SYS);
  });

  it('reports both interface tests passed (0x00)', () => {
    expect(command(0xab)).toEqual([0x00]);
    expect(command(0xa9)).toEqual([0x00]);
  });

  it('reads back the command byte it was given, with the system flag in the status', () => {
    setMode(0x65);
    expect(command(0x20)).toEqual([0x65]);
    expect(inb(CMD) & STATUS_SYS).toBe(STATUS_SYS);
  });

  it('sets A2 in the status after a command-port write and clears it after a data-port write', () => {
    outb(CMD, 0x20);
    expect(inb(CMD) & STATUS_A2).toBe(STATUS_A2);
    drain();
    outb(DATA, 0xee);
    expect(inb(CMD) & STATUS_A2).toBe(0);
  });

  it('0xAD/0xAE and 0xA7/0xA8 set and clear the disable bits of the command byte', () => {
    command(0xad);
    command(0xa7);
    expect(command(0x20)).toEqual([MODE_KBD_INT | MODE_AUX_INT | MODE_DISABLE_KBD | 0x20]);
    command(0xae);
    command(0xa8);
    expect(command(0x20)).toEqual([MODE_KBD_INT | MODE_AUX_INT]);
  });

  it('holds keyboard data while the keyboard interface is disabled', () => {
    setMode(MODE_KBD_INT);
    command(0xad);
    keys(['KeyA', true]);
    expect(inb(CMD) & STATUS_OBF).toBe(0);
    outb(CMD, 0xae);
    expect(drain()).toEqual([0x1c]);
  });

  it('0xD2 and 0xD3 put a byte in the buffer as keyboard and as mouse data', () => {
    setMode(0);
    expect(command(0xd2, 0x42)).toEqual([0x42]);
    outb(CMD, 0xd3);
    outb(DATA, 0x24);
    expect(inb(CMD) & STATUS_AUX_OBF).toBe(STATUS_AUX_OBF);
    expect(inb(DATA)).toBe(0x24);
  });

  it('reads the output port with reset and A20 high, and the buffer-full bits', () => {
    const port = command(0xd0)[0];
    expect(port & 0x03).toBe(0x03);
    // Bit 4 reflects the keyboard byte waiting while the port is read.
    setMode(0);
    outb(CMD, 0xd2);
    outb(DATA, 0x11);
    // The D0 reply waits behind the buffered byte.
    outb(CMD, 0xd0);
    expect(inb(DATA)).toBe(0x11);
    expect(drain()[0] & 0x10).toBe(0x10);
  });

  it('gates A20 through output port bit 1 (0xD1) and with 0xDD/0xDF', () => {
    outb(CMD, 0xd1);
    outb(DATA, 0xcd);
    expect(core.getState(L.OFF_A20_MASK) >>> 0).toBe(0xffefffff);
    expect(command(0xd0)[0] & 0x02).toBe(0);
    outb(CMD, 0xdf);
    expect(core.getState(L.OFF_A20_MASK) >>> 0).toBe(0xffffffff);
    outb(CMD, 0xdd);
    expect(core.getState(L.OFF_A20_MASK) >>> 0).toBe(0xffefffff);
  });

  it('wraps addresses at 1 MiB for the CPU while A20 is off', () => {
    core.writePhys(0x100, new Uint8Array([0x11]));
    core.writePhys(0x100100, new Uint8Array([0x22]));
    // mov al, [0x100100]; jmp $
    core.writePhys(0x1000, new Uint8Array([0xa0, 0x00, 0x01, 0x10, 0x00, 0xeb, 0xfe]));
    outb(CMD, 0xdd);
    core.setReg('eip', 0x1000);
    core.run(2);
    expect(core.getReg('eax') & 0xff).toBe(0x11);
    outb(CMD, 0xdf);
    core.setReg('eip', 0x1000);
    core.run(2);
    expect(core.getReg('eax') & 0xff).toBe(0x22);
  });

  it('resets the machine on 0x64 ← 0xFE (pulse output port bit 0)', () => {
    // mov al, 0xfe; out 0x64, al; hlt
    core.writePhys(0x1000, new Uint8Array([0xb0, 0xfe, 0xe6, 0x64, 0xf4]));
    core.setReg('eip', 0x1000);
    expect(core.run(10).reason).toBe('reset');
  });

  it('does not reset on a pulse that leaves bit 0 high (0xFF)', () => {
    core.writePhys(0x1000, new Uint8Array([0xb0, 0xff, 0xe6, 0x64, 0xeb, 0xfe]));
    core.setReg('eip', 0x1000);
    expect(core.run(4).reason).toBe('limit');
  });

  it('resets the machine when the output port is written with bit 0 low', () => {
    // mov al, 0xd1; out 0x64, al; mov al, 0xcc; out 0x60, al
    core.writePhys(0x1000, new Uint8Array([0xb0, 0xd1, 0xe6, 0x64, 0xb0, 0xcc, 0xe6, 0x60, 0xf4]));
    core.setReg('eip', 0x1000);
    expect(core.run(10).reason).toBe('reset');
  });
});

describe('PS/2 keyboard', () => {
  beforeEach(() => setMode(MODE_KBD_INT));

  it('answers reset with ACK then self-test passed (0xAA)', () => {
    expect(kbd(0xff)).toEqual([ACK, 0xaa]);
  });

  it('identifies as an MF2 keyboard: ACK 0xAB 0x83, or 0xAB 0x41 through translation', () => {
    expect(kbd(0xf2)).toEqual([ACK, 0xab, 0x83]);
    setMode(MODE_KBD_INT | MODE_TRANSLATE);
    expect(kbd(0xf2)).toEqual([ACK, 0xab, 0x41]);
  });

  it('echoes 0xEE without an ACK', () => {
    expect(kbd(0xee)).toEqual([0xee]);
  });

  it('acknowledges both bytes of Set LEDs and shows the LEDs to the host', () => {
    expect(kbd(0xed, 0x05)).toEqual([ACK, ACK]);
    expect(core.exports.getKeyboardLeds()).toBe(5);
  });

  it('reports and changes its scan code set with 0xF0', () => {
    expect(kbd(0xf0, 0x00)).toEqual([ACK, ACK, 0x02]);
    expect(kbd(0xf0, 0x01)).toEqual([ACK, ACK]);
    expect(kbd(0xf0, 0x00)).toEqual([ACK, ACK, 0x01]);
    expect(kbd(0xf0, 0x03)).toEqual([ACK, ACK]);
    expect(kbd(0xf0, 0x00)).toEqual([ACK, ACK, 0x03]);
  });

  it('answers an unknown command with Resend (0xFE) and resends its last byte on 0xFE', () => {
    expect(kbd(0x99)).toEqual([0xfe]);
    kbd(0xee);
    expect(kbd(0xfe)).toEqual([0xee]);
  });

  it('aborts a pending argument when a new command arrives', () => {
    expect(kbd(0xed, 0xee)).toEqual([ACK, 0xee]);
  });

  it('sends set-2 make and break codes, with E0 for extended keys', () => {
    expect(keys(['KeyA', true], ['KeyA', false])).toEqual([0x1c, 0xf0, 0x1c]);
    expect(keys(['ArrowUp', true], ['ArrowUp', false])).toEqual([0xe0, 0x75, 0xe0, 0xf0, 0x75]);
  });

  it('has the controller translate set 2 to set 1 (break = make | 0x80)', () => {
    setMode(MODE_KBD_INT | MODE_TRANSLATE);
    expect(keys(['KeyA', true], ['KeyA', false])).toEqual([0x1e, 0x9e]);
    expect(keys(['Escape', true], ['Escape', false])).toEqual([0x01, 0x81]);
    expect(keys(['ControlRight', true], ['ControlRight', false])).toEqual([0xe0, 0x1d, 0xe0, 0x9d]);
    expect(keys(['F7', true])).toEqual([0x41]);
  });

  it('sends Pause as E1 14 77 E1 F0 14 F0 77 (E1 1D 45 E1 9D C5 translated), with no break', () => {
    expect(input.keyNumber(KEY_PAUSE, true)).toBe(true);
    expect(input.keyNumber(KEY_PAUSE, false)).toBe(true);
    core.exports.serviceDevices();
    expect(drain()).toEqual([0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77]);
    setMode(MODE_KBD_INT | MODE_TRANSLATE);
    expect(input.keyNumber(KEY_PAUSE, true)).toBe(true);
    core.exports.serviceDevices();
    expect(drain()).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  });

  it('sends Print Screen with its fake shift: E0 12 E0 7C, break E0 F0 7C E0 F0 12', () => {
    expect(keys(['PrintScreen', true], ['PrintScreen', false])).toEqual([0xe0, 0x12, 0xe0, 0x7c, 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12]);
  });

  it('generates set-1 codes itself in set 1 and set-3 codes in set 3', () => {
    kbd(0xf0, 0x01);
    expect(keys(['KeyA', true], ['KeyA', false])).toEqual([0x1e, 0x9e]);
    kbd(0xf0, 0x03);
    expect(keys(['KeyA', true], ['KeyA', false])).toEqual([0x1c, 0xf0, 0x1c]);
    expect(keys(['F1', true])).toEqual([0x07]);
  });

  it('stops scanning after 0xF5 and resumes after 0xF4', () => {
    expect(kbd(0xf5)).toEqual([ACK]);
    expect(keys(['KeyA', true])).toEqual([]);
    expect(kbd(0xf4)).toEqual([ACK]);
    expect(keys(['KeyA', true])).toEqual([0x1c]);
  });

  it('raises IRQ 1 while a keyboard byte waits and command byte bit 0 is set', () => {
    input.key('KeyA', true);
    core.exports.serviceDevices();
    expect(core.exports.getIrqLevel(IRQ_KBD)).toBe(1);
    inb(DATA);
    expect(core.exports.getIrqLevel(IRQ_KBD)).toBe(0);
    setMode(0);
    input.key('KeyB', true);
    core.exports.serviceDevices();
    expect(inb(CMD) & STATUS_OBF).toBe(STATUS_OBF);
    expect(core.exports.getIrqLevel(IRQ_KBD)).toBe(0);
  });

  it('keeps 16 bytes and leaves further key events in the host ring until there is room', () => {
    setMode(0);
    for (let i = 0; i < 12; i++) input.key('KeyA', i % 2 === 0);
    core.exports.serviceDevices();
    const got = drain();
    // Nothing lost: 6 make/break pairs = 18 bytes, delivered as room appears.
    core.exports.serviceDevices();
    got.push(...drain());
    core.exports.serviceDevices();
    got.push(...drain());
    expect(got).toEqual(Array(6).fill([0x1c, 0xf0, 0x1c]).flat());
  });

  it('repeats a held key after the typematic delay at the typematic rate (virtual clock)', () => {
    // 0xF3 0x00: 30 characters/s (period (8+0)·2^0·4.17 ms = 33.36 ms), delay 250 ms.
    expect(kbd(0xf3, 0x00)).toEqual([ACK, ACK]);
    expect(keys(['KeyA', true])).toEqual([0x1c]);
    runFor(240e6);
    expect(drain()).toEqual([]);
    runFor(20e6); // 260 ms: the first repeat (at 250 ms)
    expect(drain()).toEqual([0x1c]);
    runFor(100e6); // 360 ms: repeats at 283.4, 316.7, 350.1 ms
    expect(drain()).toEqual([0x1c, 0x1c, 0x1c]);
    expect(keys(['KeyA', false])).toEqual([0xf0, 0x1c]);
    runFor(200e6);
    expect(drain()).toEqual([]);
  });

  it('uses the default typematic setting (500 ms, 10.9/s) after reset', () => {
    kbd(0xff);
    keys(['KeyB', true]);
    runFor(490e6);
    expect(drain()).toEqual([]);
    runFor(100e6); // 590 ms: the repeat at 500 ms only (next at 591.7 ms)
    expect(drain()).toEqual([0x32]);
  });
});

describe('PS/2 mouse', () => {
  beforeEach(() => {
    setMode(MODE_KBD_INT | MODE_AUX_INT);
  });

  it('answers reset with ACK, 0xAA, id 0x00', () => {
    expect(mouse(0xff)).toEqual([ACK, 0xaa, 0x00]);
  });

  it('marks mouse bytes with AUX-OBF and raises IRQ 12, not IRQ 1', () => {
    outb(CMD, 0xd4);
    outb(DATA, 0xf2);
    expect(inb(CMD) & (STATUS_OBF | STATUS_AUX_OBF)).toBe(STATUS_OBF | STATUS_AUX_OBF);
    expect(core.exports.getIrqLevel(IRQ_MOUSE)).toBe(1);
    expect(core.exports.getIrqLevel(IRQ_KBD)).toBe(0);
    expect(drain()).toEqual([ACK, 0x00]);
    expect(core.exports.getIrqLevel(IRQ_MOUSE)).toBe(0);
  });

  it('becomes an IntelliMouse (id 3) after sample rates 200, 100, 80', () => {
    expect(mouse(0xf3, 200, 0xf3, 100, 0xf3, 80)).toEqual(Array(6).fill(ACK));
    expect(mouse(0xf2)).toEqual([ACK, 0x03]);
  });

  it('stays id 0 after another sample-rate sequence', () => {
    mouse(0xf3, 200, 0xf3, 80, 0xf3, 100);
    expect(mouse(0xf2)).toEqual([ACK, 0x00]);
  });

  it('reports status (0xE9): mode bits, resolution, sample rate', () => {
    mouse(0xe8, 3, 0xf3, 40, 0xe7, 0xf4);
    expect(mouse(0xe9)).toEqual([ACK, 0x30, 3, 40]);
    mouse(0xf0);
    expect(mouse(0xe9)).toEqual([ACK, 0x70, 3, 40]);
  });

  it('streams 3-byte packets with sign bits once reporting is enabled', () => {
    input.mouse(5, 3, 0x01);
    core.exports.serviceDevices();
    expect(drain()).toEqual([]); // reporting is off after reset
    expect(mouse(0xf4)).toEqual([ACK]);
    input.mouse(5, 3, 0x01); // right 5, down 3 (PS/2 Y grows upwards), left button
    core.exports.serviceDevices();
    expect(drain()).toEqual([0x08 | 0x20 | 0x01, 5, 0xfd]);
    input.mouse(-2, -4, 0x02);
    core.exports.serviceDevices();
    expect(drain()).toEqual([0x08 | 0x10 | 0x02, 0xfe, 4]);
  });

  it('splits motion beyond the 9-bit range over several packets', () => {
    mouse(0xf4);
    input.mouse(300, 0, 0);
    core.exports.serviceDevices();
    expect(drain()).toEqual([0x08, 0xff, 0, 0x08, 45, 0]);
  });

  it('sends 4-byte packets with the wheel as an IntelliMouse', () => {
    mouse(0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf4);
    input.mouse(1, 0, 0x04, 2);
    input.mouse(0, 0, 0x00, -1);
    core.exports.serviceDevices();
    expect(drain()).toEqual([0x08 | 0x04, 1, 0, 2, 0x08, 0, 0, 0xff]);
  });

  it('answers Read Data (0xEB) in remote mode with overflow bits for clamped counters', () => {
    mouse(0xf0);
    input.mouse(400, -3, 0);
    core.exports.serviceDevices();
    expect(drain()).toEqual([]); // remote mode sends nothing by itself
    expect(mouse(0xeb)).toEqual([ACK, 0x08 | 0x40, 0xff, 3]);
    expect(mouse(0xeb)).toEqual([ACK, 0x08, 0, 0]);
  });

  it('echoes everything but 0xEC and 0xFF in wrap mode', () => {
    expect(mouse(0xee)).toEqual([ACK]);
    expect(mouse(0x12, 0xf4)).toEqual([0x12, 0xf4]);
    expect(mouse(0xec)).toEqual([ACK]);
    expect(mouse(0xf2)).toEqual([ACK, 0x00]);
  });

  it('gives keyboard data priority over mouse data when the buffer frees', () => {
    mouse(0xf4);
    outb(CMD, 0xad); // hold both interfaces while both devices queue data
    outb(CMD, 0xa7);
    input.mouse(1, 0, 0);
    input.key('KeyA', true);
    core.exports.serviceDevices();
    expect(inb(CMD) & STATUS_OBF).toBe(0);
    setMode(0); // both interfaces enabled at once
    expect(inb(CMD) & STATUS_AUX_OBF).toBe(0);
    expect(drain()).toEqual([0x1c, 0x08, 1, 0]);
  });
});

describe('host key table', () => {
  it('maps every DOM code to a distinct key number', () => {
    const values = Object.values(KEY_CODES);
    expect(new Set(values).size).toBe(values.length);
  });
});
