// Port I/O: IN and OUT (SDM Vol. 2A "IN", Vol. 2B "OUT") and the I/O
// permission check they share with INS/OUTS (SDM Vol. 1 §19.5: I/O privilege
// level and the TSS I/O permission bit map).
//
// Ports are 16-bit addresses on the ISA bus (core-as/machine/ports.ts). The
// handlers pass the access size as the opcode table gives it, in bits
// (8/16/32): ports.ts reads a size above 4 as bits, so this agrees with its
// byte convention (1/2/4) as well.

import {
  cr0, CR0_PE, cpl, OFF_EFLAGS, FLAG_VM, FLAG_IOPL, FLAG_IOPL_SHIFT, SEG_TR, segBase, segLimit, segAttr,
  ATTR_TYPE_MASK, ATTR_P, regSized, setRegSized, REG_EAX,
} from '../state';
import { CPU_STATE } from '../../machine/layout';
import { readSys16 } from '../memory';
import { faulted, raiseGP } from '../fault';
import { portRead, portWrite } from '../../machine/ports';

/** Offset of the I/O map base address field in a 32-bit TSS (SDM Vol. 3A Figure 8-2). */
const TSS_IOMAP_BASE: u32 = 0x66;
/** A 32-bit TSS, available (9) or busy (11): the busy bit is bit 1 of the type. */
const TSS32_TYPE: u32 = 0x9;
const TSS_BUSY_BIT: u32 = 0x2;
/** Bits of the 16-bit word read from the bit map that are checked, per port byte. */
const PORT_BIT_INDEX_MASK: u32 = 7;

/**
 * Whether the current privilege may access `bytes` consecutive ports from
 * `port`; raises #GP(0) and returns false when not.
 *
 * In protected mode with CPL > IOPL, or in virtual-8086 mode, the I/O
 * permission bit map of the current (32-bit) TSS decides: every bit for the
 * accessed ports must be 0, and the processor reads the two bytes holding
 * them, both of which must lie within the TSS limit (SDM Vol. 1 §19.5.2).
 */
export function checkIoPermission(port: u32, bytes: u32): bool {
  if ((cr0() & CR0_PE) == 0) return true;
  const flags = load<u32>(CPU_STATE + OFF_EFLAGS);
  const v86 = (flags & FLAG_VM) != 0;
  if (!v86 && cpl() <= (flags & FLAG_IOPL) >> FLAG_IOPL_SHIFT) return true;
  const attr = segAttr(SEG_TR);
  const limit = segLimit(SEG_TR);
  if ((attr & ATTR_P) == 0 || (attr & ATTR_TYPE_MASK & ~TSS_BUSY_BIT) != TSS32_TYPE || limit < TSS_IOMAP_BASE + 1) {
    raiseGP(0);
    return false;
  }
  const base = segBase(SEG_TR);
  const mapBase = readSys16(base + TSS_IOMAP_BASE);
  if (faulted) return false;
  const at = mapBase + (port >> 3);
  if (at + 1 > limit) {
    raiseGP(0);
    return false;
  }
  const bits = readSys16(base + at);
  if (faulted) return false;
  const mask: u32 = ((<u32>1 << bytes) - 1) << (port & PORT_BIT_INDEX_MASK);
  if ((bits & mask) != 0) {
    raiseGP(0);
    return false;
  }
  return true;
}

/** IN AL/AX/EAX, imm8 or DX. */
export function inPort(size: u32, port: u32): void {
  if (!checkIoPermission(port, size >> 3)) return;
  const v = portRead(port, size >> 3);
  setRegSized(REG_EAX, v, size);
}

/** OUT imm8 or DX, AL/AX/EAX. */
export function outPort(size: u32, port: u32): void {
  if (!checkIoPermission(port, size >> 3)) return;
  portWrite(port, regSized(REG_EAX, size), size >> 3);
}
