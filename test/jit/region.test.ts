// Regions: several basic blocks compiled into one module (jit/translate.ts
// translateRegion), with jumps between them as Wasm branches and the guest
// registers in Wasm locals. Each program runs on both engines; the JIT must
// give the interpreter's registers, EIP and instruction count, and the
// counters must show that the blocks really ran together in one module:
// an interrupt arriving in a multi-block loop, a fault in a block that was
// not the entry (SDM Vol. 3A §6.5: state as before the faulting instruction),
// a store into another block of the running region, and a far jump to a
// 16-bit code segment in the middle of a region (the region must be left).

import { describe, it, expect, beforeEach } from 'vitest';
import { type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

import { CODE, STACK, TIMER_HANDLER, armTimerInterrupt, runOn, u32, type Outcome } from './harness.js';

/**
 * Both engines; the same architectural result. `threshold`: entries before
 * compiling (a forward jump target joins a region only once it has run).
 */
async function both(setup: (core: Core) => void, max = 100_000, threshold = 1): Promise<{ jit: Outcome; interp: Outcome }> {
  const interp = await runOn('interp', setup, max, threshold);
  const jit = await runOn('jit', setup, max, threshold, clusterBytes);
  expect(jit.regs).toEqual(interp.regs);
  expect(jit.instructions).toBe(interp.instructions);
  expect(jit.reason).toBe(interp.reason);
  expect(jit.vector).toBe(interp.vector);
  expect(jit.jitInstructions).toBeGreaterThan(0);
  return { jit, interp };
}

/**
 * GDT: 0x08 flat 32-bit code, 0x10 flat data, 0x18 16-bit code (base 0, limit 0xffff);
 * not flat: 0x20 data based at 0x100 (limit 4 GiB), 0x28 data with limit 0x2fff, 0x30 32-bit code with limit 0x1fff.
 */
function loadGdt(c: Core): void {
  const gdt = 0x5000;
  const descriptors = [
    [0, 0],
    [0x0000ffff, 0x00cf9a00],
    [0x0000ffff, 0x00cf9200],
    [0x0000ffff, 0x00009a00],
    [0x0100ffff, 0x00cf9200],
    [0x00002fff, 0x00409200],
    [0x00001fff, 0x00409a00],
  ];
  const dv = new DataView(new ArrayBuffer(descriptors.length * 8));
  descriptors.forEach(([lo, hi], i) => {
    dv.setUint32(i * 8, lo, true);
    dv.setUint32(i * 8 + 4, hi, true);
  });
  c.writePhys(gdt, new Uint8Array(dv.buffer));
  c.setState(L.OFF_GDTR_BASE, gdt);
  c.setState(L.OFF_GDTR_LIMIT, descriptors.length * 8 - 1);
}

/** Segment register `seg` (1 CS, 2 SS, 3 DS) keeps its selector and base 0, with a byte-granular limit `limit`. */
function byteLimit(c: Core, seg: number, limit: number): void {
  const s = c.getSegment(seg);
  c.exports.setSegmentCache(seg, s.selector, 0, limit, s.attr & ~0x8000);
}

/** The JIT's function size for the tests of the current describe (translate.ts clusters). */
let clusterBytes: number | undefined;

// Each test runs with a region compiled as one function, with every block
// a function of its own (a jump between blocks leaves one function and the
// module's dispatcher calls the next, registers and flags through memory),
// and with functions of a few blocks (formClusters splits a loop nest).
describe.each([
  { layout: 'one function per region', bytes: undefined },
  { layout: 'a function per block', bytes: 1 },
  { layout: 'functions of about 200 bytes (loop nests split)', bytes: 200 },
])('JIT regions, $layout', ({ bytes }) => {
  beforeEach(() => {
    clusterBytes = bytes;
  });
  it('takes a timer interrupt that arrives in a loop of several blocks compiled into one module', async () => {
    // IDT vector 0x20 → handler: mov edx, eax; hlt. PIT channel 0 count 1000 on IRQ0.
    // The first NOP is interpreted; then L: inc eax; test eax, 1; jz S; inc ebx; S: jmp L
    // L: 40 inc eax; a9 01 00 00 00 test eax, 1; 74 01 jz S; 43 inc ebx; S: eb f5 jmp L
    const code = [0x90, 0x40, 0xa9, ...u32(1), 0x74, 0x01, 0x43, 0xeb, 0x100 - 11];
    const setup = (c: Core): void => {
      loadGdt(c);
      armTimerInterrupt(c, code);
    };
    // S, a forward target, has run by the time L is compiled (5 entries).
    const { jit } = await both(setup, 1_000_000, 5);
    expect(jit.regs.edx).toBeGreaterThan(100);
    expect(jit.regs.eip).toBe(TIMER_HANDLER + 3);
    // One module holding both blocks (L and S), run many instructions per entry.
    expect(jit.blocks).toBeGreaterThan(jit.compiles);
    expect(jit.jitInstructions).toBeGreaterThan(jit.blockRuns * 20);
  });

  it('leaves precise state after a fault in a block that is not the region entry', async () => {
    // NOP; mov ecx, 5; L: add eax, 1; dec ecx; jnz L; mov edx, [0x2000] (beyond the DS limit); hlt
    const l = CODE + 6;
    const code = [0x90, 0xb9, ...u32(5), 0x83, 0xc0, 0x01, 0x49, 0x75, 0x100 - 6, 0x8b, 0x15, ...u32(0x2000), 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('edx', 0x1234);
      byteLimit(c, 3, 0xfff);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(l + 6);
    expect(jit.regs.eax).toBe(5);
    expect(jit.regs.ecx).toBe(0);
    expect(jit.regs.edx).toBe(0x1234);
    // The entry block and L in one module; the fault came from compiled code of L.
    expect(jit.compiles).toBe(1);
    expect(jit.blocks).toBe(2);
    // The NOP, mov ecx and five passes of L ran compiled (without paging the first block needs no interpreted fetch).
    expect(jit.jitInstructions).toBe(2 + 5 * 3);
  });

  it('sees a store into another block of the running region before jumping there', async () => {
    // NOP; mov ecx, 3; jmp L
    // B: mov eax, 0x11; add ebx, eax; dec ecx; jnz L; hlt
    // L: cmp ecx, 1; jne B; mov byte [B+1], 0x33; jmp B
    const b = CODE + 8;
    const l = b + 11;
    const code = [
      0x90,
      0xb9,
      ...u32(3), // mov ecx, 3
      0xeb,
      l - b, // jmp L (from B)
      0xb8,
      ...u32(0x11), // B: mov eax, 0x11
      0x01,
      0xc3, // add ebx, eax
      0x49, // dec ecx
      0x75,
      (l - (b + 10)) & 0xff, // jnz L
      0xf4, // hlt
      0x83,
      0xf9,
      0x01, // L: cmp ecx, 1
      0x75,
      (b - (l + 5)) & 0xff, // jne B
      0xc6,
      0x05,
      ...u32(b + 1),
      0x33, // mov byte [B+1], 0x33
      0xeb,
      (b - (l + 14)) & 0xff, // jmp B
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    expect(jit.regs.eax).toBe(0x33);
    expect(jit.regs.ebx).toBe(0x11 + 0x11 + 0x33);
    expect(jit.regs.eip).toBe(b + 11);
  });

  it('leaves the region at a far jump to a 16-bit code segment whose code the region compiled as 32-bit', async () => {
    // NOP; jmp L; T: inc ax (16-bit code; inc eax as the region compiled it); hlt
    // L: inc ebx; cmp ebx, 1000; je T (a loop-back target: in the region); cmp ebx, 100; jne L; jmp far 0x18:T
    const t = CODE + 3;
    const l = CODE + 5;
    const code = [
      0x90,
      0xeb,
      l - t,
      0x40,
      0xf4,
      0x43,
      0x81,
      0xfb,
      ...u32(1000),
      0x74,
      (t - (l + 9)) & 0xff,
      0x83,
      0xfb,
      100,
      0x75,
      (l - (l + 14)) & 0xff,
      0xea,
      ...u32(t),
      0x18,
      0x00,
    ];
    const { jit } = await both((c) => {
      loadGdt(c);
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('eax', 0xffff);
    });
    // 16-bit INC AX wraps to 0; the 32-bit INC EAX the region holds would give 0x10000.
    expect(jit.regs.eax).toBe(0);
    expect(jit.regs.ebx).toBe(100);
    expect(jit.blocks).toBeGreaterThan(jit.compiles);
  });

  it("runs CALL rel32 and RET in compiled code with the interpreter's stack, the RET going back into the region", async () => {
    // NOP; mov ecx, 50; L: call F; dec ecx; jnz L; hlt; F: add eax, ecx; ret
    const l = CODE + 6;
    const f = l + 9;
    const code = [0x90, 0xb9, ...u32(50), 0xe8, ...u32(f - (l + 5)), 0x49, 0x75, (l - (l + 8)) & 0xff, 0xf4, 0x01, 0xc8, 0xc3];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    expect(jit.regs.eax).toBe((50 * 51) / 2);
    expect(jit.regs.esp).toBe(STACK);
    // Everything but the HLT ran compiled.
    expect(jit.jitInstructions).toBe(jit.instructions - 1);
    // Once the region from the return site holds the loop, the callee and
    // the return site, a RET to the site after the region's CALL branches
    // there: a handful of block runs, not one per RET.
    expect(jit.blockRuns).toBeLessThan(10);
  });

  it('raises #GP at a RET beyond the CS limit with ESP as before it, and #SS at a CALL whose push faults', async () => {
    // NOP; push 0x5000; ret — CS limit 0x1fff: #GP(0) at the RET, the return address still on the stack.
    const code = [0x90, 0x68, ...u32(0x5000), 0xc3];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      byteLimit(c, 1, 0x1fff);
    });
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + 6);
    expect(jit.regs.esp).toBe(STACK - 4);
    // NOP; mov eax, 1; call +0 with the SS limit below ESP - 4: #SS(0), ESP and EIP at the CALL.
    const call = [0x90, 0xb8, ...u32(1), 0xe8, ...u32(0), 0xf4];
    const r = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(call));
      c.setReg('eip', CODE);
      byteLimit(c, 2, 0xfff);
      c.setReg('esp', 0x2000);
    });
    expect(r.jit.vector).toBe(12);
    expect(r.jit.regs.eip).toBe(CODE + 6);
    expect(r.jit.regs.esp).toBe(0x2000);
    expect(r.jit.regs.eax).toBe(1);
  });

  // Around an instruction the block hands to the interpreter, only the
  // registers compiled code changed are written out, and only those the
  // instruction may write are reloaded (jit/translate.ts interpWrites).
  it('keeps compiled register values around interpreted instructions and reloads what they wrote', async () => {
    // NOP; mov ecx, 7; mov edi, 20; L: mov eax, edi; add eax, 100; xor edx, edx; div ecx (interpreted: EDX:EAX);
    // add ebx, edx; add esi, eax; mov eax, 0x11223344; adc ah, 1 (interpreted: AH); add ebp, eax; dec edi; jnz L; hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(7), 0xbf, ...u32(20), 0x89, 0xf8, 0x83, 0xc0, 100, 0x31, 0xd2, 0xf7, 0xf1, 0x01, 0xd3, 0x01, 0xc6,
      0xb8, ...u32(0x11223344), 0x80, 0xd4, 0x01, 0x01, 0xc5, 0x4f, 0x75, 0x100 - 26, 0xf4,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('ebp', 0);
    });
    let ebx = 0;
    let esi = 0;
    for (let i = 20; i > 0; i--) {
      ebx += (i + 100) % 7;
      esi += Math.floor((i + 100) / 7);
    }
    expect(jit.regs.ebx).toBe(ebx);
    expect(jit.regs.esi).toBe(esi);
    expect(jit.regs.ebp).toBe((20 * 0x11223444) >>> 0);
    expect(jit.jitInstructions).toBeGreaterThan(20 * 8);
  });

  it('leaves precise state when an interpreted instruction faults after compiled code changed registers', async () => {
    // NOP; mov ebx, 5; inc esi; mov eax, 10; xor edx, edx; xor ecx, ecx; div ecx (#DE, interpreted); hlt
    const code = [0x90, 0xbb, ...u32(5), 0x46, 0xb8, ...u32(10), 0x31, 0xd2, 0x31, 0xc9, 0xf7, 0xf1, 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('edx', 0x1234);
      c.setReg('ecx', 0x5678);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(0);
    expect(jit.regs.eip).toBe(CODE + 16);
    expect(jit.regs.ebx).toBe(5);
    expect(jit.regs.esi).toBe(1);
    expect(jit.regs.eax).toBe(10);
    expect(jit.regs.edx).toBe(0);
    expect(jit.regs.ecx).toBe(0);
    // The NOP and the five instructions before the DIV.
    expect(jit.jitInstructions).toBe(6);
  });

  it('compiles 16-bit ALU operations, shifts, rotates and INC/DEC with their flags as the interpreter runs them', async () => {
    // The LZMA range coder's probability update and friends, on 40 pairs of words at 0x2000:
    // NOP; mov ecx, 40; mov ebx, 0x2000
    // L: mov ax, [ebx]; mov edx, eax; shr dx, 5; sub ax, dx; adc esi, 0; mov [ebx], ax;
    //    add word [ebx+2], 0x7fff; adc esi, 0; sar dx, cl; adc edi, 0; shl ax, 1; jno +1; inc ebp;
    //    rol dx, 3; adc esi, edx; cmp ax, 0x8000; jb +1; inc edi; dec dx; inc ax; adc ebp, 0;
    //    test ax, 0x0101; jz +1; inc esi; xor dx, ax; add ebp, edx; sbb dx, [ebx+2]; add edi, edx;
    //    add ebx, 4; dec ecx; jnz L; hlt
    // prettier-ignore
    const body = [
      0x66, 0x8b, 0x03, 0x89, 0xc2, 0x66, 0xc1, 0xea, 0x05, 0x66, 0x29, 0xd0, 0x83, 0xd6, 0x00, 0x66, 0x89, 0x03,
      0x66, 0x81, 0x43, 0x02, 0xff, 0x7f, 0x83, 0xd6, 0x00, 0x66, 0xd3, 0xfa, 0x83, 0xd7, 0x00, 0x66, 0xd1, 0xe0,
      0x71, 0x01, 0x45, 0x66, 0xc1, 0xc2, 0x03, 0x11, 0xd6, 0x66, 0x3d, 0x00, 0x80, 0x72, 0x01, 0x47, 0x66, 0x4a,
      0x66, 0x40, 0x83, 0xd5, 0x00, 0x66, 0xa9, 0x01, 0x01, 0x74, 0x01, 0x46, 0x66, 0x31, 0xc2, 0x01, 0xd5,
      0x66, 0x1b, 0x53, 0x02, 0x01, 0xd7, 0x83, 0xc3, 0x04, 0x49,
    ];
    const code = [0x90, 0xb9, ...u32(40), 0xbb, ...u32(0x2000), ...body, 0x75, -(body.length + 2) & 0xff, 0xf4];
    const words = new Uint8Array(40 * 4);
    let seed = 0x2545f491;
    for (let i = 0; i < words.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      words[i] = seed >>> 24;
    }
    const { jit, interp } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.writePhys(0x2000, words);
      c.setReg('eip', CODE);
    });
    expect(jit.regs.ebx).toBe(0x2000 + 40 * 4);
    // Everything but the HLT ran as compiled code, none of it through the interpreter.
    expect(jit.jitInstructions).toBe(interp.instructions - 1);
  });

  it('runs string instructions, PUSHFD, RDTSC and CLI through the interpreter without leaving the block', async () => {
    // NOP; mov ebp, 20; L: mov esi, 0x2000; mov edi, 0x3000; mov ecx, ebp; rep movsb; lodsb; scasb;
    // pushfd; pop eax; add ebx, eax; rdtsc; xor ebx, eax; cli; dec ebp; jnz L; hlt
    // prettier-ignore
    const body = [
      0xbe, ...u32(0x2000), 0xbf, ...u32(0x3000), 0x89, 0xe9, 0xf3, 0xa4, 0xac, 0xae, 0x9c, 0x58, 0x01, 0xc3,
      0x0f, 0x31, 0x31, 0xc3, 0xfa, 0x4d,
    ];
    const code = [0x90, 0xbd, ...u32(20), ...body, 0x75, -(body.length + 2) & 0xff, 0xf4];
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.writePhys(0x2000, bytes);
      c.setReg('eip', CODE);
    });
    expect(jit.regs.ebp).toBe(0);
    // One region holds the loop; the interpreted instructions do not send it back to the dispatcher.
    expect(jit.blockRuns).toBeLessThan(10);
  });

  // A region is compiled for flat CS/DS/ES/SS (jit/cache.ts MODE_FLAT: lin = EA, no limit
  // checks); loading a segment register ends the block, and the next entry must find the
  // region compiled for the new segments (or compile one) rather than run the flat one.
  const BASED_DATA = 0x20;
  const SMALL_DATA = 0x28;
  /** The DS-limit tests' set-up: a flat loop reading [EBX+EDI] at CODE, then MOV DS, SI loads SMALL_DATA. */
  const smallDsLoop = (c: Core, code: number[]): void => {
    loadGdt(c);
    c.writePhys(CODE, Uint8Array.from(code));
    c.setReg('eip', CODE);
    c.setReg('ebx', 0x2000);
    c.setReg('edi', 0x1000);
    c.setReg('edx', 0);
    c.setReg('esi', SMALL_DATA);
  };
  const SMALL_CODE = 0x30;
  const SREG_LOADS: [string, number, number][] = [
    // name, segment-override prefix, MOV Sreg, SI (8E /r with reg = the segment register)
    ['DS', 0x3e, 0xde],
    ['ES', 0x26, 0xc6],
    ['SS', 0x36, 0xd6],
  ];
  for (const [name, prefix, movSreg] of SREG_LOADS) {
    it(`uses the new ${name} base in a hot loop compiled for flat segments after MOV ${name} loads a based segment`, async () => {
      // NOP; mov ecx, 200; L: add edx, seg:[ebx]; dec ecx; jz E; cmp ecx, 100; jne L; mov seg, si; jmp L; E: hlt
      const code = [0x90, 0xb9, ...u32(200), prefix, 0x03, 0x13, 0x49, 0x74, 9, 0x83, 0xf9, 100, 0x75, 0x100 - 11, 0x8e, movSreg];
      code.push(0xeb, 0x100 - 15, 0xf4);
      const { jit } = await both((c) => {
        loadGdt(c);
        c.writePhys(CODE, Uint8Array.from(code));
        c.writePhys(0x2000, Uint8Array.from(u32(1)));
        c.writePhys(0x2100, Uint8Array.from(u32(0x10000)));
        c.setReg('eip', CODE);
        c.setReg('ebx', 0x2000);
        c.setReg('edx', 0);
        c.setReg('esi', BASED_DATA);
      });
      // 100 reads at base 0, then 100 at base 0x100.
      expect(jit.regs.edx).toBe(100 + 100 * 0x10000);
      expect(jit.regs.eip).toBe(CODE + code.length);
      // The loop ran compiled under both segments: a second region for the based one.
      expect(jit.compiles).toBeGreaterThan(1);
      expect(jit.jitInstructions).toBeGreaterThan(2 * 100 * 4);
    });
  }

  it('raises #GP at the new DS limit in a hot loop that was compiled for a flat DS', async () => {
    // NOP; mov ecx, 32; L: mov eax, [ebx+edi]; inc edx; dec ecx; jnz L; mov ds, si; mov ecx, 50; jmp L; hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(32), 0x8b, 0x04, 0x3b, 0x42, 0x49, 0x75, 0x100 - 7, 0x8e, 0xde, 0xb9, ...u32(50), 0xeb, 0x100 - 16, 0xf4,
    ];
    const { jit } = await both((c) => smallDsLoop(c, code));
    // The flat loop read [0x3000] (its TLB entry is filled); with the limit 0x2fff the same
    // read raises #GP(0) at the MOV, before INC EDX.
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + 6);
    expect(jit.regs.edx).toBe(32);
    expect(jit.regs.ecx).toBe(50);
    expect(jit.jitInstructions).toBeGreaterThan(32 * 4);
  });

  it('compiles MOV moffs with DS and an FS override, and raises #GP at the new FS limit', async () => {
    // NOP; mov ecx, 100; L: mov eax, fs:[0x10]; inc eax; mov fs:[0x10], eax; mov al, [0x3000];
    // mov [0x3001], al; inc edx; dec ecx; jnz L; mov fs, si; mov eax, fs:[0x3000]; hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(100), 0x64, 0xa1, ...u32(0x10), 0x40, 0x64, 0xa3, ...u32(0x10), 0xa0, ...u32(0x3000),
      0xa2, ...u32(0x3001), 0x42, 0x49, 0x75, 0x100 - 27, 0x8e, 0xe6, 0x64, 0xa1, ...u32(0x3000), 0xf4,
    ];
    const { jit } = await both((c) => {
      loadGdt(c);
      // FS: selector 0x20, based at 0x100; SI: 0x28, a data segment with the limit 0x2fff.
      c.exports.setSegmentCache(L.SEG_FS, 0x20, 0x100, 0xffffffff, L.ATTR_S | L.ATTR_RW | L.ATTR_P | L.ATTR_DB | L.ATTR_G);
      c.writePhys(CODE, Uint8Array.from(code));
      c.writePhys(0x110, Uint8Array.from(u32(0x1234)));
      c.writePhys(0x3000, Uint8Array.from([0x5a]));
      c.setReg('eip', CODE);
      c.setReg('edx', 0);
      c.setReg('esi', 0x28);
    });
    // The read at fs:0x3000 is beyond the new limit: #GP(0) there, before HLT.
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + code.length - 7);
    expect(jit.regs.edx).toBe(100);
    expect(jit.regs.eax).toBe(((0x1234 + 100) & ~0xff) | 0x5a);
    expect(jit.jitInstructions).toBeGreaterThan(100 * 6);
  });

  it('compiles LOCK-prefixed read-modify-writes as the plain ones and raises #UD at LOCK on a register', async () => {
    // NOP; mov ecx, 100; L: lock inc dword [ebx]; lock add [ebx+4], ecx; mov eax, ecx; lock xadd [ebx+8], eax;
    // mov eax, [ebx+12]; lea edx, [eax+1]; lock cmpxchg [ebx+12], edx; lock bts [ebx+16], ecx;
    // lock sub byte [ebx+20], 3; dec ecx; jnz L; mov esi, [ebx]; mov edi, [ebx+4]; mov ebp, [ebx+8];
    // mov edx, [ebx+16]; lock add eax, eax (#UD); hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(100), 0xf0, 0xff, 0x03, 0xf0, 0x01, 0x4b, 0x04, 0x89, 0xc8, 0xf0, 0x0f, 0xc1, 0x43, 0x08,
      0x8b, 0x43, 0x0c, 0x8d, 0x50, 0x01, 0xf0, 0x0f, 0xb1, 0x53, 0x0c, 0xf0, 0x0f, 0xab, 0x4b, 0x10,
      0xf0, 0x80, 0x6b, 0x14, 0x03, 0x49, 0x75, 0xda, 0x8b, 0x33, 0x8b, 0x7b, 0x04, 0x8b, 0x6b, 0x08, 0x8b, 0x53, 0x10,
      0xf0, 0x01, 0xc0, 0xf4,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.writePhys(0x2000, new Uint8Array(24));
      c.setReg('eip', CODE);
      c.setReg('ebx', 0x2000);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(6);
    expect(jit.regs.eip).toBe(CODE + code.length - 4);
    expect(jit.regs.esi).toBe(100);
    expect(jit.regs.edi).toBe((100 * 101) / 2);
    expect(jit.regs.ebp).toBe((100 * 101) / 2);
    // Eight instructions a pass are compiled (XADD, CMPXCHG and BTS run inline in the interpreter).
    expect(jit.jitInstructions).toBeGreaterThan(100 * 7);
  });

  it('compiles LEAVE in a called function, and raises #SS at a LEAVE whose read is beyond the SS limit', async () => {
    // NOP; mov ecx, 50; L: call F; dec ecx; jnz L; mov ebp, 0x7ffe; leave (#SS: 4 bytes at 0x7ffe); hlt
    // F: push ebp; mov ebp, esp; sub esp, 8; mov [ebp-4], ecx; add eax, [ebp-4]; leave; ret
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(50), 0xe8, ...u32(10), 0x49, 0x75, 0xf8, 0xbd, ...u32(0x7ffe), 0xc9, 0xf4,
      0x55, 0x89, 0xe5, 0x83, 0xec, 0x08, 0x89, 0x4d, 0xfc, 0x03, 0x45, 0xfc, 0xc9, 0xc3,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('eax', 0);
      c.setReg('ebp', 0x1234);
      byteLimit(c, 2, STACK - 1);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(12);
    expect(jit.regs.eip).toBe(CODE + 19);
    expect(jit.regs.eax).toBe((50 * 51) / 2);
    // The faulting LEAVE changed neither ESP nor EBP.
    expect(jit.regs.esp).toBe(STACK);
    expect(jit.regs.ebp).toBe(0x7ffe);
    // The loop stays in its region: a LEAVE left to the interpreter would leave it on every pass.
    expect(jit.jitInstructions).toBeGreaterThan(50 * 9);
    expect(jit.blockRuns).toBeLessThan(10);
  });

  it('raises #GP at a RET beyond the new CS limit in a loop that was compiled for a flat CS', async () => {
    // NOP; mov ecx, 50; mov edi, R; L: push edi; ret; R: dec ecx; jnz L; jmp far 0x30:S; S: mov edi, 0x5000; jmp L; hlt
    const r = CODE + 13;
    const s = CODE + 23;
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(50), 0xbf, ...u32(r), 0x57, 0xc3, 0x49, 0x75, 0x100 - 5, 0xea, ...u32(s), SMALL_CODE, 0x00,
      0xbf, ...u32(0x5000), 0xeb, 0x100 - 19, 0xf4,
    ];
    const { jit } = await both((c) => {
      loadGdt(c);
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
    });
    // The RET checks the popped 0x5000 against the limit 0x1fff: #GP(0) at it, the address still pushed.
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + 12);
    expect(jit.regs.esp).toBe(STACK - 4);
    expect(jit.regs.ecx).toBe(0);
    expect(jit.jitInstructions).toBeGreaterThan(50 * 3);
  });

  // Below CPL 3 no access can raise #AC (SDM Vol. 3A §6.15), so compiled code lets a
  // misaligned access within one page take the fast path; one crossing a page, or any
  // misaligned one at CPL 3, still goes to the helper.
  it("gives the interpreter's results for misaligned accesses within a page and across pages at CPL 0", async () => {
    // NOP; mov ecx, 40; L: mov eax, [ebx+1]; add [ebx+0xffd], eax (crosses 0x3000); mov [ebx+6], ax;
    // add edx, [ebx+0xffe] (crosses); add ebx, 3; dec ecx; jnz L; hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(40), 0x8b, 0x43, 0x01, 0x01, 0x83, ...u32(0xffd), 0x66, 0x89, 0x43, 0x06, 0x03, 0x93, ...u32(0xffe),
      0x83, 0xc3, 0x03, 0x49, 0x75, 0x100 - 25, 0xf4,
    ];
    const data = Uint8Array.from({ length: 0x1200 }, (_, i) => (i * 37 + 11) & 0xff);
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.writePhys(0x2000, data);
      c.setReg('eip', CODE);
      c.setReg('ebx', 0x2000);
      c.setReg('edx', 0);
    });
    expect(jit.regs.ecx).toBe(0);
    expect(jit.jitInstructions).toBeGreaterThan(40 * 7);
  });

  it('raises #AC at a misaligned read in compiled code at CPL 3 with CR0.AM and EFLAGS.AC', async () => {
    // NOP; mov ecx, 20; L: mov eax, [ebx+esi]; add ebx, 4; dec ecx; jnz L; mov esi, 1; mov ecx, 5; jmp L; hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(20), 0x8b, 0x04, 0x33, 0x83, 0xc3, 0x04, 0x49, 0x75, 0x100 - 9, 0xbe, ...u32(1), 0xb9, ...u32(5),
      0xeb, 0x100 - 21, 0xf4,
    ];
    const { jit } = await both((c) => {
      c.setupFlat32({ cpl: 3 });
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('ebx', 0x2000);
      c.setReg('esi', 0);
      c.setState(L.OFF_CR0, c.getState(L.OFF_CR0) | L.CR0_AM);
      c.setReg('eflags', c.getReg('eflags') | L.FLAG_AC);
    });
    expect(jit.reason).toBe('exception');
    expect(jit.vector).toBe(17);
    expect(jit.regs.eip).toBe(CODE + 6);
    expect(jit.regs.ebx).toBe(0x2000 + 20 * 4);
    expect(jit.jitInstructions).toBeGreaterThan(20 * 4);
  });

  // The FF group (INC/DEC/CALL/JMP/PUSH r/m32) compiled: an indirect CALL or JMP whose target
  // is a block of the region branches there (compared at run time); any other target leaves.
  it('runs CALL through a table, PUSH r/m32 and INC r/m32 in one region with direct calls to the same functions', async () => {
    // NOP; mov ecx, 40; L: mov eax, ecx; and eax, 1; call [TABLE + eax*4]; call F0; call F1; dec ecx (FF C9); jnz L; hlt
    // F0: push dword [esp]; pop edx; add ebx, 1; ret
    // F1: inc dword [COUNT]; add ebx, 3; ret
    const table = 0x3000;
    const count = 0x3100;
    const f0 = CODE + 0x21;
    const f1 = CODE + 0x2a;
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(40), 0x89, 0xc8, 0x83, 0xe0, 0x01, 0xff, 0x14, 0x85, ...u32(table), 0xe8, ...u32(f0 - (CODE + 0x17)),
      0xe8, ...u32(f1 - (CODE + 0x1c)), 0xff, 0xc9, 0x75, 0x100 - 0x1a, 0xf4,
      0xff, 0x34, 0x24, 0x5a, 0x83, 0xc3, 0x01, 0xc3, 0x90,
      0xff, 0x05, ...u32(count), 0x83, 0xc3, 0x03, 0xc3,
    ];
    const { jit } = await both(
      (c) => {
        c.writePhys(CODE, Uint8Array.from(code));
        c.writePhys(table, Uint8Array.from([...u32(f0), ...u32(f1)]));
        c.writePhys(count, Uint8Array.from(u32(0)));
        c.setReg('eip', CODE);
        c.setReg('ebx', 0);
      },
      100_000,
      3,
    );
    // Each pass: F1 and F0 directly, and F1 (odd ECX) or F0 (even) through the table.
    expect(jit.regs.ebx).toBe(40 * 4 + 20 * 3 + 20 * 1);
    expect(jit.regs.edx).toBe(CODE + 0x17);
    expect(jit.regs.esp).toBe(STACK);
    expect(jit.regs.ecx).toBe(0);
    // Both functions and every return site are blocks of the loop's region: the table's
    // calls branch into it and need no trip through the dispatcher.
    expect(jit.blockRuns).toBeLessThan(10);
  });

  it('branches to a region block at JMP r32 and JMP m32 without leaving the region', async () => {
    // NOP; mov ecx, 40; mov edx, L; L: add ebx, ecx; dec ecx; jz E; jmp edx;
    // E: mov esi, M; mov [SLOT], esi; mov ecx, 30; M: dec ecx; jz X; jmp [SLOT]; X: hlt
    const slot = 0x3200;
    const l = CODE + 0x0b;
    const m = CODE + 0x22;
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(40), 0xba, ...u32(l), 0x01, 0xcb, 0x49, 0x74, 0x02, 0xff, 0xe2,
      0xbe, ...u32(m), 0x89, 0x35, ...u32(slot), 0xb9, ...u32(30), 0x49, 0x74, 0x06, 0xff, 0x25, ...u32(slot), 0xf4,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('ebx', 0);
    });
    expect(jit.regs.ebx).toBe((40 * 41) / 2);
    expect(jit.regs.eip).toBe(CODE + 0x2c);
    expect(jit.blockRuns).toBeLessThan(10);
  });

  it('raises #GP on the memory operand of PUSH r/m32 and CALL m32 with ESP as before it', async () => {
    // NOP; mov ecx, 32; L: push dword [ebx+edi]; pop eax; inc edx; dec ecx; jnz L; mov ds, si; mov ecx, 50; jmp L; hlt
    // prettier-ignore
    const push = [
      0x90, 0xb9, ...u32(32), 0xff, 0x34, 0x3b, 0x58, 0x42, 0x49, 0x75, 0x100 - 8, 0x8e, 0xde, 0xb9, ...u32(50), 0xeb, 0x100 - 0x11, 0xf4,
    ];
    // NOP; mov ecx, 32; L: call [ebx+edi]; inc edx; dec ecx; jnz L; mov ds, si; mov ecx, 50; jmp L; hlt; F: ret
    // prettier-ignore
    const call = [
      0x90, 0xb9, ...u32(32), 0xff, 0x14, 0x3b, 0x42, 0x49, 0x75, 0x100 - 7, 0x8e, 0xde, 0xb9, ...u32(50), 0xeb, 0x100 - 0x10, 0xf4, 0xc3,
    ];
    for (const code of [push, call]) {
      const { jit } = await both((c) => {
        smallDsLoop(c, code);
        c.writePhys(0x3000, Uint8Array.from(u32(CODE + 0x17)));
      });
      // The flat loop read [0x3000]; with the DS limit 0x2fff the same read raises #GP(0)
      // at the instruction, before its push.
      expect(jit.reason).toBe('exception');
      expect(jit.vector).toBe(13);
      expect(jit.regs.eip).toBe(CODE + 6);
      expect(jit.regs.esp).toBe(STACK);
      expect(jit.regs.edx).toBe(32);
      expect(jit.regs.ecx).toBe(50);
      expect(jit.jitInstructions).toBeGreaterThan(32 * 3);
    }
  });

  it('raises #GP at a CALL r32 beyond the CS limit and #SS at one whose push faults, ESP unchanged', async () => {
    // NOP; mov eax, 0x5000; call eax — CS limit 0x1fff: #GP(0) at the CALL, nothing pushed.
    const code = [0x90, 0xb8, ...u32(0x5000), 0xff, 0xd0, 0xf4];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      byteLimit(c, 1, 0x1fff);
    });
    expect(jit.vector).toBe(13);
    expect(jit.regs.eip).toBe(CODE + 6);
    expect(jit.regs.esp).toBe(STACK);
    // NOP; mov eax, 0x1000; call eax with the SS limit below ESP - 4: #SS(0), ESP and EIP at the CALL.
    const r = await both((c) => {
      c.writePhys(CODE, Uint8Array.from([0x90, 0xb8, ...u32(CODE), 0xff, 0xd0, 0xf4]));
      c.setReg('eip', CODE);
      byteLimit(c, 2, 0xfff);
      c.setReg('esp', 0x2000);
    });
    expect(r.jit.vector).toBe(12);
    expect(r.jit.regs.eip).toBe(CODE + 6);
    expect(r.jit.regs.esp).toBe(0x2000);
  });

  // The lazy flags live in Wasm locals while compiled code runs (jit/translate.ts
  // "the lazy flags in locals"): the interpreter must see the compiled code's
  // flags, and compiled code the interpreter's, and a fault must leave those
  // from before the faulting instruction (SDM Vol. 3A §6.5).
  it('hands the flags between compiled code and interpreted instructions that read and write them', async () => {
    // NOP; mov ecx, 6; L: cmp eax, ebx; rcl edx, 1 (interpreted: reads the CMP's CF); adc esi, 0 (compiled:
    // the RCL's CF); inc eax; cmc (interpreted); jb S; inc edi; S: dec ecx; pushf (the interpreter ends the
    // block); pop ebp; jnz L (a block starting with the flags unknown at compile time); hlt
    // prettier-ignore
    const code = [
      0x90, 0xb9, ...u32(6), 0x39, 0xd8, 0xd1, 0xd2, 0x83, 0xd6, 0x00, 0x40, 0xf5, 0x72, 0x01, 0x47, 0x49, 0x9c, 0x5d,
      0x75, 0x100 - 17, 0xf4,
    ];
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', CODE);
      c.setReg('eax', 0);
      c.setReg('ebx', 3);
      c.setReg('edx', 0x80000001);
    });
    expect(jit.regs.ecx).toBe(0);
    expect(jit.regs.eax).toBe(6);
    // PUSHF's image of the last pass's DEC ECX: ZF set, bit 1 always set.
    expect(jit.regs.ebp & 0x42).toBe(0x42);
    expect(jit.jitInstructions).toBeGreaterThan(6 * 4);
  });

  it('leaves at an indirect JMP or CALL with the flags an interpreted instruction set just before', async () => {
    // NOP; cmp eax, eax (compiled: CF = 0 in the flag locals); stc (interpreted: CF = 1 in memory);
    // jmp ecx / call ecx to a HLT outside the region: the exit must not store the stale locals.
    for (const jump of [0xe1, 0xd1]) {
      const { jit } = await both((c) => {
        c.writePhys(CODE, Uint8Array.from([0x90, 0x39, 0xc0, 0xf9, 0xff, jump]));
        c.writePhys(CODE + 0x100, Uint8Array.from([0xf4]));
        c.setReg('eip', CODE);
        c.setReg('ecx', CODE + 0x100);
      });
      expect(jit.regs.eflags & 1).toBe(1);
    }
  });

  it('keeps the flags from before a write that faults with #PF right after a flag producer', async () => {
    // Page 0x6000 not present; ECX points into it. Each program: NOP; mov ecx, 0x6010; then the tail; hlt.
    // [tail, offset of its faulting instruction]
    const tails: Record<string, [number[], number]> = {
      'sub then mov store': [[0x29, 0xd8, 0x89, 0x01], 2], // sub eax, ebx; mov [ecx], eax
      'sub then add to memory': [[0x29, 0xd8, 0x01, 0x01], 2], // sub eax, ebx; add [ecx], eax
      'cmp then 8-bit adc to memory': [[0x38, 0xd8, 0x80, 0x11, 0x01], 2], // cmp al, bl; adc byte [ecx], 1
      'sub then shl memory': [[0x29, 0xd8, 0xd1, 0x21], 2], // sub eax, ebx; shl dword [ecx], 1
      'inc, cmc (interpreted), store': [[0x40, 0xf5, 0x89, 0x01], 2], // inc eax; cmc; mov [ecx], eax
      'cmc (interpreted), sub, store': [[0xf5, 0x29, 0xd8, 0x89, 0x01], 3], // cmc; sub eax, ebx; mov [ecx], eax
    };
    const tailStart = CODE + 6;
    for (const [name, [tail, at]] of Object.entries(tails)) {
      const code = [0x90, 0xb9, ...u32(0x6010), ...tail, 0xf4];
      const { jit } = await both((c) => {
        c.writePhys(CODE, Uint8Array.from(code));
        pagingWithHole(c, 0x6000);
        c.setReg('eip', CODE);
        c.setReg('eax', 1);
        c.setReg('ebx', 2);
      });
      // EFLAGS (compared with the interpreter's in both()) as after the instructions before the fault.
      expect(jit.reason, name).toBe('exception');
      expect(jit.vector, name).toBe(14);
      expect(jit.regs.eip, name).toBe(tailStart + at);
    }
  });
});

