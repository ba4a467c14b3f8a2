// Interrupt and exception delivery through the IDT, IRET, and the
// virtual-8086 transitions (SDM Vol. 3A §6.10-6.13, §20.3; Vol. 2A "INT n", "IRET").

import { describe, it, expect } from 'vitest';
import {
  protectedMachine,
  Machine,
  L,
  SEL,
  T,
  CODE0,
  CODE3,
  HANDLER,
  STACK0_TOP,
  STACK3_TOP,
  TSS_A,
  UD2,
  gateDesc,
  segDesc,
} from './machine.js';

const INT_EXCEPTION = 0;
const INT_SOFTWARE = 1;
const INT_EXTERNAL = 2;
const INT_ICEBP = 3;
const INT_BREAKPOINT = 4;
const OK = 0xffffffff;

/** Deliver an event of `kind` (cpu/interrupts.ts INT_*). */
function deliver(m: Machine, vector: number, kind: number, code = 0, hasCode = false): number {
  return m.core.exports.deliverEvent(vector, kind, code, hasCode ? 1 : 0) >>> 0;
}
const fault = (vector: number, code: number) => ((vector << 16) | code) >>> 0;

/** The dwords at ESP. */
function stackDwords(m: Machine, n: number): number[] {
  return Array.from({ length: n }, (_, i) => m.r32(m.esp + i * 4));
}

