// What compiled blocks call back into (the imports of every JIT module, see
// jit/translate.ts): memory accesses through the interpreter's own functions
// (segment checks, TLB, MMIO, faults), flag conditions, and one interpreted
// instruction. Exported from index.ts; host/jit-host.ts passes them on.

import { CPU_STATE, JIT_STATUS } from '../machine/layout';
import { OFF_INTR_LINE } from '../cpu/state';
import { readMemSized, writeMemSized, probeWriteMem } from '../cpu/memory';
import { faulted } from '../cpu/fault';
import { testCondition, getCF, setCfOf } from '../cpu/flags';
import { stopReason } from '../cpu/control';
import { boundaryCheckPending } from '../cpu/interp';
import { takeCodeWritten } from './cache';
import { READ_FOR_WRITE } from './translate';

const SIZE_BITS: u32 = 0xff;
/** wr results. */
const WRITE_OK: u32 = 0;
const WRITE_FAULT: u32 = 1;
const WRITE_LEAVE: u32 = 2;

/** Read `bits` (8, 16, 32; | READ_FOR_WRITE for a read-modify-write) at seg:off. JIT_STATUS = 1 after a fault. */
export function jitRead(seg: u32, off: u32, bits: u32): u32 {
  const size = bits & SIZE_BITS;
  if ((bits & READ_FOR_WRITE) != 0) {
    // As memory.ts readMemForWrite: write access is checked before the read.
    probeWriteMem(seg, off, size >> 3);
    if (faulted) {
      store<u32>(JIT_STATUS, 1);
      return 0;
    }
  }
  const v = readMemSized(seg, off, size);
  store<u32>(JIT_STATUS, faulted ? 1 : 0);
  return v;
}

/**
 * Write `bits` at seg:off. Returns WRITE_FAULT after a fault, WRITE_LEAVE when
 * the block must end after this instruction (the write hit compiled code, an
 * interrupt or a stop became pending), else WRITE_OK.
 */
export function jitWrite(seg: u32, off: u32, v: u32, bits: u32): u32 {
  writeMemSized(seg, off, v, bits & SIZE_BITS);
  if (faulted) return WRITE_FAULT;
  if (takeCodeWritten() || load<u32>(CPU_STATE + OFF_INTR_LINE) != 0 || stopReason != 0 || boundaryCheckPending()) {
    return WRITE_LEAVE;
  }
  return WRITE_OK;
}

export function jitCondition(cc: u32): u32 {
  return testCondition(cc) ? 1 : 0;
}
export function jitCarry(): u32 {
  return getCF() ? 1 : 0;
}
/** Rotates: replace CF and OF (bits of `cfOf`), keep SF ZF AF PF whatever the lazy state (flags.ts setCfOf). */
export function jitSetCfOf(cfOf: u32): u32 {
  setCfOf(cfOf);
  return 0;
}
