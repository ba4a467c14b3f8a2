// Flow-family behaviour a user-mode reference cannot show: REP loops that
// fault and resume, the per-execution iteration budget, 16-bit address and
// stack wrap, the CS limit on near branches, all-or-nothing ENTER/PUSHA,
// POPF/PUSHF privilege rules (SDM "POPF", "PUSHF"), and the I/O permission
// check of IN/OUT/INS/OUTS (SDM Vol. 1 §19.5).

import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../host/core.js';
import * as L from '../../../host/generated/cpu-layout.js';
import {
  CODE_ADDR,
  DATA_ADDR,
  VEC_DB,
  VEC_GP,
  VEC_PF,
  VEC_UD,
  initialData,
  loadCase,
  mapPages,
  setupHarnessSpace,
  tabvmOutcome,
} from './reference.js';
import { le32 } from './cases.js';

const CODE = 0x1000;
const UD2 = [0x0f, 0x0b];
const FLAG_CF = 0x1;
const FLAG_TF = 0x100;
const FLAG_IF = 0x200;
const FLAG_DF = 0x400;
const FLAG_IOPL3 = 0x3000;
const FLAG_NT = 0x4000;
const FLAG_RF = 0x10000;
const FLAG_VM = 0x20000;
const FLAG_AC = 0x40000;
const FLAG_VIF = 0x80000;
const FLAG_VIP = 0x100000;
const FLAG_ID = 0x200000;
const ATTR_DB = 0x4000;

/** Flat protected mode without paging, code at CODE ending in UD2. */
async function flatCore(cpl: 0 | 3, code: number[]): Promise<Core> {
  const core = await createCore({ memoryMiB: 8 });
  core.setupFlat32({ cpl });
  core.writePhys(CODE, Uint8Array.from([...code, ...UD2]));
  core.setReg('eip', CODE);
  core.setReg('esp', 0x8000);
  return core;
}

function runToEnd(core: Core, codeLength: number, budget = 1_000_000): void {
  const r = core.run(budget, { stopOnException: true });
  expect(r.reason).toBe('exception');
  expect(r.vector).toBe(VEC_UD);
  expect(core.getReg('eip')).toBe(CODE + codeLength);
}

function u32At(core: Core, addr: number): number {
  return new DataView(core.readPhys(addr, 4).buffer).getUint32(0, true);
}
function putU32(core: Core, addr: number, v: number): void {
  core.writePhys(addr, Uint8Array.from(le32(v)));
}

/** Write a segment register's cache (non-expand-down: window [0, limit]). */
function setSegment(core: Core, seg: number, base: number, limit: number, attr: number): void {
  const a = L.OFF_SEGS + seg * L.SEG_SIZE;
  core.setState(a + L.SEG_BASE, base);
  core.setState(a + L.SEG_LIMIT, limit);
  core.setState(a + L.SEG_ATTR, attr);
  core.setState(a + L.SEG_LO, 0);
  core.setState(a + L.SEG_HI, limit);
}

