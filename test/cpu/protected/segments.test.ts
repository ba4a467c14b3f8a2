// Segment-register loads: MOV/POP/PUSH Sreg, MOV from Sreg, LDS/LSS, in
// protected, real and virtual-8086 mode (SDM Vol. 2B "MOV", "POP", "PUSH",
// "LDS/LES/LFS/LGS/LSS"; Vol. 3A §5.5-5.7 privilege checks).

import { describe, it, expect } from 'vitest';
import { protectedMachine, Machine, L, SEL, T, GDT, LDT, CODE0, CODE3, DATA, STACK0_TOP, STACK3_TOP, UD2, segDesc } from './machine.js';

const MOV_DS_AX = [0x8e, 0xd8];
const MOV_ES_AX = [0x8e, 0xc0];
const MOV_SS_AX = [0x8e, 0xd0];
const ADD_MEM_EAX_EBX = [0x01, 0x18]; // add [eax], ebx (DS)

async function movDs(cpl: 0 | 3, selector: number, code = MOV_DS_AX): Promise<{ m: Machine; r: ReturnType<Machine['runToException']> }> {
  const m = await protectedMachine({ cpl });
  m.bytes(cpl === 3 ? CODE3 : CODE0, [...code, ...UD2]);
  m.core.setReg('eax', selector);
  const r = m.runToException();
  return { m, r };
}

