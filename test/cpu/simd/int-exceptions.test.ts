// The exception rules of MMX and packed-integer SSE that user mode cannot
// show (SDM Vol. 3A §13.1 Table 13-1 "Action Taken By x87 FPU Instructions
// for Different Combinations of EM, MP, and TS", §2.5 CR4.OSFXSR, and the
// "Exceptions" sections of the instructions): CR0.EM -> #UD, CR0.TS -> #NM,
// CR4.OSFXSR clear -> #UD for SSE forms only, 16-byte alignment of the
// aligned memory forms, and the x87 state an MMX instruction leaves.

import { describe, it, expect } from 'vitest';
import { createCore } from '../../../host/core.js';
import {
  CR0_EM,
  CR0_TS,
  CR4_OSFXSR,
  OFF_CR0,
  OFF_CR4,
  OFF_FPU_FSW,
  OFF_FPU_FTW,
  OFF_FPU_ST,
  OFF_XMM,
} from '../../../host/generated/cpu-layout.js';

const CODE = 0x1000;
const DATA = 0x2000;
const UD2 = [0x0f, 0x0b];
const VEC_UD = 6;
const VEC_NM = 7;
const VEC_GP = 13;

const PADDB_MMX = [0x0f, 0xfc, 0xc1]; // paddb mm0, mm1
const PADDB_XMM = [0x66, 0x0f, 0xfc, 0xc1]; // paddb xmm0, xmm1
const PADDB_XMM_MEM = [0x66, 0x0f, 0xfc, 0x03]; // paddb xmm0, [ebx]
const MOVDQU_LOAD = [0xf3, 0x0f, 0x6f, 0x03]; // movdqu xmm0, [ebx]
const MOVDQA_STORE = [0x66, 0x0f, 0x7f, 0x03]; // movdqa [ebx], xmm0
const PCMPISTRI_MEM = [0x66, 0x0f, 0x3a, 0x63, 0x03, 0x00]; // pcmpistri xmm0, [ebx], 0
const EMMS = [0x0f, 0x77];
const POPCNT = [0xf3, 0x0f, 0xb8, 0xc1]; // popcnt eax, ecx
const CRC32 = [0xf2, 0x0f, 0x38, 0xf0, 0xc1]; // crc32 eax, cl

async function machine(cr0Set: number, cr4Set: number) {
  const core = await createCore({ memoryMiB: 4 });
  core.setupFlat32({ cpl: 3 });
  core.setState(OFF_CR0, (core.getState(OFF_CR0) & ~(CR0_EM | CR0_TS)) | cr0Set);
  core.setState(OFF_CR4, (core.getState(OFF_CR4) & ~CR4_OSFXSR) | cr4Set);
  return core;
}

/** Runs `code` then UD2; returns the vector that stopped it and the EIP offset. */
async function run(code: number[], cr0Set = 0, cr4Set = CR4_OSFXSR, ebx = DATA) {
  const core = await machine(cr0Set, cr4Set);
  core.writePhys(CODE, Uint8Array.from([...code, ...UD2]));
  core.setReg('eip', CODE);
  core.setReg('ebx', ebx);
  const r = core.run(10, { stopOnException: true });
  return { core, vector: r.vector, at: core.getReg('eip') - CODE, errorCode: r.errorCode };
}

describe('MMX and SSE integer availability', () => {
  it('runs MMX with CR4.OSFXSR clear but SSE forms raise #UD', async () => {
    expect(await run(PADDB_MMX, 0, 0)).toMatchObject({ vector: VEC_UD, at: PADDB_MMX.length });
    expect(await run(PADDB_XMM, 0, 0)).toMatchObject({ vector: VEC_UD, at: 0 });
  });

  it('raises #UD with CR0.EM for MMX and SSE forms, before #NM from CR0.TS', async () => {
    for (const code of [PADDB_MMX, PADDB_XMM, EMMS]) {
      expect(await run(code, CR0_EM)).toMatchObject({ vector: VEC_UD, at: 0 });
      expect(await run(code, CR0_EM | CR0_TS)).toMatchObject({ vector: VEC_UD, at: 0 });
    }
  });

  it('raises #NM with CR0.TS for MMX and SSE forms', async () => {
    for (const code of [PADDB_MMX, PADDB_XMM, EMMS, MOVDQU_LOAD]) {
      expect(await run(code, CR0_TS)).toMatchObject({ vector: VEC_NM, at: 0 });
    }
  });

  it('leaves POPCNT and CRC32 (integer instructions) alone under EM, TS and without OSFXSR', async () => {
    for (const code of [POPCNT, CRC32]) {
      expect(await run(code, CR0_EM | CR0_TS, 0)).toMatchObject({ vector: VEC_UD, at: code.length });
    }
  });
});