describe('delivery through interrupt and trap gates', () => {
  it('#UD at ring 3 switches to the ring-0 stack from the TSS and clears IF', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setIdt(6, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    m.bytes(CODE3, UD2);
    m.core.setReg('eflags', 0x2 | L.FLAG_IF | L.FLAG_CF);
    m.runDelivering(1);
    expect(m.eip).toBe(HANDLER);
    expect(m.cpl).toBe(0);
    expect(m.sel(L.SEG_CS)).toBe(SEL.code0);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data0);
    expect(m.esp).toBe(STACK0_TOP - 20);
    // A fault pushes RF = 1 (SDM Vol. 3B §17.3.1.1).
    expect(stackDwords(m, 5)).toEqual([CODE3, SEL.code3, 0x2 | L.FLAG_IF | L.FLAG_CF | L.FLAG_RF, STACK3_TOP, SEL.data3]);
    expect(m.core.getReg('eflags') & (L.FLAG_IF | L.FLAG_RF)).toBe(0);
    expect(m.core.getReg('eflags') & L.FLAG_CF).toBe(L.FLAG_CF);
  });

  it('#GP from ring 3 through a trap gate pushes the error code and keeps IF', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setIdt(13, gateDesc(SEL.code0, HANDLER, T.trapGate32, 0));
    m.bytes(CODE3, [0x8e, 0xd8]); // mov ds, ax with a ring-0 selector
    m.core.setReg('eax', SEL.data0);
    m.core.setReg('eflags', 0x2 | L.FLAG_IF);
    m.runDelivering(1);
    expect(m.eip).toBe(HANDLER);
    expect(m.esp).toBe(STACK0_TOP - 24);
    expect(stackDwords(m, 6)).toEqual([SEL.data0, CODE3, SEL.code3, 0x2 | L.FLAG_IF | L.FLAG_RF, STACK3_TOP, SEL.data3]);
    expect(m.core.getReg('eflags') & L.FLAG_IF).toBe(L.FLAG_IF);
  });

  it('delivers at the same privilege through a 16-bit gate with a 16-bit frame', async () => {
    const m = await protectedMachine();
    m.setIdt(6, gateDesc(SEL.code0, 0x4000, T.intGate16, 0));
    m.bytes(CODE0, UD2);
    m.runDelivering(1);
    expect(m.eip).toBe(0x4000);
    expect(m.esp).toBe(STACK0_TOP - 6);
    expect([m.r16(m.esp), m.r16(m.esp + 2), m.r16(m.esp + 4)]).toEqual([CODE0 & 0xffff, SEL.code0, 0x2]);
  });

  it('an external interrupt pushes the interrupted EIP and RF = 0', async () => {
    const m = await protectedMachine({ cpl: 3 });
    // INTR forced high with no request: the 8259A (uninitialised, vector base 0)
    // answers the INTA with its spurious IRQ 7 vector.
    m.setIdt(0x07, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    m.bytes(CODE3, UD2);
    m.bytes(HANDLER, UD2);
    m.core.setReg('eflags', 0x2 | L.FLAG_IF);
    m.core.setState(L.OFF_INTR_LINE, 1);
    const r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.eip).toBe(HANDLER);
    expect(stackDwords(m, 5)).toEqual([CODE3, SEL.code3, 0x2 | L.FLAG_IF, STACK3_TOP, SEL.data3]);
  });

  it('INT n checks the gate DPL against CPL; INT1 and hardware events do not', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    expect(deliver(m, 0x40, INT_SOFTWARE)).toBe(fault(13, 0x40 * 8 + 2));
    expect(m.cpl).toBe(3);
    expect(deliver(m, 0x40, INT_ICEBP)).toBe(OK);
    expect(m.eip).toBe(HANDLER);
  });

  it('sets EXT in the error code for a fault while delivering INT1, but not INT n (SDM Vol. 3A §6.13)', async () => {
    const m = await protectedMachine({ cpl: 0 });
    m.setIdt(0x01, gateDesc(SEL.code0, HANDLER, T.intGate32, 0, 0, false));
    expect(deliver(m, 0x01, INT_ICEBP)).toBe(fault(11, 0x01 * 8 + 3));
    expect(deliver(m, 0x01, INT_SOFTWARE)).toBe(fault(11, 0x01 * 8 + 2));
  });

  it('INT n through a DPL-3 gate from ring 3 enters ring 0', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setIdt(0x80, gateDesc(SEL.code0, HANDLER, T.trapGate32, 3));
    expect(deliver(m, 0x80, INT_SOFTWARE)).toBe(OK);
    expect(m.cpl).toBe(0);
    expect(m.esp).toBe(STACK0_TOP - 20);
    expect(stackDwords(m, 3)).toEqual([CODE3, SEL.code3, 0x2]);
  });

  it.each([
    ['a vector beyond the IDT limit', (m: Machine) => m.core.setState(L.OFF_IDTR_LIMIT, 0x40 * 8 + 6), 13, 0x40 * 8 + 3],
    ['a not-present gate', (m: Machine) => m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0, 0, false)), 11, 0x40 * 8 + 3],
    ['a call gate in the IDT', (m: Machine) => m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.callGate32, 0)), 13, 0x40 * 8 + 3],
    ['a gate to a data segment', (m: Machine) => m.setIdt(0x40, gateDesc(SEL.data0, HANDLER, T.intGate32, 0)), 13, SEL.data0 | 1],
    ['a gate with a null selector', (m: Machine) => m.setIdt(0x40, gateDesc(0, HANDLER, T.intGate32, 0)), 13, 1],
    [
      'a gate to a not-present code segment',
      (m: Machine) => {
        m.setGdt(13, segDesc(0, 0xffffffff, T.code, 0, { present: false }));
        m.setIdt(0x40, gateDesc(SEL.notPresent, HANDLER, T.intGate32, 0));
      },
      11,
      SEL.notPresent | 1,
    ],
    [
      'a TSS ring-0 stack that is not writable data',
      (m: Machine) => {
        m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
        m.w16(TSS_A + 8, SEL.readOnly0);
      },
      10,
      SEL.readOnly0 | 1,
    ],
    [
      'a TSS too short for the ring-0 stack',
      (m: Machine) => {
        m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
        m.setSegmentCache(L.SEG_TR, SEL.tssA, TSS_A, 6, L.ATTR_P | T.tss32Busy);
      },
      10,
      SEL.tssA | 1,
    ],
    [
      'a not-present ring-0 stack',
      (m: Machine) => {
        m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
        m.w16(TSS_A + 8, SEL.notPresent);
      },
      12,
      SEL.notPresent | 1,
    ],
    ['a handler offset beyond the code limit', (m: Machine) => m.setIdt(0x40, gateDesc(SEL.code16, 0x12345, T.intGate32, 0)), 13, 1],
  ])('external delivery rejects %s with EXT set', async (_name, setup, vector, code) => {
    const m = await protectedMachine({ cpl: 3 });
    setup(m);
    expect(deliver(m, 0x40, INT_EXTERNAL)).toBe(fault(vector, code));
    expect(m.cpl).toBe(3);
    expect(m.esp).toBe(STACK3_TOP);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data3);
  });

  it('a fault while pushing the frame leaves every register unchanged', async () => {
    const m = await protectedMachine({ cpl: 3 });
    m.setIdt(0x40, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    m.w32(TSS_A + 4, 12); // ESP0 = 12: the fourth push wraps to 0xfffffffc, beyond the limit
    m.w16(TSS_A + 8, SEL.smallData0);
    expect(deliver(m, 0x40, INT_EXCEPTION, 0x55, true)).toBe(fault(12, SEL.smallData0 | 1));
    expect(m.cpl).toBe(3);
    expect(m.eip).toBe(CODE3);
    expect(m.esp).toBe(STACK3_TOP);
    expect([m.r32(0), m.r32(4), m.r32(8)]).toEqual([0, 0, 0]);
  });

  it('a #GP whose gate is missing becomes a double fault', async () => {
    const m = await protectedMachine({ cpl: 0 });
    m.setIdt(8, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    m.bytes(CODE0, [0x8e, 0xd0]); // mov ss, ax (null) -> #GP(0); vector 13 not present
    m.core.setReg('eax', 0);
    m.runDelivering(1);
    expect(m.eip).toBe(HANDLER);
    expect(stackDwords(m, 2)).toEqual([0, CODE0]);
  });
});