describe('MOV Sreg in protected mode', () => {
  it('loads a data segment, fills the cache and sets the accessed bit', async () => {
    const { m, r } = await movDs(0, SEL.data3);
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE0 + 2);
    const ds = m.seg(L.SEG_DS);
    expect(ds.selector).toBe(SEL.data3);
    expect(ds.base).toBe(0);
    expect(ds.limit).toBe(0xffffffff);
    expect(ds.attr).toBe(L.ATTR_P | T.data | 1 | (3 << 5) | L.ATTR_DB | L.ATTR_G);
    expect(m.gdtHi(SEL.data3) & 0x100).toBe(0x100);
  });

  it('accepts a null selector in DS, and an access through it then raises #GP(0)', async () => {
    const m = await protectedMachine({ cpl: 0 });
    m.bytes(CODE0, [...MOV_DS_AX, ...ADD_MEM_EAX_EBX, ...UD2]);
    m.core.setReg('eax', 3);
    const r = m.runToException();
    expect(m.sel(L.SEG_DS)).toBe(3);
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(0);
    expect(m.eip).toBe(CODE0 + 2);
  });

  it.each([
    ['a null selector in SS', MOV_SS_AX, 0, 0, 13, 0],
    ['SS with RPL != CPL', MOV_SS_AX, 0, SEL.data0 | 3, 13, SEL.data0],
    ['SS with DPL != CPL', MOV_SS_AX, 0, SEL.data3 & ~3, 13, SEL.data3 & ~3],
    ['a code segment in SS', MOV_SS_AX, 0, SEL.code0, 13, SEL.code0],
    ['a read-only data segment in SS', MOV_SS_AX, 0, SEL.readOnly0, 13, SEL.readOnly0],
    ['a not-present stack segment', MOV_SS_AX, 0, SEL.notPresent, 12, SEL.notPresent],
    ['a not-present data segment', MOV_DS_AX, 0, SEL.notPresent, 11, SEL.notPresent],
    ['an execute-only code segment in DS', MOV_DS_AX, 0, SEL.codeExecOnly0, 13, SEL.codeExecOnly0],
    ['a DPL-0 data segment at CPL 3', MOV_DS_AX, 3, SEL.data0, 13, SEL.data0],
    ['RPL > DPL', MOV_DS_AX, 0, SEL.data0 | 3, 13, SEL.data0],
    ['a selector beyond the GDT limit', MOV_DS_AX, 0, 0x400, 13, 0x400],
    ['a system descriptor (TSS) in ES', MOV_ES_AX, 0, SEL.tssB, 13, SEL.tssB],
    ['an LDT selector while the LDTR is null', MOV_DS_AX, 0, 0x0c, 13, 0x0c],
  ])('rejects %s', async (_name, code, cpl, selector, vector, errorCode) => {
    const { m, r } = await movDs(cpl as 0 | 3, selector, code);
    expect(r.vector).toBe(vector);
    expect(r.errorCode).toBe(errorCode);
    expect(m.eip).toBe(cpl === 3 ? CODE3 : CODE0);
    const seg = code === MOV_SS_AX ? L.SEG_SS : code === MOV_ES_AX ? L.SEG_ES : L.SEG_DS;
    expect(m.sel(seg)).toBe(cpl === 3 ? SEL.data3 : SEL.data0);
  });

  it('allows a readable conforming code segment in DS at any CPL', async () => {
    const { m, r } = await movDs(3, SEL.conforming0 | 3);
    expect(r.vector).toBe(6);
    expect(m.sel(L.SEG_DS)).toBe(SEL.conforming0 | 3);
  });

  it('loads a selector from the LDT', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setLdt(1, segDesc(0x12345000, 0xfff, T.data, 3, { gran: false }));
    m.loadCacheFromTable(L.SEG_LDTR, SEL.ldt);
    m.bytes(CODE3, [...MOV_ES_AX, ...UD2]);
    m.core.setReg('eax', 0x0f);
    m.runToException();
    const es = m.seg(L.SEG_ES);
    expect(es).toMatchObject({ selector: 0x0f, base: 0x12345000, limit: 0xfff });
    expect(m.r32(LDT + 12) & 0x100).toBe(0x100);
  });

  it('loads SS with a 16-bit stack segment and pushes then use SP', async () => {
    const m = await protectedMachine({ cpl: 0 });
    m.core.setReg('esp', 0x12340100);
    // mov ss, ax ; push ds ; ud2
    m.bytes(CODE0, [...MOV_SS_AX, 0x1e, ...UD2]);
    m.core.setReg('eax', SEL.data16);
    m.runToException();
    expect(m.sel(L.SEG_SS)).toBe(SEL.data16);
    expect(m.esp).toBe(0x123400fc);
    expect(m.r16(0xfc)).toBe(SEL.data0);
  });

  it('raises #UD for MOV CS and for segment register numbers 6 and 7', async () => {
    for (const modrm of [0xc8, 0xf0, 0xf8]) {
      const m = await protectedMachine();
      m.bytes(CODE0, [0x8e, modrm]);
      const r = m.runToException();
      expect(r.vector).toBe(6);
      expect(m.eip).toBe(CODE0);
    }
  });

  it('checks the expand-down window of a segment loaded into DS', async () => {
    for (const [offset, vector] of [
      [0x800, 13],
      [0x1000, 6],
    ]) {
      const m = await protectedMachine({ cpl: 0 });
      // mov ds, ax ; add [ecx], ebx ; ud2
      m.bytes(CODE0, [...MOV_DS_AX, 0x01, 0x19, ...UD2]);
      m.core.setReg('eax', SEL.expandDown0);
      m.core.setReg('ecx', offset);
      const r = m.runToException();
      expect(m.seg(L.SEG_DS).limit).toBe(0xfff);
      expect(r.vector).toBe(vector);
    }
  });

  // Expand-down: valid offsets run from limit + 1 to 0xFFFF or 0xFFFFFFFF (by
  // the B bit), so a limit of 0xFFFFFFFF leaves none (SDM Vol. 3A §3.4.5.1);
  // limit + 1 must not wrap to 0 and open the whole segment.
  it.each([
    ['32-bit (B = 1)', true],
    ['16-bit (B = 0)', false],
  ])('an expand-down segment with limit 0xFFFFFFFF has no valid offset: %s', async (_, big) => {
    for (const offset of [0, 0x1000, 0xfffc]) {
      const m = await protectedMachine({ cpl: 0 });
      m.setGdt(SEL.expandDown0 >> 3, segDesc(0, 0xffffffff, T.dataDown, 0, { big }));
      // mov ds, ax ; add [ecx], ebx ; ud2
      m.bytes(CODE0, [...MOV_DS_AX, 0x01, 0x19, ...UD2]);
      m.core.setReg('eax', SEL.expandDown0);
      m.core.setReg('ecx', offset);
      const r = m.runToException();
      expect(m.seg(L.SEG_DS).limit).toBe(0xffffffff);
      expect(r).toMatchObject({ vector: 13, errorCode: 0 });
      expect(m.eip).toBe(CODE0 + 2);
    }
  });

  it('a stack push through an expand-down SS with limit 0xFFFFFFFF raises #SS(0)', async () => {
    const m = await protectedMachine({ cpl: 0 });
    m.setGdt(SEL.expandDown0 >> 3, segDesc(0, 0xffffffff, T.dataDown, 0));
    // mov ss, ax ; push ebx ; ud2
    m.bytes(CODE0, [...MOV_SS_AX, 0x53, ...UD2]);
    m.core.setReg('eax', SEL.expandDown0);
    const esp = m.esp;
    const r = m.runToException();
    expect(r).toMatchObject({ vector: 12, errorCode: 0 });
    expect(m.esp).toBe(esp);
  });
});

