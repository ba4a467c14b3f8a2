// System instructions: control and debug register moves, descriptor-table
// registers, cache and TLB control, HLT, CPUID, the time-stamp counter, MSRs,
// SYSENTER/SYSEXIT, and the x87 escapes of a CPU without an FPU.
// Reference: Intel SDM Vol. 2 (each instruction's page), Vol. 3A §2.5
// (control registers), Vol. 3B ch. 17 (debug registers), Vol. 4 (MSRs).
//
// Privileged instructions run at CPL 0 only: #GP(0) otherwise, in real mode
// the CPL is 0, and virtual-8086 code (CPL 3) always gets #GP(0).

import { clockNow } from '../../machine/clock';
import { CPU_STATE } from '../../machine/layout';
import {
  cr0, cr2, cr3, cr4, cpl, setCpl, dr, setDr, efer, reg32, setReg32, setReg16, segBase,
  loadSegmentCache, setCpuFlag,
  REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, SEG_CS, SEG_SS,
  OFF_CR0, OFF_CR2, OFF_CR3, OFF_CR4, OFF_EFER, OFF_GDTR_BASE, OFF_GDTR_LIMIT, OFF_IDTR_BASE, OFF_IDTR_LIMIT,
  OFF_HALTED, OFF_TSC, OFF_SYSENTER_CS, OFF_SYSENTER_ESP, OFF_SYSENTER_EIP,
  CR0_PE, CR0_MP, CR0_EM, CR0_TS, CR0_ET, CR0_NE, CR0_WP, CR0_AM, CR0_NW, CR0_CD, CR0_PG,
  CR4_TSD, CR4_DE, CR4_PSE, CR4_PAE, CR4_PGE, CR4_PCE, CR4_OSFXSR, CR4_OSXMMEXCPT, EFER_NXE,
  FLAG_VM, FLAG_IF, FLAG_RF,
  ATTR_P, ATTR_S, ATTR_CODE, ATTR_RW, ATTR_ACCESSED, ATTR_DB, ATTR_G, ATTR_DPL_SHIFT,
} from '../state';
import { sysFlag, setSysFlag } from '../flags';
import { faulted, raiseGP, raiseUD, raiseFault, EXC_DB } from '../fault';
import {
  modIsReg, modRm, modReg, eaSeg, eaOff, addr32, instrEip, setNextEip,
} from '../decode';
import { readE } from '../operands';
import { readMem16, readMem32, writeMem16, writeMem32, probeWriteMem, fetchCode8, invalidateFetch } from '../memory';
import { tlbFlushAll, tlbFlushPage } from '../paging';
import { enterHalt } from '../interp';
import {
  updateDebugChecks, dataBreakpointsArmed, DR6_BD, DR6_FIXED_ONES, DR6_WRITABLE, DR7_GD, DR7_FIXED_ONES, DR7_WRITABLE,
} from '../debug';
import { CPU_SIGNATURE, CPUID1_ECX, CPUID1_EDX, CPUID_EXT1_EDX_NX } from '../identity';
import { lapicGetBase, lapicSetBase, APIC_BASE_WRITABLE } from '../../devices/lapic';

// ---------- privilege ----------

@inline function realMode(): bool {
  return (cr0() & CR0_PE) == 0;
}

/**
 * The CPL 0 check of privileged instructions: raises #GP(0) and returns true
 * unless the CPU runs at CPL 0 (real mode counts as CPL 0, v86 mode as CPL 3).
 */
export function privilegeFault(): bool {
  if (realMode()) return false;
  if (sysFlag(FLAG_VM) || cpl() != 0) {
    raiseGP(0);
    return true;
  }
  return false;
}

/** CPL as the privilege checks see it: 0 in real mode, 3 in v86 mode. */
export function effectiveCpl(): u32 {
  if (realMode()) return 0;
  if (sysFlag(FLAG_VM)) return 3;
  return cpl();
}

// ---------- control registers ----------

/** CR0 bits this CPU implements; the rest are reserved and read as 0. */
const CR0_IMPLEMENTED: u32 = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;
/** CR0 bits whose change invalidates cached translations. */
const CR0_PAGING_BITS: u32 = CR0_PG | CR0_WP | CR0_PE;
/**
 * CR4 bits this CPU implements. Not VME/PVI (no virtual-8086 extensions),
 * DE (no I/O breakpoints), MCE, or OSFXSR/OSXMMEXCPT (no SSE yet): setting
 * those raises #GP(0), as for any reserved CR4 bit.
 */
