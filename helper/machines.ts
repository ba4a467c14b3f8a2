// The helper's machines: each a NodeMachine (the same core.wasm devices as
// the browser), on the Wasm engine in slices on the helper's event loop, or
// with an accelerator (KVM, kqemu) in a worker thread of its own
// (helper/machine-backend.ts); its serial output and screen go to the client
// that owns it. Limits are per client: machine count and total guest memory.

import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';

import { NodeMachine, type BootSource, type DiskImage, type StatEntry } from '../host/node-machine.js';
import { parseMultibootKernel } from '../host/multiboot.js';
import { planLinuxBoot } from '../host/linux-boot.js';
import type { VgaImage } from '../host/vga-render.js';
import { BIOS_IMAGE, VGA_BIOS_IMAGE, findPreparedImage } from './images.js';
import { ImagesFolder } from './images-folder.js';
import { kqemuUnavailableReason } from './kqemu/device.js';
import { kvmUnavailableReason } from './kvm/availability.js';
import { LocalBackend, WorkerBackend, type MachineBackend } from './machine-backend.js';
import type { WorkerMachineOptions } from './machine-worker.js';
import { ProtocolError, type CreateMachine, type EngineName, type MachineInfo, type MachineState } from './protocol.js';

const MIB = 1024 * 1024;
const SCREEN_INTERVAL_MS = 100;
/** Screen diff tiles: a changed tile is sent whole; adjacent changed tiles in a row merge into one rectangle. */
const TILE = 32;
const RGBA = 4;
const SERIAL_FLUSH_MS = 10;

export interface Limits {
  maxMachinesPerClient: number;
  maxMemMiBPerClient: number;
}

export const DEFAULT_LIMITS: Limits = { maxMachinesPerClient: 4, maxMemMiBPerClient: 2048 };

/** What a machine sends to its client (protocol events). */
export type MachineEvent =
  | { type: 'serial'; machine: number; data: string }
  | {
      type: 'screen';
      machine: number;
      width: number;
      height: number;
      rects: { x: number; y: number; w: number; h: number; data: string }[];
    }
  | { type: 'machine'; machine: MachineInfo };

export interface EngineInfo {
  name: EngineName;
  available: boolean;
  reason?: string;
}

export function listEngines(): EngineInfo[] {
  const kvm = kvmUnavailableReason();
  const kqemu = process.env.TABVM_KQEMU_DEVICE === 'substitute' ? undefined : kqemuUnavailableReason();
  return [
    { name: 'kvm', available: kvm === undefined, ...(kvm === undefined ? {} : { reason: kvm }) },
    { name: 'kqemu', available: kqemu === undefined, ...(kqemu === undefined ? {} : { reason: kqemu }) },
    { name: 'wasm', available: true },
  ];
}

class SerialSink extends Writable {
  constructor(private readonly onData: (b: Buffer) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.onData(chunk);
    cb();
  }
}