describe('IRET in protected mode', () => {
  it('returns to ring 3: SS:ESP from the frame, IF from the image, DS nulled', async () => {
    const m = await protectedMachine();
    const esp = STACK0_TOP - 20;
    m.core.setReg('esp', esp);
    [CODE3, SEL.code3, 0x2 | L.FLAG_IF | L.FLAG_IOPL | L.FLAG_ZF, STACK3_TOP - 0x10, SEL.data3].forEach((v, i) => m.w32(esp + i * 4, v));
    m.bytes(CODE0, [0xcf]);
    m.bytes(CODE3, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE3);
    expect(m.cpl).toBe(3);
    expect(m.sel(L.SEG_SS)).toBe(SEL.data3);
    expect(m.esp).toBe(STACK3_TOP - 0x10);
    expect(m.sel(L.SEG_DS)).toBe(0);
    expect(m.core.getReg('eflags')).toBe(0x2 | L.FLAG_IF | L.FLAG_IOPL | L.FLAG_ZF);
  });

  it('at ring 3 cannot change IOPL, nor IF when CPL > IOPL', async () => {
    const m = await protectedMachine({ cpl: 3 });
    const esp = STACK3_TOP - 12;
    m.core.setReg('esp', esp);
    [CODE3 + 0x10, SEL.code3, 0x2 | L.FLAG_IF | L.FLAG_IOPL | L.FLAG_CF].forEach((v, i) => m.w32(esp + i * 4, v));
    m.bytes(CODE3, [0xcf]);
    m.bytes(CODE3 + 0x10, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE3 + 0x10);
    expect(m.esp).toBe(STACK3_TOP);
    expect(m.core.getReg('eflags')).toBe(0x2 | L.FLAG_CF);
  });

  it('IRETD with VM set at CPL 0 enters virtual-8086 mode with the full frame', async () => {
    const m = await protectedMachine();
    const esp = STACK0_TOP - 36;
    m.core.setReg('esp', esp);
    const frame = [0x0010, 0x1000, 0x2 | L.FLAG_VM | L.FLAG_IF | L.FLAG_IOPL, 0xfffe, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000];
    frame.forEach((v, i) => m.w32(esp + i * 4, v));
    m.bytes(CODE0, [0xcf]);
    m.bytes(0x10010, UD2);
    m.runToException();
    expect(m.eip).toBe(0x10);
    expect(m.cpl).toBe(3);
    expect(m.core.getReg('eflags') & L.FLAG_VM).toBe(L.FLAG_VM);
    expect(m.seg(L.SEG_CS)).toEqual({ selector: 0x1000, base: 0x10000, limit: 0xffff, attr: 0xf3 });
    expect(m.seg(L.SEG_SS)).toMatchObject({ selector: 0x2000, base: 0x20000 });
    expect(m.seg(L.SEG_ES).base).toBe(0x30000);
    expect(m.seg(L.SEG_DS).base).toBe(0x40000);
    expect(m.seg(L.SEG_FS).base).toBe(0x50000);
    expect(m.seg(L.SEG_GS).base).toBe(0x60000);
    expect(m.esp).toBe(0xfffe);
  });

  it('IRETD with VM set at CPL 3 stays in protected mode (VM not writable there)', async () => {
    const m = await protectedMachine({ cpl: 3 });
    const esp = STACK3_TOP - 12;
    m.core.setReg('esp', esp);
    [CODE3 + 0x10, SEL.code3, 0x2 | L.FLAG_VM].forEach((v, i) => m.w32(esp + i * 4, v));
    m.bytes(CODE3, [0xcf]);
    m.bytes(CODE3 + 0x10, UD2);
    m.runToException();
    expect(m.eip).toBe(CODE3 + 0x10);
    expect(m.core.getReg('eflags') & L.FLAG_VM).toBe(0);
  });
});