describe('REP string instructions resume after a fault', () => {
  it('REP MOVSB into a not-present page stops with the work done, then finishes once the page is mapped', async () => {
    const core = await createCore({ memoryMiB: 8 });
    setupHarnessSpace(core);
    const c = {
      label: 'rep movsb',
      code: [0xf3, 0xa4],
      regs: { ecx: 0x40, esi: DATA_ADDR + 0x100, edi: DATA_ADDR + 0x1ff0 },
    };
    loadCase(core, c);
    const first = tabvmOutcome(core, c.code.length);
    expect(first.vector).toBe(VEC_PF);
    expect(first.cr2).toBe(DATA_ADDR + 0x2000);
    expect(core.getReg('eip')).toBe(CODE_ADDR);
    expect(core.getReg('ecx')).toBe(0x30);
    expect(core.getReg('esi')).toBe(DATA_ADDR + 0x110);
    expect(core.getReg('edi')).toBe(DATA_ADDR + 0x2000);
    mapPages(core, DATA_ADDR + 0x2000, 1);
    const second = tabvmOutcome(core, c.code.length);
    expect(second.kind).toBe('ok');
    expect(core.getReg('ecx')).toBe(0);
    expect(core.getReg('esi')).toBe(DATA_ADDR + 0x140);
    expect(core.getReg('edi')).toBe(DATA_ADDR + 0x2030);
    const src = initialData(c).subarray(0x100, 0x140);
    expect(Array.from(core.readPhys(DATA_ADDR + 0x1ff0, 0x40))).toEqual(Array.from(src));
  });

  it('REP STOSD with DF=1 from an unmapped page below resumes where it stopped', async () => {
    const core = await createCore({ memoryMiB: 8 });
    setupHarnessSpace(core);
    const c = {
      label: 'std rep stosd',
      code: [0xf3, 0xab],
      eflags: FLAG_DF,
      regs: { eax: 0xcafef00d, ecx: 6, edi: DATA_ADDR + 8 },
    };
    loadCase(core, c);
    const first = tabvmOutcome(core, c.code.length);
    expect(first.vector).toBe(VEC_PF);
    expect(first.cr2).toBe(DATA_ADDR - 4);
    expect(core.getReg('ecx')).toBe(3);
    expect(core.getReg('edi')).toBe(DATA_ADDR - 4);
    mapPages(core, DATA_ADDR - 0x1000, 1);
    expect(tabvmOutcome(core, c.code.length).kind).toBe('ok');
    expect(core.getReg('ecx')).toBe(0);
    for (let a = DATA_ADDR - 12; a <= DATA_ADDR + 8; a += 4) expect(u32At(core, a)).toBe(0xcafef00d);
  });
});

describe('REP iteration budget', () => {
  it('a long REP STOSD returns to the loop with EIP at the instruction and completes over later steps', async () => {
    // 4 MiB: more than one execution's budget even on the page-run fast path.
    const count = 0x100000;
    const start = 0x200000;
    const core = await flatCore(0, [0xf3, 0xab]);
    core.setReg('eax', 0x5a5b5c5d);
    core.setReg('ecx', count);
    core.setReg('edi', start);
    const r = core.run(1, { stopOnException: true });
    expect(r.reason).toBe('limit');
    const left = core.getReg('ecx');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(count);
    expect(core.getReg('edi') - start).toBe((count - left) * 4);
    expect(core.getReg('eip')).toBe(CODE);
    runToEnd(core, 2);
    expect(core.getReg('ecx')).toBe(0);
    expect(core.getReg('edi')).toBe(start + count * 4);
    const mem = new DataView(core.readPhys(start - 4, count * 4 + 8).buffer);
    expect(mem.getUint32(0, true)).toBe(0);
    expect(mem.getUint32(count * 4 + 4, true)).toBe(0);
    let bad = 0;
    for (let i = 1; i <= count; i++) if (mem.getUint32(i * 4, true) !== 0x5a5b5c5d) bad++;
    expect(bad).toBe(0);
  });

  it('a backward REP MOVSB runs 4096 iterations per execution', async () => {
    const core = await flatCore(0, [0xf3, 0xa4]);
    core.setReg('eflags', FLAG_DF | 2);
    core.setReg('ecx', 10000);
    core.setReg('esi', 0x200000);
    core.setReg('edi', 0x300000);
    core.writePhys(
      0x200000 - 9999,
      Uint8Array.from({ length: 10000 }, (_, i) => i * 13),
    );
    expect(core.run(1, { stopOnException: true }).reason).toBe('limit');
    expect(core.getReg('ecx')).toBe(10000 - 4096);
    expect(core.getReg('esi')).toBe(0x200000 - 4096);
    runToEnd(core, 2);
    expect(Array.from(core.readPhys(0x300000 - 9999, 10000))).toEqual(Array.from(core.readPhys(0x200000 - 9999, 10000)));
  });
});

