// The KVM engine (DESIGN §8): guest code runs on the host CPU through
// KVM_RUN; every port I/O and MMIO exit goes to the same core.wasm device
// models the Wasm engine uses (portRead/portWrite, busRead/busWrite);
// device interrupt lines go to the in-kernel irqchip with KVM_IRQ_LINE.
//
// It plugs into NodeMachine as an Accelerator: the host's loaders prepare
// the guest in the Wasm core (RAM and CPU state), the engine copies that CPU
// state into the vCPU when it starts and after every reset, and each
// runSlice() runs KVM_RUN until a slice of wall time passed, a device asked
// the host for service (a full serial ring) or the guest stopped the machine
// (isa-debug-exit, reset, power-off). A per-thread tick timer (native
// startTickTimer) makes KVM_RUN return EINTR at least every TICK_MS, so
// device timers (RTC, UART) are serviced even while the guest computes;
// kick() (immediate_exit + a signal) stops it sooner from another thread.

import type { Core } from '../../host/core.js';
import type { Accelerator, StatEntry } from '../../host/node-machine.js';
import * as L from '../../host/generated/cpu-layout.js';
import { bufferAddress, errnoName, ioctl, ioctlRaw, native, startTickTimer, stopTickTimer } from '../native.js';
import { EXIT, EXIT_IO_OUT, FPU, KVM, REGS, RUN, SREGS } from './abi.js';
import { KvmVm } from './vm.js';
import { cpuStateView, fpuFromCore, fpuToCore, regsFromCore, regsToCore, sregsFromCore, sregsToCore } from './vcpu-state.js';

/** The core.wasm exports the engine needs beyond host/core.ts's (core-as/index.ts, helper section). */
interface HelperExports {
  portRead(port: number, bytes: number): number;
  portWrite(port: number, value: number, bytes: number): void;
  busRead(phys: number, size: number): number;
  busWrite(phys: number, value: number, size: number): void;
  getIrqLevel(line: number): number;
  takeIrqEdges(): number;
  takeStopRequest(): number;
  serviceTimerDevices(): number;
  setClockMode(mode: number): void;
  getEflags(): number;
  setEflags(v: number): void;
  setSegmentCache(seg: number, selector: number, base: number, limit: number, attr: number): void;
  flushTlb(): void;
}

const STOP_NONE = 0;
const STOP_LIMIT = 1;
const STOP_RESET = 4;
const STOP_POWEROFF = 7;
const CLOCK_REALTIME = 1;
const EINTR = 4;
const EAGAIN = 11;
const TICK_MS = 4;
const SLICE_MS = 20;
const ISA_LINES = 16;
/** IRQ 0 is the in-kernel PIT's; IRQ 2 is the cascade. The Wasm PIT and PIC never see the guest's port accesses. */
const KERNEL_OWNED_LINES = (1 << 0) | (1 << 2);
const MMIO_DATA_MAX = 8;
const DWORD = 4;
const LOW32 = 0x100000000;
/** kvm_run.system_event.type (api.rst). */
const SYSTEM_EVENT_SHUTDOWN = 1;
const SYSTEM_EVENT_RESET = 2;

export class KvmError extends Error {
  override name = 'KvmError';
}

export interface KvmCounters {
  runs: number;
  exits_io: number;
  exits_mmio: number;
  exits_intr: number;
  exits_other: number;
  irq_line_changes: number;
}

/** What the engine needs of a VM (KvmVm; tests give a stand-in with a plain kvm_run buffer). */
export interface KvmVmLike {
  readonly vcpuFd: number;
  readonly runArea: ArrayBuffer | undefined;
  irqLine(irq: number, level: boolean): void;
  stats(): StatEntry[];
  close(): void;
}

export class KvmEngine {
  readonly counters: KvmCounters = { runs: 0, exits_io: 0, exits_mmio: 0, exits_intr: 0, exits_other: 0, irq_line_changes: 0 };
  private readonly run: DataView;
  private readonly runBytes: Uint8Array;
  private readonly x: HelperExports;
  private readonly cpu: DataView;
  private loadState = true;
  private sentLevels = 0;
  private tickTimer: bigint | undefined;

  private constructor(
    private readonly vm: KvmVmLike,
    private readonly core: Core,
  ) {
    this.run = new DataView(vm.runArea as ArrayBuffer);
    this.runBytes = new Uint8Array(vm.runArea as ArrayBuffer);
    this.x = core.exports as unknown as HelperExports;
    this.cpu = cpuStateView(core.memory);
  }

  /** A VM for `core`'s machine: its guest RAM, in-kernel irqchip and PIT, one vCPU. */
  static create(core: Core): KvmEngine {
    const vm = KvmVm.create(true);
    try {
      vm.mapGuestRam({ hostAddress: bufferAddress(core.memory.buffer) + BigInt(L.RAM_BASE), bytes: core.ramBytes });
      vm.createVcpu();
      vm.openStats();
    } catch (err) {
      vm.close();
      throw err;
    }
    native().installKickHandler();
    return KvmEngine.withVm(vm, core);
  }