const CR4_IMPLEMENTED: u32 = CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT;
const CR4_PAGING_BITS: u32 = CR4_PSE | CR4_PAE | CR4_PGE;

const CR_0: u32 = 0;
const CR_2: u32 = 2;
const CR_3: u32 = 3;
const CR_4: u32 = 4;

/** Forget every translation the CPU has cached, global ones included. */
function flushAllTranslations(): void {
  tlbFlushAll(false);
  invalidateFetch();
}

/**
 * Load CR0 (MOV CR0, LMSW, CLTS). Raises #GP(0) for PG without PE and for
 * NW without CD (SDM Vol. 2B "MOV—Move to/from Control Registers"). Bits
 * 6-15, 17 and 19-28 are reserved: in 32-bit mode the SDM lists no #GP for
 * them (only bits 63:32 in 64-bit mode), so they are ignored and read as 0,
 * as KVM does. ET is hardwired to 1 on P6. A change of PE takes effect at
 * the next fetch with the CS cache as it is (SDM Vol. 3A §9.9.1).
 * Returns false when it raised #GP.
 */
export function writeCr0(value: u32): bool {
  const v = (value & CR0_IMPLEMENTED) | CR0_ET;
  if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) {
    raiseGP(0);
    return false;
  }
  if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) {
    raiseGP(0);
    return false;
  }
  const old = cr0();
  store<u32>(CPU_STATE + OFF_CR0, v);
  if (((old ^ v) & CR0_PAGING_BITS) != 0) flushAllTranslations();
  return true;
}

function writeCr3(v: u32): void {
  store<u32>(CPU_STATE + OFF_CR3, v);
  // Global pages survive a CR3 load when CR4.PGE is set (SDM Vol. 3A §4.10.4.1).
  // With PAE the PDPTEs are read by the walker, not cached here.
  tlbFlushAll((cr4() & CR4_PGE) != 0);
  invalidateFetch();
}

function writeCr4(v: u32): bool {
  if ((v & ~CR4_IMPLEMENTED) != 0) {
    raiseGP(0);
    return false;
  }
  const old = cr4();
  store<u32>(CPU_STATE + OFF_CR4, v);
  if (((old ^ v) & CR4_PAGING_BITS) != 0) flushAllTranslations();
  return true;
}

/**
 * MOV r32, CRn and MOV CRn, r32 ignore ModRM.mod: the operand is always a
 * register (SDM Vol. 2B "MOV—Move to/from Control Registers"). The generic
 * decoder took a mod != 3 form as a memory operand and consumed SIB and
 * displacement bytes that belong to the next instruction: step back to just
 * after the ModRM byte.
 */
function ignoreModForRegisterForm(): void {
  if (modIsReg) return;
  let p = instrEip;
  for (;;) {
    const b = fetchCode8(p);
    if (b == 0x0f) break;
    p++;
  }
  // 0F, the second opcode byte, ModRM.
  setNextEip(p + 3);
}

/** MOV r32, CRn (0F 20). */
export function movFromCr(): void {
  ignoreModForRegisterForm();
  if (privilegeFault()) return;
  let v: u32;
  switch (modReg) {
    case CR_0: v = cr0(); break;
    case CR_2: v = cr2(); break;
    case CR_3: v = cr3(); break;
    case CR_4: v = cr4(); break;
    default:
      raiseUD();
      return;
  }
  setReg32(modRm, v);
}

/** MOV CRn, r32 (0F 22). */
export function movToCr(): void {
  ignoreModForRegisterForm();
  if (modReg != CR_0 && modReg != CR_2 && modReg != CR_3 && modReg != CR_4) {
    raiseUD();
    return;
  }
  if (privilegeFault()) return;
  const v = reg32(modRm);
  switch (modReg) {
    case CR_0: writeCr0(v); break;
    case CR_2: store<u32>(CPU_STATE + OFF_CR2, v); break;
    case CR_3: writeCr3(v); break;
    default: writeCr4(v); break;
  }
}

/** LMSW r/m16: loads PE, MP, EM and TS; it can set PE but never clear it. */
export function lmsw(): void {
  if (privilegeFault()) return;
  const src = readE(16);
  if (faulted) return;
  const low = CR0_PE | CR0_MP | CR0_EM | CR0_TS;
  const old = cr0();
  writeCr0((old & ~low) | (src & low) | (old & CR0_PE));
}

