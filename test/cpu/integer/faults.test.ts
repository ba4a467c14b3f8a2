// Fault behaviour the host reference cannot show in user mode: read-modify-
// write instructions on a read-only data segment must fault before changing
// any register or byte, and CMPXCHG/CMPXCHG8B write their destination even
// when the comparison fails (so they fault there too; SDM "CMPXCHG").
import { describe, it, expect, beforeAll } from 'vitest';
import { createCore, type Core } from '../../../host/core.js';
import { OFF_SEGS, SEG_SIZE, SEG_VALID, SEG_RIGHT_READ, SEG_RIGHT_WRITE } from '../../../host/generated/cpu-layout.js';

const CODE = 0x1000;
const DATA = 0x2000;
const SEG_DS = 3;
const VEC_GP = 13;
const VEC_DE = 0;

let core: Core;
beforeAll(async () => {
  core = await createCore({ memoryMiB: 1 });
});

function setup(code: number[], regs: Record<string, number>, readOnly: boolean): void {
  core.setupFlat32({ cpl: 0 });
  core.setState(OFF_SEGS + SEG_DS * SEG_SIZE + SEG_VALID, readOnly ? SEG_RIGHT_READ : SEG_RIGHT_READ | SEG_RIGHT_WRITE);
  core.writePhys(DATA, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  core.writePhys(CODE, Uint8Array.from([...code, 0x0f, 0x0b]));
  for (const [k, v] of Object.entries(regs)) core.setReg(k as 'eax', v);
  core.setReg('eip', CODE);
}

const REGS = { eax: 0x11111111, ecx: 0x22222222, edx: 0x33333333, ebx: DATA, esi: 0x44444444, edi: 0x55555555 };

describe('read-modify-write faults leave no partial state', () => {
  const rmw: [string, number[]][] = [
    ['cmpxchg [ebx],ecx (compare fails)', [0x0f, 0xb1, 0x0b]],
    ['cmpxchg8b [ebx] (compare fails)', [0x0f, 0xc7, 0x0b]],
    ['xadd [ebx],ecx', [0x0f, 0xc1, 0x0b]],
    ['xchg [ebx],ecx', [0x87, 0x0b]],
    ['bts [ebx],ecx', [0x0f, 0xab, 0x0b]],
    ['btc [ebx+4],imm', [0x0f, 0xba, 0x7b, 0x04, 0x03]],
    ['neg dword [ebx]', [0xf7, 0x1b]],
    ['shl dword [ebx],1', [0xd1, 0x23]],
    ['shld [ebx],ecx,4', [0x0f, 0xa4, 0x0b, 0x04]],
    ['inc byte [ebx]', [0xfe, 0x03]],
  ];
  for (const [name, code] of rmw) {
    it(`${name}: #GP on a read-only DS, registers and memory unchanged`, () => {
      setup(code, REGS, true);
      const flags = core.getReg('eflags');
      const r = core.run(4, { stopOnException: true });
      expect(r.vector).toBe(VEC_GP);
      expect(core.getReg('eip')).toBe(CODE);
      for (const [k, v] of Object.entries(REGS)) expect(core.getReg(k as 'eax')).toBe(v);
      expect(core.getReg('eflags')).toBe(flags);
      expect([...core.readPhys(DATA, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  }

  it('BT (read only) works on a read-only DS', () => {
    setup([0x0f, 0xa3, 0x0b], { ...REGS, ecx: 9 }, true);
    const r = core.run(4, { stopOnException: true });
    expect(r.vector).toBe(6);
    expect(core.getReg('eflags') & 1).toBe(1); // bit 9 = bit 1 of byte 1 (0x02)
  });

  it('AAM 0 raises #DE with AX unchanged', () => {
    setup([0xd4, 0x00], { eax: 0x1234 }, false);
    const r = core.run(4, { stopOnException: true });
    expect(r.vector).toBe(VEC_DE);
    expect(core.getReg('eip')).toBe(CODE);
    expect(core.getReg('eax')).toBe(0x1234);
  });
});
