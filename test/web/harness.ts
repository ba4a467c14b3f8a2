// Shared setup of the browser app's focused tests (test/web/ui-*.test.ts,
// embed-api.test.ts, hosting.test.ts): one `vite build` per vitest run into
// dist/web-test (its own folder, so browser.test.ts's build of dist/web may run
// beside it), a small static server over that folder (with or without the
// cross-origin-isolation headers, with HTTP ranges, plus in-memory files for
// the tests' guests), Debian's chromium through playwright-core, and tiny
// boot-sector guests that SeaBIOS starts in a second or two.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { sendRanged } from '../../web/server/images-plugin.js';
import { imagesDir } from '../../helper/images.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
/** The tests' build of the app (not dist/web: browser.test.ts builds that one). */
export const APP_DIR = join(ROOT, 'dist', 'web-test');
const BUILD_LOCK = join(ROOT, 'dist', 'web-test.lock');
const BUILD_STAMP = join(APP_DIR, '.built-for');
const LOCK_STALE_MS = 180_000;
const LOCK_POLL_MS = 200;
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Files a test needs from the prepared images (`tabvm images prepare`). */
const NEEDED_IMAGES = ['bios.bin', 'vgabios-stdvga.bin', 'tabvm.iso'];

/** Why the browser tests cannot run here, or undefined. */
export function webMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(join(ROOT, 'build', 'core.wasm'))) return 'build/core.wasm is missing (npm run build:core)';
  const dir = imagesDir();
  for (const f of NEEDED_IMAGES) if (!existsSync(join(dir, f))) return `${f} is missing in ${dir} (node bin/tabvm images prepare)`;
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Build the app into dist/web-test once per vitest run: the test files run in
 * forks of one vitest process (same parent pid), the first one builds under a
 * lock directory and stamps the folder with that pid, the others wait for it.
 */
