// Hardware task switches: JMP/CALL to a TSS or task gate, IRET with NT,
// exceptions through a task gate, and the #TS/#NP/#GP checks
// (SDM Vol. 3A §7.3, Table 7-1, Table 7-2).

import { describe, it, expect } from 'vitest';
import {
  protectedMachine,
  Machine,
  L,
  SEL,
  T,
  CODE0,
  CODE_B,
  LDT,
  STACK0_TOP,
  STACK_B_TOP,
  TSS_A,
  TSS_B,
  TSS_16,
  UD2,
  le16,
  le32,
  gateDesc,
  segDesc,
} from './machine.js';

const jmpFar = (sel: number) => [0xea, ...le32(0), ...le16(sel)];
const callFar = (sel: number) => [0x9a, ...le32(0), ...le16(sel)];
const BUSY = 0x200;

const REGS_B = [0xb0, 0xb1, 0xb2, 0xb3, STACK_B_TOP, 0xb5, 0xb6, 0xb7];

async function twoTasks(): Promise<Machine> {
  const m = await protectedMachine();
  m.writeTss32(TSS_B, { eip: CODE_B, eflags: 0x2 | L.FLAG_CF, regs: REGS_B });
  m.core.setReg('eax', 0xa0);
  m.core.setReg('ebx', 0xa3);
  m.core.setReg('eflags', 0x2 | L.FLAG_ZF);
  return m;
}