/**
 * SMSW r/m: the low 16 bits of CR0 to memory; a 32-bit register receives all
 * of CR0 (P6 behaviour; the SDM calls bits 31:16 undefined).
 */
export function smsw(size: u32): void {
  const v = cr0();
  if (modIsReg) {
    if (size == 32) setReg32(modRm, v);
    else setReg16(modRm, v);
    return;
  }
  writeMem16(eaSeg, eaOff, v & 0xffff);
}

/** CLTS: clear CR0.TS. */
export function clts(): void {
  if (privilegeFault()) return;
  store<u32>(CPU_STATE + OFF_CR0, cr0() & ~CR0_TS);
}

/** INVD and WBINVD: no caches are modelled, so only the privilege check remains. */
export function invd(): void {
  privilegeFault();
}

/** Large pages (PSE 4 MiB, PAE 2 MiB) fill the TLB per 4 KiB page; INVLPG drops the whole 4 MiB region then. */
const LARGE_PAGE_REGION_PAGES: u32 = 1024;

/**
 * INVLPG m: forget the translation of the page holding the operand's linear
 * address (no segment limit check: nothing is accessed).
 */
export function invlpg(): void {
  if (privilegeFault()) return;
  const lin = segBase(eaSeg) + eaOff;
  if ((cr4() & (CR4_PSE | CR4_PAE)) != 0) {
    // The entry may come from a large page whose other 4 KiB pieces are in the TLB too.
    const first = lin & 0xffc00000;
    for (let i: u32 = 0; i < LARGE_PAGE_REGION_PAGES; i++) tlbFlushPage(first + (i << 12));
  } else {
    tlbFlushPage(lin);
  }
  invalidateFetch();
}

// ---------- descriptor-table registers ----------

/** Offset of the base field in the 6-byte pseudo-descriptor, wrapped to the address size. */
@inline function pseudoDescriptorBaseOffset(): u32 {
  return addr32 ? eaOff + 2 : (eaOff + 2) & 0xffff;
}

/**
 * SGDT/SIDT: limit (16 bits) then base (32 bits). With a 16-bit operand
 * size P6 stores only 24 base bits and zeroes the sixth byte (SDM Vol. 2B
 * "SGDT", IA-32 architecture compatibility).
 */
function storeTableRegister(baseOff: u32, limitOff: u32, size: u32): void {
  const baseAt = pseudoDescriptorBaseOffset();
  if (!probeWriteMem(eaSeg, eaOff, 2)) return;
  if (!probeWriteMem(eaSeg, baseAt, 4)) return;
  let base = load<u32>(CPU_STATE + baseOff);
  if (size == 16) base &= 0x00ffffff;
  writeMem16(eaSeg, eaOff, load<u32>(CPU_STATE + limitOff) & 0xffff);
  writeMem32(eaSeg, baseAt, base);
}

/** LGDT/LIDT: a 16-bit operand size loads a 24-bit base (SDM Vol. 2A "LGDT/LIDT"). */
function loadTableRegister(baseOff: u32, limitOff: u32, size: u32): void {
  if (privilegeFault()) return;
  const limit = readMem16(eaSeg, eaOff);
  if (faulted) return;
  let base = readMem32(eaSeg, pseudoDescriptorBaseOffset());
  if (faulted) return;
  if (size == 16) base &= 0x00ffffff;
  store<u32>(CPU_STATE + limitOff, limit);
  store<u32>(CPU_STATE + baseOff, base);
}

export function sgdt(size: u32): void {
  storeTableRegister(OFF_GDTR_BASE, OFF_GDTR_LIMIT, size);
}
export function sidt(size: u32): void {
  storeTableRegister(OFF_IDTR_BASE, OFF_IDTR_LIMIT, size);
}
export function lgdt(size: u32): void {
  loadTableRegister(OFF_GDTR_BASE, OFF_GDTR_LIMIT, size);
}
export function lidt(size: u32): void {
  loadTableRegister(OFF_IDTR_BASE, OFF_IDTR_LIMIT, size);
}

// ---------- debug registers ----------

/**
 * The checks MOV DRn makes before anything else (SDM Vol. 2B "MOV—Move
 * to/from Debug Registers"): privilege, DR4/DR5 (aliases of DR6/DR7 since
 * CR4.DE is always clear here), general detect. Returns the register
 * actually meant, or -1 after raising an exception.
 */
