// Golden tests: the Wasm the JIT generates for a dozen snippets, disassembled
// with wabt and compared with the checked-in text in test/jit/golden/, so a
// change in code generation shows in review. UPDATE_GOLDEN=1 rewrites them.

import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));
const CODE = 0x1000;
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

// Each snippet starts with a NOP and ends in HLT (which the interpreter runs).
const SNIPPETS: Record<string, number[]> = {
  'alu-reg': [0x01, 0xd8, 0x29, 0xca, 0x31, 0xf6, 0x09, 0xc7, 0x21, 0xe9, 0x39, 0xd0],
  'alu-imm': [0x05, ...u32(0x1234), 0x83, 0xe9, 0x05, 0x81, 0xe3, ...u32(0xff00ff), 0x83, 0xfa, 0x10],
  'mov-load-store': [0x8b, 0x03, 0x89, 0x4b, 0x04, 0x8b, 0x44, 0x8e, 0x10, 0xc7, 0x05, ...u32(0x3000), ...u32(7)],
  'mov-byte': [0x8a, 0x03, 0x88, 0xe1, 0x88, 0x43, 0x01],
  'rmw-memory': [0x01, 0x03, 0x83, 0x2b, 0x01, 0x31, 0x4b, 0x04],
  'lea-addressing': [0x8d, 0x04, 0x8b, 0x8d, 0x5c, 0x24, 0x08, 0x8d, 0x8c, 0x8a, ...u32(0x100), 0x8d, 0x15, ...u32(0x2000)],
  'push-pop': [0x50, 0x53, 0x6a, 0x05, 0x68, ...u32(0x1234), 0x59, 0x5a, 0x5b, 0x58],
  'inc-dec': [0x40, 0x4b, 0x41, 0x4f],
  'counting-loop': [0xb9, ...u32(10), 0x01, 0xc8, 0x49, 0x75, 0x100 - 5],
  // A loop of two blocks (L and S, both loop-back targets) in one region:
  // mov ecx, 4; jmp L; S: dec ecx; jz E; L: mov eax, ecx; and eax, 1; jz S; inc ebx; jmp S; E:
  'two-block-loop': [0xb9, ...u32(4), 0xeb, 3, 0x49, 0x74, 10, 0x89, 0xc8, 0x83, 0xe0, 0x01, 0x74, 0x100 - 10, 0x43, 0xeb, 0x100 - 13],
  // The same compiled with a function per block (CLUSTER_BYTES): a dispatcher and one function per block.
  // prettier-ignore
  'two-block-loop-split': [
    0xb9, ...u32(4), 0xeb, 3, 0x49, 0x74, 10, 0x89, 0xc8, 0x83, 0xe0, 0x01, 0x74, 0x100 - 10, 0x43, 0xeb, 0x100 - 13,
  ],
  // A loop nest too large for one function (CLUSTER_BYTES): the inner loop (I, J) stays in one,
  // though the outer loop's large tail T comes between its blocks in region order.
  // mov ecx, 3; jmp O; T: 12 × add esi, 0x12345678; dec ecx; jz D; O: mov edx, 6;
  // I: inc eax; J: inc ebx; dec edx; test edx, 1; jnz J; cmp edx, 0; je T; jmp I; D:
  // prettier-ignore
  'loop-nest-split': [
    0xb9, ...u32(3), 0xeb, 0x4b, ...new Array<number[]>(12).fill([0x81, 0xc6, ...u32(0x12345678)]).flat(), 0x49, 0x74, 0x17,
    0xba, ...u32(6), 0x40, 0x43, 0x4a, 0xf7, 0xc2, ...u32(1), 0x75, 0xf6, 0x83, 0xfa, 0x00, 0x74, 0xa0, 0xeb, 0xee,
  ],
  // MOV moffs: mov eax, [0x2000]; mov [0x2004], eax; mov al, [0x2008]; mov [0x2009], al;
  // mov eax, fs:[0x10] (FS based at 0x2000: the base is added, as for ds-based-not-flat)
  // prettier-ignore
  'mov-moffs': [
    0xa1, ...u32(0x2000), 0xa3, ...u32(0x2004), 0xa0, ...u32(0x2008), 0xa2, ...u32(0x2009), 0x64, 0xa1, ...u32(0x10),
  ],
  'movzx-movsx': [0x0f, 0xb6, 0xc3, 0x0f, 0xbf, 0xd1, 0x0f, 0xb6, 0x03, 0x0f, 0xbe, 0x4b, 0x01],
  'cmov-setcc-test': [0x85, 0xc0, 0x0f, 0x44, 0xd9, 0x0f, 0x94, 0xc2, 0xa9, ...u32(1), 0x0f, 0x45, 0x03],
  'segment-prefix-and-fallback': [0x64, 0x8b, 0x03, 0x26, 0x89, 0x0b, 0x0f, 0xa2],
  // MurmurHash3's finaliser step and friends: shr/shl/sar/rol/ror by imm, 1 and CL, an 8-bit
  // shift, IMUL r,r/m,imm32 and IMUL r,r/m, then jb/jo on their flags:
  // mov edx,eax; shr edx,16; xor eax,edx; imul eax,eax,0x85ebca6b; shl ecx,1; sar ebx,cl;
  // rol esi,7; ror byte [ebx],3; shr dl,cl; imul edx,ecx; jb +0; jo +0
  // prettier-ignore
  'shift-imul': [
    0x89, 0xc2, 0xc1, 0xea, 0x10, 0x31, 0xd0, 0x69, 0xc0, ...u32(0x85ebca6b), 0xd1, 0xe1, 0xd3, 0xfb, 0xc1, 0xc6, 0x07,
    0xc0, 0x0b, 0x03, 0xd2, 0xea, 0x0f, 0xaf, 0xd1, 0x72, 0x00, 0x70, 0x00,
  ],
  // cmp al, 0x41; jb +0; xor dl, [ebx]; test cl, ch; add byte [ebx+1], 5; mov bh, 7;
  // mov [ebx+2], cx; mov si, [ebx]; jle +0 (8-bit ALU with its flags, 16-bit MOVs)
  // prettier-ignore
  'alu8-mov16': [
    0x3c, 0x41, 0x72, 0x00, 0x32, 0x13, 0x84, 0xe9, 0x80, 0x43, 0x01, 0x05, 0xb7, 0x07, 0x66, 0x89, 0x4b, 0x02,
    0x66, 0x8b, 0x33, 0x7e, 0x00,
  ],
  // add eax, ebx; adc edx, ecx; sub esi, 5; sbb edi, 0; adc byte [ebx], 1; jc +0 (carry chains)
  'adc-sbb': [0x01, 0xd8, 0x11, 0xca, 0x83, 0xee, 0x05, 0x83, 0xdf, 0x00, 0x80, 0x13, 0x01, 0x72, 0x00],
  // mov ecx, eax; imul ecx; mul ecx (both run by the interpreter inside the block); add ebx, eax
  'interpreted-inline': [0x89, 0xc1, 0xf7, 0xe9, 0xf7, 0xe1, 0x01, 0xc3],
  // Group 3 (F7): test dword [ebx], 0x80; not eax; neg ecx; neg dword [ebx+4]; not dword [ebx]; jb +0
  // (NEG's borrow: CF set unless the operand was 0)
  // prettier-ignore
  'group3': [
    0xf7, 0x03, ...u32(0x80), 0xf7, 0xd0, 0xf7, 0xd9, 0xf7, 0x5b, 0x04, 0xf7, 0x13, 0x72, 0x00,
  ],
  // The LZMA range coder's 16-bit probability update: mov ax, [ebx]; mov ecx, eax; shr cx, 5;
  // sub ax, cx; mov [ebx], ax; add word [ebx+2], 7; inc cx; cmp ax, 0x1234; jb +0
  // prettier-ignore
  'alu16-shift16': [
    0x66, 0x8b, 0x03, 0x89, 0xc1, 0x66, 0xc1, 0xe9, 0x05, 0x66, 0x29, 0xc8, 0x66, 0x89, 0x03, 0x66, 0x83, 0x43, 0x02,
    0x07, 0x66, 0x41, 0x66, 0x3d, 0x34, 0x12, 0x72, 0x00,
  ],
  // A RET back into its caller's region: mov ecx, 3; L: call F; dec ecx; jnz L; jmp E; F: inc eax; ret; E:
  'call-ret-site': [0xb9, ...u32(3), 0xe8, ...u32(5), 0x49, 0x75, 0xf8, 0xeb, 0x02, 0x40, 0xc3],
  // mov eax, [ebx]; mov [ebx+4], ecx; push eax with DS based at 0x100: the region is not flat
  // (cache.ts MODE_FLAT), so every access, the SS push too, keeps the segment checks and the base
  'ds-based-not-flat': [0x8b, 0x03, 0x89, 0x4b, 0x04, 0x50],
  // The FF group: push dword [ebx+4]; inc dword [ebx]; dec ecx (FF C9); mov eax, F; call eax;
  // F: mov ecx, G; jmp ecx; G: (the HLT)
  // prettier-ignore
  'group-ff': [
    0xff, 0x73, 0x04, 0xff, 0x03, 0xff, 0xc9, 0xb8, ...u32(CODE + 0x0f), 0xff, 0xd0, 0xb9, ...u32(CODE + 0x16), 0xff, 0xe1,
  ],
};

