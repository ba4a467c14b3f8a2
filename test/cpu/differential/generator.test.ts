// Unit tests of the generator, decoder/encoder and flag masking, against the
// fixture table (independent of the project's opcode table and of tabvm).

import { describe, expect, it } from 'vitest';
import { buildHarness, NativeTarget } from '../native/native';
import { CASE_FLAGS, FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF, VEC_PF, makeCase, type TestCase } from './cases';
import { Generator, Rng } from './generator';
import { compareOutcomes } from './compare';
import { computeMasks } from './semantics';
import { FIXTURE_OPCODES } from './table';
import { decodeSnippet, encode64, encodeRaw, hex } from './x86';

const FIXTURE_SEED = 0x5eed;
const REGS = [0, 0, 0, 0, 0x201000, 0, 0, 0];

function caseOf(bytes: number[], regs = REGS, eflags = 0): ReturnType<typeof makeCase> {
  const insns = decodeSnippet(FIXTURE_OPCODES, Uint8Array.from(bytes));
  return makeCase(insns, { regs, eflags, dataSeed: 1, patches: [] });
}

describe('decoder/encoder', () => {
  it('round-trips generated instructions', () => {
    const gen = new Generator({ seed: FIXTURE_SEED, rows: FIXTURE_OPCODES });
    for (let i = 0; i < 3000; i++) {
      const tc = gen.generate();
      if (!tc) continue;
      const decoded = decodeSnippet(FIXTURE_OPCODES, tc.code.code32.bytes);
      expect(hex(decoded.flatMap(encodeRaw))).toBe(hex(tc.code.code32.bytes));
      expect(decoded.every((d, k) => d.row === tc.insns[k].row && d.branchTarget === tc.insns[k].branchTarget)).toBe(true);
    }
  });

  it('translates to 64-bit mode', () => {
    const [inc] = decodeSnippet(FIXTURE_OPCODES, Uint8Array.from([0x41]));
    expect(encode64(inc)).toEqual([0xff, 0xc1]);
    const [abs] = decodeSnippet(FIXTURE_OPCODES, Uint8Array.from([0x8b, 0x05, 0x00, 0x10, 0x20, 0x00]));
    expect(encode64(abs)).toEqual([0x67, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x20, 0x00]);
    const [daa] = decodeSnippet(FIXTURE_OPCODES, Uint8Array.from([0x27]));
    expect(typeof encode64(daa)).toBe('string');
    const [push16] = decodeSnippet(FIXTURE_OPCODES, Uint8Array.from([0x66, 0x50]));
    expect(encode64(push16)).toEqual([0x66, 0x50]);
  });

  it('relays out branches after translation', () => {
    // jz +1 over inc ecx (41 -> ff c1): the 64-bit rel8 must become 2.
    const tc = caseOf([0x74, 0x01, 0x41, 0x90]);
    expect(hex(tc.code.code64?.bytes ?? [])).toBe('74 02 ff c1 90');
  });
});

