// The KVM engine. Where /dev/kvm exists: the test kernels run under
// `tabvm run --accel kvm` with the serial output of the Wasm engine, and the
// speed probe reports a factor. Everywhere: KVM's binary stats format is
// parsed as api.rst describes it, and CPU state survives the trip from the
// Wasm core into KVM's structs and back.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import * as L from '../../host/generated/cpu-layout.js';
import { createCore } from '../../host/core.js';
import { EXIT, RUN, SEGMENT, SREGS, STATS_DESC, STATS_HEADER } from '../../helper/kvm/abi.js';
import { KvmEngine } from '../../helper/kvm/engine.js';
import { probeCode } from '../../helper/kvm/speed-probe.js';
import { uartTxRing } from '../../host/rings.js';
import { kvmUnavailableReason } from '../../helper/kvm/availability.js';
import { parseStatsDescriptors, statsValues } from '../../helper/kvm/stats.js';
import { cpuStateView, fpuFromCore, fpuToCore, regsFromCore, regsToCore, sregsFromCore, sregsToCore } from '../../helper/kvm/vcpu-state.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'images', 'tests', 'build');
const CLI = join(ROOT, 'bin', 'tabvm');
const KERNELS = ['hello', 'timers', 'modes'];
const haveKvm = existsSync('/dev/kvm');
const why = haveKvm ? kvmUnavailableReason() : 'no /dev/kvm on this machine';

describe.skipIf(why !== undefined)(`KVM boots the test kernels${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'images', 'tests', 'build.mjs'), ...KERNELS], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the test kernels failed: ${r.stderr}`);
  }, 120_000);

  for (const kernel of KERNELS) {
    it(`${kernel}: same serial output and exit status as the Wasm engine`, () => {
      const args = [CLI, 'run', '--multiboot', join(BUILD, `${kernel}.elf`), '--mem', '32', '--timeout', '120'];
      const wasm = spawnSync(process.execPath, [...args, '--clock', 'deterministic'], { encoding: 'utf8' });
      const kvm = spawnSync(process.execPath, [...args, '--accel', 'kvm'], { encoding: 'utf8' });
      expect(kvm.stdout).toBe(wasm.stdout);
      expect(kvm.status).toBe(wasm.status);
      expect(kvm.stderr).toMatch(/KVM speed probe: /);
    }, 300_000);
  }
});

describe('KVM unavailable', () => {
  it.skipIf(haveKvm)('tabvm run --accel kvm exits 2 with the reason in one line', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--accel', 'kvm', '--multiboot', join(BUILD, 'hello.elf')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--accel kvm is unavailable: (no \/dev\/kvm on this machine|the native addon)/);
  });

  it('the reason names the device when it is missing', () => {
    expect(kvmUnavailableReason('/dev/no-such-kvm')).toMatch(/^no \/dev\/no-such-kvm on this machine|native addon/);
  });
});

/** A stats file as api.rst lays it out: header, id, descriptors (with names), data. */
function statsFile(stats: { name: string; flags: number; exponent: number; size: number; values: bigint[] }[]): Uint8Array {
  const NAME = 48;
  const descSize = STATS_DESC.size + NAME;
  const idOffset = STATS_HEADER.size;
  const descOffset = idOffset + NAME;
  const dataOffset = descOffset + stats.length * descSize;
  const dataWords = stats.reduce((n, s) => n + s.size, 0);
  const out = new Uint8Array(dataOffset + dataWords * 8);
  const dv = new DataView(out.buffer);
  const h = STATS_HEADER.fields;
  dv.setUint32(h.name_size, NAME, true);
  dv.setUint32(h.num_desc, stats.length, true);
  dv.setUint32(h.id_offset, idOffset, true);
  dv.setUint32(h.desc_offset, descOffset, true);
  dv.setUint32(h.data_offset, dataOffset, true);
  out.set(new TextEncoder().encode('kvm-1234'), idOffset);
  let word = 0;
  stats.forEach((s, i) => {
    const at = descOffset + i * descSize;
    const d = STATS_DESC.fields;
    dv.setUint32(at + d.flags, s.flags, true);
    dv.setInt16(at + d.exponent, s.exponent, true);
    dv.setUint16(at + d.size, s.size, true);
    dv.setUint32(at + d.offset, word * 8, true);
    out.set(new TextEncoder().encode(s.name), at + d.name);
    s.values.forEach((v, k) => dv.setBigUint64(dataOffset + (word + k) * 8, v, true));
    word += s.size;
  });
  return out;
}