describe('task switches by JMP and CALL', () => {
  it('JMP to a TSS saves the old task, releases its busy bit and loads the new one', async () => {
    const m = await twoTasks();
    m.bytes(CODE0, jmpFar(SEL.tssB));
    m.bytes(CODE_B, UD2);
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE_B);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssB);
    expect(m.seg(L.SEG_TR).base).toBe(TSS_B);
    expect(m.core.getReg('eax')).toBe(0xb0);
    expect(m.esp).toBe(STACK_B_TOP);
    expect(m.core.getReg('eflags')).toBe(0x2 | L.FLAG_CF);
    expect(m.core.getState(L.OFF_CR0) & L.CR0_TS).toBe(L.CR0_TS);
    // The outgoing state, with EIP past the JMP.
    expect(m.r32(TSS_A + 0x20)).toBe(CODE0 + 7);
    expect(m.r32(TSS_A + 0x24)).toBe(0x2 | L.FLAG_ZF);
    expect(m.r32(TSS_A + 0x28)).toBe(0xa0);
    expect(m.r32(TSS_A + 0x34)).toBe(0xa3);
    expect(m.r32(TSS_A + 0x38)).toBe(STACK0_TOP);
    expect(m.r16(TSS_A + 0x4c)).toBe(SEL.code0);
    // Busy bits: A released, B set; no back link, no NT.
    expect(m.gdtHi(SEL.tssA) & BUSY).toBe(0);
    expect(m.gdtHi(SEL.tssB) & BUSY).toBe(BUSY);
    expect(m.r16(TSS_B)).toBe(0);
  });

  it('CALL to a TSS links back, sets NT, and IRET returns to the caller', async () => {
    const m = await twoTasks();
    m.bytes(CODE0, [...callFar(SEL.tssB), ...UD2]);
    m.bytes(CODE_B, [0xcf]); // iret
    m.core.run(1, { stopOnException: true });
    expect(m.eip).toBe(CODE_B);
    expect(m.r16(TSS_B)).toBe(SEL.tssA);
    expect(m.core.getReg('eflags') & L.FLAG_NT).toBe(L.FLAG_NT);
    expect(m.gdtHi(SEL.tssA) & BUSY).toBe(BUSY);
    expect(m.gdtHi(SEL.tssB) & BUSY).toBe(BUSY);

    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(CODE0 + 7);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssA);
    expect(m.core.getReg('eax')).toBe(0xa0);
    expect(m.esp).toBe(STACK0_TOP);
    expect(m.core.getReg('eflags')).toBe(0x2 | L.FLAG_ZF);
    expect(m.gdtHi(SEL.tssB) & BUSY).toBe(0);
    expect(m.gdtHi(SEL.tssA) & BUSY).toBe(BUSY);
    // Task B's saved EFLAGS has NT cleared by the IRET.
    expect(m.r32(TSS_B + 0x24) & L.FLAG_NT).toBe(0);
    expect(m.r32(TSS_B + 0x20)).toBe(CODE_B + 1);
  });

  it("JMP through a task gate switches to the gate's TSS", async () => {
    const m = await twoTasks();
    m.bytes(CODE0, jmpFar(SEL.taskGateB));
    m.bytes(CODE_B, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE_B);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssB);
  });

  it("loads the new task's LDT and segments from it", async () => {
    const m = await twoTasks();
    m.setLdt(0, segDesc(0x00777000, 0xffff, T.data, 0, { gran: false }));
    m.writeTss32(TSS_B, {
      eip: CODE_B,
      regs: REGS_B,
      ldt: SEL.ldt,
      segs: [SEL.data0, SEL.code0, SEL.data0, 0x04, 0, SEL.data3],
    });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    m.bytes(CODE_B, UD2);
    m.runToException();
    expect(m.sel(L.SEG_LDTR)).toBe(SEL.ldt);
    expect(m.seg(L.SEG_LDTR).base).toBe(LDT);
    expect(m.seg(L.SEG_DS)).toMatchObject({ selector: 0x04, base: 0x777000, limit: 0xffff });
    expect(m.sel(L.SEG_FS)).toBe(0);
    expect(m.sel(L.SEG_GS)).toBe(SEL.data3);
  });

  it('switches to a 16-bit TSS: 16-bit registers, FS/GS null', async () => {
    const m = await twoTasks();
    m.core.writePhys(TSS_16, new Uint8Array(0x2c));
    m.w16(TSS_16 + 0x0e, 0x2000); // IP
    m.w16(TSS_16 + 0x10, 0x0003); // FLAGS (CF)
    for (let i = 0; i < 8; i++) m.w16(TSS_16 + 0x12 + i * 2, 0x1600 + i);
    [SEL.data0, SEL.code16, SEL.data16, SEL.data0].forEach((s, i) => m.w16(TSS_16 + 0x22 + i * 2, s));
    m.core.setReg('ecx', 0x12345678);
    m.bytes(CODE0, jmpFar(SEL.tss16));
    m.bytes(0x2000, UD2);
    m.runToException();
    expect(m.eip).toBe(0x2000);
    expect(m.core.getReg('ecx')).toBe(0x12341601);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code16);
    expect(m.sel(L.SEG_FS)).toBe(0);
    expect(m.core.getReg('eflags') & 0xffff).toBe(0x3);
  });

  it('enters a virtual-8086 task when the new EFLAGS has VM', async () => {
    const m = await twoTasks();
    m.writeTss32(TSS_B, {
      eip: 0x10,
      eflags: 0x2 | L.FLAG_VM,
      regs: REGS_B,
      segs: [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000],
    });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    m.bytes(0x20010, UD2);
    m.runToException();
    expect(m.eip).toBe(0x10);
    expect(m.cpl).toBe(3);
    expect(m.seg(L.SEG_CS)).toEqual({ selector: 0x2000, base: 0x20000, limit: 0xffff, attr: 0xf3 });
    expect(m.seg(L.SEG_GS).base).toBe(0x60000);
  });

  it("raises #DB before the new task's first instruction when its T bit is set", async () => {
    const m = await twoTasks();
    m.writeTss32(TSS_B, { eip: CODE_B, regs: REGS_B, trap: 1 });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    const r = m.runToException();
    expect(r.vector).toBe(1);
    expect(m.eip).toBe(CODE_B);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssB);
  });
});

