// The direct-boot ACPI tables (host/acpi-tables.ts) as an ACPI 2.0 OS reads
// them: RSDP found and checksummed, RSDT → FADT → FACS/DSDT, the PM block
// where the PIIX4 PM device decodes it, \_S5 as soft-off type 0, and the PCI
// root bridge Linux needs to scan bus 0.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildAcpiTables, ACPI_TABLES_BASE } from '../../host/acpi-tables.js';

const PM_BASE = 0x600;

function sum(bytes: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = off; i < off + len; i++) s = (s + bytes[i]) & 0xff;
  return s;
}
function ascii(bytes: Uint8Array, off: number, len: number): string {
  return String.fromCharCode(...bytes.subarray(off, off + len));
}

describe('direct-boot ACPI tables', () => {
  const t = buildAcpiTables({ pmBase: PM_BASE, sciIrq: 9, ramBytes: 128 << 20, pirqIrqs: [10, 10, 11, 11] });
  const dv = new DataView(t.bytes.buffer);
  const off = (addr: number): number => addr - t.base;

  it('puts a valid ACPI 2.0 RSDP on a 16-byte boundary in the BIOS area', () => {
    expect(t.rsdp).toBe(ACPI_TABLES_BASE);
    expect(t.rsdp % 16).toBe(0);
    expect(ascii(t.bytes, 0, 8)).toBe('RSD PTR ');
    expect(sum(t.bytes, 0, 20)).toBe(0);
    expect(sum(t.bytes, 0, 36)).toBe(0);
    expect(dv.getUint8(15)).toBe(2);
  });

  it('chains RSDT → FADT → FACS and DSDT, every table checksummed', () => {
    const rsdt = off(dv.getUint32(16, true));
    expect(ascii(t.bytes, rsdt, 4)).toBe('RSDT');
    expect(sum(t.bytes, rsdt, dv.getUint32(rsdt + 4, true))).toBe(0);
    const fadt = off(dv.getUint32(rsdt + 36, true));
    expect(ascii(t.bytes, fadt, 4)).toBe('FACP');
    expect(dv.getUint32(fadt + 4, true)).toBe(244);
    expect(sum(t.bytes, fadt, 244)).toBe(0);
    const facs = off(dv.getUint32(fadt + 36, true));
    expect(ascii(t.bytes, facs, 4)).toBe('FACS');
    expect((t.base + facs) % 64).toBe(0);
    const dsdt = off(dv.getUint32(fadt + 40, true));
    expect(ascii(t.bytes, dsdt, 4)).toBe('DSDT');
    expect(sum(t.bytes, dsdt, dv.getUint32(dsdt + 4, true))).toBe(0);
    expect(Number(dv.getBigUint64(fadt + 140, true))).toBe(t.base + dsdt);
  });

  it('describes the PIIX4 PM block, the SCI, SMI_CMD and the 0xCF9 reset register', () => {
    const fadt = off(dv.getUint32(off(dv.getUint32(16, true)) + 36, true));
    expect(dv.getUint16(fadt + 46, true)).toBe(9);
    expect(dv.getUint32(fadt + 48, true)).toBe(0xb2);
    expect(dv.getUint8(fadt + 52)).toBe(0xf1);
    expect(dv.getUint32(fadt + 56, true)).toBe(PM_BASE);
    expect(dv.getUint32(fadt + 64, true)).toBe(PM_BASE + 4);
    expect(dv.getUint32(fadt + 76, true)).toBe(PM_BASE + 8);
    expect([dv.getUint8(fadt + 88), dv.getUint8(fadt + 89), dv.getUint8(fadt + 91)]).toEqual([4, 2, 4]);
    expect(dv.getUint16(fadt + 109, true) & 2).toBe(2); // 8042 present
    expect(dv.getUint32(fadt + 112, true) & (1 << 10)).not.toBe(0); // RESET_REG_SUP
    expect(dv.getUint8(fadt + 116)).toBe(1); // I/O space
    expect(Number(dv.getBigUint64(fadt + 120, true))).toBe(0xcf9);
    expect(dv.getUint8(fadt + 128)).toBe(6);
  });

  it('declares \\_S5 as a four-element package of zeros', () => {
    const fadt = off(dv.getUint32(off(dv.getUint32(16, true)) + 36, true));
    const dsdt = off(dv.getUint32(fadt + 40, true));
    const aml = Array.from(t.bytes.subarray(dsdt + 36, dsdt + dv.getUint32(dsdt + 4, true)));
    expect(aml.slice(0, 12)).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0, 0, 0, 0]);
  });

  // ACPICA's disassembler is the reference decoder of the AML (Debian's acpica-tools, installed by .ci/run).
  const iasl = spawnSync('iasl', ['-v'], { encoding: 'utf8' });
  if (iasl.error) console.warn('DSDT decoding test skipped: iasl not found (apt-get install acpica-tools)');
  it.skipIf(iasl.error !== undefined)('declares the PCI root bridge with its windows and the PIRQ routing, as ACPICA decodes it', () => {
    const fadt = off(dv.getUint32(off(dv.getUint32(16, true)) + 36, true));
    const dsdt = off(dv.getUint32(fadt + 40, true));
    const dir = mkdtempSync(join(tmpdir(), 'tabvm-dsdt-'));
    try {
      writeFileSync(join(dir, 'dsdt.aml'), t.bytes.subarray(dsdt, dsdt + dv.getUint32(dsdt + 4, true)));
      const r = spawnSync('iasl', ['-d', join(dir, 'dsdt.aml')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const asl = readFileSync(join(dir, 'dsdt.dsl'), 'utf8').replace(/\s+/g, ' ');
      expect(asl).toContain('Scope (\\_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A03")');
      const ranges = [
        ...asl.matchAll(
          /(Word|DWord)(BusNumber|IO|Memory) \(ResourceProducer.*?0x([0-9A-F]+), \/\/ Range Minimum 0x([0-9A-F]+), \/\/ Range Maximum/g,
        ),
      ].map((m) => `${m[2]} ${m[3]}-${m[4]}`);
      expect(ranges).toEqual([
        'BusNumber 0000-00FF',
        'IO 0000-0CF7',
        'IO 0D00-FFFF',
        'Memory 000A0000-000BFFFF',
        'Memory 08000000-FEBFFFFF',
      ]);
      expect(asl).toContain('IO (Decode16, 0x0CF8, // Range Minimum 0x0CF8, // Range Maximum 0x01, // Alignment 0x08, // Length');
      // Slot s, pin p (0 = INTA) reaches PIRQ (s + p) mod 4, routed to IRQ 10, 10, 11, 11.
      const prt = [...asl.matchAll(/Package \(0x04\) \{ 0x([0-9A-F]{4})FFFF, (Zero|One|0x0[23]), Zero, 0x0([AB]) \}/g)];
      expect(prt).toHaveLength(31 * 4);
      const pin = (v: string): number => (v === 'Zero' ? 0 : v === 'One' ? 1 : Number(v));
      for (const m of prt) expect(parseInt(m[3], 16)).toBe([10, 10, 11, 11][(parseInt(m[1], 16) + pin(m[2])) % 4]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists the local APIC, the IOAPIC and QEMU's interrupt source overrides in a checksummed MADT", () => {
    const rsdt = off(dv.getUint32(16, true));
    const entries = (dv.getUint32(rsdt + 4, true) - 36) / 4;
    const tables = Array.from({ length: entries }, (_, i) => off(dv.getUint32(rsdt + 36 + 4 * i, true)));
    const madt = tables.find((o) => ascii(t.bytes, o, 4) === 'APIC');
    expect(madt).toBeDefined();
    const m = madt as number;
    const len = dv.getUint32(m + 4, true);
    expect(sum(t.bytes, m, len)).toBe(0);
    expect(dv.getUint32(m + 36, true)).toBe(0xfee00000);
    expect(dv.getUint32(m + 40, true) & 1).toBe(1); // PCAT_COMPAT
    // Walk the interrupt controller structures (type, length, ...).
    const found: { type: number; bytes: number[] }[] = [];
    for (let e = m + 44; e < m + len; e += dv.getUint8(e + 1)) {
      expect(dv.getUint8(e + 1)).toBeGreaterThan(0);
      found.push({ type: dv.getUint8(e), bytes: Array.from(t.bytes.subarray(e, e + dv.getUint8(e + 1))) });
    }
    // One enabled processor: ACPI ID 0, APIC ID 0.
    expect(found.filter((f) => f.type === 0).map((f) => f.bytes)).toEqual([[0, 8, 0, 0, 1, 0, 0, 0]]);
    // The IOAPIC: ID 0 at 0xFEC00000, GSI base 0.
    expect(found.filter((f) => f.type === 1).map((f) => f.bytes)).toEqual([[1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0]]);
    const overrides = found
      .filter((f) => f.type === 2)
      .map((f) => {
        const d = new DataView(Uint8Array.from(f.bytes).buffer);
        return { bus: d.getUint8(2), irq: d.getUint8(3), gsi: d.getUint32(4, true), flags: d.getUint16(8, true) };
      });
    expect(overrides).toEqual([
      { bus: 0, irq: 0, gsi: 2, flags: 0 },
      { bus: 0, irq: 5, gsi: 5, flags: 0xd },
      { bus: 0, irq: 9, gsi: 9, flags: 0xd },
      { bus: 0, irq: 10, gsi: 10, flags: 0xd },
      { bus: 0, irq: 11, gsi: 11, flags: 0xd },
    ]);
    // LINT1 is every processor's NMI.
    expect(found.filter((f) => f.type === 4).map((f) => f.bytes)).toEqual([[4, 6, 0xff, 0, 0, 1]]);
  });

  it('refuses a PM base the PIIX4 cannot decode', () => {
    expect(() => buildAcpiTables({ pmBase: 0x601, sciIrq: 9, ramBytes: 128 << 20, pirqIrqs: [10, 10, 11, 11] })).toThrow(/64-byte aligned/);
  });
});