describe("KVM's binary stats (KVM_GET_STATS_FD format)", () => {
  it('names, units, kinds, scales and histogram sums come out of the descriptors', () => {
    const CUMULATIVE = 0;
    const PEAK = 2;
    const LOG_HIST = 4;
    const UNIT_SECONDS = 2 << 4;
    const UNIT_BYTES = 1 << 4;
    const BASE_POW2 = 1 << 8;
    const file = statsFile([
      { name: 'exits', flags: CUMULATIVE, exponent: 0, size: 1, values: [12345n] },
      { name: 'halt_poll_success_ns', flags: CUMULATIVE | UNIT_SECONDS, exponent: -9, size: 1, values: [2_000_000_000n] },
      { name: 'max_mmu_page_hash_collisions', flags: PEAK, exponent: 0, size: 1, values: [7n] },
      { name: 'pages_4k', flags: CUMULATIVE | UNIT_BYTES | BASE_POW2, exponent: 12, size: 1, values: [3n] },
      { name: 'halt_wait_hist', flags: LOG_HIST | UNIT_SECONDS, exponent: -9, size: 3, values: [1n, 2n, 3n] },
    ]);
    const { descriptors, dataOffset, id } = parseStatsDescriptors(file.subarray(0, new DataView(file.buffer).getUint32(20, true)));
    expect(id).toBe('kvm-1234');
    expect(descriptors.map((d) => [d.name, d.unit, d.kind, d.histogram])).toEqual([
      ['exits', 'events', 'cumulative', false],
      ['halt_poll_success_ns', 'seconds', 'cumulative', false],
      ['max_mmu_page_hash_collisions', 'events', 'peak', false],
      ['pages_4k', 'bytes', 'cumulative', false],
      ['halt_wait_hist', 'seconds', 'cumulative', true],
    ]);
    const values = statsValues(descriptors, file.subarray(dataOffset));
    expect(values[0]).toBe(12345);
    expect(values[1]).toBeCloseTo(2, 9);
    expect(values[2]).toBe(7);
    expect(values[3]).toBe(3 * 4096);
    expect(values[4]).toBeCloseTo(6e-9, 15);
  });

  it('a corrupt header is refused, not trusted', () => {
    const file = statsFile([{ name: 'x', flags: 0, exponent: 0, size: 1, values: [1n] }]);
    new DataView(file.buffer).setUint32(STATS_HEADER.fields.num_desc, 1_000_000, true);
    expect(() => parseStatsDescriptors(file)).toThrow(/implausible/);
  });
});

describe('CPU state between the Wasm core and kvm_regs/kvm_sregs/kvm_fpu', () => {
  it('the power-on state maps to what KVM expects of real mode (CS F000 base FFFF0000, TR busy TSS)', async () => {
    const core = await createCore({ memoryMiB: 1 });
    const sregs = new DataView(sregsFromCore(cpuStateView(core.memory)).buffer);
    const cs = SREGS.fields.cs;
    expect(sregs.getUint16(cs + SEGMENT.fields.selector, true)).toBe(0xf000);
    expect(sregs.getBigUint64(cs + SEGMENT.fields.base, true)).toBe(0xffff0000n);
    expect(sregs.getUint32(cs + SEGMENT.fields.limit, true)).toBe(0xffff);
    expect(sregs.getUint8(cs + SEGMENT.fields.present)).toBe(1);
    expect(sregs.getUint8(cs + SEGMENT.fields.s)).toBe(1);
    expect(sregs.getUint8(cs + SEGMENT.fields.type) & 8).toBe(8);
    expect(sregs.getUint8(SREGS.fields.tr + SEGMENT.fields.type)).toBe(0xb);
    expect(sregs.getUint8(SREGS.fields.tr + SEGMENT.fields.unusable)).toBe(0);
    expect(Number(sregs.getBigUint64(SREGS.fields.cr0, true)) & 1).toBe(0);
  });

  it('flat 32-bit protected mode, registers and FPU/SSE state survive core → KVM structs → core', async () => {
    const a = await createCore({ memoryMiB: 1 });
    a.setupFlat32({ cpl: 0 });
    const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
    names.forEach((r, i) => a.setReg(r, 0x11111111 * (i + 1)));
    a.setReg('eip', 0x00101234);
    a.setReg('eflags', 0x00000246);
    a.setState(L.OFF_CR3, 0x5000);
    // x87: TOP=6 with two values pushed (FLD1-style 1.0 and 2.0), XMM0 and MXCSR set.
    const fpuState = a.readState(L.OFF_FPU, 0x200);
    const st = new DataView(fpuState.buffer);
    st.setUint16(0x02, 6 << 11, true); // FSW: TOP = 6
    const one = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]; // 1.0 in extended precision
    const two = [0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40];
    fpuState.set(one, 0x20 + 6 * 16);
    fpuState.set(two, 0x20 + 7 * 16);
    fpuState.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 0xa0);
    st.setUint32(0x18, 0x1f80 | 0x6000, true);
    a.writeState(L.OFF_FPU, fpuState);
    a.writeState(L.OFF_FPU_FTW, Uint8Array.of(0xff, 0x0f)); // R6, R7 valid; R0-R5 empty (3)

    const cpuA = cpuStateView(a.memory);
    const regs = regsFromCore(cpuA, a.exports);
    const sregs = sregsFromCore(cpuA);
    const fpu = fpuFromCore(cpuA);
    // kvm_fpu is FXSAVE-ordered: ST(0) = R6 = 1.0, ST(1) = R7 = 2.0; abridged tags by physical register.
    expect(Array.from(fpu.subarray(0, 10))).toEqual(one);
    expect(Array.from(fpu.subarray(16, 26))).toEqual(two);
    expect(fpu[132]).toBe(0xc0);

    const b = await createCore({ memoryMiB: 1 });
    const cpuB = cpuStateView(b.memory);
    sregsToCore(sregs, cpuB, b.exports);
    regsToCore(regs, cpuB, b.exports);
    fpuToCore(fpu, cpuB);
    for (const r of [...names, 'eip', 'eflags'] as const) expect(b.getReg(r)).toBe(a.getReg(r));
    for (let s = 0; s < 8; s++) expect(b.getSegment(s)).toEqual(a.getSegment(s));
    expect(b.getState(L.OFF_CR0)).toBe(a.getState(L.OFF_CR0));
    expect(b.getState(L.OFF_CR3)).toBe(0x5000);
    expect(b.getState(L.OFF_CPL)).toBe(0);
    expect(b.readState(L.OFF_FPU_ST + 6 * 16, 10)).toEqual(a.readState(L.OFF_FPU_ST + 6 * 16, 10));
    expect(b.readState(L.OFF_XMM, 16)).toEqual(a.readState(L.OFF_XMM, 16));
    expect(b.readState(L.OFF_FPU_FTW, 2)).toEqual(Uint8Array.of(0xff, 0x0f));
    expect(b.readState(L.OFF_MXCSR, 4)).toEqual(a.readState(L.OFF_MXCSR, 4));
  });
});

