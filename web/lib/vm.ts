// The page's handle on one machine: starts its worker, moves serial bytes,
// keyboard and mouse events through the shared rings, draws the screen and
// reads the counters. Both the app (web/main.ts) and the embedding API
// (web/embed.ts) use it.

import * as Comlink from 'comlink';
import coreUrl from '../../build/core.wasm?url';
import type { MachineWorker, MachineState, WorkerStatus } from '../machine-worker.js';
import { imagesBase, shellOnSerial, type MachineConfig } from './config.js';
import { uartTxRing, uartRxRing, inputRing, type HostRing } from '../../host/rings.js';
import { readStats, type StatValue } from '../../host/stats.js';
import { renderVga, takeDirtyPages } from '../../host/vga-render.js';
import { PS2Input, KEY_CODES } from '../../host/ps2-input.js';
import * as L from '../../host/generated/cpu-layout.js';

export type { MachineState };
const COM1 = 0;
/** Serial history kept for late listeners and tests. */
const SERIAL_LOG_MAX = 256 * 1024;
const POLL_MS = 16;
/** The screen redraws at most this often; text blinking needs a redraw now and then. */
const SCREEN_MS = 66;
const BLINK_REDRAW_MS = 270;
const FRAMES_PER_S = 60;
const CHAR_BYTES = 4;

export class NoIsolationError extends Error {
  constructor() {
    super(
      'This page is not cross-origin isolated, so it cannot share memory with the machine (no SharedArrayBuffer). ' +
        'Serve it with "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" ' +
        '(npm start and vite preview do), or use the service-worker shim described in hosting.html.',
    );
    this.name = 'NoIsolationError';
  }
}

export function checkIsolation(): void {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') throw new NoIsolationError();
}

/** Characters the keyboard can type (US layout): key code name and whether Shift is needed. */
const SHIFTED = '~!@#$%^&*()_+{}|:"<>?';
const UNSHIFTED = "`1234567890-=[]\\;',./";
const PUNCT_CODES = [
  'Backquote',
  'Digit1',
  'Digit2',
  'Digit3',
  'Digit4',
  'Digit5',
  'Digit6',
  'Digit7',
  'Digit8',
  'Digit9',
  'Digit0',
  'Minus',
  'Equal',
  'BracketLeft',
  'BracketRight',
  'Backslash',
  'Semicolon',
  'Quote',
  'Comma',
  'Period',
  'Slash',
];

export function charToKey(ch: string): { code: string; shift: boolean } | undefined {
  if (/^[a-z]$/.test(ch)) return { code: `Key${ch.toUpperCase()}`, shift: false };
  if (/^[A-Z]$/.test(ch)) return { code: `Key${ch}`, shift: true };
  if (ch === ' ') return { code: 'Space', shift: false };
  if (ch === '\n' || ch === '\r') return { code: 'Enter', shift: false };
  if (ch === '\t') return { code: 'Tab', shift: false };
  let i = UNSHIFTED.indexOf(ch);
  if (i >= 0) return { code: PUNCT_CODES[i], shift: false };
  i = SHIFTED.indexOf(ch);
  if (i >= 0) return { code: PUNCT_CODES[i], shift: true };
  return undefined;
}

export interface ProgressInfo {
  stage: string;
  loaded: number;
  total: number;
  /** Bytes per second over the current download. */
  rate: number;
}

/**
 * Events: 'serial' (detail: text), 'state' (detail: {state, detail}),
 * 'progress' (detail: ProgressInfo), 'frame' (after a redraw), 'notice'
 * (detail: a message such as a failed disk save, '' once resolved).
 */
export class VmHandle extends EventTarget {
  readonly worker: Worker;
  readonly remote: Comlink.Remote<MachineWorker>;
  memory: WebAssembly.Memory | undefined;
  state: MachineState = 'loading';
  detail = '';
  serialLog = '';
  notes: string[] = [];
  /** What the person should know while it runs (a failed disk save), '' when all is well. */
  notice = '';
  /** The CPU engine the worker runs, once started. */
  engine: string | undefined;
  private vgaDisplay = L.VGA_DISPLAY;
  private tx: HostRing | undefined;
  private rx: HostRing | undefined;
  private input: PS2Input | undefined;
  private pendingSerial: Uint8Array[] = [];
  private pendingInput: (() => boolean)[] = [];
  private readonly decoder = new TextDecoder();
  private poller: ReturnType<typeof setInterval> | undefined;
  private canvas: HTMLCanvasElement | undefined;
  private lastDraw = 0;
  private lastGeneration = -1;
  private dirtySinceDraw = true;
  comBytesOut = 0;
  comBytesIn = 0;

