// x87 control and state instructions: FWAIT, FNOP, FNINIT, FNCLEX, FLDCW,
// FNSTCW, FNSTSW, FLDENV/FNSTENV and FRSTOR/FNSAVE (16- and 32-bit, real
// and protected formats), FXSAVE/FXRSTOR (the 512-byte image, including
// MXCSR and XMM0-7 when CR4.OSFXSR is set), FINCSTP/FDECSTP.
// Reference: SDM Vol. 1 §8.1.10 (environment layouts, Figures 8-9 to 8-12),
// §10.5.1 (FXSAVE image, Table 10-2), Vol. 2A FXSAVE/FXRSTOR/FSAVE/FLDENV.

import { CPU_STATE } from '../../machine/layout';
import { faulted, raiseGP } from '../fault';
import { eaSeg, eaOff } from '../decode';
import { readMem16, readMem32, writeMem16, writeMem32, probeWriteMem } from '../memory';
import { setReg16, REG_EAX, CR0_PE, CR4_OSFXSR, FLAG_VM, OFF_FPU_FCS, OFF_FPU_FDP, OFF_FPU_FDS, OFF_FPU_FIP, OFF_FPU_FOP, OFF_MXCSR, OFF_MXCSR_MASK, OFF_XMM, OFF_FPU, cr0, cr4 } from '../state';
import { sysFlag } from '../flags';
import {
  FSW_B,
  FSW_ES,
  FSW_EXCEPTIONS,
  FSW_SF,
  abridgedTagByte,
  fcw,
  fpuInit,
  fpuTop,
  fsw,
  ftw,
  physAddr,
  setFcw,
  setFsw,
  setFtw,
  setTop,
  setCondition,
  FSW_C1,
  tagsFromAbridged,
  fpuUnavailable,
  x87Begin,
  x87BeginNoWait,
  x87WaitCheck,
  recordLastInstruction,
} from '../x87/fpu-state';

/** WAIT/FWAIT (9B): #NM when CR0.MP and CR0.TS, then a pending unmasked exception. */
export function x87Fwait(): void {
  x87WaitCheck();
}

/** FNOP (D9 D0). */
export function x87Fnop(): void {
  if (!x87Begin()) return;
  recordLastInstruction();
}

/** DB E0-E4: FENI, FDISI, FSETPM are no-ops on the 387 and later; FNCLEX; FNINIT. */
export function x87DBGroup4(rm: u32): void {
  if (!x87BeginNoWait()) return;
  if (rm == 2) setFsw(fsw() & ~(FSW_EXCEPTIONS | FSW_SF | FSW_ES | FSW_B));
  else if (rm == 3) fpuInit();
}

/** Recompute ES/B after the control word or the flags changed (FLDCW, FLDENV, FRSTOR). */
function updateSummary(): void {
  let s = fsw() & ~(FSW_ES | FSW_B);
  if ((s & FSW_EXCEPTIONS & ~fcw()) != 0) s |= FSW_ES | FSW_B;
  setFsw(s);
}

/** FLDCW m16 (bit 6 reads as set on the P6: 0040h is always on in FNSTCW). */
export function x87Fldcw(): void {
  if (!x87Begin()) return;
  const v = readMem16(eaSeg, eaOff);
  if (faulted) return;
  setFcw((v & FCW_WRITABLE) | FCW_FIXED);
  updateSummary();
}
const FCW_WRITABLE: u32 = 0x1f3f;
const FCW_FIXED: u32 = 0x0040;

export function x87Fnstcw(): void {
  if (!x87BeginNoWait()) return;
  writeMem16(eaSeg, eaOff, fcw());
}

export function x87FnstswMem(): void {
  if (!x87BeginNoWait()) return;
  writeMem16(eaSeg, eaOff, fsw());
}

export function x87FnstswAx(): void {
  if (!x87BeginNoWait()) return;
  setReg16(REG_EAX, fsw());
}

/** FINCSTP / FDECSTP (called from the D9 group handlers). */
export function x87IncTop(delta: u32): void {
  setTop(fpuTop() + delta);
  setCondition(FSW_C1, 0);
}

// ---------- environment images ----------

/** Real-address or virtual-8086 mode: the real-mode layouts apply. */
function realFormat(): bool {
  return (cr0() & CR0_PE) == 0 || sysFlag(FLAG_VM);
}