export class HelperMachine {
  state: MachineState = 'created';
  outcome: MachineInfo['outcome'];
  owner: number | undefined;
  private running: Promise<void> | undefined;
  private serialOut: Buffer[] = [];
  private serialTimer: NodeJS.Timeout | undefined;
  private screenTimer: NodeJS.Timeout | undefined;
  private lastFrame: VgaImage | undefined;
  private framing = false;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly engine: EngineName,
    readonly memMiB: number,
    readonly onDisconnect: 'pause' | 'stop',
    private readonly machine: MachineBackend,
    private readonly emit: (e: MachineEvent) => void,
    private readonly screen: boolean,
    private readonly disks: DiskImage[],
  ) {}

  info(): MachineInfo {
    return {
      id: this.id,
      name: this.name,
      engine: this.engine,
      memMiB: this.memMiB,
      state: this.state,
      ...(this.outcome ? { outcome: this.outcome } : {}),
    };
  }

  private changed(): void {
    this.emit({ type: 'machine', machine: this.info() });
  }

  serial(chunk: Buffer): void {
    this.serialOut.push(Buffer.from(chunk));
    this.serialTimer ??= setTimeout(() => {
      this.serialTimer = undefined;
      const data = Buffer.concat(this.serialOut);
      this.serialOut = [];
      if (data.length) this.emit({ type: 'serial', machine: this.id, data: data.toString('base64') });
    }, SERIAL_FLUSH_MS);
  }

  start(): void {
    if (this.state !== 'created')
      throw new ProtocolError('bad-state', `machine ${this.id} is ${this.state}; only a created machine starts`);
    this.state = 'running';
    this.changed();
    if (this.screen) this.screenTimer = setInterval(() => void this.pushScreen(), SCREEN_INTERVAL_MS);
    this.running = this.machine.run().then(
      (o) => this.finished({ reason: o.reason, status: o.status }),
      (err: unknown) => this.finished({ reason: 'error', status: -1, message: err instanceof Error ? err.message : String(err) }),
    );
    this.running = this.running.then(() => this.machine.dispose());
  }

  private finished(outcome: NonNullable<MachineInfo['outcome']>): void {
    this.state = 'stopped';
    this.outcome = outcome;
    if (this.screenTimer) clearInterval(this.screenTimer);
    this.screenTimer = undefined;
    if (this.serialTimer) {
      clearTimeout(this.serialTimer);
      this.serialTimer = undefined;
      const data = Buffer.concat(this.serialOut);
      this.serialOut = [];
      if (data.length) this.emit({ type: 'serial', machine: this.id, data: data.toString('base64') });
    }
    this.changed();
  }

  pause(): void {
    if (this.state !== 'running')
      throw new ProtocolError('bad-state', `machine ${this.id} is ${this.state}; only a running machine pauses`);
    this.machine.setPaused(true);
    this.state = 'paused';
    this.changed();
  }

  resume(): void {
    if (this.state !== 'paused') throw new ProtocolError('bad-state', `machine ${this.id} is ${this.state}; only a paused machine resumes`);
    this.machine.setPaused(false);
    this.state = 'running';
    this.changed();
  }

  reset(): void {
    if (this.state !== 'running' && this.state !== 'paused')
      throw new ProtocolError('bad-state', `machine ${this.id} is ${this.state}; start it first`);
    this.machine.requestReset();
  }

  /** Stops the machine (if it runs) and releases what it holds; resolves when its loop has ended. */
  async stop(): Promise<void> {
    if (this.state === 'created') {
      this.releaseUnstarted();
      this.finished({ reason: 'quit', status: 0 });
      await this.machine.dispose();
      return;
    }
    if (this.state === 'stopped') return;
    this.machine.requestQuit();
    await this.running;
  }

  /** A machine that never ran still holds its disk fds (run() closes them at its end). */
  private releaseUnstarted(): void {
    for (const d of this.disks) {
      try {
        closeSync(d.fd);
      } catch {
        // already closed
      }
    }
  }

  sendSerial(bytes: Uint8Array): void {
    this.machine.sendSerial(bytes);
  }

  key(code: string, down: boolean): boolean {
    return this.machine.key(code, down);
  }

  mouse(dx: number, dy: number, buttons: number, wheel: number): boolean {
    return this.machine.mouse(dx, dy, buttons, wheel);
  }

  stats(): Promise<StatEntry[]> {
    return this.machine.stats();
  }

  /** Dirty rectangles since the last frame: TILE×TILE tiles that changed, merged along rows, deflated RGBA. */
  async pushScreen(): Promise<void> {
    // One frame at a time: a slow worker must not pile up requests.
    if (this.framing || this.state !== 'running') return;
    this.framing = true;
    let img: VgaImage;
    try {
      img = await this.machine.frame();
    } finally {
      this.framing = false;
    }
    const prev = this.lastFrame;
    this.lastFrame = img;
    const full = !prev || prev.width !== img.width || prev.height !== img.height;
    const rects: { x: number; y: number; w: number; h: number; data: string }[] = [];
    for (let ty = 0; ty < img.height; ty += TILE) {
      const h = Math.min(TILE, img.height - ty);
      let runStart = -1;
      const flush = (end: number): void => {
        if (runStart < 0) return;
        rects.push(rectOf(img, runStart, ty, end - runStart, h));
        runStart = -1;
      };
      for (let tx = 0; tx < img.width; tx += TILE) {
        const w = Math.min(TILE, img.width - tx);
        const dirty = full || tileDiffers(prev!, img, tx, ty, w, h);
        if (dirty && runStart < 0) runStart = tx;
        if (!dirty) flush(tx);
      }
      flush(img.width);
    }
    // A new size is news even with nothing to draw (a 0×0 screen: no display mode set yet).
    if (rects.length || full) this.emit({ type: 'screen', machine: this.id, width: img.width, height: img.height, rects });
  }
}

