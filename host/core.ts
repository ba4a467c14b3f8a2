// Loading core.wasm and talking to it from JavaScript (Node or a worker).
//
// The core runs in one shared WebAssembly.Memory; this wrapper reads and
// writes CPU state at the offsets of generated/cpu-layout.ts and calls the
// few exported functions for everything else.

import * as L from './generated/cpu-layout.js';
import { JitHost } from './jit-host.js';

export type RegName = 'eax' | 'ecx' | 'edx' | 'ebx' | 'esp' | 'ebp' | 'esi' | 'edi' | 'eip' | 'eflags';
const GPR_INDEX: Record<string, number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };

/** Why run() returned (core-as/cpu/control.ts). */
export const STOP_REASONS = ['none', 'limit', 'halt', 'exception', 'reset', 'exit', 'idle', 'poweroff'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface RunResult {
  reason: StopReason;
  instructions: number;
  vector?: number;
  errorCode?: number;
  cr2?: number;
}

/** The functions core.wasm exports (core-as/index.ts). */
export interface CoreExports {
  init(ramBytes: number): void;
  reset(): void;
  setupFlat32(cpl: number): void;
  run(maxInstructions: number): number;
  getEflags(): number;
  setEflags(v: number): void;
  setStopOnException(on: number): void;
  getStoppedVector(): number;
  getStoppedErrorCode(): number;
  getExitCode(): number;
  getUnimplementedCount(): number;
  getLastUnimplementedOpcode(): number;
  flushTlb(): void;
  /** Recompute the interpreter's debug-check switch after setting EFLAGS.TF or DR7 from the host. */
  refreshDebugChecks(): void;
  /** Fill a segment register's descriptor cache (attr in the SEG_ATTR layout). */
  setSegmentCache(seg: number, selector: number, base: number, limit: number, attr: number): void;
  /** Deliver an interrupt now; 0xffffffff on success, else (vector << 16) | error code of the delivery fault. */
  deliverEvent(vector: number, kind: number, errorCode: number, hasErrorCode: number): number;
  /** I/O port access; size in bytes (1, 2, 4). */
  portRead(port: number, size: number): number;
  portWrite(port: number, value: number, size: number): void;
  resetDevices(): void;
  serviceDevices(): void;
  setDebugconPort(channel: number, port: number): void;
  getIrqLevel(line: number): number;
  /** Drive ISA IRQ `line` from the host's own source (tests). */
  setHostIrq(line: number, high: number): void;
  /** An interrupt acknowledge cycle now: the interrupt controller's vector (tests). */
  interruptAcknowledge(): number;
  /** Deterministic clock: let `ns` of virtual time pass; timers catch up (tests). */
  advanceClock(ns: bigint): void;
  /** The RTC reads `seconds` since the Unix epoch now (realtime mode: the host's date). */
  rtcSetTime(seconds: number): void;
  /** CMOS boot order, QEMU's encoding: 1 floppy, 2 hard disk, 3 CD-ROM, 0 none. */
  cmosSetBootOrder(first: number, second: number, third: number): void;
  /** CMOS floppy type of drive 0/1: 0 none, 1 360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M. */
  cmosSetFloppyType(drive: number, type: number): void;
  /** CMOS hard disk entry of IDE drive 0-3 (translation 0 none, 1 LBA, 2 large, 3 r-echs). */
  cmosSetDiskPresent(drive: number, cylinders: number, heads: number, sectors: number, translation: number): void;
  cmosRead(index: number): number;
  /** CLOCK_DETERMINISTIC (0) or CLOCK_REALTIME (1); restarts the clock at 0. */
  setClockMode(mode: number): void;
  clockPause(paused: number): void;
  getClockNs(): bigint;
  /** Nanoseconds until the next timer deadline (0xffffffff: none soon). */
  getIdleNs(): number;
  /** Map the system BIOS image the host copied to getRomArea(); false if its size is unusable. */
  mapSystemBios(size: number): number;
  getRomArea(): number;
  getVramBase(): number;
  /** Tests: a bare PCI function with interrupt pin `pin` at `devfn`; returns its slot. */
  addTestPciFunction(devfn: number, pin: number): number;
  /** Tests: drive the INTx pin of a PCI slot. */
  setPciIrq(slot: number, high: number): void;
  /** The keyboard LEDs the guest set (bit 0 Scroll, 1 Num, 2 Caps Lock). */
  getKeyboardLeds(): number;
  /** fw_cfg (core-as/devices/fw-cfg.ts): zeroed item memory in FW_CFG_DATA, 0 when full. */
  fwCfgAlloc(size: number): number;
  fwCfgAddItem(key: number, addr: number, size: number): number;
  /** Returns the file's key, or -1. */
  fwCfgAddFile(namePtr: number, nameLen: number, addr: number, size: number): number;
  /** Wasm address where the host area (item memory the guest cannot address) begins. */
  fwCfgHostArea(): number;
  /** Guest-physical device access (MMIO pages only); size 1, 2 or 4. */
  mmioRead(phys: number, size: number): number;
  mmioWrite(phys: number, value: number, size: number): void;
  /** An interrupt acknowledge cycle of the CPU now: the vector the local APIC (or the 8259A) answers. */
  cpuInterruptAcknowledge(): number;
  /** The CPU's INTR input (1 high). */
  getIntrLine(): number;
  /** Drive ISA IRQ `line` from a test source (OR-ed with the devices'). */
  testDriveIrqLine(line: number, high: number): void;
  /** Where the host copies the VGA BIOS before setVgaBios(size). */
  getOptionRomArea(): number;
  /** Expose the VGA BIOS image through the std VGA's PCI ROM BAR; false if its size is unusable. */
  setVgaBios(size: number): number;
  /** Guest-physical access through the bus (RAM or a device's MMIO); size in bytes. */
  busRead(phys: number, size: number): number;
  busWrite(phys: number, value: number, size: number): void;
  /** Address of the display descriptor (core-as/devices/vga-display.ts). */
  getVgaDisplay(): number;
  /** The JIT on (1) or off (0); compile after `threshold` block entries; table index for JIT code. */
  setJit(on: number, threshold: number, firstTableIndex: number): void;
  setJitClusterBytes(bytes: number): void;
  /** The host wrote guest RAM directly: drop compiled code there. */
  noteHostWrite(phys: number, len: number): void;
  /** Drop every compiled block. */
  jitFlushAll(): void;
  /** The guest profiler (core-as/cpu/profile.ts): a sample every `interval` instructions; 0 = off. */
  profileSetInterval(interval: number): void;
  /** Wasm address of the profiler's sample buffer. */
  profileBuffer(): number;
}

/** CPU engines inside core.wasm (DESIGN §1). */
export type Engine = 'jit' | 'interp';
/** Block entries before the JIT compiles a block. */
// Measured on the bench guest (Linux boot to the shell prompt, CPU s of the whole
// process, medians of 3): before regions were split into small functions (session 6,
// quiet machine) 2000 → 22.4, 3000 → 17.3, 5000 → 15.5, 10000 → 13.7-14.8, 20000 → 15.9;
// since (translate.ts clusters, 12 KB functions) 5000 → 10.3, 10000 → 10.1, 20000 → 10.0.
// Compiling costs V8 time on a background thread later, so only code entered thousands
// of times pays for it; the in-guest workload is as fast at 10000 as at 1000.
export const DEFAULT_JIT_THRESHOLD = 10000;

/**
 * Engine and threshold from the options, else from TABVM_ENGINE /
 * TABVM_JIT_THRESHOLD (so a test run can put every suite on the JIT), else
 * the interpreter for tests' createCore (the CLI defaults to jit itself).
 */
function chooseEngine(opts: { engine?: Engine; jitThreshold?: number; jitClusterBytes?: number }): {
  engine: Engine;
  threshold: number;
  clusterBytes: number;
} {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const engine: Engine = opts.engine ?? (env.TABVM_ENGINE === 'jit' ? 'jit' : 'interp');
  const fromEnv = Number(env.TABVM_JIT_THRESHOLD);
  const threshold = opts.jitThreshold ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_JIT_THRESHOLD);
  const clusterFromEnv = Number(env.TABVM_JIT_CLUSTER_BYTES);
  const clusterBytes = opts.jitClusterBytes ?? (Number.isInteger(clusterFromEnv) && clusterFromEnv > 0 ? clusterFromEnv : 0);
  return { engine, threshold, clusterBytes };
}

