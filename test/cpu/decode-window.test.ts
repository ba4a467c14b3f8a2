// The decoder's fetch window (core-as/cpu/decode.ts) stays open across
// instructions; these pin the behaviour it must keep: the 15-byte limit
// for prefixed instructions (SDM Vol. 2A §2.3.11), instructions and
// immediates that cross a page, and code changed behind the decoder.
import { describe, it, expect } from 'vitest';
import { createCore } from '../../host/core.js';

const UD2 = [0x0f, 0x0b];

async function flatCore() {
  const core = await createCore({ memoryMiB: 4 });
  core.setupFlat32({ cpl: 0 });
  core.setReg('esp', 0x8000);
  return core;
}

describe('decode window', () => {
  it('runs a 15-byte prefixed instruction after unprefixed ones, and faults on 16 bytes', async () => {
    for (const [prefixes, vector] of [
      [14, 6],
      [15, 13],
    ] as const) {
      const core = await flatCore();
      // inc eax ; inc eax ; (66 or 3e)... prefixes + nop ; ud2
      const pad = Array.from({ length: prefixes }, (_, i) => (i % 2 ? 0x3e : 0x26));
      core.writePhys(0x1000, Uint8Array.from([0x40, 0x40, ...pad, 0x90, ...UD2]));
      core.setReg('eip', 0x1000);
      const r = core.run(10, { stopOnException: true });
      expect(r.vector).toBe(vector);
      expect(core.getReg('eax')).toBe(2);
      expect(core.getReg('eip')).toBe(vector === 6 ? 0x1002 + prefixes + 1 : 0x1002);
      if (vector === 13) expect(r.errorCode).toBe(0);
    }
  });

  it('decodes instructions whose immediate crosses a page boundary', async () => {
    for (let split = 1; split <= 4; split++) {
      const core = await flatCore();
      // mov eax, 0x11223344 (b8 imm32) ending `split` bytes into the next page; then add eax, imm32 (05 imm32)
      const code = [0xb8, 0x44, 0x33, 0x22, 0x11, 0x05, 0x01, 0x00, 0x00, 0x10, ...UD2];
      const start = 0x2000 - 5 + split;
      core.writePhys(start, Uint8Array.from(code));
      core.setReg('eip', start);
      const r = core.run(10, { stopOnException: true });
      expect(r.vector).toBe(6);
      expect(core.getReg('eax') >>> 0).toBe(0x21223345);
    }
  });

  it('sees code rewritten by the guest ahead of execution', async () => {
    const core = await flatCore();
    // mov byte [0x1010], 0x41 (c6 05 disp32 imm8) ; then at 0x1010 "nop" turned into "inc ecx"
    const code = [0xc6, 0x05, 0x10, 0x10, 0x00, 0x00, 0x41];
    const bytes = new Uint8Array(0x20).fill(0x90);
    bytes.set(code, 0);
    bytes.set(UD2, 0x11);
    core.writePhys(0x1000, bytes);
    core.setReg('eip', 0x1000);
    const r = core.run(100, { stopOnException: true });
    expect(r.vector).toBe(6);
    expect(core.getReg('ecx')).toBe(1);
    expect(core.getReg('eip')).toBe(0x1011);
  });
  it('decodes unprefixed 0F instructions with the operand size reset after a prefixed one', async () => {
    for (const [prefixes, vector] of [
      [14, 6],
      [15, 13],
    ] as const) {
      const core = await flatCore();
      core.setReg('ecx', 0x1234_5681);
      core.setReg('eax', 0xaaaa_aaaa);
      core.setReg('edx', 0xffff_ffff);
      const pad = Array.from({ length: prefixes }, (_, i) => (i % 2 ? 0x3e : 0x26));
      const code = [
        0x66,
        0x0f,
        0xb6,
        0xc1, // movzx ax, cl
        0x0f,
        0xb6,
        0xd1, // movzx edx, cl: 32-bit again
        0x0f,
        0xba,
        0xa4,
        0x24,
        0x00,
        0x01,
        0x00,
        0x00,
        0x07, // bt dword [esp+0x100], 7 (9 bytes)
        0x0f,
        0x92,
        0xc3, // setb bl
        ...pad,
        0x90, // a 15- or 16-byte nop
        ...UD2,
      ];
      core.writePhys(0x8100, Uint8Array.from([0x80, 0, 0, 0]));
      // The 0F instructions straddle a page boundary.
      const start = 0x2000 - 9;
      core.writePhys(start, Uint8Array.from(code));
      core.setReg('eip', start);
      const r = core.run(10, { stopOnException: true });
      expect(r.vector).toBe(vector);
      expect(core.getReg('eax') >>> 0).toBe(0xaaaa_0081);
      expect(core.getReg('edx')).toBe(0x81);
      expect(core.getReg('ebx') & 0xff).toBe(1);
      const padStart = start + 19;
      expect(core.getReg('eip')).toBe(vector === 6 ? padStart + prefixes + 1 : padStart);
    }
  });
});
