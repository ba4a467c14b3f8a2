// A hostile guest (issue 4 robustness; COMMON "the guest is hostile"):
// seeded random port reads and writes over every decoded port and the rest
// of the port space, random MMIO writes over every device page (VGA window,
// LAPIC, IOAPIC, VBE framebuffer, PCI BARs wherever the chaos maps them),
// random PCI configuration writes, and garbage IDE, ATAPI, floppy, DMA and
// fw_cfg DMA commands with wild addresses and PRD tables; once from the host
// API and once from a guest program doing the same with IN/OUT and MOV.
//
// The core must never throw (a wasm trap would), never hang (every call is
// bounded), never write outside guest RAM and its own state (canary bytes in
// the core's unused regions stay intact), and must run a guest correctly
// afterwards. A failure names the seed, so it reproduces.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { attachDrive, MemoryBlockDevice, serviceBlockRequests } from '../../host/block-device.js';
import { createCore, type Core } from '../../host/core.js';
import * as L from '../../host/generated/cpu-layout.js';

const RAM_MIB = 16;
const HOST_AREA_MIB = 1;
const MIB = 1024 * 1024;
const PAGE = 4096;
const CANARY_SEED = 0xa5;
const PORT_SPACE = 0x10000;
const MMIO_PAGES = 0x100000;
const DEV_NONE = 0;
const HD_BYTES = 2 * MIB;
const CD_BYTES = 4 * MIB;
const FLOPPY_BYTES = 1474560;
const HOST_OPS = 150_000;
const SLICE = 20_000;
const GUEST_ITERATIONS = 20_000;
const GUEST_SLICES = 2_000;
/** Wall-clock bound for one core call: far above any legitimate slice, far below a hang. */
const CALL_BOUND_MS = 5_000;

// The guest program's layout (below 1 MiB, so the A20 gate cannot move it).
const CODE = 0x10000;
const PORT_TABLE = 0x20000;
const MMIO_TABLE = 0x40000;
const STACK_TOP = 0x9f000;
/** What the guest program leaves in EAX when it has done all its iterations. */
const GUEST_DONE = 0x600dd00d;

// Ports whose random writes end the run (reset, power-off, isa-debug-exit):
// the host phase writes them; the guest program leaves them out so its run
// lasts. Each is exercised by its own device test.
const PORT_SYSTEM_CONTROL_A = 0x92;
const PORT_I8042_COMMAND = 0x64;
const PORT_RESET_CONTROL = 0xcf9;
const PORT_DEBUG_EXIT = 0xf4;
const PORT_PCI_ADDRESS = 0xcf8;
const PORT_ACPI_PM_FIRST = 0x600;
const PORT_ACPI_PM_LAST = 0x63f;

// Devices the garbage commands aim at.
const IDE_PRIMARY = 0x1f0;
const IDE_SECONDARY = 0x170;
const IDE_DEVFN = 0x09;
const BAR4 = 0x20;
const PCI_COMMAND = 0x04;
const BM_BASE = 0xc000;
const FDC_DOR = 0x3f2;
const FDC_FIFO = 0x3f5;
const DMA1_MASK = 0x0a;
const DMA1_MODE = 0x0b;
const DMA1_FLIPFLOP = 0x0c;
const DMA_CH2_ADDR = 0x04;
const DMA_CH2_COUNT = 0x05;
const DMA_CH2_PAGE = 0x81;
const FW_CFG_DMA = 0x514;
const PCI_ADDRESS = 0xcf8;
const PCI_DATA = 0xcfc;

/** mulberry32: a small seeded generator, so a failure reproduces from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

interface Region {
  name: string;
  start: number;
  end: number;
}

/** The core's memory that neither the core nor the guest may write: the guard area, unassigned device state, the host area. */
function canaryRegions(core: Core): Region[] {
  const vramEnd = core.exports.getVramBase() + L.VRAM_SIZE;
  const regions: Region[] = [
    { name: 'guard area', start: 0, end: L.CPU_STATE },
    { name: 'unassigned device state', start: L.DEVICE_STATE_FREE, end: L.DEVICE_STATE + L.DEVICE_STATE_SIZE },
    { name: 'host area above VRAM', start: vramEnd, end: core.memory.buffer.byteLength },
  ];
  const ramEnd = L.RAM_BASE + core.ramBytes;
  if (core.exports.getVramBase() > ramEnd)
    regions.push({ name: 'gap between RAM and VRAM', start: ramEnd, end: core.exports.getVramBase() });
  return regions;
}

