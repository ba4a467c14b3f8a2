// The Linux boot protocol loader (host/linux-boot.ts) against boot.rst and
// zero-page.rst: header parsing and validation on synthetic bzImage headers
// and on the real Debian kernel (when `tabvm images prepare` has run), the
// zero page it builds, and the 32-bit entry state it leaves in the CPU.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createCore } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';
import {
  BOOT_CS,
  BOOT_DS,
  CMDLINE_ADDR,
  E820_RAM,
  E820_RESERVED,
  GDT_ADDR,
  KERNEL_ADDR,
  LinuxBootError,
  ZERO_PAGE_ADDR,
  buildZeroPage,
  e820Map,
  loadLinux,
  parseLinuxHeader,
  planLinuxBoot,
} from '../../host/linux-boot.js';
import { imagesDir } from '../../helper/images.js';

const MIB = 1024 * 1024;
const SETUP_SECTS = 4;
const PM_BYTES = 64 * 1024;

interface FakeKernel {
  version?: number;
  setupSects?: number;
  syssize?: number;
  loadflags?: number;
  relocatable?: boolean;
  alignment?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  prefAddress?: number;
  initSize?: number;
  magic?: string;
  truncateTo?: number;
}

/** A bzImage-shaped file: boot sector, setup sectors with the header, then a recognisable protected-mode part. */
function fakeKernel(o: FakeKernel = {}): Uint8Array {
  const setup = o.setupSects ?? SETUP_SECTS;
  const len = ((setup || 4) + 1) * 512 + PM_BYTES;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  b[0x1f1] = setup;
  dv.setUint32(0x1f4, o.syssize ?? PM_BYTES / 16, true);
  dv.setUint16(0x1fa, 0xffff, true);
  dv.setUint16(0x1fe, 0xaa55, true);
  b[0x200] = 0xeb;
  b[0x201] = 0x6a; // header ends at 0x26c, as in Linux 6.1
  b.set(new TextEncoder().encode(o.magic ?? 'HdrS'), 0x202);
  dv.setUint16(0x206, o.version ?? 0x020f, true);
  b[0x211] = o.loadflags ?? 0x01;
  dv.setUint32(0x214, KERNEL_ADDR, true);
  dv.setUint32(0x22c, o.initrdAddrMax ?? 0x7fffffff, true);
  dv.setUint32(0x230, o.alignment ?? 0x200000, true);
  b[0x234] = o.relocatable === false ? 0 : 1;
  dv.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  dv.setUint32(0x258, o.prefAddress ?? 0x1000000, true);
  dv.setUint32(0x260, o.initSize ?? 0x800000, true);
  const pm = ((setup || 4) + 1) * 512;
  for (let i = 0; i < PM_BYTES; i++) b[pm + i] = (i * 7 + 3) & 0xff;
  return o.truncateTo === undefined ? b : b.subarray(0, o.truncateTo);
}

const gzipMagic = (n: number): Uint8Array => {
  const d = new Uint8Array(n);
  d[0] = 0x1f;
  d[1] = 0x8b;
  return d;
};

describe('bzImage header validation (boot.rst "The real-mode kernel header")', () => {
  it('parses the fields a loader needs', () => {
    const h = parseLinuxHeader(fakeKernel({ setupSects: 6, initSize: 0x1234000 }));
    expect(h.protocol).toBe(0x020f);
    expect(h.setupSects).toBe(6);
    expect(h.kernelOffset).toBe(7 * 512);
    expect(h.kernelSize).toBe(PM_BYTES);
    expect(h.relocatable).toBe(true);
    expect(h.kernelAlignment).toBe(0x200000);
    expect(h.cmdlineSize).toBe(2047);
    expect(h.initSize).toBe(0x1234000);
    expect(h.headerEnd).toBe(0x26c);
  });

  it('treats setup_sects 0 as 4', () => {
    expect(parseLinuxHeader(fakeKernel({ setupSects: 0 })).kernelOffset).toBe(5 * 512);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['a file without "HdrS"', fakeKernel({ magic: 'ELF!' }), /not a Linux bzImage: no "HdrS"/],
    ['a tiny file', new Uint8Array(100), /only 100 bytes/],
    ['protocol 2.03', fakeKernel({ version: 0x0203 }), /boot protocol 2\.03; tabvm needs 2\.04/],
    ['a zImage (LOADED_HIGH clear)', fakeKernel({ loadflags: 0 }), /zImage/],
    ['a truncated kernel', fakeKernel({ truncateTo: 5 * 512 + 1000 }), /truncated: its header announces/],
    ['syssize 0', fakeKernel({ syssize: 0 }), /syssize is 0/],
    ['a bad kernel_alignment', fakeKernel({ alignment: 0x300000 }), /not a power of two/],
  ];
  for (const [what, data, reason] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => parseLinuxHeader(data)).toThrow(LinuxBootError);
      expect(() => parseLinuxHeader(data)).toThrow(reason);
    });
  }
});

