// Segment descriptors and segment-register loads (SDM Vol. 3A ch. 3 and 5;
// the MOV/POP/LDS pseudo-code of Vol. 2).
//
// Exported for the other families (SLDT/STR/LLDT/LTR/LAR/LSL/VERR/VERW in
// ops/system-descriptors.ts, the far transfers of ops/far.ts, tasks.ts,
// interrupts.ts):
//
//   readDescriptor(selector): bool   read the GDT/LDT entry into descLo/descHi
//                                    (descAddr = its linear address); false when
//                                    the selector is outside the table (no fault
//                                    raised) or when the read faulted (#PF set)
//   descLo, descHi, descAddr         the last descriptor read
//   descriptorBase/Limit/Attr(lo,hi) decode a descriptor (Attr in the SEG_ATTR layout)
//   isCodeDescriptor, isReadableSegment, isTssType, descriptorAccessible, ...
//                                    the type and privilege predicates
//   setAccessedBit(addr, hi)         mark a code/data descriptor accessed
//   loadSegment(seg, selector)       MOV/POP/LxS to ES/SS/DS/FS/GS in every mode,
//                                    with all protected-mode checks and faults
//   loadV86Segment(seg, selector)    virtual-8086 segment load (base = sel << 4)
//   loadCodeSegment(sel, lo, hi, cpl) commit a checked CS descriptor and the CPL
//   loadTaskRegister(selector)       LTR's descriptor part (checks, busy bit)
//   loadLdtRegister(selector)        LLDT's descriptor part (checks)
//   protectedMode(), v86Mode()       the current operating mode
//
// The instruction handlers do the mode/CPL checks of LTR/LLDT themselves
// (#UD outside protected mode, #GP(0) at CPL > 0).

import { CPU_STATE } from '../../machine/layout';
import {
  SEG_SS, SEG_CS, SEG_LDTR, SEG_TR, OFF_GDTR_BASE, OFF_GDTR_LIMIT, OFF_EFLAGS, FLAG_VM, CR0_PE,
  ATTR_S, ATTR_CODE, ATTR_RW, ATTR_DC, ATTR_P, ATTR_ACCESSED, ATTR_DPL_SHIFT, ATTR_G,
  cr0, cpl, setCpl, segSel, segBase, segLimit, segAttr,
  loadSegmentCache, loadNullSegment, loadRealSegment,
} from '../state';
import { readSys32, writeSys8, invalidateFetch } from '../memory';
import { faulted, raiseGP, raiseSS, raiseNP } from '../fault';

// ---- selectors (SDM Vol. 3A §3.4.2) ----
export const SEL_RPL_MASK: u32 = 3;
export const SEL_TI: u32 = 4;
/** Selector bits that make up an error code (index and TI; RPL replaced by EXT/IDT). */
export const SEL_ERROR_MASK: u32 = 0xfffc;
/** Error-code bit: the fault happened while delivering an external event or exception. */
export const ERR_EXT: u32 = 1;
/** Error-code bit: the index refers to the IDT. */
export const ERR_IDT: u32 = 2;

// ---- descriptor fields (SDM Vol. 3A §3.4.5, §3.5) ----
/** Bit 8 of the high word: the accessed bit of code/data, the busy bit of a TSS (bit 9). */
const DESC_HI_ACCESSED: u32 = 1 << 8;
export const DESC_HI_TSS_BUSY: u32 = 1 << 9;
export const DESC_HI_PRESENT: u32 = 1 << 15;
/** SEG_ATTR value from a descriptor's high word: bits 40..55 of the descriptor. */
const DESC_ATTR_MASK: u32 = 0xf0ff;

// System descriptor types (S = 0), with the S bit as bit 4 (SDM Vol. 3A Table 3-2).
export const SYS_TSS16_AVAIL: u32 = 0x1;
export const SYS_LDT: u32 = 0x2;
export const SYS_TSS16_BUSY: u32 = 0x3;
export const SYS_CALL_GATE16: u32 = 0x4;
export const SYS_TASK_GATE: u32 = 0x5;
export const SYS_INT_GATE16: u32 = 0x6;
export const SYS_TRAP_GATE16: u32 = 0x7;
export const SYS_TSS32_AVAIL: u32 = 0x9;
export const SYS_TSS32_BUSY: u32 = 0xb;
export const SYS_CALL_GATE32: u32 = 0xc;
export const SYS_INT_GATE32: u32 = 0xe;
export const SYS_TRAP_GATE32: u32 = 0xf;
/** Type bit 3 of a TSS or gate: the 32-bit form. */
export const SYS_TYPE_32: u32 = 0x8;
/** Type bit 1 of a TSS: busy. */
export const SYS_TSS_BUSY_BIT: u32 = 0x2;

