// BT BTS BTR BTC (register, immediate and memory forms with far and negative
// bit offsets), BSF BSR (zero source), BSWAP, SETcc, CMOVcc against the host CPU.
import { describe, it, expect } from 'vitest';
import {
  expectSame,
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
  CF,
  PF,
  AF,
  ZF,
  SF,
  OF,
} from './harness.js';

const BT_UNDEF = OF | SF | AF | PF;
const BSF_UNDEF = OF | SF | AF | PF | CF;
const MID = 0x1000; // [ebx] points to the middle of DATA so negative offsets stay inside
function pattern(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
}

describe.skipIf(!hasReference('any'))('bit instructions vs host', () => {
  it('BT/BTS/BTR/BTC E,G register and memory, offsets far and negative', async () => {
    const cases: Case[] = [];
    const data = pattern(0x2000);
    for (const size of [16, 32] as const) {
      const pre = size === 16 ? [0x66] : [];
      const offsets =
        size === 32
          ? [0, 1, 31, 32, 33, 63, 100, 1000, 0x7fff, -1, -2, -31, -32, -33, -1000, -0x7fff]
          : [0, 1, 15, 16, 17, 100, 1000, 0x7fff, -1, -16, -17, -1000, -0x7fff, 0x18000];
      for (const [op, name] of [
        [0xa3, 'bt'],
        [0xab, 'bts'],
        [0xb3, 'btr'],
        [0xbb, 'btc'],
      ] as const) {
        for (const off of offsets) {
          for (const fl of [0, ARITH]) {
            cases.push({
              name: `${name}${size} [ebx],${off}`,
              code: [...pre, 0x0f, op, modrm(0, ECX, EBX)],
              regs: { ebx: DATA_ADDR + MID, ecx: off >>> 0 },
              data,
              eflags: fl,
              undef: BT_UNDEF,
            });
            cases.push({
              name: `${name}${size} reg,${off}`,
              code: [...pre, 0x0f, op, rr(ECX, EAX)],
              regs: { eax: 0x5aa5c33c, ecx: off >>> 0 },
              eflags: fl,
              undef: BT_UNDEF,
            });
          }
        }
        // disp8 in the effective address plus a negative offset
        cases.push({
          name: `${name}${size} [ebx+7],-9`,
          code: [...pre, 0x0f, op, modrm(1, ECX, EBX), 7],
          regs: { ebx: DATA_ADDR + MID, ecx: -9 >>> 0 },
          data,
          undef: BT_UNDEF,
        });
      }
      for (let reg = 4; reg < 8; reg++) {
        for (const ib of [0, 5, 15, 16, 31, 32, 0x47, 0xff]) {
          cases.push({
            name: `bt-group /${reg} ${size} [ebx],${ib}`,
            code: [...pre, 0x0f, 0xba, modrm(0, reg, EBX), ib],
            regs: { ebx: DATA_ADDR + MID },
            data,
            undef: BT_UNDEF,
          });
          cases.push({
            name: `bt-group /${reg} ${size} reg,${ib}`,
            code: [...pre, 0x0f, 0xba, rr(reg, EAX), ib],
            regs: { eax: 0xf0f0a5a5 },
            eflags: CF,
            undef: BT_UNDEF,
          });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('BSF/BSR including a zero source (ZF=1, destination kept)', async () => {
    const cases: Case[] = [];
    for (const size of [16, 32] as const) {
      const pre = size === 16 ? [0x66] : [];
      for (const v of [...edgeValues(size), 0x00010000, 0x80000000, 0x00008000, 0x100]) {
        for (const [op, name] of [
          [0xbc, 'bsf'],
          [0xbd, 'bsr'],
        ] as const) {
          cases.push({
            name: `${name}${size}`,
            code: [...pre, 0x0f, op, rr(EDX, ECX)],
            regs: { ecx: v, edx: 0xdeadbeef },
            eflags: ARITH & ~ZF,
            undef: BSF_UNDEF,
          });
          cases.push({
            name: `${name}${size} mem`,
            code: [...pre, 0x0f, op, modrm(0, EDX, EBX)],
            regs: { ebx: DATA_ADDR, edx: 0xcafef00d },
            data: [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24],
            undef: BSF_UNDEF,
          });
        }
      }
    }
    await expectSame(cases, expect);
  });

  it('BSWAP r32 and r16 (undefined by the SDM; hardware clears the low word)', async () => {
    const cases: Case[] = [];
    for (let r = 0; r < 8; r++) {
      if (r === 4) continue; // ESP is the host's
      cases.push({
        name: `bswap r${r}`,
        code: [0x0f, 0xc8 + r],
        regs: { eax: 0x11223344, ecx: 0x55667788, edx: 0x99aabbcc, ebx: 0xddeeff00, ebp: 0x01020304, esi: 0x80000001, edi: 0xfedcba98 },
      });
      cases.push({
        name: `bswap r16 r${r}`,
        code: [0x66, 0x0f, 0xc8 + r],
        regs: { eax: 0x11223344, ecx: 0x55667788, edx: 0x99aabbcc, ebx: 0xddeeff00, ebp: 0x01020304, esi: 0x80000001, edi: 0xfedcba98 },
      });
    }
    await expectSame(cases, expect);
  });

  it('SETcc and CMOVcc over flag combinations', async () => {
    const cases: Case[] = [];
    const flagSets = [0, CF, ZF, SF, OF, PF, SF | OF, ZF | CF, ARITH, OF | ZF, SF | ZF];
    for (let cc = 0; cc < 16; cc++) {
      for (const fl of flagSets) {
        cases.push({ name: `set${cc} reg`, code: [0x0f, 0x90 + cc, rr(0, ECX)], regs: { ecx: 0x12345678 }, eflags: fl });
        cases.push({
          name: `set${cc} mem`,
          code: [0x0f, 0x90 + cc, modrm(0, 0, EBX)],
          regs: { ebx: DATA_ADDR },
          data: [0xaa, 0xbb],
          eflags: fl,
        });
        cases.push({ name: `cmov${cc}`, code: [0x0f, 0x40 + cc, rr(EDX, ECX)], regs: { ecx: 0x12345678, edx: 0x9abcdef0 }, eflags: fl });
        cases.push({
          name: `cmov${cc} 16`,
          code: [0x66, 0x0f, 0x40 + cc, rr(EDX, ECX)],
          regs: { ecx: 0x12345678, edx: 0x9abcdef0 },
          eflags: fl,
        });
        cases.push({
          name: `cmov${cc} mem`,
          code: [0x0f, 0x40 + cc, modrm(0, EDX, EBX)],
          regs: { ebx: DATA_ADDR, edx: 0x9abcdef0 },
          data: [1, 2, 3, 4],
          eflags: fl,
        });
      }
      // Lazily computed flags: cmp then setcc.
      for (const [a, b] of [
        [1, 2],
        [2, 1],
        [0x80000000, 1],
        [5, 5],
        [0x7fffffff, 0xffffffff],
      ]) {
        cases.push({ name: `cmp;set${cc}`, code: [0x39, rr(ECX, EAX), 0x0f, 0x90 + cc, rr(0, EDX)], regs: { eax: a, ecx: b } });
      }
    }
    await expectSame(cases, expect);
  });
});
