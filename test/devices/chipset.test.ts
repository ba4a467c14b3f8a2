// The chipset functions of the lead's machine bus: PCI configuration
// mechanism #1 (PCI 2.1 §3.7.4.1), the i440FX PAM shadow registers (82441FX
// datasheet §3.2.17), and the PIIX4 ACPI PM function (82371AB §7, ACPI 1.0b
// §4.7): what SeaBIOS and Linux rely on.

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;
const ENABLE = 0x80000000;
const DEVFN_HOST_BRIDGE = 0x00;
const DEVFN_PM = (1 << 3) | 3;
const PAM0 = 0x59;
const PAM_RW = 0x3;
const PMBA = 0x40;
const PMREGMISC = 0x80;
const PM_BASE = 0x600;
const PMTMR_HZ = 3579545;
const SCI_IRQ = 9;
const BIOS_SIZE = 0x20000;

let core: Core;
beforeEach(async () => {
  core = await createCore({ memoryMiB: 8 });
});

function cfgAddress(devfn: number, reg: number): number {
  return (ENABLE | (devfn << 8) | (reg & 0xfc)) >>> 0;
}
function cfgRead(devfn: number, reg: number, size: 1 | 2 | 4): number {
  core.exports.portWrite(CONFIG_ADDRESS, cfgAddress(devfn, reg), 4);
  return core.exports.portRead(CONFIG_DATA + (reg & 3), size) >>> 0;
}
function cfgWrite(devfn: number, reg: number, value: number, size: 1 | 2 | 4): void {
  core.exports.portWrite(CONFIG_ADDRESS, cfgAddress(devfn, reg), 4);
  core.exports.portWrite(CONFIG_DATA + (reg & 3), value >>> 0, size);
}

/** Run `n` instructions of a `jmp $` loop at 0x1000 (deterministic clock: 10 ns each). */
function spin(n: number): void {
  core.writePhys(0x1000, Uint8Array.of(0xeb, 0xfe));
  core.setupFlat32({ cpl: 0 });
  core.setReg('eip', 0x1000);
  core.run(n);
}

describe('PCI configuration mechanism #1', () => {
  it('identifies the i440FX host bridge with QEMU subsystem ids', () => {
    expect(cfgRead(DEVFN_HOST_BRIDGE, 0x00, 4)).toBe(0x12378086);
    expect(cfgRead(DEVFN_HOST_BRIDGE, 0x08, 4) >>> 8).toBe(0x060000);
    expect(cfgRead(DEVFN_HOST_BRIDGE, 0x2c, 4)).toBe(0x11001af4);
  });

  it('latches CONFIG_ADDRESS only on dword accesses and reads it back', () => {
    core.exports.portWrite(CONFIG_ADDRESS, 0x80001234, 4);
    expect(core.exports.portRead(CONFIG_ADDRESS, 4) >>> 0).toBe(0x80001234);
    core.exports.portWrite(CONFIG_ADDRESS, 0x00, 1); // a byte write goes to ISA: no effect
    expect(core.exports.portRead(CONFIG_ADDRESS, 4) >>> 0).toBe(0x80001234);
  });

  it('reads all ones for absent functions (master abort) and ignores writes to them', () => {
    expect(cfgRead(0x1f << 3, 0x00, 4)).toBe(0xffffffff);
    cfgWrite(0x1f << 3, 0x04, 0xffff, 2);
    expect(cfgRead(0x1f << 3, 0x04, 2)).toBe(0xffff);
  });

  it('keeps read-only registers read-only', () => {
    cfgWrite(DEVFN_HOST_BRIDGE, 0x00, 0, 4);
    expect(cfgRead(DEVFN_HOST_BRIDGE, 0x00, 4)).toBe(0x12378086);
  });

  it('sizes a BAR by writing all ones (the PM function has none: reads back 0)', () => {
    cfgWrite(DEVFN_PM, 0x10, 0xffffffff, 4);
    expect(cfgRead(DEVFN_PM, 0x10, 4)).toBe(0);
  });
});

