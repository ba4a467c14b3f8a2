// BCD adjustments and SALC: DAA DAS AAA AAS AAM AAD (SDM Vol. 2A "DAA", "DAS",
// "AAA", "AAS", "AAM", "AAD"; the pseudo-code is followed step by step) and the
// undocumented SALC (D6: AL = CF ? FF : 00, flags unchanged).
//
// Undefined flags: DAA/DAS OF = 0; AAA/AAS leave OF SF ZF PF unchanged;
// AAM/AAD derive SF ZF PF from AL and clear OF AF CF (as Bochs and QEMU do).

import { reg8, setReg8, reg16, setReg16, REG_EAX, FLAG_CF, FLAG_AF } from '../state';
import { getCF, getAF, setFlagsFromResult, setArithFlags } from '../flags';
import { imm } from '../decode';
import { raiseDE } from '../fault';

const REG_AH: u32 = 4; // 8-bit register encoding of AH
const LOW_NIBBLE: u32 = 0x0f;
const MAX_BCD_DIGIT: u32 = 9;
const MAX_BCD_BYTE: u32 = 0x99;

@inline function flagBits(cf: bool, af: bool): u32 {
  return (cf ? FLAG_CF : 0) | (af ? FLAG_AF : 0);
}

/** DAA: decimal adjust AL after addition. */
export function daa(): void {
  const oldAl = reg8(REG_EAX);
  const oldCf = getCF();
  let al = oldAl;
  let af = false;
  if ((al & LOW_NIBBLE) > MAX_BCD_DIGIT || getAF()) {
    al = (al + 6) & 0xff;
    af = true;
  }
  let cf = false;
  if (oldAl > MAX_BCD_BYTE || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = true;
  }
  setReg8(REG_EAX, al);
  setFlagsFromResult(al, 8, flagBits(cf, af));
}

/** DAS: decimal adjust AL after subtraction. */
export function das(): void {
  const oldAl = reg8(REG_EAX);
  const oldCf = getCF();
  let al = oldAl;
  let af = false;
  let cf = false;
  if ((al & LOW_NIBBLE) > MAX_BCD_DIGIT || getAF()) {
    cf = oldCf || al < 6; // the borrow of AL - 6
    al = (al - 6) & 0xff;
    af = true;
  }
  if (oldAl > MAX_BCD_BYTE || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = true;
  }
  setReg8(REG_EAX, al);
  setFlagsFromResult(al, 8, flagBits(cf, af));
}

/** AAA: ASCII adjust after addition (AX + 106H form of P6 and later). */
export function aaa(): void {
  const adjust = (reg8(REG_EAX) & LOW_NIBBLE) > MAX_BCD_DIGIT || getAF();
  let ax = reg16(REG_EAX);
  if (adjust) ax = (ax + 0x106) & 0xffff;
  setReg16(REG_EAX, ax & 0xff0f);
  setArithFlags(FLAG_CF | FLAG_AF, flagBits(adjust, adjust));
}

/** AAS: ASCII adjust after subtraction (AX - 6, AH - 1). */
export function aas(): void {
  const adjust = (reg8(REG_EAX) & LOW_NIBBLE) > MAX_BCD_DIGIT || getAF();
  let ax = reg16(REG_EAX);
  if (adjust) ax = (ax - 6 - 0x100) & 0xffff;
  setReg16(REG_EAX, ax & 0xff0f);
  setArithFlags(FLAG_CF | FLAG_AF, flagBits(adjust, adjust));
}

/** AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE when imm8 is 0. */
export function aam(): void {
  const base = imm & 0xff;
  if (base == 0) {
    raiseDE();
    return;
  }
  const al = reg8(REG_EAX);
  const lo = al % base;
  setReg8(REG_AH, al / base);
  setReg8(REG_EAX, lo);
  setFlagsFromResult(lo, 8, 0);
}

/** AAD imm8: AL = (AL + AH * imm8) & FF, AH = 0. */
export function aad(): void {
  const base = imm & 0xff;
  const al = (reg8(REG_EAX) + reg8(REG_AH) * base) & 0xff;
  setReg16(REG_EAX, al);
  setFlagsFromResult(al, 8, 0);
}

/** SALC (D6): AL = CF ? FF : 00, no flags. */
export function salc(): void {
  setReg8(REG_EAX, getCF() ? 0xff : 0);
}