const ENV32_BYTES: u32 = 28;
const ENV16_BYTES: u32 = 14;
const REG_BYTES: u32 = 10;
// Reserved upper halves of the 32-bit image's 16-bit fields read as ones.
const RESERVED_ONES: u32 = 0xffff0000;

function envBytes(os: u32): u32 {
  return os == 32 ? ENV32_BYTES : ENV16_BYTES;
}

@inline function ld16(off: u32): u32 {
  return <u32>load<u16>(CPU_STATE + off);
}
@inline function ld32(off: u32): u32 {
  return load<u32>(CPU_STATE + off);
}

/** Probe `len` bytes at the memory operand (start and end: at most two pages). */
function probeImage(len: u32): bool {
  if (!probeWriteMem(eaSeg, eaOff, 2)) return false;
  return probeWriteMem(eaSeg, eaOff + len - 2, 2);
}

function storeEnv(os: u32): void {
  const off = eaOff;
  const fip = ld32(OFF_FPU_FIP);
  const fdp = ld32(OFF_FPU_FDP);
  const fop = ld16(OFF_FPU_FOP) & 0x7ff;
  if (os == 32) {
    writeMem32(eaSeg, off, fcw() | RESERVED_ONES);
    writeMem32(eaSeg, off + 4, fsw() | RESERVED_ONES);
    writeMem32(eaSeg, off + 8, ftw() | RESERVED_ONES);
    if (realFormat()) {
      writeMem32(eaSeg, off + 12, (fip & 0xffff) | RESERVED_ONES);
      writeMem32(eaSeg, off + 16, ((fip >> 16) << 12) | fop);
      writeMem32(eaSeg, off + 20, (fdp & 0xffff) | RESERVED_ONES);
      writeMem32(eaSeg, off + 24, (fdp >> 16) << 12);
    } else {
      writeMem32(eaSeg, off + 12, fip);
      writeMem32(eaSeg, off + 16, (ld16(OFF_FPU_FCS) & 0xffff) | (fop << 16));
      writeMem32(eaSeg, off + 20, fdp);
      writeMem32(eaSeg, off + 24, ld16(OFF_FPU_FDS) | RESERVED_ONES);
    }
  } else {
    writeMem16(eaSeg, off, fcw());
    writeMem16(eaSeg, off + 2, fsw());
    writeMem16(eaSeg, off + 4, ftw());
    if (realFormat()) {
      writeMem16(eaSeg, off + 6, fip & 0xffff);
      writeMem16(eaSeg, off + 8, (((fip >> 16) & 0xf) << 12) | fop);
      writeMem16(eaSeg, off + 10, fdp & 0xffff);
      writeMem16(eaSeg, off + 12, ((fdp >> 16) & 0xf) << 12);
    } else {
      writeMem16(eaSeg, off + 6, fip & 0xffff);
      writeMem16(eaSeg, off + 8, ld16(OFF_FPU_FCS));
      writeMem16(eaSeg, off + 10, fdp & 0xffff);
      writeMem16(eaSeg, off + 12, ld16(OFF_FPU_FDS));
    }
  }
}

// Loaded images are read completely before anything is changed.
let envCw: u32 = 0;
let envSw: u32 = 0;
let envTw: u32 = 0;
let envIp: u32 = 0;
let envCs: u32 = 0;
let envOp: u32 = 0;
let envDp: u32 = 0;
let envDs: u32 = 0;

function readEnv(os: u32): void {
  const off = eaOff;
  if (os == 32) {
    envCw = readMem32(eaSeg, off) & 0xffff;
    envSw = readMem32(eaSeg, off + 4) & 0xffff;
    envTw = readMem32(eaSeg, off + 8) & 0xffff;
    const a = readMem32(eaSeg, off + 12);
    const b = readMem32(eaSeg, off + 16);
    const c = readMem32(eaSeg, off + 20);
    const d = readMem32(eaSeg, off + 24);
    if (realFormat()) {
      envIp = (a & 0xffff) | ((b >> 12) << 16);
      envOp = b & 0x7ff;
      envDp = (c & 0xffff) | ((d >> 12) << 16);
      envCs = 0;
      envDs = 0;
    } else {
      envIp = a;
      envCs = b & 0xffff;
      envOp = (b >> 16) & 0x7ff;
      envDp = c;
      envDs = d & 0xffff;
    }
  } else {
    envCw = readMem16(eaSeg, off);
    envSw = readMem16(eaSeg, off + 2);
    envTw = readMem16(eaSeg, off + 4);
    const a = readMem16(eaSeg, off + 6);
    const b = readMem16(eaSeg, off + 8);
    const c = readMem16(eaSeg, off + 10);
    const d = readMem16(eaSeg, off + 12);
    if (realFormat()) {
      envIp = a | ((b >> 12) << 16);
      envOp = b & 0x7ff;
      envDp = c | ((d >> 12) << 16);
      envCs = 0;
      envDs = 0;
    } else {
      envIp = a;
      envCs = b;
      envOp = 0;
      envDp = c;
      envDs = d;
    }
  }
}

