// Hand-written edge cases, run through the same path as the random ones:
// reference vs tabvm, masked per the SDM.  The reference is the host CPU,
// or for 32-bit-only instructions (DAA, BOUND, AAM, 32-bit PUSH/POP, ...) on
// hosts that cannot run 32-bit code, the 32-bit harness under qemu-i386
// (runner.ts).  Cases may also carry hand expectations (from the SDM),
// checked against both sides: they check themselves against the reference,
// and keep the 32-bit-only instructions tested where no 32-bit reference
// exists (then the run skips locally and fails in CI).

import { describe, expect, it } from 'vitest';
import {
  CASE_FLAGS,
  DATA_ADDR,
  FLAG_AF,
  FLAG_CF,
  FLAG_DF,
  FLAG_OF,
  FLAG_PF,
  FLAG_SF,
  FLAG_ZF,
  VEC_BR,
  VEC_DE,
  VEC_UD,
  flagNames,
  makeCase,
  type CpuOutcome,
  type TestCase,
} from './cases';
import { compareOutcomes, formatReport } from './compare';
import { referenceFor, require32BitReference, runReferences, setupDiff } from './runner';
import { computeMasks, stopIndex } from './semantics';
import { decodeSnippet, REG32, type Reg32 } from './x86';

const DATA_SEED = 0x1234;
const MID = DATA_ADDR + 0x1000; // a DATA address with room on both sides
// Distinct defaults so a wrong register shows; EBX/ESI/EDI/EBP/ESP point into DATA.
const DEFAULT_REGS: Record<Reg32, number> = {
  eax: 0x01234567,
  ecx: 0x89abcdef,
  edx: 0xfedcba98,
  ebx: MID,
  esp: DATA_ADDR + 0x1800,
  ebp: DATA_ADDR + 0x1400,
  esi: DATA_ADDR + 0x600,
  edi: DATA_ADDR + 0xa00,
};

interface Hand {
  asm: string;
  bytes: number[];
  regs?: Partial<Record<Reg32, number>>;
  flags?: number;
  mem?: [number, number[]][]; // [linear address, bytes]
  expect?: { vector?: number; regs?: Partial<Record<Reg32, number>>; flags?: number; flagsMask?: number };
}

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const ARITH = CASE_FLAGS & ~FLAG_DF;

function parity(v: number): number {
  let p = 1;
  for (let i = 0; i < 8; i++) p ^= (v >> i) & 1;
  return p ? FLAG_PF : 0;
}

function szp8(v: number): number {
  return (v & 0x80 ? FLAG_SF : 0) | ((v & 0xff) === 0 ? FLAG_ZF : 0) | parity(v & 0xff);
}

/** DAA/DAS per the SDM pseudocode (OF undefined). */
function decimalAdjust(al: number, flags: number, sub: boolean): { al: number; flags: number } {
  const oldAl = al;
  const oldCf = flags & FLAG_CF;
  let cf = 0;
  let af = 0;
  if ((al & 0x0f) > 9 || flags & FLAG_AF) {
    const r = sub ? al - 6 : al + 6;
    cf = oldCf || r < 0 || r > 0xff ? 1 : 0;
    al = r & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (sub ? al - 0x60 : al + 0x60) & 0xff;
    cf = 1;
  } else if (!sub) {
    cf = 0;
  }
  return { al, flags: (cf ? FLAG_CF : 0) | (af ? FLAG_AF : 0) | szp8(al) };
}