function tileDiffers(a: VgaImage, b: VgaImage, x: number, y: number, w: number, h: number): boolean {
  for (let row = y; row < y + h; row++) {
    const off = (row * a.width + x) * RGBA;
    for (let i = 0; i < w * RGBA; i++) if (a.rgba[off + i] !== b.rgba[off + i]) return true;
  }
  return false;
}

function rectOf(img: VgaImage, x: number, y: number, w: number, h: number): { x: number; y: number; w: number; h: number; data: string } {
  const out = new Uint8Array(w * h * RGBA);
  for (let row = 0; row < h; row++) {
    const src = ((y + row) * img.width + x) * RGBA;
    out.set(img.rgba.subarray(src, src + w * RGBA), row * w * RGBA);
  }
  return { x, y, w, h, data: deflateRawSync(out).toString('base64') };
}

/** Reads an image file the folder vouches for (`what` names it in errors). */
function readImage(folder: ImagesFolder, name: string): { path: string; data: Uint8Array } {
  const path = folder.resolve(name);
  return { path, data: new Uint8Array(readFileSync(path)) };
}

/** What a create-machine request boots, checked before any memory is allocated. */
function bootSource(folder: ImagesFolder, req: CreateMachine): { boot: BootSource; disks: DiskImage[] } {
  const b = req.boot;
  const bad = (err: unknown): never => {
    throw new ProtocolError('bad-image', `image "${b.image}": ${err instanceof Error ? err.message : String(err)}`);
  };
  if (b.kind === 'multiboot') {
    const k = readImage(folder, b.image);
    try {
      parseMultibootKernel(k.data);
    } catch (err) {
      bad(err);
    }
    return { boot: { kind: 'multiboot', kernel: { name: b.image, data: k.data, append: b.append } }, disks: [] };
  }
  if (b.kind === 'linux') {
    const kernel = readImage(folder, b.image).data;
    const initrd = b.initrd === undefined ? undefined : readImage(folder, b.initrd).data;
    const linux = { kernel, initrd, cmdline: b.append };
    try {
      planLinuxBoot(linux, req.memMiB * MIB);
    } catch (err) {
      bad(err);
    }
    return { boot: { kind: 'linux', linux }, disks: [] };
  }
  // A disk: SeaBIOS boots it; the guest sees it read-only (the helper never changes an image).
  const path = folder.resolve(b.image);
  const bios = findPreparedImage(BIOS_IMAGE);
  const vga = findPreparedImage(VGA_BIOS_IMAGE);
  if (!bios.ok || !vga.ok)
    throw new ProtocolError('bad-image', `disk boot needs the prepared SeaBIOS: ${bios.ok ? (vga.ok ? '' : vga.why) : bios.why}`);
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const order = ({ hda: 'c', cdrom: 'd', fda: 'a' } as const)[b.kind];
  return {
    boot: { kind: 'firmware', firmware: { bios: bios.data, vgaBios: vga.data }, bootOrder: order },
    disks: [{ kind: b.kind, path, fd, size, readOnly: true }],
  };
}

/** Refuses an engine this host cannot run (with the reason) or that cannot boot this image. */
function checkEngine(engine: EngineName, boot: BootSource): void {
  if (engine === 'wasm') return;
  if (engine === 'kqemu') {
    if (process.env.TABVM_KQEMU_DEVICE === 'substitute') return;
    const why = kqemuUnavailableReason();
    if (why !== undefined) throw new ProtocolError('engine-unavailable', `kqemu is unavailable: ${why}`);
    return;
  }
  const why = kvmUnavailableReason();
  if (why !== undefined) throw new ProtocolError('engine-unavailable', `kvm is unavailable: ${why}`);
  if (boot.kind === 'firmware') {
    throw new ProtocolError(
      'engine-unavailable',
      'kvm boots multiboot and linux images only (firmware boot under KVM is not implemented yet)',
    );
  }
}