describe('16-bit addresses and stacks wrap', () => {
  it('a16 REP MOVSB wraps SI at 64 KiB and keeps the upper halves of ESI/EDI/ECX', async () => {
    const core = await flatCore(0, [0x67, 0xf3, 0xa4]);
    core.writePhys(0xfffe, Uint8Array.from([1, 2]));
    core.writePhys(0x0000, Uint8Array.from([3, 4]));
    core.setReg('esi', 0x1234fffe);
    core.setReg('edi', 0x56780010);
    core.setReg('ecx', 0xabcd0004);
    runToEnd(core, 3);
    expect(Array.from(core.readPhys(0x10, 4))).toEqual([1, 2, 3, 4]);
    expect(core.getReg('esi')).toBe(0x12340002);
    expect(core.getReg('edi')).toBe(0x56780014);
    expect(core.getReg('ecx')).toBe(0xabcd0000);
  });

  it('PUSH on a 16-bit stack wraps SP and keeps the upper half of ESP', async () => {
    const core = await flatCore(0, [0x50, 0x66, 0x53]);
    const ss = core.getSegment(L.SEG_SS);
    setSegment(core, L.SEG_SS, 0, 0xffffffff, ss.attr & ~ATTR_DB);
    core.setReg('esp', 0xabcd0002);
    core.setReg('eax', 0x11223344);
    core.setReg('ebx', 0x5566);
    runToEnd(core, 3);
    expect(core.getReg('esp')).toBe(0xabcdfffc);
    // The dword at SP = 0xfffe lies at offsets 0xfffe-0x10001 of this flat segment.
    expect(u32At(core, 0xfffe)).toBe(0x11223344);
    expect(u32At(core, 0xfffc) & 0xffff).toBe(0x5566);
  });

  it('ENTER and LEAVE on a 16-bit stack use SP and BP', async () => {
    const core = await flatCore(0, [0xc8, 0x10, 0x00, 0x02, 0xc9]);
    const ss = core.getSegment(L.SEG_SS);
    setSegment(core, L.SEG_SS, 0, 0xffffffff, ss.attr & ~ATTR_DB);
    core.setReg('esp', 0x77770100);
    core.setReg('ebp', 0x88880200);
    putU32(core, 0x1fc, 0xdddddddd);
    core.run(1, { stopOnException: true });
    // push ebp at 0xfc, copy [bp-4] at 0xf8, push frame (0xfc) at 0xf4, then allocate 16.
    expect(core.getReg('ebp')).toBe(0x888800fc);
    expect(core.getReg('esp')).toBe(0x777700e4);
    expect(u32At(core, 0xfc)).toBe(0x88880200);
    expect(u32At(core, 0xf8)).toBe(0xdddddddd);
    expect(u32At(core, 0xf4)).toBe(0x000000fc);
    runToEnd(core, 5);
    expect(core.getReg('esp')).toBe(0x77770100);
    expect(core.getReg('ebp')).toBe(0x88880200);
  });
});

describe('near branches check the CS limit', () => {
  const LIMIT = 0x1fff;
  async function limitedCore(code: number[]): Promise<Core> {
    const core = await flatCore(0, code);
    const cs = core.getSegment(L.SEG_CS);
    setSegment(core, L.SEG_CS, 0, LIMIT, cs.attr);
    core.exports.flushTlb();
    return core;
  }
  const rel32To = (from: number, target: number): number[] => le32(target - from);

  it('JMP beyond the limit raises #GP(0) at the JMP', async () => {
    const core = await limitedCore([0xe9, ...rel32To(CODE + 5, LIMIT + 1)]);
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_GP);
    expect(r.errorCode).toBe(0);
    expect(core.getReg('eip')).toBe(CODE);
  });

  it('JMP to the last bytes inside the limit is fine', async () => {
    const core = await limitedCore([0xe9, ...rel32To(CODE + 5, LIMIT - 1)]);
    core.writePhys(LIMIT - 1, Uint8Array.from(UD2));
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_UD);
    expect(core.getReg('eip')).toBe(LIMIT - 1);
  });

  it('CALL beyond the limit faults before pushing', async () => {
    const core = await limitedCore([0xe8, ...rel32To(CODE + 5, 0x3000)]);
    putU32(core, 0x7ffc, 0x12345678);
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_GP);
    expect(core.getReg('esp')).toBe(0x8000);
    expect(u32At(core, 0x7ffc)).toBe(0x12345678);
  });

  it('RET to beyond the limit leaves ESP', async () => {
    const core = await limitedCore([0xc2, 0x08, 0x00]);
    putU32(core, 0x8000, 0x2000);
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_GP);
    expect(core.getReg('esp')).toBe(0x8000);
    expect(core.getReg('eip')).toBe(CODE);
  });

  it('an untaken Jcc to beyond the limit does not fault', async () => {
    // jnc far away, with CF set
    const core = await limitedCore([0x0f, 0x83, ...rel32To(CODE + 6, 0x5000)]);
    core.setReg('eflags', FLAG_CF | 2);
    runToEnd(core, 6);
  });

  it('a taken LOOP to beyond the limit faults with ECX unchanged', async () => {
    const core = await limitedCore([0xe2, 0x7f]);
    const cs = core.getSegment(L.SEG_CS);
    setSegment(core, L.SEG_CS, 0, CODE + 0x40, cs.attr);
    core.setReg('ecx', 3);
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_GP);
    expect(core.getReg('ecx')).toBe(3);
  });
});

