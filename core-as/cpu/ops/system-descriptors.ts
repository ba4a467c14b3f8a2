// System instructions that read segment descriptors: SLDT, STR, LLDT, LTR,
// LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2A/2B, each instruction's page;
// descriptor formats: Vol. 3A §3.4.5, §3.5, §7.2.2).
//
// These have their own small descriptor reader (GDT or LDT per the selector's
// TI bit, bounds-checked against GDTR/the LDTR cache) so this family does not
// wait for protected/descriptors.ts; the lead may later fold it onto the
// shared descriptor code. All are #UD in real and virtual-8086 mode.

import { CPU_STATE } from '../../machine/layout';
import {
  cr0, cpl, segSel, segBase, segLimit, segAttr, loadSegmentCache, loadNullSegment, setRegSized,
  SEG_LDTR, SEG_TR, OFF_GDTR_BASE, OFF_GDTR_LIMIT, CR0_PE, FLAG_VM, FLAG_ZF,
  ATTR_P, ATTR_S, ATTR_CODE, ATTR_RW, ATTR_DC, ATTR_G, ATTR_TYPE_MASK, ATTR_DPL_SHIFT,
} from '../state';
import { sysFlag, setArithFlags } from '../flags';
import { faulted, raiseUD, raiseGP, raiseNP } from '../fault';
import { modIsReg, modRm, eaSeg, eaOff } from '../decode';
import { readE, writeG, readEForWrite, writeEBack, readG } from '../operands';
import { readSys32, writeSys32, writeMem16 } from '../memory';

// System descriptor types (S = 0; SDM Vol. 3A Table 3-2).
const SYS_TSS16_AVAILABLE: u32 = 1;
const SYS_LDT: u32 = 2;
const SYS_TSS16_BUSY: u32 = 3;
const SYS_CALL_GATE16: u32 = 4;
const SYS_TASK_GATE: u32 = 5;
const SYS_TSS32_AVAILABLE: u32 = 9;
const SYS_TSS32_BUSY: u32 = 11;
const SYS_CALL_GATE32: u32 = 12;
/** The TSS busy flag: bit 1 of the type (bit 41 of the descriptor). */
const TSS_BUSY_BIT: u32 = 2;
const DESC_HI_TYPE_SHIFT: u32 = 8;

const SELECTOR_TI: u32 = 4;
const SELECTOR_RPL: u32 = 3;
const SELECTOR_INDEX_MASK: u32 = 0xfff8;
/** A selector's error-code form: index and TI, RPL bits cleared (SDM Vol. 3A §6.13). */
const SELECTOR_ERROR_MASK: u32 = 0xfffc;
/** LAR's result mask: type, S, DPL, P, AVL, D/B, G (bits 19:16, limit, read as 0; SDM "LAR"). */
const LAR_MASK32: u32 = 0x00f0ff00;
const LAR_MASK16: u32 = 0x0000ff00;

// ---------- the descriptor reader ----------

/** The last descriptor read: low and high dwords, and its linear address. */
let descLo: u32 = 0;
let descHi: u32 = 0;
let descAddr: u32 = 0;

/**
 * Read the descriptor `sel` names from the GDT or (TI = 1) the LDT. Returns
 * false when the selector is outside its table (or the LDT is unusable),
 * without raising anything; a page fault on the table is raised (check
 * `faulted`).
 */
function readDescriptor(sel: u32): bool {
  let base: u32;
  let limit: u32;
  if ((sel & SELECTOR_TI) != 0) {
    if ((segAttr(SEG_LDTR) & ATTR_P) == 0) return false;
    base = segBase(SEG_LDTR);
    limit = segLimit(SEG_LDTR);
  } else {
    base = load<u32>(CPU_STATE + OFF_GDTR_BASE);
    limit = load<u32>(CPU_STATE + OFF_GDTR_LIMIT);
  }
  const index = sel & SELECTOR_INDEX_MASK;
  if (index + 7 > limit) return false;
  descAddr = base + index;
  descLo = readSys32(descAddr);
  if (faulted) return false;
  descHi = readSys32(descAddr + 4);
  return !faulted;
}