describe('PUSH/POP Sreg, MOV from Sreg, LDS/LSS', () => {
  it('pushes a selector with a 32-bit operand by moving ESP 4 and writing 16 bits', async () => {
    const m = await protectedMachine();
    m.w32(STACK0_TOP - 4, 0xdeadbeef);
    m.bytes(CODE0, [0x1e, ...UD2]); // push ds
    m.runToException();
    expect(m.esp).toBe(STACK0_TOP - 4);
    expect(m.r32(STACK0_TOP - 4)).toBe((0xdead0000 | SEL.data0) >>> 0);
  });

  it('pushes a 16-bit selector with 66 prefix and CS/SS/FS/GS', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, [0x66, 0x0e, 0x16, 0x0f, 0xa0, 0x0f, 0xa8, ...UD2]); // push cs (16) ; push ss ; push fs ; push gs
    m.runToException();
    expect(m.esp).toBe(STACK0_TOP - 14);
    expect(m.r16(STACK0_TOP - 2)).toBe(SEL.code0);
    expect(m.r16(STACK0_TOP - 6)).toBe(SEL.data0);
  });

  it('pops DS and ES and moves ESP only when the load succeeds', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.w32(STACK3_TOP - 8, SEL.data3);
    m.w32(STACK3_TOP - 4, SEL.data0); // not loadable at CPL 3
    m.core.setReg('esp', STACK3_TOP - 8);
    m.bytes(CODE3, [0x07, 0x1f, ...UD2]); // pop es ; pop ds
    const r = m.runToException();
    expect(m.sel(L.SEG_ES)).toBe(SEL.data3);
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.data0);
    expect(m.eip).toBe(CODE3 + 1);
    expect(m.esp).toBe(STACK3_TOP - 4);
  });

  it('pops SS and FS/GS with 16-bit operands', async () => {
    const m = await protectedMachine();
    m.w16(STACK0_TOP - 4, SEL.data3);
    m.w16(STACK0_TOP - 2, SEL.data0);
    m.core.setReg('esp', STACK0_TOP - 4);
    m.bytes(CODE0, [0x66, 0x0f, 0xa1, 0x66, 0x17, ...UD2]); // pop fs ; pop ss
    m.runToException();
    expect(m.sel(L.SEG_FS)).toBe(SEL.data3);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data0);
    expect(m.esp).toBe(STACK0_TOP);
  });

  it('MOV r32, Sreg zero-extends; MOV r16, Sreg keeps the upper half; MOV m16, Sreg writes 16 bits', async () => {
    const m = await protectedMachine();
    m.core.setReg('eax', 0xffffffff);
    m.core.setReg('ecx', 0xffffffff);
    m.core.setReg('ebx', DATA);
    m.w32(DATA, 0xaaaaaaaa);
    // mov eax, ds ; mov cx, cs ; mov [ebx], ss
    m.bytes(CODE0, [0x8c, 0xd8, 0x66, 0x8c, 0xc9, 0x8c, 0x13, ...UD2]);
    m.runToException();
    expect(m.core.getReg('eax')).toBe(SEL.data0);
    expect(m.core.getReg('ecx')).toBe((0xffff0000 | SEL.code0) >>> 0);
    expect(m.r32(DATA)).toBe((0xaaaa0000 | SEL.data0) >>> 0);
  });

  it('LDS loads DS and the register; a bad selector leaves both unchanged', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.core.setReg('ebx', DATA);
    m.w32(DATA, 0x11223344);
    m.w16(DATA + 4, SEL.data3);
    m.w32(DATA + 8, 0x55667788);
    m.w16(DATA + 12, SEL.data0);
    // lds eax, [ebx] ; lds ecx, [ebx+8]
    m.bytes(CODE3, [0xc5, 0x03, 0xc5, 0x4b, 0x08, ...UD2]);
    m.core.setReg('ecx', 0);
    const r = m.runToException();
    expect(m.core.getReg('eax')).toBe(0x11223344);
    expect(m.sel(L.SEG_DS)).toBe(SEL.data3);
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.data0);
    expect(m.core.getReg('ecx')).toBe(0);
  });

  it('LSS loads SS:ESP; LFS/LGS/LES with 16-bit offsets', async () => {
    const m = await protectedMachine();
    m.core.setReg('ebx', DATA);
    m.w32(DATA, 0x7000);
    m.w16(DATA + 4, SEL.data16);
    m.w16(DATA + 8, 0x1234);
    m.w16(DATA + 10, SEL.data3);
    // lss esp, [ebx] ; lfs dx, [ebx+8] (66) ; ud2
    m.bytes(CODE0, [0x0f, 0xb2, 0x23, 0x66, 0x0f, 0xb4, 0x53, 0x08, ...UD2]);
    m.core.setReg('edx', 0xabcd0000);
    m.runToException();
    expect(m.esp).toBe(0x7000);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data16);
    expect(m.core.getReg('edx')).toBe(0xabcd1234);
    expect(m.sel(L.SEG_FS)).toBe(SEL.data3);
  });
});

