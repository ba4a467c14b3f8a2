// ACPI tables for machines booted without firmware (direct Linux boot).
//
// Reference: ACPI Specification 2.0 §5.2 (RSDP, RSDT, FADT, FACS, DSDT) and
// §16 (AML encoding); the PIIX4 PM block is core-as/devices/acpi-pm.ts. With
// SeaBIOS, the BIOS builds its own tables; a kernel started directly by
// tabvm's loader finds these instead, through the RSDP in the BIOS area
// (0xE0000-0xFFFFF, 16-byte aligned, ACPI 2.0 §5.2.4.1) or boot_params.
//
// What the tables declare:
//   FADT  PM1a event block at pmBase (4 bytes), PM1a control at pmBase + 4
//         (2), PM timer at pmBase + 8 (4, 24-bit); SCI on IRQ 9; SMI_CMD 0xB2
//         with ACPI_ENABLE F1h / ACPI_DISABLE F0h; the reset register: I/O
//         port 0xCF9, value 06h (PIIX3 reset control, a hard reset); flags:
//         WBINVD, PROC_C1, SLP_BUTTON (no sleep button), RESET_REG_SUP.
//   DSDT  \_S5 (soft-off) with SLP_TYP 0, the value the PM device treats as
//         power-off; \_SB.PCI0, the i440FX host bridge as a PCI root
//         (PNP0A03, ACPI 2.0 §6.1/§6.2.2 and the PCI Firmware spec): bus 0-FF,
//         the configuration ports CF8-CFF, the I/O windows around them, the
//         VGA hole A0000-BFFFF and the memory above RAM up to FEBFFFFF, and a
//         _PRT giving each slot's INTA-D the ISA IRQ its PIRQ line is routed
//         to (host/platform-init.ts: (slot + pin) mod 4 → 10, 10, 11, 11).
//         Without a root bridge in the namespace Linux scans no PCI bus at all
//         when ACPI is on. The PC's ISA devices are found by legacy probing.
//   FACS  required by the FADT; no firmware waking vector.
//   MADT  (ACPI 2.0 §5.2.10.4, as QEMU's pc machine builds it) the local
//         APIC at 0xFEE00000 with one processor (APIC ID 0), the IOAPIC
//         (ID 0) at 0xFEC00000 with GSI base 0, interrupt source overrides
//         ISA IRQ 0 → GSI 2 (the PIT's wiring) and the PCI-capable ISA lines
//         5, 9 (the SCI), 10 and 11 level-triggered active-high, LINT1 as
//         every processor's NMI; flag PCAT_COMPAT (a dual 8259 is present too).

/** Where the tables go: the top of the BIOS area, which the e820 map reserves. */
export const ACPI_TABLES_BASE = 0xe0000;
export const ACPI_TABLES_MAX = 0x10000;

export interface AcpiTableOptions {
  /** I/O base of the PIIX4 PM block (PMBA), as the loader programmed it. */
  pmBase: number;
  sciIrq: number;
  /** Guest RAM in bytes: PCI memory starts above it. */
  ramBytes: number;
  /** The ISA IRQ each PIRQ line A-D is routed to (the _PRT's GSIs). */
  pirqIrqs: readonly number[];
  /** Guest-physical address the blob is placed at (default ACPI_TABLES_BASE). */
  base?: number;
}

export interface AcpiTables {
  /** Guest-physical address of the RSDP (the blob's first byte). */
  rsdp: number;
  base: number;
  bytes: Uint8Array;
}

