// CPUID, the time-stamp counter, RDPMC, RDMSR/WRMSR and SYSENTER/SYSEXIT
// (SDM Vol. 2A "CPUID", Vol. 2B "RDTSC", "RDMSR", "WRMSR", "SYSENTER", "SYSEXIT").

import { describe, it, expect } from 'vitest';
import { flatCore, realCore, runCode, L, EXC, CODE, FLAG_IF, type Core } from './harness.js';

const CPUID = '0f a2 0f 0b';

function cpuid(core: Core, leaf: number): [number, number, number, number] {
  core.setReg('eax', leaf);
  runCode(core, CPUID);
  return [core.getReg('eax'), core.getReg('ebx'), core.getReg('ecx'), core.getReg('edx')];
}
function ascii(...dwords: number[]): string {
  return Buffer.from(Uint32Array.from(dwords).buffer).toString('latin1');
}

describe('CPUID', () => {
  it('leaf 0: highest basic leaf 1 and "GenuineIntel"', async () => {
    const core = await flatCore();
    const [a, b, c, d] = cpuid(core, 0);
    expect(a).toBe(1);
    expect(ascii(b, d, c)).toBe('GenuineIntel');
  });

  it('leaf 1: the P6 signature and exactly the implemented features', async () => {
    const core = await flatCore();
    const [a, b, c, d] = cpuid(core, 1);
    expect(a).toBe(0x633);
    expect(b).toBe(0);
    // ECX: SSE3 (0), SSSE3 (9), SSE4.1 (19), SSE4.2 (20), POPCNT (23).
    expect(c).toBe((1 << 0) | (1 << 9) | (1 << 19) | (1 << 20) | (1 << 23));
    // FPU PSE TSC MSR PAE CX8 APIC SEP PGE CMOV MMX FXSR SSE SSE2; no VME, DE, MTRR, PAT.
    const PSE = 1 << 3,
      TSC = 1 << 4,
      MSR = 1 << 5,
      PAE = 1 << 6,
      CX8 = 1 << 8,
      APIC = 1 << 9,
      SEP = 1 << 11,
      PGE = 1 << 13,
      CMOV = 1 << 15,
      MMX = 1 << 23;
    const FPU = 1 << 0,
      FXSR = 1 << 24,
      SSE = 1 << 25,
      SSE2 = 1 << 26;
    expect(d).toBe(FPU | PSE | TSC | MSR | PAE | CX8 | APIC | SEP | PGE | CMOV | MMX | FXSR | SSE | SSE2);
  });

  it('extended leaves: NX and the brand string', async () => {
    const core = await flatCore();
    expect(cpuid(core, 0x80000000)[0]).toBe(0x80000004);
    expect(cpuid(core, 0x80000001)).toEqual([0, 0, 0, 1 << 20]);
    const brand = [0x80000002, 0x80000003, 0x80000004].map((l) => ascii(...cpuid(core, l))).join('');
    expect(brand).toBe('tabvm P6-class CPU'.padEnd(48, '\0'));
  });

  it('leaves past the highest answer as the highest basic leaf', async () => {
    const core = await flatCore();
    const leaf1 = cpuid(core, 1);
    expect(cpuid(core, 2)).toEqual(leaf1);
    expect(cpuid(core, 0x40000000)).toEqual(leaf1);
    expect(cpuid(core, 0x80000008)).toEqual(leaf1);
  });
});

// rdtsc; xor ebx, ebx; add ebx, eax; xor esi, esi; add esi, edx; rdtsc; ud2
const TWO_READS_FIVE_APART = '0f 31 31 db 01 c3 31 f6 01 d6 0f 31 0f 0b';
// rdtsc; xor ebx, ebx; add ebx, eax; rdtsc; ud2
const TWO_READS_THREE_APART = '0f 31 31 db 01 c3 0f 31 0f 0b';

const tsc = (core: Core) => (BigInt(core.getReg('edx')) << 32n) | BigInt(core.getReg('eax'));

