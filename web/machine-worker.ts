// The machine's thread: core.wasm runs here in slices, so the page stays
// responsive. The page controls it through comlink (start, pause, reset...);
// serial bytes, keyboard/mouse events, the screen and the counters go through
// the shared memory (rings, the VGA descriptor, the statistics block), which
// the page reads and writes directly.

import * as Comlink from 'comlink';
import { createCore, type Core, type Engine } from '../host/core.js';
import { readStat } from '../host/stats.js';
import { serviceBlockRequests, blockHost, CowOverlay, type BlockDevice, type DriveSpec } from '../host/block-device.js';
import {
  bootMachine,
  setupMachine,
  setFloppyCmos,
  unimplementedNote,
  DRIVE_OF_DISK,
  EFLAGS_IF,
  STOP_EXIT,
  STOP_HALT,
  STOP_IDLE,
  STOP_LIMIT,
  STOP_POWEROFF,
  STOP_RESET,
  type BootSource,
} from '../host/machine-setup.js';
import { DEFAULT_ENGINE, getFile, type MachineConfig } from './lib/config.js';
import { findVgaFont, setVgaTextMode } from '../host/vga-text-mode.js';
import {
  BlankDevice,
  BlobDevice,
  HttpRangeDevice,
  PersistentOverlay,
  OVERLAY_BLOCK,
  encodeOverlay,
  fetchWithProgress,
} from './lib/disks.js';

/** Slice sizing, as host/node-machine.ts: slices of about SLICE_TARGET_MS keep pause and input responsive. */
const SLICE_INITIAL = 1_000_000;
const SLICE_MIN = 100_000;
const SLICE_MAX = 8_000_000;
const SLICE_TARGET_MS = 20;
/** A halted CPU with interrupts enabled waits at most this long before the next timer check. */
const IDLE_WAIT_MS = 10;
const NS_PER_MS = 1e6;
const MS_PER_S = 1000;

export type MachineState = 'loading' | 'running' | 'paused' | 'off' | 'error';

export interface StartRequest {
  coreUrl: string;
  /** Where the prepared images are (SeaBIOS, the VGA BIOS with the font). */
  imagesUrl: string;
  config: MachineConfig;
}

export interface StartResult {
  /** The CPU engine the core runs (host/core.ts). */
  engine: Engine;
  memory: WebAssembly.Memory;
  vgaDisplay: number;
  vramBase: number;
  notes: string[];
}

export interface WorkerStatus {
  state: MachineState;
  detail: string;
  instructions: number;
  wallS: number;
  resets: number;
  diskBytesFetched: number;
  overlayBlocks: number;
  idle: boolean;
  /** The last disk error the guest saw as an I/O error, if any. */
  diskError: string | undefined;
}

export type ProgressCallback = (stage: string, loaded: number, total: number) => void;
export type StateCallback = (state: MachineState, detail: string) => void;
/** Something the person should know while the machine runs (a disk save failed: why; '' when it works again). */
export type NoticeCallback = (message: string) => void;

/** A zero-delay task: MessageChannel callbacks are not clamped like nested setTimeout(0). */
const channel = new MessageChannel();
const queue: (() => void)[] = [];
channel.port1.onmessage = () => queue.shift()?.();
const soon = (f: () => void): void => {
  queue.push(f);
  channel.port2.postMessage(0);
};