describe('placement (boot.rst "Loading the rest of the kernel", initrd_addr_max)', () => {
  it('puts the initrd page-aligned at the top of usable RAM, below the firmware tables', () => {
    const ram = 64 * MIB;
    const plan = planLinuxBoot({ kernel: fakeKernel(), initrd: gzipMagic(12345) }, ram);
    expect(plan.initrdAddr % 4096).toBe(0);
    expect(plan.initrdAddr + 12345).toBeLessThanOrEqual(ram - 128 * 1024);
    expect(ram - 128 * 1024 - (plan.initrdAddr + 12345)).toBeLessThan(4096);
  });

  it('keeps the initrd at or below initrd_addr_max', () => {
    const plan = planLinuxBoot({ kernel: fakeKernel({ initrdAddrMax: 0x27fffff }), initrd: gzipMagic(4096) }, 256 * MIB);
    expect(plan.initrdAddr + 4096).toBeLessThanOrEqual(0x2800000);
  });

  it('refuses an initrd larger than RAM above the kernel, naming the --mem that fits', () => {
    expect(() => planLinuxBoot({ kernel: fakeKernel(), initrd: gzipMagic(40 * MIB) }, 48 * MIB)).toThrow(
      /initrd \(41943040 bytes\) does not fit in RAM above the kernel .*give --mem \d+ MiB or more/,
    );
  });

  it('refuses RAM too small for the kernel to decompress (pref_address + init_size)', () => {
    expect(() => planLinuxBoot({ kernel: fakeKernel({ initSize: 0x1000000 }) }, 24 * MIB)).toThrow(/needs RAM up to 0x2000000/);
  });

  it('refuses a command line longer than cmdline_size', () => {
    expect(() => planLinuxBoot({ kernel: fakeKernel({ cmdlineSize: 10 }), cmdline: 'console=ttyS0 x' }, 64 * MIB)).toThrow(/at most 10/);
  });
});

describe('the zero page (zero-page.rst)', () => {
  it('reports the PC memory map in e820_table', () => {
    const ram = 64 * MIB;
    const map = e820Map(ram);
    expect(map).toEqual([
      [0, 0x9fc00, E820_RAM],
      [0x9fc00, 0x400, E820_RESERVED],
      [0xe0000, 0x20000, E820_RESERVED],
      [MIB, ram - 128 * 1024 - MIB, E820_RAM],
      [ram - 128 * 1024, 128 * 1024, E820_RESERVED],
      [0xfffc0000, 0x40000, E820_RESERVED],
    ]);
    const kernel = fakeKernel();
    const input = { kernel, initrd: gzipMagic(5000), cmdline: 'console=ttyS0' };
    const zp = buildZeroPage(input, planLinuxBoot(input, ram), ram);
    const dv = new DataView(zp.buffer);
    expect(zp[0x1e8]).toBe(map.length);
    map.forEach(([base, len, type], i) => {
      expect(Number(dv.getBigUint64(0x2d0 + i * 20, true))).toBe(base);
      expect(Number(dv.getBigUint64(0x2d0 + i * 20 + 8, true))).toBe(len);
      expect(dv.getUint32(0x2d0 + i * 20 + 16, true)).toBe(type);
    });
  });

  it('copies the setup header and fills in the loader fields', () => {
    const kernel = fakeKernel();
    const input = { kernel, initrd: gzipMagic(5000), cmdline: 'console=ttyS0' };
    const plan = planLinuxBoot(input, 64 * MIB);
    const zp = buildZeroPage(input, plan, 64 * MIB);
    const dv = new DataView(zp.buffer);
    expect(new TextDecoder().decode(zp.subarray(0x202, 0x206))).toBe('HdrS');
    expect(dv.getUint16(0x206, true)).toBe(0x020f);
    expect(zp[0x210]).toBe(0xff); // type_of_loader: undefined
    expect(zp[0x211] & 1).toBe(1); // LOADED_HIGH
    expect(dv.getUint32(0x228, true)).toBe(CMDLINE_ADDR);
    expect(dv.getUint32(0x218, true)).toBe(plan.initrdAddr);
    expect(dv.getUint32(0x21c, true)).toBe(5000);
    expect(zp[0x1ef]).toBe(0); // the sentinel: boot_params was cleared
    // screen_info: VGA colour text 80x25.
    expect(zp[0x06]).toBe(3);
    expect(zp[0x07]).toBe(80);
    expect(zp[0x0e]).toBe(25);
    expect(zp[0x0f]).toBe(1);
    // Nothing past the header is copied from the file.
    expect(zp.subarray(0x26c, 0x2d0).every((b) => b === 0)).toBe(true);
  });
});

