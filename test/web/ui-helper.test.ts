// Thumbnails in the machine list (issue 6: "a list of machines with state …
// and a thumbnail"): a machine on the local helper gets a picture of its
// screen, from the screen updates the helper sends for every machine, and a
// machine in this tab gets one while another machine is the one shown. The
// guest is guests/input-printer.asm, which writes a white-on-blue line on its
// text screen: the thumbnail must show blue.

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI_BUILT, guestDisk, openApp, startHelper, startOnHelper, webMissing, type AppSession, type StaticServer } from './harness.js';

const why = webMissing() ?? (existsSync(CLI_BUILT) ? undefined : `${CLI_BUILT} is missing (npm run build:host)`);
if (why) console.warn(`test/web/ui-helper.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
/** The list refreshes thumbnails every 5 s; the guest needs a second or two to boot. */
const THUMB_TIMEOUT_MS = 30_000;

/** Width, lit and blue pixels of the picture an <img> shows (a copy: the list may replace its src meanwhile), or undefined without one. */
function thumbPixels(page: Page, selector: string): Promise<{ width: number; lit: number; blue: number } | undefined> {
  return page.evaluate(async (sel) => {
    const src = (document.querySelector(sel) as HTMLImageElement | null)?.src ?? '';
    if (!src.startsWith('data:image/png')) return undefined;
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    let blue = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] + px[i + 1] + px[i + 2] > 0) lit++;
      if (px[i + 2] > 100 && px[i] < 60 && px[i + 1] < 60) blue++;
    }
    return { width: c.width, lit, blue };
  }, selector);
}

/** Wait until the thumbnail shows the guest's blue line; its pixel counts. */
async function waitBlueThumb(page: Page, selector: string): Promise<{ width: number; lit: number; blue: number }> {
  const deadline = Date.now() + THUMB_TIMEOUT_MS;
  for (;;) {
    const p = await thumbPixels(page, selector);
    if (p && p.blue > 0) return p;
    if (Date.now() > deadline) throw new Error(`the thumbnail ${selector} shows no blue: ${JSON.stringify(p)}`);
    await page.waitForTimeout(500);
  }
}

describe.skipIf(why !== undefined)('machine thumbnails', () => {
  let app: AppSession;
  let server: StaticServer;
  let page: Page;
  let helper: ChildProcess | undefined;
  let folder = '';

  beforeAll(async () => {
    app = await openApp({ files: { '/guests/printer.img': guestDisk('input-printer', MIB) } });
    ({ server, page } = app);
    folder = mkdtempSync(join(tmpdir(), 'tabvm-web-thumbs-'));
    writeFileSync(join(folder, 'printer.img'), guestDisk('input-printer', MIB));
  });

  afterAll(async () => {
    helper?.kill('SIGTERM');
    await app?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('shows a thumbnail of a machine running on the local helper', async () => {
    const started = await startHelper(['--images', folder, '--origin', new URL(server.base).origin]);
    helper = started.child;
    const url = started.url;
    await page.goto(server.base);
    await page.fill('#helper-url', url);
    await page.click('#helper-connect');
    await page.waitForSelector('#helper-view:not([hidden])');
    expect(await startOnHelper(page, 'printer.img')).toBe('hda');
    const thumb = '#helper-machines li.machine img.thumb';
    const p = await waitBlueThumb(page, thumb);
    expect(p.width).toBe(160);
    expect(p.lit).toBeGreaterThan(200);
    expect(p.blue).toBeGreaterThan(20);
    await page.click('#btn-delete');
    await page.waitForFunction(() => document.querySelectorAll('#helper-machines li.machine').length === 0);
    await page.click('#helper-disconnect');
  });

  it('keeps the thumbnail of a machine in this tab up to date while another one is shown', async () => {
    const create = async (): Promise<string> => {
      const n = await page.$$eval('#machine-list li.machine', (l) => l.length);
      await page.fill('#url-input', `${server.base}guests/printer.img`);
      await page.click('#url-form button[type="submit"]');
      await page.waitForFunction((k) => document.querySelectorAll('#machine-list li.machine').length > k, n);
      return page.evaluate(() => (window as unknown as { tabvm: { selected: string } }).tabvm.selected);
    };
    const first = await create();
    await page.click('#btn-start');
    const second = await create();
    expect(second).not.toBe(first);
    // The first machine runs unseen: its thumbnail still shows its screen.
    const thumb = `#machine-list li.machine[data-id="${first}"] img.thumb`;
    expect((await waitBlueThumb(page, thumb)).blue).toBeGreaterThan(20);
    expect(await page.evaluate(() => (window as unknown as { tabvm: { selected: string } }).tabvm.selected)).toBe(second);
  });
});
