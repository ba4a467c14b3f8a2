// Debug registers and debug exceptions: TF single step, instruction and data
// breakpoints with their DR6 bits, general detect, DR6/DR7 fixed bits
// (SDM Vol. 3B ch. 17).

import { describe, it, expect } from 'vitest';
import { flatCore, runCode, resume, dr, setDr, read32, write32, L, EXC, CODE, FLAG_TF, type Core } from './harness.js';

const DR6_FIXED = 0xffff0ff0;
const DR6_BD = 1 << 13;
const DR6_BS = 1 << 14;
const FLAG_RF = 0x10000;
const ADD_EAX_1 = '83 c0 01';
const ADD_ECX_1 = '83 c1 01';
const MOV_DR0_EAX = '0f 23 c0';
const MOV_DR1_EAX = '0f 23 c8';
const MOV_DR2_EAX = '0f 23 d0';
const MOV_DR7_EBX = '0f 23 fb';

/** DR7 bits for breakpoint n: local enable, R/W, LEN (00 = 1, 01 = 2, 11 = 4 bytes). */
function dr7For(n: number, rw: number, len: number): number {
  return ((1 << (n * 2)) | (rw << (16 + n * 4)) | (len << (18 + n * 4))) >>> 0;
}

describe('single step', () => {
  it('TF traps after one instruction with DR6.BS', async () => {
    const core = await flatCore();
    core.setReg('eax', 0);
    core.setReg('eflags', 0x2 | FLAG_TF);
    core.exports.refreshDebugChecks();
    const r = runCode(core, `${ADD_EAX_1} ${ADD_EAX_1} 0f 0b`);
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(CODE + 3);
    expect(core.getReg('eax')).toBe(1);
    expect(dr(core, 6)).toBe((DR6_FIXED | DR6_BS) >>> 0);
    resume(core);
    expect(core.getReg('eip')).toBe(CODE + 6);
    expect(core.getReg('eax')).toBe(2);
  });
});

describe('instruction breakpoints', () => {
  it('fault before the instruction with B0 set; RF lets it run once', async () => {
    const core = await flatCore();
    const target = CODE + 9; // the second add ecx, 1
    core.setReg('eax', target);
    core.setReg('ebx', dr7For(0, 0, 0));
    core.setReg('ecx', 0);
    const r = runCode(core, `${MOV_DR0_EAX} ${MOV_DR7_EBX} ${ADD_ECX_1} ${ADD_ECX_1} 0f 0b`);
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(target);
    expect(core.getReg('ecx')).toBe(1);
    expect(dr(core, 6) & 0xf).toBe(1);
    core.setReg('eflags', core.getReg('eflags') | FLAG_RF);
    expect(resume(core).vector).toBe(EXC.UD);
    expect(core.getReg('ecx')).toBe(2);
  });

  it('a disabled breakpoint does nothing', async () => {
    const core = await flatCore();
    core.setReg('eax', CODE + 6);
    core.setReg('ebx', 0);
    expect(runCode(core, `${MOV_DR0_EAX} ${MOV_DR7_EBX} ${ADD_ECX_1} 0f 0b`).vector).toBe(EXC.UD);
  });
});

const DATA = 0x3000;

