// The helper's WebSocket server (helper/server.ts, PROTOCOL.md): who may
// connect (token, Origin), what a bad message gets (an error reply, never a
// crash), which images may boot (only files inside the images folder),
// limits, machines that run and report serial output, screen and stats, what
// happens to a disconnected client's machines, and a clean shutdown.

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { BIOS_IMAGE, findPreparedImage } from '../../helper/images.js';
import { HelperServer, MAX_MESSAGE_BYTES } from '../../helper/server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = join(ROOT, 'images', 'tests', 'build');
const ORIGIN = 'http://localhost:5173';
const work = mkdtempSync(join(tmpdir(), 'tabvm-helper-'));
const images = join(work, 'images');
const WAIT_MS = 20_000;
const firmware = findPreparedImage(BIOS_IMAGE);

/**
 * A 1 MiB disk whose boot sector prints a line through the BIOS and then, forever, increments the
 * character in the bottom-right cell of text memory: the screen always has a small change to send.
 */
function spinDisk(): Uint8Array {
  const disk = new Uint8Array(1024 * 1024);
  const text = 'tabvm screen test';
  // print: mov si, msg; lodsb; or al, al; jz tick; mov ah, 0Eh; int 10h; jmp print
  // tick:  mov ax, 0B800h; mov es, ax; l: inc byte [es:0F9Eh] (row 24, column 79); jmp l
  const code = [
    0xbe, 0x00, 0x00, 0xac, 0x08, 0xc0, 0x74, 0x06, 0xb4, 0x0e, 0xcd, 0x10, 0xeb, 0xf5, 0xb8, 0x00, 0xb8, 0x8e, 0xc0, 0x26, 0xfe, 0x06,
    0x9e, 0x0f, 0xeb, 0xf9,
  ];
  const msgAt = 0x7c00 + code.length;
  code[1] = msgAt & 0xff;
  code[2] = msgAt >> 8;
  disk.set(code, 0);
  disk.set(new TextEncoder().encode(text + '\0'), code.length);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}

/** A Multiboot a.out-kludge kernel loaded at 1 MiB that spins forever (jmp $): a guest that is always "mid-boot". */
function spinKernel(): Uint8Array {
  const LOAD = 0x100000;
  const HEADER = 32;
  const b = new Uint8Array(HEADER + 2);
  const dv = new DataView(b.buffer);
  const MAGIC = 0x1badb002;
  const FLAGS = 0x00010000; // bit 16: the address fields are valid
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FLAGS, true);
  dv.setUint32(8, (-(MAGIC + FLAGS) >>> 0) & 0xffffffff, true);
  dv.setUint32(12, LOAD, true); // header_addr
  dv.setUint32(16, LOAD, true); // load_addr
  dv.setUint32(20, 0, true); // load_end_addr: the whole file
  dv.setUint32(24, 0, true); // bss_end_addr: none
  dv.setUint32(28, LOAD + HEADER, true); // entry
  b.set([0xeb, 0xfe], HEADER);
  return b;
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'images', 'tests', 'build.mjs'), 'hello'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building hello.elf failed: ${r.stderr}`);
  mkdirSync(join(images, 'sub'), { recursive: true });
  copyFileSync(join(BUILD, 'hello.elf'), join(images, 'hello.elf'));
  writeFileSync(join(images, 'sub', 'spin.bin'), spinKernel());
  writeFileSync(join(work, 'outside.bin'), spinKernel());
  symlinkSync(join(work, 'outside.bin'), join(images, 'escape.bin'));
  symlinkSync(join(images, 'hello.elf'), join(images, 'inside-link.elf'));
  writeFileSync(join(images, 'not-a-kernel.bin'), 'hello');
  writeFileSync(join(images, 'spin-disk.img'), spinDisk());
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let server: HelperServer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = undefined;
});

async function startServer(limits?: { maxMachinesPerClient: number; maxMemMiBPerClient: number }): Promise<HelperServer> {
  server = await HelperServer.start({ imagesDir: images, origins: [ORIGIN], limits });
  return server;
}

type Msg = Record<string, unknown> & { type: string };

/** A connected client: every message it receives, and request() that waits for the reply with the same id. */
class Client {
  readonly messages: Msg[] = [];
  private waiters: { test: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private nextId = 1;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Msg;
      this.messages.push(m);
      for (const w of this.waiters.slice()) {
        if (w.test(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  wait(test: (m: Msg) => boolean, what: string, from = 0): Promise<Msg> {
    const seen = this.messages.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  request(body: Record<string, unknown>): Promise<Msg> {
    const id = this.nextId++;
    const from = this.messages.length;
    this.ws.send(JSON.stringify({ v: 1, id, ...body }));
    return this.wait((m) => m.id === id, `the reply to ${String(body.type)}`, from);
  }
}

function connect(url: string, origin?: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    sockets.push(ws);
    const client = new Client(ws);
    ws.once('open', () => client.wait((m) => m.type === 'hello', 'hello').then(() => resolve(client), reject));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function createAndStart(c: Client, image: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await c.request({ type: 'create-machine', engine: 'wasm', memMiB: 16, boot: { kind: 'multiboot', image }, ...extra });
  if (r.type !== 'machine') throw new Error(`create-machine failed: ${JSON.stringify(r)}`);
  expect(r.type).toBe('machine');
  const id = (r.machine as { id: number }).id;
  expect((await c.request({ type: 'start', machine: id })).type).toBe('ok');
  return id;
}

describe('who may connect', () => {
  it('refuses a missing or wrong token (401) and a foreign Origin (403); accepts the token with an allowed or no Origin', async () => {
    const s = await startServer();
    const base = `ws://127.0.0.1:${s.address.port}/`;
    await expect(connect(base, ORIGIN)).rejects.toThrow('HTTP 401');
    await expect(connect(`${base}?token=wrong`, ORIGIN)).rejects.toThrow('HTTP 401');
    await expect(connect(`${base}?token=${s.token}x`, ORIGIN)).rejects.toThrow('HTTP 401');
    await expect(connect(s.url, 'http://evil.example')).rejects.toThrow('HTTP 403');
    await expect(connect(s.url, 'null')).rejects.toThrow('HTTP 403');
    const ok = await connect(s.url, ORIGIN);
    expect(ok.messages[0]).toMatchObject({ v: 1, type: 'hello', version: 1 });
    await connect(s.url);
    expect(s.address.address).toBe('127.0.0.1');
    expect(s.token.length).toBeGreaterThanOrEqual(32);
  });
});

