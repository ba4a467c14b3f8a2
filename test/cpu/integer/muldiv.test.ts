// MUL IMUL DIV IDIV against the host CPU, including #DE (zero divisor and
// quotient overflow, where no register may change).
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
  type Case,
  EAX,
  ECX,
  EDX,
  EBX,
  DATA_ADDR,
  ARITH,
  SF,
  ZF,
  AF,
  PF,
} from './harness.js';

const MUL_UNDEF = SF | ZF | AF | PF;
const DIV_UNDEF = ARITH;

describe.skipIf(!hasReference('any'))('multiply and divide vs host', () => {
  it('MUL/IMUL one operand, register and memory', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      const vals = edgeValues(size);
      for (const a of vals) {
        for (const b of vals) {
          for (const reg of [4, 5]) {
            const name = reg === 4 ? 'mul' : 'imul';
            cases.push({
              name: `${name}${size}`,
              code: [...sized(size, 0xf6), rr(reg, ECX)],
              regs: { eax: a, ecx: b, edx: 0x11111111 },
              undef: MUL_UNDEF,
            });
          }
        }
        cases.push({
          name: `mul${size} mem`,
          code: [...sized(size, 0xf6), modrm(0, 4, EBX)],
          regs: { eax: a, ebx: DATA_ADDR, edx: 0x22222222 },
          data: le(0xfedcba98, size),
          undef: MUL_UNDEF,
        });
        cases.push({
          name: `imul${size} mem`,
          code: [...sized(size, 0xf6), modrm(0, 5, EBX)],
          regs: { eax: a, ebx: DATA_ADDR, edx: 0x22222222 },
          data: le(0xfedcba98, size),
          undef: MUL_UNDEF,
        });
      }
    }
    await expectSame(cases, expect);
  });

  it('IMUL G,E and G,E,imm', async () => {
    const cases: Case[] = [];
    for (const size of [16, 32] as const) {
      const pre = size === 16 ? [0x66] : [];
      const vals = edgeValues(size);
      for (const a of vals) {
        for (const b of vals) {
          cases.push({ name: `imul${size} G,E`, code: [...pre, 0x0f, 0xaf, rr(EAX, ECX)], regs: { eax: a, ecx: b }, undef: MUL_UNDEF });
        }
        for (const i8 of [0, 1, 2, 0x7f, 0x80, 0xff]) {
          cases.push({
            name: `imul${size} G,E,ib`,
            code: [...pre, 0x6b, rr(EDX, ECX), i8],
            regs: { ecx: a, edx: 0x33333333 },
            undef: MUL_UNDEF,
          });
        }
        for (const iz of [0x7fff, 0x8000, 0xffff, 0x80000000, 0x12345678]) {
          cases.push({
            name: `imul${size} G,E,iz`,
            code: [...pre, 0x69, rr(EDX, ECX), ...le(iz, size)],
            regs: { ecx: a, edx: 0x33333333 },
            undef: MUL_UNDEF,
          });
        }
        cases.push({
          name: `imul${size} G,mem`,
          code: [...pre, 0x0f, 0xaf, modrm(0, EAX, EBX)],
          regs: { eax: a, ebx: DATA_ADDR },
          data: le(0x87654321, size),
          undef: MUL_UNDEF,
        });
      }
    }
    await expectSame(cases, expect);
  });

  it('DIV/IDIV including #DE on zero divisors and quotient overflow', async () => {
    const cases: Case[] = [];
    const dividends = [0, 1, 7, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678];
    const highs = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x12];
    for (const size of SIZES) {
      const divisors = [...edgeValues(size)];
      for (const d of divisors) {
        for (const lo of dividends) {
          for (const hi of highs) {
            for (const reg of [6, 7]) {
              const name = reg === 6 ? 'div' : 'idiv';
              cases.push({
                name: `${name}${size}`,
                code: [...sized(size, 0xf6), rr(reg, ECX)],
                regs: { eax: lo, edx: hi, ecx: d },
                eflags: ARITH,
                undef: DIV_UNDEF,
              });
            }
          }
        }
      }
      // Memory divisor, and the most negative dividend / -1.
      for (const reg of [6, 7]) {
        cases.push({
          name: `div mem ${size}`,
          code: [...sized(size, 0xf6), modrm(0, reg, EBX)],
          regs: { eax: 1000, edx: 0, ebx: DATA_ADDR },
          data: le(7, size),
          undef: DIV_UNDEF,
        });
      }
    }
    cases.push({ name: 'idiv32 min/-1', code: [0xf7, rr(7, ECX)], regs: { eax: 0, edx: 0x80000000, ecx: 0xffffffff }, undef: DIV_UNDEF });
    cases.push({ name: 'idiv16 min/-1', code: [0x66, 0xf7, rr(7, ECX)], regs: { eax: 0, edx: 0x8000, ecx: 0xffff }, undef: DIV_UNDEF });
    cases.push({ name: 'idiv8 -128 quotient', code: [0xf6, rr(7, ECX)], regs: { eax: 0xff00, ecx: 2 }, undef: DIV_UNDEF });
    cases.push({ name: 'idiv32 -2^31 quotient', code: [0xf7, rr(7, ECX)], regs: { eax: 0, edx: 0xffffffff, ecx: 2 }, undef: DIV_UNDEF });
    await expectSame(cases, expect);
  });
});