function debugRegisterAccess(): i32 {
  if (privilegeFault()) return -1;
  let n = modReg;
  // DR4/DR5 would be #UD with CR4.DE set; this CPU never sets DE.
  if ((cr4() & CR4_DE) != 0 && (n == 4 || n == 5)) {
    raiseUD();
    return -1;
  }
  if (n == 4 || n == 5) n += 2;
  if ((dr(7) & DR7_GD) != 0) {
    // General detect: #DB (a fault) with DR6.BD; the processor clears GD so
    // the handler can use the debug registers (SDM Vol. 3B §17.2.4).
    setDr(6, dr(6) | DR6_BD | DR6_FIXED_ONES);
    setDr(7, dr(7) & ~DR7_GD);
    raiseFault(EXC_DB);
    return -1;
  }
  return <i32>n;
}

/** MOV r32, DRn (0F 21). */
export function movFromDr(): void {
  ignoreModForRegisterForm();
  const n = debugRegisterAccess();
  if (n < 0) return;
  setReg32(modRm, dr(<u32>n));
}

/** MOV DRn, r32 (0F 23). */
export function movToDr(): void {
  ignoreModForRegisterForm();
  const n = debugRegisterAccess();
  if (n < 0) return;
  const v = reg32(modRm);
  const wasArmed = dataBreakpointsArmed;
  if (n < 4) setDr(<u32>n, v);
  else if (n == 6) setDr(6, (v & DR6_WRITABLE) | DR6_FIXED_ONES);
  else setDr(7, (v & DR7_WRITABLE) | DR7_FIXED_ONES);
  updateDebugChecks();
  // Pages holding data breakpoints must leave (or return to) the TLB fast path.
  if (wasArmed || dataBreakpointsArmed) flushAllTranslations();
}

// ---------- HLT, UD2 ----------

/** HLT: stop until an interrupt (run() returns STOP_IDLE until one is deliverable). */
export function hlt(): void {
  if (privilegeFault()) return;
  enterHalt();
}

export function ud2(): void {
  raiseUD();
}

// ---------- CPUID ----------

const CPUID_MAX_BASIC: u32 = 1;
const CPUID_EXT_BASE: u32 = 0x80000000;
const CPUID_MAX_EXT: u32 = 0x80000004;
const CPUID_BRAND_FIRST: u32 = 0x80000002;
// "GenuineIntel" as EBX, EDX, ECX.
const VENDOR_EBX: u32 = 0x756e6547; // "Genu"
const VENDOR_EDX: u32 = 0x49656e69; // "ineI"
const VENDOR_ECX: u32 = 0x6c65746e; // "ntel"
/** The processor brand string (leaves 80000002h-80000004h: 48 bytes, NUL-padded). */
const BRAND = 'tabvm P6-class CPU';

/** Four bytes of the brand string starting at byte `at`, little-endian. */
function brandDword(at: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const k = <i32>(at + i);
    const c: u32 = k < BRAND.length ? <u32>BRAND.charCodeAt(k) : 0;
    v |= c << (i << 3);
  }
  return v;
}

function setCpuidResult(a: u32, b: u32, c: u32, d: u32): void {
  setReg32(REG_EAX, a);
  setReg32(REG_EBX, b);
  setReg32(REG_ECX, c);
  setReg32(REG_EDX, d);
}

/** CPUID (SDM Vol. 2A "CPUID"): exactly the features identity.ts advertises. */
export function cpuid(): void {
  let leaf = reg32(REG_EAX);
  // Leaves beyond the highest one return the highest basic leaf, as Intel CPUs do.
  if (leaf >= CPUID_EXT_BASE ? leaf > CPUID_MAX_EXT : leaf > CPUID_MAX_BASIC) leaf = CPUID_MAX_BASIC;
  switch (leaf) {
    case 0:
      setCpuidResult(CPUID_MAX_BASIC, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX);
      break;
    case 1:
      setCpuidResult(CPU_SIGNATURE, 0, CPUID1_ECX, CPUID1_EDX);
      break;
    case CPUID_EXT_BASE:
      setCpuidResult(CPUID_MAX_EXT, 0, 0, 0);
      break;
    case CPUID_EXT_BASE + 1:
      setCpuidResult(0, 0, 0, CPUID_EXT1_EDX_NX);
      break;
    default: {
      const at = (leaf - CPUID_BRAND_FIRST) << 4;
      setCpuidResult(brandDword(at), brandDword(at + 4), brandDword(at + 8), brandDword(at + 12));
    }
  }
}