describe('the plain HTTP answer a page can read', () => {
  it('says a tabvm helper is here and whether the Origin is allowed, readable cross-origin, without the token', async () => {
    const s = await startServer();
    const http = `http://127.0.0.1:${s.address.port}/`;
    const ask = async (origin: string): Promise<{ status: number; cors: string | null; body: Record<string, unknown> }> => {
      const r = await fetch(http, { headers: { origin } });
      return { status: r.status, cors: r.headers.get('access-control-allow-origin'), body: (await r.json()) as Record<string, unknown> };
    };
    const allowed = await ask(ORIGIN);
    expect(allowed).toMatchObject({ status: 426, cors: '*', body: { tabvm: 'helper', version: 1, originAllowed: true } });
    const foreign = await ask('http://evil.example');
    expect(foreign.body).toMatchObject({ tabvm: 'helper', originAllowed: false });
    expect(JSON.stringify(foreign.body)).not.toContain(s.token);
  });
});

describe('engines', () => {
  it('lists kvm, kqemu and wasm with availability and the reason when unavailable', async () => {
    const c = await connect((await startServer()).url);
    const r = await c.request({ type: 'list-engines' });
    const engines = r.engines as { name: string; available: boolean; reason?: string }[];
    expect(engines.map((e) => e.name)).toEqual(['kvm', 'kqemu', 'wasm']);
    expect(engines[2]).toEqual({ name: 'wasm', available: true });
    for (const e of engines.slice(0, 2)) expect(e.available || (typeof e.reason === 'string' && e.reason.length > 10)).toBe(true);
  });
});