describe('multi-write stack instructions are all-or-nothing', () => {
  it('ENTER whose third write faults leaves ESP, EBP and memory unchanged', async () => {
    const core = await createCore({ memoryMiB: 8 });
    setupHarnessSpace(core);
    const c = {
      label: 'enter 0, 3',
      code: [0xc8, 0x00, 0x00, 0x03],
      regs: { esp: DATA_ADDR + 8, ebp: DATA_ADDR + 0x100 },
    };
    loadCase(core, c);
    const o = tabvmOutcome(core, c.code.length);
    expect(o.vector).toBe(VEC_PF);
    expect(o.cr2).toBe(DATA_ADDR - 4);
    expect(core.getReg('esp')).toBe(DATA_ADDR + 8);
    expect(core.getReg('ebp')).toBe(DATA_ADDR + 0x100);
    expect(Array.from(o.data)).toEqual(Array.from(initialData(c)));
  });

  it('ENTER whose frame-pointer read faults changes nothing', async () => {
    const core = await createCore({ memoryMiB: 8 });
    setupHarnessSpace(core);
    const c = {
      label: 'enter 0, 2',
      code: [0xc8, 0x00, 0x00, 0x02],
      regs: { ebp: 0x00400000 },
    };
    loadCase(core, c);
    const o = tabvmOutcome(core, c.code.length);
    expect(o.vector).toBe(VEC_PF);
    expect(o.cr2).toBe(0x00400000 - 4);
    expect(core.getReg('esp')).toBe(DATA_ADDR + 0x1000);
    expect(core.getReg('ebp')).toBe(0x00400000);
  });

  it('PUSHAD that runs off the stack writes nothing', async () => {
    const core = await createCore({ memoryMiB: 8 });
    setupHarnessSpace(core);
    const c = {
      label: 'pushad',
      code: [0x60],
      regs: { esp: DATA_ADDR + 0x10 },
    };
    loadCase(core, c);
    const o = tabvmOutcome(core, c.code.length);
    expect(o.vector).toBe(VEC_PF);
    expect(core.getReg('esp')).toBe(DATA_ADDR + 0x10);
    expect(Array.from(o.data)).toEqual(Array.from(initialData(c)));
  });
});