const PAGE = 65536;
const NS_PER_MS = 1e6;

/** The core's realtime clock source (core-as/machine/clock.ts): the host's monotonic time in ns. */
function hostTimeNs(): number {
  return performance.now() * NS_PER_MS;
}

export interface CoreOptions {
  /** Guest RAM in MiB. */
  memoryMiB: number;
  /** The compiled core; by default build/core.wasm next to the package root. */
  module?: WebAssembly.Module;
  /** MiB of memory above VRAM for big fw_cfg items (kernel, initrd); see host/fw-cfg.ts. */
  hostAreaMiB?: number;
  /** CPU engine; default: TABVM_ENGINE, else interp. */
  engine?: Engine;
  /** Block entries before the JIT compiles a block (1: at once); default TABVM_JIT_THRESHOLD, else DEFAULT_JIT_THRESHOLD. */
  jitThreshold?: number;
  /**
   * Bytes of Wasm per function of a compiled region (1: every block a function of its own, for tests);
   * default TABVM_JIT_CLUSTER_BYTES, else the core's default (core-as/jit/translate.ts DEFAULT_CLUSTER_BYTES).
   */
  jitClusterBytes?: number;
}

let cachedModule: WebAssembly.Module | undefined;

/** Compile build/core.wasm once per process (Node only; a page passes `module`). */
export async function loadCoreModule(): Promise<WebAssembly.Module> {
  if (cachedModule) return cachedModule;
  // Kept out of browser bundles: the page compiles core.wasm from a URL itself.
  const nodeLoader = './core-module-node.js';
  const { readCoreWasm } = (await import(/* @vite-ignore */ nodeLoader)) as typeof import('./core-module-node.js');
  cachedModule = await WebAssembly.compile(await readCoreWasm());
  return cachedModule;
}