describe('bad messages get an error reply and the connection stays up', () => {
  it('malformed JSON, wrong version, unknown type and fields, bad values, binary and oversized frames', async () => {
    const c = await connect((await startServer()).url);
    const errors: Msg[] = [];
    const expectError = async (send: () => void, code: string): Promise<void> => {
      const before = c.messages.length;
      send();
      const e = await c.wait((m) => m.type === 'error', `error ${code}`, before);
      expect(e.code).toBe(code);
      errors.push(e);
    };
    await expectError(() => c.sendRaw('{not json'), 'bad-json');
    await expectError(() => c.sendRaw(JSON.stringify([1, 2])), 'bad-message');
    await expectError(() => c.sendRaw(JSON.stringify({ v: 2, id: 1, type: 'list-engines' })), 'bad-version');
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: 7, type: 'format-disk' })), 'unknown-type');
    expect(errors.at(-1)!.id).toBe(7);
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: 8, type: 'list-engines', extra: 1 })), 'bad-message');
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: 9, type: 'pause', machine: 'one' })), 'bad-message');
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: -1, type: 'list-engines' })), 'bad-message');
    await expectError(
      () =>
        c.sendRaw(
          JSON.stringify({
            v: 1,
            id: 10,
            type: 'create-machine',
            engine: 'wasm',
            memMiB: 999999,
            boot: { kind: 'multiboot', image: 'hello.elf' },
          }),
        ),
      'bad-message',
    );
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: 11, type: 'serial-in', machine: 1, data: 'not base64!' })), 'bad-message');
    await expectError(() => c.sendRaw(Buffer.from([1, 2, 3]), true), 'bad-message');
    await expectError(
      () => c.sendRaw(JSON.stringify({ v: 1, id: 12, type: 'list-engines', pad: 'x'.repeat(MAX_MESSAGE_BYTES) })),
      'too-large',
    );
    await expectError(() => c.sendRaw(JSON.stringify({ v: 1, id: 13, type: 'pause', machine: 424242 })), 'no-such-machine');
    for (const e of errors) expect(typeof e.message).toBe('string');
    // Still connected and answering.
    expect((await c.request({ type: 'list-machines' })).type).toBe('machines');
  });
});

describe('images come from inside the images folder only', () => {
  it('refuses "..", absolute paths, symlinks out, missing files and non-kernels; lists only what may boot', async () => {
    const c = await connect((await startServer()).url);
    const create = (image: string): Promise<Msg> =>
      c.request({ type: 'create-machine', engine: 'wasm', memMiB: 16, boot: { kind: 'multiboot', image } });
    for (const image of [
      '../outside.bin',
      'sub/../../outside.bin',
      join(work, 'outside.bin'),
      '/etc/passwd',
      'escape.bin',
      'missing.elf',
      'sub',
      '',
    ]) {
      const r = await create(image);
      expect(r, image).toMatchObject({ type: 'error', code: 'bad-image' });
    }
    expect(await create('not-a-kernel.bin')).toMatchObject({ type: 'error', code: 'bad-image' });
    expect((await create('inside-link.elf')).type).toBe('machine');
    const listed = (await c.request({ type: 'list-images' })).images as { name: string }[];
    expect(listed.map((i) => i.name)).toEqual([
      'hello.elf',
      'inside-link.elf',
      'not-a-kernel.bin',
      'spin-disk.img',
      join('sub', 'spin.bin'),
    ]);
  });
});