// ---------- time-stamp counter ----------

/**
 * The TSC runs at TSC_TICKS_PER_NS ticks per nanosecond of the machine's
 * virtual clock (core-as/machine/clock.ts), so it agrees with the PIT, RTC and
 * APIC timer a guest calibrates it against, in both clock modes. OFF_TSC
 * holds the offset: TSC = OFF_TSC + clock ns × TSC_TICKS_PER_NS (WRMSR 10h
 * rewrites the offset).
 */
export const TSC_TICKS_PER_NS: u64 = 1;

function readTsc(): u64 {
  return load<u64>(CPU_STATE + OFF_TSC) + clockNow() * TSC_TICKS_PER_NS;
}
function writeTsc(v: u64): void {
  store<u64>(CPU_STATE + OFF_TSC, v - clockNow() * TSC_TICKS_PER_NS);
}

/** RDTSC: #GP(0) when CR4.TSD is set outside CPL 0. */
export function rdtsc(): void {
  if ((cr4() & CR4_TSD) != 0 && effectiveCpl() != 0) {
    raiseGP(0);
    return;
  }
  const t = readTsc();
  setReg32(REG_EAX, <u32>t);
  setReg32(REG_EDX, <u32>(t >> 32));
}

/** RDPMC: #GP(0) outside CPL 0 unless CR4.PCE; P6 has counters 0 and 1, which read 0 here. */
export function rdpmc(): void {
  if ((cr4() & CR4_PCE) == 0 && effectiveCpl() != 0) {
    raiseGP(0);
    return;
  }
  if (reg32(REG_ECX) > 1) {
    raiseGP(0);
    return;
  }
  setReg32(REG_EAX, 0);
  setReg32(REG_EDX, 0);
}

// ---------- model-specific registers ----------

export const MSR_TSC: u32 = 0x10;
/** IA32_APIC_BASE (SDM Vol. 3A §10.4.4): the local APIC's page, BSP flag, global enable. */
export const MSR_APIC_BASE: u32 = 0x1b;
/** IA32_BIOS_SIGN_ID (8Bh): the microcode revision; Linux writes 0 then reads it on every Intel family 6 CPU. */
export const MSR_BIOS_SIGN_ID: u32 = 0x8b;
export const MSR_SYSENTER_CS: u32 = 0x174;
export const MSR_SYSENTER_ESP: u32 = 0x175;
export const MSR_SYSENTER_EIP: u32 = 0x176;
export const MSR_EFER: u32 = 0xc0000080;
/** EFER bits software may set: only NXE (no SYSCALL, no long mode). */
const EFER_WRITABLE: u32 = EFER_NXE;

/** RDMSR: EDX:EAX = MSR[ECX]; unknown MSRs raise #GP(0). */
export function rdmsr(): void {
  if (privilegeFault()) return;
  let lo: u32 = 0;
  let hi: u32 = 0;
  switch (reg32(REG_ECX)) {
    case MSR_TSC: {
      const t = readTsc();
      lo = <u32>t;
      hi = <u32>(t >> 32);
      break;
    }
    case MSR_BIOS_SIGN_ID: break; // no microcode update loaded
    case MSR_APIC_BASE: lo = lapicGetBase(); break;
    case MSR_SYSENTER_CS: lo = load<u32>(CPU_STATE + OFF_SYSENTER_CS); break;
    case MSR_SYSENTER_ESP: lo = load<u32>(CPU_STATE + OFF_SYSENTER_ESP); break;
    case MSR_SYSENTER_EIP: lo = load<u32>(CPU_STATE + OFF_SYSENTER_EIP); break;
    case MSR_EFER: lo = efer(); break;
    default:
      raiseGP(0);
      return;
  }
  setReg32(REG_EAX, lo);
  setReg32(REG_EDX, hi);
}

