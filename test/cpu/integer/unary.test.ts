// INC DEC NEG NOT TEST and the flag instructions, against the host CPU.
import { describe, it, expect } from 'vitest';
import {
  expectSame,
  SIZES,
  sized,
  le,
  hasReference,
  edgeValues,
  rr,
  modrm,
  FLAG_INPUTS,
  type Case,
  EAX,
  ECX,
  EBX,
  DATA_ADDR,
  ARITH,
  AF,
  CF,
  DF,
} from './harness.js';

describe.skipIf(!hasReference('any'))('unary ALU ops vs host', () => {
  it('INC/DEC/NEG/NOT E, register and memory forms, all sizes and edge values', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      for (const v of edgeValues(size)) {
        for (const fl of FLAG_INPUTS) {
          for (const [reg, name] of [
            [0, 'inc'],
            [1, 'dec'],
            [2, 'not'],
            [3, 'neg'],
          ] as const) {
            const op8 = reg < 2 ? 0xfe : 0xf6;
            cases.push({
              name: `${name}${size} reg`,
              code: [...sized(size, op8), rr(reg, EAX)],
              regs: { eax: v | (0xabcd0000 * (size < 32 ? 1 : 0)) },
              eflags: fl,
            });
            // [ebx]
            cases.push({
              name: `${name}${size} mem`,
              code: [...sized(size, op8), modrm(0, reg, EBX)],
              regs: { ebx: DATA_ADDR },
              data: le(v, size),
              eflags: fl,
            });
          }
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('INC/DEC r (40+r/48+r) in 32-bit mode', async () => {
    if (!hasReference('32')) return;
    const cases: Case[] = [];
    for (const size of [16, 32] as const) {
      for (const v of edgeValues(size)) {
        for (const fl of FLAG_INPUTS) {
          const pre = size === 16 ? [0x66] : [];
          cases.push({ name: `inc${size} ecx`, code: [...pre, 0x41], regs: { ecx: v }, eflags: fl, mode: '32' });
          cases.push({ name: `dec${size} ecx`, code: [...pre, 0x49], regs: { ecx: v }, eflags: fl, mode: '32' });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('TEST E,G / AL,imm / E,imm', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      const vals = edgeValues(size);
      for (const a of vals) {
        for (const b of [0, 1, 0x80, 0xff, 0x8000, 0x80000000, 0xffffffff, 0x5a5a5a5a]) {
          cases.push({
            name: `test${size} E,G`,
            code: [...sized(size, 0x84), rr(ECX, EAX)],
            regs: { eax: a, ecx: b },
            eflags: ARITH,
            undef: AF,
          });
          const imm = le(b, size);
          cases.push({ name: `test${size} A,imm`, code: [...sized(size, 0xa8), ...imm], regs: { eax: a }, eflags: ARITH, undef: AF });
          cases.push({
            name: `test${size} E,imm`,
            code: [...sized(size, 0xf6), modrm(0, 0, EBX), ...imm],
            regs: { ebx: DATA_ADDR },
            data: le(a, size),
            eflags: ARITH,
            undef: AF,
          });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('CLC STC CMC CLD STD', async () => {
    const cases: Case[] = [];
    for (const fl of [0, ARITH, CF, DF, ARITH | DF]) {
      for (const op of [0xf8, 0xf9, 0xf5, 0xfc, 0xfd]) cases.push({ name: `flag op ${op.toString(16)}`, code: [op], eflags: fl });
      // CMC after a lazily computed CF (sub 1 - 2 borrows).
      cases.push({ name: 'cmc after sub', code: [0x29, rr(ECX, EAX), 0xf5], regs: { eax: 1, ecx: 2 }, eflags: fl });
    }
    await expectSame(cases, expect);
  });
});
