// Architectural CPU state, at fixed offsets in linear memory (DESIGN §3, §4).
//
// Registers are 64-bit slots so that x86-64 long mode can come later without a
// new layout; 32-bit code uses the low halves. The offsets are exported to the
// host (host/generated/cpu-layout.ts is written by core-as/gen) so tests, the
// stats view and JIT code read the same bytes.

import { CPU_STATE } from '../machine/layout';

// General-purpose registers, in x86 encoding order.
export const REG_EAX: u32 = 0;
export const REG_ECX: u32 = 1;
export const REG_EDX: u32 = 2;
export const REG_EBX: u32 = 3;
export const REG_ESP: u32 = 4;
export const REG_EBP: u32 = 5;
export const REG_ESI: u32 = 6;
export const REG_EDI: u32 = 7;

// Segment registers, in x86 encoding order, then the system segments.
export const SEG_ES: u32 = 0;
export const SEG_CS: u32 = 1;
export const SEG_SS: u32 = 2;
export const SEG_DS: u32 = 3;
export const SEG_FS: u32 = 4;
export const SEG_GS: u32 = 5;
export const SEG_LDTR: u32 = 6;
export const SEG_TR: u32 = 7;

// --- offsets (bytes from CPU_STATE) ---
export const OFF_GPR: u32 = 0x000; // 16 × u64
export const OFF_EIP: u32 = 0x080; // u64
export const OFF_EFLAGS: u32 = 0x088; // u32: every EFLAGS bit except the lazily computed OSZAPC
export const OFF_LAZY_OP: u32 = 0x090; // see flags.ts
export const OFF_LAZY_SIZE: u32 = 0x094;
export const OFF_LAZY_DST: u32 = 0x098;
export const OFF_LAZY_SRC: u32 = 0x09c;
export const OFF_LAZY_RES: u32 = 0x0a0;
export const OFF_LAZY_AUX: u32 = 0x0a4;
export const OFF_SEGS: u32 = 0x100; // 8 × SEG_SIZE
export const SEG_SIZE: u32 = 0x20;
export const SEG_SEL: u32 = 0x00; // u32 (selector in the low 16 bits)
export const SEG_BASE: u32 = 0x04;
export const SEG_LIMIT: u32 = 0x08; // byte-granular limit
export const SEG_ATTR: u32 = 0x0c; // descriptor bits 40..55: type(4) S DPL(2) P | AVL L DB G  (bits 0..7, 12..15)
export const SEG_LO: u32 = 0x10; // lowest valid offset (expand-down segments; 1 with hi 0 = unusable)
export const SEG_HI: u32 = 0x14; // highest valid offset
export const SEG_VALID: u32 = 0x18; // access rights for data accesses: SEG_RIGHT_* bits; 0 = null/unusable

// Rights kept in SEG_VALID: what a data access through the segment may do.
export const SEG_RIGHT_READ: u32 = 1;
export const SEG_RIGHT_WRITE: u32 = 2;

