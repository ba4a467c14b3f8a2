// CLI, STI, HLT, INT3, INT n, INTO, INT1 (SDM Vol. 2A "CLI", "HLT",
// "INT n/INTO/INT3/INT1"; Vol. 2B "STI").

import { describe, it, expect } from 'vitest';
import { flatCore, realCore, runCode, write32, L, EXC, CODE, STACK_TOP, FLAG_IF, FLAG_OF, FLAG_VM, IOPL3, type Core } from './harness.js';

describe('software interrupts in the stopOnException test mode', () => {
  it('INT3 stops with #BP and EIP past the instruction', async () => {
    const core = await flatCore();
    expect(runCode(core, 'cc 0f 0b')).toMatchObject({ reason: 'exception', vector: EXC.BP });
    expect(core.getReg('eip')).toBe(CODE + 1);
  });

  it('INT n stops with vector n and EIP past the instruction', async () => {
    const core = await flatCore();
    expect(runCode(core, 'cd 80 0f 0b').vector).toBe(0x80);
    expect(core.getReg('eip')).toBe(CODE + 2);
  });

  it('INTO traps only when OF is set', async () => {
    const core = await flatCore();
    core.setReg('eflags', 0x2);
    expect(runCode(core, 'ce 0f 0b').vector).toBe(EXC.UD);
    expect(core.getReg('eip')).toBe(CODE + 1);
    core.setReg('eflags', 0x2 | FLAG_OF);
    expect(runCode(core, 'ce 0f 0b').vector).toBe(EXC.OF);
    expect(core.getReg('eip')).toBe(CODE + 1);
  });

  it('INT1 stops with #DB past the instruction', async () => {
    const core = await flatCore();
    expect(runCode(core, 'f1 0f 0b').vector).toBe(EXC.DB);
    expect(core.getReg('eip')).toBe(CODE + 1);
  });
});

/** Real-mode IVT entry `vector` → 0000:offset. */
function setVector(core: Core, vector: number, offset: number): void {
  write32(core, vector * 4, offset & 0xffff);
}

describe('software interrupts in real mode', () => {
  it('INT n goes through the IVT with FLAGS, CS, IP pushed', async () => {
    const core = await realCore();
    setVector(core, 0x21, 0x2000);
    setVector(core, EXC.UD, 0x3000);
    core.writePhys(0x2000, Uint8Array.from([0x0f, 0x0b])); // ud2 in the handler
    core.writePhys(0x3000, Uint8Array.from([0xf4])); // hlt in the #UD handler
    core.writePhys(CODE, Uint8Array.from([0xcd, 0x21]));
    core.setReg('eip', CODE);
    core.setReg('eflags', 0x2 | FLAG_IF);
    const r = core.run(100);
    expect(r.reason).toBe('idle');
    expect(core.getReg('eip')).toBe(0x3001);
    const frame = core.readPhys(STACK_TOP - 12, 12);
    const word = (i: number) => frame[i] | (frame[i + 1] << 8);
    // #UD frame (IP at the ud2), then the INT frame (IP past INT 21h).
    expect([word(0), word(2)]).toEqual([0x2000, 0]);
    expect([word(6), word(8), word(10) & FLAG_IF]).toEqual([CODE + 2, 0, FLAG_IF]);
    expect(core.getReg('eflags') & FLAG_IF).toBe(0);
  });
});

describe('CLI/STI', () => {
  it('change IF at CPL 0 and in real mode', async () => {
    for (const core of [await flatCore(), await realCore()]) {
      core.setReg('eflags', 0x2 | FLAG_IF);
      runCode(core, 'fa 0f 0b');
      expect(core.getReg('eflags') & FLAG_IF).toBe(0);
      runCode(core, 'fb 0f 0b');
      expect(core.getReg('eflags') & FLAG_IF).toBe(FLAG_IF);
    }
  });

  it('are #GP(0) when CPL > IOPL', async () => {
    const core = await flatCore(3);
    core.setReg('eflags', 0x2 | FLAG_IF);
    expect(runCode(core, 'fa 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    core.setReg('eflags', 0x2);
    expect(runCode(core, 'fb 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getReg('eflags') & FLAG_IF).toBe(0);
    core.setReg('eflags', 0x2 | IOPL3);
    expect(runCode(core, 'fb 0f 0b').vector).toBe(EXC.UD);
    expect(core.getReg('eflags') & FLAG_IF).toBe(FLAG_IF);
  });

  it('are #GP(0) in virtual-8086 mode unless IOPL = 3', async () => {
    const core = await flatCore();
    core.setState(L.OFF_CPL, 3);
    core.setReg('eflags', 0x2 | FLAG_VM | FLAG_IF);
    expect(runCode(core, 'fa 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    core.setReg('eflags', 0x2 | FLAG_VM | FLAG_IF | IOPL3);
    expect(runCode(core, 'fa 0f 0b').vector).toBe(EXC.UD);
    expect(core.getReg('eflags') & FLAG_IF).toBe(0);
  });

  it('STI holds off an interrupt until after the next instruction (STI; HLT waits)', async () => {
    const core = await realCore();
    // INTR forced high with no request: the 8259A (uninitialised, vector base 0)
    // answers the INTA with its spurious IRQ 7 vector.
    const SPURIOUS = 0x07;
    setVector(core, SPURIOUS, 0x2000);
    core.writePhys(0x2000, Uint8Array.from([0xf4])); // the handler halts with IF clear
    core.writePhys(CODE, Uint8Array.from([0xfb, 0xf4])); // sti; hlt
    core.setReg('eip', CODE);
    core.setReg('eflags', 0x2);
    core.setState(L.OFF_INTR_LINE, 1);
    expect(core.run(100).reason).toBe('idle');
    expect(core.getReg('eip')).toBe(0x2001);
    // The interrupt came after HLT, so its return address is past the HLT.
    const ret = core.readPhys(STACK_TOP - 6, 2);
    expect(ret[0] | (ret[1] << 8)).toBe(CODE + 2);
  });
});

describe('HLT', () => {
  it('halts at CPL 0: run() returns idle with EIP past HLT', async () => {
    const core = await flatCore();
    const r = runCode(core, 'f4 0f 0b');
    expect(r.reason).toBe('idle');
    expect(core.getReg('eip')).toBe(CODE + 1);
    expect(core.getState(L.OFF_HALTED)).toBe(1);
    expect(core.run(10).reason).toBe('idle'); // stays halted without an interrupt
  });

  it('is #GP(0) at CPL 3 and in virtual-8086 mode', async () => {
    const core = await flatCore(3);
    expect(runCode(core, 'f4 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getState(L.OFF_HALTED)).toBe(0);
    const v86 = await flatCore();
    v86.setState(L.OFF_CPL, 3);
    v86.setReg('eflags', 0x2 | FLAG_VM | IOPL3);
    expect(runCode(v86, 'f4 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });
});
