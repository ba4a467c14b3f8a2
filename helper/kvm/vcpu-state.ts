// CPU state between the Wasm core's layout (host/generated/cpu-layout.ts) and
// KVM's struct kvm_regs / kvm_sregs / kvm_fpu (helper/kvm/abi.ts), both ways:
// the KVM engine loads the state the host's loaders prepared in the Wasm
// core (Multiboot, Linux boot protocol, power-on) and can bring KVM's state
// back (pause, save, moving a machine between engines).
//
// Segment attributes: tabvm keeps descriptor bits 40-47 (type, S, DPL, P) as
// bits 0-7 and bits 52-55 (AVL, L, D/B, G) as bits 12-15 (core-as/cpu/state.ts
// ATTR_*); kvm_segment has one byte per field (api.rst, KVM_GET_SREGS).
// Limits are byte-granular in both.
//
// UNFINISHED: MSRs (SYSENTER_*, TSC, PAT, MISC_ENABLE) and debug registers do
// not move yet (KVM_GET/SET_MSRS, KVM_GET/SET_DEBUGREGS); guests that set them
// before the engine starts (none of tabvm's loaders do) would lose them.

import * as L from '../../host/generated/cpu-layout.js';
import { FPU, REGS, SEGMENT, SREGS } from './abi.js';

/** Core GPR order (eax ecx edx ebx esp ebp esi edi) → kvm_regs field. */
const GPR_FIELDS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'] as const;
/** Core segment index → kvm_sregs field. */
const SEG_FIELDS: [number, string][] = [
  [L.SEG_ES, 'es'],
  [L.SEG_CS, 'cs'],
  [L.SEG_SS, 'ss'],
  [L.SEG_DS, 'ds'],
  [L.SEG_FS, 'fs'],
  [L.SEG_GS, 'gs'],
  [L.SEG_LDTR, 'ldt'],
  [L.SEG_TR, 'tr'],
];
const U64 = 8;
const X87_REGS = 8;
const X87_REG_BYTES = 16;
const XMM_REGS = 8;
const XMM_BYTES = 16;
const EFLAGS_FIXED = 1 << 1;
const ATTR_TYPE_MASK = 0x0f;
const ATTR_S = 0x10;
const ATTR_DPL_SHIFT = 5;
const ATTR_P = 0x80;
const ATTR_AVL = 0x1000;
const ATTR_L = 0x2000;
const ATTR_DB = 0x4000;
const ATTR_G = 0x8000;
const MASK32 = 0xffffffffn;

/** The core state's bytes as a DataView at CPU_STATE. */
export function cpuStateView(memory: WebAssembly.Memory): DataView {
  return new DataView(memory.buffer, L.CPU_STATE, L.CPU_STATE_SIZE);
}

export interface EflagsAccess {
  getEflags(): number;
  setEflags(v: number): void;
}

/** struct kvm_regs from the core (EFLAGS through the core: its arithmetic flags are lazy). */
export function regsFromCore(cpu: DataView, flags: EflagsAccess): Uint8Array {
  const out = new Uint8Array(REGS.size);
  const dv = new DataView(out.buffer);
  GPR_FIELDS.forEach((f, i) => dv.setBigUint64(REGS.fields[f], BigInt(cpu.getUint32(L.OFF_GPR + i * U64, true)), true));
  dv.setBigUint64(REGS.fields.rip, BigInt(cpu.getUint32(L.OFF_EIP, true)), true);
  dv.setBigUint64(REGS.fields.rflags, BigInt((flags.getEflags() | EFLAGS_FIXED) >>> 0), true);
  return out;
}

export function regsToCore(regs: Uint8Array, cpu: DataView, flags: EflagsAccess): void {
  const dv = new DataView(regs.buffer, regs.byteOffset, regs.byteLength);
  const low = (f: string): number => Number(dv.getBigUint64(REGS.fields[f], true) & MASK32);
  GPR_FIELDS.forEach((f, i) => cpu.setUint32(L.OFF_GPR + i * U64, low(f), true));
  cpu.setUint32(L.OFF_EIP, low('rip'), true);
  flags.setEflags(low('rflags'));
}

