// A headless PC for Node: core.wasm plus the host ends of its device rings.
//
// It runs the guest in slices of instructions; between slices it moves bytes
// between the rings and the outside world (COM1 ↔ stdin/stdout, debug console
// channels → files or stderr), lets Node handle I/O, and decides what a stop
// means. Exit statuses are the CLI contract of DESIGN §7:
//
//   (v << 1) | 1   the guest wrote v to isa-debug-exit (port 0xf4); the core
//                  records v, this file computes the status (mod 256, as a
//                  process exit status is)
//   0              the guest reset with --no-reboot
//   0              the guest powered off (ACPI soft-off)
//   0              the guest halted with interrupts disabled: nothing can ever
//                  wake it (no NMI source exists), so the machine is finished,
//                  like a power-off; a one-line notice goes to stderr. (QEMU
//                  would hang until killed.)
//   124            --timeout reached
//
// With interrupts enabled, a halted guest waits for an interrupt: the machine
// sleeps briefly between checks instead of spinning.

import { closeSync, writeSync, writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import { createCore, type Core } from './core.js';
import { readStat, readStats } from './stats.js';
import { HostRing, uartTxRing, uartRxRing, debugconRing, DEBUGCON_CHANNELS } from './rings.js';
import { attachDrive, serviceBlockRequests, type BlockDevice, type DriveSpec } from './block-device.js';
import { FileBlockDevice } from './file-block-device.js';
import { GuestProfiler, DEFAULT_PROFILE_INTERVAL } from './guest-profile.js';
import {
  bootMachine,
  hostAreaMiBForBoot,
  setupMachine,
  unimplementedNote,
  DRIVE_OF_DISK,
  EFLAGS_IF,
  COM1,
  STOP_LIMIT,
  STOP_HALT,
  STOP_EXCEPTION,
  STOP_RESET,
  STOP_EXIT,
  STOP_IDLE,
  STOP_POWEROFF,
  type BootSource,
  type FirmwareImages,
} from './machine-setup.js';

export type { BootSource, FirmwareImages };
export { CLOCK_DETERMINISTIC, CLOCK_REALTIME } from './machine-setup.js';

export const STATUS_TIMEOUT = 124;
export const STATUS_RESET = 0;
export const STATUS_HALTED = 0;
export const STATUS_POWEROFF = 0;
const EXIT_STATUS_MASK = 0xff;
const CTRL_A = 0x01;
const QUIT_KEY = 0x78; // 'x' after Ctrl-A

/** Slice sizing: aim for slices of SLICE_TARGET_MS so timeouts and input stay responsive. */
const SLICE_INITIAL = 1_000_000;
const SLICE_MIN = 100_000;
const SLICE_MAX = 8_000_000;
const SLICE_TARGET_MS = 20;
const IDLE_SLEEP_MS = 5;
const PAUSED_POLL_MS = 100;
const MS_PER_S = 1000;
const US_PER_S = 1e6;

export interface DebugconSink {
  port: number;
  /** A file descriptor opened for writing. */
  fd: number;
}

/** A disk image the user attached (--hda/--cdrom/--fda), opened and checked by the CLI. */
export interface DiskImage {
  kind: 'hda' | 'cdrom' | 'fda';
  path: string;
  /** An open file descriptor (read/write for hda/fda when writable, read-only otherwise). */
  fd: number;
  size: number;
  readOnly: boolean;
}

/**
 * A CPU accelerator (helper/kqemu): runs the guest's slices in place of
 * core.exports.run and returns the same STOP_* reasons.
 */
export interface Accelerator {
  readonly name: string;
  runSlice(maxInstructions: number): number;
  counters(): StatEntry[];
  /** The host reset the machine (the Wasm core's CPU state was reloaded). */
  reset?(): void;
  close(): void;
}

export interface NodeMachineOptions {
  boot: BootSource;
  /** Disk images for the firmware boot path (--hda/--cdrom/--fda). */
  disks?: DiskImage[];
  /** 'realtime' for people (default), 'deterministic' for reproducible tests. */
  clock?: 'realtime' | 'deterministic';
  memMiB: number;
  engine: 'interp' | 'jit';
  noReboot: boolean;
  /** Seconds; undefined = no limit. */
  timeoutS?: number;
  /** Path of the --stats JSON file. */
  statsFile?: string;
  /**
   * Path of the --profile JSON file (host/guest-profile.ts): written at the
   * end, and on SIGUSR2 (then a new profile starts: phases of one run).
   */
  profileFile?: string;
  /** Guest instructions per profile sample (default DEFAULT_PROFILE_INTERVAL). */
  profileInterval?: number;
  /** Debug console channels (channel 0 first); at most 4. */
  debugcon: DebugconSink[];
  stdin?: Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  /** Disks (host/block-device.ts; device undefined: an empty CD-ROM or floppy drive). */
  drives?: { spec: DriveSpec; device: BlockDevice | undefined }[];
  /** Runs the CPU instead of the Wasm core alone (helper/kqemu); made once the core exists. */
  accelerator?: (core: Core) => Accelerator;
}

/** One counter of the statistics schema (DESIGN §9). */
export interface StatEntry {
  name: string;
  unit: string;
  kind: 'cumulative' | 'instant' | 'peak';
  description: string;
  value: number;
}

export interface MachineOutcome {
  status: number;
  reason: 'exit' | 'reset' | 'halted' | 'timeout' | 'quit' | 'poweroff';
  instructions: number;
  resets: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class NodeMachine {
  private readonly core: Core;
  private readonly com1Tx: HostRing;
  private readonly com1Rx: HostRing;
  private readonly debugRings: HostRing[];
  private pendingInput: Uint8Array[] = [];
  private sawCtrlA = false;
  private quitRequested = false;
  private inputWaiter: (() => void) | undefined;
  private resets = 0;
  private comBytesOut = 0;
  private comBytesIn = 0;
  private rawMode = false;
  private disks: DiskImage[] = [];
  private readonly onData = (chunk: Buffer): void => this.acceptInput(chunk);
  private accel: Accelerator | undefined;
  private paused = false;
  private resetRequested = false;
  private profiler: GuestProfiler | undefined;
  private readonly onProfileSignal = (): void => this.writeProfile(true);

  private constructor(
    core: Core,
    private readonly opts: NodeMachineOptions,
  ) {
    this.core = core;
    this.com1Tx = uartTxRing(core.memory, COM1);
    this.com1Rx = uartRxRing(core.memory, COM1);
    this.debugRings = opts.debugcon.map((_, c) => debugconRing(core.memory, c));
  }

  static async create(opts: NodeMachineOptions): Promise<NodeMachine> {
    if (opts.debugcon.length > DEBUGCON_CHANNELS) {
      throw new RangeError(`at most ${DEBUGCON_CHANNELS} debug console ports`);
    }
    const core = await createCore({ memoryMiB: opts.memMiB, hostAreaMiB: hostAreaMiBForBoot(opts.boot), engine: opts.engine });
    setupMachine(core, {
      boot: opts.boot,
      clock: opts.clock,
      debugconPorts: opts.debugcon.map((d) => d.port),
      drives: opts.drives,
    });
    const machine = new NodeMachine(core, opts);
    machine.attachDisks(opts.disks ?? []);
    machine.boot();
    machine.accel = opts.accelerator?.(core);
    if (opts.profileFile !== undefined) machine.profiler = new GuestProfiler(core, opts.profileInterval ?? DEFAULT_PROFILE_INTERVAL);
    return machine;
  }

  /**
   * Connect the CLI's disk images to the drives of the PC as QEMU's pc machine
   * places them: --hda the primary master, --cdrom the secondary master,
   * --fda floppy unit 0 (host/block-device.ts attachDrive).
   */
  private attachDisks(disks: DiskImage[]): void {
    this.disks = disks;
    for (const d of disks) {
      const device = FileBlockDevice.fromOpenFile(d.path, d.fd, d.size, d.readOnly);
      attachDrive(this.core, DRIVE_OF_DISK[d.kind], device);
    }
  }

  /** Power-on state and the kernel (again after a reset: the host's loader is the firmware). */
  private boot(): void {
    bootMachine(this.core, this.opts.boot);
  }

  /** COM1 input: Ctrl-A x quits (as QEMU's -serial mon:stdio), Ctrl-A Ctrl-A sends Ctrl-A. */
  private acceptInput(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.rawMode) {
      const out: number[] = [];
      for (const b of chunk) {
        if (this.sawCtrlA) {
          this.sawCtrlA = false;
          if (b === QUIT_KEY) this.quitRequested = true;
          else out.push(b);
        } else if (b === CTRL_A) this.sawCtrlA = true;
        else out.push(b);
      }
      bytes = Uint8Array.from(out);
    }
    if (bytes.length) this.pendingInput.push(bytes);
    this.inputWaiter?.();
  }

  private startInput(): void {
    const stdin = this.opts.stdin;
    if (!stdin) return;
    if (stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      this.rawMode = true;
    }
    stdin.on('data', this.onData);
    stdin.on('error', () => {});
    stdin.resume();
  }

  private stopInput(): void {
    const stdin = this.opts.stdin;
    if (!stdin) return;
    stdin.off('data', this.onData);
    if (this.rawMode && stdin.setRawMode) stdin.setRawMode(false);
    this.rawMode = false;
    stdin.pause();
    // A pipe or TTY handle would keep the process alive after the machine stops.
    (stdin as { unref?: () => void }).unref?.();
  }

  /** Move queued input into the COM1 RX ring as far as it has room (never drops). */
  private feedInput(): void {
    while (this.pendingInput.length) {
      const head = this.pendingInput[0];
      const n = this.com1Rx.write(head);
      this.comBytesIn += n;
      if (n < head.length) {
        this.pendingInput[0] = head.subarray(n);
        break;
      }
      this.pendingInput.shift();
    }
  }

  /** Drain the guest's output rings; resolves when stdout can take more. */
  private async drainOutput(): Promise<void> {
    for (let c = 0; c < this.debugRings.length; c++) {
      const bytes = this.debugRings[c].read();
      if (bytes.length) writeSync(this.opts.debugcon[c].fd, bytes);
    }
    const out = this.com1Tx.read();
    if (out.length) {
      this.comBytesOut += out.length;
      if (!this.opts.stdout.write(out)) {
        await new Promise<void>((r) => this.opts.stdout.once('drain', () => r()));
      }
    }
  }

  private async exchange(): Promise<void> {
    this.profiler?.drain();
    await this.drainOutput();
    this.feedInput();
    serviceBlockRequests(this.core);
    this.core.exports.serviceDevices();
  }

  private notice(text: string): void {
    this.opts.stderr.write(`tabvm: ${text}\n`);
  }

  /** Why the CPU may be stuck: instructions the core does not implement yet. */
  private unimplementedNote(): string {
    return unimplementedNote(this.core);
  }

  /** The Wasm core (device state, rings, display) for hosts that drive the machine (helper/). */
  get wasmCore(): Core {
    return this.core;
  }

  /** Host control (helper/): pause or resume between slices; the guest clock stops while paused. */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.core.exports.clockPause(paused ? 1 : 0);
    this.inputWaiter?.();
  }

  /** Host control: end run() after the current slice with reason 'quit'. */
  requestQuit(): void {
    this.quitRequested = true;
    this.inputWaiter?.();
  }

  /** Host control: reset the machine (as a guest reset, but never an exit) after the current slice. */
  requestReset(): void {
    this.resetRequested = true;
    this.inputWaiter?.();
  }

  /** COM1 bytes from the host (helper/), as if typed on stdin. */
  sendSerial(bytes: Uint8Array): void {
    if (bytes.length) this.pendingInput.push(bytes);
    this.inputWaiter?.();
  }

  /** Run until the guest exits, resets (with --no-reboot), halts for good or times out. */
  async run(): Promise<MachineOutcome> {
    const startWall = performance.now();
    const startCpu = process.cpuUsage();
    const deadline = this.opts.timeoutS === undefined ? Infinity : startWall + this.opts.timeoutS * MS_PER_S;
    let slice = SLICE_INITIAL;
    let outcome: MachineOutcome | undefined;
    const finish = (status: number, reason: MachineOutcome['reason']): MachineOutcome => ({
      status,
      reason,
      // The statistics counter, unlike the CPU's own, survives resets.
      instructions: readStat(this.core.memory, 'instructions'),
      resets: this.resets,
    });
    this.startInput();
    if (this.profiler) process.on('SIGUSR2', this.onProfileSignal);
    try {
      while (!outcome) {
        if (this.resetRequested) {
          this.resetRequested = false;
          this.resets++;
          this.boot();
          this.accel?.reset?.();
        }
        if (this.paused) {
          if (this.quitRequested) outcome = finish(0, 'quit');
          else {
            await Promise.race([sleep(PAUSED_POLL_MS), new Promise<void>((r) => (this.inputWaiter = r))]);
            this.inputWaiter = undefined;
          }
          continue;
        }
        const t0 = performance.now();
        const reason = this.accel ? this.accel.runSlice(slice) : this.core.exports.run(slice);
        const elapsed = performance.now() - t0;
        if (reason === STOP_LIMIT) {
          if (elapsed > SLICE_TARGET_MS * 2) slice = Math.max(SLICE_MIN, slice >> 1);
          else if (elapsed < SLICE_TARGET_MS / 2) slice = Math.min(SLICE_MAX, slice * 2);
        }
        await this.exchange();
        if (reason === STOP_EXIT) {
          const v = this.core.exports.getExitCode() >>> 0;
          outcome = finish(((v << 1) | 1) & EXIT_STATUS_MASK, 'exit');
        } else if (reason === STOP_POWEROFF) {
          outcome = finish(STATUS_POWEROFF, 'poweroff');
        } else if (reason === STOP_RESET) {
          if (this.opts.noReboot) {
            this.notice(`guest reset; exiting (--no-reboot)${this.unimplementedNote()}`);
            outcome = finish(STATUS_RESET, 'reset');
          } else {
            this.resets++;
            this.boot();
          }
        } else if (reason === STOP_IDLE || reason === STOP_HALT) {
          if ((this.core.getReg('eflags') & EFLAGS_IF) === 0) {
            this.notice(`guest halted with interrupts disabled; nothing can wake it, stopping${this.unimplementedNote()}`);
            outcome = finish(STATUS_HALTED, 'halted');
          } else {
            const idle0 = performance.now();
            await this.waitForEvent(Math.min(IDLE_SLEEP_MS, Math.max(0, deadline - performance.now())));
            this.profiler?.noteHalted(performance.now() - idle0);
          }
        } else if (reason === STOP_EXCEPTION) {
          throw new Error('core stopped on an exception although stopOnException is off');
        }
        if (!outcome && this.quitRequested) outcome = finish(0, 'quit');
        if (!outcome && performance.now() >= deadline) {
          this.notice(`timeout after ${this.opts.timeoutS} s${this.unimplementedNote()}`);
          outcome = finish(STATUS_TIMEOUT, 'timeout');
        }
        if (!outcome) await yieldToEventLoop();
      }
    } finally {
      if (this.profiler) process.off('SIGUSR2', this.onProfileSignal);
      this.stopInput();
      this.accel?.close();
    }
    await this.exchange();
    await new Promise<void>((r) => this.opts.stdout.write('', () => r()));
    if (this.opts.statsFile !== undefined) {
      const cpu = process.cpuUsage(startCpu);
      this.writeStats(outcome, (performance.now() - startWall) / MS_PER_S, (cpu.user + cpu.system) / US_PER_S);
    }
    this.writeProfile(false);
    for (const d of this.opts.debugcon) {
      if (d.fd > 2) closeSync(d.fd);
    }
    for (const d of this.disks) closeSync(d.fd);
    return outcome;
  }

  /** The --profile file: the profile so far; with `restart`, a new one begins. */
  private writeProfile(restart: boolean): void {
    if (this.profiler && this.opts.profileFile !== undefined) this.profiler.write(this.opts.profileFile, this.opts.engine, restart);
  }

  private async waitForEvent(ms: number): Promise<void> {
    if (this.pendingInput.length) return;
    await Promise.race([sleep(ms), new Promise<void>((r) => (this.inputWaiter = r))]);
    this.inputWaiter = undefined;
  }

  /**
   * The --stats counters: the core's own (core-as/stats-schema.mjs, which
   * survive resets) and this runner's, in the one schema of DESIGN §9.
   */
  statistics(outcome: MachineOutcome, wallS: number, cpuS: number): StatEntry[] {
    const ips = wallS > 0 ? outcome.instructions / wallS : 0;
    const host: StatEntry[] = [
      { name: 'wall_time', unit: 'seconds', kind: 'cumulative', description: 'Real time the machine ran', value: wallS },
      {
        name: 'cpu_time',
        unit: 'seconds',
        kind: 'cumulative',
        description: 'Host CPU time (user + system) of this process while the machine ran',
        value: cpuS,
      },
      {
        name: 'instructions_per_second',
        unit: 'instructions/second',
        kind: 'instant',
        description: 'Guest instructions retired per second of wall time, averaged over the run',
        value: ips,
      },
      {
        name: 'resets',
        unit: 'events',
        kind: 'cumulative',
        description: 'Machine resets the runner performed (triple fault, reset request)',
        value: outcome.resets,
      },
      { name: 'com1_bytes_out', unit: 'bytes', kind: 'cumulative', description: 'Bytes the guest sent on COM1', value: this.comBytesOut },
      {
        name: 'com1_bytes_in',
        unit: 'bytes',
        kind: 'cumulative',
        description: 'Bytes delivered to the guest on COM1',
        value: this.comBytesIn,
      },
    ];
    return [...readStats(this.core.memory), ...host, ...(this.accel?.counters() ?? [])];
  }

  private writeStats(outcome: MachineOutcome, wallS: number, cpuS: number): void {
    const doc = {
      engine: this.opts.engine,
      accel: this.accel?.name ?? 'wasm',
      status: outcome.status,
      reason: outcome.reason,
      counters: this.statistics(outcome, wallS, cpuS),
    };
    writeFileSync(this.opts.statsFile as string, JSON.stringify(doc, null, 2) + '\n');
  }
}
