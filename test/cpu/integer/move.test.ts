// MOV forms, MOVZX/MOVSX, LEA, XCHG, XADD, CMPXCHG, CMPXCHG8B, CBW/CWD,
// LAHF/SAHF, XLAT, NOP, BOUND against the host CPU.
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
  ESI,
  EDI,
  EBP,
  DATA_ADDR,
  ARITH,
  CF,
  ZF,
  SF,
} from './harness.js';

const REGS = { eax: 0x11223344, ecx: 0x55667788, edx: 0x99aabbcc, ebx: DATA_ADDR, ebp: 0x01020304, esi: 0x80000001, edi: 0xfedcba98 };
const DATA = Array.from({ length: 64 }, (_, i) => (i * 29 + 3) & 0xff);

describe.skipIf(!hasReference('any'))('data movement vs host', () => {
  it('MOV E,G / G,E / E,imm / r,imm and MOVZX/MOVSX', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      for (let reg = 0; reg < 8; reg++) {
        if (reg === 4) continue;
        cases.push({ name: `mov${size} E,G r${reg}`, code: [...sized(size, 0x88), rr(reg, EDI)], regs: REGS });
        cases.push({ name: `mov${size} G,E r${reg}`, code: [...sized(size, 0x8a), rr(reg, ESI)], regs: REGS });
        cases.push({ name: `mov${size} [ebx+8],G r${reg}`, code: [...sized(size, 0x88), modrm(1, reg, EBX), 8], regs: REGS, data: DATA });
        cases.push({ name: `mov${size} G,[ebx+5] r${reg}`, code: [...sized(size, 0x8a), modrm(1, reg, EBX), 5], regs: REGS, data: DATA });
        const imm = le(0x8badf00d, size);
        const opRI = size === 8 ? [0xb0 + reg] : size === 16 ? [0x66, 0xb8 + reg] : [0xb8 + reg];
        cases.push({ name: `mov${size} r${reg},imm`, code: [...opRI, ...imm], regs: REGS });
      }
      cases.push({
        name: `mov${size} [ebx],imm`,
        code: [...sized(size, 0xc6), modrm(0, 0, EBX), ...le(0xc001d00d, size)],
        regs: REGS,
        data: DATA,
      });
      cases.push({ name: `mov${size} reg,imm (C6/C7)`, code: [...sized(size, 0xc6), rr(0, EDX), ...le(0xc001d00d, size)], regs: REGS });
    }
    for (const os of [16, 32]) {
      const pre = os === 16 ? [0x66] : [];
      for (const v of [0, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345678]) {
        for (const [op, name] of [
          [0xb6, 'movzx8'],
          [0xb7, 'movzx16'],
          [0xbe, 'movsx8'],
          [0xbf, 'movsx16'],
        ] as const) {
          cases.push({ name: `${name} os${os}`, code: [...pre, 0x0f, op, rr(EDX, ECX)], regs: { ecx: v, edx: 0xaaaaaaaa } });
          cases.push({
            name: `${name} os${os} mem`,
            code: [...pre, 0x0f, op, modrm(0, EDX, EBX)],
            regs: { ebx: DATA_ADDR, edx: 0xaaaaaaaa },
            data: le(v, 32),
          });
        }
        // movzx ah/bh sources (8-bit high registers)
        cases.push({ name: `movzx os${os} ch`, code: [...pre, 0x0f, 0xb6, rr(EDX, 5)], regs: { ecx: v << 8, edx: 0xaaaaaaaa } });
      }
    }
    await expectSame(cases, expect);
  });

  it('LEA with 32-bit addressing, operand sizes 16/32', async () => {
    const cases: Case[] = [];
    for (const pre of [[], [0x66]]) {
      cases.push({
        name: 'lea [ebx+esi*4+0x12345678]',
        code: [...pre, 0x8d, modrm(2, EAX, 4), (2 << 6) | (ESI << 3) | EBX, 0x78, 0x56, 0x34, 0x12],
        regs: { ebx: 0x1000, esi: 0x10 },
      });
      cases.push({ name: 'lea [ebp-1]', code: [...pre, 0x8d, modrm(1, EDX, EBP), 0xff], regs: { ebp: 0x10000 } });
      // mod 0 rm 5 is RIP-relative in 64-bit mode: 32-bit reference only.
      cases.push({ name: 'lea [disp32]', code: [...pre, 0x8d, modrm(0, ECX, 5), 0xef, 0xbe, 0xad, 0xde], regs: {}, mode: '32' });
      cases.push({
        name: 'lea [esi+edi]',
        code: [...pre, 0x8d, modrm(0, EAX, 4), (0 << 6) | (EDI << 3) | ESI],
        regs: { esi: 0x7fff0000, edi: 0x0001ffff },
      });
    }
    await expectSame(cases, expect);
  });

  it('XCHG, XADD, CMPXCHG, CMPXCHG8B (register and memory)', async () => {
    const cases: Case[] = [];
    for (const size of SIZES) {
      cases.push({ name: `xchg${size} reg`, code: [...sized(size, 0x86), rr(ECX, EDX)], regs: REGS });
      cases.push({ name: `xchg${size} mem`, code: [...sized(size, 0x86), modrm(0, ECX, EBX)], regs: REGS, data: DATA });
      cases.push({ name: `xchg${size} same`, code: [...sized(size, 0x86), rr(ECX, ECX)], regs: REGS });
      for (const a of edgeValues(size)) {
        for (const b of [0, 1, 0x7f, 0x80, 0xffffffff, 0x80000000]) {
          cases.push({
            name: `xadd${size} reg`,
            code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xc0 : 0xc1, rr(ECX, EDX)],
            regs: { ecx: b, edx: a },
          });
          cases.push({
            name: `xadd${size} mem`,
            code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xc0 : 0xc1, modrm(0, ECX, EBX)],
            regs: { ecx: b, ebx: DATA_ADDR },
            data: le(a, size),
          });
          for (const acc of [a, b]) {
            cases.push({
              name: `cmpxchg${size} reg`,
              code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xb0 : 0xb1, rr(ECX, EDX)],
              regs: { eax: acc, ecx: 0x5a5a5a5a, edx: a },
            });
            cases.push({
              name: `cmpxchg${size} mem`,
              code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xb0 : 0xb1, modrm(0, ECX, EBX)],
              regs: { eax: acc, ecx: 0x5a5a5a5a, ebx: DATA_ADDR },
              data: le(a, size),
            });
          }
        }
      }
      cases.push({
        name: `xadd${size} same reg`,
        code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xc0 : 0xc1, rr(ECX, ECX)],
        regs: REGS,
      });
      cases.push({
        name: `cmpxchg${size} eax,ecx`,
        code: [...(size === 16 ? [0x66] : []), 0x0f, size === 8 ? 0xb0 : 0xb1, rr(ECX, EAX)],
        regs: REGS,
      });
    }
    for (let r = 1; r < 8; r++) {
      if (r === 4) continue;
      cases.push({ name: `xchg eax,r${r}`, code: [0x90 + r], regs: REGS });
      cases.push({ name: `xchg ax,r${r}`, code: [0x66, 0x90 + r], regs: REGS });
    }
    const q = [0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55];
    for (const [eax, edx] of [
      [0x11223344, 0x55667788],
      [0x11223344, 0],
      [0, 0x55667788],
    ]) {
      for (const fl of [0, ARITH]) {
        cases.push({
          name: 'cmpxchg8b',
          code: [0x0f, 0xc7, modrm(0, 1, ESI)],
          regs: { eax, edx, ebx: 0xaaaabbbb, ecx: 0xccccdddd, esi: DATA_ADDR + 8 },
          data: [...Array(8).fill(0x99), ...q],
          eflags: fl,
        });
      }
    }
    await expectSame(cases, expect);
  });

  it('CBW/CWDE, CWD/CDQ, LAHF/SAHF, XLAT, NOP', async () => {
    const cases: Case[] = [];
    for (const v of [0, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x80000000, 0x7fffffff, 0xffffffff]) {
      cases.push({ name: 'cbw', code: [0x66, 0x98], regs: { eax: v, edx: 0x12345678 } });
      cases.push({ name: 'cwde', code: [0x98], regs: { eax: v, edx: 0x12345678 } });
      cases.push({ name: 'cwd', code: [0x66, 0x99], regs: { eax: v, edx: 0x12345678 } });
      cases.push({ name: 'cdq', code: [0x99], regs: { eax: v, edx: 0x12345678 } });
    }
    for (let ah = 0; ah < 256; ah += 1) {
      cases.push({ name: `sahf ah=${ah.toString(16)}`, code: [0x9e], regs: { eax: ah << 8 }, eflags: ARITH });
      cases.push({ name: `sahf;lahf ah=${ah.toString(16)}`, code: [0x9e, 0x9f], regs: { eax: ah << 8 } });
    }
    for (const fl of [0, ARITH, CF | ZF | SF]) {
      cases.push({ name: 'lahf', code: [0x9f], regs: { eax: 0x12345678 }, eflags: fl });
      cases.push({ name: 'add;lahf', code: [0x01, rr(ECX, EDX), 0x9f], regs: { ecx: 0x7fffffff, edx: 1 }, eflags: fl });
    }
    for (const al of [0, 1, 0x3f, 0x80, 0xff]) {
      cases.push({
        name: `xlat al=${al}`,
        code: [0xd7],
        regs: { eax: 0xabcd00 | al, ebx: DATA_ADDR + 0x100 },
        data: Array.from({ length: 0x200 }, (_, i) => (i * 7 + 1) & 0xff),
      });
    }
    cases.push({ name: 'nop', code: [0x90], regs: REGS, eflags: ARITH });
    cases.push({ name: 'pause', code: [0xf3, 0x90], regs: REGS });
    cases.push({ name: 'nop [eax+eax]', code: [0x0f, 0x1f, 0x44, 0x00, 0x00], regs: REGS });
    await expectSame(cases, expect);
  });

  it('32-bit-only forms: moffs MOV, LEA with 16-bit addressing, BOUND', async () => {
    if (!hasReference('32')) return;
    const cases: Case[] = [];
    const a = le(DATA_ADDR + 4, 32);
    for (const size of SIZES) {
      cases.push({ name: `mov${size} A,moffs`, code: [...sized(size, 0xa0), ...a], regs: REGS, data: DATA, mode: '32' });
      cases.push({ name: `mov${size} moffs,A`, code: [...sized(size, 0xa2), ...a], regs: REGS, data: DATA, mode: '32' });
    }
    for (const pre of [[0x67], [0x66, 0x67]]) {
      cases.push({
        name: 'lea [bx+si+0x1234] a16',
        code: [...pre, 0x8d, modrm(2, EAX, 0), 0x34, 0x12],
        regs: { ebx: 0x1234f000, esi: 0x5678ff00 },
        mode: '32',
      });
      cases.push({ name: 'lea [bp-1] a16', code: [...pre, 0x8d, modrm(1, EDX, 6), 0xff], regs: { ebp: 0x10000 }, mode: '32' });
    }
    const bounds32 = [...le(-5 >>> 0, 32), ...le(100, 32)];
    const bounds16 = [...le(0xfffb, 16), ...le(100, 16)];
    for (const idx of [-6, -5, 0, 100, 101, 0x7fffffff, 0x80000000, 0x8000, 0xffff]) {
      cases.push({
        name: `bound32 ${idx}`,
        code: [0x62, modrm(0, ECX, EBX)],
        regs: { ecx: idx >>> 0, ebx: DATA_ADDR },
        data: bounds32,
        mode: '32',
      });
      cases.push({
        name: `bound16 ${idx}`,
        code: [0x66, 0x62, modrm(0, ECX, EBX)],
        regs: { ecx: idx >>> 0, ebx: DATA_ADDR },
        data: bounds16,
        mode: '32',
      });
    }
    await expectSame(cases, expect);
  });
});