describe('16-byte alignment of legacy SSE memory operands', () => {
  it('raises #GP(0) for a misaligned aligned-form operand and not for MOVDQU or PCMPISTRI', async () => {
    expect(await run(PADDB_XMM_MEM, 0, CR4_OSFXSR, DATA + 8)).toMatchObject({ vector: VEC_GP, errorCode: 0, at: 0 });
    expect(await run(MOVDQA_STORE, 0, CR4_OSFXSR, DATA + 4)).toMatchObject({ vector: VEC_GP, errorCode: 0, at: 0 });
    expect(await run(MOVDQU_LOAD, 0, CR4_OSFXSR, DATA + 1)).toMatchObject({ vector: VEC_UD, at: MOVDQU_LOAD.length });
    expect(await run(PCMPISTRI_MEM, 0, CR4_OSFXSR, DATA + 3)).toMatchObject({ vector: VEC_UD, at: PCMPISTRI_MEM.length });
    expect(await run(PADDB_XMM_MEM, 0, CR4_OSFXSR, DATA + 16)).toMatchObject({ vector: VEC_UD, at: PADDB_XMM_MEM.length });
  });

  it('leaves memory unchanged when a misaligned MOVDQA store faults', async () => {
    const { core } = await run(MOVDQA_STORE, 0, CR4_OSFXSR, DATA + 4);
    expect(Array.from(core.readPhys(DATA, 32))).toEqual(new Array(32).fill(0));
  });
});

describe('x87 state of MMX instructions', () => {
  it('sets TOP to 0, tags every register valid and the written register exponent to all ones', async () => {
    const core = await machine(0, CR4_OSFXSR);
    core.writeState(OFF_FPU_FSW, Uint8Array.of(0x00, 0x28)); // TOP = 5
    core.writeState(OFF_FPU_FTW, Uint8Array.of(0xff, 0xff));
    core.writeState(OFF_FPU_ST, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x12));
    core.writeState(OFF_FPU_ST + 16, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
    core.writePhys(CODE, Uint8Array.from([...PADDB_MMX, ...UD2]));
    core.setReg('eip', CODE);
    core.run(10, { stopOnException: true });
    expect((core.getState(OFF_FPU_FSW) >> 11) & 7).toBe(0);
    expect(core.getState(OFF_FPU_FTW) & 0xffff).toBe(0);
    expect(Array.from(core.readState(OFF_FPU_ST, 10))).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  });

  it('EMMS sets TOP to 0 and tags every register empty', async () => {
    const core = await machine(0, CR4_OSFXSR);
    core.writeState(OFF_FPU_FSW, Uint8Array.of(0x00, 0x28)); // TOP = 5
    core.writePhys(CODE, Uint8Array.from([...EMMS, ...UD2]));
    core.setReg('eip', CODE);
    core.run(10, { stopOnException: true });
    expect((core.getState(OFF_FPU_FSW) >> 11) & 7).toBe(0);
    expect(core.getState(OFF_FPU_FTW) & 0xffff).toBe(0xffff);
  });

  it('does not touch the x87 state from SSE integer forms', async () => {
    const core = await machine(0, CR4_OSFXSR);
    core.writeState(OFF_FPU_FSW, Uint8Array.of(0x00, 0x28));
    core.writeState(OFF_FPU_FTW, Uint8Array.of(0xff, 0xff));
    core.writeState(OFF_XMM, Uint8Array.of(1));
    core.writePhys(CODE, Uint8Array.from([...PADDB_XMM, ...UD2]));
    core.setReg('eip', CODE);
    core.run(10, { stopOnException: true });
    expect((core.getState(OFF_FPU_FSW) >> 11) & 7).toBe(5);
    expect(core.getState(OFF_FPU_FTW) & 0xffff).toBe(0xffff);
  });
});