/** One kvm_segment from a core segment cache. */
function segmentToKvm(cpu: DataView, seg: number, dv: DataView, at: number): void {
  const a = L.OFF_SEGS + seg * L.SEG_SIZE;
  const attr = cpu.getUint32(a + L.SEG_ATTR, true);
  const selector = cpu.getUint32(a + L.SEG_SEL, true) & 0xffff;
  const f = SEGMENT.fields;
  dv.setBigUint64(at + f.base, BigInt(cpu.getUint32(a + L.SEG_BASE, true)), true);
  dv.setUint32(at + f.limit, cpu.getUint32(a + L.SEG_LIMIT, true), true);
  dv.setUint16(at + f.selector, selector, true);
  dv.setUint8(at + f.type, attr & ATTR_TYPE_MASK);
  dv.setUint8(at + f.present, attr & ATTR_P ? 1 : 0);
  dv.setUint8(at + f.dpl, (attr >>> ATTR_DPL_SHIFT) & 3);
  dv.setUint8(at + f.db, attr & ATTR_DB ? 1 : 0);
  dv.setUint8(at + f.s, attr & ATTR_S ? 1 : 0);
  dv.setUint8(at + f.l, attr & ATTR_L ? 1 : 0);
  dv.setUint8(at + f.g, attr & ATTR_G ? 1 : 0);
  dv.setUint8(at + f.avl, attr & ATTR_AVL ? 1 : 0);
  // A segment that is not present is unusable to VMX (SDM Vol. 3C §24.4.1); in real mode every segment is usable.
  dv.setUint8(at + f.unusable, attr & ATTR_P ? 0 : 1);
}

function segmentFromKvm(dv: DataView, at: number): { selector: number; base: number; limit: number; attr: number } {
  const f = SEGMENT.fields;
  const attr =
    (dv.getUint8(at + f.type) & ATTR_TYPE_MASK) |
    (dv.getUint8(at + f.s) ? ATTR_S : 0) |
    ((dv.getUint8(at + f.dpl) & 3) << ATTR_DPL_SHIFT) |
    (dv.getUint8(at + f.present) && !dv.getUint8(at + f.unusable) ? ATTR_P : 0) |
    (dv.getUint8(at + f.avl) ? ATTR_AVL : 0) |
    (dv.getUint8(at + f.l) ? ATTR_L : 0) |
    (dv.getUint8(at + f.db) ? ATTR_DB : 0) |
    (dv.getUint8(at + f.g) ? ATTR_G : 0);
  return {
    selector: dv.getUint16(at + f.selector, true),
    base: Number(dv.getBigUint64(at + f.base, true) & MASK32),
    limit: dv.getUint32(at + f.limit, true),
    attr,
  };
}

/** struct kvm_sregs from the core; `apicBase` as the vCPU should see IA32_APIC_BASE. */
export function sregsFromCore(cpu: DataView): Uint8Array {
  const out = new Uint8Array(SREGS.size);
  const dv = new DataView(out.buffer);
  for (const [seg, field] of SEG_FIELDS) segmentToKvm(cpu, seg, dv, SREGS.fields[field]);
  dv.setBigUint64(SREGS.fields.gdt, BigInt(cpu.getUint32(L.OFF_GDTR_BASE, true)), true);
  dv.setUint16(SREGS.fields.gdt + 8, cpu.getUint32(L.OFF_GDTR_LIMIT, true) & 0xffff, true);
  dv.setBigUint64(SREGS.fields.idt, BigInt(cpu.getUint32(L.OFF_IDTR_BASE, true)), true);
  dv.setUint16(SREGS.fields.idt + 8, cpu.getUint32(L.OFF_IDTR_LIMIT, true) & 0xffff, true);
  for (const [field, off] of [
    ['cr0', L.OFF_CR0],
    ['cr2', L.OFF_CR2],
    ['cr3', L.OFF_CR3],
    ['cr4', L.OFF_CR4],
    ['efer', L.OFF_EFER],
  ] as const) {
    dv.setBigUint64(SREGS.fields[field], BigInt(cpu.getUint32(off, true)), true);
  }
  dv.setBigUint64(SREGS.fields.apic_base, cpu.getBigUint64(L.OFF_APIC_BASE, true), true);
  return out;
}

