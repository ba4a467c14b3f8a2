// SSE/SSE2 floating-point comparisons: CMPPS/CMPSS/CMPPD/CMPSD with the
// eight legacy predicates (imm8[2:0]) and COMISS/UCOMISS/COMISD/UCOMISD,
// which set ZF PF CF and clear OF SF AF (SDM Vol. 2 CMPPS, COMISS).

import { beginFp, commitFp, compare, REL_LT, REL_EQ, REL_GT, REL_UNORD } from '../sse/ieee';
import { sseReady, fetchSrc128, fetchSrc64, fetchSrc32, xmmAddr, copy16, SRC, RES } from '../sse/xmm';
import { modReg, imm } from '../decode';
import { setArithFlags } from '../flags';
import { FLAGS_ARITH, FLAG_ZF, FLAG_PF, FLAG_CF } from '../state';

const PRED_MASK: u32 = 7;
const ALL_ONES_64: u64 = 0xffffffffffffffff;

/** Whether predicate `p` (EQ LT LE UNORD NEQ NLT NLE ORD) holds for relation `rel`. */
@inline function predicateHolds(p: u32, rel: u32): bool {
  switch (p) {
    case 0:
      return rel == REL_EQ;
    case 1:
      return rel == REL_LT;
    case 2:
      return rel == REL_LT || rel == REL_EQ;
    case 3:
      return rel == REL_UNORD;
    case 4:
      return rel != REL_EQ;
    case 5:
      return rel != REL_LT;
    case 6:
      return rel != REL_LT && rel != REL_EQ;
    default:
      return rel != REL_UNORD;
  }
}

/** LT, LE, NLT and NLE signal invalid on a QNaN too. */
@inline function signalling(p: u32): bool {
  return (p & 3) == 1 || (p & 3) == 2;
}

@inline function cmp32(a: u32, b: u32, p: u32): u32 {
  return predicateHolds(p, compare(a, b, true, signalling(p))) ? 0xffffffff : 0;
}
@inline function cmp64(a: u64, b: u64, p: u32): u64 {
  return predicateHolds(p, compare(a, b, false, signalling(p))) ? ALL_ONES_64 : 0;
}

export function cmpps(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  const p = imm & PRED_MASK;
  for (let i: u32 = 0; i < 16; i += 4) store<u32>(RES + i, cmp32(load<u32>(d + i), load<u32>(SRC + i), p));
  if (commitFp()) copy16(d, RES);
}

export function cmppd(): void {
  if (!sseReady() || !fetchSrc128(true)) return;
  beginFp();
  const d = xmmAddr(modReg);
  const p = imm & PRED_MASK;
  for (let i: u32 = 0; i < 16; i += 8) store<u64>(RES + i, cmp64(load<u64>(d + i), load<u64>(SRC + i), p));
  if (commitFp()) copy16(d, RES);
}

export function cmpss(): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  const d = xmmAddr(modReg);
  const r = cmp32(load<u32>(d), load<u32>(SRC), imm & PRED_MASK);
  if (commitFp()) store<u32>(d, r);
}

export function cmpsd(): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  const d = xmmAddr(modReg);
  const r = cmp64(load<u64>(d), load<u64>(SRC), imm & PRED_MASK);
  if (commitFp()) store<u64>(d, r);
}

/** EFLAGS of COMIS*: unordered ZF PF CF = 111, less 001, equal 100, greater 000. */
function setComiFlags(rel: u32): void {
  let f: u32 = 0;
  if (rel == REL_UNORD) f = FLAG_ZF | FLAG_PF | FLAG_CF;
  else if (rel == REL_LT) f = FLAG_CF;
  else if (rel == REL_EQ) f = FLAG_ZF;
  else if (rel != REL_GT) f = 0;
  setArithFlags(FLAGS_ARITH, f);
}

/** COMISS (signalling on QNaN) and UCOMISS. */
export function comiss(signalQNaN: bool): void {
  if (!sseReady() || !fetchSrc32()) return;
  beginFp();
  const rel = compare(load<u32>(xmmAddr(modReg)), load<u32>(SRC), true, signalQNaN);
  if (commitFp()) setComiFlags(rel);
}

export function comisd(signalQNaN: bool): void {
  if (!sseReady() || !fetchSrc64()) return;
  beginFp();
  const rel = compare(load<u64>(xmmAddr(modReg)), load<u64>(SRC), false, signalQNaN);
  if (commitFp()) setComiFlags(rel);
}
