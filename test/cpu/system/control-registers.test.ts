// MOV to/from CR0, CR2, CR3, CR4: privilege, faults, and what the TLB sees
// after CR3 loads, INVLPG and global pages (SDM Vol. 2B "MOV—Move to/from
// Control Registers", Vol. 3A §2.5, §4.10.4).

import { describe, it, expect } from 'vitest';
import { flatCore, runCode, resume, hex, le32, write32, write64, L, EXC, CODE, type Core } from './harness.js';

const CR0_PE = 1;
const CR0_ET = 0x10;
const CR0_NW = 1 << 29;
const CR0_CD = 1 << 30;
const CR0_PG = 0x80000000;
const CR4_DE = 0x8;
const CR4_PSE = 0x10;
const CR4_PGE = 0x80;

describe('MOV CR0', () => {
  it('raises #GP(0) for PG without PE and for NW without CD, leaving CR0 alone', async () => {
    const core = await flatCore();
    const before = core.getState(L.OFF_CR0);
    core.setReg('eax', CR0_PG);
    let r = runCode(core, '0f 22 c0 0f 0b'); // mov cr0, eax; ud2
    expect(r).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getReg('eip')).toBe(CODE);
    core.setReg('eax', CR0_NW | CR0_PE);
    r = runCode(core, '0f 22 c0 0f 0b');
    expect(r).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    expect(core.getState(L.OFF_CR0)).toBe(before);
  });

  it('keeps ET set and reads reserved bits as 0', async () => {
    const core = await flatCore();
    core.setReg('eax', CR0_PE | 0x0000ff00 | CR0_CD);
    const r = runCode(core, '0f 22 c0 0f 20 c3 0f 0b'); // mov cr0, eax; mov ebx, cr0; ud2
    expect(r.vector).toBe(EXC.UD);
    expect(core.getReg('ebx')).toBe((CR0_PE | CR0_ET | CR0_CD) >>> 0);
  });

  it('switches to real mode when PE is cleared (LLDT is then #UD)', async () => {
    const core = await flatCore();
    core.setReg('eax', 0);
    core.setReg('ebx', 0);
    const r = runCode(core, '0f 22 c0 0f 00 d3'); // mov cr0, eax; lldt bx
    expect(r.vector).toBe(EXC.UD);
    expect(core.getReg('eip')).toBe(CODE + 3);
    expect(core.getState(L.OFF_CR0)).toBe(CR0_ET);
  });

  it('is #GP(0) at CPL 3, in both directions', async () => {
    const core = await flatCore(3);
    let r = runCode(core, '0f 20 c0 0f 0b'); // mov eax, cr0
    expect(r).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    r = runCode(core, '0f 22 c0 0f 0b'); // mov cr0, eax
    expect(r).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });

  it('ignores ModRM.mod: a memory-form encoding is the register form, 3 bytes long', async () => {
    const core = await flatCore();
    core.setReg('ebp', 0);
    // 0f 20 05 would be "[disp32]" as a memory form; it is mov ebp, cr0 followed by ud2.
    const r = runCode(core, '0f 20 05 0f 0b');
    expect(r.vector).toBe(EXC.UD);
    expect(core.getReg('eip')).toBe(CODE + 3);
    expect(core.getReg('ebp')).toBe(core.getState(L.OFF_CR0));
  });
});

describe('other control registers', () => {
  it('CR1, CR5-CR7 do not exist (#UD)', async () => {
    const core = await flatCore();
    expect(runCode(core, '0f 20 c8 0f 0b').vector).toBe(EXC.UD); // mov eax, cr1
    expect(core.getReg('eip')).toBe(CODE);
    expect(runCode(core, '0f 22 e8 0f 0b').vector).toBe(EXC.UD); // mov cr5, eax
    expect(core.getReg('eip')).toBe(CODE);
  });

  it('CR2 and CR3 round-trip', async () => {
    const core = await flatCore();
    core.setReg('eax', 0x12345678);
    core.setReg('ecx', 0x00abc000);
    // mov cr2, eax; mov ebx, cr2; mov cr3, ecx; mov edx, cr3; ud2
    runCode(core, '0f 22 d0 0f 20 d3 0f 22 d9 0f 20 da 0f 0b');
    expect(core.getReg('ebx')).toBe(0x12345678);
    expect(core.getReg('edx')).toBe(0x00abc000);
  });

  it('CR4 accepts PSE and refuses bits this CPU lacks (DE, VME, PVI, MCE)', async () => {
    const core = await flatCore();
    core.setReg('eax', CR4_PSE);
    let r = runCode(core, '0f 22 e0 0f 20 e3 0f 0b'); // mov cr4, eax; mov ebx, cr4
    expect(r.vector).toBe(EXC.UD);
    expect(core.getReg('ebx')).toBe(CR4_PSE);
    for (const bit of [CR4_DE, 0x1, 0x2, 0x40]) {
      core.setReg('eax', bit);
      r = runCode(core, '0f 22 e0 0f 0b');
      expect(r, `CR4 bit ${bit.toString(16)}`).toMatchObject({ vector: EXC.GP, errorCode: 0 });
    }
    expect(core.getState(L.OFF_CR4)).toBe(CR4_PSE);
  });
});

