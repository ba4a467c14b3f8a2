// The system-level rules of the SSE float instructions that the user-mode
// differential test cannot reach (SDM Vol. 3A §2.5, §13.1, §6.15 int 19;
// Vol. 2 "SIMD Floating-Point Exceptions" tables): CR0.EM and CR4.OSFXSR
// (#UD), CR0.TS (#NM), CR4.OSXMMEXCPT (#XM or #UD for an unmasked
// exception), LDMXCSR reserved bits (#GP(0)) and m128 alignment (#GP(0)).

import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../host/core.js';
import * as L from '../../../host/generated/cpu-layout.js';

const CODE = 0x1000;
const DATA = 0x2000;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;
const CR4_OSFXSR = 1 << 9;
const CR4_OSXMMEXCPT = 1 << 10;
const MXCSR_DEFAULT = 0x1f80;
const MXCSR_ZM = 1 << 9;
const MXCSR_ZE = 1 << 2;
const VEC_UD = 6;
const VEC_NM = 7;
const VEC_GP = 13;
const VEC_XM = 19;
const ONE_F32 = 0x3f800000;
const ADDPS_XMM0_XMM1 = [0x0f, 0x58, 0xc1];
const DIVSS_XMM0_XMM1 = [0xf3, 0x0f, 0x5e, 0xc1];
const MOVAPS_XMM0_EBX = [0x0f, 0x28, 0x03];
const MOVUPS_XMM0_EBX = [0x0f, 0x10, 0x03];
const LDMXCSR_EBX = [0x0f, 0xae, 0x13];
const RCPSS_XMM0_XMM1 = [0xf3, 0x0f, 0x53, 0xc1];

async function machine(cr4: number, cr0Extra = 0): Promise<Core> {
  const core = await createCore({ memoryMiB: 4 });
  core.setupFlat32({ cpl: 0 });
  core.setState(L.OFF_CR4, cr4);
  core.setState(L.OFF_CR0, core.getState(L.OFF_CR0) | cr0Extra);
  core.setState(L.OFF_MXCSR, MXCSR_DEFAULT);
  return core;
}

/** Run `code` then UD2; the vector that stopped it, or 'done' when it reached the UD2. */
function runOne(core: Core, code: number[]): number | 'done' {
  core.writePhys(CODE, Uint8Array.from([...code, 0x0f, 0x0b]));
  core.setReg('eip', CODE);
  const r = core.run(2, { stopOnException: true });
  if (r.vector === VEC_UD && core.getReg('eip') === CODE + code.length) return 'done';
  return r.vector ?? -1;
}

function setXmmF32(core: Core, reg: number, lanes: number[]): void {
  const dv = new DataView(core.memory.buffer);
  lanes.forEach((v, i) => dv.setUint32(L.CPU_STATE + L.OFF_XMM + reg * 16 + i * 4, v, true));
}