describe('data breakpoints', () => {
  it('a write breakpoint traps after the writing instruction, not after reads', async () => {
    const core = await flatCore();
    write32(core, DATA, 0x01020304);
    // Touch the page first so its translation is cached before the breakpoint is armed.
    core.setReg('ecx', 0);
    runCode(core, '03 0d 00 30 00 00 0f 0b'); // add ecx, [DATA]
    core.setReg('eax', DATA);
    core.setReg('ebx', dr7For(1, 1, 3)); // write, 4 bytes
    core.setReg('edx', 0);
    core.setReg('esi', 0x10);
    // Aligned accesses, so that only the breakpoint sends them off the TLB fast path.
    // mov dr1, eax; mov dr7, ebx; add edx, [DATA]; add [DATA], esi; ud2
    const code = `${MOV_DR1_EAX} ${MOV_DR7_EBX} 03 15 00 30 00 00 01 35 00 30 00 00 0f 0b`;
    const r = runCode(core, code, 0x1100);
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(0x1100 + 6 + 6 + 6); // past the write
    expect(core.getReg('edx')).toBe(0x01020304);
    expect(read32(core, DATA)).toBe(0x01020314);
    expect(dr(core, 6) & 0xf).toBe(2);
  });

  it('a read/write breakpoint traps on an overlapping read and ignores neighbours', async () => {
    const core = await flatCore();
    core.setReg('eax', DATA + 0x12);
    core.setReg('ebx', dr7For(2, 3, 1)); // read/write, 2 bytes at DATA+0x12
    core.setReg('edx', 0);
    // mov dr2, eax; mov dr7, ebx; add edx, [DATA+0x14]; add edx, [DATA+0x10]; ud2
    const code = `${MOV_DR2_EAX} ${MOV_DR7_EBX} 03 15 14 30 00 00 03 15 10 30 00 00 0f 0b`;
    const r = runCode(core, code);
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(CODE + 18);
    expect(dr(core, 6) & 0xf).toBe(4);
  });

  it('a single step and a data breakpoint in one instruction give one #DB with both bits', async () => {
    const core = await flatCore();
    setDr(core, 0, DATA);
    setDr(core, 7, 0x400 | dr7For(0, 3, 3));
    core.exports.flushTlb();
    core.setReg('eflags', 0x2 | FLAG_TF);
    core.exports.refreshDebugChecks();
    const r = runCode(core, '03 15 00 30 00 00 0f 0b');
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(CODE + 6);
    expect(dr(core, 6)).toBe((DR6_FIXED | DR6_BS | 1) >>> 0);
  });

  it('disarming the breakpoint stops the traps', async () => {
    const core = await flatCore();
    core.setReg('eax', DATA);
    core.setReg('ebx', dr7For(0, 3, 3));
    runCode(core, `${MOV_DR0_EAX} ${MOV_DR7_EBX} 0f 0b`);
    core.setReg('ebx', 0);
    const r = runCode(core, `${MOV_DR7_EBX} 03 15 00 30 00 00 0f 0b`, 0x1100);
    expect(r.vector).toBe(EXC.UD);
  });
});

describe('MOV DRn', () => {
  it('DR6 and DR7 keep their fixed bits; DR4/DR5 alias DR6/DR7', async () => {
    const core = await flatCore();
    core.setReg('eax', 0);
    // mov dr6, eax; mov ecx, dr6; mov dr7, eax; mov edx, dr7 (0f 21 fa); mov esi, dr4 (0f 21 e6); ud2
    runCode(core, '0f 23 f0 0f 21 f1 0f 23 f8 0f 21 fa 0f 21 e6 0f 0b');
    expect(core.getReg('ecx')).toBe(DR6_FIXED);
    expect(core.getReg('edx')).toBe(0x400);
    expect(core.getReg('esi')).toBe(DR6_FIXED);
    core.setReg('eax', 0xffffffff);
    runCode(core, '0f 23 f0 0f 21 f1 0f 0b');
    expect(core.getReg('ecx')).toBe(0xffffefff);
  });

  it('general detect: any DR access is a #DB fault with BD, and GD is cleared', async () => {
    const core = await flatCore();
    setDr(core, 7, 0x2400);
    const r = runCode(core, '0f 21 c0 0f 0b'); // mov eax, dr0
    expect(r.vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(CODE);
    expect(dr(core, 6) & DR6_BD).toBe(DR6_BD);
    expect(dr(core, 7)).toBe(0x400);
    expect(resume(core).vector).toBe(EXC.UD); // the handler may now use the registers
  });

  it('is #GP(0) at CPL 3', async () => {
    const core: Core = await flatCore(3);
    expect(runCode(core, '0f 21 c0 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(runCode(core, '0f 23 f8 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getState(L.OFF_DR + 7 * 8)).toBe(0x400);
  });
});
