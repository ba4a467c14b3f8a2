// The PIIX3 Reset Control Register at I/O port 0xCF9.
//
// Reference: Intel 82371SB (PIIX3) datasheet §4.1.2 "RC—Reset Control
// Register (I/O)". Bit 1 selects a hard (1) or soft (0) reset, bit 2 starts
// it on a 0→1 transition; only those two bits are kept, the others read 0
// (bits 0 and 3 are reserved; the register is 8 bits). Both reset types restart the CPU
// at the reset vector; tabvm does a full machine reset (what the guest's
// `reboot` expects; QEMU does the same).

import { RESET_CONTROL_STATE } from './layout';
import { requestReset } from '../cpu/control';

export const PORT_RESET_CONTROL: u32 = 0xcf9;
const RC_SYSTEM_RESET: u32 = 1 << 1;
const RC_RESET_CPU: u32 = 1 << 2;
const RC_WRITABLE: u32 = RC_SYSTEM_RESET | RC_RESET_CPU;

const RC_STATE: u32 = RESET_CONTROL_STATE;

export function resetControlReset(): void {
  store<u8>(RC_STATE, 0);
}

export function resetControlRead(port: u32): u32 {
  return <u32>load<u8>(RC_STATE);
}

export function resetControlWrite(port: u32, value: u32): void {
  const old = <u32>load<u8>(RC_STATE);
  store<u8>(RC_STATE, <u8>(value & RC_WRITABLE));
  if ((value & RC_RESET_CPU) != 0 && (old & RC_RESET_CPU) == 0) requestReset();
}