/** Data-access rights a protected-mode descriptor grants (SDM Vol. 3A §5.2, Table 3-1). */
export function segmentRights(attr: u32): u32 {
  if ((attr & ATTR_S) == 0) return 0; // system segments hold no data
  if ((attr & ATTR_CODE) != 0) return (attr & ATTR_RW) != 0 ? SEG_RIGHT_READ : 0;
  return SEG_RIGHT_READ | ((attr & ATTR_RW) != 0 ? SEG_RIGHT_WRITE : 0);
}
export const OFF_GDTR_BASE: u32 = 0x200;
export const OFF_GDTR_LIMIT: u32 = 0x204;
export const OFF_IDTR_BASE: u32 = 0x208;
export const OFF_IDTR_LIMIT: u32 = 0x20c;
export const OFF_CR0: u32 = 0x220;
export const OFF_CR2: u32 = 0x228;
export const OFF_CR3: u32 = 0x230;
export const OFF_CR4: u32 = 0x238;
export const OFF_DR: u32 = 0x240; // DR0..DR7, 8 × u64
export const OFF_EFER: u32 = 0x280;
export const OFF_CPL: u32 = 0x288;
export const OFF_HALTED: u32 = 0x28c;
export const OFF_A20_MASK: u32 = 0x290;
export const OFF_SYSENTER_CS: u32 = 0x298;
export const OFF_SYSENTER_ESP: u32 = 0x2a0;
export const OFF_SYSENTER_EIP: u32 = 0x2a8;
export const OFF_TSC: u32 = 0x2b0; // u64
export const OFF_APIC_BASE: u32 = 0x2b8;
export const OFF_INTR_LINE: u32 = 0x2c0; // 1 while the interrupt controller asserts INTR
export const OFF_NMI_PENDING: u32 = 0x2c4;
export const OFF_INHIBIT_IRQ: u32 = 0x2c8; // interrupt shadow after STI / MOV SS / POP SS
export const OFF_INSTR_COUNT: u32 = 0x2d0; // u64 instructions retired
export const OFF_MISC_ENABLE: u32 = 0x2d8;
export const OFF_PAT: u32 = 0x2e0; // u64
export const OFF_EXIT_REQUEST: u32 = 0x2e8; // host asks run() to return (pause, device work)
// x87/MMX/SSE state, kept as an FXSAVE image (SDM Vol. 2A "FXSAVE", Table 3-53)
// so FXSAVE/FXRSTOR are copies and the host sees the architectural layout.
// Fields the image abridges or lacks follow it (from OFF_FPU_EXTRA).
export const OFF_FPU: u32 = 0x400; // 512-byte FXSAVE image
export const OFF_FPU_FCW: u32 = OFF_FPU + 0x00; // u16 control word
export const OFF_FPU_FSW: u32 = OFF_FPU + 0x02; // u16 status word (TOP in bits 11-13)
export const OFF_FPU_FTW_ABRIDGED: u32 = OFF_FPU + 0x04; // u8, as FXSAVE stores it (filled on save)
export const OFF_FPU_FOP: u32 = OFF_FPU + 0x06; // u16 last opcode (11 bits)
export const OFF_FPU_FIP: u32 = OFF_FPU + 0x08; // u32 last instruction pointer
export const OFF_FPU_FCS: u32 = OFF_FPU + 0x0c; // u16
export const OFF_FPU_FDP: u32 = OFF_FPU + 0x10; // u32 last data pointer
export const OFF_FPU_FDS: u32 = OFF_FPU + 0x14; // u16
export const OFF_MXCSR: u32 = OFF_FPU + 0x18; // u32
export const OFF_MXCSR_MASK: u32 = OFF_FPU + 0x1c; // u32
export const OFF_FPU_ST: u32 = OFF_FPU + 0x20; // 8 × 16 bytes: physical registers R0-R7 (80-bit), MM0-7 alias the low 64 bits
export const OFF_XMM: u32 = OFF_FPU + 0xa0; // 8 × 16 bytes
export const FPU_REG_STRIDE: u32 = 16;
export const OFF_FPU_EXTRA: u32 = OFF_FPU + 0x200;
export const OFF_FPU_FTW: u32 = OFF_FPU_EXTRA + 0x00; // u16 full tag word (2 bits per physical register)
export const CPU_STATE_USED: u32 = 0x800;

// --- EFLAGS bits (SDM Vol. 1 §3.4.3) ---
export const FLAG_CF: u32 = 1 << 0;
export const FLAG_BIT1: u32 = 1 << 1;
export const FLAG_PF: u32 = 1 << 2;
export const FLAG_AF: u32 = 1 << 4;
export const FLAG_ZF: u32 = 1 << 6;
export const FLAG_SF: u32 = 1 << 7;
export const FLAG_TF: u32 = 1 << 8;
export const FLAG_IF: u32 = 1 << 9;
export const FLAG_DF: u32 = 1 << 10;
export const FLAG_OF: u32 = 1 << 11;
export const FLAG_IOPL: u32 = 3 << 12;
export const FLAG_IOPL_SHIFT: u32 = 12;
export const FLAG_NT: u32 = 1 << 14;
export const FLAG_RF: u32 = 1 << 16;
export const FLAG_VM: u32 = 1 << 17;
export const FLAG_AC: u32 = 1 << 18;
export const FLAG_VIF: u32 = 1 << 19;
export const FLAG_VIP: u32 = 1 << 20;
export const FLAG_ID: u32 = 1 << 21;
export const FLAGS_ARITH: u32 = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
/** Bits software can ever set on this CPU (P6 with CPUID, VME). */
export const FLAGS_WRITABLE: u32 =
  FLAGS_ARITH | FLAG_TF | FLAG_IF | FLAG_DF | FLAG_IOPL | FLAG_NT | FLAG_RF | FLAG_VM | FLAG_AC | FLAG_VIF | FLAG_VIP | FLAG_ID;