describe('segment loads in real and virtual-8086 mode', () => {
  it('real mode: base = selector × 16, cached limit and attributes kept', async () => {
    const m = await protectedMachine();
    m.core.reset();
    m.setSegmentCache(L.SEG_CS, 0, 0, 0xffff, L.ATTR_P | T.code | 1);
    m.core.setReg('eip', 0x1000);
    m.bytes(0x1000, [...MOV_DS_AX, ...MOV_SS_AX, ...UD2]);
    m.core.setReg('eax', 0x1234);
    m.runToException();
    expect(m.seg(L.SEG_DS)).toMatchObject({ selector: 0x1234, base: 0x12340, limit: 0xffff });
    expect(m.seg(L.SEG_SS)).toMatchObject({ selector: 0x1234, base: 0x12340 });
  });

  it('virtual-8086 mode: base = selector × 16, limit 0xffff, DPL-3 data attributes', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.core.setReg('eflags', 0x2 | L.FLAG_VM);
    for (const s of [L.SEG_ES, L.SEG_SS, L.SEG_DS, L.SEG_FS, L.SEG_GS]) m.setSegmentCache(s, 0, 0, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_CS, 0x100, 0x1000, 0xffff, 0xf3);
    m.core.setReg('eip', 0);
    m.bytes(0x1000, [...MOV_ES_AX, ...UD2]);
    m.core.setReg('eax', 0xb800);
    m.runToException();
    expect(m.seg(L.SEG_ES)).toEqual({ selector: 0xb800, base: 0xb8000, limit: 0xffff, attr: 0xf3 });
    void GDT;
  });
});