const OEM_ID = 'TABVM ';
const OEM_TABLE_ID = 'TABVMPC ';
const CREATOR_ID = 'TBVM';
const HEADER_SIZE = 36;
const FADT_REVISION = 3; // ACPI 2.0 layout (RESET_REG)
const FADT_SIZE = 244;
const FACS_SIZE = 64;
const SMI_CMD_PORT = 0xb2;
const ACPI_ENABLE = 0xf1;
const ACPI_DISABLE = 0xf0;
const RESET_PORT = 0xcf9;
const RESET_VALUE = 0x06;
const ADDRESS_SPACE_IO = 1;
// FADT flags (ACPI 2.0 Table 5-9).
const FLAG_WBINVD = 1 << 0;
const FLAG_PROC_C1 = 1 << 2;
const FLAG_SLP_BUTTON = 1 << 5;
const FLAG_RESET_REG_SUP = 1 << 10;
// IAPC_BOOT_ARCH flags (ACPI 2.0 Table 5-10).
const BOOT_ARCH_LEGACY_DEVICES = 1 << 0;
const BOOT_ARCH_8042 = 1 << 1;
// AML opcodes (ACPI 2.0 §16.2).
const AML_NAME = 0x08;
const AML_PACKAGE = 0x12;
const AML_ZERO = 0x00;
const AML_ONE = 0x01;
const AML_BYTE_PREFIX = 0x0a;
const AML_WORD_PREFIX = 0x0b;
const AML_DWORD_PREFIX = 0x0c;
const AML_SCOPE = 0x10;
const AML_BUFFER = 0x11;
const AML_EXT_PREFIX = 0x5b;
const AML_DEVICE = 0x82;
const AML_ROOT_CHAR = 0x5c;
// MADT (ACPI 2.0 §5.2.10.4, Tables 5-21 to 5-31).
export const LOCAL_APIC_ADDRESS = 0xfee00000;
export const IOAPIC_ADDRESS = 0xfec00000;
const MADT_REVISION = 1;
const MADT_PCAT_COMPAT = 1 << 0;
const MADT_LOCAL_APIC = 0;
const MADT_IO_APIC = 1;
const MADT_SOURCE_OVERRIDE = 2;
const MADT_LOCAL_APIC_NMI = 4;
const LOCAL_APIC_ENABLED = 1 << 0;
const MADT_LOCAL_APIC_SIZE = 8;
const MADT_IO_APIC_SIZE = 12;
const MADT_SOURCE_OVERRIDE_SIZE = 10;
const MADT_LOCAL_APIC_NMI_SIZE = 6;
const ALL_PROCESSORS = 0xff;
const NMI_LINT = 1;
const ISA_BUS = 0;
const PIT_IRQ = 0;
const PIT_GSI = 2;
/** MPS INTI flags: polarity active high (01b), trigger level (11b << 2). */
const INTI_LEVEL_ACTIVE_HIGH = 0x0d;
/** ISA lines PCI interrupts may be routed to (QEMU's ACPI_BUILD_PCI_IRQS, with the SCI). */
const PCI_ISA_IRQS = [5, 10, 11];

function writeAscii(dv: DataView, off: number, text: string): void {
  for (let i = 0; i < text.length; i++) dv.setUint8(off + i, text.charCodeAt(i));
}

/** Fill a System Description Table header (ACPI 2.0 §5.2.6); the checksum is set by finish(). */
function header(dv: DataView, off: number, signature: string, length: number, revision: number): void {
  writeAscii(dv, off, signature);
  dv.setUint32(off + 4, length, true);
  dv.setUint8(off + 8, revision);
  writeAscii(dv, off + 10, OEM_ID);
  writeAscii(dv, off + 16, OEM_TABLE_ID);
  dv.setUint32(off + 24, 1, true); // OEM revision
  writeAscii(dv, off + 28, CREATOR_ID);
  dv.setUint32(off + 32, 1, true); // creator revision
}

/** Set the byte at `sumOff` so that bytes [off, off + len) sum to zero mod 256. */
function checksum(bytes: Uint8Array, off: number, len: number, sumOff: number): void {
  bytes[sumOff] = 0;
  let sum = 0;
  for (let i = off; i < off + len; i++) sum = (sum + bytes[i]) & 0xff;
  bytes[sumOff] = (0x100 - sum) & 0xff;
}