// --- control register bits (SDM Vol. 3A §2.5) ---
export const CR0_PE: u32 = 1 << 0;
export const CR0_MP: u32 = 1 << 1;
export const CR0_EM: u32 = 1 << 2;
export const CR0_TS: u32 = 1 << 3;
export const CR0_ET: u32 = 1 << 4;
export const CR0_NE: u32 = 1 << 5;
export const CR0_WP: u32 = 1 << 16;
export const CR0_AM: u32 = 1 << 18;
export const CR0_NW: u32 = 1 << 29;
export const CR0_CD: u32 = 1 << 30;
export const CR0_PG: u32 = 1 << 31;
export const CR4_VME: u32 = 1 << 0;
export const CR4_PVI: u32 = 1 << 1;
export const CR4_TSD: u32 = 1 << 2;
export const CR4_DE: u32 = 1 << 3;
export const CR4_PSE: u32 = 1 << 4;
export const CR4_PAE: u32 = 1 << 5;
export const CR4_MCE: u32 = 1 << 6;
export const CR4_PGE: u32 = 1 << 7;
export const CR4_PCE: u32 = 1 << 8;
export const CR4_OSFXSR: u32 = 1 << 9;
export const CR4_OSXMMEXCPT: u32 = 1 << 10;
export const EFER_SCE: u32 = 1 << 0;
export const EFER_NXE: u32 = 1 << 11;

// --- segment attribute bits (as stored in SEG_ATTR) ---
export const ATTR_TYPE_MASK: u32 = 0x0f;
export const ATTR_ACCESSED: u32 = 0x01;
export const ATTR_RW: u32 = 0x02; // data: writable; code: readable
export const ATTR_DC: u32 = 0x04; // data: expand-down; code: conforming
export const ATTR_CODE: u32 = 0x08;
export const ATTR_S: u32 = 0x10; // code/data (1) vs system (0)
export const ATTR_DPL_SHIFT: u32 = 5;
export const ATTR_P: u32 = 0x80;
export const ATTR_DB: u32 = 0x4000;
export const ATTR_G: u32 = 0x8000;

// --- accessors ---
@inline export function reg32(r: u32): u32 {
  return load<u32>(CPU_STATE + OFF_GPR + (r << 3));
}
@inline export function setReg32(r: u32, v: u32): void {
  store<u32>(CPU_STATE + OFF_GPR + (r << 3), v);
}
@inline export function reg16(r: u32): u32 {
  return <u32>load<u16>(CPU_STATE + OFF_GPR + (r << 3));
}
@inline export function setReg16(r: u32, v: u32): void {
  store<u16>(CPU_STATE + OFF_GPR + (r << 3), <u16>v);
}
/** 8-bit register by x86 encoding: 0-3 = AL CL DL BL, 4-7 = AH CH DH BH. */
@inline export function reg8(r: u32): u32 {
  return <u32>load<u8>(CPU_STATE + OFF_GPR + ((r & 3) << 3) + (r >> 2));
}
@inline export function setReg8(r: u32, v: u32): void {
  store<u8>(CPU_STATE + OFF_GPR + ((r & 3) << 3) + (r >> 2), <u8>v);
}
/** Register of the given operand size in bits (8, 16, 32). */
@inline export function regSized(r: u32, size: u32): u32 {
  return size == 32 ? reg32(r) : size == 16 ? reg16(r) : reg8(r);
}
@inline export function setRegSized(r: u32, v: u32, size: u32): void {
  if (size == 32) setReg32(r, v);
  else if (size == 16) setReg16(r, v);
  else setReg8(r, v);
}

@inline export function eip(): u32 {
  return load<u32>(CPU_STATE + OFF_EIP);
}
@inline export function setEip(v: u32): void {
  store<u32>(CPU_STATE + OFF_EIP, v);
}

@inline export function cr0(): u32 {
  return load<u32>(CPU_STATE + OFF_CR0);
}
@inline export function cr2(): u32 {
  return load<u32>(CPU_STATE + OFF_CR2);
}
@inline export function cr3(): u32 {
  return load<u32>(CPU_STATE + OFF_CR3);
}
@inline export function cr4(): u32 {
  return load<u32>(CPU_STATE + OFF_CR4);
}
@inline export function efer(): u32 {
  return load<u32>(CPU_STATE + OFF_EFER);
}
@inline export function cpl(): u32 {
  return load<u32>(CPU_STATE + OFF_CPL);
}
@inline export function setCpl(v: u32): void {
  store<u32>(CPU_STATE + OFF_CPL, v);
  codeEpoch++;
  decoderStale = true;
}

/**
 * Bumped whenever CS's cache or the CPL changes, so the instruction fetcher
 * (memory.ts) knows its cached CS window is stale.
 */