// Identity-map the first 4 MiB with 4 KiB pages (PD at 0x10000, PT at 0x11000).
const PD = 0x10000;
const PT = 0x11000;
const DATA = 0x200000;
const OLD_FRAME = 0x200000;
const NEW_FRAME = 0x300000;
const PTE_PWU = 7;
const PTE_G = 0x100;

function identityMap(core: Core, dataPteFlags = PTE_PWU): void {
  write32(core, PD, PT | PTE_PWU);
  for (let i = 0; i < 1024; i++) write32(core, PT + i * 4, (i << 12) | PTE_PWU);
  write32(core, PT + (DATA >>> 12) * 4, OLD_FRAME | dataPteFlags);
  write32(core, OLD_FRAME, 0x11111111);
  write32(core, NEW_FRAME, 0x22222222);
}
function remapData(core: Core, flags = PTE_PWU): void {
  write32(core, PT + (DATA >>> 12) * 4, NEW_FRAME | flags);
}

/** mov cr3, eax; mov eax, cr0; or eax, 0x80000000; mov cr0, eax; add ebx, [DATA]; ud2 */
const ENABLE_PAGING_AND_READ = '0f 22 d8 0f 20 c0 0d 00 00 00 80 0f 22 c0 03 1d 00 00 20 00 0f 0b';
const READ_INTO_ECX = '03 0d 00 00 20 00 0f 0b'; // add ecx, [DATA]; ud2

async function pagedCore(cr4 = 0, dataPteFlags = PTE_PWU): Promise<Core> {
  const core = await flatCore();
  identityMap(core, dataPteFlags);
  core.setState(L.OFF_CR4, cr4);
  core.setReg('eax', PD);
  core.setReg('ebx', 0);
  const r = runCode(core, ENABLE_PAGING_AND_READ);
  expect(r.vector).toBe(EXC.UD);
  expect(core.getReg('ebx')).toBe(0x11111111);
  return core;
}

describe('TLB maintenance', () => {
  it('a changed PTE is used after MOV CR3, not before', async () => {
    const core = await pagedCore();
    remapData(core);
    core.setReg('ecx', 0);
    runCode(core, READ_INTO_ECX, 0x1100);
    expect(core.getReg('ecx')).toBe(0x11111111); // still the cached translation
    core.setReg('edx', 0);
    runCode(core, '0f 20 d8 0f 22 d8 03 15 00 00 20 00 0f 0b', 0x1200); // mov eax, cr3; mov cr3, eax; add edx, [DATA]
    expect(core.getReg('edx')).toBe(0x22222222);
  });

  it('INVLPG drops the translation of one page', async () => {
    const core = await pagedCore();
    remapData(core);
    core.setReg('edx', 0);
    runCode(core, '0f 01 3d 00 00 20 00 03 15 00 00 20 00 0f 0b', 0x1100); // invlpg [DATA]; add edx, [DATA]
    expect(core.getReg('edx')).toBe(0x22222222);
  });

  it('INVLPG is privileged', async () => {
    const core = await flatCore(3);
    expect(runCode(core, '0f 01 3d 00 00 20 00 0f 0b')).toMatchObject({ vector: EXC.GP, errorCode: 0 });
  });

  it('global pages survive MOV CR3 with CR4.PGE but not INVLPG or a PGE change', async () => {
    const core = await pagedCore(CR4_PGE, PTE_PWU | PTE_G);
    remapData(core, PTE_PWU | PTE_G);
    core.setReg('edx', 0);
    runCode(core, '0f 20 d8 0f 22 d8 03 15 00 00 20 00 0f 0b', 0x1100); // reload CR3, read
    expect(core.getReg('edx')).toBe(0x11111111);
    core.setReg('edx', 0);
    core.setReg('eax', 0);
    runCode(core, '0f 22 e0 03 15 00 00 20 00 0f 0b', 0x1200); // mov cr4, eax (PGE off); read
    expect(core.getReg('edx')).toBe(0x22222222);
  });

  it('clearing CR0.PG flushes: linear addresses are physical again', async () => {
    const core = await pagedCore();
    remapData(core);
    core.setReg('edx', 0);
    // mov eax, cr0; and eax, 0x7fffffff; mov cr0, eax; add edx, [DATA]
    runCode(core, '0f 20 c0 25 ff ff ff 7f 0f 22 c0 03 15 00 00 20 00 0f 0b', 0x1100);
    expect(core.getReg('edx')).toBe(0x11111111);
    expect(core.getState(L.OFF_CR0) & CR0_PG).toBe(0);
  });
});

