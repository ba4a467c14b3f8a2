// Stack frames of far calls, call gates and interrupts, written all or nothing
// (SDM Vol. 3A §5.8.5, §6.12.1).
//
// A control transfer pushes several values, often on a stack it has not
// loaded yet (a privilege change). Each transfer runs its push sequence
// twice: first in the check pass (segment-window checks against the target
// stack and page probes, nothing written), then in the write pass. A fault
// on any slot therefore leaves memory and registers as they were, and the
// instruction stays restartable.

import { SEG_SS, ATTR_S, ATTR_CODE, ATTR_DC, ATTR_DB, segBase, segLo, segHi, segAttr, reg32, REG_ESP } from '../state';
import { writeLin16As, writeLin32As } from '../memory';
import { translate, ACCESS_WRITE } from '../paging';
import { faulted, raiseSS } from '../fault';

const PAGE_MASK: u32 = 0xfff;
const PAGE_SIZE: u32 = 0x1000;

let fBase: u32 = 0;
let fLo: u32 = 0;
let fHi: u32 = 0;
let fMask: u32 = 0xffffffff;
let fSp: u32 = 0;
let fUser: bool = false;
let fFaultCode: u32 = 0;
let fWrite: bool = false;

/**
 * Lowest valid offset of a segment with these attributes (expand-down data
 * starts above the limit). An expand-down limit at or above the upper bound
 * leaves no valid offset: the empty window lo 1, hi 0 (state.ts loadSegmentCache).
 */
export function windowLo(attr: u32, limit: u32): u32 {
  if ((attr & (ATTR_S | ATTR_CODE | ATTR_DC)) != (ATTR_S | ATTR_DC)) return 0;
  return limit >= expandDownTop(attr) ? 1 : limit + 1;
}
export function windowHi(attr: u32, limit: u32): u32 {
  if ((attr & (ATTR_S | ATTR_CODE | ATTR_DC)) != (ATTR_S | ATTR_DC)) return limit;
  const top = expandDownTop(attr);
  return limit >= top ? 0 : top;
}
/** The highest offset of an expand-down segment: 0xffff or 0xffffffff by the B bit (SDM Vol. 3A §3.4.5.1). */
@inline function expandDownTop(attr: u32): u32 {
  return (attr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
}

/**
 * Start a frame on a stack segment that is not loaded yet: `attr`/`limit`
 * as the descriptor gives them, pushes from `sp` down. A slot outside the
 * segment raises #SS(faultCode); pages are accessed with `user` privilege.
 */
export function frameBegin(base: u32, attr: u32, limit: u32, sp: u32, user: bool, faultCode: u32, write: bool): void {
  fBase = base;
  fLo = windowLo(attr, limit);
  fHi = windowHi(attr, limit);
  fMask = (attr & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
  fSp = sp;
  fUser = user;
  fFaultCode = faultCode;
  fWrite = write;
}

/** Start a frame on the current stack (SS:ESP). */
export function frameBeginCurrent(user: bool, faultCode: u32, write: bool): void {
  fBase = segBase(SEG_SS);
  fLo = segLo(SEG_SS);
  fHi = segHi(SEG_SS);
  fMask = (segAttr(SEG_SS) & ATTR_DB) != 0 ? 0xffffffff : 0xffff;
  fSp = reg32(REG_ESP);
  fUser = user;
  fFaultCode = faultCode;
  fWrite = write;
}

/** Push `bytes` (2 or 4) bytes of `v`. */
export function framePush(v: u32, bytes: u32): void {
  if (faulted) return;
  const off = (fSp - bytes) & fMask;
  fSp = (fSp & ~fMask) | off;
  if (off < fLo || off > fHi || fHi - off < bytes - 1) {
    raiseSS(fFaultCode);
    return;
  }
  const lin = fBase + off;
  if (fWrite) {
    if (bytes == 4) writeLin32As(lin, v, fUser);
    else writeLin16As(lin, v, fUser);
    return;
  }
  if (!translate(lin, ACCESS_WRITE, fUser)) return;
  if ((lin & PAGE_MASK) + bytes > PAGE_SIZE) translate(lin + bytes - 1, ACCESS_WRITE, fUser);
}

/** The stack pointer after the pushes (a 16-bit stack keeps ESP's upper half). */
export function frameSp(): u32 {
  return fSp;
}
