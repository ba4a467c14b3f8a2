// `tabvm helper`: the WebSocket server of DESIGN §8 (protocol: PROTOCOL.md,
// helper/protocol.ts). It listens on 127.0.0.1 unless told otherwise, and
// upgrades a connection only when the URL carries the random token it
// printed and the Origin (sent by every browser) is in the allow-list;
// clients without an Origin (command-line tools) need the token alone.
// Every frame is validated; a bad one gets an error reply and the connection
// stays up. Frames above the hard cap close the connection (RFC 6455 1009).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type RawData, type WebSocket } from 'ws';

import { ImagesFolder } from './images-folder.js';
import { DEFAULT_LIMITS, MachineManager, listEngines, type Limits, type MachineEvent } from './machines.js';
import { PROTOCOL_VERSION, ProtocolError, parseRequest, type Request } from './protocol.js';

/** A frame larger than this gets an error reply (the connection stays). */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** A frame larger than this closes the connection (ws maxPayload). */
const HARD_MAX_MESSAGE_BYTES = 1024 * 1024;
const TOKEN_BYTES = 24;
const HTTP_UNAUTHORIZED = 401;
const HTTP_FORBIDDEN = 403;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_GRACE_MS = 500;
/** Client requests buffered while earlier ones still run; beyond this a client is answered "limit". */
const MAX_PENDING_PER_CLIENT = 64;

export const DEFAULT_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:4173', 'http://127.0.0.1:4173'];

export interface HelperOptions {
  host?: string;
  port?: number;
  imagesDir: string;
  origins?: string[];
  limits?: Limits;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

export class HelperServer {
  readonly token: string;
  readonly origins: Set<string>;
  readonly manager: MachineManager;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<number, WebSocket>();
  private nextClient = 1;
  private closed = false;

  private constructor(opts: HelperOptions) {
    this.token = opts.token ?? randomBytes(TOKEN_BYTES).toString('base64url');
    this.origins = new Set(opts.origins ?? DEFAULT_ORIGINS);
    this.manager = new MachineManager(new ImagesFolder(opts.imagesDir), opts.limits ?? DEFAULT_LIMITS, (c, e) => this.push(c, e));
    this.http = createServer((req, res) => {
      // A page cannot see why a WebSocket upgrade failed, so this plain answer (no secret in it,
      // readable by any page) tells it that the helper is here and whether its Origin is allowed.
      const origin = req.headers.origin;
      const originAllowed = origin === undefined || this.origins.has(origin);
      res.writeHead(426, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify({ tabvm: 'helper', version: PROTOCOL_VERSION, originAllowed, message: 'connect with a WebSocket' }) + '\n');
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_MESSAGE_BYTES });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(opts: HelperOptions): Promise<HelperServer> {
    const s = new HelperServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.http.once('error', reject);
      s.http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    return s;
  }

  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  /** The URL a client connects to (with the token). */
  get url(): string {
    const a = this.address;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `ws://${host}:${a.port}/?token=${this.token}`;
  }

  private tokenMatches(given: string | null): boolean {
    if (given === null) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${why}\n`);
    };
    let token: string | null;
    try {
      token = new URL(req.url ?? '/', 'http://helper').searchParams.get('token');
    } catch {
      token = null;
    }
    if (!this.tokenMatches(token)) return refuse(HTTP_UNAUTHORIZED, 'Unauthorized: missing or wrong token');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin)) return refuse(HTTP_FORBIDDEN, 'Forbidden: origin not allowed');
    if (this.closed) return refuse(HTTP_FORBIDDEN, 'Forbidden: shutting down');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(ws: WebSocket): void {
    const client = this.nextClient++;
    this.clients.set(client, ws);
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (pending >= MAX_PENDING_PER_CLIENT) {
        this.reply(ws, { type: 'error', id: null, code: 'limit', message: 'too many requests in flight' });
        return;
      }
      pending++;
      // Requests of one client run in order (create, then start, ...).
      queue = queue.then(async () => {
        try {
          await this.handle(client, ws, data, isBinary);
        } finally {
          pending--;
        }
      });
    });
    ws.on('close', () => {
      this.clients.delete(client);
      void queue.then(() => this.manager.clientGone(client));
    });
    ws.on('error', () => {
      // The close event follows; nothing else to do.
    });
    this.reply(ws, { type: 'hello', version: PROTOCOL_VERSION });
  }

  private reply(ws: WebSocket, msg: object): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...msg }));
  }

  private push(client: number, e: MachineEvent): void {
    const ws = this.clients.get(client);
    if (ws) this.reply(ws, e);
  }

  private async handle(client: number, ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let id: number | null = null;
    try {
      if (isBinary) throw new ProtocolError('bad-message', 'binary frames are not part of the protocol; send JSON text');
      if (bytes.length > MAX_MESSAGE_BYTES) throw new ProtocolError('too-large', `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
      const text = bytes.toString('utf8');
      // The id, when there is one, goes back even with an error about the rest of the message.
      try {
        const maybe = JSON.parse(text) as { id?: unknown };
        if (typeof maybe?.id === 'number' && Number.isInteger(maybe.id)) id = maybe.id;
      } catch {
        // parseRequest reports it
      }
      const req = parseRequest(text);
      this.reply(ws, { id: req.id, ...(await this.dispatch(client, req)) });
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.reply(ws, { type: 'error', id, code: err.code, message: err.message });
      } else {
        process.stderr.write(`tabvm helper: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        this.reply(ws, { type: 'error', id, code: 'internal', message: 'internal error (see the helper log)' });
      }
    }
  }

  private async dispatch(client: number, req: Request): Promise<object> {
    const m = this.manager;
    switch (req.type) {
      case 'list-engines':
        return { type: 'engines', engines: listEngines() };
      case 'list-images':
        return { type: 'images', images: m.folder.list() };
      case 'list-machines':
        return { type: 'machines', machines: m.list(client) };
      case 'create-machine': {
        const machine = await m.create(client, req);
        return { type: 'machine', machine: machine.info() };
      }
      case 'start':
        m.get(client, req.machine).start();
        return { type: 'ok' };
      case 'pause':
        m.get(client, req.machine).pause();
        return { type: 'ok' };
      case 'resume':
        m.get(client, req.machine).resume();
        return { type: 'ok' };
      case 'reset':
        m.get(client, req.machine).reset();
        return { type: 'ok' };
      case 'stop':
        await m.get(client, req.machine).stop();
        return { type: 'ok' };
      case 'delete':
        await m.delete(client, req.machine);
        return { type: 'ok' };
      case 'serial-in':
        m.get(client, req.machine).sendSerial(new Uint8Array(Buffer.from(req.data, 'base64')));
        return { type: 'ok' };
      case 'key':
        if (!m.get(client, req.machine).key(req.code, req.down))
          throw new ProtocolError('bad-message', `key: unknown code "${req.code}" or input queue full`);
        return { type: 'ok' };
      case 'mouse':
        if (!m.get(client, req.machine).mouse(req.dx, req.dy, req.buttons, req.wheel ?? 0)) {
          throw new ProtocolError('limit', 'mouse: input queue full, try again');
        }
        return { type: 'ok' };
      case 'stats':
        return { type: 'stats', machine: req.machine, counters: await m.get(client, req.machine).stats() };
    }
  }

  /** Stops every machine, closes every client and the listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.manager.stopAll();
    for (const ws of this.clients.values()) {
      ws.close(CLOSE_GOING_AWAY, 'helper shutting down');
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    }
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}