export class MachineManager {
  private nextId = 1;
  readonly machines = new Map<number, HelperMachine>();

  constructor(
    readonly folder: ImagesFolder,
    readonly limits: Limits,
    private readonly send: (client: number, e: MachineEvent) => void,
  ) {}

  /** Machines a client owns, and their memory. */
  usage(client: number): { machines: number; memMiB: number } {
    let machines = 0;
    let memMiB = 0;
    for (const m of this.machines.values()) {
      if (m.owner === client) {
        machines++;
        memMiB += m.memMiB;
      }
    }
    return { machines, memMiB };
  }

  async create(client: number, req: CreateMachine): Promise<HelperMachine> {
    const u = this.usage(client);
    if (u.machines + 1 > this.limits.maxMachinesPerClient) {
      throw new ProtocolError('limit', `at most ${this.limits.maxMachinesPerClient} machines per client; delete one first`);
    }
    if (u.memMiB + req.memMiB > this.limits.maxMemMiBPerClient) {
      throw new ProtocolError('limit', `at most ${this.limits.maxMemMiBPerClient} MiB of guest memory per client (${u.memMiB} MiB in use)`);
    }
    const { boot, disks } = bootSource(this.folder, req);
    const id = this.nextId++;
    // The machine's callbacks exist before the HelperMachine does (NodeMachine.create comes first).
    const ref: { m?: HelperMachine } = {};
    const emit = (e: MachineEvent): void => {
      if (ref.m?.owner !== undefined) this.send(ref.m.owner, e);
    };
    const options: WorkerMachineOptions = {
      boot,
      disks,
      clock: 'realtime',
      memMiB: req.memMiB,
      engine: 'interp',
      noReboot: false,
      debugcon: [],
    };
    const onSerial = (b: Buffer): void => ref.m?.serial(b);
    const onLog = (text: string): void => void process.stderr.write(`tabvm helper: machine ${id}: ${text}`);
    let machine: MachineBackend;
    try {
      checkEngine(req.engine, boot);
      machine =
        req.engine === 'wasm'
          ? new LocalBackend(
              await NodeMachine.create({
                ...options,
                stdout: new SerialSink(onSerial),
                stderr: new SerialSink((b) => onLog(b.toString())),
              }),
            )
          : await WorkerBackend.create(options, req.engine, onSerial, onLog);
    } catch (err) {
      for (const d of disks) closeSync(d.fd);
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError('bad-image', `machine not created: ${err instanceof Error ? err.message : String(err)}`);
    }
    const helperMachine = new HelperMachine(
      id,
      req.name ?? `machine-${id}`,
      req.engine,
      req.memMiB,
      req.onDisconnect ?? 'pause',
      machine,
      emit,
      req.screen ?? true,
      disks,
    );
    helperMachine.owner = client;
    ref.m = helperMachine;
    this.machines.set(id, helperMachine);
    return helperMachine;
  }

  /** A machine the client may act on: its own, or one whose owner disconnected (paused machines are adoptable). */
  get(client: number, id: number): HelperMachine {
    const m = this.machines.get(id);
    if (!m || (m.owner !== undefined && m.owner !== client)) throw new ProtocolError('no-such-machine', `no machine ${id}`);
    if (m.owner === undefined) m.owner = client;
    return m;
  }

  list(client: number): MachineInfo[] {
    return [...this.machines.values()].filter((m) => m.owner === client || m.owner === undefined).map((m) => m.info());
  }

  async delete(client: number, id: number): Promise<void> {
    const m = this.get(client, id);
    await m.stop();
    this.machines.delete(id);
  }

  /** A client went away: each of its machines is paused (kept, adoptable) or stopped and deleted, as it was created. */
  async clientGone(client: number): Promise<void> {
    const work: Promise<void>[] = [];
    for (const m of this.machines.values()) {
      if (m.owner !== client) continue;
      m.owner = undefined;
      if (m.onDisconnect === 'stop' || m.state === 'created' || m.state === 'stopped') {
        work.push(m.stop().then(() => void this.machines.delete(m.id)));
      } else if (m.state === 'running') m.pause();
    }
    await Promise.all(work);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => m.stop()));
    this.machines.clear();
  }
}