const canaryByte = (i: number): number => (CANARY_SEED ^ i ^ (i >>> 8)) & 0xff;

function plantCanaries(core: Core): Region[] {
  const u8 = new Uint8Array(core.memory.buffer);
  const regions = canaryRegions(core);
  for (const r of regions) for (let i = r.start; i < r.end; i++) u8[i] = canaryByte(i);
  return regions;
}

function damagedCanary(core: Core, regions: Region[]): string | undefined {
  const u8 = new Uint8Array(core.memory.buffer);
  for (const r of regions) {
    for (let i = r.start; i < r.end; i++) {
      if (u8[i] !== canaryByte(i)) return `${r.name} written at 0x${i.toString(16)}`;
    }
  }
  return undefined;
}

/** Runs `f`, failing if it takes longer than any legitimate call could. */
function bounded<T>(what: string, f: () => T): T {
  const t0 = performance.now();
  const r = f();
  const ms = performance.now() - t0;
  if (ms > CALL_BOUND_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms`);
  return r;
}

function decodedPorts(core: Core): number[] {
  const map = new Uint8Array(core.memory.buffer, L.PORT_MAP, PORT_SPACE);
  const out: number[] = [];
  for (let p = 0; p < PORT_SPACE; p++) if (map[p] !== DEV_NONE) out.push(p);
  return out;
}

function devicePages(core: Core): number[] {
  const map = new Uint8Array(core.memory.buffer, L.MMIO_MAP, MMIO_PAGES);
  const out: number[] = [];
  for (let p = 0; p < MMIO_PAGES; p++) if (map[p] !== DEV_NONE) out.push(p * PAGE);
  return out;
}

async function hostileMachine(): Promise<Core> {
  const core = await createCore({ memoryMiB: RAM_MIB, hostAreaMiB: HOST_AREA_MIB });
  attachDrive(core, { bus: 'ide', channel: 0, slave: false, kind: 'hd' }, new MemoryBlockDevice(new Uint8Array(HD_BYTES)));
  attachDrive(core, { bus: 'ide', channel: 1, slave: false, kind: 'cdrom' }, new MemoryBlockDevice(new Uint8Array(CD_BYTES), true));
  attachDrive(core, { bus: 'floppy', unit: 0 }, new MemoryBlockDevice(new Uint8Array(FLOPPY_BYTES)));
  return core;
}

function service(core: Core): void {
  bounded('serviceBlockRequests', () => serviceBlockRequests(core));
  bounded('serviceDevices', () => core.exports.serviceDevices());
}

/** A busy loop with interrupts off: the devices' timers run while it spins. */
const IDLE_LOOP = Uint8Array.from([0xfa, 0xeb, 0xfe]); // cli; jmp $

function runIdle(core: Core): void {
  core.reset(); // the CPU, not the devices: it may be halted from the last run
  core.setupFlat32({ cpl: 0 });
  core.writePhys(CODE, IDLE_LOOP);
  core.setReg('eip', CODE);
  core.setReg('esp', STACK_TOP);
  bounded('run', () => core.run(SLICE));
}

/** Host-API chaos: ports, MMIO, PCI configuration, and garbage device commands. */
function hostChaos(core: Core, seed: number): void {
  const r = rng(seed);
  const e = core.exports;
  const pick = <T>(xs: T[]): T => xs[r() % xs.length];
  const size = (): number => [1, 2, 4][r() % 3];
  const wild = (): number => {
    // Addresses where bounds checks matter: around the end of RAM, far beyond it, the top of 4 GiB, anywhere.
    switch (r() % 4) {
      case 0:
        return (core.ramBytes - (r() % 0x20000)) >>> 0;
      case 1:
        return (core.ramBytes + (r() % 0x1000000)) >>> 0;
      case 2:
        return (0x100000000 - (r() % 0x10000)) >>> 0;
      default:
        return r();
    }
  };
  let ports = decodedPorts(core);
  let pages = devicePages(core);
  for (let op = 0; op < HOST_OPS; op++) {
    const kind = r() % 16;
    if (kind < 5) {
      const port = r() % 4 === 0 ? r() & 0xffff : pick(ports);
      if (r() & 1) e.portWrite(port, r(), size());
      else e.portRead(port, size());
    } else if (kind < 8) {
      const phys = (pick(pages) + (r() & 0xffc)) >>> 0;
      if (r() & 1) e.mmioWrite(phys, r(), size());
      else e.mmioRead(phys, size());
    } else if (kind < 9) {
      const phys = r() & 1 ? wild() : (pick(pages) + (r() & 0xfff)) >>> 0;
      if (r() & 1) e.busWrite(phys, r(), size());
      else e.busRead(phys, size());
    } else if (kind < 11) {
      // PCI configuration: any function, any register, BARs included.
      e.portWrite(PCI_ADDRESS, (0x80000000 | (r() & 0xfffc)) >>> 0, 4);
      if (r() & 1) e.portWrite(PCI_DATA + (r() & 3), r(), size());
      else e.portRead(PCI_DATA + (r() & 3), size());
    } else if (kind < 12) {
      ideGarbage(core, r, wild);
    } else if (kind < 13) {
      floppyGarbage(core, r, wild);
    } else if (kind < 14) {
      fwCfgGarbage(core, r, wild);
    } else {
      e.advanceClock(BigInt(r() % 50_000_000));
      service(core);
    }
    if (op % 2000 === 0) {
      service(core);
      runIdle(core);
      ports = decodedPorts(core);
      pages = devicePages(core);
    }
  }
  service(core);
}

/** A real DMA command with a wild PRD table, or random task-file bytes and an ATAPI packet of garbage. */
function ideGarbage(core: Core, r: () => number, wild: () => number): void {
  const e = core.exports;
  const base = r() & 1 ? IDE_PRIMARY : IDE_SECONDARY;
  // Enable the bus master at its usual base (the chaos may have moved it).
  e.portWrite(PCI_ADDRESS, (0x80000000 | (IDE_DEVFN << 8) | BAR4) >>> 0, 4);
  e.portWrite(PCI_DATA, BM_BASE | 1, 4);
  e.portWrite(PCI_ADDRESS, (0x80000000 | (IDE_DEVFN << 8) | PCI_COMMAND) >>> 0, 4);
  e.portWrite(PCI_DATA, 0x05, 2);
  const bm = BM_BASE + (base === IDE_PRIMARY ? 0 : 8);
  // A PRD table in RAM of wild entries (address, byte count, end-of-table bit sometimes missing).
  const table = (r() % 3 === 0 ? wild() & ~3 : (r() % (core.ramBytes - 64)) & ~3) >>> 0;
  if (table + 64 <= core.ramBytes) {
    const prd = new Uint8Array(64);
    const dv = new DataView(prd.buffer);
    for (let i = 0; i < 8; i++) {
      dv.setUint32(i * 8, r() & 1 ? wild() : r(), true);
      dv.setUint32(i * 8 + 4, r() & (r() & 1 ? 0x8000ffff : 0xffffffff), true);
    }
    core.writePhys(table, prd);
  }
  e.portWrite(bm + 4, table >>> 0, 4);
  if (r() & 1) {
    // A well-formed READ/WRITE DMA of a few sectors inside the disk: the bus master walks the wild table.
    e.portWrite(base + 2, 1 + (r() % 16), 1);
    const lba = r() % (HD_BYTES / 512 - 16);
    e.portWrite(base + 3, lba & 0xff, 1);
    e.portWrite(base + 4, (lba >>> 8) & 0xff, 1);
    e.portWrite(base + 5, (lba >>> 16) & 0xff, 1);
    e.portWrite(base + 6, 0xe0, 1);
    e.portWrite(base + 7, r() & 1 ? 0xc8 : 0xca, 1);
  } else {
    for (let reg = 1; reg <= 6; reg++) e.portWrite(base + reg, r() & 0xff, 1);
    const commands = [0xc8, 0xca, 0x25, 0x35, 0x20, 0x30, 0xa0, 0xa1, 0xec, 0xef, 0xc6, 0xc4, 0xc5, 0x91, 0xe7, r() & 0xff];
    e.portWrite(base + 7, commands[r() % commands.length], 1);
  }
  e.portWrite(bm, r() & 1 ? 0x09 : 0x01, 1);
  // An ATAPI packet or data of garbage, at random widths.
  for (let i = 0, n = r() % 12; i < n; i++) e.portWrite(base, r(), r() & 1 ? 2 : 4);
  for (let i = 0, n = r() % 8; i < n; i++) e.portRead(base, r() & 1 ? 2 : 4);
  service(core);
  e.portWrite(bm, 0, 1);
}

/** DMA channel 2 aimed anywhere, then floppy command bytes: real commands with random parameters, or noise. */
function floppyGarbage(core: Core, r: () => number, wild: () => number): void {
  const e = core.exports;
  const address = wild();
  e.portWrite(DMA1_MASK, 0x06, 1);
  e.portWrite(DMA1_FLIPFLOP, 0, 1);
  e.portWrite(DMA_CH2_ADDR, address & 0xff, 1);
  e.portWrite(DMA_CH2_ADDR, (address >>> 8) & 0xff, 1);
  e.portWrite(DMA_CH2_PAGE, (address >>> 16) & 0xff, 1);
  e.portWrite(DMA_CH2_COUNT, r() & 0xff, 1);
  e.portWrite(DMA_CH2_COUNT, r() & 0xff, 1);
  e.portWrite(DMA1_MODE, (r() & 0xfc) | 2, 1);
  e.portWrite(DMA1_MASK, 0x02, 1);
  e.portWrite(FDC_DOR, r() & 1 ? 0x1c : r() & 0xff, 1);
  if (r() & 1) {
    // A well-formed READ or WRITE DATA (82077AA §5.1: drive, C, H, R, N=2, EOT, GPL, DTL): the DMA goes to the wild address.
    const head = r() & 1;
    const params = [head << 2, r() % 80, head, 1 + (r() % 18), 2, 18, 0x1b, 0xff];
    e.portWrite(FDC_FIFO, r() & 1 ? 0xe6 : 0xc5, 1);
    for (const p of params) e.portWrite(FDC_FIFO, p, 1);
  } else {
    const commands = [0xe6, 0xc5, 0x4d, 0x0f, 0x07, 0x03, 0x08, 0x4a, 0x46, r() & 0xff];
    e.portWrite(FDC_FIFO, commands[r() % commands.length], 1);
    for (let i = 0, n = r() % 10; i < n; i++) e.portWrite(FDC_FIFO, r() & 0xff, 1);
  }
  service(core);
  for (let i = 0, n = r() % 10; i < n; i++) e.portRead(FDC_FIFO, 1);
}

/** fw_cfg DMA: a control block at a wild address, or a sane one naming wild guest memory. */
function fwCfgGarbage(core: Core, r: () => number, wild: () => number): void {
  const e = core.exports;
  let block = (wild() & ~7) >>> 0;
  if (r() & 1) {
    block = (r() % (core.ramBytes - 16)) & ~7;
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, r(), false); // control: select, skip, read, write bits at random
    dv.setUint32(4, r() & 1 ? r() : r() & 0xffff, false); // length
    dv.setUint32(8, 0, false);
    dv.setUint32(12, wild(), false); // address
    core.writePhys(block, b);
  }
  // The address register is big-endian: the high half at 0x514, the low half (which starts the transfer) at 0x518.
  e.portWrite(FW_CFG_DMA, 0, 4);
  e.portWrite(FW_CFG_DMA + 4, ((block >>> 24) | ((block >>> 8) & 0xff00) | ((block << 8) & 0xff0000) | (block << 24)) >>> 0, 4);
}

/** The guest program: random IN/OUT over a table of ports and random MOVs over a table of device pages. */
const GUEST_ASM = `
bits 32
org ${CODE}
PORTS equ ${PORT_TABLE}
PAGES equ ${MMIO_TABLE}
; ebx: xorshift32 state; ecx: iterations left; [PORTS-4]/[PAGES-4]: table index masks
start:
  cli
.loop:
  call rnd
  mov esi, eax
  and eax, [PORTS - 4]
  movzx edx, word [PORTS + eax * 2]
  call rnd
  bt esi, 16
  jc .read
  bt esi, 17
  jc .out16
  bt esi, 18
  jc .out32
  out dx, al
  jmp .mmio
.out16:
  out dx, ax
  jmp .mmio
.out32:
  out dx, eax
  jmp .mmio
.read:
  bt esi, 17
  jc .in16
  in al, dx
  jmp .mmio
.in16:
  bt esi, 18
  jc .in32
  in ax, dx
  jmp .mmio
.in32:
  in eax, dx
.mmio:
  call rnd
  mov esi, eax
  and eax, [PAGES - 4]
  mov edi, [PAGES + eax * 4]
  call rnd
  mov edx, eax
  and edx, 0xffc
  add edi, edx
  bt esi, 20
  jc .mread
  bt esi, 21
  jc .m8
  mov [edi], eax
  jmp .next
.m8:
  mov [edi], al
  jmp .next
.mread:
  mov eax, [edi]
.next:
  dec ecx
  jnz .loop
  mov eax, ${GUEST_DONE}
  hlt
  jmp $-1
rnd:                     ; xorshift32 (Marsaglia 2003) in ebx
  mov eax, ebx
  shl eax, 13
  xor ebx, eax
  mov eax, ebx
  shr eax, 17
  xor ebx, eax
  mov eax, ebx
  shl eax, 5
  xor ebx, eax
  mov eax, ebx
  ret
`;

function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tabvm-hostile-'));
  writeFileSync(join(dir, 'g.asm'), source);
  const res = spawnSync('nasm', ['-f', 'bin', '-o', join(dir, 'g.bin'), join(dir, 'g.asm')], { encoding: 'utf8' });
  if (res.error || res.status !== 0) throw new Error(`nasm: ${res.error?.message ?? res.stderr}`);
  return new Uint8Array(readFileSync(join(dir, 'g.bin')));
}

/** A power-of-two table (repeating entries to fill it) and its index mask, stored with the mask just below. */
function writeTable(core: Core, at: number, entries: number[], width: 2 | 4): void {
  let n = 1;
  while (n < entries.length) n *= 2;
  const b = new Uint8Array(4 + n * width);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, n - 1, true);
  for (let i = 0; i < n; i++) {
    const v = entries[i % entries.length];
    if (width === 2) dv.setUint16(4 + i * 2, v, true);
    else dv.setUint32(4 + i * 4, v, true);
  }
  core.writePhys(at - 4, b);
}

/** A port whose access of up to 4 bytes from `p` reaches one of the run-ending ports (wide accesses split into bytes). */
const endsRun = (p: number): boolean => {
  const near = (port: number, count = 1): boolean => p > port - 4 && p < port + count;
  return (
    near(PORT_SYSTEM_CONTROL_A) ||
    near(PORT_I8042_COMMAND) ||
    near(PORT_DEBUG_EXIT, 4) ||
    (near(PORT_RESET_CONTROL, 3) && p !== PORT_PCI_ADDRESS) ||
    near(PORT_ACPI_PM_FIRST, PORT_ACPI_PM_LAST - PORT_ACPI_PM_FIRST + 1)
  );
};

/** Runs the guest program with `seed`; returns how many instructions it ran before it finished or the chaos stopped it. */
function guestChaos(core: Core, program: Uint8Array, seed: number): { instructions: number; finished: boolean } {
  const ports = decodedPorts(core).filter((p) => !endsRun(p));
  // Plus a sprinkle of ports nobody decodes.
  const r = rng(seed);
  for (let i = 0; i < 64; i++) ports.push(r() & 0xffff);
  writeTable(core, PORT_TABLE, ports, 2);
  writeTable(core, MMIO_TABLE, devicePages(core), 4);
  core.reset();
  core.setupFlat32({ cpl: 0 });
  core.writePhys(CODE, program);
  core.setReg('eip', CODE);
  core.setReg('esp', STACK_TOP);
  core.setReg('ebx', seed | 1);
  core.setReg('ecx', GUEST_ITERATIONS);
  let instructions = 0;
  for (let i = 0; i < GUEST_SLICES; i++) {
    const res = bounded('guest run', () => core.run(SLICE));
    instructions += res.instructions;
    service(core);
    const halted = res.reason === 'halt' || res.reason === 'idle';
    if (halted && core.getReg('eax') === GUEST_DONE) return { instructions, finished: true };
    if (res.reason !== 'limit') break;
  }
  return { instructions, finished: false };
}

/** After the chaos: a machine reset, then a small program must compute the right answer. */
function checkStillRuns(core: Core): void {
  core.reset();
  bounded('resetDevices', () => core.exports.resetDevices());
  // Sum 1..1000 with a loop through memory: 500500.
  const program = Uint8Array.from([
    0xfa, // cli
    0x31,
    0xc0, // xor eax, eax
    0xb9,
    0xe8,
    0x03,
    0x00,
    0x00, // mov ecx, 1000
    0x89,
    0x0d,
    0x00,
    0x30,
    0x01,
    0x00, // mov [0x13000], ecx
    0x03,
    0x05,
    0x00,
    0x30,
    0x01,
    0x00, // add eax, [0x13000]
    0xe2,
    0xf2, // loop back to the mov
    0xf4, // hlt
  ]);
  core.setupFlat32({ cpl: 0 });
  core.writePhys(CODE, program);
  core.setReg('eip', CODE);
  core.setReg('esp', STACK_TOP);
  const res = bounded('final run', () => core.run(100_000));
  expect(['halt', 'idle']).toContain(res.reason); // HLT: run() reports the CPU idle
  expect(core.getReg('eax')).toBe(500500);
}

const SEEDS = [1, 0x2545f491, 0xdeadbeef, 77, 0x1234567];

describe('a hostile guest cannot break the machine', () => {
  it('notices a stray write into the canary regions (the check can fail)', async () => {
    const core = await hostileMachine();
    const regions = plantCanaries(core);
    expect(damagedCanary(core, regions)).toBeUndefined();
    const u8 = new Uint8Array(core.memory.buffer);
    const victim = regions[1].start + 17;
    u8[victim] ^= 1;
    expect(damagedCanary(core, regions)).toBe(`${regions[1].name} written at 0x${victim.toString(16)}`);
  });

  for (const seed of SEEDS) {
    it(`survives seeded chaos from the host API (seed ${seed})`, async () => {
      const core = await hostileMachine();
      const regions = plantCanaries(core);
      hostChaos(core, seed);
      expect(damagedCanary(core, regions), `seed ${seed}`).toBeUndefined();
      checkStillRuns(core);
      expect(damagedCanary(core, regions), `seed ${seed}`).toBeUndefined();
    }, 120_000);
  }

  it('survives a guest program doing random port I/O and device-page writes', async () => {
    const program = assemble(GUEST_ASM);
    const core = await hostileMachine();
    const regions = plantCanaries(core);
    let instructions = 0;
    let finished = 0;
    for (const seed of SEEDS) {
      const res = guestChaos(core, program, seed);
      instructions += res.instructions;
      if (res.finished) finished++;
      expect(damagedCanary(core, regions), `seed ${seed}`).toBeUndefined();
      core.exports.resetDevices();
    }
    // The chaos must have run for real, not stopped at its first instruction.
    expect(instructions).toBeGreaterThan(GUEST_ITERATIONS);
    expect(finished).toBeGreaterThan(0);
    checkStillRuns(core);
    expect(damagedCanary(core, regions)).toBeUndefined();
  }, 120_000);
});