function buildCases(): Hand[] {
  const cases: Hand[] = [
    // Compilers put ENDBR32 at every function entry; without CET it is a hint NOP.
    { asm: 'endbr32', bytes: [0xf3, 0x0f, 0x1e, 0xfb] },
    { asm: 'nop word [eax+eax*1+0x0] (0F 1F /0)', bytes: [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00] },
    { asm: 'div ecx (quotient overflow)', bytes: [0xf7, 0xf1], regs: { eax: 0, edx: 5, ecx: 2 }, expect: { vector: VEC_DE } },
    { asm: 'div ecx (by zero)', bytes: [0xf7, 0xf1], regs: { ecx: 0 }, expect: { vector: VEC_DE } },
    { asm: 'div ecx', bytes: [0xf7, 0xf1], regs: { eax: 100, edx: 0, ecx: 7 }, expect: { regs: { eax: 14, edx: 2 } } },
    {
      asm: 'idiv ecx (INT_MIN / -1)',
      bytes: [0xf7, 0xf9],
      regs: { eax: 0x80000000, edx: 0xffffffff, ecx: 0xffffffff },
      expect: { vector: VEC_DE },
    },
    { asm: 'idiv cl (-128 / -1)', bytes: [0xf6, 0xf9], regs: { eax: 0xff80, ecx: 0xff }, expect: { vector: VEC_DE } },
    {
      asm: 'idiv cx (-32768 / -1)',
      bytes: [0x66, 0xf7, 0xf9],
      regs: { eax: 0x8000, edx: 0xffff, ecx: 0xffff },
      expect: { vector: VEC_DE },
    },
    {
      asm: 'idiv ecx (-7 / 2)',
      bytes: [0xf7, 0xf9],
      regs: { eax: -7 >>> 0, edx: 0xffffffff, ecx: 2 },
      expect: { regs: { eax: -3 >>> 0, edx: -1 >>> 0 } },
    },
    { asm: 'shl eax, 0', bytes: [0xc1, 0xe0, 0x00], flags: FLAG_CF | FLAG_OF | FLAG_ZF },
    { asm: 'shl eax, 1', bytes: [0xd1, 0xe0], regs: { eax: 0xc0000000 } },
    { asm: 'shl eax, 31', bytes: [0xc1, 0xe0, 0x1f], regs: { eax: 3 } },
    { asm: 'shl eax, 32 (masked to 0)', bytes: [0xc1, 0xe0, 0x20], flags: FLAG_CF },
    { asm: 'shr al, 8', bytes: [0xc0, 0xe8, 0x08], regs: { eax: 0x80 } },
    { asm: 'sar ax, 16', bytes: [0x66, 0xc1, 0xf8, 0x10], regs: { eax: 0x8000 } },
    { asm: 'shl eax, cl (cl = 33)', bytes: [0xd3, 0xe0], regs: { ecx: 33, eax: 0x80000001 } },
    { asm: 'rcl al, 9', bytes: [0xc0, 0xd0, 0x09], regs: { eax: 0x81 }, flags: FLAG_CF },
    { asm: 'rcr al, 9', bytes: [0xc0, 0xd8, 0x09], regs: { eax: 0x81 }, flags: FLAG_CF },
    { asm: 'rcl ax, 17', bytes: [0x66, 0xc1, 0xd0, 0x11], regs: { eax: 0x8001 }, flags: FLAG_CF },
    { asm: 'rcr ax, 17', bytes: [0x66, 0xc1, 0xd8, 0x11], regs: { eax: 0x8001 } },
    { asm: 'rcl eax, 33 (masked to 1)', bytes: [0xc1, 0xd0, 0x21], regs: { eax: 0x80000000 }, flags: FLAG_CF },
    { asm: 'rcr eax, 33 (masked to 1)', bytes: [0xc1, 0xd8, 0x21], regs: { eax: 1 } },
    { asm: 'rol al, 8', bytes: [0xc0, 0xc0, 0x08], regs: { eax: 0x81 } },
    { asm: 'shld eax, ecx, 31', bytes: [0x0f, 0xa4, 0xc8, 0x1f] },
    { asm: 'shld eax, ecx, 32 (masked to 0)', bytes: [0x0f, 0xa4, 0xc8, 0x20], flags: FLAG_OF | FLAG_CF },
    { asm: 'shld ax, cx, 16', bytes: [0x66, 0x0f, 0xa4, 0xc8, 0x10] },
    { asm: 'shld ax, cx, 17 (undefined)', bytes: [0x66, 0x0f, 0xa4, 0xc8, 0x11] },
    { asm: 'shrd eax, ecx, cl (cl = 40)', bytes: [0x0f, 0xad, 0xc8], regs: { ecx: 40 } },
    { asm: 'shrd [ebx], ecx, 1', bytes: [0x0f, 0xac, 0x0b, 0x01] },
    { asm: 'bsf eax, ecx (zero)', bytes: [0x0f, 0xbc, 0xc1], regs: { ecx: 0 }, expect: { flags: FLAG_ZF, flagsMask: FLAG_ZF } },
    {
      asm: 'bsr eax, ecx',
      bytes: [0x0f, 0xbd, 0xc1],
      regs: { ecx: 0x80000001 },
      expect: { regs: { eax: 31 }, flags: 0, flagsMask: FLAG_ZF },
    },
    { asm: 'bsf eax, [ebx]', bytes: [0x0f, 0xbc, 0x03], mem: [[MID, le32(0x100)]], expect: { regs: { eax: 8 } } },
    { asm: 'aam 0', bytes: [0xd4, 0x00], expect: { vector: VEC_DE } },
    { asm: 'aam 10', bytes: [0xd4, 0x0a], regs: { eax: 0x4f }, expect: { regs: { eax: 0x0709 } } },
    { asm: 'aad 10', bytes: [0xd5, 0x0a], regs: { eax: 0x0709 }, expect: { regs: { eax: 0x4f } } },
    {
      asm: 'aaa',
      bytes: [0x37],
      regs: { eax: 0x0f },
      expect: { regs: { eax: 0x0105 }, flags: FLAG_AF | FLAG_CF, flagsMask: FLAG_AF | FLAG_CF },
    },
    // Modern CPUs (and the SDM) subtract 6 from AX, so the borrow reaches AH: 0x0200 -> 0x000a.
    {
      asm: 'aas',
      bytes: [0x3f],
      regs: { eax: 0x0200 },
      flags: FLAG_AF,
      expect: { regs: { eax: 0x000a }, flags: FLAG_AF | FLAG_CF, flagsMask: FLAG_AF | FLAG_CF },
    },
    { asm: 'salc (CF=1)', bytes: [0xd6], regs: { eax: 0 }, flags: FLAG_CF, expect: { regs: { eax: 0xff } } },
    {
      asm: 'cmpxchg8b [ebx] (equal)',
      bytes: [0x0f, 0xc7, 0x0b],
      regs: { eax: 1, edx: 2, ebx: MID, ecx: 3 },
      mem: [[MID, [...le32(1), ...le32(2)]]],
    },
    { asm: 'cmpxchg8b [ebx] (different)', bytes: [0x0f, 0xc7, 0x0b], regs: { eax: 1, edx: 2 } },
    { asm: 'lock cmpxchg8b [ebx]', bytes: [0xf0, 0x0f, 0xc7, 0x0b], mem: [[MID, [...le32(0x01234567), ...le32(0xfedcba98)]]] },
    { asm: 'cmpxchg8b with a register operand (#UD)', bytes: [0x0f, 0xc7, 0xc8], expect: { vector: VEC_UD } },
    { asm: 'xadd eax, ecx', bytes: [0x0f, 0xc1, 0xc8] },
    { asm: 'lock xadd [ebx], ecx', bytes: [0xf0, 0x0f, 0xc1, 0x0b] },
    { asm: 'xadd eax, eax', bytes: [0x0f, 0xc1, 0xc0] },
    { asm: 'bswap eax', bytes: [0x0f, 0xc8], expect: { regs: { eax: 0x67452301 } } },
    { asm: 'bswap edi', bytes: [0x0f, 0xcf] },
    { asm: 'xlat', bytes: [0xd7], regs: { eax: 0x80 } },
    { asm: 'lahf', bytes: [0x9f], flags: FLAG_SF | FLAG_CF | FLAG_PF },
    { asm: 'sahf', bytes: [0x9e], regs: { eax: 0xd500 }, expect: { flags: 0xd5, flagsMask: ARITH & ~FLAG_OF } },
    {
      asm: 'bound eax, [ebx] (in range)',
      bytes: [0x62, 0x03],
      regs: { eax: 5 },
      mem: [[MID, [...le32(0), ...le32(5)]]],
      expect: { regs: { eax: 5 } },
    },
    {
      asm: 'bound eax, [ebx] (above)',
      bytes: [0x62, 0x03],
      regs: { eax: 6 },
      mem: [[MID, [...le32(0), ...le32(5)]]],
      expect: { vector: VEC_BR },
    },
    {
      asm: 'bound eax, [ebx] (below, signed)',
      bytes: [0x62, 0x03],
      regs: { eax: -1 >>> 0 },
      mem: [[MID, [...le32(0), ...le32(5)]]],
      expect: { vector: VEC_BR },
    },
    { asm: 'bound ax, [ebx]', bytes: [0x66, 0x62, 0x03], regs: { eax: 0x8000 }, mem: [[MID, [0x00, 0x80, 0xff, 0x7f]]] },
    { asm: 'enter 16, 0', bytes: [0xc8, 0x10, 0x00, 0x00] },
    { asm: 'enter 8, 1', bytes: [0xc8, 0x08, 0x00, 0x01] },
    { asm: 'enter 0, 3', bytes: [0xc8, 0x00, 0x00, 0x03] },
    { asm: 'enter 4, 31', bytes: [0xc8, 0x04, 0x00, 0x1f] },
    { asm: 'enter 4, 33 (level masked to 1)', bytes: [0xc8, 0x04, 0x00, 0x21] },
    { asm: 'o16 enter 8, 2', bytes: [0x66, 0xc8, 0x08, 0x00, 0x02] },
    { asm: 'leave', bytes: [0xc9] },
    { asm: 'o16 leave', bytes: [0x66, 0xc9] },
    { asm: 'push esp', bytes: [0x54] },
    { asm: 'pop esp', bytes: [0x5c] },
    { asm: 'o16 push sp', bytes: [0x66, 0x54] },
    { asm: 'o16 pop word [esp]', bytes: [0x66, 0x8f, 0x04, 0x24] },
    { asm: 'pop dword [esp]', bytes: [0x8f, 0x04, 0x24] },
    { asm: 'pusha', bytes: [0x60] },
    { asm: 'popa', bytes: [0x61] },
    { asm: 'std; rep movsb (ecx=3)', bytes: [0xfd, 0xf3, 0xa4], regs: { ecx: 3 } },
    { asm: 'rep movsd (ecx=0)', bytes: [0xf3, 0xa5], regs: { ecx: 0 }, flags: FLAG_DF },
    { asm: 'std; rep stosd (ecx=2)', bytes: [0xfd, 0xf3, 0xab], regs: { ecx: 2 } },
    {
      asm: 'repe cmpsb (equal bytes)',
      bytes: [0xf3, 0xa6],
      regs: { ecx: 4, esi: MID, edi: MID + 0x40 },
      mem: [
        [MID, [1, 2, 3, 4]],
        [MID + 0x40, [1, 2, 3, 5]],
      ],
    },
    { asm: 'repne scasb (ecx=5)', bytes: [0xf2, 0xae], regs: { ecx: 5, eax: 3, edi: MID }, mem: [[MID, [1, 2, 3, 4, 5]]] },
    { asm: 'std; repne scasw (ecx=0)', bytes: [0xfd, 0x66, 0xf2, 0xaf], regs: { ecx: 0 } },
    { asm: 'std; lodsd', bytes: [0xfd, 0xad] },
    { asm: 'lock add [ebx], eax', bytes: [0xf0, 0x01, 0x03] },
    { asm: 'lock add eax, eax (#UD)', bytes: [0xf0, 0x01, 0xc0], expect: { vector: VEC_UD } },
    { asm: 'lock mov [ebx], eax (#UD)', bytes: [0xf0, 0x89, 0x03], expect: { vector: VEC_UD } },
    { asm: 'lock cmp [ebx], eax (#UD)', bytes: [0xf0, 0x39, 0x03], expect: { vector: VEC_UD } },
    { asm: 'lock bt [ebx], eax (#UD)', bytes: [0xf0, 0x0f, 0xa3, 0x03], regs: { eax: 3 }, expect: { vector: VEC_UD } },
    { asm: 'bt [ebx], eax (eax=1000)', bytes: [0x0f, 0xa3, 0x03], regs: { eax: 1000 } },
    { asm: 'bt [ebx], eax (eax=-1000)', bytes: [0x0f, 0xa3, 0x03], regs: { eax: -1000 >>> 0 } },
    { asm: 'lock bts [ebx], eax (eax=1000)', bytes: [0xf0, 0x0f, 0xab, 0x03], regs: { eax: 1000 } },
    { asm: 'btr [ebx], eax (eax=-1000)', bytes: [0x0f, 0xb3, 0x03], regs: { eax: -1000 >>> 0 } },
    { asm: 'btc [ebx], ax (ax=-1000)', bytes: [0x66, 0x0f, 0xbb, 0x03], regs: { eax: 0xfc18 } },
    { asm: 'bt [ebx], 45 (imm masked to 13)', bytes: [0x0f, 0xba, 0x23, 0x2d] },
    { asm: 'neg eax (INT_MIN)', bytes: [0xf7, 0xd8], regs: { eax: 0x80000000 } },
    { asm: 'inc eax (overflow)', bytes: [0x40], regs: { eax: 0x7fffffff }, flags: FLAG_CF },
    { asm: 'dec cx', bytes: [0x66, 0x49], regs: { ecx: 0x10000 } },
    { asm: 'imul eax, ecx, 0x7fffffff', bytes: [0x69, 0xc1, 0xff, 0xff, 0xff, 0x7f], regs: { ecx: 2 } },
    { asm: 'imul ecx (edx:eax)', bytes: [0xf7, 0xe9], regs: { eax: 0x80000000, ecx: 0xffffffff } },
    { asm: 'mul cl', bytes: [0xf6, 0xe1], regs: { eax: 0xff, ecx: 0xff } },
    { asm: 'cdq', bytes: [0x99], regs: { eax: 0x80000000 }, expect: { regs: { edx: 0xffffffff } } },
    { asm: 'cbw', bytes: [0x66, 0x98], regs: { eax: 0x12345680 }, expect: { regs: { eax: 0x1234ff80 } } },
    { asm: 'adc eax, ecx (CF=1)', bytes: [0x11, 0xc8], regs: { eax: 0xffffffff, ecx: 0 }, flags: FLAG_CF },
    { asm: 'sbb al, cl (CF=1)', bytes: [0x18, 0xc8], regs: { eax: 0, ecx: 0 }, flags: FLAG_CF },
    { asm: 'add al, 5 via the 0x82 alias', bytes: [0x82, 0xc0, 0x05] },
    { asm: 'jz +0 (lands on the next instruction)', bytes: [0x74, 0x00, 0x40], flags: FLAG_ZF },
    { asm: 'jnz +1 over inc eax', bytes: [0x75, 0x01, 0x40, 0x41] },
    { asm: 'loop +1 (ecx=1 -> 0, falls through)', bytes: [0xe2, 0x01, 0x40, 0x41], regs: { ecx: 1 } },
    { asm: 'jecxz +1 (ecx=0)', bytes: [0xe3, 0x01, 0x40, 0x41], regs: { ecx: 0 } },
    { asm: 'ud2', bytes: [0x0f, 0x0b], expect: { vector: VEC_UD } },
  ];
  // DAA/DAS over interesting AL values and AF/CF combinations.
  const als = [0x00, 0x09, 0x0a, 0x0f, 0x10, 0x19, 0x1a, 0x90, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xff];
  for (const [op, mn] of [
    [0x27, 'daa'],
    [0x2f, 'das'],
  ] as const) {
    for (const al of als) {
      for (const flags of [0, FLAG_AF, FLAG_CF, FLAG_AF | FLAG_CF]) {
        const r = decimalAdjust(al, flags, mn === 'das');
        cases.push({
          asm: `${mn} (al=0x${al.toString(16)} ${flagNames(flags)})`,
          bytes: [op],
          regs: { eax: 0x12345600 | al },
          flags,
          expect: { regs: { eax: 0x12345600 | r.al }, flags: r.flags, flagsMask: ARITH & ~FLAG_OF },
        });
      }
    }
  }
  // SETcc and CMOVcc for every condition under crafted flags.
  const flagSets = [0, FLAG_CF, FLAG_ZF, FLAG_SF, FLAG_OF, FLAG_PF, FLAG_SF | FLAG_OF, FLAG_ZF | FLAG_CF, ARITH];
  for (let cc = 0; cc < 16; cc++) {
    for (const flags of flagSets) {
      cases.push({ asm: `setcc(${cc}) al [${flagNames(flags)}]`, bytes: [0x0f, 0x90 + cc, 0xc0], flags });
      cases.push({ asm: `cmovcc(${cc}) eax, ecx [${flagNames(flags)}]`, bytes: [0x0f, 0x40 + cc, 0xc1], flags });
    }
  }
  return cases;
}