export class Core {
  readonly memory: WebAssembly.Memory;
  readonly exports: CoreExports;
  readonly ramBytes: number;
  private u8: Uint8Array;
  private dv: DataView;
  private stopOnException = false;

  readonly engine: Engine;
  readonly jit: JitHost = new JitHost();

  constructor(
    module: WebAssembly.Module,
    memoryMiB: number,
    hostAreaMiB = 0,
    engineOpts: { engine?: Engine; jitThreshold?: number; jitClusterBytes?: number } = {},
  ) {
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB > 3072) {
      throw new Error(`guest memory must be a whole number of MiB from 1 to 3072 (got ${memoryMiB})`);
    }
    this.ramBytes = memoryMiB * 1024 * 1024;
    // Guest RAM, then VRAM above it (1 MiB aligned, core-as/machine/physmem.ts vramBase).
    const hostArea = Math.max(0, Math.ceil(hostAreaMiB)) * 1024 * 1024;
    const pages = Math.ceil((L.RAM_BASE + this.ramBytes + L.VRAM_SIZE + hostArea) / PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new WebAssembly.Instance(module, {
      env: { memory: this.memory, hostTimeNs, jitCompile: this.jit.jitCompile },
    });
    this.exports = instance.exports as unknown as CoreExports;
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.exports.init(this.ramBytes);
    const { engine, threshold, clusterBytes } = chooseEngine(engineOpts);
    this.engine = engine;
    this.exports.setJitClusterBytes(clusterBytes);
    this.exports.setJit(engine === 'jit' ? 1 : 0, threshold, this.jit.attach(this.memory, instance.exports));
  }

  /** Copy bytes into guest-physical memory (bounds-checked against guest RAM). */
  writePhys(addr: number, bytes: Uint8Array): void {
    if (addr < 0 || addr + bytes.length > this.ramBytes) {
      throw new RangeError(`guest-physical range 0x${addr.toString(16)}+${bytes.length} is outside guest RAM`);
    }
    this.u8.set(bytes, L.RAM_BASE + addr);
    this.exports.noteHostWrite(addr, bytes.length);
  }