describe('POPF and PUSHF privilege rules', () => {
  async function popfCore(cpl: 0 | 3, code: number[], image: number, flags: number): Promise<Core> {
    const core = await flatCore(cpl, code);
    putU32(core, 0x8000, image);
    core.setReg('eflags', flags | 2);
    return core;
  }

  it('at CPL 0 POPFD writes IOPL, IF, NT, AC, ID but not VM, VIF, VIP; RF is cleared', async () => {
    const image = 0x00247ed5 | FLAG_VM | FLAG_RF | FLAG_VIF | FLAG_VIP;
    const core = await popfCore(0, [0x9d], image, 0);
    runToEnd(core, 1);
    expect(core.getReg('eflags')).toBe((0x00247ed5 | 2) >>> 0);
    expect(core.getReg('esp')).toBe(0x8004);
  });

  it('at CPL 0 POPFD keeps VIF and VIP as they were', async () => {
    const core = await popfCore(0, [0x9d], 0, FLAG_VIF | FLAG_VIP | FLAG_RF);
    runToEnd(core, 1);
    expect(core.getReg('eflags')).toBe(FLAG_VIF | FLAG_VIP | 2);
  });

  it('POPFW at CPL 0 touches only FLAGS[15:0]', async () => {
    const core = await popfCore(0, [0x66, 0x9d], 0xffff0000 | FLAG_CF, FLAG_AC | FLAG_ID | FLAG_IOPL3 | FLAG_IF | FLAG_NT);
    runToEnd(core, 2);
    expect(core.getReg('eflags')).toBe(FLAG_AC | FLAG_ID | FLAG_CF | 2);
    expect(core.getReg('esp')).toBe(0x8002);
  });

  it('at CPL 3 with IOPL 0 POPFD leaves IOPL and IF', async () => {
    const core = await popfCore(3, [0x9d], FLAG_IOPL3 | FLAG_CF, FLAG_IF);
    runToEnd(core, 1);
    expect(core.getReg('eflags')).toBe(FLAG_IF | FLAG_CF | 2);
  });

  it('at CPL 3 with IOPL 3 POPFD changes IF but not IOPL', async () => {
    const core = await popfCore(3, [0x9d], FLAG_CF, FLAG_IF | FLAG_IOPL3);
    runToEnd(core, 1);
    expect(core.getReg('eflags')).toBe(FLAG_IOPL3 | FLAG_CF | 2);
  });

  it('POPF that sets TF traps after the next instruction', async () => {
    // popfd (TF); add eax, 1; ud2
    const core = await popfCore(0, [0x9d, 0x05, ...le32(1)], FLAG_TF, 0);
    core.setReg('eax', 41);
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_DB);
    expect(core.getReg('eip')).toBe(CODE + 6);
    expect(core.getReg('eax')).toBe(42);
  });

  it('in virtual-8086 mode with IOPL < 3 PUSHF and POPF raise #GP(0)', async () => {
    for (const code of [[0x9c], [0x9d]]) {
      const core = await popfCore(3, code, 0, FLAG_VM);
      const r = core.run(10, { stopOnException: true });
      expect(r.vector).toBe(VEC_GP);
      expect(r.errorCode).toBe(0);
      expect(core.getReg('esp')).toBe(0x8000);
    }
  });

  it('in virtual-8086 mode with IOPL 3 PUSHFD hides VM and RF, POPFD keeps IOPL and VM', async () => {
    const core = await popfCore(3, [0x9c], 0, FLAG_VM | FLAG_RF | FLAG_IOPL3 | FLAG_CF);
    core.run(1, { stopOnException: true });
    expect(u32At(core, 0x7ffc)).toBe(FLAG_IOPL3 | FLAG_CF | 2);
    const pop = await popfCore(3, [0x9d], FLAG_IF | FLAG_DF, FLAG_VM | FLAG_IOPL3);
    pop.run(1, { stopOnException: true });
    expect(pop.getReg('eflags')).toBe(FLAG_VM | FLAG_IOPL3 | FLAG_IF | FLAG_DF | 2);
  });
});