/** Archives back to back, each starting on a 4-byte boundary (zero padding, as the kernel's unpacker skips it). */
function concatAligned(parts: Uint8Array[]): Uint8Array {
  const ALIGN = 4;
  const size = parts.reduce((n, p) => Math.ceil(n / ALIGN) * ALIGN + p.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    at = Math.ceil(at / ALIGN) * ALIGN;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

class MachineWorker {
  private core: Core | undefined;
  private boot: BootSource | undefined;
  private running = false;
  private state: MachineState = 'loading';
  private detail = '';
  private slice = SLICE_INITIAL;
  private resets = 0;
  private runMs = 0;
  private overlays = new Map<string, PersistentOverlay>();
  private remote: HttpRangeDevice[] = [];
  private onState: StateCallback | undefined;
  private loopScheduled = false;
  private font: Uint8Array | undefined;
  /** The CPU waits for an interrupt (HLT with interrupts enabled). */
  private idle = false;

  async start(req: StartRequest, onProgress: ProgressCallback, onState: StateCallback, onNotice?: NoticeCallback): Promise<StartResult> {
    this.onState = onState;
    const { config } = req;
    const notes: string[] = [];
    try {
      onProgress('compiling the core', 0, 0);
      const module = await WebAssembly.compileStreaming(fetch(req.coreUrl));
      let boot: BootSource;
      if (config.boot === 'linux') {
        const kernel = await fetchWithProgress(config.kernelUrl, 'the kernel', (l, t) => onProgress('loading the kernel', l, t));
        // Several initrd URLs (space-separated) are concatenated: Linux unpacks each archive in turn.
        const parts: Uint8Array[] = [];
        for (const url of config.initrdUrl.split(/\s+/).filter(Boolean)) {
          parts.push(await fetchWithProgress(url, 'the initrd', (l, t) => onProgress('loading the initrd', l, t)));
        }
        const initrd = parts.length ? concatAligned(parts) : undefined;
        boot = { kind: 'linux', linux: { kernel, initrd, cmdline: config.cmdline } };
        // Without firmware nobody sets up the text screen: the host does, with the VGA BIOS's font.
        try {
          this.font = findVgaFont(await fetchWithProgress(new URL('vgabios-stdvga.bin', req.imagesUrl).href, 'the VGA BIOS'));
        } catch {
          notes.push('The VGA BIOS (for the screen font) could not be loaded: the screen stays blank until the guest sets a mode.');
        }
      } else {
        const base = req.imagesUrl;
        const bios = await fetchWithProgress(new URL('bios.bin', base).href, 'SeaBIOS', (l, t) => onProgress('loading SeaBIOS', l, t));
        const vgaBios = await fetchWithProgress(new URL('vgabios-stdvga.bin', base).href, 'the VGA BIOS', (l, t) =>
          onProgress('loading the VGA BIOS', l, t),
        );
        boot = { kind: 'firmware', firmware: { bios, vgaBios }, bootOrder: config.bootOrder };
      }
      onProgress('opening the disks', 0, 0);
      const drives: { spec: DriveSpec; device: BlockDevice }[] = [];
      for (const d of config.disks) {
        let base: BlockDevice;
        if (d.source.type === 'url') {
          const dev = await HttpRangeDevice.open(d.source.url);
          this.remote.push(dev);
          base = dev;
        } else if (d.source.type === 'file') {
          const blob = await getFile(d.source.key);
          if (!blob) throw new Error(`the file ${d.source.name} is no longer in browser storage: edit the machine and pick it again`);
          base = new BlobDevice(blob);
        } else base = new BlankDevice(d.source.size);
        // CD-ROMs are read-only media; hard disks and floppies write to the persistent overlay.
        let device: BlockDevice = base;
        if (d.slot !== 'cdrom' && config.persistDisks === false) device = new CowOverlay(base, OVERLAY_BLOCK);
        else if (d.slot !== 'cdrom') {
          const overlay = await PersistentOverlay.open(base, `${config.id}/${d.slot}`);
          overlay.onError = (m) => onNotice?.(m ? `${d.slot}: ${m}` : '');
          this.overlays.set(d.slot, overlay);
          device = overlay;
        }
        drives.push({ spec: DRIVE_OF_DISK[d.slot], device });
      }
      onProgress('starting the machine', 0, 0);
      // The engine the settings name; older settings without one get the CLI's default, the JIT.
      const core = await createCore({ memoryMiB: config.memoryMiB, module, engine: config.engine ?? DEFAULT_ENGINE });
      setupMachine(core, { boot, clock: 'realtime', drives });
      for (const d of drives) if (d.spec.bus === 'floppy') setFloppyCmos(core, d.spec.unit, d.device.size);
      this.core = core;
      this.boot = boot;
      this.powerOn();
      this.resume();
      return {
        engine: core.engine,
        memory: core.memory,
        vgaDisplay: core.exports.getVgaDisplay(),
        vramBase: core.exports.getVramBase(),
        notes,
      };
    } catch (e) {
      this.setState('error', (e as Error).message);
      throw e;
    }
  }

  /** Power-on state and the boot path (again after every reset). */
  private powerOn(): void {
    const core = this.core as Core;
    bootMachine(core, this.boot as BootSource);
    if (this.boot?.kind === 'linux' && this.font) setVgaTextMode(core, this.font);
  }

  private setState(state: MachineState, detail = ''): void {
    const changed = state !== this.state || detail !== this.detail;
    this.state = state;
    this.detail = detail;
    if (changed) this.onState?.(state, detail);
  }

  resume(): void {
    if (!this.core || this.running || this.state === 'off' || this.state === 'error') return;
    this.running = true;
    this.core.exports.clockPause(0);
    this.setState('running');
    this.schedule(0);
  }

  pause(): void {
    if (!this.core || !this.running) return;
    this.running = false;
    // Guest time stops with the CPU, so timers do not pile up while paused.
    this.core.exports.clockPause(1);
    this.setState('paused');
  }

  /** The reset button: the whole machine to power-on state and the boot path again. */
  reset(): void {
    if (!this.core || !this.boot) return;
    this.powerOn();
    this.resets++;
    if (this.state === 'off') this.setState('paused');
    if (!this.running) this.resume();
  }

  async powerOff(): Promise<void> {
    this.running = false;
    this.setState('off', 'powered off');
    await this.saveDisks();
  }

  async saveDisks(): Promise<void> {
    await Promise.all([...this.overlays.values()].map((o) => o.save()));
  }

  /** The overlay of one disk in the export format (web/lib/disks.ts), or undefined without one. */
  async exportOverlay(slot: string): Promise<Uint8Array | undefined> {
    const o = this.overlays.get(slot);
    if (!o) return undefined;
    await o.save();
    return encodeOverlay(o.exportBlocks());
  }

  status(): WorkerStatus {
    const core = this.core;
    return {
      state: this.state,
      detail: this.detail,
      instructions: core ? readStat(core.memory, 'instructions') : 0,
      wallS: this.runMs / MS_PER_S,
      resets: this.resets,
      diskBytesFetched: this.remote.reduce((n, d) => n + d.bytesFetched, 0),
      overlayBlocks: [...this.overlays.values()].reduce((n, o) => n + o.changedBlocks, 0),
      idle: this.idle,
      diskError: core ? blockHost(core).lastError : undefined,
    };
  }

  private schedule(delayMs: number): void {
    if (this.loopScheduled) return;
    this.loopScheduled = true;
    const run = (): void => {
      this.loopScheduled = false;
      this.loop();
    };
    if (delayMs > 0) setTimeout(run, delayMs);
    else soon(run);
  }

  private loop(): void {
    const core = this.core;
    if (!core || !this.running) return;
    core.exports.serviceDevices();
    const t0 = performance.now();
    const reason = core.exports.run(this.slice);
    const elapsed = performance.now() - t0;
    this.runMs += elapsed;
    if (reason === STOP_LIMIT) {
      if (elapsed > SLICE_TARGET_MS * 2) this.slice = Math.max(SLICE_MIN, this.slice >> 1);
      else if (elapsed < SLICE_TARGET_MS / 2) this.slice = Math.min(SLICE_MAX, this.slice * 2);
    }
    serviceBlockRequests(core);
    core.exports.serviceDevices();
    let delay = 0;
    if (reason === STOP_EXIT) {
      this.running = false;
      this.setState('off', `the guest exited with code ${core.exports.getExitCode() >>> 0}`);
      void this.saveDisks();
      return;
    } else if (reason === STOP_POWEROFF) {
      this.running = false;
      this.setState('off', 'the guest powered off');
      void this.saveDisks();
      return;
    } else if (reason === STOP_RESET) {
      this.resets++;
      this.powerOn();
    } else if (reason === STOP_IDLE || reason === STOP_HALT) {
      if ((core.getReg('eflags') & EFLAGS_IF) === 0 && !blockHost(core).busy) {
        this.running = false;
        this.setState('off', `the guest halted with interrupts disabled${unimplementedNote(core)}`);
        void this.saveDisks();
        return;
      }
      this.idle = true;
      const idleNs = core.exports.getIdleNs() >>> 0;
      delay = Math.max(1, Math.min(IDLE_WAIT_MS, idleNs / NS_PER_MS));
    } else this.idle = false;
    this.schedule(delay);
  }
}

Comlink.expose(new MachineWorker());
export type { MachineWorker };
