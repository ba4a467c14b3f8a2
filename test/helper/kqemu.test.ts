// The kqemu engine's loop against the substitute device (helper/kqemu/device.ts),
// which answers every EXEC with "emulate this" as the real module may: test
// kernels (real -> protected mode, serial, port and MMIO, timer interrupts)
// must print exactly what they print on the Wasm engine, in both ABI versions,
// and the verdicts INT n / EXCEPTION n / ABORT must be acted on as kqemu.c did.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import * as L from '../../host/generated/cpu-layout.js';
import { createCore } from '../../host/core.js';
import { NodeMachine, type Accelerator } from '../../host/node-machine.js';
import {
  ABI_1_3,
  ABI_1_4,
  KQEMU_VERSION_1_3,
  KQEMU_VERSION_1_4,
  RET_ABORT,
  RET_EXCEPTION,
  RET_INT,
  RET_SOFTMMU,
  type KqemuAbi,
} from '../../helper/kqemu/abi.js';
import { SubstituteKqemuDevice, kqemuUnavailableReason } from '../../helper/kqemu/device.js';
import { KqemuEngine, kqemuAccelerator } from '../../helper/kqemu/engine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'images', 'tests', 'build');
const CLI = join(ROOT, 'bin', 'tabvm');
const MEM_MIB = 32;
const STATUS_DONE = 1; // isa-debug-exit 0: (0 << 1) | 1
/** Kernels that cover mode switches (modes), timer IRQs through the PIC (timers), and plain serial (hello). */
const KERNELS = ['hello', 'timers', 'modes', 'exceptions'];

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'images', 'tests', 'build.mjs'), ...KERNELS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the test kernels failed: ${r.stderr}`);
}, 120_000);

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString('latin1');
    cb();
  }
}

async function boot(kernel: string, accelerator?: (core: import('../../host/core.js').Core) => Accelerator) {
  const stdout = new Collect();
  const stderr = new Collect();
  const m = await NodeMachine.create({
    boot: { kind: 'multiboot', kernel: { name: kernel, data: new Uint8Array(readFileSync(join(BUILD, `${kernel}.elf`))) } },
    clock: 'deterministic',
    memMiB: MEM_MIB,
    engine: 'interp',
    noReboot: true,
    timeoutS: 60,
    debugcon: [],
    stdout,
    stderr,
    accelerator,
  });
  const outcome = await m.run();
  return { outcome, serial: stdout.text, counters: m.statistics(outcome, 1, 1) };
}

describe('kqemu loop on the substitute device boots the test kernels like the Wasm engine', () => {
  for (const version of [KQEMU_VERSION_1_4, KQEMU_VERSION_1_3]) {
    for (const kernel of KERNELS) {
      it(`${kernel}: same serial output and exit status (ABI 0x${version.toString(16)})`, async () => {
        const wasm = await boot(kernel);
        let device: SubstituteKqemuDevice | undefined;
        const kq = await boot(kernel, (core) => kqemuAccelerator((device = new SubstituteKqemuDevice(version)), core));
        expect(wasm.outcome.status).toBe(STATUS_DONE);
        expect(wasm.serial.split('\n').length).toBeGreaterThan(2);
        expect(kq.serial).toBe(wasm.serial);
        expect(kq.outcome.status).toBe(wasm.outcome.status);
        // The loop really went through the device: version check, INIT, and EXECs all answered "emulate this".
        expect(device!.counters.versionQueries).toBe(1);
        expect(device!.counters.inits).toBe(1);
        expect(device!.counters.execs).toBeGreaterThan(0);
        const execs = kq.counters.find((c) => c.name === 'kqemu_execs')!.value;
        expect(kq.counters.find((c) => c.name === 'kqemu_softmmu')!.value).toBe(execs);
        expect(execs).toBe(device!.counters.execs);
        if (version === KQEMU_VERSION_1_4) expect(device!.counters.physMemRanges).toBe(1);
        // The timer kernel waits for interrupts: many short Wasm slices, each after an EXEC.
        if (kernel === 'timers') expect(execs).toBeGreaterThan(100);
      }, 120_000);
    }
  }

  it('tabvm run --accel kqemu (a machine worker) with the substitute prints what --accel wasm prints; --stats has its counters', () => {
    if (!existsSync(join(ROOT, 'dist', 'helper', 'cli.js'))) throw new Error('dist/ is missing: npm run build:host');
    const args = [
      CLI,
      'run',
      '--multiboot',
      join(BUILD, 'timers.elf'),
      '--mem',
      String(MEM_MIB),
      '--clock',
      'deterministic',
      '--timeout',
      '60',
    ];
    const wasm = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const statsFile = join(mkdtempSync(join(tmpdir(), 'tabvm-kqemu-')), 'stats.json');
    const kq = spawnSync(process.execPath, [...args, '--accel', 'kqemu', '--stats', statsFile], {
      encoding: 'utf8',
      env: { ...process.env, TABVM_KQEMU_DEVICE: 'substitute' },
    });
    expect(wasm.status).toBe(STATUS_DONE);
    expect(kq.stdout).toBe(wasm.stdout);
    expect(kq.status).toBe(wasm.status);
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { accel: string; counters: { name: string; value: number }[] };
    expect(stats.accel).toBe('kqemu (substitute device)');
    expect(stats.counters.find((c) => c.name === 'kqemu_execs')!.value).toBeGreaterThan(100);
  }, 120_000);
});

describe('kqemu unavailable', () => {
  it('a missing /dev/kqemu is reported with the reason, and tabvm run --accel kqemu exits 2 saying it', () => {
    const why = kqemuUnavailableReason('/dev/no-such-kqemu');
    expect(why).toMatch(/^\/dev\/no-such-kqemu does not exist|native addon/);
    if (existsSync('/dev/kqemu')) return;
    const r = spawnSync(process.execPath, [CLI, 'run', '--accel', 'kqemu', '--multiboot', join(BUILD, 'hello.elf')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--accel kqemu is unavailable: .*(\/dev\/kqemu does not exist|native addon)/);
  });
});

describe('the substitute device checks the ABI as kqemu does', () => {
  it('refuses EXEC before INIT, an unaligned INIT, and unknown ioctls', () => {
    const d = new SubstituteKqemuDevice();
    expect(d.ioctl(ABI_1_4.ioctls.EXEC, new Uint8Array(ABI_1_4.cpuState.size))).toBe(-5);
    const init = new Uint8Array(ABI_1_4.init.size);
    const dv = new DataView(init.buffer);
    for (const [name, off] of Object.entries(ABI_1_4.init.fields)) dv.setBigUint64(off, name === 'ram_size' ? 0x100000n : 0x10000n, true);
    dv.setBigUint64(ABI_1_4.init.fields.ram_dirty, 0x10010n, true);
    expect(d.ioctl(ABI_1_4.ioctls.INIT, init)).toBe(-22);
    dv.setBigUint64(ABI_1_4.init.fields.ram_dirty, 0x20000n, true);
    expect(d.ioctl(ABI_1_4.ioctls.INIT, init)).toBe(0);
    expect(d.ioctl(0x7199, init)).toBe(-25);
  });
});

/** An engine on a 1 MiB machine in real mode, with a substitute whose verdicts a test scripts. */
async function scripted(abi: KqemuAbi, verdict: (s: DataView) => number | undefined) {
  const core = await createCore({ memoryMiB: 1 });
  const engine = KqemuEngine.open(new SubstituteKqemuDevice(abi.version, verdict), core);
  return { core, engine };
}

describe('kqemu verdicts', () => {
  for (const abi of [ABI_1_4, ABI_1_3]) {
    const f = abi.cpuState.fields;
    it(`state the module changed comes back into the Wasm core (ABI 0x${abi.version.toString(16)})`, async () => {
      const { core, engine } = await scripted(abi, (s) => {
        expect(Number(s.getBigUint64(f.eip, true))).toBe(0xfff0);
        expect(s.getBigUint64(f.segs + 1 * abi.segment.size + abi.segment.fields.base, true)).toBe(0xffff0000n);
        s.setBigUint64(f.regs + 0 * 8, 0x12345678n, true); // eax
        s.setBigUint64(f.regs + 6 * 8, 0xabcdn, true); // esi
        s.setBigUint64(f.eip, 0x1234n, true);
        s.setBigUint64(f.cr2, 0xdead000n, true);
        // CS: selector 0x0100, base 0x1000 (real mode), kept attributes.
        const cs = f.segs + 1 * abi.segment.size;
        if (abi.version === KQEMU_VERSION_1_4) s.setUint16(cs + abi.segment.fields.selector, 0x100, true);
        else s.setUint32(cs + abi.segment.fields.selector, 0x100, true);
        s.setBigUint64(cs + abi.segment.fields.base, 0x1000n, true);
        return RET_SOFTMMU;
      });
      expect(engine.exec()).toBe(RET_SOFTMMU);
      expect(core.getReg('eax')).toBe(0x12345678);
      expect(core.getReg('esi')).toBe(0xabcd);
      expect(core.getReg('eip')).toBe(0x1234);
      expect(core.getState(L.OFF_CR2)).toBe(0xdead000);
      expect(core.getSegment(L.SEG_CS)).toMatchObject({ selector: 0x100, base: 0x1000 });
    });

    it(`INT n: the software interrupt is delivered with next_eip as return address (ABI 0x${abi.version.toString(16)})`, async () => {
      const VECTOR = 0x21;
      const HANDLER_SEG = 0x0200;
      const HANDLER_OFF = 0x0010;
      const INT_AT = 0x0100;
      let first = true;
      const { core, engine } = await scripted(abi, (s) => {
        if (!first) return undefined;
        first = false;
        s.setBigUint64(f.next_eip, BigInt(INT_AT + 2), true);
        return RET_INT | VECTOR;
      });
      core.writePhys(VECTOR * 4, Uint8Array.of(HANDLER_OFF, 0, HANDLER_SEG & 0xff, HANDLER_SEG >> 8)); // IVT entry
      core.exports.setSegmentCache(L.SEG_CS, 0, 0, 0xffff, core.getSegment(L.SEG_CS).attr);
      core.exports.setSegmentCache(L.SEG_SS, 0, 0, 0xffff, core.getSegment(L.SEG_SS).attr);
      core.setReg('eip', INT_AT);
      core.setReg('esp', 0x8000);
      engine.runSlice(1);
      expect(core.getSegment(L.SEG_CS).selector).toBe(HANDLER_SEG);
      expect(core.getReg('eip')).toBe(HANDLER_OFF);
      // Real-mode INT pushes FLAGS, CS, IP: the return IP is the instruction after INT.
      const stack = core.readPhys(0x8000 - 6, 6);
      expect(stack[0] | (stack[1] << 8)).toBe(INT_AT + 2);
      expect(engine.counters.interrupts).toBe(1);
    });
  }

  it('EXCEPTION n: the exception is delivered to the guest (real mode: through the IVT)', async () => {
    const f = ABI_1_4.cpuState.fields;
    const VECTOR = 6; // #UD
    let first = true;
    const { core, engine } = await scripted(ABI_1_4, (s) => {
      if (!first) return undefined;
      first = false;
      s.setUint32(f.error_code, 0, true);
      return RET_EXCEPTION | VECTOR;
    });
    core.writePhys(VECTOR * 4, Uint8Array.of(0x34, 0x12, 0x00, 0x03));
    core.exports.setSegmentCache(L.SEG_CS, 0, 0, 0xffff, core.getSegment(L.SEG_CS).attr);
    core.setReg('eip', 0x500);
    core.setReg('esp', 0x8000);
    engine.runSlice(1);
    expect(core.getSegment(L.SEG_CS).selector).toBe(0x300);
    expect(core.getReg('eip')).toBe(0x1234);
    expect(engine.counters.exceptions).toBe(1);
  });

  it('ABORT stops the machine with an error naming the device', async () => {
    const { engine } = await scripted(ABI_1_4, () => RET_ABORT);
    expect(() => engine.runSlice(1)).toThrow('substitute: the kqemu module aborted (KQEMU_RET_ABORT)');
  });
});
