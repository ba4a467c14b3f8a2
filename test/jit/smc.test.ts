// The JIT against the interpreter on code that tests what a JIT gets wrong:
// self-modifying code (the next instruction, a hot loop's body), code that
// crosses a page, one physical page at two linear addresses, writes by
// devices and the host into code pages, a fault in the middle of a compiled
// block (precise state, SDM Vol. 3A §6.5: a fault leaves the state as before
// the instruction), and an interrupt that arrives during a long compiled loop.
// Each program runs on both engines; the JIT must give the interpreter's
// registers, EIP and instruction count, and must really have run compiled code.

import { describe, it, expect } from 'vitest';
import { type Core, type Engine } from '../../host/core.js';
import { readStat } from '../../host/stats.js';
import * as L from '../../host/generated/cpu-layout.js';

import { CODE, armTimerInterrupt, flatCore, runOn, u32, type Outcome } from './harness.js';

/** TLB entry bits (core-as/cpu/paging.ts). */
const TLB_VALID = 1 << 0;
const TLB_CODE = 1 << 7;

/** Run `setup` then up to `max` instructions on both engines; expect the same architectural result. */
async function both(setup: (core: Core) => void, compiledRuns = true): Promise<{ jit: Outcome; interp: Outcome }> {
  const interp = await runOn('interp', setup, 100_000);
  const jit = await runOn('jit', setup, 100_000);
  expect(jit.regs).toEqual(interp.regs);
  expect(jit.instructions).toBe(interp.instructions);
  expect(jit.reason).toBe(interp.reason);
  expect(jit.vector).toBe(interp.vector);
  expect(interp.jitInstructions).toBe(0);
  expect(jit.compiles).toBeGreaterThan(0);
  if (compiledRuns) expect(jit.jitInstructions).toBeGreaterThan(0);
  return { jit, interp };
}

