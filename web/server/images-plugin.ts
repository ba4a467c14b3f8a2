// A Vite plugin that serves the prepared guest images (the `tabvm images
// prepare` cache, ~/.cache/tabvm/images or $TABVM_IMAGES) under /images/ on
// the dev and preview servers, with HTTP Range support so the page can read
// big disks lazily, and copies them into the static build (dist/web/images).
//
// Range semantics: RFC 9110 §14 (one byte range per request; 206 with
// Content-Range, 416 when unsatisfiable). Every response carries
// Cross-Origin-Resource-Policy so a cross-origin-isolated page may load it.

import { createReadStream, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { writeCpio, type CpioEntry } from '../../host/cpio.js';

export const IMAGES_ROUTE = '/images/';
/** The files the app offers (a missing one is skipped with a warning). */
export const SERVED_IMAGES = [
  'vmlinuz',
  'initrd.gz',
  'tabvm-hd.img',
  'tabvm.iso',
  'bios.bin',
  'vgabios-stdvga.bin',
  'manifest.json',
  'floppy-module.cpio',
];
/** An initramfs addition with the kernel's floppy driver (the prepared initramfs has no modules). */
const FLOPPY_CPIO = 'floppy-module.cpio';
/** Files the plugin makes (not part of the prepared images): the project's build folder. */
const GENERATED_DIR = resolve(import.meta.dirname, '..', '..', 'build');
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/**
 * Build floppy-module.cpio next to the images: lib/modules/floppy.ko from the
 * prepared kernel package (dpkg-deb), as a newc archive the page appends to
 * initrd.gz (Linux unpacks concatenated archives). The browser tests use it to
 * give the guest a disk it can write; undefined when the package is missing.
 */
function ensureFloppyCpio(dir: string): string | undefined {
  const out = join(GENERATED_DIR, FLOPPY_CPIO);
  if (existsSync(out)) return out;
  const debs = join(dir, 'debs');
  const deb = existsSync(debs) ? readdirSync(debs).find((f) => f.startsWith('linux-image-') && f.endsWith('.deb')) : undefined;
  if (!deb) return undefined;
  const list = spawnSync('dpkg-deb', ['--fsys-tarfile', join(debs, deb)], { maxBuffer: 1 << 30 });
  if (list.status !== 0) return undefined;
  const tar = new Uint8Array(list.stdout);
  const ko = extractFromTar(tar, /\/floppy\.ko$/);
  if (!ko) return undefined;
  const dirEntry = (name: string): CpioEntry => ({ name, mode: S_IFDIR | 0o755 });
  writeFileSync(
    out,
    writeCpio([dirEntry('lib'), dirEntry('lib/modules'), { name: 'lib/modules/floppy.ko', mode: S_IFREG | 0o644, data: ko }]),
  );
  return out;
}

/** The data of the first regular file in a ustar archive whose name matches. */
function extractFromTar(tar: Uint8Array, name: RegExp): Uint8Array | undefined {
  const BLOCK = 512;
  const dec = new TextDecoder();
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header[0] === 0) break;
    const field = (o: number, n: number): string => dec.decode(header.subarray(o, o + n)).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim(), 8) || 0;
    const path = field(345, 155) ? `${field(345, 155)}/${field(0, 100)}` : field(0, 100);
    const type = String.fromCharCode(header[156]);
    if ((type === '0' || type === '\0') && name.test(path)) return tar.slice(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}
const HTTP_OK = 200;
const HTTP_PARTIAL = 206;
const HTTP_NOT_FOUND = 404;
const HTTP_RANGE_NOT_SATISFIABLE = 416;

export function imagesDir(): string {
  return resolve(process.env.TABVM_IMAGES ?? join(homedir(), '.cache', 'tabvm', 'images'));
}

/** Parse a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range against `size`; null if unsatisfiable, undefined if absent. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return null;
  return { start, end };
}

function serveImage(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const name = decodeURIComponent(url.pathname.slice(IMAGES_ROUTE.length));
  if (!SERVED_IMAGES.includes(name)) return next();
  const path = name === FLOPPY_CPIO ? (ensureFloppyCpio(imagesDir()) ?? '') : join(imagesDir(), name);
  if (!path || !existsSync(path)) {
    res.statusCode = HTTP_NOT_FOUND;
    res.setHeader('Content-Type', 'text/plain');
    res.end(`${name} is not prepared: run "node bin/tabvm images prepare" (npm start does)\n`);
    return;
  }
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-cache');
  sendRanged(req, res, statSync(path).size, (start, end) => createReadStream(path, { start, end }).pipe(res));
}

/**
 * Answer a GET or HEAD for a resource of `size` bytes, whole (200) or the one
 * range asked for (206, 416 when unsatisfiable); `body(start, end)` writes
 * the bytes (inclusive range) and ends the response. Shared with the tests'
 * static server (test/web/harness.ts).
 */
export function sendRanged(req: IncomingMessage, res: ServerResponse, size: number, body: (start: number, end: number) => void): void {
  res.setHeader('Accept-Ranges', 'bytes');
  const range = parseRange(req.headers.range, size);
  if (range === null) {
    res.statusCode = HTTP_RANGE_NOT_SATISFIABLE;
    res.setHeader('Content-Range', `bytes */${size}`);
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.statusCode = range ? HTTP_PARTIAL : HTTP_OK;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  body(start, end);
}

/** serveImage under connect's mount at IMAGES_ROUTE (which strips the route from req.url). */
function mountedServeImage(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  req.url = IMAGES_ROUTE + (req.url ?? '').replace(/^\//, '');
  serveImage(req, res, next);
}

export function tabvmImages(): Plugin {
  let outDir = '';
  return {
    name: 'tabvm-images',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(IMAGES_ROUTE, mountedServeImage);
    },
    configurePreviewServer(server) {
      server.middlewares.use(IMAGES_ROUTE, mountedServeImage);
    },
    closeBundle() {
      // The static build carries the images, so any static host can serve the app (docs: hosting.html).
      if (!outDir || !existsSync(outDir)) return;
      const dir = imagesDir();
      const target = join(outDir, 'images');
      mkdirSync(target, { recursive: true });
      const missing: string[] = [];
      for (const name of SERVED_IMAGES) {
        const from = name === FLOPPY_CPIO ? (ensureFloppyCpio(dir) ?? '') : join(dir, name);
        if (from && existsSync(from)) copyFileSync(from, join(target, name));
        else missing.push(name);
      }
      // One line, not one a file: on a fresh checkout nothing is prepared yet.
      if (missing.length)
        this.warn(
          `${dir} has no ${missing.join(', ')}: the static build goes without (run "node bin/tabvm images prepare", then build again)`,
        );
    },
  };
}