const setup = await setupDiff();
for (const note of setup.notes) console.log(`handwritten: ${note}`);
if (setup.skipReason) console.log(`handwritten: SKIPPED: ${setup.skipReason}`);

function toCase(hand: Hand): TestCase {
  const regs = REG32.map((r) => (hand.regs?.[r] ?? DEFAULT_REGS[r]) >>> 0);
  const insns = decodeSnippet(setup.table.rows, Uint8Array.from(hand.bytes));
  const patches = (hand.mem ?? []).map(([addr, bytes]) => ({ offset: addr - DATA_ADDR, bytes }));
  return makeCase(insns, { regs, eflags: hand.flags ?? 0, dataSeed: DATA_SEED, patches, label: hand.asm });
}

/** Differences between an outcome and a case's hand expectation. */
function checkExpectation(hand: Hand, tc: TestCase, o: CpuOutcome): string[] {
  const e = hand.expect;
  if (!e) return [];
  const errs: string[] = [];
  const vector = o.kind === 'ok' ? undefined : o.vector;
  if (vector !== e.vector) errs.push(`outcome ${vector ?? 'completed'}, expected ${e.vector ?? 'completed'}`);
  for (const [name, v] of Object.entries(e.regs ?? {})) {
    const got = o.regs[REG32.indexOf(name as Reg32)];
    if (got !== v >>> 0) errs.push(`${name}=0x${got.toString(16)}, expected 0x${(v >>> 0).toString(16)}`);
  }
  if (e.flags !== undefined) {
    const mask = e.flagsMask ?? ARITH & ~computeMasks(tc).flags;
    if (((o.eflags ^ e.flags) & mask) !== 0) {
      errs.push(`flags [${flagNames(o.eflags & mask)}], expected [${flagNames(e.flags & mask)}]`);
    }
  }
  return errs;
}

