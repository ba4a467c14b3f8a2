// Intel 82441FX PCI and Memory Controller (PMC), the "i440FX" host bridge.
//
// Reference: Intel 440FX PCIset 82441FX/82442FX datasheet, §3.2 "PCI
// configuration registers" (VID 8086h, DID 1237h, RID 02h, class 060000h).
// Bus 0, device 0, function 0. What a guest uses of it here:
//   - PAM0-PAM6 (59h-5Fh): read/write enables for the shadow RAM segments of
//     0xC0000-0xFFFFF (core-as/machine/firmware.ts does the decoding);
//   - SMRAM (72h): stored and read back (tabvm has no System Management Mode;
//     SeaBIOS only probes it).
// Configuration mechanism #1 itself lives in core-as/machine/pci.ts.

import { DEV_PCI } from '../machine/device-ids';
import { pciAddFunction, pciSetWritable, pciSet8, pciRead8, pciSetQemuSubsystem, PCI_NO_FUNCTION } from '../machine/pci';
import { setPam, PAM_SEGMENTS } from '../machine/firmware';

const VENDOR_INTEL: u32 = 0x8086;
const DEVICE_82441: u32 = 0x1237;
const CLASS_HOST_BRIDGE: u32 = 0x060000;
const REVISION: u32 = 0x02;
const DEVFN_HOST_BRIDGE: u32 = 0x00;
const REG_PAM0: u32 = 0x59;
const PAM_REGISTERS: u32 = 7;
const REG_SMRAM: u32 = 0x72;
const SMRAM_DEFAULT: u32 = 0x02; // C_BASE_SEG = 010b (A0000h-BFFFFh), as the datasheet's default
const SMRAM_WRITABLE: u32 = 0x78;

/** The bridge's PCI slot (0xff = PCI_NO_FUNCTION until i440fxInit; a literal: pci.ts imports this file). */
let hostBridgeSlot: u32 = 0xff;

/** Put the host bridge on the bus (the machine is being built). */
export function i440fxInit(): void {
  hostBridgeSlot = pciAddFunction(DEVFN_HOST_BRIDGE, DEV_PCI, VENDOR_INTEL, DEVICE_82441, CLASS_HOST_BRIDGE, REVISION, 0);
  if (hostBridgeSlot == PCI_NO_FUNCTION) return;
  // PAM0 uses its high nibble only (0xF0000 segment); PAM1-6 both nibbles.
  pciSetWritable(hostBridgeSlot, REG_PAM0, 0x30, 1);
  for (let r: u32 = 1; r < PAM_REGISTERS; r++) pciSetWritable(hostBridgeSlot, REG_PAM0 + r, 0x33, 1);
  pciSetWritable(hostBridgeSlot, REG_SMRAM, SMRAM_WRITABLE, 1);
  pciSetQemuSubsystem(hostBridgeSlot);
  i440fxReset();
}

export function i440fxReset(): void {
  if (hostBridgeSlot == PCI_NO_FUNCTION) return;
  for (let r: u32 = 0; r < PAM_REGISTERS; r++) pciSet8(hostBridgeSlot, REG_PAM0 + r, 0);
  pciSet8(hostBridgeSlot, REG_SMRAM, SMRAM_DEFAULT);
  applyPam();
}

/** PAM segment of each nibble: PAM0 high → 0 (0xF0000); PAMn low/high → 2n-1, 2n (0xC0000 + 16 KiB steps). */
function applyPam(): void {
  setPam(0, (pciRead8(hostBridgeSlot, REG_PAM0) >>> 4) & 3);
  for (let r: u32 = 1; r < PAM_REGISTERS; r++) {
    const v = pciRead8(hostBridgeSlot, REG_PAM0 + r);
    setPam(r * 2 - 1, v & 3);
    if (r * 2 < PAM_SEGMENTS) setPam(r * 2, (v >>> 4) & 3);
  }
}

/** Software wrote the host bridge's configuration space. */
export function i440fxConfigWritten(slot: u32, offset: u32, size: u32): void {
  if (offset < REG_PAM0 + PAM_REGISTERS && offset + size > REG_PAM0) applyPam();
}
