// A person's own images and disk changes in the app (issue 6, "Machine
// manager" and "Errors a person can act on"): an ISO picked with the file
// picker boots through SeaBIOS to ISOLINUX; a floppy picked the same way and
// a hard disk dropped on the page boot a guest (guests/disk-marker.asm) that
// shows and rewrites its disk's second sector; the floppy's changes are
// exported as a download, imported into the dropped disk's machine, which
// then boots with them; a foreign or truncated export is refused with a
// message and nothing changes; a full browser storage (a real quota error,
// through Chromium's quota override) is explained while the machine keeps
// running, and the changes are saved once there is room again.

import { readFileSync } from 'node:fs';

import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeOverlay } from '../../web/lib/disks.js';
import { SECTOR, guestDisk, openApp, preparedImage, serialOf, waitScreen, waitSerial, webMissing, type AppSession } from './harness.js';

const why = webMissing();
if (why) console.warn(`test/web/ui-files.test.ts skipped: ${why}`);

const MIB = 1024 * 1024;
const FLOPPY_144 = 1474560;
const BOOT_TIMEOUT_MS = 60_000;
const SAVE_TIMEOUT_MS = 15_000;
/** Chromium closes an origin's IndexedDB backing store this long after its last connection. */
const IDB_CLOSE_MS = 3000;

type TabvmWindow = {
  tabvm: { selected: string; overlayText(id: string, slot: string, bytesPerBlock?: number): Promise<Record<number, string>> };
};

/** The selected machine's id. */
const selectedId = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as TabvmWindow).tabvm.selected);

/** The text at the disk's second sector (the marker) in the saved overlay of block 0, or ''. */
async function savedMarker(page: Page, id: string, slot: string): Promise<string> {
  const blocks = await page.evaluate(([i, s, n]) => (window as unknown as TabvmWindow).tabvm.overlayText(i, s, n), [
    id,
    slot,
    2 * SECTOR,
  ] as const);
  return (blocks[0] ?? '').slice(SECTOR).replace(/\0.*$/s, '');
}

async function startSelected(page: Page): Promise<void> {
  await page.waitForFunction(() => !(document.getElementById('btn-start') as HTMLButtonElement).disabled);
  await page.click('#btn-start');
}

async function powerOff(page: Page): Promise<void> {
  await page.click('#btn-poweroff');
  await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('off'));
}

/** Pick a file with the machine list's file picker and wait for its machine. */
async function pick(page: Page, name: string, buffer: Buffer): Promise<string> {
  const before = await page.$$eval('#machine-list li.machine', (l) => l.length);
  await page.setInputFiles('#file-input', { name, mimeType: 'application/octet-stream', buffer });
  await page.waitForFunction((n) => document.querySelectorAll('#machine-list li.machine').length > n, before);
  return selectedId(page);
}