/** Identity-map the first 4 MiB at CPL 0, all but the page at `hole` (not present). */
function pagingWithHole(c: Core, hole: number): void {
  const pd = 0x10000;
  const pt = 0x11000;
  const dv = new DataView(new ArrayBuffer(4096));
  for (let i = 0; i < 1024; i++) dv.setUint32(i * 4, i << 12 === hole ? 0 : (i << 12) | 3, true);
  c.writePhys(pt, new Uint8Array(dv.buffer));
  const pdv = new DataView(new ArrayBuffer(4096));
  pdv.setUint32(0, pt | 3, true);
  c.writePhys(pd, new Uint8Array(pdv.buffer));
  c.setState(L.OFF_CR3, pd);
  c.setState(L.OFF_CR0, c.getState(L.OFF_CR0) | 0x80000000);
  c.exports.flushTlb();
}

// Hotness (jit/cache.ts jitEnter, jitCreditEntry; cpu/interp.ts runBatch): the
// interpreter looks blocks up after control transfers and at the first
// instruction of a new page (where a region, one page, leaves), and counts
// a long straight line by its length, so straight-line code gets compiled
// after about as much interpreted work as a short loop does.
describe('JIT hotness of straight-line code', () => {
  const INC_EAX = 0x40;
  const DEC_ECX = 0x49;
  /** dec ecx; jnz rel32 back to `top` (the jnz at `at`); ud2. */
  const loopBack = (at: number, top: number): number[] => [DEC_ECX, 0x0f, 0x85, ...u32(top - (at + 1 + 6)), 0x0f, 0x0b];

  it('compiles a 300-instruction loop body long before the loop head has been entered `threshold` times', async () => {
    const BODY = 300;
    const PASSES = 100;
    const { jit } = await both(
      (c) => {
        c.writePhys(CODE, Uint8Array.from([...new Array<number>(BODY).fill(INC_EAX), ...loopBack(CODE + BODY, CODE)]));
        c.setReg('eip', CODE);
        c.setReg('ecx', PASSES);
        c.setReg('eax', 0);
      },
      100_000,
      PASSES,
    );
    expect(jit.regs.eax).toBe(BODY * PASSES);
    // Counted once per pass, the head would compile only at the last pass; counted by length, within the first 20.
    expect(jit.jitInstructions).toBeGreaterThan(0.8 * jit.instructions);
  });

  it('counts entries at the first instruction of the next page, where the region of the first page leaves', async () => {
    // 24 instructions on each side of the page boundary at 0x2000: too few for a straight-line count.
    const TOP = 0x2000 - 24;
    const BEFORE = 0x2000 - TOP;
    const AFTER = 24;
    const THRESHOLD = 100;
    const PASSES = 2 * THRESHOLD;
    const { jit } = await both(
      (c) => {
        const body = new Array<number>(BEFORE + AFTER).fill(INC_EAX);
        c.writePhys(TOP, Uint8Array.from([...body, ...loopBack(TOP + body.length, TOP)]));
        c.setReg('eip', TOP);
        c.setReg('ecx', PASSES);
        c.setReg('eax', 0);
      },
      100_000,
      THRESHOLD,
    );
    expect(jit.regs.eax).toBe((BEFORE + AFTER) * PASSES);
    // Both pages compile after `THRESHOLD` passes (about half compiled); counted only once the first
    // page's region leaves there, the second page would compile only at the last pass (about a quarter).
    expect(jit.jitInstructions).toBeGreaterThan(0.4 * jit.instructions);
  });

  it('compiles a loop of 100 blocks into one module', async () => {
    // B0: dec ecx; jnz TOP; ud2. B1..B100: inc eax; jmp to the block before (lower address); TOP is B100.
    // Every jump but the loop's own goes backward, so each block joins the region when it is found.
    const BLOCKS = 100;
    const PASSES = 50;
    const JMP_SHORT = 0xeb;
    const head = loopBack(CODE, 0); // its jnz is patched below
    const blockAt = (k: number): number => CODE + head.length + (k - 1) * 3;
    const top = blockAt(BLOCKS);
    const code = [...loopBack(CODE, top)];
    for (let k = 1; k <= BLOCKS; k++) {
      const back = k === 1 ? CODE : blockAt(k - 1);
      code.push(INC_EAX, JMP_SHORT, (back - (blockAt(k) + 3)) & 0xff);
    }
    const { jit } = await both((c) => {
      c.writePhys(CODE, Uint8Array.from(code));
      c.setReg('eip', top);
      c.setReg('ecx', PASSES);
      c.setReg('eax', 0);
    });
    expect(jit.regs.eax).toBe(BLOCKS * PASSES);
    expect(jit.compiles).toBe(1);
    expect(jit.blocks).toBeGreaterThan(BLOCKS);
    expect(jit.jitInstructions).toBeGreaterThan(0.9 * jit.instructions);
  });
});
