// Far JMP/CALL/RETF between code segments and privilege levels, call gates
// with parameters, and their faults (SDM Vol. 2A "CALL", "JMP", Vol. 2B "RET";
// Vol. 3A §5.8).

import { describe, it, expect } from 'vitest';
import {
  protectedMachine,
  L,
  SEL,
  T,
  CODE0,
  CODE3,
  DATA,
  CALL_TARGET,
  STACK0_TOP,
  STACK3_TOP,
  TSS_A,
  UD2,
  le16,
  le32,
  gateDesc,
  segDesc,
} from './machine.js';

const jmpFar = (sel: number, off: number) => [0xea, ...le32(off), ...le16(sel)];
const callFar = (sel: number, off: number) => [0x9a, ...le32(off), ...le16(sel)];

describe('far JMP', () => {
  it('jumps to a code segment at the same privilege and sets the accessed bit', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, jmpFar(SEL.code0, CODE0 + 0x100));
    m.bytes(CODE0 + 0x100, UD2);
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE0 + 0x100);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code0);
    expect(m.gdtHi(SEL.code0) & 0x100).toBe(0x100);
  });

  it('switches to a 16-bit code segment (66 EA ptr16:16)', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, [0x66, 0xea, ...le16(0x1000), ...le16(SEL.code16)]);
    m.bytes(0x1000, UD2);
    m.runToException();
    expect(m.eip).toBe(0x1000);
    expect(m.seg(L.SEG_CS).attr & L.ATTR_DB).toBe(0);
    expect(m.seg(L.SEG_CS).limit).toBe(0xffff);
  });

  it('enters a conforming segment without changing CPL (RPL of CS = CPL)', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.bytes(CODE3, jmpFar(SEL.conforming0, CODE0));
    m.bytes(CODE0, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE0);
    expect(m.sel(L.SEG_CS)).toBe(SEL.conforming0 | 3);
    expect(m.cpl).toBe(3);
  });

  it('jumps through a call gate at the same privilege', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, jmpFar(SEL.callGate3, 0xdead));
    m.bytes(CALL_TARGET, UD2);
    m.runToException();
    expect(m.eip).toBe(CALL_TARGET);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code0);
  });

  it.each([
    ['a null selector', 0, 0, 0, 13, 0],
    ['RPL > CPL for a non-conforming target', 0, SEL.code0 | 3, CODE0, 13, SEL.code0],
    ['DPL != CPL for a non-conforming target', 0, SEL.code3, CODE0, 13, SEL.code3 & ~3],
    ['a data segment', 0, SEL.data0, CODE0, 13, SEL.data0],
    ['an offset beyond the limit', 0, SEL.code16, 0x10000, 13, 0],
    ['a call gate to a ring-0 segment from ring 3', 3, SEL.callGate3, 0, 13, SEL.code0],
    ['a busy TSS', 0, SEL.tssA, 0, 13, SEL.tssA],
  ])('rejects %s', async (_name, cpl, sel, off, vector, code) => {
    const m = await protectedMachine({ cpl: cpl as 0 | 3 });
    const start = cpl === 3 ? CODE3 : CODE0;
    m.bytes(start, jmpFar(sel, off));
    const r = m.runToException();
    expect(r.vector).toBe(vector);
    expect(r.errorCode).toBe(code);
    expect(m.eip).toBe(start);
    expect(m.sel(L.SEG_CS)).toBe(cpl === 3 ? SEL.code3 : SEL.code0);
  });

  it('rejects a conforming segment whose DPL is above CPL', async () => {
    const m = await protectedMachine();
    m.setGdt(11, segDesc(0, 0xffffffff, T.conforming, 3));
    m.bytes(CODE0, jmpFar(SEL.conforming0, CODE0));
    const r = m.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.conforming0);
  });

  it('raises #NP for a not-present code segment', async () => {
    const m = await protectedMachine();
    m.setGdt(13, segDesc(0, 0xffffffff, T.code, 0, { present: false }));
    m.bytes(CODE0, jmpFar(SEL.notPresent, 0));
    const r = m.runToException();
    expect(r.vector).toBe(11);
    expect(r.errorCode).toBe(SEL.notPresent);
  });

  it('reads the far pointer from memory (FF /5, m16:32)', async () => {
    const m = await protectedMachine();
    m.w32(DATA, CODE0 + 0x40);
    m.w16(DATA + 4, SEL.code0);
    m.core.setReg('ebx', DATA);
    m.bytes(CODE0, [0xff, 0x2b]);
    m.bytes(CODE0 + 0x40, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE0 + 0x40);
  });
});