/** Attributes of every virtual-8086-mode segment: present, writable data, DPL 3 (SDM Vol. 3A §20.1.1). */
export const ATTR_V86: u32 = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED | (3 << ATTR_DPL_SHIFT);
const V86_LIMIT: u32 = 0xffff;

// ---- the last descriptor read ----
export let descLo: u32 = 0;
export let descHi: u32 = 0;
export let descAddr: u32 = 0;

@inline export function protectedMode(): bool {
  return (cr0() & CR0_PE) != 0;
}
@inline export function v86Mode(): bool {
  return (load<u32>(CPU_STATE + OFF_EFLAGS) & FLAG_VM) != 0;
}

@inline export function isNullSelector(sel: u32): bool {
  return (sel & SEL_ERROR_MASK) == 0;
}
@inline export function selectorError(sel: u32): u32 {
  return sel & SEL_ERROR_MASK;
}

@inline export function descriptorBase(lo: u32, hi: u32): u32 {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
}
/** Byte-granular limit: the 20-bit field, scaled by 4 KiB when G is set. */
@inline export function descriptorLimit(lo: u32, hi: u32): u32 {
  const raw = (lo & 0xffff) | (hi & 0x000f0000);
  return (hi & (ATTR_G << 8)) != 0 ? (raw << 12) | 0xfff : raw;
}
@inline export function descriptorAttr(hi: u32): u32 {
  return (hi >>> 8) & DESC_ATTR_MASK;
}
@inline export function descriptorDpl(hi: u32): u32 {
  return (hi >>> (8 + ATTR_DPL_SHIFT)) & 3;
}
/** Type with the S bit (0x10 for code/data): the gate and TSS numbers above when S = 0. */
@inline export function descriptorType(hi: u32): u32 {
  return (hi >>> 8) & 0x1f;
}
@inline export function descriptorPresent(hi: u32): bool {
  return (hi & DESC_HI_PRESENT) != 0;
}
@inline export function isCodeDescriptor(hi: u32): bool {
  return (descriptorAttr(hi) & (ATTR_S | ATTR_CODE)) == (ATTR_S | ATTR_CODE);
}
@inline export function isConformingCode(hi: u32): bool {
  return (descriptorAttr(hi) & (ATTR_S | ATTR_CODE | ATTR_DC)) == (ATTR_S | ATTR_CODE | ATTR_DC);
}
@inline export function isWritableData(hi: u32): bool {
  return (descriptorAttr(hi) & (ATTR_S | ATTR_CODE | ATTR_RW)) == (ATTR_S | ATTR_RW);
}
/** A code or data segment (S = 1) rather than a system descriptor (TSS, LDT, gate). */
@inline export function isSegmentDescriptor(hi: u32): bool {
  return (descriptorAttr(hi) & ATTR_S) != 0;
}
/** Data, or code with R set: what MOV to DS/ES/FS/GS accepts and VERR reports (SDM Vol. 2B "MOV", "VERR"). */
@inline export function isReadableSegment(hi: u32): bool {
  const attr = descriptorAttr(hi);
  return (attr & ATTR_S) != 0 && (attr & (ATTR_CODE | ATTR_RW)) != ATTR_CODE;
}
/** A 16- or 32-bit TSS that is not busy (a `descriptorType` value). */
@inline export function isAvailableTss(type: u32): bool {
  return type == SYS_TSS16_AVAIL || type == SYS_TSS32_AVAIL;
}
/** Any 16- or 32-bit TSS, available or busy (a `descriptorType` value). */
@inline export function isTssType(type: u32): bool {
  return isAvailableTss(type) || type == SYS_TSS16_BUSY || type == SYS_TSS32_BUSY;
}
/**
 * The privilege rule for a descriptor used other than as the target of a code
 * transfer (data-segment loads, LAR/LSL/VERR/VERW, gates and TSSs named by
 * JMP/CALL): DPL >= CPL and DPL >= RPL, waived for conforming code (SDM Vol.
 * 3A §5.6, §5.8.4; Vol. 2A "LAR" Operation).
 */
