// System instructions that read segment descriptors: SLDT, STR, LLDT, LTR,
// LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2A/2B, each instruction's page;
// descriptor formats: Vol. 3A §3.4.5, §3.5, §7.2.2).
//
// Descriptors are read and decoded by protected/descriptors.ts (the one
// reader and set of type/privilege predicates); this file adds each
// instruction's own checks. All are #UD in real and virtual-8086 mode.

import { cpl, segSel, setRegSized, SEG_LDTR, SEG_TR, FLAG_ZF } from '../state';
import { setArithFlags } from '../flags';
import { faulted, raiseUD, raiseGP } from '../fault';
import { modIsReg, modRm, eaSeg, eaOff } from '../decode';
import { readE, writeG, readEForWrite, writeEBack, readG } from '../operands';
import { writeMem16 } from '../memory';
import {
  readDescriptor, descLo, descHi, descriptorLimit, descriptorType, isSegmentDescriptor, isReadableSegment, isWritableData,
  isTssType, descriptorAccessible, isNullSelector, loadTaskRegister, loadLdtRegister, protectedMode, v86Mode,
  SEL_RPL_MASK, SYS_LDT, SYS_CALL_GATE16, SYS_CALL_GATE32, SYS_TASK_GATE,
} from '../protected/descriptors';

/** LAR's result mask: type, S, DPL, P, AVL, D/B, G (bits 19:16, limit, read as 0; SDM "LAR"). */
const LAR_MASK32: u32 = 0x00f0ff00;
const LAR_MASK16: u32 = 0x0000ff00;
const LIMIT_MASK16: u32 = 0xffff;

// ---------- mode checks ----------

/** These instructions do not exist outside protected mode: #UD in real and v86 mode. */
function notInProtectedMode(): bool {
  if (!protectedMode() || v86Mode()) {
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

/** LLDT r/m16: a null selector leaves the LDTR unusable; otherwise an LDT descriptor from the GDT. */
export function lldt(): void {
  if (!loadSystemRegisterChecks()) return;
  const sel = readE(16);
  if (faulted) return;
  loadLdtRegister(sel);
}

/** LTR r/m16: an available 16- or 32-bit TSS from the GDT, which becomes busy. */
export function ltr(): void {
  if (!loadSystemRegisterChecks()) return;
  const sel = readE(16);
  if (faulted) return;
  loadTaskRegister(sel);
}

// ---------- LAR, LSL, VERR, VERW ----------

/**
 * The visibility check shared by LAR, LSL, VERR and VERW: the descriptor is
 * read and passes the data-access privilege rule (DPL >= CPL and DPL >= RPL
 * unless conforming code). Returns false (ZF = 0, no fault) otherwise; a page
 * fault reading the table is raised (check `faulted`).
 */
function readVisibleDescriptor(sel: u32): bool {
  if (isNullSelector(sel)) return false;
  if (!readDescriptor(sel)) return false;
  return descriptorAccessible(descHi, sel & SEL_RPL_MASK, cpl());
}

/** System descriptor types LSL accepts: those with a limit (TSS, LDT; SDM "LSL"). */
function lslSystemTypeValid(type: u32): bool {
  return isTssType(type) || type == SYS_LDT;
}
/** System descriptor types LAR accepts (SDM "LAR", Table 3-53 for IA-32): LSL's, call gates and task gates (not interrupt or trap gates). */
function larSystemTypeValid(type: u32): bool {
  return lslSystemTypeValid(type) || type == SYS_CALL_GATE16 || type == SYS_TASK_GATE || type == SYS_CALL_GATE32;
}

/** LAR r, r/m16: the access rights of a visible descriptor; ZF says whether it was. */
export function lar(size: u32): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  if (ok && (isSegmentDescriptor(descHi) || larSystemTypeValid(descriptorType(descHi)))) {
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
  if (ok && (isSegmentDescriptor(descHi) || lslSystemTypeValid(descriptorType(descHi)))) {
    const limit = descriptorLimit(descLo, descHi);
    writeG(size == 32 ? limit : limit & LIMIT_MASK16, size);
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
  // Data segments are always readable; code segments when R is set.
  setZF(ok && isReadableSegment(descHi));
}

/** VERW r/m16: ZF = 1 when the segment is a writable data segment at the current privilege. */
export function verw(): void {
  if (notInProtectedMode()) return;
  const sel = readE(16);
  if (faulted) return;
  const ok = readVisibleDescriptor(sel);
  if (faulted) return;
  setZF(ok && isWritableData(descHi));
}

// ---------- ARPL ----------

/** ARPL r/m16, r16: raise the destination selector's RPL to the source's; ZF says whether it changed. */
export function arpl(): void {
  if (notInProtectedMode()) return;
  const dst = readEForWrite(16);
  if (faulted) return;
  const src = readG(16);
  if ((dst & SEL_RPL_MASK) < (src & SEL_RPL_MASK)) {
    writeEBack((dst & ~SEL_RPL_MASK) | (src & SEL_RPL_MASK), 16);
    setZF(true);
  } else {
    setZF(false);
  }
}