describe('far CALL and RETF', () => {
  it('calls at the same privilege, pushing CS:EIP, and RETF imm returns and releases the arguments', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, [...callFar(SEL.code0, CODE0 + 0x100), ...UD2]);
    m.bytes(CODE0 + 0x100, [0xca, ...le16(8)]); // retf 8
    m.core.run(1, { stopOnException: true });
    expect(m.eip).toBe(CODE0 + 0x100);
    expect(m.esp).toBe(STACK0_TOP - 8);
    expect(m.r32(STACK0_TOP - 8)).toBe(CODE0 + 7);
    expect(m.r32(STACK0_TOP - 4)).toBe(SEL.code0);
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE0 + 7);
    expect(m.esp).toBe(STACK0_TOP + 8);
  });

  it('16-bit call pushes 16-bit CS:IP', async () => {
    const m = await protectedMachine();
    m.bytes(CODE0, [0x66, 0x9a, ...le16(0x2000), ...le16(SEL.code16)]);
    m.bytes(0x2000, UD2);
    m.runToException();
    expect(m.esp).toBe(STACK0_TOP - 4);
    expect(m.r16(STACK0_TOP - 4)).toBe((CODE0 + 6) & 0xffff);
    expect(m.r16(STACK0_TOP - 2)).toBe(SEL.code0);
    expect(m.eip).toBe(0x2000);
  });

  it('a stack fault on the second push leaves ESP and memory unchanged', async () => {
    const m = await protectedMachine();
    // Expand-down SS: offsets above STACK0_TOP - 7 only, so the EIP push (second) is outside.
    m.setSegmentCache(L.SEG_SS, SEL.data0, 0, STACK0_TOP - 7, L.ATTR_P | T.dataDown | 1 | L.ATTR_DB);
    m.w32(STACK0_TOP - 4, 0x11111111);
    m.bytes(CODE0, callFar(SEL.code0, CODE0 + 0x100));
    const r = m.runToException();
    expect(r.vector).toBe(12);
    expect(r.errorCode).toBe(0);
    expect(m.esp).toBe(STACK0_TOP);
    expect(m.r32(STACK0_TOP - 4)).toBe(0x11111111);
    expect(m.eip).toBe(CODE0);
  });

  it('a call gate to ring 0 whose TSS stack is expand-down with limit 0xFFFFFFFF raises #SS(SS0)', async () => {
    // No offset lies above a limit of 0xFFFFFFFF (SDM Vol. 3A §3.4.5.1), so the
    // first push on the new stack is outside it: #SS(new SS selector) (SDM Vol. 2A "CALL").
    const m = await protectedMachine({ cpl: 3 });
    m.setGdt(SEL.data0 >> 3, segDesc(0, 0xffffffff, T.dataDown, 0));
    m.bytes(CODE3, [...callFar(SEL.callGate3, 0), ...UD2]);
    m.bytes(CALL_TARGET, UD2);
    const esp3 = m.esp;
    const r = m.runToException();
    expect(r).toMatchObject({ vector: 12, errorCode: SEL.data0 });
    expect(m.cpl).toBe(3);
    expect(m.eip).toBe(CODE3);
    expect(m.esp).toBe(esp3);
  });

  it('calls through a 32-bit call gate to ring 0, copying parameters onto the TSS stack', async () => {
    const m = await protectedMachine({ cpl: 3 });
    const esp3 = STACK3_TOP - 8;
    m.core.setReg('esp', esp3);
    m.w32(esp3, 0xaaaa0001);
    m.w32(esp3 + 4, 0xbbbb0002);
    m.bytes(CODE3, [...callFar(SEL.callGate3, 0), ...UD2]);
    m.bytes(CALL_TARGET, UD2);
    m.runToException();
    expect(m.eip).toBe(CALL_TARGET);
    expect(m.cpl).toBe(0);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code0);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data0);
    expect(m.esp).toBe(STACK0_TOP - 24);
    const frame = [0, 4, 8, 12, 16, 20].map((o) => m.r32(STACK0_TOP - 24 + o));
    expect(frame).toEqual([CODE3 + 7, SEL.code3, 0xaaaa0001, 0xbbbb0002, esp3, SEL.data3]);
  });

  it('RETF to ring 3 restores SS:ESP, releases parameters on both stacks and nulls DS', async () => {
    const m = await protectedMachine({ cpl: 3 });
    const esp3 = STACK3_TOP - 8;
    m.core.setReg('esp', esp3);
    // ring 3: call gate ; ud2.  ring 0: mov ds, ax ; retf 8
    m.bytes(CODE3, [...callFar(SEL.callGate3, 0), ...UD2]);
    m.bytes(CALL_TARGET, [0x8e, 0xd8, 0xca, ...le16(8)]);
    m.core.setReg('eax', SEL.data0);
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE3 + 7);
    expect(m.cpl).toBe(3);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code3);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data3);
    expect(m.esp).toBe(esp3 + 8);
    expect(m.sel(L.SEG_DS)).toBe(0);
    expect(m.sel(L.SEG_ES)).toBe(SEL.data3);
  });

  it('calls through a 16-bit call gate with one parameter', async () => {
    const m = await protectedMachine({ cpl: 3 });
    const esp3 = STACK3_TOP - 2;
    m.core.setReg('esp', esp3);
    m.w16(esp3, 0x4242);
    m.bytes(CODE3, callFar(SEL.callGate16, 0));
    m.bytes(CALL_TARGET & 0xffff, UD2);
    m.runToException();
    expect(m.eip).toBe(CALL_TARGET & 0xffff);
    expect(m.esp).toBe(STACK0_TOP - 10);
    const frame = [0, 2, 4, 6, 8].map((o) => m.r16(STACK0_TOP - 10 + o));
    expect(frame).toEqual([(CODE3 + 7) & 0xffff, SEL.code3, 0x4242, esp3 & 0xffff, SEL.data3]);
  });

  it('reads the inner stack from the TSS: a bad SS there raises #TS(SS)', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.w16(TSS_A + 8, SEL.data3);
    m.bytes(CODE3, callFar(SEL.callGate3, 0));
    const r = m.runToException();
    expect(r.vector).toBe(10);
    expect(r.errorCode).toBe(SEL.data3 & ~3);
    expect(m.cpl).toBe(3);
    expect(m.esp).toBe(STACK3_TOP);
  });

  it('raises #GP(gate) for a gate with DPL < CPL and #NP(gate) for a not-present gate', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setGdt(9, gateDesc(SEL.code0, CALL_TARGET, T.callGate32, 0, 2));
    m.bytes(CODE3, callFar(SEL.callGate3, 0));
    let r = m.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.callGate3 & ~3);
    m.setGdt(9, gateDesc(SEL.code0, CALL_TARGET, T.callGate32, 3, 2, false));
    r = m.runToException();
    expect(r.vector).toBe(11);
    expect(r.errorCode).toBe(SEL.callGate3 & ~3);
  });

  it('RETF rejects a return CS with RPL < CPL, and an outer SS whose RPL differs', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.core.setReg('esp', STACK3_TOP - 8);
    m.w32(STACK3_TOP - 8, CODE0);
    m.w32(STACK3_TOP - 4, SEL.code0);
    m.bytes(CODE3, [0xcb]);
    let r = m.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.code0);

    const k = await protectedMachine({ cpl: 0 });
    k.core.setReg('esp', STACK0_TOP - 16);
    k.w32(STACK0_TOP - 16, CODE3);
    k.w32(STACK0_TOP - 12, SEL.code3);
    k.w32(STACK0_TOP - 8, STACK3_TOP);
    k.w32(STACK0_TOP - 4, SEL.data0);
    k.bytes(CODE0, [0xcb]);
    r = k.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.data0);
    expect(k.esp).toBe(STACK0_TOP - 16);
    expect(k.cpl).toBe(0);
  });
});