  readPhys(addr: number, len: number): Uint8Array {
    if (addr < 0 || addr + len > this.ramBytes) {
      throw new RangeError(`guest-physical range 0x${addr.toString(16)}+${len} is outside guest RAM`);
    }
    return this.u8.slice(L.RAM_BASE + addr, L.RAM_BASE + addr + len);
  }

  setupFlat32(opts: { cpl: 0 | 3 }): void {
    this.exports.setupFlat32(opts.cpl);
  }

  private stateU32(off: number): number {
    return this.dv.getUint32(L.CPU_STATE + off, true);
  }
  private setStateU32(off: number, v: number): void {
    this.dv.setUint32(L.CPU_STATE + off, v >>> 0, true);
  }

  getReg(name: RegName): number {
    if (name === 'eip') return this.stateU32(L.OFF_EIP);
    if (name === 'eflags') return this.exports.getEflags() >>> 0;
    return this.stateU32(L.OFF_GPR + GPR_INDEX[name] * 8);
  }

  setReg(name: RegName, value: number): void {
    if (name === 'eip') this.setStateU32(L.OFF_EIP, value);
    else if (name === 'eflags') this.exports.setEflags(value >>> 0);
    else this.setStateU32(L.OFF_GPR + GPR_INDEX[name] * 8, value);
  }

  /** Control and other 32-bit state by layout offset (OFF_CR0, OFF_CR2, ...). */
  getState(off: number): number {
    return this.stateU32(off);
  }
  setState(off: number, v: number): void {
    this.setStateU32(off, v);
  }

  /** Raw CPU state bytes at a layout offset (e.g. the FXSAVE image at OFF_FPU). */
  readState(off: number, len: number): Uint8Array {
    if (off < 0 || off + len > L.CPU_STATE_SIZE) throw new RangeError(`CPU state range 0x${off.toString(16)}+${len} out of bounds`);
    return this.u8.slice(L.CPU_STATE + off, L.CPU_STATE + off + len);
  }
  writeState(off: number, bytes: Uint8Array): void {
    if (off < 0 || off + bytes.length > L.CPU_STATE_SIZE)
      throw new RangeError(`CPU state range 0x${off.toString(16)}+${bytes.length} out of bounds`);
    this.u8.set(bytes, L.CPU_STATE + off);
  }

  /** Segment register cache: selector, base, limit, attributes. */
  getSegment(seg: number): { selector: number; base: number; limit: number; attr: number } {
    const a = L.OFF_SEGS + seg * L.SEG_SIZE;
    return {
      selector: this.stateU32(a + L.SEG_SEL),
      base: this.stateU32(a + L.SEG_BASE),
      limit: this.stateU32(a + L.SEG_LIMIT),
      attr: this.stateU32(a + L.SEG_ATTR),
    };
  }

  get instructionCount(): bigint {
    return this.dv.getBigUint64(L.CPU_STATE + L.OFF_INSTR_COUNT, true);
  }

  run(maxInstructions: number, opts: { stopOnException?: boolean } = {}): RunResult {
    const stop = opts.stopOnException ?? false;
    if (stop !== this.stopOnException) {
      this.exports.setStopOnException(stop ? 1 : 0);
      this.stopOnException = stop;
    }
    const before = this.instructionCount;
    const code = this.exports.run(maxInstructions >>> 0);
    const reason = STOP_REASONS[code] ?? 'none';
    const result: RunResult = { reason, instructions: Number(this.instructionCount - before) };
    if (reason === 'exception') {
      result.vector = this.exports.getStoppedVector();
      result.errorCode = this.exports.getStoppedErrorCode();
      if (result.vector === 14) result.cr2 = this.stateU32(L.OFF_CR2);
    }
    return result;
  }

  reset(): void {
    this.exports.reset();
  }
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const module = opts.module ?? (await loadCoreModule());
  return new Core(module, opts.memoryMiB, opts.hostAreaMiB, {
    engine: opts.engine,
    jitThreshold: opts.jitThreshold,
    jitClusterBytes: opts.jitClusterBytes,
  });
}
