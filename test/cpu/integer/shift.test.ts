// Shifts, rotates and double shifts against the host CPU, every count 0-33.
// Masked (SDM-undefined): OF when the masked count is not 1, AF after a
// non-zero shift, CF of SHL/SHR when count >= operand size; SHLD/SHRD 16-bit
// with count > 16 are not compared at all (result undefined).
import { describe, it, expect } from 'vitest';
import {
  expectSame,
  SIZES,
  sized,
  le,
  hasReference,
  rr,
  modrm,
  type Case,
  EAX,
  ECX,
  EBX,
  EDX,
  DATA_ADDR,
  ARITH,
  AF,
  CF,
  OF,
} from './harness.js';

const KINDS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
function values(size: number): number[] {
  const m = size === 32 ? 0xffffffff : (1 << size) - 1;
  return [0, 1, 0x80000000, 0x40000000, 0xc0000001, 0x81, 0x8001, 0x5a5aa5a5, 0xffffffff, 0x7f7f7f7f].map((v) => (v & m) >>> 0);
}
function undefFor(kind: number, size: number, count: number): number {
  const masked = count & 0x1f;
  if (masked === 0) return 0;
  let u = masked !== 1 ? OF : 0;
  if (kind >= 4) {
    u |= AF;
    if ((kind === 4 || kind === 5 || kind === 6) && masked >= size) u |= CF;
  }
  return u;
}

describe.skipIf(!hasReference('any'))('shifts and rotates vs host', () => {
  it('group 2 by CL, all counts 0-33, all sizes, CF in and out', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      for (let kind = 0; kind < 8; kind++) {
        for (let count = 0; count <= 33; count++) {
          for (const v of values(size)) {
            for (const fl of [0, ARITH]) {
              cases.push({
                name: `${KINDS[kind]}${size} cl=${count}`,
                code: [...sized(size, 0xd2), rr(kind, EAX)],
                regs: { eax: v, ecx: count | 0x100 },
                eflags: fl,
                undef: undefFor(kind, size, count),
              });
            }
          }
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('imm8 and by-1 forms, register and memory', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      for (let kind = 0; kind < 8; kind++) {
        for (const v of values(size)) {
          for (const fl of [0, CF]) {
            cases.push({
              name: `${KINDS[kind]}${size} 1`,
              code: [...sized(size, 0xd0), rr(kind, EAX)],
              regs: { eax: v },
              eflags: fl,
              undef: undefFor(kind, size, 1),
            });
            cases.push({
              name: `${KINDS[kind]}${size} [ebx],1`,
              code: [...sized(size, 0xd0), modrm(0, kind, EBX)],
              regs: { ebx: DATA_ADDR },
              data: le(v, size),
              eflags: fl,
              undef: undefFor(kind, size, 1),
            });
            for (const count of [0, 3, 9, 17, 32, 0xff]) {
              cases.push({
                name: `${KINDS[kind]}${size} ib=${count}`,
                code: [...sized(size, 0xc0), rr(kind, EAX), count],
                regs: { eax: v },
                eflags: fl,
                undef: undefFor(kind, size, count),
              });
              cases.push({
                name: `${KINDS[kind]}${size} [ebx],ib=${count}`,
                code: [...sized(size, 0xc0), modrm(0, kind, EBX), count],
                regs: { ebx: DATA_ADDR },
                data: le(v, size),
                eflags: fl,
                undef: undefFor(kind, size, count),
              });
            }
          }
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('SHLD/SHRD by CL and imm8, 16 and 32 bits', async () => {
    const cases: Case[] = [];
    for (const size of [16, 32] as const) {
      const pre = size === 16 ? [0x66] : [];
      for (const [op, name] of [
        [0xa4, 'shld'],
        [0xac, 'shrd'],
      ] as const) {
        for (let count = 0; count <= 33; count++) {
          const masked = count & 0x1f;
          if (size === 16 && masked > 16) continue; // undefined result
          const undef = masked === 0 ? 0 : AF | (masked !== 1 ? OF : 0);
          for (const d of values(size)) {
            for (const s of [0, 0xffffffff, 0x12345678, 0x80000001]) {
              cases.push({
                name: `${name}${size} cl=${count}`,
                code: [...pre, 0x0f, op + 1, rr(ECX, EAX)],
                regs: { eax: d, ecx: (s & ~0xff) | count },
                eflags: ARITH,
                undef,
              });
              cases.push({
                name: `${name}${size} ib=${count}`,
                code: [...pre, 0x0f, op, rr(EBX, EAX), count],
                regs: { eax: d, ebx: s },
                undef,
              });
            }
            cases.push({
              name: `${name}${size} [ebx] ib=${count}`,
              code: [...pre, 0x0f, op, modrm(0, ECX, EBX), count],
              regs: { ebx: DATA_ADDR, ecx: 0x9abcdef0 },
              data: le(d, size),
              undef,
            });
          }
        }
      }
    }
    await expectSame(cases, expect);
  });
  it('rotates keep SF ZF AF PF of each kind of preceding flag-setting instruction', async () => {
    // Rotates set only CF and OF and leave the other four lazy (flags.ts setCfOf).
    const producers: [string, number[]][] = [
      ['none', []],
      ['add', [0x01, rr(ECX, EDX)]],
      ['adc', [0x11, rr(ECX, EDX)]],
      ['sub', [0x29, rr(ECX, EDX)]],
      ['sbb', [0x19, rr(ECX, EDX)]],
      ['xor', [0x31, rr(ECX, EDX)]],
      ['inc', [0xff, rr(0, EDX)]],
      ['dec', [0xff, rr(1, EDX)]],
      ['shl', [0xd1, rr(4, EDX)]],
      ['rol', [0xd1, rr(0, EDX)]],
    ];
    const operands = [
      [0x0f, 1],
      [0x7fffffff, 1],
      [0, 0],
      [0x80000000, 0x80000000],
      [0x12345678, 0x9abcdef],
    ];
    const cases: Case[] = [];
    for (const [name, pre] of producers) {
      for (const [edx, ecx] of operands) {
        for (const size of SIZES) {
          for (let kind = 0; kind < 4; kind++) {
            for (const count of [1, 3]) {
              for (const fl of [0, ARITH]) {
                cases.push({
                  name: `${name} then ${KINDS[kind]}${size} ${count}`,
                  code: [...pre, ...sized(size, 0xc0), rr(kind, EAX), count],
                  regs: { eax: 0x5a5aa5a5, ecx, edx },
                  eflags: fl,
                  // AF after SHL is undefined (and kept by the rotate).
                  undef: undefFor(kind, size, count) | (name === 'shl' ? AF : 0),
                });
              }
            }
          }
        }
      }
    }
    await expectSame(cases, expect);
  });
});
