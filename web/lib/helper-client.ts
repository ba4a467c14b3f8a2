// The "local helper" connection (issue 7, browser side): a WebSocket to
// `tabvm helper` (protocol: helper/PROTOCOL.md), the helper's engines, images
// and machines, and a RemoteVm per machine that keeps its serial log, draws
// its screen from the deflated dirty rectangles the helper pushes, and asks
// for its counters, so the app shows it as it shows a machine in the tab.

import type { StatValue } from '../../host/stats.js';
import { slotFor } from './config.js';
import { thumbnailDataUrl } from './thumbnail.js';

export const PROTOCOL_VERSION = 1;
export type EngineName = 'wasm' | 'kvm' | 'kqemu';
export type BootKind = 'multiboot' | 'linux' | 'hda' | 'cdrom' | 'fda';
export type RemoteState = 'created' | 'running' | 'paused' | 'stopped';

export interface EngineInfo {
  name: EngineName;
  available: boolean;
  reason?: string;
}
export interface ImageInfo {
  name: string;
  bytes: number;
}
export interface MachineInfo {
  id: number;
  name: string;
  engine: EngineName;
  memMiB: number;
  state: RemoteState;
  outcome?: { reason: string; status: number; message?: string };
}
export interface CreateOptions {
  name?: string;
  engine: EngineName;
  memMiB: number;
  boot: { kind: BootKind; image: string; initrd?: string; append?: string };
}

type Msg = Record<string, unknown> & { type: string };
const CONNECT_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 30_000;
const SERIAL_LOG_MAX = 256 * 1024;
const BYTES_PER_PIXEL = 4;
/** The protocol's limits on one mouse report (PROTOCOL.md). */
const MAX_MOUSE_DELTA = 1024;
const MAX_WHEEL = 8;
const MOUSE_MS = 16;

/** A helper error reply, with the protocol's code. */
export class HelperError extends Error {
  override name = 'HelperError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks what the user pasted; returns the ws:// URL or throws an error that says what is wrong. */
export function parseHelperUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`"${text.trim()}" is not a URL: paste the line "ws://127.0.0.1:PORT/?token=…" that tabvm helper printed.`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new Error(`The helper's URL starts with ws:// (this one starts with ${url.protocol}//): paste the URL tabvm helper printed.`);
  if (!url.searchParams.get('token'))
    throw new Error('The URL has no token: paste the whole URL tabvm helper printed, including "?token=…".');
  return url.href;
}

/** The boot kind an image's name and size suggest. */
export function guessBootKind(name: string, bytes: number): BootKind {
  if (/\.(elf|mb)$/i.test(name) || /multiboot/i.test(name)) return 'multiboot';
  if (/vmlinu[xz]|bzimage|kernel/i.test(name)) return 'linux';
  // A disk image: the drive this tab's machines would put it in.
  return slotFor(name, bytes);
}

/** What the helper's plain HTTP answer says (helper/server.ts), or undefined when nothing answered as a helper. */
export interface HelperProbe {
  originAllowed: boolean;
}