/** Segment caches and system registers from struct kvm_sregs into the core. */
export interface SegmentLoader {
  setSegmentCache(seg: number, selector: number, base: number, limit: number, attr: number): void;
  flushTlb(): void;
}

export function sregsToCore(sregs: Uint8Array, cpu: DataView, core: SegmentLoader): void {
  const dv = new DataView(sregs.buffer, sregs.byteOffset, sregs.byteLength);
  for (const [seg, field] of SEG_FIELDS) {
    const s = segmentFromKvm(dv, SREGS.fields[field]);
    core.setSegmentCache(seg, s.selector, s.base, s.limit, s.attr);
  }
  cpu.setUint32(L.OFF_GDTR_BASE, Number(dv.getBigUint64(SREGS.fields.gdt, true) & MASK32), true);
  cpu.setUint32(L.OFF_GDTR_LIMIT, dv.getUint16(SREGS.fields.gdt + 8, true), true);
  cpu.setUint32(L.OFF_IDTR_BASE, Number(dv.getBigUint64(SREGS.fields.idt, true) & MASK32), true);
  cpu.setUint32(L.OFF_IDTR_LIMIT, dv.getUint16(SREGS.fields.idt + 8, true), true);
  for (const [field, off] of [
    ['cr0', L.OFF_CR0],
    ['cr2', L.OFF_CR2],
    ['cr3', L.OFF_CR3],
    ['cr4', L.OFF_CR4],
    ['efer', L.OFF_EFER],
  ] as const) {
    cpu.setUint32(off, Number(dv.getBigUint64(SREGS.fields[field], true) & MASK32), true);
  }
  // CPL is the DPL of SS in protected mode (SDM Vol. 3A §5.5); 0 in real mode.
  const pe = (cpu.getUint32(L.OFF_CR0, true) & 1) !== 0;
  cpu.setUint32(L.OFF_CPL, pe ? dv.getUint8(SREGS.fields.ss + SEGMENT.fields.dpl) & 3 : 0, true);
  core.flushTlb();
}

/** x87 tags (full tag word, two bits per physical register; SDM Vol. 1 §8.1.7). */
const TAG_VALID = 0;
const TAG_ZERO = 1;
const TAG_SPECIAL = 2;
const TAG_EMPTY = 3;
const FSW_TOP_SHIFT = 11;
const X87_VALUE_BYTES = 10;
const EXPONENT_MAX = 0x7fff;
const J_BIT = 0x80;

function physRegister(i: number): number {
  return L.OFF_FPU_ST + (i & 7) * L.FPU_REG_STRIDE;
}

/** The tag FXRSTOR gives a non-empty register from its contents (SDM Vol. 1 Table 10-2 and §8.1.7). */
function tagOf(cpu: DataView, r: number): number {
  const at = physRegister(r);
  const exponent = cpu.getUint16(at + 8, true) & EXPONENT_MAX;
  const mantissaZero = cpu.getUint32(at, true) === 0 && cpu.getUint32(at + 4, true) === 0;
  if (exponent === 0) return mantissaZero ? TAG_ZERO : TAG_SPECIAL;
  if (exponent === EXPONENT_MAX || (cpu.getUint8(at + 7) & J_BIT) === 0) return TAG_SPECIAL;
  return TAG_VALID;
}

