// The app's screen as an input device and a display (issue 6, "Console"):
// a click captures keyboard and mouse (pointer lock) and the hint says how to
// let go; keys reach the guest's PS/2 keyboard, the release combination does
// not; pointer-lock motion, buttons and the wheel reach the PS/2 mouse as
// IntelliMouse packets with the same deltas; the canvas is scaled crisply
// (whole device pixels per guest pixel, pixelated, fitted to its panel,
// devicePixelRatio-aware). The guest is a boot sector (guests/input-printer.asm)
// that prints every byte its 8042 delivers on COM1: SeaBIOS starts it in a
// second or two. Screenshots of the main and statistics views go to
// /tmp/s4-shots/.

import { mkdirSync } from 'node:fs';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { guestDisk, openApp, launchChromium, serialOf, waitSerial, webMissing, type AppSession, type StaticServer } from './harness.js';

const why = webMissing();
if (why) console.warn(`test/web/ui-input.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
const BOOT_TIMEOUT_MS = 60_000;
const INPUT_TIMEOUT_MS = 10_000;
const SHOTS = '/tmp/s4-shots';
/** Set 1 scan codes (SeaBIOS leaves the 8042 translating the keyboard's set 2). */
const SCAN_A = 0x1e;
const SCAN_B = 0x30;
const SCAN_G = 0x22;
const SCAN_CTRL = 0x1d;
const SCAN_ALT = 0x38;
const BREAK = 0x80;
const MOUSE_ACK = 0xfa;
const INTELLIMOUSE_ID = 0x03;
const PACKET_BYTES = 4;
// Packet byte 0 (PS/2 Technical Reference): buttons, always-1, sign bits.
const PACKET_LEFT = 0x01;
const PACKET_RIGHT = 0x02;
const PACKET_ALWAYS_1 = 0x08;
const PACKET_X_SIGN = 0x10;
const PACKET_Y_SIGN = 0x20;

/** The bytes the guest printed as "kXX"/"mXX" tokens, from a serial log. */
function deviceBytes(log: string, device: 'k' | 'm'): number[] {
  return [...log.matchAll(new RegExp(`${device}([0-9A-F]{2}) `, 'g'))].map((m) => parseInt(m[1], 16));
}

interface Packet {
  buttons: number;
  dx: number;
  dy: number;
  wheel: number;
}

/** IntelliMouse packets (4 bytes) from the mouse bytes after the enable's acknowledge. */
function packets(bytes: number[]): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i + PACKET_BYTES <= bytes.length; i += PACKET_BYTES) {
    const [b0, x, y, z] = bytes.slice(i, i + PACKET_BYTES);
    expect(b0 & PACKET_ALWAYS_1, `packet ${i / PACKET_BYTES} byte 0 ${b0.toString(16)}`).toBe(PACKET_ALWAYS_1);
    out.push({
      buttons: b0 & 7,
      dx: b0 & PACKET_X_SIGN ? x - 256 : x,
      dy: b0 & PACKET_Y_SIGN ? y - 256 : y,
      wheel: z >= 128 ? z - 256 : z,
    });
  }
  return out;
}

describe.skipIf(why !== undefined)('the screen: input capture and crisp scaling', () => {
  let app: AppSession;
  let server: StaticServer;
  let page: Page;
  /** Where the mouse's packets start in the serial log (after its setup). */
  let packetsFrom = 0;

  beforeAll(async () => {
    app = await openApp({ files: { '/guests/input-printer.img': guestDisk('input-printer', MIB) } });
    ({ server, page } = app);
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(() => app?.close());

  it('boots the input printer and sets up its IntelliMouse', async () => {
    await page.goto(server.base);
    await page.fill('#url-input', `${server.base}guests/input-printer.img`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-start');
    await waitSerial(page, /INPUT-READY/, BOOT_TIMEOUT_MS);
    // Eight commands, each acknowledged, and the id 3 of a wheel mouse after 0xF2.
    const log = await waitSerial(page, /(m[0-9A-F]{2} ){9}/, INPUT_TIMEOUT_MS);
    const setup = deviceBytes(log, 'm');
    expect(setup.filter((b) => b === MOUSE_ACK)).toHaveLength(8);
    expect(setup).toContain(INTELLIMOUSE_ID);
    packetsFrom = (await serialOf(page)).length;
  });

  it('captures the keyboard on a click, sends keys to the guest and lets go on Ctrl+Alt+G', async () => {
    expect(await page.textContent('#capture-hint')).toMatch(/click the screen to capture.*Ctrl\+Alt\+G releases/);
    await page.click('#screen');
    expect(await page.textContent('#capture-hint')).toMatch(/captured — Ctrl\+Alt\+G releases/);
    expect(await page.getAttribute('#screen', 'class')).toContain('captured');
    // The click that captures happened before the capture: the mouse sent nothing for it.
    expect(deviceBytes((await serialOf(page)).slice(packetsFrom), 'm')).toEqual([]);
    const from = (await serialOf(page)).length;
    await page.keyboard.press('a');
    await waitSerial(
      page,
      new RegExp(`k${SCAN_A.toString(16).toUpperCase()} k${(SCAN_A | BREAK).toString(16).toUpperCase()} `),
      INPUT_TIMEOUT_MS,
      from,
    );
    // The release combination: the guest sees Ctrl and Alt go down and up again, never the G.
    await page.keyboard.down('Control');
    await page.keyboard.down('Alt');
    await page.keyboard.press('g');
    await page.keyboard.up('Alt');
    await page.keyboard.up('Control');
    expect(await page.textContent('#capture-hint')).toMatch(/click the screen to capture/);
    expect(await page.getAttribute('#screen', 'class')).not.toContain('captured');
    const log = await waitSerial(page, new RegExp(`k${(SCAN_ALT | BREAK).toString(16).toUpperCase()} `), INPUT_TIMEOUT_MS, from);
    const keys = deviceBytes(log, 'k');
    expect(keys).toEqual(expect.arrayContaining([SCAN_CTRL, SCAN_ALT, SCAN_CTRL | BREAK, SCAN_ALT | BREAK]));
    expect(keys).not.toContain(SCAN_G);
    // Released: typing on the page no longer reaches the guest.
    const after = (await serialOf(page)).length;
    await page.keyboard.press('b');
    await page.waitForTimeout(1000);
    expect(deviceBytes((await serialOf(page)).slice(after), 'k')).not.toContain(SCAN_B);
  });

  it('sends pointer-lock motion, buttons and the wheel as IntelliMouse packets with the same deltas', async () => {
    const box = await page.locator('#screen').boundingBox();
    if (!box) throw new Error('no screen');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.click('#screen');
    expect(await page.evaluate(() => document.pointerLockElement?.id)).toBe('screen');
    // Count what the page sees from now on: the guest must receive exactly that.
    await page.evaluate(() => {
      const seen = { dx: 0, dy: 0, wheel: 0 };
      (window as unknown as { seen: typeof seen }).seen = seen;
      const s = document.getElementById('screen') as HTMLCanvasElement;
      s.addEventListener('mousemove', (e) => {
        seen.dx += e.movementX;
        seen.dy += e.movementY;
      });
      s.addEventListener('wheel', (e) => (seen.wheel += Math.sign(e.deltaY)));
    });
    const from = (await serialOf(page)).length;
    // Right and down, then left and up, a right click, two wheel steps towards the user.
    for (let i = 1; i <= 5; i++) await page.mouse.move(cx + 12 * i, cy + 7 * i);
    for (let i = 1; i <= 3; i++) await page.mouse.move(cx + 60 - 10 * i, cy + 35 - 25 * i);
    await page.mouse.down({ button: 'right' });
    await page.mouse.up({ button: 'right' });
    await page.mouse.wheel(0, 100);
    await page.mouse.wheel(0, 100);
    const seen = await page.evaluate(() => (window as unknown as { seen: { dx: number; dy: number; wheel: number } }).seen);
    expect(seen.dx).not.toBe(0);
    expect(seen.wheel).toBe(2);
    // Wait until the guest's packets add up to what the page saw.
    const deadline = Date.now() + INPUT_TIMEOUT_MS;
    let got: Packet[];
    for (;;) {
      got = packets(deviceBytes((await serialOf(page)).slice(from), 'm'));
      const sum = got.reduce((a, p) => ({ dx: a.dx + p.dx, dy: a.dy + p.dy, wheel: a.wheel + p.wheel }), { dx: 0, dy: 0, wheel: 0 });
      // PS/2 Y grows upwards, the DOM's downwards.
      if (sum.dx === seen.dx && sum.dy === -seen.dy && sum.wheel === seen.wheel) break;
      if (Date.now() > deadline)
        throw new Error(`the guest's packets add up to ${JSON.stringify(sum)}, the page saw ${JSON.stringify(seen)}`);
      await page.waitForTimeout(200);
    }
    expect(got.some((p) => p.buttons === PACKET_RIGHT)).toBe(true);
    expect(got.some((p) => p.buttons === PACKET_LEFT)).toBe(false);
    expect(got.at(-1)?.buttons).toBe(0);
    await page.keyboard.down('Control');
    await page.keyboard.down('Alt');
    await page.keyboard.press('g');
    await page.keyboard.up('Alt');
    await page.keyboard.up('Control');
    expect(await page.evaluate(() => document.pointerLockElement)).toBeNull();
  });

  it('shows the screen at a whole number of device pixels per guest pixel, pixelated, fitted to its panel', async () => {
    const measure = (
      p: Page,
    ): Promise<{ css: number; cssH: number; px: number; pxH: number; dpr: number; rendering: string; panel: number }> =>
      p.evaluate(() => {
        const c = document.getElementById('screen') as HTMLCanvasElement;
        const r = c.getBoundingClientRect();
        const panel = c.parentElement as HTMLElement;
        return {
          css: r.width,
          cssH: r.height,
          px: c.width,
          pxH: c.height,
          dpr: devicePixelRatio,
          rendering: getComputedStyle(c).imageRendering,
          panel: panel.clientWidth,
        };
      });
    // 720×400 text mode in a 1400 px wide window: 1×.
    let m = await measure(page);
    expect([m.px, m.pxH]).toEqual([720, 400]);
    expect(m.rendering).toBe('pixelated');
    expect((m.css * m.dpr) / m.px).toBe(1);
    expect((m.cssH * m.dpr) / m.pxH).toBe(1);
    // Wide enough for 2×: the scale follows the panel.
    await page.setViewportSize({ width: 2400, height: 1400 });
    await page.waitForFunction(() => document.getElementById('screen')?.getBoundingClientRect().width === 1440);
    m = await measure(page);
    expect(m.panel).toBeGreaterThanOrEqual(1440);
    // Too narrow for 1×: a smooth fit to the panel instead of overflowing it.
    await page.setViewportSize({ width: 900, height: 900 });
    await page.waitForFunction(() => (document.getElementById('screen')?.getBoundingClientRect().width ?? 720) < 720);
    m = await measure(page);
    expect(m.css).toBeLessThanOrEqual(m.panel);
    expect(m.rendering).toBe('auto');
    await page.setViewportSize({ width: 1400, height: 1000 });
    // On a 2× display the same panel shows 720 CSS pixels of 2 device pixels each.
    const hi = await launchChromium({ deviceScaleFactor: 2 });
    try {
      await hi.page.goto(server.base);
      const h = await measure(hi.page);
      expect(h.dpr).toBe(2);
      expect((h.css * h.dpr) / h.px).toBe(2);
      expect(h.rendering).toBe('pixelated');
    } finally {
      await hi.close();
    }
  });

  it('takes screenshots of the main and statistics views', async () => {
    await page.waitForSelector('tr[data-counter="instructions"]');
    await page.screenshot({ path: `${SHOTS}/main-view.png` });
    await page.locator('#stats').screenshot({ path: `${SHOTS}/stats-view.png` });
    await page.click('#btn-poweroff');
    await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('off'));
  });
});