describe('far transfers in real and virtual-8086 mode', () => {
  it('real mode: CALL far pushes CS:IP, RETF returns, JMP far loads CS = selector × 16', async () => {
    const m = await protectedMachine();
    m.core.reset();
    m.setSegmentCache(L.SEG_CS, 0, 0, 0xffff, L.ATTR_P | T.code | 1);
    m.setSegmentCache(L.SEG_SS, 0, 0, 0xffff, L.ATTR_P | T.data | 1);
    m.core.setReg('esp', 0x8000);
    m.core.setReg('eip', 0x1000);
    m.bytes(0x1000, [0x9a, ...le16(0x0010), ...le16(0x0200), ...UD2]); // call 0200:0010
    m.bytes(0x2010, [0xea, ...le16(0x0020), ...le16(0x0300)]); // jmp 0300:0020
    m.bytes(0x3020, [0xcb]); // retf
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(0x1005);
    expect(m.seg(L.SEG_CS)).toMatchObject({ selector: 0, base: 0 });
    expect(m.esp).toBe(0x8000);
    expect(m.r16(0x7ffc)).toBe(0x1005);
  });

  it('virtual-8086 mode: far JMP and RETF use v86 segments at CPL 3', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.core.setReg('eflags', 0x2 | L.FLAG_VM);
    for (const s of [L.SEG_ES, L.SEG_DS, L.SEG_FS, L.SEG_GS]) m.setSegmentCache(s, 0, 0, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_SS, 0x800, 0x8000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_CS, 0x100, 0x1000, 0xffff, 0xf3);
    m.core.setReg('esp', 0x100);
    m.core.setReg('eip', 0);
    m.bytes(0x1000, [0xea, ...le16(0x0004), ...le16(0x0400)]); // jmp 0400:0004
    m.bytes(0x4004, UD2);
    m.runToException();
    expect(m.seg(L.SEG_CS)).toEqual({ selector: 0x400, base: 0x4000, limit: 0xffff, attr: 0xf3 });
    expect(m.eip).toBe(4);
    expect(m.cpl).toBe(3);
  });
});