  /** The engine on a given VM: KvmEngine.create's, or a stand-in whose kvm_run a test fills in. */
  static withVm(vm: KvmVmLike, core: Core): KvmEngine {
    // The guest's time is the host's: nothing counts instructions under KVM.
    (core.exports as unknown as HelperExports).setClockMode(CLOCK_REALTIME);
    return new KvmEngine(vm, core);
  }

  /** The Wasm core's CPU state (as the loaders left it) into the vCPU. */
  setVcpuState(): void {
    const fd = this.vm.vcpuFd;
    ioctl(fd, KVM.SET_SREGS, sregsFromCore(this.cpu), 'KVM_SET_SREGS');
    ioctl(fd, KVM.SET_REGS, regsFromCore(this.cpu, this.x), 'KVM_SET_REGS');
    ioctl(fd, KVM.SET_FPU, fpuFromCore(this.cpu), 'KVM_SET_FPU');
  }

  /** The vCPU's state back into the Wasm core (pause, save, switching engines). */
  getVcpuState(): void {
    const fd = this.vm.vcpuFd;
    const regs = new Uint8Array(REGS.size);
    ioctl(fd, KVM.GET_REGS, regs, 'KVM_GET_REGS');
    const sregs = new Uint8Array(SREGS.size);
    ioctl(fd, KVM.GET_SREGS, sregs, 'KVM_GET_SREGS');
    const fpu = new Uint8Array(FPU.size);
    ioctl(fd, KVM.GET_FPU, fpu, 'KVM_GET_FPU');
    sregsToCore(sregs, this.cpu, this.x);
    regsToCore(regs, this.cpu, this.x);
    fpuToCore(fpu, this.cpu);
  }

  /** Forward the Wasm devices' ISA lines to the in-kernel irqchip: level changes, and pulses as high-then-low. */
  forwardIrqs(): void {
    const edges = this.x.takeIrqEdges() & ~KERNEL_OWNED_LINES;
    let levels = 0;
    for (let i = 0; i < ISA_LINES; i++) if (this.x.getIrqLevel(i)) levels |= 1 << i;
    levels &= ~KERNEL_OWNED_LINES;
    const changed = (levels ^ this.sentLevels) | (edges & ~levels & ~this.sentLevels);
    if (changed === 0) return;
    for (let i = 0; i < ISA_LINES; i++) {
      const bit = 1 << i;
      if (!(changed & bit)) continue;
      this.counters.irq_line_changes++;
      if (levels & bit) this.vm.irqLine(i, true);
      else if (this.sentLevels & bit) this.vm.irqLine(i, false);
      else {
        // A pulse the device already ended: an edge for the 8259A.
        this.vm.irqLine(i, true);
        this.vm.irqLine(i, false);
      }
    }
    this.sentLevels = levels;
  }

  private handleIo(): void {
    const r = RUN.fields;
    const out = this.run.getUint8(r['io.direction']) === EXIT_IO_OUT;
    const size = this.run.getUint8(r['io.size']);
    const port = this.run.getUint16(r['io.port'], true);
    const count = this.run.getUint32(r['io.count'], true);
    const base = Number(this.run.getBigUint64(r['io.data_offset'], true));
    for (let i = 0; i < count; i++) {
      const at = base + i * size;
      if (at + size > this.runBytes.length) break;
      if (out) {
        let v = 0;
        for (let b = 0; b < size; b++) v |= this.runBytes[at + b] << (b * 8);
        this.x.portWrite(port, v >>> 0, size);
      } else {
        const v = this.x.portRead(port, size);
        for (let b = 0; b < size; b++) this.runBytes[at + b] = (v >>> (b * 8)) & 0xff;
      }
    }
  }

  private handleMmio(): void {
    const r = RUN.fields;
    const phys = Number(this.run.getBigUint64(r['mmio.phys_addr'], true));
    const len = Math.min(this.run.getUint32(r['mmio.len'], true), MMIO_DATA_MAX);
    const write = this.run.getUint8(r['mmio.is_write']) !== 0;
    const data = r['mmio.data'];
    // Above 4 GiB nothing decodes (32-bit machine): reads float high, writes vanish.
    for (let done = 0; done < len;) {
      const size = len - done >= DWORD ? DWORD : len - done >= 2 ? 2 : 1;
      const addr = phys + done;
      if (write) {
        let v = 0;
        for (let b = 0; b < size; b++) v |= this.runBytes[data + done + b] << (b * 8);
        if (addr + size <= LOW32) this.x.busWrite(addr, v >>> 0, size);
      } else {
        const v = addr + size <= LOW32 ? this.x.busRead(addr, size) : 0xffffffff;
        for (let b = 0; b < size; b++) this.runBytes[data + done + b] = (v >>> (b * 8)) & 0xff;
      }
      done += size;
    }
  }