describe('machines', () => {
  it('a multiboot kernel runs on the Wasm engine: serial output, screen rectangles, exit status and stats', async () => {
    const c = await connect((await startServer()).url);
    const id = await createAndStart(c, 'hello.elf');
    const stopped = await c.wait(
      (m) => m.type === 'machine' && (m.machine as { state: string }).state === 'stopped',
      'the machine to stop',
    );
    expect((stopped.machine as { outcome: unknown }).outcome).toEqual({ reason: 'exit', status: 1 });
    const serial = Buffer.concat(
      c.messages.filter((m) => m.type === 'serial' && m.machine === id).map((m) => Buffer.from(m.data as string, 'base64')),
    ).toString('latin1');
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'tabvm'), 'run', '--multiboot', join(images, 'hello.elf'), '--mem', '16'], {
      encoding: 'latin1',
    });
    expect(serial).toBe(cli.stdout);
    const stats = await c.request({ type: 'stats', machine: id });
    const counters = stats.counters as { name: string; value: number }[];
    expect(counters.find((k) => k.name === 'instructions')!.value).toBeGreaterThan(0);
    expect(counters.find((k) => k.name === 'com1_bytes_out')!.value).toBe(Buffer.byteLength(cli.stdout, 'latin1'));
  });

  it.skipIf(!firmware.ok)(
    `screen updates are deflated RGBA dirty rectangles that cover the screen at first${firmware.ok ? '' : ` (skipped: ${firmware.why})`}`,
    async () => {
      const c = await connect((await startServer()).url);
      const r = await c.request({ type: 'create-machine', engine: 'wasm', memMiB: 16, boot: { kind: 'hda', image: 'spin-disk.img' } });
      const id = (r.machine as { id: number }).id;
      expect((await c.request({ type: 'start', machine: id })).type).toBe('ok');
      // SeaBIOS's VGA BIOS sets 80×25 text (720×400): the first update at that size covers it all.
      const s = await c.wait((m) => m.type === 'screen' && m.machine === id && (m.width as number) > 0, 'a screen update');
      const rects = s.rects as { x: number; y: number; w: number; h: number; data: string }[];
      let area = 0;
      for (const rect of rects) {
        expect(inflateRawSync(Buffer.from(rect.data, 'base64')).length).toBe(rect.w * rect.h * 4);
        area += rect.w * rect.h;
      }
      expect(area).toBe((s.width as number) * (s.height as number));
      // Later updates carry only what changed: the guest keeps changing one character cell.
      const from = c.messages.indexOf(s) + 1;
      const rectArea = (m: Msg): number => (m.rects as { w: number; h: number }[]).reduce((n, q) => n + q.w * q.h, 0);
      const next = await c.wait(
        (m) => m.type === 'screen' && m.machine === id && (m.rects as unknown[]).length > 0 && rectArea(m) < area,
        'a partial update',
        from,
      );
      expect(rectArea(next)).toBeGreaterThan(0);
    },
    60_000,
  );

  it('pause, resume, reset, stop and delete follow the states; input is accepted; wrong states are errors', async () => {
    const c = await connect((await startServer()).url);
    const id = await createAndStart(c, 'sub/spin.bin');
    expect((await c.request({ type: 'start', machine: id })).code).toBe('bad-state');
    expect((await c.request({ type: 'pause', machine: id })).type).toBe('ok');
    expect((await c.request({ type: 'pause', machine: id })).code).toBe('bad-state');
    expect((await c.request({ type: 'resume', machine: id })).type).toBe('ok');
    expect((await c.request({ type: 'reset', machine: id })).type).toBe('ok');
    expect((await c.request({ type: 'serial-in', machine: id, data: Buffer.from('ls\n').toString('base64') })).type).toBe('ok');
    expect((await c.request({ type: 'key', machine: id, code: 'KeyA', down: true })).type).toBe('ok');
    expect((await c.request({ type: 'key', machine: id, code: 'NoSuchKey', down: true })).type).toBe('error');
    expect((await c.request({ type: 'mouse', machine: id, dx: 3, dy: -2, buttons: 1 })).type).toBe('ok');
    expect((await c.request({ type: 'stop', machine: id })).type).toBe('ok');
    const list = (await c.request({ type: 'list-machines' })).machines as { id: number; state: string; outcome?: { reason: string } }[];
    expect(list).toMatchObject([{ id, state: 'stopped', outcome: { reason: 'quit' } }]);
    expect((await c.request({ type: 'delete', machine: id })).type).toBe('ok');
    expect((await c.request({ type: 'list-machines' })).machines).toEqual([]);
  });

  it('limits machines and guest memory per client', async () => {
    const c = await connect((await startServer({ maxMachinesPerClient: 2, maxMemMiBPerClient: 40 })).url);
    const create = (memMiB: number): Promise<Msg> =>
      c.request({ type: 'create-machine', engine: 'wasm', memMiB, boot: { kind: 'multiboot', image: 'hello.elf' } });
    expect((await create(16)).type).toBe('machine');
    expect(await create(32)).toMatchObject({ type: 'error', code: 'limit' });
    expect((await create(16)).type).toBe('machine');
    expect(await create(1)).toMatchObject({ type: 'error', code: 'limit' });
    // Another client has its own allowance.
    const other = await connect(server!.url);
    expect(
      (await other.request({ type: 'create-machine', engine: 'wasm', memMiB: 16, boot: { kind: 'multiboot', image: 'hello.elf' } })).type,
    ).toBe('machine');
  });

  it('an accelerated machine (kqemu, substitute device) runs in its own worker with the same serial output and stats', async () => {
    process.env.TABVM_KQEMU_DEVICE = 'substitute';
    try {
      const c = await connect((await startServer()).url);
      const engines = (await c.request({ type: 'list-engines' })).engines as { name: string; available: boolean }[];
      expect(engines.find((e) => e.name === 'kqemu')!.available).toBe(true);
      const id = await createAndStart(c, 'hello.elf', { engine: 'kqemu' });
      const stopped = await c.wait(
        (m) => m.type === 'machine' && (m.machine as { state: string }).state === 'stopped',
        'the machine to stop',
      );
      expect((stopped.machine as { outcome: unknown }).outcome).toEqual({ reason: 'exit', status: 1 });
      const serial = Buffer.concat(
        c.messages.filter((m) => m.type === 'serial' && m.machine === id).map((m) => Buffer.from(m.data as string, 'base64')),
      ).toString('latin1');
      expect(serial).toContain('hello from tabvm test kernel');
      expect(serial.trimEnd().endsWith('done')).toBe(true);
      // A machine that keeps running in its worker: screen, pause, stats, stop all cross the thread.
      const spin = await createAndStart(c, 'sub/spin.bin', { engine: 'kqemu' });
      await c.wait((m) => m.type === 'screen' && m.machine === spin, 'a screen event from the worker');
      expect((await c.request({ type: 'pause', machine: spin })).type).toBe('ok');
      const counters = (await c.request({ type: 'stats', machine: spin })).counters as { name: string; value: number }[];
      expect(counters.find((k) => k.name === 'kqemu_execs')!.value).toBeGreaterThan(0);
      expect(counters.find((k) => k.name === 'instructions')!.value).toBeGreaterThan(0);
      expect((await c.request({ type: 'resume', machine: spin })).type).toBe('ok');
      expect((await c.request({ type: 'stop', machine: spin })).type).toBe('ok');
      expect((await c.request({ type: 'delete', machine: spin })).type).toBe('ok');
    } finally {
      delete process.env.TABVM_KQEMU_DEVICE;
    }
  });

  it('refuses an unavailable engine with the reason', async () => {
    const c = await connect((await startServer()).url);
    const engines = (await c.request({ type: 'list-engines' })).engines as { name: string; available: boolean }[];
    for (const e of engines.filter((x) => !x.available)) {
      const r = await c.request({ type: 'create-machine', engine: e.name, memMiB: 16, boot: { kind: 'multiboot', image: 'hello.elf' } });
      expect(r).toMatchObject({ type: 'error', code: 'engine-unavailable' });
    }
  });
});