/** Set-up after setupFlat32 for the snippets that need more. */
const SETUP: Record<string, (core: Core) => void> = {
  'mov-moffs': (core) => {
    const dataRw = L.ATTR_S | L.ATTR_RW | L.ATTR_P | L.ATTR_DB | L.ATTR_G;
    core.exports.setSegmentCache(L.SEG_FS, 0x18, 0x2000, 0xffffffff, dataRw);
  },
  'ds-based-not-flat': (core) => {
    const dataRw = L.ATTR_S | L.ATTR_RW | L.ATTR_P | L.ATTR_DB | L.ATTR_G;
    core.exports.setSegmentCache(L.SEG_DS, 0x10, 0x100, 0xffffffff, dataRw);
  },
};

/** The JIT's function size for the snippets that split their region (translate.ts clusters). */
const CLUSTER_BYTES: Record<string, number> = { 'two-block-loop-split': 1, 'loop-nest-split': 200 };

describe('JIT golden code', () => {
  for (const [name, body] of Object.entries(SNIPPETS)) {
    it(`generates the checked-in Wasm for ${name}`, async () => {
      const wabt = await wabtInit();
      const core = await createCore({ memoryMiB: 4, engine: 'jit', jitThreshold: 1, jitClusterBytes: CLUSTER_BYTES[name] });
      core.setupFlat32({ cpl: 0 });
      SETUP[name]?.(core);
      core.jit.capture = [];
      core.writePhys(CODE, Uint8Array.from([0x90, ...body, 0xf4]));
      core.setReg('eip', CODE);
      core.setReg('ebx', 0x2000);
      core.setReg('esi', 0x200);
      core.setReg('esp', 0x8000);
      core.run(200, { stopOnException: true });
      expect(core.jit.capture.length).toBeGreaterThan(0);
      const text = core.jit.capture
        .map((bytes) => {
          const m = wabt.readWasm(bytes, { readDebugNames: false, threads: true, sign_extension: true });
          const t = m.toText({ foldExprs: false, inlineExport: false });
          m.destroy();
          return t;
        })
        .join('\n');
      const file = `${GOLDEN}${name}.wat`;
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});
