// Static hosting without COOP/COEP headers (issue 6: "a worked example of
// static hosting without server headers"; "an unsupported browser … explained
// in the page"): a plain static server over the built app sends neither
// header. The app's main page, which has no shim, is not cross-origin isolated
// and says why and what to do, and a machine refuses to start with the same
// explanation. hosting.html carries the service-worker shim
// (coi-register.js, coi-serviceworker.js): after one reload the service
// worker adds the headers, the page is isolated and its <tab-vm> boots a
// machine (guests/input-printer.asm) whose COM1 answers what is typed. All of
// it twice: with the app at the host's root and in a subfolder (/some/sub/),
// where the service worker's scope, the worker and the core must stay.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { guestDisk, openApp, webMissing, type AppSession, type StaticServer } from './harness.js';

const why = webMissing();
if (why) console.warn(`test/web/hosting.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
const BOOT_TIMEOUT_MS = 60_000;
const ISOLATION_TIMEOUT_MS = 15_000;
/** The test guest, relative to the app's folder. */
const GUEST = 'guests/input-printer.img';
/** The app at the host's root and in a subfolder, as on a project site (https://user.github.io/project/). */
const PREFIXES = ['/', '/some/sub/'];

/** crossOriginIsolated of the page, across the shim's reload (an evaluate during the navigation fails: try again). */
async function waitIsolated(page: Page, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      if (await page.evaluate(() => self.crossOriginIsolated)) return;
    } catch {
      // the page is reloading
    }
    if (Date.now() > deadline) throw new Error('hosting.html did not become cross-origin isolated');
    await page.waitForTimeout(200);
  }
}

describe.skipIf(why !== undefined).each(PREFIXES)('static hosting without COOP/COEP headers, from %s', (prefix) => {
  let app: AppSession;
  let server: StaticServer;
  let page: Page;

  beforeAll(async () => {
    app = await openApp({ isolated: false, prefix, files: { [`/${GUEST}`]: guestDisk('input-printer', MIB) } });
    ({ server, page } = app);
  });

  afterAll(() => app?.close());

  it('serves no isolation headers', async () => {
    const r = await fetch(server.base);
    expect(r.ok).toBe(true);
    expect(r.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(r.headers.get('cross-origin-embedder-policy')).toBeNull();
  });

  it('explains on the main page, which has no shim, why machines cannot run and what to do', async () => {
    await page.goto(server.base);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    await page.waitForSelector('#error:not([hidden])');
    const text = (await page.textContent('#error')) ?? '';
    expect(text).toMatch(/not cross-origin isolated.*no SharedArrayBuffer/);
    expect(text).toContain('Cross-Origin-Opener-Policy: same-origin');
    expect(text).toContain('Cross-Origin-Embedder-Policy: require-corp');
    expect(text).toMatch(/service-worker shim described in hosting\.html/);
    // Starting a machine anyway: refused with the same explanation, nothing half-started.
    await page.fill('#url-input', `${server.base}${GUEST}`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-start');
    await page.waitForFunction(() =>
      /could not start: This page is not cross-origin isolated/.test(document.getElementById('error')?.textContent ?? ''),
    );
    expect(await page.evaluate(() => (window as unknown as { tabvm: { running: Map<string, unknown> } }).tabvm.running.size)).toBe(0);
  });

  it('makes hosting.html cross-origin isolated through the service worker and boots its machine', async () => {
    await page.goto(`${server.base}hosting.html`);
    await waitIsolated(page, ISOLATION_TIMEOUT_MS);
    await page.waitForSelector('#isolation-status[data-isolated="service-worker"]');
    expect(await page.textContent('#isolation-status')).toMatch(/isolated through the service worker/);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('function');
    // The worked example's machine, pointed at the test guest.
    await page.evaluate(async (url) => {
      const el = document.getElementById('hosted-vm') as HTMLElement & { start(): Promise<unknown> };
      el.setAttribute('disks', url);
      el.setAttribute('firmware', '');
      el.setAttribute('memory', '16');
      await el.start();
    }, GUEST);
    type El = { machine?: { state: string; serialLog: string; serialWrite(t: string): void } };
    const log = (): Promise<string> =>
      page.evaluate(() => (document.getElementById('hosted-vm') as unknown as El).machine?.serialLog ?? '');
    await expect.poll(log, { timeout: BOOT_TIMEOUT_MS, interval: 200 }).toContain('INPUT-READY');
    await page.evaluate(() => (document.getElementById('hosted-vm') as unknown as El).machine?.serialWrite('hi'));
    await expect.poll(log, { timeout: BOOT_TIMEOUT_MS, interval: 200 }).toMatch(/s68 s69 /);
    expect(await page.evaluate(() => (document.getElementById('hosted-vm') as unknown as El).machine?.state)).toBe('running');
    // The core and the worker came through the service worker too (the page stays isolated), from the app's folder.
    expect(server.requests.some((r) => /\.wasm$/.test(r))).toBe(true);
    expect(server.requests.filter((r) => !r.startsWith(prefix))).toEqual([]);
  });
});