/** Asks the helper's plain HTTP side whether it is there and allows this page's origin. */
export async function probeHelper(url: string): Promise<HelperProbe | undefined> {
  const http = new URL(url);
  http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
  http.search = '';
  try {
    const r = await fetch(http.href, { cache: 'no-store', signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
    const body = (await r.json()) as { tabvm?: string; originAllowed?: boolean };
    if (body.tabvm !== 'helper') return undefined;
    return { originAllowed: body.originAllowed === true };
  } catch {
    return undefined;
  }
}

/** Why a WebSocket to the helper closed before it said hello, in words a person can act on. */
export function explainConnectFailure(url: string, origin: string, probe: HelperProbe | undefined): string {
  const host = new URL(url).host;
  if (!probe)
    return (
      `Could not connect to the helper at ${host}: nothing answers there as tabvm helper. Start it with ` +
      `"tabvm helper --images DIR" and paste the URL it prints (the port changes on every start unless you give --port).`
    );
  if (!probe.originAllowed)
    return (
      `The helper at ${host} refused this page's origin ${origin}. Start it with "tabvm helper --origin ${origin}" ` +
      `(repeat --origin for each page that may connect).`
    );
  return (
    `The helper at ${host} refused the token: the token is wrong. Paste the whole URL tabvm helper printed, ` +
    `"?token=…" included (the token changes on every start).`
  );
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Raw deflate (RFC 1951), as the helper's zlib deflateRaw writes it. */
export async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * One machine on the helper. Events: 'serial' (detail: text), 'state',
 * 'frame' (after screen rectangles were drawn).
 */
export class RemoteVm extends EventTarget {
  serialLog = '';
  comBytesOut = 0;
  comBytesIn = 0;
  private readonly decoder = new TextDecoder();
  private frame: ImageData | undefined;
  private canvas: HTMLCanvasElement | undefined;
  private screenQueue: Promise<void> = Promise.resolve();
  private mouseDx = 0;
  private mouseDy = 0;
  private mouseButtons = 0;
  private mouseSent = -Infinity;
  private mouseTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly connection: HelperConnection,
    public info: MachineInfo,
  ) {
    super();
  }

  get id(): number {
    return this.info.id;
  }
  get state(): RemoteState {
    return this.info.state;
  }
  /** The outcome of a stopped machine, in words. */
  get detail(): string {
    const o = this.info.outcome;
    if (!o) return '';
    return `${o.reason}${o.status ? ` (status ${o.status})` : ''}${o.message ? `: ${o.message}` : ''}`;
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @internal a machine event from the helper. */
  update(info: MachineInfo): void {
    this.info = info;
    this.emit('state', info);
  }

  /** @internal serial bytes from the helper. */
  serial(b64: string): void {
    const bytes = fromBase64(b64);
    this.comBytesOut += bytes.length;
    const text = this.decoder.decode(bytes, { stream: true });
    this.serialLog = (this.serialLog + text).slice(-SERIAL_LOG_MAX);
    this.emit('serial', text);
  }

  /** @internal a screen update: rectangles applied in order, each inflated first. */
  screen(m: { width: number; height: number; rects: { x: number; y: number; w: number; h: number; data: string }[] }): void {
    this.screenQueue = this.screenQueue.then(async () => {
      if (!this.frame || this.frame.width !== m.width || this.frame.height !== m.height) {
        this.frame = m.width > 0 && m.height > 0 ? new ImageData(m.width, m.height) : undefined;
      }
      const frame = this.frame;
      if (!frame) return;
      for (const r of m.rects) {
        const px = await inflateRaw(fromBase64(r.data));
        // A rectangle must lie inside the screen and hold w*h pixels; anything else is dropped.
        if (r.x < 0 || r.y < 0 || r.x + r.w > frame.width || r.y + r.h > frame.height) continue;
        if (px.length !== r.w * r.h * BYTES_PER_PIXEL) continue;
        for (let row = 0; row < r.h; row++) {
          const src = px.subarray(row * r.w * BYTES_PER_PIXEL, (row + 1) * r.w * BYTES_PER_PIXEL);
          frame.data.set(src, ((r.y + row) * frame.width + r.x) * BYTES_PER_PIXEL);
        }
      }
      this.draw();
      this.emit('frame', null);
    });
  }

  private draw(): void {
    const canvas = this.canvas;
    if (!canvas || !this.frame) return;
    if (canvas.width !== this.frame.width || canvas.height !== this.frame.height) {
      canvas.width = this.frame.width;
      canvas.height = this.frame.height;
    }
    canvas.getContext('2d')?.putImageData(this.frame, 0, 0);
  }

  /**
   * A small picture of the screen as a PNG data: URL (the helper sends every
   * machine's screen, shown or not), or undefined before the first frame.
   */
  thumbnail(width: number): string | undefined {
    return this.frame ? thumbnailDataUrl(this.frame, width) : undefined;
  }

  /** Draw the screen on `canvas` from now on. */
  attachScreen(canvas: HTMLCanvasElement): void {
    this.canvas = canvas;
    this.draw();
  }
  detachScreen(): void {
    this.canvas = undefined;
  }

  private act(type: 'start' | 'pause' | 'resume' | 'reset' | 'stop' | 'delete'): Promise<Msg> {
    return this.connection.request(type, { machine: this.id });
  }
  start = (): Promise<Msg> => this.act('start');
  pause = (): Promise<Msg> => this.act('pause');
  resume = (): Promise<Msg> => this.act('resume');
  reset = (): Promise<Msg> => this.act('reset');
  stop = (): Promise<Msg> => this.act('stop');
  delete = (): Promise<Msg> => this.act('delete');

  serialWrite(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.comBytesIn += bytes.length;
    void this.connection.request('serial-in', { machine: this.id, data: toBase64(bytes) }).catch(() => {});
  }

  key(code: string, down: boolean): boolean {
    void this.connection.request('key', { machine: this.id, code, down }).catch(() => {});
    return true;
  }

  combo(codes: string[]): void {
    for (const c of codes) this.key(c, true);
    for (const c of [...codes].reverse()) this.key(c, false);
  }

  /**
   * Mouse motion is summed and sent at most once per MOUSE_MS (a request per
   * mousemove would flood the helper's queue); button and wheel changes go at once.
   */
  mouse(dx: number, dy: number, buttons: number, wheel = 0): void {
    this.mouseDx += dx;
    this.mouseDy += dy;
    if (buttons === this.mouseButtons && wheel === 0 && performance.now() - this.mouseSent < MOUSE_MS) {
      this.mouseTimer ??= setTimeout(() => {
        this.mouseTimer = undefined;
        if (this.mouseDx || this.mouseDy) this.sendMouse(this.mouseButtons, 0);
      }, MOUSE_MS);
      return;
    }
    this.sendMouse(buttons, wheel);
  }

  private sendMouse(buttons: number, wheel: number): void {
    clearTimeout(this.mouseTimer);
    this.mouseTimer = undefined;
    this.mouseSent = performance.now();
    this.mouseButtons = buttons;
    const clamp = (v: number, max: number): number => Math.max(-max, Math.min(max, Math.round(v)));
    const msg = {
      machine: this.id,
      dx: clamp(this.mouseDx, MAX_MOUSE_DELTA),
      dy: clamp(this.mouseDy, MAX_MOUSE_DELTA),
      buttons,
      wheel: clamp(wheel, MAX_WHEEL),
    };
    this.mouseDx = this.mouseDy = 0;
    void this.connection.request('mouse', msg).catch(() => {});
  }

  /** The helper's counters for this machine, plus the page's serial byte counts. */
  async stats(): Promise<StatValue[]> {
    const r = await this.connection.request('stats', { machine: this.id });
    return r.counters as StatValue[];
  }
}

/**
 * A connection to one helper. Events: 'machines' (the list changed), 'close'
 * (detail: a sentence saying why).
 */
export class HelperConnection extends EventTarget {
  engines: EngineInfo[] = [];
  images: ImageInfo[] = [];
  readonly machines = new Map<number, RemoteVm>();
  private nextId = 1;
  private pending = new Map<number, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  private closedBy: string | undefined;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
  ) {
    super();
    ws.addEventListener('message', (e) => this.onMessage(String(e.data)));
    ws.addEventListener('close', (e) => {
      const why = this.closedBy ?? (e.code === 1001 ? 'the helper shut down' : `the connection closed (code ${e.code})`);
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
      this.dispatchEvent(new CustomEvent('close', { detail: why }));
    });
  }

  /** The host:port shown for this connection (never the token). */
  get label(): string {
    return new URL(this.url).host;
  }

  /** Connects, waits for the helper's hello and loads engines, images and machines. */
  static async open(text: string): Promise<HelperConnection> {
    const url = parseHelperUrl(text);
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        reject(new Error(`The browser refused the URL: ${(e as Error).message}`));
        return;
      }
      let failed = false;
      const fail = (): void => {
        clearTimeout(timer);
        if (failed) return;
        failed = true;
        void probeHelper(url).then((probe) => reject(new Error(explainConnectFailure(url, location.origin, probe))));
      };
      const timer = setTimeout(() => {
        ws.close();
        fail();
      }, CONNECT_TIMEOUT_MS);
      ws.addEventListener('close', fail, { once: true });
      ws.addEventListener(
        'message',
        (e) => {
          clearTimeout(timer);
          ws.removeEventListener('close', fail);
          let m: Msg | undefined;
          try {
            m = JSON.parse(String(e.data)) as Msg;
          } catch {
            m = undefined;
          }
          if (m?.type === 'hello' && m.version === PROTOCOL_VERSION) resolve(ws);
          else {
            ws.close();
            reject(new Error(`${new URL(url).host} answered, but not as tabvm helper protocol version ${PROTOCOL_VERSION}.`));
          }
        },
        { once: true },
      );
    });
    const c = new HelperConnection(url, ws);
    await c.refresh();
    return c;
  }

  /** One request; resolves with the reply, rejects with a HelperError for an error reply. */
  request(type: string, fields: Record<string, unknown> = {}): Promise<Msg> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected to the helper'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the helper did not answer "${type}"`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, id, type, ...fields }));
    });
  }

  /** Reloads engines, images and machines. */
  async refresh(): Promise<void> {
    this.engines = (await this.request('list-engines')).engines as EngineInfo[];
    this.images = (await this.request('list-images')).images as ImageInfo[];
    const list = (await this.request('list-machines')).machines as MachineInfo[];
    for (const info of list) this.track(info);
    this.changed();
  }

  async create(opts: CreateOptions): Promise<RemoteVm> {
    const r = await this.request('create-machine', { ...opts });
    const vm = this.track(r.machine as MachineInfo);
    this.changed();
    return vm;
  }

  async deleteMachine(vm: RemoteVm): Promise<void> {
    await vm.delete();
    this.machines.delete(vm.id);
    this.changed();
  }

  close(): void {
    this.closedBy = 'disconnected';
    this.ws.close();
  }

  private track(info: MachineInfo): RemoteVm {
    let vm = this.machines.get(info.id);
    if (vm) vm.update(info);
    else this.machines.set(info.id, (vm = new RemoteVm(this, info)));
    return vm;
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('machines'));
  }

  private onMessage(text: string): void {
    let m: Msg;
    try {
      m = JSON.parse(text) as Msg;
    } catch {
      return;
    }
    const id = typeof m.id === 'number' ? m.id : undefined;
    const waiter = id !== undefined ? this.pending.get(id) : undefined;
    if (waiter && id !== undefined) {
      this.pending.delete(id);
      if (m.type === 'error') waiter.reject(new HelperError(String(m.code), String(m.message)));
      else waiter.resolve(m);
      return;
    }
    switch (m.type) {
      case 'machine': {
        const info = m.machine as MachineInfo;
        this.track(info);
        this.changed();
        break;
      }
      case 'serial':
        this.machines.get(m.machine as number)?.serial(String(m.data));
        break;
      case 'screen':
        this.machines.get(m.machine as number)?.screen(m as unknown as Parameters<RemoteVm['screen']>[0]);
        break;
    }
  }
}