@inline export function descriptorAccessible(hi: u32, rpl: u32, current: u32): bool {
  if (isConformingCode(hi)) return true;
  const dpl = descriptorDpl(hi);
  return dpl >= current && dpl >= rpl;
}

/**
 * Read the descriptor `selector` names from the GDT or the LDT (implicit
 * supervisor reads). False when the entry lies outside the table (the caller
 * raises its own #GP/#TS with the selector) or when the read faulted.
 */
export function readDescriptor(selector: u32): bool {
  let base: u32;
  let limit: u32;
  if ((selector & SEL_TI) != 0) {
    // A null or unusable LDTR makes every LDT reference invalid.
    if (isNullSelector(segSel(SEG_LDTR)) || (segAttr(SEG_LDTR) & ATTR_P) == 0) return false;
    base = segBase(SEG_LDTR);
    limit = segLimit(SEG_LDTR);
  } else {
    base = load<u32>(CPU_STATE + OFF_GDTR_BASE);
    limit = load<u32>(CPU_STATE + OFF_GDTR_LIMIT);
  }
  const index = selector & 0xfff8;
  if (index + 7 > limit) return false;
  const addr = base + index;
  const lo = readSys32(addr);
  if (faulted) return false;
  const hi = readSys32(addr + 4);
  if (faulted) return false;
  descLo = lo;
  descHi = hi;
  descAddr = addr;
  return true;
}

/**
 * readDescriptor for a selector the instruction requires to be in its table:
 * #GP(selector | ext) when it is outside. False after any fault.
 */
export function readDescriptorOrGP(selector: u32, ext: u32): bool {
  if (readDescriptor(selector)) return true;
  if (!faulted) raiseGP(selectorError(selector) | ext);
  return false;
}

/** The same for a selector that must not be null either: #GP(ext) when it is (far transfers, gates). */
export function readNonNullDescriptor(selector: u32, ext: u32): bool {
  if (isNullSelector(selector)) {
    raiseGP(ext);
    return false;
  }
  return readDescriptorOrGP(selector, ext);
}

/** The same for a selector that must name a GDT entry (TSS, LDT): #GP(selector | ext) for TI = 1. */
export function readGdtDescriptorOrGP(selector: u32, ext: u32): bool {
  if ((selector & SEL_TI) != 0) {
    raiseGP(selectorError(selector) | ext);
    return false;
  }
  return readDescriptorOrGP(selector, ext);
}

/** A descriptor that must be present: #NP(selector | ext) when it is not. */
export function requirePresent(selector: u32, hi: u32, ext: u32): bool {
  if (descriptorPresent(hi)) return true;
  raiseNP(selectorError(selector) | ext);
  return false;
}

/** Set the accessed bit of the code/data descriptor at `addr` (SDM Vol. 3A §3.4.5.1). */
export function setAccessedBit(addr: u32, hi: u32): void {
  if ((hi & DESC_HI_ACCESSED) != 0) return;
  writeSys8(addr + 5, ((hi | DESC_HI_ACCESSED) >>> 8) & 0xff);
}

/** Virtual-8086 segment: base = selector × 16, 64 KiB limit, DPL-3 writable data. */
export function loadV86Segment(seg: u32, selector: u32): void {
  const sel = selector & 0xffff;
  loadSegmentCache(seg, sel, sel << 4, V86_LIMIT, ATTR_V86);
}

/**
 * Commit a code-segment descriptor (checked by the caller) to CS with RPL =
 * `newCpl`, and switch to that privilege level.
 */
export function loadCodeSegment(selector: u32, lo: u32, hi: u32, newCpl: u32): void {
  loadSegmentCache(SEG_CS, (selector & SEL_ERROR_MASK) | newCpl, descriptorBase(lo, hi), descriptorLimit(lo, hi), descriptorAttr(hi) | ATTR_ACCESSED);
  setCpl(newCpl);
  invalidateFetch();
}