describe('flag masks', () => {
  const masksOf = (bytes: number[], regs = REGS): ReturnType<typeof computeMasks> => computeMasks(caseOf(bytes, regs));

  it('masks AF after logic ops and nothing after add', () => {
    expect(masksOf([0x21, 0xc8]).flags).toBe(FLAG_AF); // and eax, ecx
    expect(masksOf([0x01, 0xc8]).flags).toBe(0); // add eax, ecx
  });

  it('later defined writes clear earlier undefined flags', () => {
    expect(masksOf([0xf7, 0xe1, 0x01, 0xc8]).flags).toBe(0); // mul ecx; add eax, ecx
    expect(masksOf([0xf7, 0xe1]).flags).toBe(FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF); // mul ecx
  });

  it('handles shift counts', () => {
    expect(masksOf([0xc1, 0xe0, 0x00]).flags).toBe(0); // shl eax, 0
    expect(masksOf([0xd1, 0xe0]).flags).toBe(FLAG_AF); // shl eax, 1
    expect(masksOf([0xc1, 0xe0, 0x05]).flags).toBe(FLAG_AF | FLAG_OF); // shl eax, 5
    expect(masksOf([0xc0, 0xe0, 0x08]).flags).toBe(FLAG_AF | FLAG_OF | FLAG_CF); // shl al, 8
    expect(masksOf([0xc0, 0xf8, 0x08]).flags).toBe(FLAG_AF | FLAG_OF); // sar al, 8
    expect(masksOf([0xd3, 0xe0], [0, 1, 0, 0, 0x201000, 0, 0, 0]).flags).toBe(FLAG_AF); // shl eax, cl=1
    expect(masksOf([0xd3, 0xe0], [0, 0x20, 0, 0, 0x201000, 0, 0, 0]).flags).toBe(0); // cl=32 -> 0
    expect(masksOf([0xc1, 0xc0, 0x03]).flags).toBe(FLAG_OF); // rol eax, 3
    // After an unknown ECX (written by the first insn) everything is suspect.
    const unknown = masksOf([0x41, 0xd3, 0xe0]).flags;
    expect(unknown & (FLAG_OF | FLAG_CF | FLAG_SF)).toBe(FLAG_OF | FLAG_CF | FLAG_SF);
  });

  it('masks the BSF destination only for a zero source', () => {
    expect(masksOf([0x0f, 0xbc, 0xc1], [0, 0, 0, 0, 0x201000, 0, 0, 0]).regs[0]).toBe(0xffffffff);
    expect(masksOf([0x0f, 0xbc, 0xc1], [0, 8, 0, 0, 0x201000, 0, 0, 0]).regs[0]).toBe(0);
  });

  it('masks SHLD results for counts above the operand size', () => {
    const m = masksOf([0x66, 0x0f, 0xa4, 0xc8, 0x11]); // shld ax, cx, 17
    expect(m.regs[0]).toBe(0xffff);
    expect(m.flags & CASE_FLAGS).toBe(FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF);
  });

  it('flags reads of undefined flags', () => {
    expect(masksOf([0xf7, 0xe1, 0x0f, 0x94, 0xc0]).unverifiable).toMatch(/sete/); // mul; sete al
    expect(masksOf([0xf7, 0xe1, 0x0f, 0x92, 0xc0]).unverifiable).toBeUndefined(); // mul; setb al
    expect(masksOf([0x21, 0xc8, 0x10, 0xc0]).unverifiable).toBeUndefined(); // and; adc (CF defined)
  });

  it('merges flag state over forward branches', () => {
    // jz over "add eax, ecx": after the join AF from the AND is still possible.
    const m = masksOf([0x21, 0xc8, 0x74, 0x02, 0x01, 0xc8, 0x90]);
    expect(m.flags).toBe(FLAG_AF);
  });
});

describe('rng', () => {
  it('is reproducible', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 100; i++) expect(a.u32()).toBe(b.u32());
  });
});

const built = buildHarness();
describe.skipIf(typeof built === 'string')('native harness', () => {
  it('is deterministic and keeps generated memory operands inside DATA', async () => {
    const native = new NativeTarget(built as Exclude<typeof built, string>);
    const gen = new Generator({ seed: FIXTURE_SEED, rows: FIXTURE_OPCODES, target64: native.harness.bits === 64 });
    const cases: TestCase[] = [];
    for (let i = 0; i < 5000; i++) {
      const tc = gen.generate();
      if (tc && native.canRun(tc)) cases.push(tc);
    }
    const a = await native.run(cases);
    const b = await native.run(cases);
    // Not toEqual: deep-comparing thousands of 8 KiB arrays is very slow.
    const same = a.every((o, i) => {
      const { data, ...rest } = o;
      const { data: data2, ...rest2 } = b[i];
      return JSON.stringify(rest) === JSON.stringify(rest2) && Buffer.compare(data, data2) === 0;
    });
    expect(same).toBe(true);
    const strays = a.map((o, i) => ({ o, i })).filter(({ o }) => o.vector === VEC_PF || o.vector === -1);
    const sample = strays
      .slice(0, 5)
      .map(({ o, i }) => `${hex(cases[i].code.code32.bytes)} ${cases[i].insns.map((x) => x.row.mn).join(';')} ${o.note}`);
    expect(sample).toEqual([]);
  });
});

describe('comparator', () => {
  it('reports register, flag and memory differences but not masked ones', () => {
    const tc = caseOf([0xf7, 0xe1]); // mul ecx: SF ZF AF PF undefined
    const data = new Uint8Array(8192);
    const base = { kind: 'ok' as const, regs: [1, 2, 3, 4, 5, 6, 7, 8], eflags: 0, eipOffset: 2, data };
    const masks = computeMasks(tc);
    expect(compareOutcomes(base, { ...base, eflags: FLAG_ZF | FLAG_SF }, masks)).toEqual([]);
    const bad = { ...base, regs: [1, 2, 3, 4, 5, 6, 7, 9], eflags: FLAG_CF, data: data.slice() };
    bad.data[100] = 1;
    const fields = compareOutcomes(base, bad, masks).map((d) => d.field);
    expect(fields).toEqual(['edi', 'eflags', 'memory (1 bytes)']);
  });
});