/**
 * Commit a read environment. The tags keep only empty / not empty: the
 * P6 recomputes the class of non-empty registers from their contents.
 */
function commitEnv(): void {
  setFcw((envCw & FCW_WRITABLE) | FCW_FIXED);
  setFsw(envSw);
  let abridged: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if (((envTw >> (i * 2)) & 3) != 3) abridged |= <u32>1 << i;
  tagsFromAbridged(abridged);
  store<u32>(CPU_STATE + OFF_FPU_FIP, envIp);
  store<u16>(CPU_STATE + OFF_FPU_FCS, <u16>envCs);
  store<u16>(CPU_STATE + OFF_FPU_FOP, <u16>envOp);
  store<u32>(CPU_STATE + OFF_FPU_FDP, envDp);
  store<u16>(CPU_STATE + OFF_FPU_FDS, <u16>envDs);
}

/** FNSTENV: store the environment, then mask all exceptions. */
export function x87Fnstenv(os: u32): void {
  if (!x87BeginNoWait()) return;
  if (!probeImage(envBytes(os))) return;
  storeEnv(os);
  if (faulted) return;
  setFcw(fcw() | FSW_EXCEPTIONS);
}

export function x87Fldenv(os: u32): void {
  if (!x87Begin()) return;
  readEnv(os);
  if (faulted) return;
  commitEnv();
}

/** FNSAVE: environment and ST(0)-ST(7), then FNINIT. */
export function x87Fnsave(os: u32): void {
  if (!x87BeginNoWait()) return;
  const env = envBytes(os);
  if (!probeImage(env + 8 * REG_BYTES)) return;
  storeEnv(os);
  const top = fpuTop();
  for (let i: u32 = 0; i < 8; i++) {
    const a = physAddr(top + i);
    const at = eaOff + env + i * REG_BYTES;
    writeMem32(eaSeg, at, load<u32>(a));
    writeMem32(eaSeg, at + 4, load<u32>(a + 4));
    writeMem16(eaSeg, at + 8, <u32>load<u16>(a + 8));
  }
  if (faulted) return;
  fpuInit();
}

/** Register images read by FRSTOR before anything is committed (static data: no allocation). */
const regScratch: usize = memory.data(8 * 3 * 4, 4);

export function x87Frstor(os: u32): void {
  if (!x87Begin()) return;
  readEnv(os);
  if (faulted) return;
  const env = envBytes(os);
  for (let i: u32 = 0; i < 8; i++) {
    const at = eaOff + env + i * REG_BYTES;
    store<u32>(regScratch + ((i * 3) << 2), readMem32(eaSeg, at));
    store<u32>(regScratch + ((i * 3 + 1) << 2), readMem32(eaSeg, at + 4));
    store<u32>(regScratch + ((i * 3 + 2) << 2), readMem16(eaSeg, at + 8));
    if (faulted) return;
  }
  const top = (envSw >> 11) & 7;
  for (let i: u32 = 0; i < 8; i++) {
    const a = physAddr(top + i);
    store<u32>(a, load<u32>(regScratch + ((i * 3) << 2)));
    store<u32>(a + 4, load<u32>(regScratch + ((i * 3 + 1) << 2)));
    store<u16>(a + 8, <u16>load<u32>(regScratch + ((i * 3 + 2) << 2)));
  }
  commitEnv();
}

// ---------- FXSAVE / FXRSTOR ----------

const FXSAVE_BYTES: u32 = 512;
const FXSAVE_ALIGN: u32 = 16;
/** MXCSR bits this CPU implements (DAZ included): MXCSR_MASK in the image. */
export const MXCSR_MASK_VALUE: u32 = 0xffff;
const FX_ST: u32 = 0x20;
const FX_XMM: u32 = 0xa0;
const FX_XMM_END: u32 = 0x120;
const FX_REG_SLOT: u32 = 16;