// Instruction fetch through the TLB (core-as/cpu/memory.ts fetchSlow): a fetch
// that reaches a page whose translation the TLB holds uses it without a page
// walk, so the same flushes must reach it as reach data accesses, and the
// entry's U/S bit must still stop CPL 3 fetches from a supervisor page.
const CODE_PAGE = 0x6000;
const OLD_CODE = 0x210000;
const NEW_CODE = 0x220000;
const MOV_ECX_AT = CODE_PAGE - 2; // mov ecx, imm32 (b9 imm32): opcode and imm byte 0 before the page, bytes 1-3 on it

function mapCodePage(core: Core, frame: number): void {
  write32(core, PT + (CODE_PAGE >>> 12) * 4, frame | PTE_PWU);
}

/** jmp rel32 (e9) from the instruction at `at` to `target`. */
function jmpFrom(at: number, target: number): string {
  return `e9 ${le32((target - (at + 5)) >>> 0)}`;
}

describe('instruction fetch and the TLB', () => {
  it('after INVLPG or a CR3 load, a fetch across into a remapped page sees the new mapping', async () => {
    const core = await pagedCore();
    // b9 02 | 00 00 00 0f 0b on the old frame: ecx = 2; | 01 00 00 0f 0b on the new one: ecx = 0x102.
    core.writePhys(MOV_ECX_AT, hex('b9 02'));
    core.writePhys(OLD_CODE, hex('00 00 00 0f 0b'));
    core.writePhys(NEW_CODE, hex('01 00 00 0f 0b'));
    mapCodePage(core, OLD_CODE);
    core.setReg('eip', MOV_ECX_AT);
    expect(resume(core).vector).toBe(EXC.UD); // the TLB and the fetch window now hold the old frame
    expect(core.getReg('ecx')).toBe(2);

    mapCodePage(core, NEW_CODE);
    const INVLPG_AT = 0x1100; // invlpg [CODE_PAGE]; jmp MOV_ECX_AT
    expect(runCode(core, `0f 01 3d ${le32(CODE_PAGE)} ${jmpFrom(INVLPG_AT + 7, MOV_ECX_AT)}`, INVLPG_AT).vector).toBe(EXC.UD);
    expect(core.getReg('ecx')).toBe(0x102);

    mapCodePage(core, OLD_CODE);
    const CR3_AT = 0x1200; // mov eax, cr3; mov cr3, eax; jmp MOV_ECX_AT
    expect(runCode(core, `0f 20 d8 0f 22 d8 ${jmpFrom(CR3_AT + 6, MOV_ECX_AT)}`, CR3_AT).vector).toBe(EXC.UD);
    expect(core.getReg('ecx')).toBe(2);
  });

  it('CPL 3 cannot fetch from a supervisor page that a supervisor access put in the TLB', async () => {
    const core = await flatCore(3);
    identityMap(core);
    write32(core, PT + (CODE_PAGE >>> 12) * 4, OLD_CODE | 3); // present, writable, supervisor only
    core.writePhys(OLD_CODE, hex('41 0f 0b')); // inc ecx; ud2 (must not run)
    // The GDT lies on that page: loading DS reads descriptor 4 with a supervisor access (SDM Vol. 3A §4.6.1).
    write64(core, OLD_CODE + 0x20, 0x0000ffff, 0x00cff300); // flat data, DPL 3, accessed
    core.setState(L.OFF_GDTR_BASE, CODE_PAGE);
    core.setState(L.OFF_GDTR_LIMIT, 0x27);
    core.setState(L.OFF_CR3, PD);
    core.setState(L.OFF_CR0, core.getState(L.OFF_CR0) | CR0_PG);
    core.exports.flushTlb();
    core.setReg('ecx', 0);
    // mov ax, 0x23; mov ds, ax; jmp CODE_PAGE
    const r = runCode(core, `66 b8 23 00 8e d8 ${jmpFrom(CODE + 6, CODE_PAGE)}`);
    expect(r).toMatchObject({ vector: EXC.PF, errorCode: 5 }); // U/S | P: a user-mode access to a present page
    expect(core.getState(L.OFF_CR2)).toBe(CODE_PAGE);
    expect(core.getReg('ecx')).toBe(0);
  });
});