/** A VM stand-in: a kvm_run buffer the test fills as KVM_RUN would, and a log of KVM_IRQ_LINE calls. */
async function engineOnFakeVm() {
  const core = await createCore({ memoryMiB: 2 });
  const run = new ArrayBuffer(2 * 4096);
  const irqs: [number, boolean][] = [];
  const vm = { vcpuFd: -1, runArea: run, irqLine: (i: number, l: boolean) => void irqs.push([i, l]), stats: () => [], close: () => {} };
  const engine = KvmEngine.withVm(vm, core);
  const dv = new DataView(run);
  const bytes = new Uint8Array(run);
  const x = core.exports as unknown as {
    takeStopRequest(): number;
    getExitCode(): number;
    setHostIrq(line: number, high: number): void;
    busRead(phys: number, size: number): number;
  };
  const f = RUN.fields;
  const DATA = 4096;
  const io = (out: boolean, port: number, size: number, data: number[]): Uint8Array => {
    dv.setUint32(f.exit_reason, EXIT.IO, true);
    dv.setUint8(f['io.direction'], out ? 1 : 0);
    dv.setUint8(f['io.size'], size);
    dv.setUint16(f['io.port'], port, true);
    dv.setUint32(f['io.count'], data.length / size, true);
    dv.setBigUint64(f['io.data_offset'], BigInt(DATA), true);
    bytes.fill(0, DATA, DATA + 64);
    bytes.set(data, DATA);
    expect(engine.handleExit()).toBe(0);
    return bytes.slice(DATA, DATA + data.length);
  };
  const mmio = (write: boolean, phys: bigint, data: number[]): Uint8Array => {
    dv.setUint32(f.exit_reason, EXIT.MMIO, true);
    dv.setBigUint64(f['mmio.phys_addr'], phys, true);
    dv.setUint32(f['mmio.len'], data.length, true);
    dv.setUint8(f['mmio.is_write'], write ? 1 : 0);
    bytes.fill(0, f['mmio.data'], f['mmio.data'] + 8);
    bytes.set(data, f['mmio.data']);
    expect(engine.handleExit()).toBe(0);
    return bytes.slice(f['mmio.data'], f['mmio.data'] + data.length);
  };
  return { core, engine, dv, irqs, x, io, mmio };
}

