// GDTR/IDTR loads and stores, SMSW/LMSW/CLTS, and the instructions that
// read descriptors: LLDT, SLDT, LTR, STR, LAR, LSL, VERR, VERW, ARPL
// (SDM Vol. 2A/2B, each instruction's page).

import { describe, it, expect } from 'vitest';
import { flatCore, realCore, runCode, read32, write32, write64, hex, L, EXC, CODE, FLAG_ZF, FLAG_VM, type Core } from './harness.js';

const GDT = 0x5000;
const LDT = 0x6000;
const TSS = 0x7000;

/** An 8-byte segment descriptor as [low dword, high dword]. */
function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = (((base & 0xffff) << 16) | (limit & 0xffff)) >>> 0;
  const hi = (((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000)) >>> 0;
  return [lo, hi];
}

const SEL = {
  code0: 0x08,
  data0: 0x10,
  ldt: 0x18,
  tss32: 0x20,
  data3: 0x28,
  conforming: 0x30,
  notPresent: 0x38,
  callGate: 0x40,
  readOnly: 0x48,
  execOnly: 0x50,
  tss16: 0x58,
  ldtNotPresent: 0x60,
};
const GDT_ENTRIES = 13;

function buildTables(core: Core): void {
  const entries: [number, number][] = [
    [0, 0],
    desc(0, 0xfffff, 0x9a, 0xc),
    desc(0, 0xfffff, 0x92, 0xc),
    desc(LDT, 0x17, 0x82, 0),
    desc(TSS, 0x67, 0x89, 0),
    desc(0, 0xfffff, 0xf2, 0xc),
    desc(0, 0xfffff, 0x9e, 0xc),
    desc(0, 0xfffff, 0x12, 0xc),
    [(0x08 << 16) | 0x1234, 0xec00], // 32-bit call gate, DPL 3
    desc(0, 0xfffff, 0x90, 0xc),
    desc(0, 0xfffff, 0x98, 0xc),
    desc(TSS + 0x100, 0x2b, 0x81, 0),
    desc(LDT, 0x17, 0x02, 0),
  ];
  entries.forEach(([lo, hi], i) => write64(core, GDT + i * 8, lo, hi));
  const [lo, hi] = desc(0, 0xfff, 0xf2, 0x4); // LDT entry 0: writable data, DPL 3, byte-granular limit 0xfff
  write64(core, LDT, lo, hi);
  core.setState(L.OFF_GDTR_BASE, GDT);
  core.setState(L.OFF_GDTR_LIMIT, GDT_ENTRIES * 8 - 1);
}

async function protectedCore(cpl: 0 | 3 = 0): Promise<Core> {
  const core = await flatCore(cpl);
  buildTables(core);
  return core;
}

const zf = (core: Core) => (core.getReg('eflags') & FLAG_ZF) !== 0;