/**
 * struct kvm_fpu (the FXSAVE layout: ST(i) in stack order, abridged tags by
 * physical register) from the core, which keeps physical registers R0-R7 and
 * the full tag word (core-as/cpu/state.ts OFF_FPU_ST, OFF_FPU_FTW).
 */
export function fpuFromCore(cpu: DataView): Uint8Array {
  const out = new Uint8Array(FPU.size);
  const dv = new DataView(out.buffer);
  const f = FPU.fields;
  const fsw = cpu.getUint16(L.OFF_FPU_FSW, true);
  const top = (fsw >> FSW_TOP_SHIFT) & 7;
  for (let i = 0; i < X87_REGS; i++) {
    for (let b = 0; b < X87_VALUE_BYTES; b++) dv.setUint8(f.fpr + i * X87_REG_BYTES + b, cpu.getUint8(physRegister(top + i) + b));
  }
  const ftw = cpu.getUint16(L.OFF_FPU_FTW, true);
  let abridged = 0;
  for (let r = 0; r < X87_REGS; r++) if (((ftw >> (r * 2)) & 3) !== TAG_EMPTY) abridged |= 1 << r;
  dv.setUint16(f.fcw, cpu.getUint16(L.OFF_FPU_FCW, true), true);
  dv.setUint16(f.fsw, fsw, true);
  dv.setUint8(f.ftwx, abridged);
  dv.setUint16(f.last_opcode, cpu.getUint16(L.OFF_FPU_FOP, true), true);
  dv.setBigUint64(f.last_ip, BigInt(cpu.getUint32(L.OFF_FPU_FIP, true)), true);
  dv.setBigUint64(f.last_dp, BigInt(cpu.getUint32(L.OFF_FPU_FDP, true)), true);
  for (let i = 0; i < XMM_REGS * XMM_BYTES; i++) dv.setUint8(f.xmm + i, cpu.getUint8(L.OFF_XMM + i));
  dv.setUint32(f.mxcsr, cpu.getUint32(L.OFF_MXCSR, true), true);
  return out;
}

export function fpuToCore(fpu: Uint8Array, cpu: DataView): void {
  const dv = new DataView(fpu.buffer, fpu.byteOffset, fpu.byteLength);
  const f = FPU.fields;
  const fsw = dv.getUint16(f.fsw, true);
  const top = (fsw >> FSW_TOP_SHIFT) & 7;
  for (let i = 0; i < X87_REGS; i++) {
    for (let b = 0; b < X87_VALUE_BYTES; b++) cpu.setUint8(physRegister(top + i) + b, dv.getUint8(f.fpr + i * X87_REG_BYTES + b));
  }
  const abridged = dv.getUint8(f.ftwx);
  let ftw = 0;
  for (let r = 0; r < X87_REGS; r++) ftw |= ((abridged >> r) & 1 ? tagOf(cpu, r) : TAG_EMPTY) << (r * 2);
  cpu.setUint16(L.OFF_FPU_FTW, ftw, true);
  cpu.setUint16(L.OFF_FPU_FCW, dv.getUint16(f.fcw, true), true);
  cpu.setUint16(L.OFF_FPU_FSW, fsw, true);
  cpu.setUint16(L.OFF_FPU_FOP, dv.getUint16(f.last_opcode, true), true);
  cpu.setUint32(L.OFF_FPU_FIP, Number(dv.getBigUint64(f.last_ip, true) & MASK32), true);
  cpu.setUint32(L.OFF_FPU_FDP, Number(dv.getBigUint64(f.last_dp, true) & MASK32), true);
  for (let i = 0; i < XMM_REGS * XMM_BYTES; i++) cpu.setUint8(L.OFF_XMM + i, dv.getUint8(f.xmm + i));
  cpu.setUint32(L.OFF_MXCSR, dv.getUint32(f.mxcsr, true), true);
}