describe('I/O permission', () => {
  const TSS = 0x5000;
  const MAP_OFFSET = 0x68;
  /** 0x20 bitmap bytes (ports 0x000-0x0ff) plus the trailing 0xff byte. */
  const TSS_LIMIT = MAP_OFFSET + 0x20;
  const TSS32_BUSY = 0x8b;

  async function ioCore(cpl: 0 | 3, code: number[], opts: { iopl3?: boolean; trAttr?: number } = {}): Promise<Core> {
    const core = await flatCore(cpl, code);
    const map = new Uint8Array(0x21).fill(0xff);
    map[0x40 >> 3] = 0x00; // ports 0x40-0x47 allowed
    map[0x80 >> 3] = 0xfd; // port 0x81 allowed
    core.writePhys(TSS + MAP_OFFSET, map);
    core.writePhys(TSS + 0x66, Uint8Array.from([MAP_OFFSET, 0]));
    setSegment(core, L.SEG_TR, TSS, TSS_LIMIT, opts.trAttr ?? TSS32_BUSY);
    core.setReg('eflags', (opts.iopl3 ? FLAG_IOPL3 : 0) | 2);
    core.setReg('eax', 0x12345678);
    return core;
  }
  async function expectGp(core: Core): Promise<void> {
    const r = core.run(10, { stopOnException: true });
    expect(r.vector).toBe(VEC_GP);
    expect(r.errorCode).toBe(0);
    expect(core.getReg('eip')).toBe(CODE);
  }

  it('CPL 3 may use ports whose bitmap bits are clear', async () => {
    // in al, 0x40; out 0x81, al; in eax, dx (0x44-0x47)
    const core = await ioCore(3, [0xe4, 0x40, 0xe6, 0x81, 0xed]);
    core.setReg('edx', 0x44);
    runToEnd(core, 5);
    // Nothing decodes these ports: the bus reads all ones at the access size.
    expect(core.getReg('eax')).toBe(0xffffffff);
  });

  it('IN AL from a port with its bit set raises #GP(0)', async () => {
    await expectGp(await ioCore(3, [0xe4, 0x48]));
  });

  it('a word access needs the bits of both ports', async () => {
    const core = await ioCore(3, [0x66, 0xed]);
    core.setReg('edx', 0x47);
    await expectGp(core);
    expect(core.getReg('eax')).toBe(0x12345678);
  });

  it('OUT to a denied port raises #GP(0)', async () => {
    await expectGp(await ioCore(3, [0xe6, 0x80]));
  });

  it('a port whose bitmap bytes lie beyond the TSS limit is denied', async () => {
    const core = await ioCore(3, [0xec]);
    core.setReg('edx', 0x400);
    await expectGp(core);
  });

  it('without a 32-bit TSS in TR, CPL > IOPL is denied', async () => {
    await expectGp(await ioCore(3, [0xe4, 0x40], { trAttr: 0x83 }));
  });

  it('IOPL 3 and CPL 0 need no bitmap', async () => {
    const user = await ioCore(3, [0xe4, 0x48], { iopl3: true });
    runToEnd(user, 2);
    expect(user.getReg('eax')).toBe(0x123456ff);
    const kernel = await ioCore(0, [0xe4, 0x48, 0x66, 0xe5, 0x90]);
    runToEnd(kernel, 5);
    expect(kernel.getReg('eax')).toBe(0x1234ffff);
  });

  it('REP INSB on an allowed port stores each byte and counts ECX down', async () => {
    const core = await ioCore(3, [0xf3, 0x6c]);
    core.setReg('edx', 0x45); // allowed and decoded by no device (the PIT is 0x40-0x43): reads 0xff
    core.setReg('ecx', 5);
    core.setReg('edi', 0x6000);
    runToEnd(core, 2);
    expect(Array.from(core.readPhys(0x6000, 6))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0]);
    expect(core.getReg('edi')).toBe(0x6005);
    expect(core.getReg('ecx')).toBe(0);
  });

  it('INSW with DF=1 walks EDI down', async () => {
    const core = await ioCore(0, [0x66, 0x6d]);
    core.setReg('eflags', FLAG_DF | 2);
    core.setReg('edx', 0x300);
    core.setReg('edi', 0x6010);
    runToEnd(core, 2);
    expect(core.getReg('edi')).toBe(0x600e);
    expect(u32At(core, 0x6010) & 0xffff).toBe(0xffff);
  });

  it('REP OUTSB to a denied port faults before touching ESI or ECX', async () => {
    const core = await ioCore(3, [0xf3, 0x6e]);
    core.setReg('edx', 0x80);
    core.setReg('ecx', 4);
    core.setReg('esi', 0x6000);
    await expectGp(core);
    expect(core.getReg('ecx')).toBe(4);
    expect(core.getReg('esi')).toBe(0x6000);
  });

  it('REP OUTSD on an allowed port advances ESI', async () => {
    const core = await ioCore(3, [0xf3, 0x6f]);
    core.setReg('edx', 0x44); // allowed and decoded by no device
    core.setReg('ecx', 3);
    core.setReg('esi', 0x6000);
    runToEnd(core, 2);
    expect(core.getReg('esi')).toBe(0x600c);
    expect(core.getReg('ecx')).toBe(0);
  });
});