describe('LGDT/SGDT/LIDT/SIDT', () => {
  it('round-trip a 32-bit pseudo-descriptor', async () => {
    const core = await flatCore();
    core.writePhys(0x4000, hex('5f 00 78 56 34 12'));
    // lgdt [0x4000]; sgdt [0x4010]; lidt [0x4000]; sidt [0x4020]; ud2
    runCode(core, '0f 01 15 00 40 00 00 0f 01 05 10 40 00 00 0f 01 1d 00 40 00 00 0f 01 0d 20 40 00 00 0f 0b');
    expect(core.getState(L.OFF_GDTR_BASE)).toBe(0x12345678);
    expect(core.getState(L.OFF_GDTR_LIMIT)).toBe(0x5f);
    expect(core.getState(L.OFF_IDTR_BASE)).toBe(0x12345678);
    expect([...core.readPhys(0x4010, 6)]).toEqual([0x5f, 0, 0x78, 0x56, 0x34, 0x12]);
    expect([...core.readPhys(0x4020, 6)]).toEqual([0x5f, 0, 0x78, 0x56, 0x34, 0x12]);
  });

  it('with a 16-bit operand size load a 24-bit base and store a zero sixth byte', async () => {
    const core = await flatCore();
    core.writePhys(0x4000, hex('ff 03 78 56 34 12'));
    core.writePhys(0x4010, hex('ee ee ee ee ee ee'));
    core.writePhys(0x4020, hex('ee ee ee ee ee ee'));
    // o16 lgdt [0x4000]; o16 sgdt [0x4010]; o16 lidt [0x4000]; o16 sidt [0x4020]; ud2
    runCode(core, '66 0f 01 15 00 40 00 00 66 0f 01 05 10 40 00 00 66 0f 01 1d 00 40 00 00 66 0f 01 0d 20 40 00 00 0f 0b');
    expect(core.getState(L.OFF_GDTR_BASE)).toBe(0x345678);
    expect(core.getState(L.OFF_IDTR_BASE)).toBe(0x345678);
    expect([...core.readPhys(0x4010, 6)]).toEqual([0xff, 0x03, 0x78, 0x56, 0x34, 0x00]);
    expect([...core.readPhys(0x4020, 6)]).toEqual([0xff, 0x03, 0x78, 0x56, 0x34, 0x00]);
  });

  it('LGDT/LIDT are privileged, SGDT/SIDT are not', async () => {
    const core = await flatCore(3);
    core.setState(L.OFF_GDTR_BASE, 0xabcdef01);
    core.setState(L.OFF_GDTR_LIMIT, 0x27);
    expect(runCode(core, '0f 01 15 00 40 00 00 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(runCode(core, '0f 01 1d 00 40 00 00 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    const r = runCode(core, '0f 01 05 10 40 00 00 0f 0b');
    expect(r.vector).toBe(EXC.UD);
    expect([...core.readPhys(0x4010, 6)]).toEqual([0x27, 0, 0x01, 0xef, 0xcd, 0xab]);
  });

  it('a register operand is #UD', async () => {
    const core = await flatCore();
    expect(runCode(core, '0f 01 d0 0f 0b').vector).toBe(EXC.UD); // lgdt with mod = 3
    expect(core.getReg('eip')).toBe(CODE);
  });

  it('SGDT beyond the segment limit is #GP(0) and writes nothing', async () => {
    const core = await flatCore();
    const ds = L.OFF_SEGS + L.SEG_DS * L.SEG_SIZE;
    core.setState(ds + L.SEG_HI, 0x4013);
    core.setState(ds + L.SEG_LIMIT, 0x4013);
    core.writePhys(0x4010, hex('ee ee ee ee ee ee'));
    expect(runCode(core, '0f 01 05 10 40 00 00 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect([...core.readPhys(0x4010, 6)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  });
});

describe('SMSW, LMSW, CLTS', () => {
  const CR0 = 0x60000019; // CD NW ET TS PE

  it('SMSW stores 16 bits to memory and all of CR0 to a 32-bit register', async () => {
    const core = await flatCore();
    core.setState(L.OFF_CR0, CR0);
    core.setReg('eax', 0xaaaa5555);
    write32(core, 0x4000, 0xffffffff);
    // o16 smsw ax; smsw ebx; smsw [0x4000]; ud2
    runCode(core, '66 0f 01 e0 0f 01 e3 0f 01 25 00 40 00 00 0f 0b');
    expect(core.getReg('eax')).toBe(0xaaaa0019);
    expect(core.getReg('ebx')).toBe(CR0);
    expect(read32(core, 0x4000)).toBe(0xffff0019);
  });

  it('LMSW loads MP/EM/TS but cannot clear PE', async () => {
    const core = await flatCore();
    core.setState(L.OFF_CR0, CR0);
    core.setReg('eax', 0xffff0006); // MP, EM; PE and TS clear
    runCode(core, '0f 01 f0 0f 0b'); // lmsw ax
    expect(core.getState(L.OFF_CR0)).toBe(0x60000017);
  });

  it('LMSW sets PE from real mode', async () => {
    const core = await realCore();
    core.setReg('eax', 1);
    const r = runCode(core, '0f 01 f0 0f 0b');
    expect(r.vector).toBe(EXC.UD);
    expect(core.getState(L.OFF_CR0) & 1).toBe(1);
  });

  it('CLTS clears TS at CPL 0 and is #GP(0) at CPL 3', async () => {
    const core = await flatCore();
    core.setState(L.OFF_CR0, CR0);
    runCode(core, '0f 06 0f 0b');
    expect(core.getState(L.OFF_CR0)).toBe(CR0 & ~8);
    const user = await flatCore(3);
    user.setState(L.OFF_CR0, CR0);
    expect(runCode(user, '0f 06 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(user.getState(L.OFF_CR0)).toBe(CR0);
    expect(runCode(user, '0f 01 f0 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 }); // lmsw
  });
});

describe('LLDT and SLDT', () => {
  it('load an LDT descriptor and store its selector', async () => {
    const core = await protectedCore();
    core.setReg('eax', SEL.ldt);
    core.setReg('ebx', 0xffffffff);
    write32(core, 0x4000, 0xffffffff);
    // lldt ax; sldt ebx; sldt [0x4000]; ud2
    runCode(core, '0f 00 d0 0f 00 c3 0f 00 05 00 40 00 00 0f 0b');
    expect(core.getSegment(L.SEG_LDTR)).toMatchObject({ selector: SEL.ldt, base: LDT, limit: 0x17 });
    expect(core.getReg('ebx')).toBe(SEL.ldt);
    expect(read32(core, 0x4000)).toBe((0xffff0000 | SEL.ldt) >>> 0);
  });

  it('refuse what is not a present LDT descriptor in the GDT', async () => {
    const core = await protectedCore();
    const cases: [number, number, number][] = [
      [SEL.ldt | 4, EXC.GP, SEL.ldt | 4], // TI = 1
      [SEL.data0, EXC.GP, SEL.data0], // not an LDT
      [0x68, EXC.GP, 0x68], // beyond the GDT limit
      [SEL.ldtNotPresent | 3, EXC.NP, SEL.ldtNotPresent],
    ];
    for (const [sel, vector, errorCode] of cases) {
      core.setReg('eax', sel);
      expect(runCode(core, '0f 00 d0 0f 0b'), `selector ${sel.toString(16)}`).toMatchObject({ vector, errorCode });
      expect(core.getReg('eip')).toBe(CODE);
    }
  });

  it('a null selector leaves the LDTR unusable', async () => {
    const core = await protectedCore();
    core.setReg('eax', SEL.ldt);
    runCode(core, '0f 00 d0 0f 0b');
    core.setReg('eax', 0);
    core.setReg('ebx', 0x07); // LDT entry 0, RPL 3
    core.setReg('eflags', 0x2 | FLAG_ZF);
    // lldt ax; lar ecx, ebx; ud2
    runCode(core, '0f 00 d0 0f 02 cb 0f 0b');
    expect(core.getSegment(L.SEG_LDTR).attr).toBe(0);
    expect(zf(core)).toBe(false);
  });

  it('LLDT is #GP(0) at CPL 3; SLDT is allowed', async () => {
    const core = await protectedCore(3);
    core.setReg('eax', SEL.ldt);
    expect(runCode(core, '0f 00 d0 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(runCode(core, '0f 00 c3 0f 0b').vector).toBe(EXC.UD);
    expect(core.getReg('eip')).toBe(CODE + 3);
  });
});

describe('LTR and STR', () => {
  it('load an available TSS, mark it busy, and store the selector', async () => {
    const core = await protectedCore();
    core.setReg('eax', SEL.tss32);
    core.setReg('ecx', 0xffffffff);
    runCode(core, '0f 00 d8 0f 00 c9 0f 0b'); // ltr ax; str ecx
    expect(core.getSegment(L.SEG_TR)).toMatchObject({ selector: SEL.tss32, base: TSS, limit: 0x67 });
    expect(core.getSegment(L.SEG_TR).attr & 0x9f).toBe(0x8b);
    expect(core.readPhys(GDT + SEL.tss32 + 5, 1)[0]).toBe(0x8b);
    expect(core.getReg('ecx')).toBe(SEL.tss32);
    // Busy now: a second LTR faults.
    expect(runCode(core, '0f 00 d8 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: SEL.tss32 });
  });

  it('accepts a 16-bit TSS and refuses null, non-TSS and LDT selectors', async () => {
    const core = await protectedCore();
    core.setReg('eax', SEL.tss16);
    expect(runCode(core, '0f 00 d8 0f 0b').vector).toBe(EXC.UD);
    expect(core.readPhys(GDT + SEL.tss16 + 5, 1)[0]).toBe(0x83);
    for (const [sel, code] of [
      [0, 0],
      [SEL.data0, SEL.data0],
      [SEL.tss32 | 4, SEL.tss32 | 4],
    ]) {
      core.setReg('eax', sel);
      expect(runCode(core, '0f 00 d8 0f 0b'), `selector ${sel}`).toMatchObject({ vector: EXC.GP, errorCode: code });
    }
  });
});

describe('LAR, LSL, VERR, VERW', () => {
  /** Run `lar eax, ebx` (0f 02 c3) or another such instruction with EBX = sel; returns [ZF, EAX]. */
  function probe(core: Core, code: string, sel: number): [boolean, number] {
    core.setReg('ebx', sel);
    core.setReg('eax', 0xdeadbeef);
    core.setReg('eflags', 0x2);
    runCode(core, `${code} 0f 0b`);
    return [zf(core), core.getReg('eax')];
  }
  const LAR = '0f 02 c3';
  const LSL = '0f 03 c3';
  const VERR = '0f 00 e3';
  const VERW = '0f 00 eb';

  it('LAR returns the access rights of code, data and system descriptors', async () => {
    const core = await protectedCore();
    expect(probe(core, LAR, SEL.data0)).toEqual([true, 0x00c09200]);
    expect(probe(core, LAR, SEL.notPresent)).toEqual([true, 0x00c01200]); // P is not checked
    expect(probe(core, LAR, SEL.callGate)).toEqual([true, 0x0000ec00]);
    expect(probe(core, LAR, SEL.tss32)).toEqual([true, 0x00008900]);
    expect(probe(core, `66 ${LAR}`, SEL.data0)).toEqual([true, 0xdead9200]);
    expect(probe(core, LAR, 0)).toEqual([false, 0xdeadbeef]);
    expect(probe(core, LAR, 0x68)).toEqual([false, 0xdeadbeef]); // beyond the GDT limit
  });

  it('LAR and LSL reach the LDT through a TI = 1 selector', async () => {
    const core = await protectedCore();
    core.setReg('eax', SEL.ldt);
    runCode(core, '0f 00 d0 0f 0b');
    expect(probe(core, LAR, 0x07)).toEqual([true, 0x0040f200]);
    expect(probe(core, LSL, 0x07)).toEqual([true, 0xfff]);
    expect(probe(core, LAR, 0x0f)).toEqual([false, 0xdeadbeef]); // LDT entry 1 is zero: system type 0
    expect(probe(core, LAR, 0x1f)).toEqual([false, 0xdeadbeef]); // index 3 is beyond the LDT limit 0x17
  });

  it('LSL returns byte-granular limits and refuses gates', async () => {
    const core = await protectedCore();
    expect(probe(core, LSL, SEL.data0)).toEqual([true, 0xffffffff]);
    expect(probe(core, LSL, SEL.ldt)).toEqual([true, 0x17]);
    expect(probe(core, LSL, SEL.tss32)).toEqual([true, 0x67]);
    expect(probe(core, `66 ${LSL}`, SEL.data0)).toEqual([true, 0xdeadffff]);
    expect(probe(core, LSL, SEL.callGate)).toEqual([false, 0xdeadbeef]);
  });

  it('privilege: at CPL 3 only DPL 3 and conforming code segments are visible', async () => {
    const core = await protectedCore(3);
    expect(probe(core, LAR, SEL.data0)[0]).toBe(false);
    expect(probe(core, LAR, SEL.data3 | 3)[0]).toBe(true);
    expect(probe(core, LAR, SEL.conforming)[0]).toBe(true);
    expect(probe(core, LAR, SEL.callGate | 3)[0]).toBe(true);
    expect(probe(core, LSL, SEL.tss32)[0]).toBe(false);
    expect(probe(core, VERR, SEL.conforming)[0]).toBe(true);
    expect(probe(core, VERW, SEL.data0)[0]).toBe(false);
    expect(probe(core, VERW, SEL.data3)[0]).toBe(true);
  });

  it('RPL above DPL hides a non-conforming segment', async () => {
    const core = await protectedCore();
    expect(probe(core, LAR, SEL.data0 | 3)[0]).toBe(false);
    expect(probe(core, VERR, SEL.data0 | 3)[0]).toBe(false);
  });

  it('VERR/VERW follow readability and writability', async () => {
    const core = await protectedCore();
    expect(probe(core, VERR, SEL.data0)[0]).toBe(true);
    expect(probe(core, VERR, SEL.code0)[0]).toBe(true);
    expect(probe(core, VERR, SEL.execOnly)[0]).toBe(false);
    expect(probe(core, VERR, SEL.tss32)[0]).toBe(false);
    expect(probe(core, VERW, SEL.data0)[0]).toBe(true);
    expect(probe(core, VERW, SEL.readOnly)[0]).toBe(false);
    expect(probe(core, VERW, SEL.code0)[0]).toBe(false);
    expect(probe(core, VERW, 0)[0]).toBe(false);
  });
});

describe('ARPL', () => {
  it('raises the RPL and reports it in ZF', async () => {
    const core = await protectedCore();
    core.setReg('eax', 0xffff0010);
    core.setReg('ebx', 3);
    runCode(core, '63 d8 0f 0b'); // arpl ax, bx
    expect(core.getReg('eax')).toBe(0xffff0013);
    expect(zf(core)).toBe(true);
    runCode(core, '63 d8 0f 0b');
    expect(core.getReg('eax')).toBe(0xffff0013);
    expect(zf(core)).toBe(false);
    write32(core, 0x4000, 0xaaaa0011);
    core.setReg('ebx', 2);
    runCode(core, '63 1d 00 40 00 00 0f 0b'); // arpl [0x4000], bx
    expect(read32(core, 0x4000)).toBe(0xaaaa0012);
    expect(zf(core)).toBe(true);
  });
});

describe('outside protected mode', () => {
  const PROTECTED_ONLY: [string, string][] = [
    ['sldt', '0f 00 c3'],
    ['str', '0f 00 cb'],
    ['lldt', '0f 00 d3'],
    ['ltr', '0f 00 db'],
    ['verr', '0f 00 e3'],
    ['verw', '0f 00 eb'],
    ['lar', '0f 02 c3'],
    ['lsl', '0f 03 c3'],
    ['arpl', '63 d8'],
  ];

  it('the descriptor instructions are #UD in real mode', async () => {
    const core = await realCore();
    for (const [name, code] of PROTECTED_ONLY) {
      const r = runCode(core, `${code} 0f 0b`);
      expect(r.vector, name).toBe(EXC.UD);
      expect(core.getReg('eip'), name).toBe(CODE);
    }
  });

  it('the descriptor instructions are #UD in virtual-8086 mode', async () => {
    const core = await protectedCore();
    core.setState(L.OFF_CPL, 3);
    core.setReg('eflags', 0x2 | FLAG_VM);
    for (const [name, code] of PROTECTED_ONLY) {
      const r = runCode(core, `${code} 0f 0b`);
      expect(r.vector, name).toBe(EXC.UD);
      expect(core.getReg('eip'), name).toBe(CODE);
    }
  });
});
