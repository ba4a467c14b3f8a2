// Adapter: runs test cases on tabvm through host/core.ts (createCore) and
// reports them in the same terms as the native harness.
//
// Each case: snippet at CODE_ADDR followed by UD2 (0F 0B); the run stops at
// the first exception, and #UD with EIP at the UD2 means "completed".  The
// core runs at CPL 3 in flat 32-bit protected mode, as Linux user code does.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CASE_FLAGS,
  CODE_ADDR,
  DATA_ADDR,
  DATA_SIZE,
  FLAG_IF,
  VEC_UD,
  initialData,
  type CpuOutcome,
  type Target,
  type TestCase,
} from './cases';
import type { Disassembler } from './compare';
import { FX_FSW, FX_FTW, FX_SLOT, FX_ST, abridgedTags, fullTagWord } from './fpu-image';
import { CR0_MP, CR0_NE, CR4_OSFXSR, CR4_OSXMMEXCPT, OFF_CR0, OFF_CR4, OFF_FPU, OFF_FPU_FTW } from '../../../host/generated/cpu-layout.js';

// Imported by relative specifier (not file URL) so vitest resolves the
// modules' own relative imports.
const CORE_MODULE = '../../../host/core.js';
const DISASM_MODULE = '../../../host/disasm.js';
const CORE_PATH = fileURLToPath(new URL('../../../host/core.ts', import.meta.url));
const DISASM_PATH = fileURLToPath(new URL('../../../host/disasm.ts', import.meta.url));
const MEMORY_MIB = 16;
const UD2 = [0x0f, 0x0b];
const INT3 = 0xcc;
// Enough for 4 instructions with REP counts <= 16; more means a runaway.
const MAX_INSTRUCTIONS = 2000;
const FLAG_BIT1 = 0x2;
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
type RegName = (typeof REG_NAMES)[number] | 'eip' | 'eflags';

/** The subset of host/core.ts's Core this adapter uses. */
export interface CoreLike {
  writePhys(addr: number, bytes: Uint8Array): void;
  readPhys(addr: number, len: number): Uint8Array;
  setupFlat32(opts: { cpl: 0 | 3 }): void;
  getReg(name: RegName): number;
  setReg(name: RegName, value: number): void;
  run(
    maxInstructions: number,
    opts?: { stopOnException?: boolean },
  ): { reason: string; instructions: number; vector?: number; errorCode?: number; cr2?: number };
  reset(): void;
  getState(off: number): number;
  setState(off: number, v: number): void;
  readState(off: number, len: number): Uint8Array;
  writeState(off: number, bytes: Uint8Array): void;
}

const FPU_IMAGE = 512;
const TOP_SHIFT = 11;

/**
 * The core keeps the FXSAVE image at OFF_FPU with the registers in physical
 * order (R0-R7) and the full tag word at OFF_FPU_FTW; the image a test case
 * carries is FXSAVE's (stack order ST0-ST7, abridged tags).
 */
function writeFpu(core: CoreLike, image: Uint8Array): void {
  const state = image.slice();
  const top = (image[FX_FSW + 1] >> (TOP_SHIFT - 8)) & 7;
  for (let st = 0; st < 8; st++) {
    const phys = (top + st) & 7;
    state.set(image.subarray(FX_ST + st * FX_SLOT, FX_ST + (st + 1) * FX_SLOT), FX_ST + phys * FX_SLOT);
  }
  core.writeState(OFF_FPU, state);
  core.writeState(OFF_FPU_FTW, Uint8Array.of(fullTagWord(image) & 0xff, fullTagWord(image) >> 8));
}

function readFpu(core: CoreLike): Uint8Array {
  const state = core.readState(OFF_FPU, FPU_IMAGE);
  const image = state.slice();
  const top = (state[FX_FSW + 1] >> (TOP_SHIFT - 8)) & 7;
  for (let st = 0; st < 8; st++) {
    const phys = (top + st) & 7;
    image.set(state.subarray(FX_ST + phys * FX_SLOT, FX_ST + (phys + 1) * FX_SLOT), FX_ST + st * FX_SLOT);
  }
  const ftw = core.readState(OFF_FPU_FTW, 2);
  image[FX_FTW] = abridgedTags(ftw[0] | (ftw[1] << 8));
  return image;
}