describe('loadLinux: the 32-bit boot protocol entry state', () => {
  it('loads the kernel at 1 MiB and enters it in flat protected mode with ESI = the zero page', async () => {
    const core = await createCore({ memoryMiB: 64 });
    const kernel = fakeKernel();
    const initrd = gzipMagic(3000);
    initrd[2000] = 0x5a;
    const plan = loadLinux(core, { kernel, initrd, cmdline: 'root=/dev/ram0 console=ttyS0' });
    expect(core.readPhys(KERNEL_ADDR, PM_BYTES)).toEqual(kernel.subarray(5 * 512));
    expect(core.readPhys(plan.initrdAddr, 3000)).toEqual(initrd);
    expect(new TextDecoder().decode(core.readPhys(CMDLINE_ADDR, 29))).toBe('root=/dev/ram0 console=ttyS0\0');
    expect(new TextDecoder().decode(core.readPhys(ZERO_PAGE_ADDR + 0x202, 4))).toBe('HdrS');
    expect(core.getReg('eip')).toBe(KERNEL_ADDR);
    expect(core.getReg('esi')).toBe(ZERO_PAGE_ADDR);
    for (const r of ['ebx', 'ebp', 'edi'] as const) expect(core.getReg(r)).toBe(0);
    expect(core.getReg('eflags') & (1 << 9)).toBe(0); // IF clear
    expect(core.getState(L.OFF_CR0) & 1).toBe(1); // PE
    expect(core.getState(L.OFF_CR0) >>> 31).toBe(0); // PG off
    expect(core.getState(L.OFF_SEGS + L.SEG_CS * L.SEG_SIZE + L.SEG_SEL) & 0xffff).toBe(BOOT_CS);
    expect(core.getState(L.OFF_SEGS + L.SEG_DS * L.SEG_SIZE + L.SEG_SEL) & 0xffff).toBe(BOOT_DS);
    expect(core.getState(L.OFF_SEGS + L.SEG_SS * L.SEG_SIZE + L.SEG_SEL) & 0xffff).toBe(BOOT_DS);
    // The GDT the selectors name: flat 4 GiB code (0x9a) and data (0x92), G and D set.
    expect(core.getState(L.OFF_GDTR_BASE)).toBe(GDT_ADDR);
    const gdt = new DataView(core.readPhys(GDT_ADDR, 32).buffer);
    expect(gdt.getBigUint64(BOOT_CS, true)).toBe(0x00cf9a000000ffffn);
    expect(gdt.getBigUint64(BOOT_DS, true)).toBe(0x00cf92000000ffffn);
  });

  it('runs the kernel image in 32-bit mode: a far jump through __BOOT_CS reloads from the GDT', async () => {
    const core = await createCore({ memoryMiB: 32 });
    // mov eax, 0x12345678; jmp 0x10:next; next: mov ebx, esi; out 0xf4, al (isa-debug-exit)
    const kernel = fakeKernel();
    const code = [0xb8, 0x78, 0x56, 0x34, 0x12, 0xea, ...[0x0c, 0x00, 0x10, 0x00], 0x10, 0x00, 0x89, 0xf3, 0xe6, 0xf4];
    kernel.set(code, 5 * 512);
    loadLinux(core, { kernel });
    const r = core.run(100);
    expect(r.reason).toBe('exit');
    expect(core.getReg('eax')).toBe(0x12345678);
    expect(core.getReg('ebx')).toBe(ZERO_PAGE_ADDR);
  });
});

const KERNEL = join(imagesDir(), 'vmlinuz');
describe.skipIf(!existsSync(KERNEL))('the Debian 686 kernel (run "tabvm images prepare" to enable)', () => {
  it('is a relocatable bzImage of protocol 2.04 or newer that fits 64 MiB with its initrd', () => {
    const kernel = new Uint8Array(readFileSync(KERNEL));
    const h = parseLinuxHeader(kernel);
    expect(h.protocol).toBeGreaterThanOrEqual(0x0204);
    expect(h.relocatable).toBe(true);
    expect(h.kernelOffset + h.kernelSize).toBeLessThanOrEqual(kernel.length);
    const initrd = new Uint8Array(readFileSync(join(imagesDir(), 'initrd.gz')));
    const plan = planLinuxBoot({ kernel, initrd, cmdline: 'console=ttyS0' }, 64 * MIB);
    expect(plan.initrdAddr).toBeGreaterThanOrEqual(h.prefAddress + h.initSize);
    expect(() => planLinuxBoot({ kernel, initrd }, 16 * MIB)).toThrow(/give --mem/);
  });
});