/** Case labels, with families like "daa (al=0x9 CF)" collapsed to "daa (60 cases)". */
function summarize(labels: string[]): string {
  const FAMILY_MIN = 5;
  const family = (l: string): string => l.replace(/ \(.*\)$/, '');
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(family(l), (counts.get(family(l)) ?? 0) + 1);
  const out: string[] = [];
  for (const l of labels) {
    const f = family(l);
    const n = counts.get(f) ?? 0;
    if (n < FAMILY_MIN) out.push(l);
    else if (!out.includes(`${f} (${n} cases)`)) out.push(`${f} (${n} cases)`);
  }
  return out.join('; ');
}

describe.skipIf(setup.skipReason !== undefined)('hand-written edge cases', () => {
  it('have a reference for the 32-bit-only cases', (ctx) => require32BitReference(setup, 'handwritten', ctx));

  it('match between the reference and tabvm', async () => {
    const hands = buildCases();
    const cases = hands.map(toCase);
    const actualTarget = setup.actual!;
    const runnable = cases.map((tc) => referenceFor(setup, tc) !== undefined);
    const refCases = cases.filter((_, i) => runnable[i]);
    const refRuns = runReferences(setup, refCases);
    const actualOut = await actualTarget.run(cases);
    const failures: string[] = [];
    let n = 0;
    const notCompared: string[] = [];
    const byReference = new Map<string, string[]>();
    cases.forEach((tc, i) => {
      const hand = hands[i];
      const actual = actualOut[i];
      for (const err of checkExpectation(hand, tc, actual)) failures.push(`${hand.asm}: ${actualTarget.name}: ${err}`);
      if (!runnable[i]) {
        if (!hand.expect) notCompared.push(hand.asm);
        return;
      }
      const ref = refRuns.refs[n];
      const expected = refRuns.outcome(n++);
      byReference.set(ref.name, [...(byReference.get(ref.name) ?? []), hand.asm]);
      for (const err of checkExpectation(hand, tc, expected)) failures.push(`${hand.asm}: ${ref.name}: ${err} (fix the expectation)`);
      const masks = computeMasks(tc, stopIndex(tc, expected));
      const diffs = compareOutcomes(expected, actual, masks);
      if (diffs.length > 0) {
        failures.push(
          formatReport({
            index: i,
            tc,
            expected,
            actual,
            masks,
            diffs,
            expectedName: ref.name,
            actualName: actualTarget.name,
            disasm: setup.disasm,
          }),
        );
      }
    });
    const primary = setup.native!.name;
    for (const [name, labels] of byReference) {
      console.log(`handwritten: ${labels.length} cases against ${name}` + (name === primary ? '' : `: ${summarize(labels)}`));
    }
    if (notCompared.length > 0) {
      console.log(`handwritten: ${notCompared.length} cases need a 32-bit reference and have no expectation: ${notCompared.join('; ')}`);
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});