/** #GP(0) on a misaligned image, #NM with CR0.EM or TS (SDM FXSAVE). */
function fxEntry(): bool {
  if (fpuUnavailable()) return false;
  if ((eaOff & (FXSAVE_ALIGN - 1)) != 0) {
    raiseGP(0);
    return false;
  }
  return true;
}

export function fxsave(): void {
  if (!fxEntry()) return;
  if (!probeImage(FXSAVE_BYTES)) return;
  const seg = eaSeg;
  const off = eaOff;
  writeMem32(seg, off, fcw() | (fsw() << 16));
  writeMem32(seg, off + 4, abridgedTagByte() | (ld16(OFF_FPU_FOP) << 16));
  writeMem32(seg, off + 8, ld32(OFF_FPU_FIP));
  writeMem32(seg, off + 12, ld16(OFF_FPU_FCS));
  writeMem32(seg, off + 16, ld32(OFF_FPU_FDP));
  writeMem32(seg, off + 20, ld16(OFF_FPU_FDS));
  const withSse = (cr4() & CR4_OSFXSR) != 0;
  if (withSse) {
    writeMem32(seg, off + 24, ld32(OFF_MXCSR));
    writeMem32(seg, off + 28, MXCSR_MASK_VALUE);
  }
  const top = fpuTop();
  for (let i: u32 = 0; i < 8; i++) {
    const a = physAddr(top + i);
    const at = off + FX_ST + i * FX_REG_SLOT;
    writeMem32(seg, at, load<u32>(a));
    writeMem32(seg, at + 4, load<u32>(a + 4));
    writeMem32(seg, at + 8, <u32>load<u16>(a + 8));
    writeMem32(seg, at + 12, 0);
  }
  if (withSse) {
    for (let o: u32 = FX_XMM; o < FX_XMM_END; o += 4) writeMem32(seg, off + o, ld32(OFF_FPU + o));
  }
}

const fxScratch: usize = memory.data(FXSAVE_BYTES, 16);

export function fxrstor(): void {
  if (!fxEntry()) return;
  const seg = eaSeg;
  const off = eaOff;
  for (let o: u32 = 0; o < FX_XMM_END; o += 4) {
    store<u32>(fxScratch + ((o >> 2) << 2), readMem32(seg, off + o));
    if (faulted) return;
  }
  const withSse = (cr4() & CR4_OSFXSR) != 0;
  const mxcsr = load<u32>(fxScratch + ((6) << 2));
  if (withSse && (mxcsr & ~MXCSR_MASK_VALUE) != 0) {
    raiseGP(0);
    return;
  }
  const w0 = load<u32>(fxScratch + ((0) << 2));
  setFcw((w0 & FCW_WRITABLE) | FCW_FIXED);
  setFsw(w0 >> 16);
  store<u16>(CPU_STATE + OFF_FPU_FOP, <u16>((load<u32>(fxScratch + ((1) << 2)) >> 16) & 0x7ff));
  store<u32>(CPU_STATE + OFF_FPU_FIP, load<u32>(fxScratch + ((2) << 2)));
  store<u16>(CPU_STATE + OFF_FPU_FCS, <u16>load<u32>(fxScratch + ((3) << 2)));
  store<u32>(CPU_STATE + OFF_FPU_FDP, load<u32>(fxScratch + ((4) << 2)));
  store<u16>(CPU_STATE + OFF_FPU_FDS, <u16>load<u32>(fxScratch + ((5) << 2)));
  if (withSse) store<u32>(CPU_STATE + OFF_MXCSR, mxcsr);
  const top = (w0 >> 27) & 7;
  for (let i: u32 = 0; i < 8; i++) {
    const a = physAddr(top + i);
    const w = (FX_ST + i * FX_REG_SLOT) >> 2;
    store<u32>(a, load<u32>(fxScratch + ((w) << 2)));
    store<u32>(a + 4, load<u32>(fxScratch + ((w + 1) << 2)));
    store<u16>(a + 8, <u16>load<u32>(fxScratch + ((w + 2) << 2)));
  }
  tagsFromAbridged(load<u32>(fxScratch + ((1) << 2)) & 0xff);
  if (withSse) {
    for (let o: u32 = FX_XMM; o < FX_XMM_END; o += 4) store<u32>(CPU_STATE + OFF_FPU + o, load<u32>(fxScratch + ((o >> 2) << 2)));
  }
  store<u32>(CPU_STATE + OFF_MXCSR_MASK, MXCSR_MASK_VALUE);
}

export { OFF_XMM };