/** Load a checked descriptor into a data/stack segment register. */
export function commitDataSegment(seg: u32, selector: u32, lo: u32, hi: u32): void {
  loadSegmentCache(seg, selector, descriptorBase(lo, hi), descriptorLimit(lo, hi), descriptorAttr(hi) | ATTR_ACCESSED);
}

/**
 * MOV/POP/LDS/LES/LFS/LGS/LSS: load ES, SS, DS, FS or GS (never CS) with the
 * checks of the current mode. Raises #GP/#SS/#NP and leaves the register
 * unchanged on failure.
 */
export function loadSegment(seg: u32, selector: u32): void {
  const sel = selector & 0xffff;
  if (!protectedMode()) {
    loadRealSegment(seg, sel);
    return;
  }
  if (v86Mode()) {
    loadV86Segment(seg, sel);
    return;
  }
  loadProtectedSegment(seg, sel);
}

/** The protected-mode checks of MOV Sreg (SDM Vol. 2B "MOV—Move", Operation). */
function loadProtectedSegment(seg: u32, sel: u32): void {
  const current = cpl();
  if (isNullSelector(sel)) {
    // A null selector is legal in a data segment register (any access through it
    // then faults), never in SS outside 64-bit mode.
    if (seg == SEG_SS) {
      raiseGP(0);
      return;
    }
    loadNullSegment(seg, sel);
    return;
  }
  if (!readDescriptorOrGP(sel, 0)) return;
  const lo = descLo;
  const hi = descHi;
  const addr = descAddr;
  const dpl = descriptorDpl(hi);
  const rpl = sel & SEL_RPL_MASK;
  if (seg == SEG_SS) {
    if (!isWritableData(hi) || rpl != current || dpl != current) {
      raiseGP(selectorError(sel));
      return;
    }
    if (!descriptorPresent(hi)) {
      raiseSS(selectorError(sel));
      return;
    }
  } else {
    // Data or readable code; data and non-conforming code also need DPL >= max(CPL, RPL).
    if (!isReadableSegment(hi)) {
      raiseGP(selectorError(sel));
      return;
    }
    if (!descriptorAccessible(hi, rpl, current)) {
      raiseGP(selectorError(sel));
      return;
    }
    if (!requirePresent(sel, hi, 0)) return;
  }
  setAccessedBit(addr, hi);
  if (faulted) return;
  commitDataSegment(seg, sel, lo, hi);
}

/**
 * LTR's descriptor part (SDM Vol. 2A "LTR"): the selector must name an
 * available TSS in the GDT; the TSS is marked busy.
 */
export function loadTaskRegister(selector: u32): void {
  const sel = selector & 0xffff;
  if (isNullSelector(sel)) {
    raiseGP(0);
    return;
  }
  if (!readGdtDescriptorOrGP(sel, 0)) return;
  const hi = descHi;
  if (!isAvailableTss(descriptorType(hi))) {
    raiseGP(selectorError(sel));
    return;
  }
  if (!requirePresent(sel, hi, 0)) return;
  writeSys8(descAddr + 5, ((hi | DESC_HI_TSS_BUSY) >>> 8) & 0xff);
  if (faulted) return;
  loadSegmentCache(SEG_TR, sel, descriptorBase(descLo, hi), descriptorLimit(descLo, hi), descriptorAttr(hi) | SYS_TSS_BUSY_BIT);
}

/**
 * LLDT's descriptor part (SDM Vol. 2A "LLDT"): a null selector leaves the
 * LDTR unusable; otherwise an LDT descriptor in the GDT.
 */
export function loadLdtRegister(selector: u32): void {
  const sel = selector & 0xffff;
  if (isNullSelector(sel)) {
    loadNullSegment(SEG_LDTR, sel);
    return;
  }
  if (!readGdtDescriptorOrGP(sel, 0)) return;
  const hi = descHi;
  if (descriptorType(hi) != SYS_LDT) {
    raiseGP(selectorError(sel));
    return;
  }
  if (!requirePresent(sel, hi, 0)) return;
  loadSegmentCache(SEG_LDTR, sel, descriptorBase(descLo, hi), descriptorLimit(descLo, hi), descriptorAttr(hi));
}