/** WRMSR: MSR[ECX] = EDX:EAX; reserved bits and unknown MSRs raise #GP(0). */
export function wrmsr(): void {
  if (privilegeFault()) return;
  const lo = reg32(REG_EAX);
  const hi = reg32(REG_EDX);
  switch (reg32(REG_ECX)) {
    case MSR_TSC:
      // P6 writes only the low 32 bits and clears the high ones (SDM Vol. 3B §18.17).
      writeTsc(<u64>lo);
      break;
    case MSR_BIOS_SIGN_ID: break; // writing 0 prepares the revision read; nothing to keep
    case MSR_APIC_BASE:
      // Physical addresses are 32 bits here: bits 63:32 are reserved, as are 0-7, 9 and 10 (x2APIC).
      if ((lo & ~APIC_BASE_WRITABLE) != 0 || hi != 0) {
        raiseGP(0);
        return;
      }
      lapicSetBase(lo);
      break;
    case MSR_SYSENTER_CS: store<u32>(CPU_STATE + OFF_SYSENTER_CS, lo & 0xffff); break;
    case MSR_SYSENTER_ESP: store<u32>(CPU_STATE + OFF_SYSENTER_ESP, lo); break;
    case MSR_SYSENTER_EIP: store<u32>(CPU_STATE + OFF_SYSENTER_EIP, lo); break;
    case MSR_EFER: {
      if ((lo & ~EFER_WRITABLE) != 0 || hi != 0) {
        raiseGP(0);
        return;
      }
      const old = efer();
      store<u32>(CPU_STATE + OFF_EFER, lo);
      if (((old ^ lo) & EFER_NXE) != 0) flushAllTranslations();
      break;
    }
    default:
      raiseGP(0);
  }
}

// ---------- SYSENTER / SYSEXIT ----------

/** Flat 4 GiB code segment (type 11: execute/read, accessed) and data segment (type 3: read/write, accessed). */
const SYSENTER_CODE_ATTR: u32 = ATTR_P | ATTR_S | ATTR_CODE | ATTR_RW | ATTR_ACCESSED | ATTR_DB | ATTR_G;
const SYSENTER_DATA_ATTR: u32 = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED | ATTR_DB | ATTR_G;
const FLAT_LIMIT: u32 = 0xffffffff;
const SELECTOR_RPL_MASK: u32 = 3;
const USER_DPL: u32 = 3 << ATTR_DPL_SHIFT;

/** SYSENTER_CS[15:2] = 0 makes SYSENTER and SYSEXIT #GP(0). */
@inline function sysenterCsUsable(): bool {
  return (load<u32>(CPU_STATE + OFF_SYSENTER_CS) & 0xfffc) != 0;
}

/**
 * SYSENTER (SDM Vol. 2B "SYSENTER"): to CPL 0 with flat CS/SS computed from
 * SYSENTER_CS, ESP and EIP from their MSRs; clears VM, IF and RF.
 */
export function sysenter(): void {
  if (realMode() || !sysenterCsUsable()) {
    raiseGP(0);
    return;
  }
  const cs = load<u32>(CPU_STATE + OFF_SYSENTER_CS) & 0xfffc;
  setSysFlag(FLAG_VM, false);
  setSysFlag(FLAG_IF, false);
  setSysFlag(FLAG_RF, false);
  loadSegmentCache(SEG_CS, cs, 0, FLAT_LIMIT, SYSENTER_CODE_ATTR);
  loadSegmentCache(SEG_SS, cs + 8, 0, FLAT_LIMIT, SYSENTER_DATA_ATTR);
  setCpl(0);
  setReg32(REG_ESP, load<u32>(CPU_STATE + OFF_SYSENTER_ESP));
  setNextEip(load<u32>(CPU_STATE + OFF_SYSENTER_EIP));
  invalidateFetch();
}

/**
 * SYSEXIT (SDM Vol. 2B "SYSEXIT"): from CPL 0 to CPL 3 with flat CS =
 * SYSENTER_CS + 16, SS = SYSENTER_CS + 24 (RPL 3), ESP = ECX, EIP = EDX.
 */
export function sysexit(): void {
  if (realMode() || !sysenterCsUsable() || effectiveCpl() != 0) {
    raiseGP(0);
    return;
  }
  const cs = load<u32>(CPU_STATE + OFF_SYSENTER_CS) & 0xffff;
  loadSegmentCache(SEG_CS, (cs + 16) | SELECTOR_RPL_MASK, 0, FLAT_LIMIT, SYSENTER_CODE_ATTR | USER_DPL);
  loadSegmentCache(SEG_SS, (cs + 24) | SELECTOR_RPL_MASK, 0, FLAT_LIMIT, SYSENTER_DATA_ATTR | USER_DPL);
  setCpl(3);
  setReg32(REG_ESP, reg32(REG_ECX));
  setNextEip(reg32(REG_EDX));
  invalidateFetch();
}
