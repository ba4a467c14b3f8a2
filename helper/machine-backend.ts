// Where a helper machine runs: on the helper's own thread (the Wasm engine:
// its run loop yields between slices), or in a worker_threads worker (KVM and
// kqemu: KVM_RUN / KQEMU_EXEC block their thread, so each accelerated machine
// gets one, as DESIGN §8 asks). Both look the same to helper/machines.ts.

import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { NodeMachine, type MachineOutcome, type NodeMachineOptions, type StatEntry } from '../host/node-machine.js';
import { KEY_CODES, PS2Input } from '../host/ps2-input.js';
import { inputRing } from '../host/rings.js';
import { renderVga, type VgaImage } from '../host/vga-render.js';
import type { WorkerMachineOptions } from './machine-worker.js';

export interface MachineBackend {
  run(): Promise<MachineOutcome>;
  setPaused(paused: boolean): void;
  requestQuit(): void;
  requestReset(): void;
  sendSerial(bytes: Uint8Array): void;
  /** False for an unknown key code or a full input queue. */
  key(code: string, down: boolean): boolean;
  mouse(dx: number, dy: number, buttons: number, wheel: number): boolean;
  frame(): Promise<VgaImage>;
  stats(): Promise<StatEntry[]>;
  dispose(): Promise<void>;
}

/** The compiled worker next to this file (dist/helper/), or dist's when this file runs from source (tests). */
function machineWorkerUrl(): URL {
  const here = new URL('./machine-worker.js', import.meta.url);
  return existsSync(fileURLToPath(here)) ? here : new URL('../dist/helper/machine-worker.js', import.meta.url);
}

const NO_OUTCOME = { status: 0, reason: 'quit' as const, instructions: 0, resets: 0 };

/** A NodeMachine on this thread. */
export class LocalBackend implements MachineBackend {
  private readonly input: PS2Input;
  constructor(private readonly machine: NodeMachine) {
    this.input = new PS2Input(inputRing(machine.wasmCore.memory));
  }
  run(): Promise<MachineOutcome> {
    return this.machine.run();
  }
  setPaused(paused: boolean): void {
    this.machine.setPaused(paused);
  }
  requestQuit(): void {
    this.machine.requestQuit();
  }
  requestReset(): void {
    this.machine.requestReset();
  }
  sendSerial(bytes: Uint8Array): void {
    this.machine.sendSerial(bytes);
  }
  key(code: string, down: boolean): boolean {
    const ok = this.input.key(code, down);
    this.machine.wasmCore.exports.serviceDevices();
    return ok;
  }
  mouse(dx: number, dy: number, buttons: number, wheel: number): boolean {
    const ok = this.input.mouse(dx, dy, buttons, wheel);
    this.machine.wasmCore.exports.serviceDevices();
    return ok;
  }
  async frame(): Promise<VgaImage> {
    const core = this.machine.wasmCore;
    return renderVga(core.memory.buffer, core.exports.getVgaDisplay());
  }
  async stats(): Promise<StatEntry[]> {
    return this.machine.statistics(NO_OUTCOME, 0, 0);
  }
  async dispose(): Promise<void> {}
}

/** Messages between WorkerBackend and helper/machine-worker.ts (helper mode). */
export type ToWorker =
  | { t: 'start' }
  | { t: 'pause'; paused: boolean }
  | { t: 'quit' }
  | { t: 'reset' }
  | { t: 'serial'; bytes: Uint8Array }
  | { t: 'key'; code: string; down: boolean }
  | { t: 'mouse'; dx: number; dy: number; buttons: number; wheel: number }
  | { t: 'frame'; seq: number }
  | { t: 'stats'; seq: number };

export type FromWorker =
  | { t: 'created' }
  | { t: 'create-error'; message: string }
  | { t: 'serial'; bytes: Uint8Array }
  | { t: 'log'; text: string }
  | { t: 'outcome'; outcome: MachineOutcome }
  | { t: 'run-error'; message: string }
  | { t: 'frame'; seq: number; image: VgaImage }
  | { t: 'stats'; seq: number; counters: StatEntry[] };

/** A NodeMachine in its own worker thread; the worker answers frame and stats requests between slices. */
export class WorkerBackend implements MachineBackend {
  private seq = 0;
  private readonly replies = new Map<number, (m: FromWorker) => void>();
  private outcome: Promise<MachineOutcome>;
  private settle!: { resolve: (o: MachineOutcome) => void; reject: (e: Error) => void };