  /** The exit KVM_RUN left in kvm_run; returns a STOP_* the machine must act on, or STOP_NONE to keep running. */
  handleExit(): number {
    const reason = this.run.getUint32(RUN.fields.exit_reason, true);
    switch (reason) {
      case EXIT.IO:
        this.counters.exits_io++;
        this.handleIo();
        return STOP_NONE;
      case EXIT.MMIO:
        this.counters.exits_mmio++;
        this.handleMmio();
        return STOP_NONE;
      case EXIT.INTR:
      case EXIT.IRQ_WINDOW_OPEN:
      case EXIT.HLT:
        this.counters.exits_intr++;
        return STOP_NONE;
      case EXIT.SHUTDOWN:
        // A triple fault: the PC resets (as the Wasm core's STOP_RESET).
        this.counters.exits_other++;
        return STOP_RESET;
      case EXIT.SYSTEM_EVENT: {
        this.counters.exits_other++;
        const type = this.run.getUint32(RUN.fields['system_event.type'], true);
        return type === SYSTEM_EVENT_SHUTDOWN ? STOP_POWEROFF : type === SYSTEM_EVENT_RESET ? STOP_RESET : STOP_NONE;
      }
      case EXIT.FAIL_ENTRY:
        throw new KvmError(
          `KVM_RUN: VM entry failed (hardware reason 0x${this.run.getBigUint64(RUN.fields['fail_entry.hardware_entry_failure_reason'], true).toString(16)})`,
        );
      case EXIT.INTERNAL_ERROR:
        throw new KvmError(`KVM_RUN: KVM internal error, suberror ${this.run.getUint32(RUN.fields['internal.suberror'], true)}`);
      default:
        this.counters.exits_other++;
        throw new KvmError(`KVM_RUN: unexpected exit reason ${reason}`);
    }
  }

  /** Run the vCPU for about SLICE_MS of wall time; returns the STOP_* reason NodeMachine acts on. */
  runSlice(): number {
    if (this.loadState) {
      this.setVcpuState();
      this.loadState = false;
    }
    if (this.tickTimer === undefined) this.tickTimer = startTickTimer(TICK_MS);
    const start = performance.now();
    for (;;) {
      this.x.serviceTimerDevices();
      this.forwardIrqs();
      this.counters.runs++;
      const r = ioctlRaw(this.vm.vcpuFd, KVM.RUN, 0);
      this.runBytes[RUN.fields.immediate_exit] = 0;
      let stop = STOP_NONE;
      if (r < 0) {
        if (-r !== EINTR && -r !== EAGAIN) throw new KvmError(`KVM_RUN failed: ${errnoName(r)}`);
        this.counters.exits_intr++;
      } else {
        stop = this.handleExit();
      }
      const requested = this.x.takeStopRequest();
      if (requested !== STOP_NONE) stop = stop === STOP_RESET ? stop : requested;
      if (stop !== STOP_NONE) {
        if (stop === STOP_RESET) this.loadState = true;
        return stop;
      }
      if (performance.now() - start >= SLICE_MS) return STOP_LIMIT;
    }
  }

  /**
   * The host reset the machine: load the Wasm core's fresh CPU state before the next run.
   * UNFINISHED: the in-kernel 8259A/IOAPIC/8254 keep their state across the reset; they
   * should get power-on state through KVM_SET_IRQCHIP / KVM_SET_PIT2 as QEMU does.
   */
  reloadState(): void {
    this.loadState = true;
  }

  /** Make a KVM_RUN blocked in `thread` return soon (immediate_exit covers a kick that lands before entry). */
  kick(thread: bigint): void {
    this.runBytes[RUN.fields.immediate_exit] = 1;
    native().kick(thread);
  }

  /** Counters as they were when the VM closed (NodeMachine writes --stats after closing its accelerator). */
  private finalStats: StatEntry[] | undefined;

  stats(): StatEntry[] {
    if (this.finalStats) return this.finalStats;
    const own = (Object.keys(this.counters) as (keyof KvmCounters)[]).map((k) => ({
      name: `kvm_${k}`,
      unit: k === 'runs' ? 'calls' : 'events',
      kind: 'cumulative' as const,
      description: KVM_COUNTER_TEXT[k],
      value: this.counters[k],
    }));
    return [...own, ...this.vm.stats()];
  }

  close(): void {
    if (this.finalStats) return;
    this.finalStats = this.stats();
    if (this.tickTimer !== undefined) stopTickTimer(this.tickTimer);
    this.tickTimer = undefined;
    this.vm.close();
  }
}

const KVM_COUNTER_TEXT: Record<keyof KvmCounters, string> = {
  runs: 'KVM_RUN calls',
  exits_io: 'Port I/O exits handled by the Wasm device models',
  exits_mmio: 'MMIO exits handled by the Wasm bus (VGA, ROM, device pages)',
  exits_intr: 'KVM_RUN returns for host work (tick timer, kicks, halts)',
  exits_other: 'Other exits (shutdown, system events)',
  irq_line_changes: 'Interrupt line changes forwarded to the in-kernel irqchip (KVM_IRQ_LINE)',
};

/** The engine as a NodeMachine accelerator (tabvm run --accel kvm). */
export function kvmAccelerator(core: Core): Accelerator {
  const engine = KvmEngine.create(core);
  return {
    name: 'kvm',
    runSlice: () => engine.runSlice(),
    counters: () => engine.stats(),
    reset: () => engine.reloadState(),
    close: () => engine.close(),
  };
}
