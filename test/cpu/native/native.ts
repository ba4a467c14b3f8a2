// Drives test/cpu/native/harness.c (protocol documented there) for the
// random differential test; build.ts builds it and picks how it runs.

import {
  CODE_ADDR,
  DATA_SIZE,
  VEC_AC,
  VEC_BP,
  VEC_BR,
  VEC_DE,
  VEC_GP,
  VEC_MF,
  VEC_OF,
  VEC_PF,
  VEC_UD,
  VEC_XM,
  FPU_IMAGE_BYTES,
  initialData,
  type CpuOutcome,
  type Target,
  type TestCase,
} from '../differential/cases';
import { mapOffset, modrmIsMem, PFX_LOCK, type Insn, type Layout } from '../differential/x86';
import { buildHarness32, buildHarness64, runHarness, type BuiltHarness } from './build';

export { HARNESS_SOURCE, type BuiltHarness } from './build';

const SIGILL = 4;
const SIGTRAP = 5;
const SIGBUS = 7;
const SIGFPE = 8;
const SIGSEGV = 11;
const SIGALRM = 14;
const SEGV_MAPERR = 1;
const SEGV_ACCERR = 2;
const SI_KERNEL = 0x80;
const TRAPNO_UNKNOWN = 0xffffffff; // qemu-user reports -1
const HEADER_BYTES = 44;
const RESULT_BYTES = 64;
const IN_FPU = 1; // in_flags / out_flags bit: an FXSAVE image follows
const FPE_INTDIV = 1;
const FPE_INTOVF = 2;
const X87_OPCODES = [0x9b, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf];

/**
 * The primary harness: 32-bit when the host CPU runs 32-bit code, else 64-bit
 * (snippets then run as their 64-bit-mode translation).  Never QEMU: see
 * buildHarness32 for the reference of 32-bit-only cases.  Env
 * TABVM_DIFF_NATIVE_BITS=32|64 forces one.  Returns the reasons on failure.
 */
export function buildHarness(): BuiltHarness | string {
  const forced = process.env.TABVM_DIFF_NATIVE_BITS;
  const order: (32 | 64)[] = forced === '64' ? [64] : forced === '32' ? [32] : [32, 64];
  const reasons: string[] = [];
  for (const bits of order) {
    const r = bits === 32 ? buildHarness32({ allowQemu: false }) : buildHarness64();
    if (typeof r !== 'string') return r;
    reasons.push(r);
  }
  return reasons.join('\n');
}

function codeFor(tc: TestCase, bits: 32 | 64): Layout | undefined {
  return bits === 32 ? tc.code.code32 : tc.code.code64;
}

/** True when the harness can run this case (64-bit mode needs a translation). */
export function nativeCanRun(tc: TestCase, bits: 32 | 64): boolean {
  return codeFor(tc, bits) !== undefined;
}