describe('i440FX PAM shadow RAM', () => {
  function loadBios(): Uint8Array {
    const image = new Uint8Array(BIOS_SIZE);
    for (let i = 0; i < image.length; i++) image[i] = (i * 7 + 3) & 0xff;
    new Uint8Array(core.memory.buffer).set(image, core.exports.getRomArea());
    expect(core.exports.mapSystemBios(BIOS_SIZE)).toBe(1);
    core.exports.resetDevices();
    return image;
  }
  const phys = (addr: number): number => new DataView(core.memory.buffer).getUint8(0x1000000 + addr);

  it('decodes the BIOS at the top of 4 GiB and its last 128 KiB at 0xE0000 after reset', () => {
    const image = loadBios();
    const code = [0xa1, 0xf0, 0xff, 0x0f, 0x00, 0x89, 0xc3, 0xa1, 0xf0, 0xff, 0xff, 0xff, 0xf4]; // mov eax,[0xffff0]; mov ebx,eax; mov eax,[0xfffffff0]; hlt
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', 0x1000);
    core.run(10);
    const dv = new DataView(image.buffer);
    expect(core.getReg('ebx') >>> 0).toBe(dv.getUint32(BIOS_SIZE - 16, true));
    expect(core.getReg('eax') >>> 0).toBe(dv.getUint32(BIOS_SIZE - 16, true));
  });

  it('sends writes to DRAM only when PAM enables them, and reads DRAM only when enabled', () => {
    const image = loadBios();
    // mov dword [0xf0000], 0x11223344; mov eax, [0xf0000]; jmp $
    const code = [0xc7, 0x05, 0x00, 0x00, 0x0f, 0x00, 0x44, 0x33, 0x22, 0x11, 0xa1, 0x00, 0x00, 0x0f, 0x00, 0xeb, 0xfe];
    core.writePhys(0x1000, Uint8Array.from(code));
    const runIt = (): number => {
      core.setupFlat32({ cpl: 0 });
      core.setReg('eip', 0x1000);
      core.exports.setEflags(0x2);
      core.run(2);
      return core.getReg('eax') >>> 0;
    };
    const romWord = new DataView(image.buffer).getUint32(0x10000, true);
    // PAM 0: reads ROM, the write is dropped.
    expect(runIt()).toBe(romWord);
    expect(phys(0xf0000)).toBe(0);
    // Write-only: the write lands in DRAM, reads still see ROM.
    cfgWrite(DEVFN_HOST_BRIDGE, PAM0, 0x20, 1);
    expect(runIt()).toBe(romWord);
    expect(phys(0xf0000)).toBe(0x44);
    // Read and write: plain RAM.
    cfgWrite(DEVFN_HOST_BRIDGE, PAM0, PAM_RW << 4, 1);
    expect(runIt()).toBe(0x11223344);
    expect(cfgRead(DEVFN_HOST_BRIDGE, PAM0, 1)).toBe(0x30);
  });
});

