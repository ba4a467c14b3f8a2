// DAA DAS AAA AAS AAM AAD SALC. These do not exist in 64-bit mode, so without
// native 32-bit support the reference is qemu-i386 (defined behaviour only;
// the SDM-undefined flags are masked).
import { describe, it, expect } from 'vitest';
import { expectSame, hasReference, type Case, CF, AF, OF, SF, ZF, PF } from './harness.js';

const FLAG_COMBOS = [0, CF, AF, CF | AF];

describe.skipIf(!hasReference('32'))('BCD adjustments vs host', () => {
  it('DAA/DAS over every AL and AF/CF combination', async () => {
    const cases: Case[] = [];
    for (let al = 0; al < 256; al++) {
      for (const fl of FLAG_COMBOS) {
        cases.push({ name: `daa al=${al.toString(16)}`, code: [0x27], regs: { eax: 0x1200 | al }, eflags: fl, undef: OF, mode: '32' });
        cases.push({ name: `das al=${al.toString(16)}`, code: [0x2f], regs: { eax: 0x1200 | al }, eflags: fl, undef: OF, mode: '32' });
      }
    }
    await expectSame(cases, expect);
  });

  it('AAA/AAS over every AL, several AH, AF/CF', async () => {
    const cases: Case[] = [];
    for (let al = 0; al < 256; al++) {
      for (const ah of [0, 1, 0x7f, 0xff]) {
        for (const fl of FLAG_COMBOS) {
          const u = OF | SF | ZF | PF;
          cases.push({
            name: `aaa ax=${((ah << 8) | al).toString(16)}`,
            code: [0x37],
            regs: { eax: 0xabcd0000 | (ah << 8) | al },
            eflags: fl,
            undef: u,
            mode: '32',
          });
          cases.push({
            name: `aas ax=${((ah << 8) | al).toString(16)}`,
            code: [0x3f],
            regs: { eax: 0xabcd0000 | (ah << 8) | al },
            eflags: fl,
            undef: u,
            mode: '32',
          });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('AAM/AAD with bases 10, 16, 1, 255 and 0 (#DE for AAM)', async () => {
    const cases: Case[] = [];
    const u = OF | AF | CF;
    for (let al = 0; al < 256; al += 3) {
      for (const ah of [0, 9, 0xff]) {
        for (const base of [10, 16, 1, 255, 0, 7]) {
          cases.push({ name: `aam ${base}`, code: [0xd4, base], regs: { eax: 0x5555_0000 | (ah << 8) | al }, undef: u, mode: '32' });
          cases.push({ name: `aad ${base}`, code: [0xd5, base], regs: { eax: 0x5555_0000 | (ah << 8) | al }, undef: u, mode: '32' });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('SALC', async () => {
    const cases: Case[] = [];
    for (const fl of [0, CF, CF | ZF, ZF]) {
      cases.push({ name: 'salc', code: [0xd6], regs: { eax: 0x12345678 }, eflags: fl, mode: '32' });
      cases.push({ name: 'sub;salc', code: [0x29, 0xc8, 0xd6], regs: { eax: 1, ecx: 2 }, eflags: fl, mode: '32' });
    }
    await expectSame(cases, expect);
  });
});
