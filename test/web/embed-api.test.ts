// The embedding API on its documentation page (issue 6, "Embedding"):
// createMachine() with its events (serial output, state changes), sendKeys()
// reaching the guest's PS/2 keyboard, serialWrite() reaching its COM1,
// pause()/resume() stopping and restarting the CPU, snapshot() returning a
// non-blank picture of the screen; a <tab-vm> element whose events bubble and
// whose serial console shows the guest; and the element's explanation of a
// kernel that cannot be loaded. The guest is guests/input-printer.asm, which
// prints what its keyboard and COM1 receive. Screenshots: /tmp/s4-shots/
// embed-api.png, and with TABVM_SHOTS=1 the page booting its own two Linux
// machines (embed-page.png).

import { mkdirSync } from 'node:fs';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { guestDisk, openApp, webMissing, type AppSession, type StaticServer } from './harness.js';

const why = webMissing();
if (why) console.warn(`test/web/embed-api.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
const BOOT_TIMEOUT_MS = 60_000;
const INPUT_TIMEOUT_MS = 10_000;
const LINUX_TEXT_TIMEOUT_MS = 120_000;
const SHOTS = '/tmp/s4-shots';
const GUEST = '/guests/input-printer.img';

/** The page-side state the tests read: the API machine and what its listeners saw. */
type ApiWindow = {
  tabvmEmbed: { createMachine(o: Record<string, unknown>): Promise<ApiMachine> };
  vm: ApiMachine;
  seen: { serial: string; states: string[] };
};
type ApiMachine = EventTarget & {
  state: string;
  start(): Promise<void>;
  sendKeys(t: string): void;
  serialWrite(t: string): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  powerOff(): Promise<void>;
  stats(): { name: string; value: number }[];
  snapshot(): Promise<{ state: string; screen?: ImageData; screenPng?: string; text?: string[]; serial: string }>;
};

async function waitSeen(page: Page, re: RegExp, timeout: number): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src).test((window as unknown as ApiWindow).seen.serial), re.source, {
    timeout,
    polling: 100,
  });
  return page.evaluate(() => (window as unknown as ApiWindow).seen.serial);
}

const instructions = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as ApiWindow).vm.stats().find((s) => s.name === 'instructions')?.value ?? 0);

describe.skipIf(why !== undefined)('the embedding API', () => {
  let app: AppSession;
  let server: StaticServer;
  let page: Page;

  beforeAll(async () => {
    app = await openApp({ files: { [GUEST]: guestDisk('input-printer', MIB) } });
    ({ server, page } = app);
    // The page's own <tab-vm autostart> boots Linux: its kernel "fails to load" until the screenshot.
    server.blocked.add('/images/vmlinuz');
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(() => app?.close());

  it('explains in the element a kernel that cannot be loaded', async () => {
    await page.goto(`${server.base}embed.html`);
    const error = page.locator('#vm-serial .error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/could not load the kernel from http:\/\/127\.0\.0\.1:\d+\/images\/vmlinuz: HTTP 404/);
    expect(await page.locator('#vm-serial .state').textContent()).toMatch(/error/);
  });

  it('creates a machine whose serial and state events, sendKeys and serialWrite work', async () => {
    await page.evaluate(async (url) => {
      const w = window as unknown as ApiWindow;
      w.seen = { serial: '', states: [] };
      w.vm = await w.tabvmEmbed.createMachine({
        name: 'api test',
        disks: [url],
        firmware: true,
        memoryMiB: 16,
        readOnly: true,
        screen: document.getElementById('api-screen'),
        start: false,
      });
      w.vm.addEventListener('serial', (e) => (w.seen.serial += (e as CustomEvent<string>).detail));
      w.vm.addEventListener('state', (e) => w.seen.states.push((e as CustomEvent<{ state: string }>).detail.state));
      await w.vm.start();
    }, GUEST);
    await waitSeen(page, /INPUT-READY/, BOOT_TIMEOUT_MS);
    expect(await page.evaluate(() => (window as unknown as ApiWindow).seen.states)).toContain('running');
    // "aB" on the PS/2 keyboard (set 1 after SeaBIOS's translation): a, Shift+b.
    await page.evaluate(() => (window as unknown as ApiWindow).vm.sendKeys('aB'));
    await waitSeen(page, /k1E k9E k2A k30 kB0 kAA /, INPUT_TIMEOUT_MS);
    await page.evaluate(() => (window as unknown as ApiWindow).vm.serialWrite('ok\n'));
    await waitSeen(page, /s6F s6B s0A /, INPUT_TIMEOUT_MS);
  });

  it('pauses and resumes the CPU', async () => {
    await page.evaluate(() => (window as unknown as ApiWindow).vm.pause());
    expect(await page.evaluate(() => (window as unknown as ApiWindow).vm.state)).toBe('paused');
    const a = await instructions(page);
    await page.waitForTimeout(1000);
    expect(await instructions(page)).toBe(a);
    await page.evaluate(() => (window as unknown as ApiWindow).vm.resume());
    await page.waitForFunction(
      (was) => ((window as unknown as ApiWindow).vm.stats().find((s) => s.name === 'instructions')?.value ?? 0) > was,
      a,
      {
        timeout: INPUT_TIMEOUT_MS,
      },
    );
    expect(await page.evaluate(() => (window as unknown as ApiWindow).seen.states.slice(-2))).toEqual(['paused', 'running']);
  });

  it('takes a snapshot with a non-blank picture of the screen', async () => {
    const snap = await page.evaluate(async () => {
      const s = await (window as unknown as ApiWindow).vm.snapshot();
      const px = s.screen?.data ?? new Uint8ClampedArray();
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 0) lit++;
      // The PNG decodes to the same size.
      const img = new Image();
      img.src = s.screenPng ?? '';
      await img.decode();
      return {
        state: s.state,
        width: s.screen?.width,
        height: s.screen?.height,
        lit,
        png: [img.width, img.height],
        text: (s.text ?? []).join('\n'),
        serial: s.serial,
      };
    });
    expect(snap.state).toBe('running');
    expect([snap.width, snap.height]).toEqual([720, 400]);
    expect(snap.png).toEqual([720, 400]);
    expect(snap.lit).toBeGreaterThan(1000);
    expect(snap.text).toMatch(/SeaBIOS/);
    expect(snap.text).toContain('INPUT-READY');
    expect(snap.serial).toContain('INPUT-READY');
    await page.locator('#api-screen').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/embed-api.png`, fullPage: true });
  });

  it('runs a <tab-vm> element whose events bubble and whose serial console shows the guest', async () => {
    const states = await page.evaluate(async (url) => {
      const el = document.createElement('tab-vm') as HTMLElement & { start(): Promise<unknown> };
      el.id = 'vm-added';
      for (const [k, v] of Object.entries({ disks: url, firmware: '', memory: '16', readonly: '', console: 'serial' }))
        el.setAttribute(k, v);
      const w = window as unknown as { bubbled: { serial: string; states: string[] } };
      w.bubbled = { serial: '', states: [] };
      document.body.addEventListener('serial', (e) => (w.bubbled.serial += (e as CustomEvent<string>).detail));
      document.body.addEventListener('state', (e) => w.bubbled.states.push((e as CustomEvent<{ state: string }>).detail.state));
      document.body.append(el);
      await el.start();
      return w.bubbled.states;
    }, GUEST);
    expect(states).toContain('running');
    await page.waitForFunction(() => /INPUT-READY/.test((window as unknown as { bubbled: { serial: string } }).bubbled.serial), null, {
      timeout: BOOT_TIMEOUT_MS,
    });
    // xterm.js draws only while on screen.
    await page.locator('#vm-added').scrollIntoViewIfNeeded();
    await expect.poll(() => page.locator('#vm-added .xterm-rows').textContent(), { timeout: INPUT_TIMEOUT_MS }).toContain('INPUT-READY');
    // console="serial": no screen. The element says the machine runs (no loading stage left over).
    expect(await page.locator('#vm-added canvas[part="screen"]').isHidden()).toBe(true);
    expect(await page.locator('#vm-added .state').textContent()).toBe('running');
    await page.evaluate(() => (document.getElementById('vm-added') as HTMLElement).remove());
    await page.evaluate(() => (window as unknown as ApiWindow).vm.powerOff());
  });

  it('runs a <tab-vm> on a page of its own that loads only tabvm-embed.js, with the console styled', async () => {
    // What a documentation author writes (embed.html's first example), pointed at the test guest.
    server.files.set(
      '/docs/page.html',
      new TextEncoder().encode(`<!doctype html><title>docs</title>
<script type="module" src="../tabvm-embed.js"></script>
<tab-vm id="doc-vm" disks="../${GUEST.slice(1)}" firmware memory="16" console="serial" autostart readonly></tab-vm>`),
    );
    await page.goto(`${server.base}docs/page.html`);
    type El = HTMLElement & { machine?: { serialLog: string } };
    await page.waitForFunction(() => /INPUT-READY/.test((document.getElementById('doc-vm') as El).machine?.serialLog ?? ''), null, {
      timeout: BOOT_TIMEOUT_MS,
    });
    // xterm.js's own sheet reached the shadow root: its input textarea is hidden as the sheet says.
    const textarea = await page.evaluate(() => {
      const t = (document.getElementById('doc-vm') as HTMLElement).shadowRoot?.querySelector('.xterm-helper-textarea');
      return t ? getComputedStyle(t).opacity : undefined;
    });
    expect(textarea).toBe('0');
    // No stylesheet on the page itself: the module brought what it needs.
    expect(await page.evaluate(() => document.querySelectorAll('link[rel="stylesheet"], style').length)).toBe(0);
  });

  // Two Linux boots cost more than the CI should pay for a picture: TABVM_SHOTS=1 takes it.
  it.skipIf(!process.env.TABVM_SHOTS)(
    'boots the page’s own two Linux machines for a screenshot',
    async () => {
      server.blocked.clear();
      await page.goto(`${server.base}embed.html?autostart`);
      type Machine = { textScreen(): string[] | undefined; serialLog: string };
      await page.waitForFunction(
        () => {
          const el = document.getElementById('vm-serial') as unknown as { machine?: Machine };
          const api = (window as unknown as { apiMachine?: Machine }).apiMachine;
          return /Linux version/.test(el.machine?.serialLog ?? '') && /\S{8}/.test((api?.textScreen() ?? []).join('\n'));
        },
        null,
        { timeout: LINUX_TEXT_TIMEOUT_MS, polling: 500 },
      );
      await page.waitForTimeout(2000);
      await page.screenshot({ path: `${SHOTS}/embed-page.png`, fullPage: true });
    },
    LINUX_TEXT_TIMEOUT_MS + 30_000,
  );
});