export class TabvmTarget implements Target {
  readonly name = 'tabvm';
  private codeUsed = 0;
  // Set TABVM_DIFF_RESET_EACH=1 to reset the machine before every case
  // (slower; rules out state leaking between cases).
  private readonly resetEach = process.env.TABVM_DIFF_RESET_EACH === '1';

  constructor(private readonly core: CoreLike) {
    core.setupFlat32({ cpl: 3 });
    this.linuxCr0();
  }

  /**
   * CR0 as Linux runs user code: NE (#MF, not IRQ 13) and MP (WAIT honours TS);
   * CR4 with OSFXSR and OSXMMEXCPT (SSE enabled, #XM for unmasked SIMD exceptions).
   */
  private linuxCr0(): void {
    this.core.setState(OFF_CR0, this.core.getState(OFF_CR0) | CR0_NE | CR0_MP);
    this.core.setState(OFF_CR4, this.core.getState(OFF_CR4) | CR4_OSFXSR | CR4_OSXMMEXCPT);
  }

  run(cases: readonly TestCase[]): Promise<CpuOutcome[]> {
    return Promise.resolve(cases.map((tc) => this.runOne(tc)));
  }

  runOne(tc: TestCase): CpuOutcome {
    const core = this.core;
    if (this.resetEach) {
      core.reset();
      core.setupFlat32({ cpl: 3 });
      this.linuxCr0();
    }
    const code = tc.code.code32.bytes;
    // Code, UD2, then int3 over whatever the previous case left behind.
    const image = new Uint8Array(Math.max(this.codeUsed, code.length + UD2.length)).fill(INT3);
    image.set(code);
    image.set(UD2, code.length);
    core.writePhys(CODE_ADDR, image);
    this.codeUsed = code.length + UD2.length;
    core.writePhys(DATA_ADDR, initialData(tc));
    REG_NAMES.forEach((name, i) => core.setReg(name, tc.regs[i] >>> 0));
    core.setReg('eflags', (tc.eflags & CASE_FLAGS) | FLAG_IF | FLAG_BIT1);
    core.setReg('eip', CODE_ADDR);
    if (tc.fpu) writeFpu(core, tc.fpu);
    const r = core.run(MAX_INSTRUCTIONS, { stopOnException: true });
    const eip = core.getReg('eip');
    const base = {
      regs: REG_NAMES.map((name) => core.getReg(name) >>> 0),
      eflags: core.getReg('eflags') >>> 0,
      eipOffset: (eip - CODE_ADDR) | 0,
      data: core.readPhys(DATA_ADDR, DATA_SIZE).slice(),
      ...(tc.fpu ? { fpu: readFpu(core) } : {}),
    };
    if (r.reason === 'exception' && r.vector === VEC_UD && eip === CODE_ADDR + code.length) {
      return { kind: 'ok', ...base };
    }
    if (r.reason === 'exception') {
      return { kind: 'fault', vector: r.vector, errorCode: r.errorCode, cr2: r.cr2, ...base };
    }
    return { kind: 'fault', vector: -1, ...base, note: `run ended: ${r.reason} after ${r.instructions} instructions` };
  }
}

/** tabvm target, or the reason it is not available yet. */
export async function createTabvmTarget(): Promise<TabvmTarget | string> {
  if (!existsSync(CORE_PATH)) return 'host/core.ts does not exist yet';
  try {
    const mod = (await import(/* @vite-ignore */ CORE_MODULE)) as {
      createCore?: (opts: { memoryMiB: number }) => Promise<CoreLike>;
    };
    if (typeof mod.createCore !== 'function') return 'host/core.ts has no createCore export';
    return new TabvmTarget(await mod.createCore({ memoryMiB: MEMORY_MIB }));
  } catch (e) {
    return `cannot start tabvm core: ${(e as Error).message}`;
  }
}

/** host/disasm.ts's disassembler in 32-bit mode, when it exists. */
export async function loadDisassembler(): Promise<Disassembler | undefined> {
  if (!existsSync(DISASM_PATH)) return undefined;
  try {
    const mod = (await import(/* @vite-ignore */ DISASM_MODULE)) as {
      disassemble?: (bytes: Uint8Array, offset: number, opts: { bits: 16 | 32 }) => { text: string; length: number };
    };
    const fn = mod.disassemble;
    return fn ? (bytes, offset) => fn(bytes, offset, { bits: 32 }) : undefined;
  } catch {
    return undefined;
  }
}