describe('a client that disconnects mid-boot', () => {
  it('leaves its "pause" machines paused (another client can take them over) and its "stop" machines stopped and gone', async () => {
    const s = await startServer();
    const a = await connect(s.url);
    const keep = await createAndStart(a, 'sub/spin.bin', { onDisconnect: 'pause' });
    const drop = await createAndStart(a, 'sub/spin.bin', { onDisconnect: 'stop' });
    const unstarted = (
      await a.request({ type: 'create-machine', engine: 'wasm', memMiB: 16, boot: { kind: 'multiboot', image: 'hello.elf' } })
    ).machine as { id: number };
    a.ws.terminate();
    const deadline = Date.now() + WAIT_MS;
    while ((s.manager.machines.has(drop) || s.manager.machines.has(unstarted.id)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect([...s.manager.machines.keys()]).toEqual([keep]);
    expect(s.manager.machines.get(keep)!.state).toBe('paused');
    const b = await connect(s.url);
    expect((await b.request({ type: 'list-machines' })).machines).toMatchObject([{ id: keep, state: 'paused' }]);
    expect((await b.request({ type: 'resume', machine: keep })).type).toBe('ok');
    expect((await b.request({ type: 'delete', machine: keep })).type).toBe('ok');
    expect(s.manager.machines.size).toBe(0);
  });
});

describe('shutdown', () => {
  it('close() stops every machine and closes clients with 1001', async () => {
    const s = await startServer();
    const c = await connect(s.url);
    const id = await createAndStart(c, 'sub/spin.bin');
    const m = s.manager.machines.get(id)!;
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    await s.close();
    server = undefined;
    expect(m.state).toBe('stopped');
    expect(await closed).toBe(1001);
  });

  it('tabvm helper prints a URL with a token, serves it, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tabvm'), 'helper', '--images', images], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /tabvm helper listening: (ws:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32,})/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`helper exited early: ${out}`)));
    });
    const c = await connect(url, ORIGIN);
    expect((await c.request({ type: 'list-engines' })).type).toBe('engines');
    const code = new Promise<number | null>((r) => child.once('exit', (c2) => r(c2)));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  }, 30_000);
});