  private constructor(
    private readonly worker: Worker,
    onSerial: (bytes: Buffer) => void,
    onLog: (text: string) => void,
  ) {
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.outcome.catch(() => {});
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'serial') onSerial(Buffer.from(m.bytes));
      else if (m.t === 'log') onLog(m.text);
      else if (m.t === 'outcome') this.settle.resolve(m.outcome);
      else if (m.t === 'run-error') this.settle.reject(new Error(m.message));
      else if (m.t === 'frame' || m.t === 'stats') {
        this.replies.get(m.seq)?.(m);
        this.replies.delete(m.seq);
      }
    });
    worker.on('error', (err) => this.settle.reject(err));
    worker.on('exit', () => {
      this.settle.reject(new Error('the machine worker exited'));
      for (const r of this.replies.values()) r({ t: 'stats', seq: -1, counters: [] });
      this.replies.clear();
    });
  }

  /** Starts the worker and creates the machine there; rejects with the reason when it cannot. */
  static async create(
    options: WorkerMachineOptions,
    accel: 'kvm' | 'kqemu',
    onSerial: (bytes: Buffer) => void,
    onLog: (text: string) => void,
  ): Promise<WorkerBackend> {
    const worker = new Worker(machineWorkerUrl(), { workerData: { options, accel, helper: true } });
    const backend = new WorkerBackend(worker, onSerial, onLog);
    const first = await new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.t !== 'created') {
      await worker.terminate();
      throw new Error(first.t === 'create-error' ? first.message : 'the machine worker did not start');
    }
    return backend;
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  run(): Promise<MachineOutcome> {
    this.post({ t: 'start' });
    return this.outcome;
  }
  setPaused(paused: boolean): void {
    this.post({ t: 'pause', paused });
  }
  requestQuit(): void {
    this.post({ t: 'quit' });
  }
  requestReset(): void {
    this.post({ t: 'reset' });
  }
  sendSerial(bytes: Uint8Array): void {
    this.post({ t: 'serial', bytes });
  }
  key(code: string, down: boolean): boolean {
    if (KEY_CODES[code] === undefined) return false;
    this.post({ t: 'key', code, down });
    return true;
  }
  mouse(dx: number, dy: number, buttons: number, wheel: number): boolean {
    this.post({ t: 'mouse', dx, dy, buttons, wheel });
    return true;
  }
  private ask<T extends FromWorker>(m: { t: 'frame' | 'stats' }): Promise<T> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.replies.set(seq, (r) => resolve(r as T));
      this.post({ ...m, seq });
    });
  }
  async frame(): Promise<VgaImage> {
    const r = await this.ask<Extract<FromWorker, { t: 'frame' }> | Extract<FromWorker, { t: 'stats' }>>({ t: 'frame' });
    return r.t === 'frame' ? r.image : { width: 0, height: 0, rgba: new Uint8Array(0), generation: 0 };
  }
  async stats(): Promise<StatEntry[]> {
    const r = await this.ask<Extract<FromWorker, { t: 'stats' }>>({ t: 'stats' });
    return r.counters;
  }
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The worker side of WorkerBackend (helper/machine-worker.ts calls it in helper mode). */
export async function serveMachineInWorker(
  port: import('node:worker_threads').MessagePort,
  options: WorkerMachineOptions,
  accelerator: NodeMachineOptions['accelerator'],
): Promise<void> {
  const post = (m: FromWorker): void => port.postMessage(m);
  let machine: NodeMachine;
  try {
    machine = await NodeMachine.create({
      ...options,
      stdout: new Writable({
        write(chunk: Buffer, _enc, cb) {
          post({ t: 'serial', bytes: new Uint8Array(chunk) });
          cb();
        },
      }),
      stderr: new Writable({
        write(chunk: Buffer, _enc, cb) {
          post({ t: 'log', text: chunk.toString() });
          cb();
        },
      }),
      accelerator,
    });
  } catch (err) {
    post({ t: 'create-error', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  const local = new LocalBackend(machine);
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'start':
        local.run().then(
          (outcome) => post({ t: 'outcome', outcome }),
          (err: unknown) => post({ t: 'run-error', message: err instanceof Error ? err.message : String(err) }),
        );
        break;
      case 'pause':
        local.setPaused(m.paused);
        break;
      case 'quit':
        local.requestQuit();
        break;
      case 'reset':
        local.requestReset();
        break;
      case 'serial':
        local.sendSerial(m.bytes);
        break;
      case 'key':
        local.key(m.code, m.down);
        break;
      case 'mouse':
        local.mouse(m.dx, m.dy, m.buttons, m.wheel);
        break;
      case 'frame':
        void local.frame().then((image) => post({ t: 'frame', seq: m.seq, image }));
        break;
      case 'stats':
        void local.stats().then((counters) => post({ t: 'stats', seq: m.seq, counters }));
        break;
    }
  });
  post({ t: 'created' });
}