describe('SSE availability and exception rules', () => {
  it('executes when CR4.OSFXSR is set and CR0.EM/TS are clear', async () => {
    expect(runOne(await machine(CR4_OSFXSR), ADDPS_XMM0_XMM1)).toBe('done');
  });

  it('raises #UD when CR4.OSFXSR is clear', async () => {
    expect(runOne(await machine(0), ADDPS_XMM0_XMM1)).toBe(VEC_UD);
  });

  it('raises #UD when CR0.EM is set, even with CR0.TS set', async () => {
    expect(runOne(await machine(CR4_OSFXSR, CR0_EM | CR0_TS), ADDPS_XMM0_XMM1)).toBe(VEC_UD);
  });

  it('raises #NM when CR0.TS is set', async () => {
    expect(runOne(await machine(CR4_OSFXSR, CR0_TS), ADDPS_XMM0_XMM1)).toBe(VEC_NM);
  });

  it('raises #XM for an unmasked exception when CR4.OSXMMEXCPT is set, keeping the destination', async () => {
    const core = await machine(CR4_OSFXSR | CR4_OSXMMEXCPT);
    core.setState(L.OFF_MXCSR, MXCSR_DEFAULT & ~MXCSR_ZM);
    setXmmF32(core, 0, [ONE_F32, 0, 0, 0]);
    setXmmF32(core, 1, [0, 0, 0, 0]);
    expect(runOne(core, DIVSS_XMM0_XMM1)).toBe(VEC_XM);
    expect(core.getState(L.OFF_MXCSR) & MXCSR_ZE).toBe(MXCSR_ZE);
    expect(core.getState(L.OFF_XMM) >>> 0).toBe(ONE_F32);
  });

  it('raises #UD instead of #XM when CR4.OSXMMEXCPT is clear', async () => {
    const core = await machine(CR4_OSFXSR);
    core.setState(L.OFF_MXCSR, MXCSR_DEFAULT & ~MXCSR_ZM);
    setXmmF32(core, 0, [ONE_F32, 0, 0, 0]);
    setXmmF32(core, 1, [0, 0, 0, 0]);
    expect(runOne(core, DIVSS_XMM0_XMM1)).toBe(VEC_UD);
    expect(core.getState(L.OFF_MXCSR) & MXCSR_ZE).toBe(MXCSR_ZE);
  });

  it('sets ZE and writes infinity when divide-by-zero is masked', async () => {
    const core = await machine(CR4_OSFXSR | CR4_OSXMMEXCPT);
    setXmmF32(core, 0, [ONE_F32, 0, 0, 0]);
    setXmmF32(core, 1, [0, 0, 0, 0]);
    expect(runOne(core, DIVSS_XMM0_XMM1)).toBe('done');
    expect(core.getState(L.OFF_MXCSR) & MXCSR_ZE).toBe(MXCSR_ZE);
    expect(core.getState(L.OFF_XMM) >>> 0).toBe(0x7f800000);
  });

  // SDM Vol. 2 RCPSS: tiny results are always flushed to 0.0 with the operand's sign. The host gives
  // +0 for 2^126, whose exact reciprocal 2^-126 is still normal (the approximation lies below it), and
  // 2^-126 for the largest single below 2^126 (found by the 100,000-case differential run).
  it('flushes the RCPSS results of inputs from 2^126 up to zero, whatever MXCSR says', async () => {
    const core = await machine(CR4_OSFXSR);
    const rcp = (x: number): number => {
      setXmmF32(core, 1, [x, 0, 0, 0]);
      expect(runOne(core, RCPSS_XMM0_XMM1)).toBe('done');
      return core.getState(L.OFF_XMM) >>> 0;
    };
    expect(rcp(0x7e800000)).toBe(0); // 2^126
    expect(rcp(0xfe800000)).toBe(0x80000000); // -2^126
    expect(rcp(0x7f7fffff)).toBe(0);
    expect(rcp(0xfe7ffffe) >>> 23).toBe(0x101); // -1.11111111111111111111110B * 2^125: a normal near -2^-126
  });

  it('raises #GP(0) for a misaligned MOVAPS operand but not for MOVUPS', async () => {
    const core = await machine(CR4_OSFXSR);
    core.setReg('ebx', DATA + 4);
    expect(runOne(core, MOVAPS_XMM0_EBX)).toBe(VEC_GP);
    expect(runOne(core, MOVUPS_XMM0_EBX)).toBe('done');
    core.setReg('ebx', DATA);
    expect(runOne(core, MOVAPS_XMM0_EBX)).toBe('done');
  });

  it('raises #GP(0) when LDMXCSR sets a reserved bit', async () => {
    const core = await machine(CR4_OSFXSR);
    core.setReg('ebx', DATA);
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, MXCSR_DEFAULT | (1 << 16), true);
    core.writePhys(DATA, new Uint8Array(dv.buffer));
    expect(runOne(core, LDMXCSR_EBX)).toBe(VEC_GP);
    expect(core.getState(L.OFF_MXCSR)).toBe(MXCSR_DEFAULT);
    dv.setUint32(0, 0x7fff, true);
    core.writePhys(DATA, new Uint8Array(dv.buffer));
    expect(runOne(core, LDMXCSR_EBX)).toBe('done');
    expect(core.getState(L.OFF_MXCSR)).toBe(0x7fff);
  });
});