/** Attributes in the SEG_ATTR layout (descriptor bits 40-55). */
@inline function descAttr(): u32 {
  return (descHi >> DESC_HI_TYPE_SHIFT) & 0xf0ff;
}
@inline function descBase(): u32 {
  return (descLo >>> 16) | ((descHi & 0xff) << 16) | (descHi & 0xff000000);
}
/** Byte-granular limit (G scales the 20-bit field by 4 KiB). */
@inline function descLimit(): u32 {
  const raw = (descLo & 0xffff) | (descHi & 0x000f0000);
  return (descAttr() & ATTR_G) != 0 ? (raw << 12) | 0xfff : raw;
}
@inline function descDpl(): u32 {
  return (descAttr() >> ATTR_DPL_SHIFT) & 3;
}

// ---------- mode checks ----------

/** These instructions do not exist outside protected mode: #UD in real and v86 mode. */
function notInProtectedMode(): bool {
  if ((cr0() & CR0_PE) == 0 || sysFlag(FLAG_VM)) {
    raiseUD();
    return true;
  }
  return false;
}

/** Set ZF alone (LAR, LSL, VERR, VERW, ARPL leave the other flags). */
@inline function setZF(on: bool): void {
  setArithFlags(FLAG_ZF, on ? FLAG_ZF : 0);
}

// ---------- SLDT, STR ----------

/**
 * Store a selector: 16 bits to memory; a 32-bit register gets it zero-extended
 * (P6 clears bits 31:16; SDM "SLDT", "STR").
 */
function storeSelector(sel: u32, size: u32): void {
  if (modIsReg) setRegSized(modRm, sel, size);
  else writeMem16(eaSeg, eaOff, sel);
}

export function sldt(size: u32): void {
  if (notInProtectedMode()) return;
  storeSelector(segSel(SEG_LDTR) & 0xffff, size);
}

export function str(size: u32): void {
  if (notInProtectedMode()) return;
  storeSelector(segSel(SEG_TR) & 0xffff, size);
}

// ---------- LLDT, LTR ----------

/** Privileged and protected-mode only: #UD outside protected mode, then #GP(0) above CPL 0. */
function loadSystemRegisterChecks(): bool {
  if (notInProtectedMode()) return false;
  if (cpl() != 0) {
    raiseGP(0);
    return false;
  }
  return true;
}

/**
 * The GDT descriptor a LLDT/LTR selector names: #GP(selector) for TI = 1 or
 * outside the GDT. Returns false after a fault.
 */
function readGdtSystemDescriptor(sel: u32): bool {
  const code = sel & SELECTOR_ERROR_MASK;
  if ((sel & SELECTOR_TI) != 0) {
    raiseGP(code);
    return false;
  }
  if (!readDescriptor(sel)) {
    if (!faulted) raiseGP(code);
    return false;
  }
  return true;
}

/** LLDT r/m16: a null selector leaves the LDTR unusable; otherwise an LDT descriptor (type 2) from the GDT. */
export function lldt(): void {
  if (!loadSystemRegisterChecks()) return;
  const sel = readE(16);
  if (faulted) return;
  if ((sel & SELECTOR_ERROR_MASK) == 0) {
    loadNullSegment(SEG_LDTR, sel);
    return;
  }
  if (!readGdtSystemDescriptor(sel)) return;
  const attr = descAttr();
  const code = sel & SELECTOR_ERROR_MASK;
  if ((attr & ATTR_S) != 0 || (attr & ATTR_TYPE_MASK) != SYS_LDT) {
    raiseGP(code);
    return;
  }
  if ((attr & ATTR_P) == 0) {
    raiseNP(code);
    return;
  }
  loadSegmentCache(SEG_LDTR, sel, descBase(), descLimit(), attr);
}

/** LTR r/m16: an available 16- or 32-bit TSS from the GDT, which becomes busy. */
export function ltr(): void {
  if (!loadSystemRegisterChecks()) return;
  const sel = readE(16);
  if (faulted) return;
  if ((sel & SELECTOR_ERROR_MASK) == 0) {
    raiseGP(0);
    return;
  }
  if (!readGdtSystemDescriptor(sel)) return;
  const attr = descAttr();
  const type = attr & ATTR_TYPE_MASK;
  const code = sel & SELECTOR_ERROR_MASK;
  if ((attr & ATTR_S) != 0 || (type != SYS_TSS16_AVAILABLE && type != SYS_TSS32_AVAILABLE)) {
    raiseGP(code);
    return;
  }
  if ((attr & ATTR_P) == 0) {
    raiseNP(code);
    return;
  }
  writeSys32(descAddr + 4, descHi | (TSS_BUSY_BIT << DESC_HI_TYPE_SHIFT));
  if (faulted) return;
  loadSegmentCache(SEG_TR, sel, descBase(), descLimit(), attr | TSS_BUSY_BIT);
}

