// Segment-register moves: MOV Sreg,Ew / MOV Ew,Sreg, PUSH/POP Sreg,
// LDS/LES/LFS/LGS/LSS (SDM Vol. 2B "MOV", "PUSH", "POP", "LDS/LES/LFS/LGS/LSS").
// The descriptor checks live in protected/descriptors.ts (loadSegment).

import { SEG_CS, SEG_SS, SEG_GS, REG_ESP, segSel, setReg32, setReg16, setRegSized } from '../state';
import { modReg, modRm, modIsReg, eaSeg, eaOff } from '../decode';
import { readMem16, readMemSized, writeMem16 } from '../memory';
import { readE, writeG, push, stack32, stackOffset, setStackPointer } from '../operands';
import { faulted, raiseUD } from '../fault';
import { setStackSwitchShadow } from '../interp';
import { loadSegment } from '../protected/descriptors';

/** MOV Sreg, Ew (8E): CS is not a legal destination; loading SS holds off interrupts for one instruction. */
export function movToSeg(): void {
  const seg = modReg;
  if (seg == SEG_CS || seg > SEG_GS) {
    raiseUD();
    return;
  }
  const sel = readE(16);
  if (faulted) return;
  loadSegment(seg, sel);
  if (faulted) return;
  if (seg == SEG_SS) setStackSwitchShadow();
}

/**
 * MOV Ew, Sreg (8C): a memory destination always takes 16 bits; a 32-bit
 * register destination gets the selector zero-extended (P6 and later).
 */
export function movFromSeg(size: u32): void {
  const seg = modReg;
  if (seg > SEG_GS) {
    raiseUD();
    return;
  }
  const sel = segSel(seg);
  if (modIsReg) setRegSized(modRm, sel, size);
  else writeMem16(eaSeg, eaOff, sel);
}

/**
 * PUSH Sreg. With a 32-bit operand the stack pointer moves by 4 but only the
 * selector's 16 bits are written, the upper half of the slot kept (SDM Vol. 2B
 * "PUSH": what recent processors do; QEMU writes the zero-extended value).
 */
export function pushSeg(seg: u32, size: u32): void {
  const sel = segSel(seg);
  if (size == 16) {
    push(sel, 16);
    return;
  }
  const off = stackOffset(-4);
  writeMem16(SEG_SS, off, sel);
  if (faulted) return;
  setStackPointer(off);
}

/**
 * POP Sreg (no POP CS: 0F is the two-byte escape). The stack pointer moves
 * by the operand size of the stack the value came from, after the load
 * succeeds; POP SS holds off interrupts for one instruction.
 */
export function popSeg(seg: u32, size: u32): void {
  const sel = readMemSized(SEG_SS, stackOffset(0), size);
  if (faulted) return;
  const big = stack32();
  const newSp = stackOffset(size >> 3);
  loadSegment(seg, sel & 0xffff);
  if (faulted) return;
  if (big) setReg32(REG_ESP, newSp);
  else setReg16(REG_ESP, newSp);
  if (seg == SEG_SS) setStackSwitchShadow();
}

/** LDS/LES/LFS/LGS/LSS Gz, Mp: offset then selector; the register changes only after the segment loads. */
export function loadFarPointer(seg: u32, size: u32): void {
  const off = readMemSized(eaSeg, eaOff, size);
  if (faulted) return;
  const sel = readMem16(eaSeg, eaOff + (size >> 3));
  if (faulted) return;
  loadSegment(seg, sel);
  if (faulted) return;
  writeG(off, size);
}