export let codeEpoch: u32 = 0;
@inline function csChanged(s: u32): void {
  if (s == SEG_CS) {
    codeEpoch++;
    decoderStale = true;
  }
}

/**
 * Set whenever the next instruction cannot start from the decoder state the
 * previous one left (decode.ts beginInstruction): the code epoch, the TLB
 * generation or the fetch window changed, the decode window was narrowed,
 * or prefixes were decoded. One flag instead of comparing each of those per
 * instruction.
 */
export let decoderStale: bool = true;
@inline export function markDecoderStale(): void {
  decoderStale = true;
}
@inline export function clearDecoderStale(): void {
  decoderStale = false;
}
@inline export function dr(n: u32): u32 {
  return load<u32>(CPU_STATE + OFF_DR + (n << 3));
}
@inline export function setDr(n: u32, v: u32): void {
  store<u32>(CPU_STATE + OFF_DR + (n << 3), v);
}

@inline export function segAddr(s: u32): u32 {
  return CPU_STATE + OFF_SEGS + s * SEG_SIZE;
}
@inline export function segSel(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_SEL);
}
@inline export function segBase(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_BASE);
}
@inline export function segLimit(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_LIMIT);
}
@inline export function segAttr(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_ATTR);
}
@inline export function segLo(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_LO);
}
@inline export function segHi(s: u32): u32 {
  return load<u32>(segAddr(s) + SEG_HI);
}

/**
 * Fill a segment register's hidden part (descriptor cache) directly.
 * `attr` uses the SEG_ATTR layout; the offset window [lo, hi] is derived here
 * so the per-access check is two unsigned compares (SDM Vol. 3A §5.3).
 */
export function loadSegmentCache(s: u32, sel: u32, base: u32, limit: u32, attr: u32): void {
  const a = segAddr(s);
  store<u32>(a + SEG_SEL, sel & 0xffff);
  store<u32>(a + SEG_BASE, base);
  store<u32>(a + SEG_LIMIT, limit);
  store<u32>(a + SEG_ATTR, attr);
  store<u32>(a + SEG_VALID, segmentRights(attr));
  let lo: u32 = 0;
  let hi: u32 = limit;
  if ((attr & (ATTR_S | ATTR_CODE | ATTR_DC)) == (ATTR_S | ATTR_DC)) {
    // Expand-down data segment: valid offsets are limit+1 .. 0xffff or
    // 0xffffffff (by the B bit; SDM Vol. 3A §3.4.5.1). A limit at or above
    // that bound leaves none: the empty window (lo 1, hi 0), also where
    // limit+1 would wrap to 0.
    hi = attr & ATTR_DB ? 0xffffffff : 0xffff;
    if (limit >= hi) {
      lo = 1;
      hi = 0;
    } else {
      lo = limit + 1;
    }
  }
  store<u32>(a + SEG_LO, lo);
  store<u32>(a + SEG_HI, hi);
  csChanged(s);
}

/** A null selector in a data segment register: any access through it faults (#GP(0)). */
export function loadNullSegment(s: u32, sel: u32): void {
  const a = segAddr(s);
  store<u32>(a + SEG_SEL, sel & 0xffff);
  store<u32>(a + SEG_BASE, 0);
  store<u32>(a + SEG_LIMIT, 0);
  store<u32>(a + SEG_ATTR, 0);
  store<u32>(a + SEG_VALID, 0);
  store<u32>(a + SEG_LO, 1);
  store<u32>(a + SEG_HI, 0);
  csChanged(s);
}

/** Real-mode segment load: base = selector × 16; limit and attributes stay cached ("unreal" mode). */
export function loadRealSegment(s: u32, sel: u32): void {
  const a = segAddr(s);
  store<u32>(a + SEG_SEL, sel & 0xffff);
  store<u32>(a + SEG_BASE, (sel & 0xffff) << 4);
  // Real mode checks limits (through the cached limit: "unreal" mode) but not rights.
  store<u32>(a + SEG_VALID, SEG_RIGHT_READ | SEG_RIGHT_WRITE);
  csChanged(s);
}

/** Override a segment's data-access rights (real mode, reset). */
export function setSegmentRights(s: u32, rights: u32): void {
  store<u32>(segAddr(s) + SEG_VALID, rights);
}

@inline export function cpuFlag(off: u32): u32 {
  return load<u32>(CPU_STATE + off);
}
@inline export function setCpuFlag(off: u32, v: u32): void {
  store<u32>(CPU_STATE + off, v);
}