describe('virtual-8086 mode and interrupts', () => {
  async function v86Machine(iopl: number): Promise<Machine> {
    const m = await protectedMachine({ cpl: 3 });
    m.core.setReg('eflags', 0x2 | L.FLAG_VM | L.FLAG_IF | (iopl << 12));
    m.setSegmentCache(L.SEG_CS, 0x1000, 0x10000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_SS, 0x2000, 0x20000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_ES, 0x3000, 0x30000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_DS, 0x4000, 0x40000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_FS, 0x5000, 0x50000, 0xffff, 0xf3);
    m.setSegmentCache(L.SEG_GS, 0x6000, 0x60000, 0xffff, 0xf3);
    m.core.setReg('eip', 0x10);
    m.core.setReg('esp', 0xfff0);
    return m;
  }

  it('an exception in v86 mode enters ring 0, pushing GS FS DS ES and nulling them', async () => {
    const m = await v86Machine(0);
    m.setIdt(6, gateDesc(SEL.code0, HANDLER, T.intGate32, 0));
    m.bytes(0x10010, UD2);
    m.runDelivering(1);
    expect(m.eip).toBe(HANDLER);
    expect(m.cpl).toBe(0);
    expect(m.esp).toBe(STACK0_TOP - 36);
    expect(stackDwords(m, 9)).toEqual([
      0x10,
      0x1000,
      0x2 | L.FLAG_VM | L.FLAG_IF | L.FLAG_RF,
      0xfff0,
      0x2000,
      0x3000,
      0x4000,
      0x5000,
      0x6000,
    ]);
    expect(m.core.getReg('eflags') & (L.FLAG_VM | L.FLAG_IF)).toBe(0);
    for (const s of [L.SEG_ES, L.SEG_DS, L.SEG_FS, L.SEG_GS]) expect(m.sel(s)).toBe(0);
  });

  it('INT n at IOPL < 3 raises #GP(0); INT3 goes through the IDT', async () => {
    const m = await v86Machine(0);
    m.setIdt(0x21, gateDesc(SEL.code0, HANDLER, T.intGate32, 3));
    m.setIdt(3, gateDesc(SEL.code0, HANDLER + 0x10, T.trapGate32, 3));
    expect(deliver(m, 0x21, INT_SOFTWARE)).toBe(fault(13, 0));
    expect(m.core.getReg('eflags') & L.FLAG_VM).toBe(L.FLAG_VM);
    expect(deliver(m, 3, INT_BREAKPOINT)).toBe(OK);
    expect(m.eip).toBe(HANDLER + 0x10);
  });

  // INT3 (CC) and INTO (CE) are not IOPL-sensitive in v86 mode, unlike INT n
  // (CD): they always go through the IDT, where the gate DPL must be 3 (SDM
  // Vol. 3A §20.3.3; Vol. 2A "INT n/INTO/INT3/INT1" Operation).
  const GP_HANDLER = HANDLER + 0x100;
  const V86_IP = 0x10;
  const V86_CS = 0x1000;
  async function v86Trap(iopl: number, code: number[], vector: number, gateDpl: number): Promise<Machine> {
    const m = await v86Machine(iopl);
    m.core.setReg('eflags', m.core.getReg('eflags') | L.FLAG_OF);
    m.setIdt(13, gateDesc(SEL.code0, GP_HANDLER, T.intGate32, 0));
    m.setIdt(vector, gateDesc(SEL.code0, HANDLER, T.intGate32, gateDpl));
    m.bytes(0x10000 + V86_IP, code);
    m.runDelivering(1);
    return m;
  }
  const trapInstructions: [string, number[], number][] = [
    ['INT3', [0xcc], 3],
    ['INTO', [0xce], 4],
  ];
  describe.each(trapInstructions)('%s in v86 mode', (_name, code, vector) => {
    it.each([0, 3])('at IOPL %i through a DPL-3 gate enters the ring-0 handler', async (iopl) => {
      const m = await v86Trap(iopl, code, vector, 3);
      expect(m.eip).toBe(HANDLER);
      expect(m.cpl).toBe(0);
      expect(m.core.getReg('eflags') & L.FLAG_VM).toBe(0);
      // A trap: the frame returns past the instruction, with no error code.
      expect(m.esp).toBe(STACK0_TOP - 36);
      expect(stackDwords(m, 2)).toEqual([V86_IP + code.length, V86_CS]);
    });

    it.each([0, 3])('at IOPL %i through a DPL-0 gate raises #GP(vector*8+2)', async (iopl) => {
      const m = await v86Trap(iopl, code, vector, 0);
      expect(m.eip).toBe(GP_HANDLER);
      expect(m.cpl).toBe(0);
      // #GP is a fault: error code (IDT bit, no EXT), then the instruction's own address.
      expect(m.esp).toBe(STACK0_TOP - 40);
      expect(stackDwords(m, 3)).toEqual([vector * 8 + 2, V86_IP, V86_CS]);
    });
  });

  it('INT 3 written as CD 03 stays IOPL-sensitive: #GP(0) at IOPL 0, the handler at IOPL 3', async () => {
    let m = await v86Trap(0, [0xcd, 0x03], 3, 3);
    expect(m.eip).toBe(GP_HANDLER);
    expect(stackDwords(m, 2)).toEqual([0, V86_IP]);
    m = await v86Trap(3, [0xcd, 0x03], 3, 3);
    expect(m.eip).toBe(HANDLER);
    expect(stackDwords(m, 1)).toEqual([V86_IP + 2]);
  });

  it('INT n at IOPL 3 goes through a DPL-3 gate to ring 0', async () => {
    const m = await v86Machine(3);
    m.setIdt(0x21, gateDesc(SEL.code0, HANDLER, T.intGate32, 3));
    expect(deliver(m, 0x21, INT_SOFTWARE)).toBe(OK);
    expect(m.cpl).toBe(0);
    expect(m.esp).toBe(STACK0_TOP - 36);
  });

  it('a v86 interrupt to a non-ring-0 handler raises #GP(selector)', async () => {
    const m = await v86Machine(3);
    m.setIdt(0x21, gateDesc(SEL.code1, HANDLER, T.intGate32, 3));
    expect(deliver(m, 0x21, INT_SOFTWARE)).toBe(fault(13, SEL.code1 & ~3));
    m.setIdt(0x22, gateDesc(SEL.conforming0, HANDLER, T.intGate32, 3));
    expect(deliver(m, 0x22, INT_EXTERNAL)).toBe(fault(13, SEL.conforming0 | 1));
  });

  it('IRET in v86 mode: #GP(0) at IOPL < 3, a real-mode-style return at IOPL 3', async () => {
    let m = await v86Machine(0);
    m.bytes(0x10010, [0xcf]);
    let r = m.runToException();
    expect(r.vector).toBe(13);
    expect(r.errorCode).toBe(0);

    m = await v86Machine(3);
    m.w16(0x2fff0, 0x0020);
    m.w16(0x2fff2, 0x1100);
    m.w16(0x2fff4, 0x0002 | L.FLAG_CF); // IOPL 0 in the image: kept at 3
    m.bytes(0x10010, [0xcf]);
    m.bytes(0x11020, UD2);
    // A 16-bit IRET needs 16-bit operand size: v86 code is 16-bit.
    r = m.runToException();
    expect(r.vector).toBe(6);
    expect(m.seg(L.SEG_CS).base).toBe(0x11000);
    expect(m.eip).toBe(0x20);
    expect(m.esp).toBe(0xfff6);
    expect(m.core.getReg('eflags') & (L.FLAG_IOPL | L.FLAG_VM | L.FLAG_CF | L.FLAG_IF)).toBe(L.FLAG_IOPL | L.FLAG_VM | L.FLAG_CF);
  });
});