describe('JIT: compiled code matches the interpreter', () => {
  it('runs a hot counting loop in compiled code with the same instruction count', async () => {
    // mov ecx, 1000; xor eax, eax; L: add eax, ecx; dec ecx; jnz L; hlt
    const code = [0xb9, ...u32(1000), 0x31, 0xc0, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    expect(jit.regs.eax).toBe((1000 * 1001) / 2);
    // Most of the 3000 loop instructions ran compiled.
    expect(jit.jitInstructions).toBeGreaterThan(2900);
  });

  it('takes JMP rel32 whatever the flags (it is not a conditional jump)', async () => {
    // xor eax, eax; dec eax (SF = 1); jmp +5; mov ebx, 1; hlt
    const code = [0x31, 0xc0, 0x48, 0xe9, ...u32(5), 0xbb, ...u32(1), 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from([0x90, ...code]));
      c.setReg('eip', CODE);
    });
    expect(jit.regs.ebx).toBe(0);
    expect(jit.regs.eip).toBe(CODE + 1 + code.length);
  });

  it('sees a store that rewrites the next instruction of the same block', async () => {
    // mov ebx, 0x22; mov [L+1], bl; L: mov eax, 0x11; hlt
    const l = CODE + 5 + 6;
    const code = [0xbb, ...u32(0x22), 0x88, 0x1d, ...u32(l + 1), 0xb8, ...u32(0x11), 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    expect(jit.regs.eax).toBe(0x22);
    expect(jit.invalidations).toBeGreaterThan(0);
  });

  it("sees a hot loop rewrite its own body's immediate", async () => {
    // mov ecx, 100; xor eax, eax
    // L: add eax, 1 (imm at P+1); cmp ecx, 50; jne S; mov dword [P+1], 2; S: dec ecx; jnz L; hlt
    const p = CODE + 7;
    const code = [
      0xb9,
      ...u32(100),
      0x31,
      0xc0,
      0x05,
      ...u32(1),
      0x83,
      0xf9,
      50,
      0x75,
      10,
      0xc7,
      0x05,
      ...u32(p + 1),
      ...u32(2),
      0x49,
      0x75,
      0x100 - 23,
      0xf4,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    // 51 passes add 1 (ECX 100..50), 49 add 2.
    expect(jit.regs.eax).toBe(51 + 49 * 2);
    expect(jit.invalidations).toBeGreaterThan(0);
  });

  it('runs a loop whose body crosses a page boundary', async () => {
    // ADD EBX, 3 straddles the page end: mov ecx, 300; xor eax, eax; L: add eax, ecx; add ebx, 3; dec ecx; jnz L; hlt
    const start = 0x2000 - 11;
    const code = [0xb9, ...u32(300), 0x31, 0xc0, 0x01, 0xc8, 0x83, 0xc3, 0x03, 0x49, 0x75, 0x100 - 8, 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(start, Uint8Array.from(code));
      c.setReg('eip', start);
    });
    expect(jit.regs.eax).toBe((300 * 301) / 2);
  });

  it('leaves a faulting instruction in mid-block with the state before it (#GP on a segment limit)', async () => {
    // DS limit 0xfff: mov eax, 1; add ebx, 5; mov ecx, [0x2000] faults; the first two stay done.
    const code = [0xb8, ...u32(1), 0x83, 0xc3, 0x05, 0x8b, 0x0d, ...u32(0x2000), 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('ecx', 0x1234);
      const ds = c.getSegment(3);
      c.exports.setSegmentCache(3, ds.selector, 0, 0xfff, ds.attr & ~0x8000);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + 8);
    expect(jit.regs.eax).toBe(1);
    expect(jit.regs.ebx).toBe(5);
    expect(jit.regs.ecx).toBe(0x1234);
  });

  it('leaves precise state when a PUSH faults on the stack limit', async () => {
    // mov eax, 7; push eax with SS limit below ESP-4: #SS(0); ESP unchanged.
    const code = [0xb8, ...u32(7), 0x50, 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      const ss = c.getSegment(2);
      c.exports.setSegmentCache(2, ss.selector, 0, 0xfff, ss.attr & ~0x8000);
      c.setReg('esp', 0x2000);
    }, false);
    expect(jit.vector).toBe(12);
    expect(jit.regs.esp).toBe(0x2000);
    expect(jit.regs.eip).toBe(CODE + 5);
  });

  it('drops compiled code when a device or the host writes the page (physmem and host writes)', async () => {
    // L: mov eax, 0x11; inc ebx; cmp ebx, 1000; jne L; hlt — run, patch the immediate by the bus, run again.
    const code = [0xb8, ...u32(0x11), 0x43, 0x81, 0xfb, ...u32(1000), 0x75, 0x100 - 14, 0xf4];
    for (const how of ['bus', 'host'] as const) {
      const core = await flatCore('jit');
      core.writePhys(CODE, Uint8Array.from(code));
      core.setReg('eip', CODE);
      core.run(100_000, { stopOnException: true });
      expect(core.getReg('eax')).toBe(0x11);
      const before = readStat(core.memory, 'jit_invalidations');
      if (how === 'bus') core.exports.busWrite(CODE + 1, 0x33, 1);
      else core.writePhys(CODE + 1, Uint8Array.from([0x33]));
      expect(readStat(core.memory, 'jit_invalidations')).toBe(before + 1);
      core.setReg('ebx', 0);
      core.setReg('eip', CODE);
      core.setState(L.OFF_HALTED, 0);
      core.run(100_000, { stopOnException: true });
      expect(core.getReg('eax')).toBe(0x33);
    }
  });
  it('gives a page fast-path writes again once its compiled code is dropped', async () => {
    // L: mov eax, 0x11; inc ebx; cmp ebx, 1000; jne L; hlt (paging off: the TLB maps linear = physical)
    const code = [0xb8, ...u32(0x11), 0x43, 0x81, 0xfb, ...u32(1000), 0x75, 0x100 - 14, 0xf4];
    const core = await flatCore('jit');
    core.writePhys(CODE, Uint8Array.from(code));
    core.setReg('eip', CODE);
    core.run(100_000, { stopOnException: true });
    const entry = (): number => new DataView(core.memory.buffer).getUint32(L.TLB + (CODE >>> 12) * 4, true);
    expect(entry() & TLB_VALID).toBe(TLB_VALID);
    // Compiled code came from the page: CPU writes to it go the slow way, to invalidate.
    expect(entry() & TLB_CODE).toBe(TLB_CODE);
    core.writePhys(CODE + 1, Uint8Array.from([0x33]));
    // The code is gone; a still-valid entry must not keep every later write on the slow path.
    expect(entry() & TLB_VALID).toBe(TLB_VALID);
    expect(entry() & TLB_CODE).toBe(0);
  });
});