describe.skipIf(why !== undefined)("a person's images and disk changes", () => {
  let app: AppSession;
  let page: Page;
  let cdp: CDPSession;
  let floppyId = '';
  let droppedId = '';
  let exported: Buffer;

  beforeAll(async () => {
    app = await openApp();
    page = app.page;
    cdp = await app.browser.context.newCDPSession(page);
    await page.goto(app.server.base);
  });

  afterAll(() => app?.close());

  it('boots an ISO picked with the file picker through SeaBIOS to ISOLINUX', async () => {
    await pick(page, 'tabvm.iso', preparedImage('tabvm.iso'));
    expect(await page.textContent('#machine-list li.machine.selected small')).toBe('128 MiB, SeaBIOS, 1 disk');
    await startSelected(page);
    await waitScreen(page, /ISOLINUX/, BOOT_TIMEOUT_MS);
    await powerOff(page);
  });

  it('boots a floppy picked with the file picker; its writes reach the saved overlay', async () => {
    floppyId = await pick(page, 'marker.img', Buffer.from(guestDisk('disk-marker', FLOPPY_144)));
    await startSelected(page);
    const log = await waitSerial(page, /WROTE: MARK 1/, BOOT_TIMEOUT_MS);
    expect(log).toMatch(/BEFORE: \r\n/);
    await powerOff(page);
    expect(await savedMarker(page, floppyId, 'fda')).toBe('MARK 1');
  });

  it('exports the floppy changes as a download of the changed blocks', async () => {
    await page.click('#btn-edit');
    expect(await page.textContent('#editor-disks li')).toMatch(/^fda: file marker\.img/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#editor-disks li button:text("Export changes")')]);
    expect(download.suggestedFilename()).toBe('marker.img-fda.tabvm-overlay');
    exported = readFileSync((await download.path()) as string);
    await page.click('#editor button[value="cancel"]');
    const blocks = decodeOverlay(new Uint8Array(exported));
    // The guest wrote one sector: one 4 KiB block changed, the others are the image's.
    expect(blocks.map(([n]) => n)).toEqual([0]);
    expect(new TextDecoder().decode(blocks[0][1].subarray(SECTOR, SECTOR + 6))).toBe('MARK 1');
  });

  it('creates a machine from a dropped disk, imports the exported changes, and boots with them', async () => {
    const disk = Buffer.from(guestDisk('disk-marker', MIB)).toString('base64');
    const before = await page.$$eval('#machine-list li.machine', (l) => l.length);
    // What a drag from the file manager delivers: a drop event whose DataTransfer holds the file.
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.img', { type: 'application/octet-stream' }));
      const zone = document.getElementById('drop-zone') as HTMLElement;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, disk);
    await page.waitForFunction((n) => document.querySelectorAll('#machine-list li.machine').length > n, before);
    droppedId = await selectedId(page);
    expect(await page.textContent('#vm-name')).toBe('dropped.img');
    await page.click('#btn-edit');
    expect(await page.textContent('#editor-disks li')).toMatch(/^hda: file dropped\.img/);
    const dialogs: string[] = [];
    page.on('dialog', (d) => dialogs.push(d.message()));
    await page.setInputFiles('#editor-disks li input[type="file"]', {
      name: 'x.tabvm-overlay',
      mimeType: 'application/octet-stream',
      buffer: exported,
    });
    await expect.poll(() => dialogs).toContain('Imported 1 changed blocks.');
    await page.click('#editor button[value="cancel"]');
    expect(await savedMarker(page, droppedId, 'hda')).toBe('MARK 1');
    await startSelected(page);
    const log = await waitSerial(page, /WROTE: MARK 2/, BOOT_TIMEOUT_MS);
    expect(log).toMatch(/BEFORE: MARK 1\r\n/);
    await powerOff(page);
    expect(await savedMarker(page, droppedId, 'hda')).toBe('MARK 2');
  });

  it('refuses a foreign or truncated export with a message and keeps the disk as it was', async () => {
    await page.click('#btn-edit');
    const tryImport = async (buffer: Buffer): Promise<string> => {
      await page.setInputFiles('#editor-disks li input[type="file"]', {
        name: 'bad.tabvm-overlay',
        mimeType: 'application/octet-stream',
        buffer,
      });
      await page.waitForSelector('#error:not([hidden])');
      const text = (await page.textContent('#error')) ?? '';
      await page.evaluate(() => ((document.getElementById('error') as HTMLElement).hidden = true));
      return text;
    };
    expect(await tryImport(Buffer.from('PK\x03\x04 this is a zip file, not an overlay'))).toMatch(/not a tabvm overlay export/);
    expect(await tryImport(exported.subarray(0, exported.length - 100))).toMatch(/the overlay export is truncated/);
    await page.click('#editor button[value="cancel"]');
    expect(await savedMarker(page, droppedId, 'hda')).toBe('MARK 2');
    expect(await savedMarker(page, floppyId, 'fda')).toBe('MARK 1');
  });

  it('explains a full browser storage, keeps the machine running and saves its changes once there is room', async () => {
    const origin = new URL(app.server.base).origin;
    const id = await pick(page, 'quota.img', Buffer.from(guestDisk('disk-marker', FLOPPY_144)));
    // A quota far below what the origin already uses (the ISO alone is 7 MB): every new write is refused.
    // IndexedDB keeps the room it last found while the origin's databases are open: close them first.
    await page.goto('about:blank');
    await page.waitForTimeout(IDB_CLOSE_MS);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1024 });
    try {
      await page.goto(app.server.base);
      await page.waitForSelector(`#machine-list li.machine[data-id="${id}"]`);
      // Storing another picked file: refused, explained, the list unchanged.
      const count = await page.$$eval('#machine-list li.machine', (l) => l.length);
      await page.setInputFiles('#file-input', { name: 'more.img', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MIB) });
      await page.waitForSelector('#error:not([hidden])');
      expect(await page.textContent('#error')).toMatch(/more\.img could not be stored: Browser storage is full/);
      expect(await page.$$eval('#machine-list li.machine', (l) => l.length)).toBe(count);
      // The guest writes its disk: the save fails, the page says so, the machine runs on.
      await page.click(`#machine-list li.machine[data-id="${id}"] .machine-name`);
      await startSelected(page);
      await waitSerial(page, /WROTE: MARK 1/, BOOT_TIMEOUT_MS);
      await page.waitForFunction(() => /browser storage is full/.test(document.getElementById('error')?.textContent ?? ''), null, {
        timeout: SAVE_TIMEOUT_MS,
      });
      expect(await page.textContent('#error')).toMatch(/quota\.img: fda: browser storage is full.*It keeps running/);
      expect(await page.textContent('#vm-state')).toMatch(/^running/);
      expect(await savedMarker(page, id, 'fda')).toBe('');
      // What was saved before is all there.
      expect(await savedMarker(page, droppedId, 'hda')).toBe('MARK 2');
      expect(await savedMarker(page, floppyId, 'fda')).toBe('MARK 1');
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    }
    // Room again: the retry saves the changes and the message goes away, with no action from the guest.
    await page.waitForSelector('#error', { state: 'hidden', timeout: SAVE_TIMEOUT_MS });
    expect(await savedMarker(page, id, 'fda')).toBe('MARK 1');
    expect(await serialOf(page)).toMatch(/WROTE: MARK 1/);
    await powerOff(page);
  });
});