/** A Generic Address Structure (ACPI 2.0 §5.2.3.1) for an I/O port register. */
function ioAddress(dv: DataView, off: number, port: number, bitWidth: number): void {
  dv.setUint8(off, ADDRESS_SPACE_IO);
  dv.setUint8(off + 1, bitWidth);
  dv.setUint8(off + 2, 0);
  dv.setUint8(off + 3, 0);
  dv.setBigUint64(off + 4, BigInt(port), true);
}

/** AML PkgLength (ACPI 2.0 §16.2.4) of `contentLength` bytes, counting its own bytes. */
function pkgLength(contentLength: number): number[] {
  if (contentLength + 1 < 0x40) return [contentLength + 1];
  for (let extra = 1; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (total < 1 << (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push((total >> (4 + 8 * i)) & 0xff);
      return out;
    }
  }
  throw new RangeError('AML package too long');
}

const nameSeg = (name: string): number[] => [...name.padEnd(4, '_')].map((c) => c.charCodeAt(0));

/** The smallest AML integer encoding of `v` (ACPI 2.0 §16.2.3 ComputationalData). */
function amlInteger(v: number): number[] {
  if (v === 0) return [AML_ZERO];
  if (v === 1) return [AML_ONE];
  if (v <= 0xff) return [AML_BYTE_PREFIX, v];
  if (v <= 0xffff) return [AML_WORD_PREFIX, v & 0xff, v >> 8];
  return [AML_DWORD_PREFIX, ...le32(v)];
}

const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

const amlName = (name: string, value: number[]): number[] => [AML_NAME, ...nameSeg(name), ...value];
const amlPackage = (elements: number[][]): number[] => {
  const body = [elements.length, ...elements.flat()];
  return [AML_PACKAGE, ...pkgLength(body.length), ...body];
};
const amlBuffer = (bytes: number[]): number[] => {
  const body = [...amlInteger(bytes.length), ...bytes];
  return [AML_BUFFER, ...pkgLength(body.length), ...body];
};

// Resource descriptors for _CRS (ACPI 2.0 §6.4).
const RES_IO = 0x47;
const RES_END = 0x79;
const RES_WORD_ADDRESS = 0x88;
const RES_DWORD_ADDRESS = 0x87;
const ADDRESS_MEMORY = 0;
const ADDRESS_IO = 1;
const ADDRESS_BUS = 2;
/** General flags: a producer (bit 0 clear), positive decode, minimum and maximum fixed (§6.4.3.5). */
const ADDRESS_PRODUCER_FIXED = 0x0c;
/** I/O type flags: the window covers ISA and non-ISA ranges. */
const IO_ENTIRE_RANGE = 0x03;
/** Memory type flags: read/write, cacheable. */
const MEM_CACHEABLE_RW = 0x03;

function wordAddress(type: number, typeFlags: number, min: number, max: number): number[] {
  const fields = [type, ADDRESS_PRODUCER_FIXED, typeFlags, ...le16(0), ...le16(min), ...le16(max), ...le16(0), ...le16(max - min + 1)];
  return [RES_WORD_ADDRESS, ...le16(fields.length), ...fields];
}
function dwordMemory(min: number, max: number): number[] {
  const fields = [
    ADDRESS_MEMORY,
    ADDRESS_PRODUCER_FIXED,
    MEM_CACHEABLE_RW,
    ...le32(0),
    ...le32(min),
    ...le32(max),
    ...le32(0),
    ...le32(max - min + 1),
  ];
  return [RES_DWORD_ADDRESS, ...le16(fields.length), ...fields];
}

/** PCI memory above RAM ends below the IOAPIC, HPET and LAPIC range, as on QEMU's pc machine. */
const PCI_MEMORY_END = 0xfebfffff;
const VGA_HOLE = [0xa0000, 0xbffff];
const CONFIG_PORTS = 0xcf8;
const CONFIG_PORT_COUNT = 8;
const PCI_SLOTS = 32;
const INT_PINS = 4;
/** EisaId("PNP0A03"): a PCI root bus. */
const EISA_PNP0A03 = 0x030ad041;

/** \_SB.PCI0 with _HID, _ADR, _UID, _CRS and _PRT (see the top comment). */
function pciRoot(ramBytes: number, pirqIrqs: readonly number[]): number[] {
  const crs = [
    ...wordAddress(ADDRESS_BUS, 0, 0, 0xff),
    ...[RES_IO, 1, ...le16(CONFIG_PORTS), ...le16(CONFIG_PORTS), 1, CONFIG_PORT_COUNT],
    ...wordAddress(ADDRESS_IO, IO_ENTIRE_RANGE, 0, CONFIG_PORTS - 1),
    ...wordAddress(ADDRESS_IO, IO_ENTIRE_RANGE, CONFIG_PORTS + CONFIG_PORT_COUNT, 0xffff),
    ...dwordMemory(VGA_HOLE[0], VGA_HOLE[1]),
    ...dwordMemory(ramBytes, PCI_MEMORY_END),
    RES_END,
    0,
  ];
  const prt: number[][] = [];
  for (let slot = 1; slot < PCI_SLOTS; slot++) {
    for (let pin = 0; pin < INT_PINS; pin++) {
      // Address: slot in the high word, any function (FFFF); source 0: a fixed GSI, not a link device.
      prt.push(
        amlPackage([amlInteger(((slot << 16) | 0xffff) >>> 0), amlInteger(pin), [AML_ZERO], amlInteger(pirqIrqs[(slot + pin) % 4])]),
      );
    }
  }
  const device = [
    ...nameSeg('PCI0'),
    ...amlName('_HID', [AML_DWORD_PREFIX, ...le32(EISA_PNP0A03)]),
    ...amlName('_ADR', [AML_ZERO]),
    ...amlName('_UID', [AML_ZERO]),
    ...amlName('_CRS', amlBuffer(crs)),
    ...amlName('_PRT', amlPackage(prt)),
  ];
  const devOp = [AML_EXT_PREFIX, AML_DEVICE, ...pkgLength(device.length), ...device];
  const scope = [AML_ROOT_CHAR, ...nameSeg('_SB_'), ...devOp];
  return [AML_SCOPE, ...pkgLength(scope.length), ...scope];
}

/** The DSDT's AML body: Name (_S5, Package (4) { Zero, Zero, Zero, Zero }) and the PCI root. */
function dsdtBody(ramBytes: number, pirqIrqs: readonly number[]): number[] {
  return [...amlName('_S5_', amlPackage([[AML_ZERO], [AML_ZERO], [AML_ZERO], [AML_ZERO]])), ...pciRoot(ramBytes, pirqIrqs)];
}

export function buildAcpiTables(opts: AcpiTableOptions): AcpiTables {
  const base = opts.base ?? ACPI_TABLES_BASE;
  if (!Number.isInteger(opts.pmBase) || opts.pmBase <= 0 || opts.pmBase > 0xffc0 || opts.pmBase % 64 !== 0) {
    throw new RangeError(`PM base 0x${opts.pmBase.toString(16)} is not a 64-byte aligned I/O address`);
  }
  if (!Number.isInteger(opts.ramBytes) || opts.ramBytes <= VGA_HOLE[1] || opts.ramBytes > PCI_MEMORY_END) {
    throw new RangeError(`RAM size ${opts.ramBytes} leaves no PCI memory window below 0x${(PCI_MEMORY_END + 1).toString(16)}`);
  }
  const body = dsdtBody(opts.ramBytes, opts.pirqIrqs);
  const levelIrqs = [...new Set([...PCI_ISA_IRQS, opts.sciIrq])].sort((a, b) => a - b);
  // Layout: RSDP (36, ACPI 2.0 form), RSDT, FADT, FACS (64-byte aligned), DSDT, MADT.
  const rsdpOff = 0;
  const rsdtOff = 48;
  const rsdtSize = HEADER_SIZE + 8;
  const fadtOff = (rsdtOff + rsdtSize + 7) & ~7;
  const facsOff = (fadtOff + FADT_SIZE + 63) & ~63;
  const dsdtOff = facsOff + FACS_SIZE;
  const dsdtSize = HEADER_SIZE + body.length;
  const madtOff = (dsdtOff + dsdtSize + 7) & ~7;
  const madtSize =
    HEADER_SIZE +
    8 +
    MADT_LOCAL_APIC_SIZE +
    MADT_IO_APIC_SIZE +
    MADT_SOURCE_OVERRIDE_SIZE * (1 + levelIrqs.length) +
    MADT_LOCAL_APIC_NMI_SIZE;
  const total = madtOff + madtSize;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  const at = (off: number): number => base + off;

  // RSDP (ACPI 2.0 §5.2.4.3): revision 2, RSDT only (XSDT address 0 is allowed on 32-bit machines).
  writeAscii(dv, rsdpOff, 'RSD PTR ');
  writeAscii(dv, rsdpOff + 9, OEM_ID);
  dv.setUint8(rsdpOff + 15, 2);
  dv.setUint32(rsdpOff + 16, at(rsdtOff), true);
  dv.setUint32(rsdpOff + 20, 36, true);
  checksum(bytes, rsdpOff, 20, rsdpOff + 8);
  checksum(bytes, rsdpOff, 36, rsdpOff + 32);

  header(dv, rsdtOff, 'RSDT', rsdtSize, 1);
  dv.setUint32(rsdtOff + HEADER_SIZE, at(fadtOff), true);
  dv.setUint32(rsdtOff + HEADER_SIZE + 4, at(madtOff), true);
  checksum(bytes, rsdtOff, rsdtSize, rsdtOff + 9);

  // FADT (ACPI 2.0 §5.2.8, Table 5-7).
  header(dv, fadtOff, 'FACP', FADT_SIZE, FADT_REVISION);
  dv.setUint32(fadtOff + 36, at(facsOff), true); // FIRMWARE_CTRL
  dv.setUint32(fadtOff + 40, at(dsdtOff), true); // DSDT
  dv.setUint16(fadtOff + 46, opts.sciIrq, true); // SCI_INT
  dv.setUint32(fadtOff + 48, SMI_CMD_PORT, true);
  dv.setUint8(fadtOff + 52, ACPI_ENABLE);
  dv.setUint8(fadtOff + 53, ACPI_DISABLE);
  dv.setUint32(fadtOff + 56, opts.pmBase, true); // PM1a_EVT_BLK
  dv.setUint32(fadtOff + 64, opts.pmBase + 4, true); // PM1a_CNT_BLK
  dv.setUint32(fadtOff + 76, opts.pmBase + 8, true); // PM_TMR_BLK
  dv.setUint8(fadtOff + 88, 4); // PM1_EVT_LEN
  dv.setUint8(fadtOff + 89, 2); // PM1_CNT_LEN
  dv.setUint8(fadtOff + 91, 4); // PM_TMR_LEN
  dv.setUint16(fadtOff + 96, 0xfff, true); // P_LVL2_LAT > 100: C2 not supported
  dv.setUint16(fadtOff + 98, 0xffff, true); // P_LVL3_LAT > 1000: C3 not supported
  dv.setUint8(fadtOff + 108, 0x32); // CENTURY: the RTC's CMOS century byte
  // IAPC_BOOT_ARCH: ISA devices and an 8042 exist (Linux skips the 8042 on a revision ≥ 2 FADT without it).
  dv.setUint16(fadtOff + 109, BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_8042, true);
  dv.setUint32(fadtOff + 112, FLAG_WBINVD | FLAG_PROC_C1 | FLAG_SLP_BUTTON | FLAG_RESET_REG_SUP, true);
  ioAddress(dv, fadtOff + 116, RESET_PORT, 8); // RESET_REG
  dv.setUint8(fadtOff + 128, RESET_VALUE);
  dv.setBigUint64(fadtOff + 132, BigInt(at(facsOff)), true); // X_FIRMWARE_CTRL
  dv.setBigUint64(fadtOff + 140, BigInt(at(dsdtOff)), true); // X_DSDT
  ioAddress(dv, fadtOff + 148, opts.pmBase, 32); // X_PM1a_EVT_BLK
  ioAddress(dv, fadtOff + 172, opts.pmBase + 4, 16); // X_PM1a_CNT_BLK
  ioAddress(dv, fadtOff + 208, opts.pmBase + 8, 32); // X_PM_TMR_BLK
  checksum(bytes, fadtOff, FADT_SIZE, fadtOff + 9);

  // FACS (ACPI 2.0 §5.2.9): no checksum.
  writeAscii(dv, facsOff, 'FACS');
  dv.setUint32(facsOff + 4, FACS_SIZE, true);
  dv.setUint8(facsOff + 32, 1); // version

  header(dv, dsdtOff, 'DSDT', dsdtSize, 1);
  bytes.set(body, dsdtOff + HEADER_SIZE);
  checksum(bytes, dsdtOff, dsdtSize, dsdtOff + 9);

  header(dv, madtOff, 'APIC', madtSize, MADT_REVISION);
  dv.setUint32(madtOff + 36, LOCAL_APIC_ADDRESS, true);
  dv.setUint32(madtOff + 40, MADT_PCAT_COMPAT, true);
  let e = madtOff + 44;
  // Processor Local APIC: ACPI processor ID 0, APIC ID 0, enabled.
  dv.setUint8(e, MADT_LOCAL_APIC);
  dv.setUint8(e + 1, MADT_LOCAL_APIC_SIZE);
  dv.setUint8(e + 2, 0);
  dv.setUint8(e + 3, 0);
  dv.setUint32(e + 4, LOCAL_APIC_ENABLED, true);
  e += MADT_LOCAL_APIC_SIZE;
  // I/O APIC: ID 0, its registers, GSI base 0.
  dv.setUint8(e, MADT_IO_APIC);
  dv.setUint8(e + 1, MADT_IO_APIC_SIZE);
  dv.setUint8(e + 2, 0);
  dv.setUint32(e + 4, IOAPIC_ADDRESS, true);
  dv.setUint32(e + 8, 0, true);
  e += MADT_IO_APIC_SIZE;
  const override = (irq: number, gsi: number, flags: number): void => {
    dv.setUint8(e, MADT_SOURCE_OVERRIDE);
    dv.setUint8(e + 1, MADT_SOURCE_OVERRIDE_SIZE);
    dv.setUint8(e + 2, ISA_BUS);
    dv.setUint8(e + 3, irq);
    dv.setUint32(e + 4, gsi, true);
    dv.setUint16(e + 8, flags, true);
    e += MADT_SOURCE_OVERRIDE_SIZE;
  };
  override(PIT_IRQ, PIT_GSI, 0); // flags 0: the bus's conforming edge/high
  for (const irq of levelIrqs) override(irq, irq, INTI_LEVEL_ACTIVE_HIGH);
  // Local APIC NMI: LINT1 of every processor, conforming flags.
  dv.setUint8(e, MADT_LOCAL_APIC_NMI);
  dv.setUint8(e + 1, MADT_LOCAL_APIC_NMI_SIZE);
  dv.setUint8(e + 2, ALL_PROCESSORS);
  dv.setUint16(e + 3, 0, true);
  dv.setUint8(e + 5, NMI_LINT);
  checksum(bytes, madtOff, madtSize, madtOff + 9);

  if (total > ACPI_TABLES_MAX) throw new Error('ACPI tables outgrew their area');
  return { rsdp: at(rsdpOff), base, bytes };
}