describe('JIT: paging', () => {
  /** Identity-map the first 4 MiB and alias linear 0x400000 → physical CODE's page. */
  function pagingSetup(c: Core): void {
    const pd = 0x10000;
    const pt0 = 0x11000;
    const pt1 = 0x12000;
    const dv = new DataView(new ArrayBuffer(4096));
    for (let i = 0; i < 1024; i++) dv.setUint32(i * 4, (i << 12) | 3, true);
    c.writePhys(pt0, new Uint8Array(dv.buffer.slice(0)));
    const alias = new DataView(new ArrayBuffer(4096));
    alias.setUint32(0, CODE | 3, true); // 0x400000 → CODE
    c.writePhys(pt1, new Uint8Array(alias.buffer));
    const pdv = new DataView(new ArrayBuffer(4096));
    pdv.setUint32(0, pt0 | 3, true);
    pdv.setUint32(4, pt1 | 3, true);
    c.writePhys(pd, new Uint8Array(pdv.buffer));
    c.setState(L.OFF_CR3, pd);
    c.setState(L.OFF_CR0, c.getState(L.OFF_CR0) | 0x80000000);
    c.exports.flushTlb();
  }

  it('invalidates code written through a second linear mapping of its page', async () => {
    // At CODE (also linear 0x400000): L: mov eax, 0x11; inc ebx; cmp ebx, 200; jne L
    //   then: mov byte [0x400001], 0x44 (through the alias); cmp esi, 0; jne done; inc esi; xor ebx, ebx; jmp L; done: hlt
    const code = [
      0xb8,
      ...u32(0x11), // 0: mov eax
      0x43, // 5: inc ebx
      0x81,
      0xfb,
      ...u32(200), // 6: cmp ebx, 200
      0x75,
      0x100 - 14, // 12: jne L
      0xc6,
      0x05,
      ...u32(0x400001),
      0x44, // 14: mov byte [0x400001], 0x44
      0x83,
      0xfe,
      0x00, // 21: cmp esi, 0
      0x75,
      0x08, // 24: jne done
      0x46, // 26: inc esi
      0x31,
      0xdb, // 27: xor ebx, ebx
      0xe9,
      ...u32(0x100000000 - 34), // 29: jmp L
      0xf4, // 34: done
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      pagingSetup(c);
      c.setReg('eip', CODE);
    });
    expect(jit.regs.eax).toBe(0x44);
    expect(jit.invalidations).toBeGreaterThan(0);
  });
});

describe('JIT: interrupts', () => {
  it('takes a timer interrupt that arrives during a long compiled loop at the same instruction', async () => {
    // IDT at 0x3000, vector 0x20 → 0x4000: mov edx, eax; hlt. PIC: IRQ0 at 0x20, PIT channel 0: count 1000.
    const loop = [0x40, 0xeb, 0x100 - 3]; // L: inc eax; jmp L
    const res: Record<string, Outcome> = {};
    for (const engine of ['interp', 'jit'] as Engine[]) res[engine] = await runOn(engine, (c) => armTimerInterrupt(c, loop), 1_000_000);
    expect(res.jit.regs.edx).toBe(res.interp.regs.edx);
    expect(res.jit.regs.edx).toBeGreaterThan(1000);
    expect(res.jit.regs).toEqual(res.interp.regs);
    expect(res.jit.jitInstructions).toBeGreaterThan(res.jit.regs.edx);
  });
});