describe('PIIX4 ACPI power management', () => {
  function enablePm(): void {
    cfgWrite(DEVFN_PM, PMBA, PM_BASE | 1, 4);
    cfgWrite(DEVFN_PM, PMREGMISC, 1, 1);
  }

  it('identifies as the 82371AB PM function and decodes its block only when enabled', () => {
    expect(cfgRead(DEVFN_PM, 0x00, 4)).toBe(0x71138086);
    cfgWrite(DEVFN_PM, PMBA, PM_BASE | 1, 4);
    expect(cfgRead(DEVFN_PM, PMBA, 4)).toBe(PM_BASE | 1);
    expect(core.exports.portRead(PM_BASE + 4, 2)).toBe(0xffff); // PMIOSE clear: open bus
    cfgWrite(DEVFN_PM, PMREGMISC, 1, 1);
    expect(core.exports.portRead(PM_BASE + 4, 2)).toBe(0);
  });

  it('runs the PM timer at 3.579545 MHz of virtual time', () => {
    enablePm();
    const t0 = core.exports.portRead(PM_BASE + 8, 4);
    const ns0 = core.exports.getClockNs();
    spin(100_000);
    const t1 = core.exports.portRead(PM_BASE + 8, 4);
    const ns = Number(core.exports.getClockNs() - ns0);
    const expected = (ns * PMTMR_HZ) / 1e9;
    expect(Math.abs(((t1 - t0) & 0xffffff) - expected)).toBeLessThanOrEqual(1);
  });

  it('raises the SCI on IRQ 9 for an enabled timer overflow once SCI_EN is set, and clears it on a status write', () => {
    enablePm();
    core.exports.portWrite(PM_BASE + 2, 1, 2); // TMROF_EN
    core.exports.portWrite(0xb2, 0xf1, 1); // ACPI_ENABLE through SMI_CMD sets SCI_EN
    expect(core.exports.portRead(PM_BASE + 4, 2) & 1).toBe(1);
    // 2^23 ticks ≈ 2.34 s of virtual time; a halted CPU skips there in deterministic mode.
    core.writePhys(0x1000, Uint8Array.of(0xfb, 0xf4, 0xeb, 0xfd)); // sti; hlt; jmp -3
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', 0x1000);
    core.run(1_000_000);
    expect(core.exports.portRead(PM_BASE, 2) & 1).toBe(1);
    expect(core.exports.getIrqLevel(SCI_IRQ)).toBe(1);
    core.exports.portWrite(PM_BASE, 1, 2);
    expect(core.exports.portRead(PM_BASE, 2) & 1).toBe(0);
    expect(core.exports.getIrqLevel(SCI_IRQ)).toBe(0);
  });

  // QEMU's fixed blocks that SeaBIOS's DSDT reads in its GPE handlers (QEMU docs/specs/acpi_pci_hotplug.rst,
  // acpi_cpu_hotplug.rst): nothing to insert or remove, CPU 0 alone present, GPE status write-1-to-clear.
  it('answers the GPE0, PCI hotplug and CPU-present blocks as QEMU does, not as an open bus', () => {
    const GPE0 = 0xafe0;
    const PCIU = 0xae00;
    const PCID = 0xae04;
    const B0EJ = 0xae08;
    const RMV = 0xae0c;
    const SEL = 0xae10;
    const CPU_PRESENT = 0xaf00;
    expect(core.exports.portRead(PCIU, 4)).toBe(0);
    expect(core.exports.portRead(PCID, 4)).toBe(0);
    expect(core.exports.portRead(RMV, 4)).toBe(0);
    // An eject request for slot 1 (the PIIX3) is refused: its IDE function still answers.
    core.exports.portWrite(B0EJ, 1 << 1, 4);
    expect(cfgRead((1 << 3) | 1, 0x00, 4)).toBe(0x70108086);
    core.exports.portWrite(SEL, 0x12345678, 4);
    expect(core.exports.portRead(SEL, 4)).toBe(0x12345678);
    expect(core.exports.portRead(CPU_PRESENT, 1)).toBe(1);
    for (let i = 1; i < 32; i++) expect(core.exports.portRead(CPU_PRESENT + i, 1)).toBe(0);
    core.exports.portWrite(CPU_PRESENT, 0xff, 1);
    expect(core.exports.portRead(CPU_PRESENT, 1)).toBe(1);
    expect(core.exports.portRead(GPE0, 2)).toBe(0); // no event pending
    core.exports.portWrite(GPE0 + 2, 0xffff, 2);
    expect(core.exports.portRead(GPE0 + 2, 2)).toBe(0xffff); // enables read back
    core.exports.portWrite(GPE0, 0xffff, 2); // status bits are write-1-to-clear: still none
    expect(core.exports.portRead(GPE0, 2)).toBe(0);
    enablePm();
    core.exports.portWrite(0xb2, 0xf1, 1);
    expect(core.exports.getIrqLevel(SCI_IRQ)).toBe(0);
    // The PM block moved onto the GPE0 block and off it again leaves the fixed block decoded.
    cfgWrite(DEVFN_PM, PMBA, 0xafc0 | 1, 4);
    cfgWrite(DEVFN_PM, PMBA, PM_BASE | 1, 4);
    expect(core.exports.portRead(GPE0 + 2, 2)).toBe(0xffff);
  });

  it('powers the machine off on SLP_EN with SLP_TYP 0 (soft-off)', () => {
    enablePm();
    // mov dx, PM_BASE+4; mov ax, 0x2000; out dx, ax; jmp $
    const code = [0x66, 0xba, (PM_BASE + 4) & 0xff, (PM_BASE + 4) >> 8, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0xeb, 0xfe];
    core.writePhys(0x1000, Uint8Array.from(code));
    core.setupFlat32({ cpl: 0 });
    core.setReg('eip', 0x1000);
    expect(core.run(100).reason).toBe('poweroff');
  });
});