describe('task switch faults', () => {
  it('a TSS limit below 0x67 raises #TS(selector) with nothing changed', async () => {
    const m = await twoTasks();
    m.setGdt(6, segDesc(TSS_B, 0x60, T.tss32, 0, { big: false }));
    m.bytes(CODE0, jmpFar(SEL.tssB));
    const r = m.runToException();
    expect(r.vector).toBe(10);
    expect(r.errorCode).toBe(SEL.tssB);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssA);
    expect(m.eip).toBe(CODE0);
    expect(m.gdtHi(SEL.tssA) & BUSY).toBe(BUSY);
  });

  it('a not-present TSS raises #NP(selector)', async () => {
    const m = await twoTasks();
    m.setGdt(6, segDesc(TSS_B, 0x67, T.tss32, 0, { big: false, present: false }));
    m.bytes(CODE0, callFar(SEL.tssB));
    const r = m.runToException();
    expect(r.vector).toBe(11);
    expect(r.errorCode).toBe(SEL.tssB);
  });

  it('a TSS descriptor with DPL < CPL raises #GP(selector)', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.bytes(0x20000, jmpFar(SEL.tssB | 3));
    const r = m.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(SEL.tssB);
  });

  it("a bad code segment in the new TSS raises #TS in the new task's context", async () => {
    const m = await twoTasks();
    m.writeTss32(TSS_B, { eip: CODE_B, regs: REGS_B, segs: [SEL.data0, SEL.data0, SEL.data0, SEL.data0, SEL.data0, SEL.data0] });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    const r = m.runToException();
    expect(r.vector).toBe(10);
    expect(r.errorCode).toBe(SEL.data0);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssB);
    expect(m.eip).toBe(CODE_B);
    expect(m.r32(TSS_A + 0x20)).toBe(CODE0 + 7);
  });

  it('a not-present stack segment in the new TSS raises #SS, a bad LDT #TS', async () => {
    let m = await twoTasks();
    m.writeTss32(TSS_B, { eip: CODE_B, regs: REGS_B, segs: [SEL.data0, SEL.code0, SEL.notPresent, SEL.data0, 0, 0] });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    let r = m.runToException();
    expect(r.vector).toBe(12);
    expect(r.errorCode).toBe(SEL.notPresent);

    m = await twoTasks();
    m.writeTss32(TSS_B, { eip: CODE_B, regs: REGS_B, ldt: SEL.data0 });
    m.bytes(CODE0, jmpFar(SEL.tssB));
    r = m.runToException();
    expect(r.vector).toBe(10);
    expect(r.errorCode).toBe(SEL.data0);
  });

  it('IRET with NT whose back link is not a busy TSS raises #TS(link)', async () => {
    const m = await twoTasks();
    m.w16(TSS_A, SEL.tssB); // available, not busy
    m.core.setReg('eflags', 0x2 | L.FLAG_NT);
    m.bytes(CODE0, [0xcf]);
    const r = m.runToException();
    expect(r.vector).toBe(10);
    expect(r.errorCode).toBe(SEL.tssB);
  });
});

describe('exceptions and interrupts through task gates', () => {
  it('#GP through an IDT task gate switches task and pushes the error code on the new stack', async () => {
    const m = await twoTasks();
    m.setIdt(13, gateDesc(SEL.tssB, 0, T.taskGate, 0));
    m.bytes(CODE0, [0x8e, 0xd0]); // mov ss, ax (null) -> #GP(0)
    m.core.setReg('eax', SEL.code0);
    m.runDelivering(1);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssB);
    expect(m.eip).toBe(CODE_B);
    expect(m.esp).toBe(STACK_B_TOP - 4);
    expect(m.r32(STACK_B_TOP - 4)).toBe(SEL.code0);
    expect(m.r16(TSS_B)).toBe(SEL.tssA);
    expect(m.core.getReg('eflags') & L.FLAG_NT).toBe(L.FLAG_NT);
    // The faulting instruction is the saved EIP.
    expect(m.r32(TSS_A + 0x20)).toBe(CODE0);
  });

  it('an external interrupt through a task gate to a busy TSS raises #GP(TSS | EXT)', async () => {
    const m = await twoTasks();
    m.setIdt(0x30, gateDesc(SEL.tssA, 0, T.taskGate, 0));
    const res = m.core.exports.deliverEvent(0x30, 2, 0, 0) >>> 0;
    expect(res).toBe(((13 << 16) | SEL.tssA | 1) >>> 0);
    expect(m.sel(L.SEG_TR)).toBe(SEL.tssA);
  });
});
