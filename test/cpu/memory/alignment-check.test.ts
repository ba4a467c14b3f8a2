// Alignment checking (#AC, vector 17): CR0.AM, EFLAGS.AC and CPL 3 together
// make a misaligned data access fault (SDM Vol. 3A §6.15, interrupt 17).
// QEMU TCG does not implement #AC, so this is checked here rather than by
// the system test kernels.
import { describe, it, expect } from 'vitest';
import { createCore, type Core } from '../../../host/core.js';
import { OFF_CR0, CR0_AM, FLAG_AC } from '../../../host/generated/cpu-layout.js';

const CODE = 0x1000;
const EXC_AC = 17;
const EXC_UD = 6;

/** Run `code` followed by ud2 at CPL `cpl`; returns the stop vector. */
async function runWith(
  code: number[],
  opts: { cpl: 0 | 3; am: boolean; ac: boolean },
): Promise<{ core: Core; vector?: number; errorCode?: number }> {
  const core = await createCore({ memoryMiB: 4 });
  core.setupFlat32({ cpl: opts.cpl });
  const cr0 = core.getState(OFF_CR0);
  core.setState(OFF_CR0, opts.am ? cr0 | CR0_AM : cr0 & ~CR0_AM);
  core.writePhys(CODE, Uint8Array.from([...code, 0x0f, 0x0b]));
  core.setReg('eip', CODE);
  core.setReg('esp', 0x8000);
  core.setReg('eflags', 0x2 | (opts.ac ? FLAG_AC : 0));
  const r = core.run(100, { stopOnException: true });
  return { core, vector: r.vector, errorCode: r.errorCode };
}

const MOV_EAX_FROM_2001 = [0x8b, 0x05, 0x01, 0x20, 0x00, 0x00]; // mov eax, [0x2001]
const MOV_EAX_FROM_2004 = [0x8b, 0x05, 0x04, 0x20, 0x00, 0x00]; // mov eax, [0x2004]
const MOV_WORD_TO_2003 = [0x66, 0x89, 0x05, 0x03, 0x20, 0x00, 0x00]; // mov [0x2003], ax
const MOV_BYTE_FROM_2003 = [0x8a, 0x05, 0x03, 0x20, 0x00, 0x00]; // mov al, [0x2003]

describe('alignment check (#AC)', () => {
  it('faults a misaligned dword read at CPL 3 with CR0.AM and EFLAGS.AC, error code 0, EIP at the instruction', async () => {
    const { core, vector, errorCode } = await runWith(MOV_EAX_FROM_2001, { cpl: 3, am: true, ac: true });
    expect(vector).toBe(EXC_AC);
    expect(errorCode).toBe(0);
    expect(core.getReg('eip')).toBe(CODE);
  });

  it('faults a misaligned word write and leaves memory unchanged', async () => {
    const { core, vector } = await runWith(MOV_WORD_TO_2003, { cpl: 3, am: true, ac: true });
    expect(vector).toBe(EXC_AC);
    expect(Array.from(core.readPhys(0x2003, 2))).toEqual([0, 0]);
  });

  it.each([
    ['an aligned dword', MOV_EAX_FROM_2004, { cpl: 3 as const, am: true, ac: true }],
    ['a byte (always aligned)', MOV_BYTE_FROM_2003, { cpl: 3 as const, am: true, ac: true }],
    ['EFLAGS.AC clear', MOV_EAX_FROM_2001, { cpl: 3 as const, am: true, ac: false }],
    ['CR0.AM clear', MOV_EAX_FROM_2001, { cpl: 3 as const, am: false, ac: true }],
    ['CPL 0', MOV_EAX_FROM_2001, { cpl: 0 as const, am: true, ac: true }],
  ])('does not fault for %s', async (_name, code, opts) => {
    const { vector } = await runWith(code, opts);
    expect(vector).toBe(EXC_UD); // reached the ud2 after the access
  });
});