describe('KVM exits reach the Wasm device models (a stand-in VM, no /dev/kvm needed)', () => {
  it('port I/O: string OUT to COM1 reaches its TX ring; 32-bit OUT/IN through pc-testdev round-trips', async () => {
    const { core, io } = await engineOnFakeVm();
    io(true, 0x3f8, 1, [0x61, 0x62, 0x63]);
    expect(new TextDecoder().decode(uartTxRing(core.memory, 0).read())).toBe('abc');
    io(true, 0xe0, 4, [0x78, 0x56, 0x34, 0x12]);
    expect(Array.from(io(false, 0xe0, 4, [0, 0, 0, 0]))).toEqual([0x78, 0x56, 0x34, 0x12]);
  });

  it('isa-debug-exit from the guest becomes the machine stop with its value', async () => {
    const { x, io } = await engineOnFakeVm();
    io(true, 0xf4, 1, [3]);
    expect(x.takeStopRequest()).toBe(5); // STOP_EXIT
    expect(x.getExitCode()).toBe(3);
  });

  it('MMIO: IOAPIC registers written and read through the Wasm bus; 8-byte accesses split; above 4 GiB reads float', async () => {
    const { core, x, mmio } = await engineOnFakeVm();
    // 82093AA: IOREGSEL at FEC00000, IOWIN at FEC00010; register 10h is redirection entry 0, low half.
    const IOREGSEL = 0xfec00000n;
    const IOWIN = 0xfec00010n;
    const REDIR0 = [0x10, 0, 0, 0];
    const ENTRY = [0x30, 0x00, 0x01, 0x00]; // vector 30h, masked
    mmio(true, IOREGSEL, REDIR0);
    mmio(true, IOWIN, ENTRY);
    expect(x.busRead(Number(IOWIN), 4)).toBe(0x00010030);
    expect(Array.from(mmio(false, IOWIN, [0, 0, 0, 0]))).toEqual(ENTRY);
    mmio(true, 0x1000n, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(core.readPhys(0x1000, 8))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(mmio(false, 0x1_0000_0000n, [0, 0, 0, 0]))).toEqual([0xff, 0xff, 0xff, 0xff]);
  });

  it('shutdown and system events stop the machine; entry failures and unknown exits are errors', async () => {
    const { engine, dv } = await engineOnFakeVm();
    dv.setUint32(RUN.fields.exit_reason, EXIT.SHUTDOWN, true);
    expect(engine.handleExit()).toBe(4); // STOP_RESET (triple fault)
    dv.setUint32(RUN.fields.exit_reason, EXIT.SYSTEM_EVENT, true);
    dv.setUint32(RUN.fields['system_event.type'], 1, true);
    expect(engine.handleExit()).toBe(7); // STOP_POWEROFF
    dv.setUint32(RUN.fields.exit_reason, EXIT.FAIL_ENTRY, true);
    dv.setBigUint64(RUN.fields['fail_entry.hardware_entry_failure_reason'], 0x21n, true);
    expect(() => engine.handleExit()).toThrow('VM entry failed (hardware reason 0x21)');
    dv.setUint32(RUN.fields.exit_reason, 999, true);
    expect(() => engine.handleExit()).toThrow('unexpected exit reason 999');
  });

  it('device IRQ lines go to KVM_IRQ_LINE: levels, pulses as an edge, and never IRQ 0 (the in-kernel PIT)', async () => {
    const { engine, irqs, x } = await engineOnFakeVm();
    engine.forwardIrqs();
    irqs.length = 0;
    x.setHostIrq(4, 1);
    engine.forwardIrqs();
    x.setHostIrq(4, 0);
    engine.forwardIrqs();
    x.setHostIrq(5, 1);
    x.setHostIrq(5, 0);
    engine.forwardIrqs();
    x.setHostIrq(0, 1);
    engine.forwardIrqs();
    engine.forwardIrqs();
    expect(irqs).toEqual([
      [4, true],
      [4, false],
      [5, true],
      [5, false],
    ]);
  });
});

describe('the speed probe guest', () => {
  it('is a real-mode counting loop that halts after exactly N iterations (run on the Wasm CPU)', async () => {
    const N = 1000;
    const core = await createCore({ memoryMiB: 1 });
    core.writePhys(0, probeCode(N));
    const cs = core.getSegment(L.SEG_CS);
    core.exports.setSegmentCache(L.SEG_CS, 0, 0, 0xffff, cs.attr);
    core.setReg('eip', 0);
    core.setReg('ecx', 0xdeadbeef);
    const r = core.run(10 * N);
    // HLT with interrupts off: the core stops ('idle': nothing can wake it in this slice).
    expect(['halt', 'idle']).toContain(r.reason);
    expect(core.getReg('ecx')).toBe(0);
    expect(core.getReg('eip')).toBe(probeCode(N).length);
    // mov, then N × (dec, jnz), then hlt.
    expect(r.instructions).toBe(1 + 2 * N + 1);
  });
});