export function serializeCases(cases: readonly TestCase[], bits: 32 | 64): Buffer {
  const chunks: Buffer[] = [];
  for (const tc of cases) {
    const code = codeFor(tc, bits);
    if (!code) throw new Error('case has no encoding for this harness');
    let patchBytes = 0;
    for (const p of tc.patches) patchBytes += 3 + p.bytes.length;
    const fpuBytes = tc.fpu ? FPU_IMAGE_BYTES : 0;
    if (tc.fpu && tc.fpu.length !== FPU_IMAGE_BYTES) throw new Error('FPU image must be 512 bytes');
    const buf = Buffer.alloc(HEADER_BYTES + code.bytes.length + fpuBytes + patchBytes);
    tc.regs.forEach((r, i) => buf.writeUInt32LE(r >>> 0, i * 4));
    buf.writeUInt32LE(tc.eflags >>> 0, 32);
    buf.writeUInt32LE(tc.dataSeed >>> 0, 36);
    buf.writeUInt8(code.bytes.length, 40);
    buf.writeUInt8(tc.patches.length, 41);
    buf.writeUInt16LE(tc.fpu ? IN_FPU : 0, 42);
    buf.set(code.bytes, HEADER_BYTES);
    let p = HEADER_BYTES + code.bytes.length;
    if (tc.fpu) {
      buf.set(tc.fpu, p);
      p += FPU_IMAGE_BYTES;
    }
    for (const patch of tc.patches) {
      buf.writeUInt16LE(patch.offset, p);
      buf.writeUInt8(patch.bytes.length, p + 2);
      buf.set(patch.bytes, p + 3);
      p += 3 + patch.bytes.length;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

interface RawResult {
  signo: number;
  regs: number[];
  eflags: number;
  eip: number;
  siCode: number;
  siAddr: number;
  trapno: number;
  err: number;
  data: Uint8Array;
  fpu?: Uint8Array;
}

function parseResult(out: Buffer, start: number, tc: TestCase): RawResult {
  let p = start;
  const u32 = (i: number): number => out.readUInt32LE(p + i * 4);
  const regs = Array.from({ length: 8 }, (_, i) => u32(1 + i));
  const r = {
    signo: u32(0),
    regs,
    eflags: u32(9),
    eip: u32(10),
    siCode: u32(11),
    siAddr: u32(12),
    trapno: u32(13),
    err: u32(14),
  };
  const nRuns = out.readUInt16LE(p + 60);
  const outFlags = out.readUInt16LE(p + 62);
  p += RESULT_BYTES;
  const data = initialData(tc);
  for (let i = 0; i < nRuns; i++) {
    const off = out.readUInt16LE(p);
    const len = out.readUInt16LE(p + 2);
    if (off + len > DATA_SIZE) throw new Error('harness change run outside DATA');
    data.set(out.subarray(p + 4, p + 4 + len), off);
    p += 4 + len;
  }
  const fpu = outFlags & IN_FPU ? Uint8Array.from(out.subarray(p, p + FPU_IMAGE_BYTES)) : undefined;
  return { ...r, data, fpu };
}

/** Native signal -> x86 exception vector (see user-mode.test.ts header). */
export function signalToVector(raw: { signo: number; siCode: number; trapno: number }, faultByte?: number): number {
  const known = raw.trapno !== TRAPNO_UNKNOWN && raw.trapno < 32;
  switch (raw.signo) {
    case SIGFPE:
      // #DE, #MF (x87, reported at the next waiting FP instruction) and #XM
      // (SSE) all arrive as SIGFPE; without a trapno (QEMU) the si_code and
      // the faulting opcode tell them apart.
      if (known) return raw.trapno;
      if (raw.siCode === FPE_INTDIV || raw.siCode === FPE_INTOVF) return VEC_DE;
      return faultByte !== undefined && X87_OPCODES.includes(faultByte) ? VEC_MF : VEC_XM;
    case SIGILL:
      return VEC_UD;
    case SIGTRAP:
      return known ? raw.trapno : VEC_BP;
    case SIGBUS:
      return VEC_AC;
    case SIGSEGV:
      if (raw.siCode === SEGV_MAPERR || raw.siCode === SEGV_ACCERR) return VEC_PF;
      if (known && raw.siCode === SI_KERNEL) return raw.trapno;
      // Linux sends #GP, #BR (BOUND) and #OF (INTO) all as SIGSEGV/SI_KERNEL.
      if (faultByte === 0x62) return VEC_BR;
      if (faultByte === 0xce) return VEC_OF;
      return VEC_GP;
    default:
      return -1;
  }
}

function firstOpcodeByte(code: Uint8Array, off: number): number | undefined {
  let p = off;
  while (p < code.length && [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(code[p])) p++;
  return p < code.length ? code[p] : undefined;
}

export function toOutcome(tc: TestCase, raw: RawResult, bits: 32 | 64): CpuOutcome {
  const native = codeFor(tc, bits) as Layout;
  const eipOffset = bits === 32 ? raw.eip : mapOffset(native, tc.code.code32, raw.eip);
  const base = { regs: raw.regs, eflags: raw.eflags, eipOffset, data: raw.data, ...(raw.fpu ? { fpu: raw.fpu } : {}) };
  if (raw.signo === 0) return { kind: 'ok', ...base };
  if (raw.signo === SIGALRM) return { kind: 'fault', vector: -1, ...base, note: 'runaway snippet (watchdog)' };
  const vector = signalToVector(raw, firstOpcodeByte(tc.code.code32.bytes, eipOffset));
  const out: CpuOutcome = {
    kind: 'fault',
    vector,
    ...base,
    note: `signal ${raw.signo} si_code ${raw.siCode} si_addr 0x${raw.siAddr.toString(16)} trapno ${raw.trapno | 0} err 0x${raw.err.toString(16)}`,
  };
  if (vector === VEC_PF) {
    out.cr2 = raw.siAddr;
    out.errorCode = raw.err;
    // A fetch fault reports the target; keep EIP in 32-bit terms.
    if (raw.siAddr >= CODE_ADDR && raw.siAddr < CODE_ADDR + 0x1000 && bits === 64) out.cr2 = CODE_ADDR + eipOffset;
  } else if (vector === VEC_GP) {
    out.errorCode = raw.err;
  }
  return out;
}

/** LOCK on an instruction that does not allow it: #UD on real CPUs (SDM Vol. 2 LOCK). */
function illegalLock(insn: Insn): boolean {
  return insn.prefixes.includes(PFX_LOCK) && !(insn.row.lock && modrmIsMem(insn));
}

const TEST_GROUP3 = [0xf6, 0xf7];
const TEST_ALIAS_REG = 1;
const OP_GROUP9 = 0x0fc7;
const CMPXCHG8B_REG = 1;

/**
 * Where QEMU 7.2's TCG (linux-user, i386) differs from real CPUs, so it
 * cannot be the reference:
 * - an illegal LOCK is ignored on many opcodes (DAA, PUSH, ENTER, ...)
 *   instead of raising #UD, and LOCK BT with a register operand aborts
 *   QEMU ("tcg fatal error");
 * - F6 /1 and F7 /1, the undocumented alias of TEST (F6 /0, F7 /0) that
 *   Intel and AMD CPUs execute, raise #UD;
 * - CMPXCHG8B clobbers CF PF AF SF OF, which the SDM and the host CPU
 *   leave unchanged (seen as "add dh, cl; cmpxchg8b [eax]" losing PF).
 * Cases with these run on the host CPU only.
 */
export function qemuDiverges(insn: Insn): boolean {
  if (illegalLock(insn)) return true;
  const reg = insn.modrm === undefined ? -1 : (insn.modrm >> 3) & 7;
  if (TEST_GROUP3.includes(insn.op) && reg === TEST_ALIAS_REG) return true;
  return insn.op === OP_GROUP9 && reg === CMPXCHG8B_REG;
}

/**
 * A finished harness run whose records are decoded on demand: holding every
 * case's 8 KiB DATA at once makes 100,000-case runs slow (GC) and large.
 */
export class HarnessRun {
  private readonly starts: Uint32Array;

  constructor(
    private readonly cases: readonly TestCase[],
    private readonly out: Buffer,
    private readonly bits: 32 | 64,
  ) {
    this.starts = new Uint32Array(cases.length);
    let p = 0;
    for (let k = 0; k < cases.length; k++) {
      if (p + RESULT_BYTES > out.length) throw new Error(`harness output truncated at case ${k}`);
      this.starts[k] = p;
      const nRuns = out.readUInt16LE(p + 60);
      const outFlags = out.readUInt16LE(p + 62);
      p += RESULT_BYTES;
      for (let i = 0; i < nRuns; i++) p += 4 + out.readUInt16LE(p + 2);
      if (outFlags & IN_FPU) p += FPU_IMAGE_BYTES;
    }
    if (p !== out.length) throw new Error('trailing harness output');
  }

  get length(): number {
    return this.cases.length;
  }

  outcome(k: number): CpuOutcome {
    const tc = this.cases[k];
    return toOutcome(tc, parseResult(this.out, this.starts[k], tc), this.bits);
  }
}

export class NativeTarget implements Target {
  readonly name: string;
  constructor(readonly harness: BuiltHarness) {
    this.name = harness.name;
  }

  canRun(tc: TestCase): boolean {
    if (this.harness.kind === 'qemu' && tc.insns.some(qemuDiverges)) return false;
    return nativeCanRun(tc, this.harness.bits);
  }

  run(cases: readonly TestCase[]): Promise<CpuOutcome[]> {
    return Promise.resolve(this.runSync(cases));
  }

  runSync(cases: readonly TestCase[]): CpuOutcome[] {
    const run = this.start(cases);
    return cases.map((_, k) => run.outcome(k));
  }

  /** Runs all cases in one harness process; outcomes are decoded on demand. */
  start(cases: readonly TestCase[]): HarnessRun {
    return new HarnessRun(cases, runHarness(this.harness, serializeCases(cases, this.harness.bits)), this.harness.bits);
  }
}