describe('RDTSC', () => {
  it('counts retired instructions at a fixed ratio, deterministically', async () => {
    const a = await flatCore();
    runCode(a, TWO_READS_FIVE_APART);
    const first = (BigInt(a.getReg('esi')) << 32n) | BigInt(a.getReg('ebx'));
    const second = tsc(a);
    expect(second > first).toBe(true);
    const b = await flatCore();
    runCode(b, TWO_READS_THREE_APART);
    const gap3 = b.getReg('eax') - b.getReg('ebx');
    expect(gap3).toBeGreaterThan(0);
    expect(Number(second - first)).toBe((gap3 / 3) * 5);
    const c = await flatCore();
    runCode(c, TWO_READS_FIVE_APART);
    expect(tsc(c)).toBe(second);
  });

  it('keeps increasing across run() calls', async () => {
    const core = await flatCore();
    runCode(core, '0f 31 0f 0b');
    const t1 = tsc(core);
    runCode(core, '0f 31 0f 0b');
    expect(tsc(core) > t1).toBe(true);
  });

  it('is #GP(0) outside CPL 0 when CR4.TSD is set', async () => {
    const user = await flatCore(3);
    expect(runCode(user, '0f 31 0f 0b').vector).toBe(EXC.UD);
    user.setState(L.OFF_CR4, 4);
    expect(runCode(user, '0f 31 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    const kernel = await flatCore(0);
    kernel.setState(L.OFF_CR4, 4);
    expect(runCode(kernel, '0f 31 0f 0b').vector).toBe(EXC.UD);
  });

  it('WRMSR 10h sets the counter (P6: the high half is cleared)', async () => {
    const core = await flatCore();
    core.setReg('ecx', 0x10);
    core.setReg('eax', 0x1000);
    core.setReg('edx', 5);
    runCode(core, '0f 30 0f 31 0f 0b'); // wrmsr; rdtsc
    expect(core.getReg('edx')).toBe(0);
    expect(core.getReg('eax')).toBeGreaterThan(0x1000);
    expect(core.getReg('eax')).toBeLessThan(0x1100);
  });
});

describe('RDPMC', () => {
  it('reads 0 from counters 0-1 at CPL 0 and faults otherwise', async () => {
    const core = await flatCore();
    core.setReg('ecx', 1);
    core.setReg('eax', 0xffffffff);
    core.setReg('edx', 0xffffffff);
    runCode(core, '0f 33 0f 0b');
    expect([core.getReg('eax'), core.getReg('edx')]).toEqual([0, 0]);
    core.setReg('ecx', 2);
    expect(runCode(core, '0f 33 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });

  it('needs CR4.PCE at CPL 3', async () => {
    const core = await flatCore(3);
    core.setReg('ecx', 0);
    expect(runCode(core, '0f 33 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    core.setState(L.OFF_CR4, 0x100);
    expect(runCode(core, '0f 33 0f 0b').vector).toBe(EXC.UD);
  });
});

const RDMSR = '0f 32 0f 0b';
const WRMSR = '0f 30 0f 0b';

function wrmsr(core: Core, msr: number, lo: number, hi = 0) {
  core.setReg('ecx', msr);
  core.setReg('eax', lo);
  core.setReg('edx', hi);
  return runCode(core, WRMSR);
}
function rdmsr(core: Core, msr: number): [number, number] {
  core.setReg('ecx', msr);
  const r = runCode(core, RDMSR);
  expect(r.vector, `rdmsr ${msr.toString(16)}`).toBe(EXC.UD);
  return [core.getReg('eax'), core.getReg('edx')];
}

describe('RDMSR/WRMSR', () => {
  it('round-trip the SYSENTER MSRs', async () => {
    const core = await flatCore();
    wrmsr(core, 0x174, 0x10);
    wrmsr(core, 0x175, 0xc0009000);
    wrmsr(core, 0x176, 0xc0001234);
    expect(rdmsr(core, 0x174)).toEqual([0x10, 0]);
    expect(rdmsr(core, 0x175)).toEqual([0xc0009000, 0]);
    expect(rdmsr(core, 0x176)).toEqual([0xc0001234, 0]);
    expect(core.getState(L.OFF_SYSENTER_CS)).toBe(0x10);
  });

  it('EFER: only NXE is writable', async () => {
    const core = await flatCore();
    expect(wrmsr(core, 0xc0000080, 0x800).vector).toBe(EXC.UD);
    expect(rdmsr(core, 0xc0000080)).toEqual([0x800, 0]);
    expect(wrmsr(core, 0xc0000080, 0x801)).toMatchObject({ vector: EXC.GP, errorCode: 0 }); // SCE
    expect(wrmsr(core, 0xc0000080, 0x900)).toMatchObject({ vector: EXC.GP, errorCode: 0 }); // LME
    expect(wrmsr(core, 0xc0000080, 0x800, 1)).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getState(L.OFF_EFER)).toBe(0x800);
  });

  it('unknown MSRs raise #GP(0)', async () => {
    const core = await flatCore();
    for (const msr of [0x277, 0x12345, 0xc0000081]) {
      core.setReg('ecx', msr);
      expect(runCode(core, RDMSR), `rdmsr ${msr.toString(16)}`).toMatchObject({ vector: EXC.GP, errorCode: 0 });
      expect(wrmsr(core, msr, 0), `wrmsr ${msr.toString(16)}`).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    }
  });

  it('are privileged', async () => {
    const core = await flatCore(3);
    core.setReg('ecx', 0x10);
    expect(runCode(core, RDMSR)).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(runCode(core, WRMSR)).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });
});

describe('SYSENTER/SYSEXIT', () => {
  const CODE_ATTR = 0xc09b; // P S code+read accessed, D, G
  const DATA_ATTR = 0xc093;
  const DPL3 = 0x60;

  async function withMsrs(cpl: 0 | 3): Promise<Core> {
    const core = await flatCore(cpl);
    core.setState(L.OFF_SYSENTER_CS, 0x10);
    core.setState(L.OFF_SYSENTER_ESP, 0x9000);
    core.setState(L.OFF_SYSENTER_EIP, 0x2000);
    core.writePhys(0x2000, Uint8Array.from([0x0f, 0x0b]));
    core.writePhys(0x3000, Uint8Array.from([0x0f, 0x20, 0xc0])); // mov eax, cr0: #GP at CPL 3
    return core;
  }

  it('SYSENTER enters CPL 0 with flat segments from SYSENTER_CS', async () => {
    const core = await withMsrs(3);
    core.setReg('eflags', 0x2 | FLAG_IF);
    const r = runCode(core, '0f 34');
    expect(r.vector).toBe(EXC.UD);
    expect(core.getReg('eip')).toBe(0x2000);
    expect(core.getReg('esp')).toBe(0x9000);
    expect(core.getState(L.OFF_CPL)).toBe(0);
    expect(core.getSegment(L.SEG_CS)).toEqual({ selector: 0x10, base: 0, limit: 0xffffffff, attr: CODE_ATTR });
    expect(core.getSegment(L.SEG_SS)).toEqual({ selector: 0x18, base: 0, limit: 0xffffffff, attr: DATA_ATTR });
    expect(core.getReg('eflags') & FLAG_IF).toBe(0);
  });

  it('SYSEXIT returns to CPL 3 at EDX with ESP = ECX', async () => {
    const core = await withMsrs(0);
    core.setReg('ecx', 0x7000);
    core.setReg('edx', 0x3000);
    const r = runCode(core, '0f 35');
    expect(r).toMatchObject({ vector: EXC.GP, errorCode: 0 }); // the CR0 read at 0x3000, now at CPL 3
    expect(core.getReg('eip')).toBe(0x3000);
    expect(core.getReg('esp')).toBe(0x7000);
    expect(core.getState(L.OFF_CPL)).toBe(3);
    expect(core.getSegment(L.SEG_CS)).toEqual({ selector: 0x23, base: 0, limit: 0xffffffff, attr: CODE_ATTR | DPL3 });
    expect(core.getSegment(L.SEG_SS)).toEqual({ selector: 0x2b, base: 0, limit: 0xffffffff, attr: DATA_ATTR | DPL3 });
  });

  it('fault with a null SYSENTER_CS, in real mode, and SYSEXIT above CPL 0', async () => {
    const zero = await withMsrs(0);
    zero.setState(L.OFF_SYSENTER_CS, 3); // bits 15:2 zero
    expect(runCode(zero, '0f 34 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(runCode(zero, '0f 35 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    const user = await withMsrs(3);
    expect(runCode(user, '0f 35 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(user.getReg('eip')).toBe(CODE);
    const real = await realCore();
    real.setState(L.OFF_SYSENTER_CS, 0x10);
    expect(runCode(real, '0f 34 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });
});