export async function buildApp(): Promise<string> {
  const key = String(process.ppid);
  const stamped = (): boolean => existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, 'utf8') === key;
  mkdirSync(dirname(BUILD_LOCK), { recursive: true });
  for (;;) {
    if (stamped()) return APP_DIR;
    try {
      mkdirSync(BUILD_LOCK);
    } catch {
      // Someone else builds; a lock left by a killed run is taken over after a while.
      try {
        if (Date.now() - statSync(BUILD_LOCK).mtimeMs > LOCK_STALE_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(LOCK_POLL_MS);
      continue;
    }
    try {
      if (stamped()) return APP_DIR;
      const build = spawnSync(process.execPath, [VITE, 'build', '--logLevel', 'warn', '--outDir', APP_DIR], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
      writeFileSync(BUILD_STAMP, key);
      return APP_DIR;
    } finally {
      rmSync(BUILD_LOCK, { recursive: true, force: true });
    }
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
const HTTP_NOT_FOUND = 404;

export interface StaticServer {
  /** The app's URL: the origin and the folder it is served from. */
  base: string;
  /** Extra files by URL path below the base ("/guests/x.img"), served like the folder's. */
  files: Map<string, Uint8Array>;
  /** Paths below the base answered with 404, as if missing (an image that fails to load). */
  blocked: Set<string>;
  /** URL paths requested so far, in full (with their Range header, if any). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A plain static server over `dir` on 127.0.0.1, as a static host would be:
 * with `isolated` it sends COOP/COEP (as the docs ask), without it none of the
 * two headers. Range requests are answered (the lazy disks need them). With
 * `prefix` ("/some/sub/") the folder is served from that folder of the host,
 * as on a project site, and everything outside it is 404.
 */
export async function serveStatic(dir: string, opts: { isolated: boolean; prefix?: string }): Promise<StaticServer> {
  const prefix = opts.prefix ?? '/';
  const files = new Map<string, Uint8Array>();
  const blocked = new Set<string>();
  const requests: string[] = [];
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const full = decodeURIComponent(url.pathname);
    requests.push(full + (req.headers.range ? ` ${req.headers.range}` : ''));
    if (opts.isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cache-Control', 'no-cache');
    let path = full.startsWith(prefix) ? `/${full.slice(prefix.length)}` : '';
    if (path.endsWith('/')) path += 'index.html';
    res.setHeader('Content-Type', MIME[extname(path)] ?? 'application/octet-stream');
    const mem = files.get(path);
    const file = join(root, normalize(path));
    if (!path || blocked.has(path) || (!mem && (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()))) {
      res.statusCode = HTTP_NOT_FOUND;
      res.end('not found');
      return;
    }
    sendRanged(req, res, mem ? mem.length : statSync(file).size, (start, end) => {
      if (mem) res.end(mem.subarray(start, end + 1));
      else createReadStream(file, { start, end }).pipe(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}${prefix}`,
    files,
    blocked,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (its own IndexedDB and service workers); dialogs (confirm, alert) are accepted. */
export async function launchChromium(
  opts: { deviceScaleFactor?: number; viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'tabvm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    headless: true,
    acceptDownloads: true,
    viewport: opts.viewport ?? { width: 1400, height: 1000 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => void d.accept());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

type TabvmWindow = { tabvm: { running: Map<string, { serialLog: string; textScreen(): string[] | undefined }>; selected: string } };

/** COM1 text of the machine the app has selected. */
export const serialOf = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const t = (window as unknown as TabvmWindow).tabvm;
    return t.running.get(t.selected)?.serialLog ?? '';
  });

/** Wait until the selected machine's COM1 text (from offset `from`) matches. */
export async function waitSerial(page: Page, re: RegExp, timeout: number, from = 0): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const log = (await serialOf(page)).slice(from);
    if (re.test(log)) return log;
    if (Date.now() > deadline) throw new Error(`no ${re} on COM1 after ${timeout} ms; it ends:\n${log.slice(-2000)}`);
    await sleep(100);
  }
}

/** Wait until the selected machine's text screen matches. */
export async function waitScreen(page: Page, re: RegExp, timeout: number): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await page.evaluate(() => {
      const t = (window as unknown as TabvmWindow).tabvm;
      return (t.running.get(t.selected)?.textScreen() ?? []).join('\n');
    });
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no ${re} on the screen after ${timeout} ms; it shows:\n${text}`);
    await sleep(200);
  }
}

/** A prepared image's bytes. */
export const preparedImage = (name: string): Buffer => readFileSync(join(imagesDir(), name));

export const SECTOR = 512;
const GUESTS_DIR = join(ROOT, 'test', 'web', 'guests');

/** A boot sector of test/web/guests (NAME.asm, assembled with nasm -f bin; CI has nasm for images/tests). */
export function bootSector(name: string): Uint8Array {
  const out = join(mkdtempSync(join(tmpdir(), 'tabvm-guest-')), `${name}.bin`);
  const r = spawnSync('nasm', ['-f', 'bin', '-o', out, join(GUESTS_DIR, `${name}.asm`)], { encoding: 'utf8' });
  if (r.error) throw new Error(`nasm: ${r.error.message} (apt-get install nasm)`);
  if (r.status !== 0) throw new Error(`nasm ${name}.asm failed:\n${r.stdout}${r.stderr}`);
  const code = new Uint8Array(readFileSync(out));
  rmSync(dirname(out), { recursive: true, force: true });
  if (code.length !== SECTOR) throw new Error(`${name}.asm is not one sector`);
  return code;
}

/** A disk of `size` bytes that boots the guest `name`. */
export function guestDisk(name: string, size: number): Uint8Array {
  const disk = new Uint8Array(size);
  disk.set(bootSector(name), 0);
  return disk;
}

export interface AppSession {
  server: StaticServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * The focused tests' setup: the app built once (buildApp), served by
 * serveStatic (with `files` added, e.g. the tests' guests), and a fresh
 * Chromium on it (the page is not navigated yet).
 */
export async function openApp(opts: { isolated?: boolean; prefix?: string; files?: Record<string, Uint8Array> } = {}): Promise<AppSession> {
  const server = await serveStatic(await buildApp(), { isolated: opts.isolated ?? true, prefix: opts.prefix });
  for (const [path, data] of Object.entries(opts.files ?? {})) server.files.set(path, data);
  const browser = await launchChromium();
  return {
    server,
    browser,
    page: browser.page,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

export const TABVM = join(ROOT, 'bin', 'tabvm');
/** The built CLI `tabvm helper` runs from (npm run build:host). */
export const CLI_BUILT = join(ROOT, 'dist', 'helper', 'cli.js');
const HELPER_START_MS = 30_000;

/** Run `tabvm helper ARGS` and wait for the ws:// URL it prints. */
export async function startHelper(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [TABVM, 'helper', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`tabvm helper printed no URL:\n${out}`)), HELPER_START_MS);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /tabvm helper listening: (ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`tabvm helper exited (${code}):\n${out}`)));
  });
  return { child, url };
}

/**
 * On the page connected to a helper: create a machine from the helper's image `image` on the Wasm
 * engine with 16 MiB and start it. Returns the boot kind the form guessed for the image.
 */
export async function startOnHelper(page: Page, image: string): Promise<string> {
  await page.selectOption('select[name="image"]', image);
  const kind = await page.inputValue('select[name="kind"]');
  await page.selectOption('select[name="engine"]', 'wasm');
  await page.fill('#helper-create input[name="memMiB"]', '16');
  await page.click('#helper-create-btn');
  await page.waitForSelector('#helper-machines li.machine');
  await page.click('#btn-start');
  return kind;
}
