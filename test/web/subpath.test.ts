// The built app served from a subfolder of its host (https://example.org/some/sub/,
// as a project site is), with the isolation headers: the page, its worker, the
// core and the prepared images load from that folder (vite's base './'), and a
// machine created there from a URL relative to it boots through SeaBIOS
// (guests/input-printer.asm) and answers on COM1. No request leaves the folder.
// hosting.test.ts does the same without headers, through the service worker.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { guestDisk, openApp, serialOf, waitSerial, webMissing, type AppSession } from './harness.js';

const why = webMissing();
if (why) console.warn(`test/web/subpath.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
const PREFIX = '/some/sub/';
const BOOT_TIMEOUT_MS = 60_000;
const ECHO_TIMEOUT_MS = 10_000;

describe.skipIf(why !== undefined)('the app served from a subfolder', () => {
  let app: AppSession;

  beforeAll(async () => {
    app = await openApp({ prefix: PREFIX, files: { '/guests/input-printer.img': guestDisk('input-printer', MIB) } });
  });

  afterAll(() => app?.close());

  it('boots a machine there with every request inside the folder', async () => {
    const { page, server } = app;
    expect(server.base.endsWith(PREFIX)).toBe(true);
    await page.goto(server.base);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    // The default image's URLs point into the folder.
    await page.click('#create-default');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-edit');
    expect(await page.inputValue('#editor-form input[name="kernelUrl"]')).toBe(`${server.base}images/vmlinuz`);
    await page.click('#editor button[value="cancel"]');
    await page.click('#btn-delete');
    await page.waitForFunction(() => document.querySelectorAll('#machine-list li.machine').length === 0);
    await page.fill('#url-input', `${server.base}guests/input-printer.img`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-start');
    await waitSerial(page, /INPUT-READY/, BOOT_TIMEOUT_MS);
    const from = (await serialOf(page)).length;
    await page.click('#terminal');
    await page.keyboard.type('hi');
    // The printer shows what its COM1 receives as "sXX" tokens: 'h' and 'i'.
    await waitSerial(page, /s68 s69 /, ECHO_TIMEOUT_MS, from);
    const paths = server.requests.map((r) => r.split(' ')[0]);
    expect(paths.some((p) => p.endsWith('.wasm'))).toBe(true);
    expect(paths.some((p) => /machine-worker.*\.js$/.test(p))).toBe(true);
    expect(paths.some((p) => p.endsWith('/images/bios.bin'))).toBe(true);
    expect(paths.filter((p) => !p.startsWith(PREFIX))).toEqual([]);
  });
});