  constructor(readonly config: MachineConfig) {
    super();
    this.worker = new Worker(new URL('../machine-worker.ts', import.meta.url), { type: 'module', name: `tabvm ${config.name}` });
    this.remote = Comlink.wrap<MachineWorker>(this.worker);
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  async start(): Promise<void> {
    checkIsolation();
    let stageStart = performance.now();
    let lastStage = '';
    const onProgress = (stage: string, loaded: number, total: number): void => {
      if (stage !== lastStage) {
        lastStage = stage;
        stageStart = performance.now();
      }
      const s = (performance.now() - stageStart) / 1000;
      this.emit('progress', { stage, loaded, total, rate: s > 0 ? loaded / s : 0 } satisfies ProgressInfo);
    };
    const onState = (state: MachineState, detail: string): void => {
      this.state = state;
      this.detail = detail;
      this.emit('state', { state, detail });
    };
    const onNotice = (message: string): void => {
      this.notice = message;
      this.emit('notice', message);
    };
    const r = await this.remote.start(
      { coreUrl, imagesUrl: imagesBase(), config: this.config },
      Comlink.proxy(onProgress),
      Comlink.proxy(onState),
      Comlink.proxy(onNotice),
    );
    this.memory = r.memory;
    this.engine = r.engine;
    this.notes = [`CPU engine: ${r.engine === 'jit' ? 'the JIT' : 'the interpreter'}.`, ...r.notes];
    if (this.config.boot === 'linux' && shellOnSerial(this.config.cmdline))
      this.notes.push('The shell runs on the serial console (COM1); the screen shows the kernel’s messages.');
    this.vgaDisplay = r.vgaDisplay;
    this.tx = uartTxRing(r.memory, COM1);
    this.rx = uartRxRing(r.memory, COM1);
    this.input = new PS2Input(inputRing(r.memory));
    this.poller = setInterval(() => this.poll(), POLL_MS);
  }

  /** Move serial bytes both ways and queued input events; redraw the screen when due. */
  private poll(): void {
    if (!this.tx || !this.rx) return;
    const out = this.tx.read();
    if (out.length) {
      this.comBytesOut += out.length;
      const text = this.decoder.decode(out, { stream: true });
      this.serialLog = (this.serialLog + text).slice(-SERIAL_LOG_MAX);
      this.emit('serial', text);
    }
    while (this.pendingSerial.length) {
      const head = this.pendingSerial[0];
      const n = this.rx.write(head);
      this.comBytesIn += n;
      if (n < head.length) {
        this.pendingSerial[0] = head.subarray(n);
        break;
      }
      this.pendingSerial.shift();
    }
    while (this.pendingInput.length && this.pendingInput[0]()) this.pendingInput.shift();
    this.drawIfDue();
  }

  /** Bytes for COM1 (a string is sent as UTF-8). */
  serialWrite(data: string | Uint8Array): void {
    this.pendingSerial.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  /** A key (DOM KeyboardEvent.code) down or up on the PS/2 keyboard. */
  key(code: string, down: boolean): boolean {
    if (KEY_CODES[code] === undefined) return false;
    this.pendingInput.push(() => this.input?.key(code, down) ?? false);
    return true;
  }

  /** Press and release a combination, e.g. ['ControlLeft', 'AltLeft', 'Delete']. */
  combo(codes: string[]): void {
    for (const c of codes) this.key(c, true);
    for (const c of [...codes].reverse()) this.key(c, false);
  }

  /** Type text on the PS/2 keyboard (US layout; other characters are skipped). */
  sendKeys(text: string): void {
    for (const ch of text) {
      const k = charToKey(ch);
      if (!k) continue;
      this.combo(k.shift ? ['ShiftLeft', k.code] : [k.code]);
    }
  }

  mouse(dx: number, dy: number, buttons: number, wheel = 0): void {
    this.pendingInput.push(() => this.input?.mouse(dx, dy, buttons, wheel) ?? false);
  }

  pause = (): Promise<void> => this.remote.pause();
  resume = (): Promise<void> => this.remote.resume();
  reset = (): Promise<void> => this.remote.reset();
  powerOff = (): Promise<void> => this.remote.powerOff();
  status = (): Promise<WorkerStatus> => this.remote.status();
  exportOverlay = (slot: string): Promise<Uint8Array | undefined> => this.remote.exportOverlay(slot);

  /** Stop the worker (the overlay is saved first). */
  async terminate(): Promise<void> {
    clearInterval(this.poller);
    try {
      await Promise.race([this.remote.saveDisks(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // the worker may already be gone
    }
    this.worker.terminate();
    this.state = 'off';
  }

  stats(): StatValue[] {
    return this.memory ? readStats(this.memory) : [];
  }

  /** Stop drawing on the canvas (another machine is shown there). */
  detachScreen(): void {
    this.canvas = undefined;
  }

  /** Draw the screen on `canvas` from now on (its size follows the mode). */
  attachScreen(canvas: HTMLCanvasElement): void {
    this.canvas = canvas;
    this.dirtySinceDraw = true;
  }

  private drawIfDue(): void {
    const canvas = this.canvas;
    const mem = this.memory;
    if (!canvas || !mem) return;
    const now = performance.now();
    if (now - this.lastDraw < SCREEN_MS) return;
    const dirty = takeDirtyPages(mem.buffer, this.vgaDisplay).some((b) => b !== 0);
    const gen = new DataView(mem.buffer).getUint32(this.vgaDisplay + L.DISPLAY_GENERATION, true);
    if (dirty || gen !== this.lastGeneration) this.dirtySinceDraw = true;
    if (!this.dirtySinceDraw && now - this.lastDraw < BLINK_REDRAW_MS) return;
    this.lastDraw = now;
    this.lastGeneration = gen;
    this.dirtySinceDraw = false;
    const img = renderVga(mem.buffer, this.vgaDisplay, { frame: Math.floor((now / 1000) * FRAMES_PER_S) });
    if (img.width === 0) {
      canvas.width = 640;
      canvas.height = 400;
      const ctx = canvas.getContext('2d');
      if (ctx) {
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, canvas.width, canvas.height);
      }
      return;
    }
    if (canvas.width !== img.width || canvas.height !== img.height) {
      canvas.width = img.width;
      canvas.height = img.height;
    }
    const ctx = canvas.getContext('2d');
    ctx?.putImageData(new ImageData(new Uint8ClampedArray(img.rgba.buffer as ArrayBuffer), img.width, img.height), 0, 0);
    this.emit('frame', null);
  }

  /** The screen as the guest shows it now, rendered from the VGA state (undefined before the start and without a mode). */
  screenImage(): ImageData | undefined {
    const mem = this.memory;
    if (!mem) return undefined;
    const img = renderVga(mem.buffer, this.vgaDisplay, { frame: Math.floor((performance.now() / 1000) * FRAMES_PER_S) });
    if (img.width === 0) return undefined;
    return new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height);
  }

  /** The characters of the text-mode screen (one string per row), or undefined in a graphics mode. */
  textScreen(): string[] | undefined {
    const mem = this.memory;
    if (!mem) return undefined;
    const dv = new DataView(mem.buffer);
    const f = (o: number): number => dv.getUint32(this.vgaDisplay + o, true);
    if (f(L.DISPLAY_KIND) !== L.DISPLAY_KIND_TEXT) return undefined;
    const vram = new Uint8Array(mem.buffer, f(L.DISPLAY_VRAM_ADDRESS), f(L.DISPLAY_VRAM_SIZE));
    const rows: string[] = [];
    for (let row = 0; row < f(L.DISPLAY_ROWS); row++) {
      let line = '';
      for (let col = 0; col < f(L.DISPLAY_COLS); col++) {
        const cell = f(L.DISPLAY_START) + row * f(L.DISPLAY_STRIDE) + col * CHAR_BYTES;
        const code = cell < vram.length ? vram[cell] : 0;
        line += code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : ' ';
      }
      rows.push(line.trimEnd());
    }
    return rows;
  }
}