// ---------- LAR, LSL, VERR, VERW ----------

/**
 * The visibility check shared by LAR, LSL, VERR and VERW: the descriptor is
 * read and, unless it is a conforming code segment, DPL >= CPL and DPL >= RPL.
 * Returns false (ZF = 0, no fault) otherwise; a page fault reading the table
 * is raised (check `faulted`).
 */
function readVisibleDescriptor(sel: u32): bool {
  if ((sel & SELECTOR_ERROR_MASK) == 0) return false;
  if (!readDescriptor(sel)) return false;
  const attr = descAttr();
  const conforming = (attr & (ATTR_S | ATTR_CODE | ATTR_DC)) == (ATTR_S | ATTR_CODE | ATTR_DC);
  if (!conforming) {
    const dpl = descDpl();
    if (dpl < cpl() || dpl < (sel & SELECTOR_RPL)) return false;
  }
  return true;
}

/** System descriptor types LAR accepts (SDM "LAR", Table 3-53 for IA-32). */
function larSystemTypeValid(type: u32): bool {
  return type == SYS_TSS16_AVAILABLE || type == SYS_LDT || type == SYS_TSS16_BUSY || type == SYS_CALL_GATE16 ||
    type == SYS_TASK_GATE || type == SYS_TSS32_AVAILABLE || type == SYS_TSS32_BUSY || type == SYS_CALL_GATE32;
}
/** System descriptor types LSL accepts: those with a limit (TSS, LDT). */
function lslSystemTypeValid(type: u32): bool {
  return type == SYS_TSS16_AVAILABLE || type == SYS_LDT || type == SYS_TSS16_BUSY ||
    type == SYS_TSS32_AVAILABLE || type == SYS_TSS32_BUSY;
}

/** LAR r, r/m16: the access rights of a visible descriptor; ZF says whether it was. */
export function lar(size: u32): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  if (ok && ((descAttr() & ATTR_S) != 0 || larSystemTypeValid(descAttr() & ATTR_TYPE_MASK))) {
    writeG(descHi & (size == 32 ? LAR_MASK32 : LAR_MASK16), size);
    setZF(true);
  } else {
    setZF(false);
  }
}

/** LSL r, r/m16: the byte-granular limit of a visible descriptor; ZF says whether it was. */
export function lsl(size: u32): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  if (ok && ((descAttr() & ATTR_S) != 0 || lslSystemTypeValid(descAttr() & ATTR_TYPE_MASK))) {
    writeG(size == 32 ? descLimit() : descLimit() & 0xffff, size);
    setZF(true);
  } else {
    setZF(false);
  }
}

/** VERR r/m16: ZF = 1 when the segment is readable at the current privilege. */
export function verr(): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  const attr = descAttr();
  // Data segments are always readable; code segments when R is set.
  setZF(ok && (attr & ATTR_S) != 0 && ((attr & ATTR_CODE) == 0 || (attr & ATTR_RW) != 0));
}

/** VERW r/m16: ZF = 1 when the segment is a writable data segment at the current privilege. */
export function verw(): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  const attr = descAttr();
  setZF(ok && (attr & (ATTR_S | ATTR_CODE | ATTR_RW)) == (ATTR_S | ATTR_RW));
}

// ---------- ARPL ----------

/** ARPL r/m16, r16: raise the destination selector's RPL to the source's; ZF says whether it changed. */
export function arpl(): void {
  if (notInProtectedMode()) return;
  const dst = readEForWrite(16);
  if (faulted) return;
  const src = readG(16);
  if ((dst & SELECTOR_RPL) < (src & SELECTOR_RPL)) {
    writeEBack((dst & ~SELECTOR_RPL) | (src & SELECTOR_RPL), 16);
    setZF(true);
  } else {
    setZF(false);
  }
}
