// Port dispatch (core-as/machine/ports.ts), the debug console and
// isa-debug-exit, through core.wasm's portRead/portWrite (sizes in bytes).

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { debugconRing } from '../../host/rings.js';

const PORT_DEBUGCON = 0xe9;
const PORT_POST = 0x80;
const PORT_DEBUG_EXIT = 0xf4;
const PORT_UNCLAIMED = 0x1234;
const COM1_SCR = 0x3ff;
const COM1_LCR = 0x3fb;
const DETACHED = 0xffffffff;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
});

describe('I/O port dispatch', () => {
  it('reads all ones from ports no device decodes, at every size', () => {
    expect(core.exports.portRead(PORT_UNCLAIMED, 1)).toBe(0xff);
    expect(core.exports.portRead(PORT_UNCLAIMED, 2)).toBe(0xffff);
    expect(core.exports.portRead(PORT_UNCLAIMED, 4) >>> 0).toBe(0xffffffff);
    core.exports.portWrite(PORT_UNCLAIMED, 0x12345678, 4); // ignored, no effect
  });

  it('splits wide accesses to 8-bit devices into consecutive byte ports, low byte first', () => {
    core.exports.portWrite(COM1_LCR, 0x5a03, 2); // LCR = 0x03, MCR (0x3fc) = 0x5a & 0x1f
    expect(core.exports.portRead(COM1_LCR, 1)).toBe(0x03);
    expect(core.exports.portRead(COM1_LCR + 1, 1)).toBe(0x1a);
    core.exports.portWrite(COM1_SCR, 0x77, 1);
    // 0x3ff (SCR) then 0x400 (nothing there): the high byte floats.
    expect(core.exports.portRead(COM1_SCR, 2)).toBe(0xff77);
  });

  it('counts port accesses in the statistics schema', async () => {
    const { readStat } = await import('../../host/stats.js');
    const reads = readStat(core.memory, 'io_reads');
    const writes = readStat(core.memory, 'io_writes');
    core.exports.portWrite(COM1_SCR, 0x42, 1);
    expect(core.exports.portRead(COM1_SCR, 1)).toBe(0x42);
    expect(readStat(core.memory, 'io_reads')).toBe(reads + 1);
    expect(readStat(core.memory, 'io_writes')).toBe(writes + 1);
  });
});

describe('debug console (port 0xe9)', () => {
  it('reads back 0xe9 so guests can detect it', () => {
    expect(core.exports.portRead(PORT_DEBUGCON, 1)).toBe(0xe9);
  });

  it('sends written bytes to its host ring', () => {
    for (const b of new TextEncoder().encode('POST ok')) core.exports.portWrite(PORT_DEBUGCON, b, 1);
    expect(new TextDecoder().decode(debugconRing(core.memory, 0).read())).toBe('POST ok');
  });

  it('attaches further channels to any port and detaches them', () => {
    core.exports.setDebugconPort(1, PORT_POST);
    core.exports.portWrite(PORT_POST, 0x2a, 1);
    expect([...debugconRing(core.memory, 1).read()]).toEqual([0x2a]);
    core.exports.setDebugconPort(1, DETACHED);
    core.exports.portWrite(PORT_POST, 0x2b, 1);
    expect(debugconRing(core.memory, 1).used).toBe(0);
    expect(core.exports.portRead(PORT_POST, 1)).toBe(0xff);
  });
});

describe('isa-debug-exit (ports 0xf4-0xf7)', () => {
  it('records the written value for the host (which exits with (v << 1) | 1)', () => {
    core.exports.portWrite(PORT_DEBUG_EXIT, 0x21, 1);
    expect(core.exports.getExitCode()).toBe(0x21);
  });

  it('takes the whole value of a wide write, at any of its four ports', () => {
    core.exports.portWrite(PORT_DEBUG_EXIT, 0x1234, 2);
    expect(core.exports.getExitCode()).toBe(0x1234);
    core.exports.portWrite(PORT_DEBUG_EXIT + 3, 7, 1);
    expect(core.exports.getExitCode()).toBe(7);
  });

  // Needs MOV r8, imm8 and OUT imm8, AL (the flow/IO helpers' handlers).
  it('stops run() with the exit reason when guest code writes the port', () => {
    core.setupFlat32({ cpl: 0 });
    const code = [0xb0, 0x2a, 0xe6, PORT_DEBUG_EXIT, 0x0f, 0x0b]; // mov al, 0x2a; out 0xf4, al; ud2
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setReg('eip', 0x1000);
    const r = core.run(10, { stopOnException: true });
    expect(r.reason).toBe('exit');
    expect(core.exports.getExitCode()).toBe(0x2a);
    expect(core.getReg('eip')).toBe(0x1004);
  });
});
