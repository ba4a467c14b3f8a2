// The browser app end to end (issue 6): vite builds the app, `vite preview`
// serves it, and Debian's chromium (driven by playwright-core) creates a
// machine from the default Linux image, boots it to the shell, types into the
// serial console, looks at the screen and the statistics, writes a floppy
// and a file on its data disk (a FAT file system on /dev/sda), whose changes
// must survive a reload, pauses/resumes/resets/powers off the machine, boots
// it again after the reload to read the file back and deletes it, then opens
// the embedding page. One boot serves the app's tests up to the reload, a
// second one the reload's (Linux takes a minute or more on the interpreter). Before that,
// the "local helper" connection: `tabvm helper` runs machines that the page
// creates, controls and shows (serial console, screen, statistics).
//
// Needs /usr/bin/chromium (CI: apt-get install chromium), build/core.wasm and
// the prepared images (`tabvm images prepare`); skipped with a message otherwise.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STATS_SCHEMA } from '../../host/generated/stats-schema.js';
import { GUEST_PROMPT, imagesDir, readManifest } from '../../helper/images.js';
import {
  CHROMIUM,
  CLI_BUILT,
  ROOT,
  VITE,
  launchChromium,
  serialOf,
  startHelper,
  startOnHelper,
  waitSerial,
  type Browser,
} from './harness.js';

const BOOT_TIMEOUT_MS = 300_000;
const COMMAND_TIMEOUT_MS = 60_000;

function missing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(join(ROOT, 'build', 'core.wasm'))) return 'build/core.wasm is missing (npm run build:core)';
  const dir = imagesDir();
  if (!readManifest(dir) || !existsSync(join(dir, 'vmlinuz')))
    return `the prepared images are missing in ${dir} (node bin/tabvm images prepare)`;
  return undefined;
}
const why = missing();
if (why) console.warn(`test/web/browser.test.ts skipped: ${why}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function typeCommand(page: Page, command: string, expect: RegExp): Promise<string> {
  const from = (await serialOf(page)).length;
  await page.click('#terminal');
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  return waitSerial(page, expect, COMMAND_TIMEOUT_MS, from);
}

/** A Multiboot a.out-kludge kernel at 1 MiB that writes `text` to COM1, then echoes what COM1 receives until stopped. */
function serialEchoKernel(text: string): Uint8Array {
  const LOAD = 0x100000;
  const HEADER = 32;
  const MAGIC = 0x1badb002;
  const FLAGS = 0x00010000; // bit 16: the address fields are valid
  // mov esi, msg; mov dx, 0x3f8; next: lodsb; test al, al; jz echo; out dx, al; jmp next;
  // echo: mov dx, 0x3fd; in al, dx; test al, 1 (LSR data ready); jz echo; mov dx, 0x3f8; in al, dx; out dx, al; jmp echo; msg: …
  const code = [
    ...[0xbe, 0, 0, 0, 0, 0x66, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8],
    ...[0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf7, 0x66, 0xba, 0xf8, 0x03, 0xec, 0xee, 0xeb, 0xef],
  ];
  const msg = new TextEncoder().encode(text + '\0');
  const b = new Uint8Array(HEADER + code.length + msg.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FLAGS, true);
  dv.setUint32(8, -(MAGIC + FLAGS) >>> 0, true);
  dv.setUint32(12, LOAD, true); // header_addr
  dv.setUint32(16, LOAD, true); // load_addr
  dv.setUint32(20, 0, true); // load_end_addr: the whole file
  dv.setUint32(24, 0, true); // bss_end_addr: none
  dv.setUint32(28, LOAD + HEADER, true); // entry
  b.set(code, HEADER);
  dv.setUint32(HEADER + 1, LOAD + HEADER + code.length, true);
  b.set(msg, HEADER + code.length);
  return b;
}

/** A 1 MiB disk whose boot sector prints a line on the screen through the BIOS and then spins. */
function screenSpinDisk(text: string): Uint8Array {
  const disk = new Uint8Array(1024 * 1024);
  // mov si, msg; lodsb; or al, al; jz spin; mov ah, 0Eh; int 10h; jmp print; spin: jmp spin
  const code = [0xbe, 0x00, 0x00, 0xac, 0x08, 0xc0, 0x74, 0x06, 0xb4, 0x0e, 0xcd, 0x10, 0xeb, 0xf5, 0xeb, 0xfe];
  const msgAt = 0x7c00 + code.length;
  code[1] = msgAt & 0xff;
  code[2] = msgAt >> 8;
  disk.set(code, 0);
  disk.set(new TextEncoder().encode(text + '\0'), code.length);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}

const counterValue = async (page: Page, name: string): Promise<number> =>
  Number(((await page.textContent(`tr[data-counter="${name}"] td.value:not(.rate)`)) ?? '').replace(/,/g, ''));

describe.skipIf(why !== undefined)('the browser app', () => {
  let server: ChildProcess | undefined;
  let browser: Browser;
  let page: Page;
  let base = '';
  let machineId = '';
  const marker = `TABVM-PERSIST-${Math.floor(Math.random() * 1e9)}`;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [VITE, 'build', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}\n${build.stderr}`);
    const port = await freePort();
    server = spawn(process.execPath, [VITE, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
      cwd: ROOT,
      stdio: 'ignore',
      detached: true,
    });
    base = `http://127.0.0.1:${port}/`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(base)).ok) break;
      } catch {
        if (i > 100) throw new Error('vite preview did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium({ viewport: { width: 1280, height: 720 } });
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    if (server?.pid) process.kill(-server.pid);
  });

  describe.skipIf(!existsSync(CLI_BUILT))('connected to the local helper', () => {
    let helper: ChildProcess | undefined;
    let helperUrl = '';
    let folder = '';
    const greeting = `hello from the helper ${Math.floor(Math.random() * 1e9)}`;

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'tabvm-web-helper-'));
      writeFileSync(join(folder, 'serial-echo.elf'), serialEchoKernel(greeting));
      writeFileSync(join(folder, 'screen-spin.img'), screenSpinDisk('tabvm helper screen'));
      // The preview server's origin must be allowed: it is not one of the default ports.
      ({ child: helper, url: helperUrl } = await startHelper(['--images', folder, '--origin', new URL(base).origin]));
    });

    afterAll(() => {
      helper?.kill('SIGTERM');
      if (folder) rmSync(folder, { recursive: true, force: true });
    });

    it('explains in the page a helper that is not running, a wrong token, a refused origin and a URL without token', async () => {
      await page.goto(base);
      const tryConnect = async (url: string): Promise<string> => {
        await page.evaluate(() => {
          const e = document.getElementById('error') as HTMLElement;
          e.hidden = true;
          e.textContent = '';
        });
        await page.fill('#helper-url', url);
        await page.click('#helper-connect');
        await page.waitForSelector('#error:not([hidden])');
        expect(await page.isHidden('#helper-view')).toBe(true);
        return (await page.textContent('#error')) ?? '';
      };
      // Port 9 (discard) refuses connections: nothing listens there.
      expect(await tryConnect('ws://127.0.0.1:9/?token=abc')).toMatch(/nothing answers there as tabvm helper\. Start it/);
      const wrong = new URL(helperUrl);
      wrong.searchParams.set('token', 'not-the-token');
      expect(await tryConnect(wrong.href)).toMatch(/refused the token: the token is wrong/);
      const origin = new URL(base).origin;
      // A helper with the default allow-list (the dev and preview servers' usual ports) refuses this page.
      const strict = await startHelper(['--images', folder]);
      try {
        const text = await tryConnect(strict.url);
        expect(text).toContain(`refused this page's origin ${origin}`);
        expect(text).toContain(`tabvm helper --origin ${origin}`);
      } finally {
        strict.child.kill('SIGTERM');
      }
      expect(await tryConnect(helperUrl.replace(/\?.*$/, ''))).toMatch(/The URL has no token/);
    });

    it('lists the helper engines and images, runs a machine there and shows its serial console and statistics', async () => {
      await page.fill('#helper-url', helperUrl);
      await page.click('#helper-connect');
      await page.waitForSelector('#helper-view:not([hidden])');
      expect(await page.textContent('#error')).toBe('');
      // Every engine with its availability; the Wasm engine always runs.
      const engines = await page.$$eval('#helper-engines li', (lis) => lis.map((l) => [(l as HTMLElement).dataset.engine, l.textContent]));
      expect(engines.map((e) => e[0])).toEqual(['kvm', 'kqemu', 'wasm']);
      expect(engines.find((e) => e[0] === 'wasm')?.[1]).toMatch(/available/);
      for (const [, text] of engines) expect(text).toMatch(/: available|unavailable — \S/);
      const images = await page.$$eval('select[name="image"] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(images.sort()).toEqual(['screen-spin.img', 'serial-echo.elf']);
      await page.selectOption('select[name="image"]', 'serial-echo.elf');
      expect(await page.inputValue('select[name="kind"]')).toBe('multiboot');
      await page.selectOption('select[name="engine"]', 'wasm');
      await page.fill('#helper-create input[name="memMiB"]', '16');
      await page.fill('#helper-create input[name="name"]', 'serial on the helper');
      await page.click('#helper-create-btn');
      await page.waitForSelector('#helper-machines li.machine');
      expect(await page.textContent('#vm-state')).toBe('created');
      await page.click('#btn-start');
      // The guest's COM1 bytes reach the page's console.
      await page.waitForFunction(
        (want) =>
          (window as unknown as { tabvm: { helper?: { machines: Map<number, { serialLog: string }> } } }).tabvm.helper?.machines
            .values()
            .next()
            .value?.serialLog.includes(want),
        greeting,
        { timeout: 30_000 },
      );
      await page.waitForFunction((want) => document.getElementById('terminal')?.textContent?.includes(want), greeting);
      // What is typed into the console reaches the guest's COM1 (serial-in), which echoes it.
      await page.click('#terminal');
      await page.keyboard.type('typed-42');
      await page.waitForFunction(
        (want) =>
          (window as unknown as { tabvm: { helper?: { machines: Map<number, { serialLog: string }> } } }).tabvm.helper?.machines
            .values()
            .next()
            .value?.serialLog.endsWith(want),
        `${greeting}typed-42`,
        { timeout: 10_000 },
      );
      expect(await page.textContent('#vm-state')).toBe('running');
      // The helper's counters in the statistics view, moving while the guest spins.
      await page.waitForSelector('tr[data-counter="instructions"]', { timeout: 10_000 });
      const a = await counterValue(page, 'instructions');
      await page.waitForFunction(
        (was) => Number(document.querySelector('tr[data-counter="instructions"] td.value')?.textContent?.replace(/,/g, '')) > was,
        a,
        { timeout: 10_000 },
      );
      await page.click('#btn-pause');
      await page.waitForFunction(() => document.getElementById('vm-state')?.textContent === 'paused');
      await page.click('#btn-pause'); // now "Resume"
      await page.waitForFunction(() => document.getElementById('vm-state')?.textContent === 'running');
      await page.click('#btn-poweroff');
      await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('stopped'));
      await page.click('#btn-delete');
      await page.waitForFunction(() => document.querySelectorAll('#helper-machines li.machine').length === 0);
    }, 60_000);

    it('draws the screen of a machine on the helper from its deflated rectangles', async () => {
      expect(await startOnHelper(page, 'screen-spin.img')).toBe('hda');
      // SeaBIOS's banner and the boot sector's line in 720×400 text mode: enough lit pixels, and the size the helper sent.
      await page.waitForFunction(
        () => {
          const c = document.getElementById('screen') as HTMLCanvasElement;
          if (c.width !== 720 || c.height !== 400) return false;
          const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
          let lit = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 0) lit++;
          return lit > 1000;
        },
        null,
        { timeout: 40_000, polling: 500 },
      );
      await page.click('#btn-delete');
      await page.waitForFunction(() => document.querySelectorAll('#helper-machines li.machine').length === 0);
      await page.click('#helper-disconnect');
      await page.waitForSelector('#helper-view[hidden]', { state: 'attached' });
    }, 60_000);
  });

  it('serves the images with HTTP range requests', async () => {
    const r = await fetch(`${base}images/vmlinuz`, { headers: { Range: 'bytes=514-517' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toMatch(/^bytes 514-517\/\d+$/);
    expect(new TextDecoder().decode(await r.arrayBuffer())).toBe('HdrS');
    const bad = await fetch(`${base}images/vmlinuz`, { headers: { Range: 'bytes=999999999-' } });
    expect(bad.status).toBe(416);
  });

  it(
    'creates a machine from the default image and boots it to the shell prompt',
    async () => {
      await page.goto(base);
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      await page.click('#create-default');
      await page.waitForSelector('#machine-list li.machine');
      machineId = (await page.getAttribute('#machine-list li.machine', 'data-id')) ?? '';
      // A blank floppy and the floppy driver (appended to the initramfs) give the guest a disk to write.
      await page.click('#btn-edit');
      const initrd = await page.inputValue('input[name="initrdUrl"]');
      await page.fill('input[name="initrdUrl"]', `${initrd} ${base}images/floppy-module.cpio`);
      await page.selectOption('select[name="blankSlot"]', 'fda');
      await page.fill('input[name="memoryMiB"]', '96');
      await page.click('#editor-save');
      await page.waitForFunction(() => !(document.getElementById('btn-start') as HTMLButtonElement).disabled);
      await page.click('#btn-start');
      await waitSerial(page, new RegExp(GUEST_PROMPT.replace(/[#$]/g, '\\$&')), BOOT_TIMEOUT_MS);
      await page.waitForFunction(() => /running/.test(document.getElementById('vm-state')?.textContent ?? ''));
    },
    BOOT_TIMEOUT_MS + 30_000,
  );

  it('runs a command typed into the serial console and shows its output', async () => {
    const out = await typeCommand(page, 'echo $((6*7))-answer; uname -r', /42-answer\r?\n.*686/);
    expect(out).toMatch(/6\.1\.\S+-686/);
  });

  it('draws the VGA screen and holds the kernel messages in the text-mode buffer', async () => {
    const shot = await page.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 0) lit++;
      const t = (window as unknown as { tabvm: { running: Map<string, { textScreen(): string[] }>; selected: string } }).tabvm;
      return { width: c.width, height: c.height, lit, text: t.running.get(t.selected)?.textScreen() ?? [] };
    });
    expect(shot.width).toBe(720);
    expect(shot.height).toBe(400);
    expect(shot.lit).toBeGreaterThan(1000);
    // console=tty0: the kernel's log, with its [seconds.micro] stamps, is on the screen.
    expect(shot.text.join('\n')).toMatch(/\[\s*\d+\.\d{6}\] /);
  });

  it('updates every counter of the statistics view', async () => {
    await page.waitForSelector('tr[data-counter="instructions"]');
    const rows = await page.$$eval('#stats-table tbody tr', (trs) => trs.map((t) => (t as HTMLElement).dataset.counter));
    for (const s of STATS_SCHEMA) expect(rows).toContain(s.name);
    const a = await counterValue(page, 'instructions');
    await page.waitForTimeout(2500);
    const b = await counterValue(page, 'instructions');
    expect(b).toBeGreaterThan(a);
    expect(await page.textContent('tr[data-counter="instructions"] td.rate')).not.toBe('');
    // The default machine runs the JIT, as the CLI does: the worker says so, and compiled code ran during the boot.
    const engine = await page.evaluate(() => {
      const t = (window as unknown as { tabvm: { running: Map<string, { engine?: string }>; selected: string } }).tabvm;
      return t.running.get(t.selected)?.engine;
    });
    expect(engine).toBe('jit');
    expect(await counterValue(page, 'jit_compiles')).toBeGreaterThan(0);
    expect(await counterValue(page, 'jit_instructions')).toBeGreaterThan(0);
  });

  it('writes the guest floppy and a file on its data disk through the copy-on-write overlay', async () => {
    await typeCommand(
      page,
      `insmod /lib/modules/floppy.ko; echo ${marker} | dd of=/dev/fd0 conv=sync 2>/dev/null; sync; echo written-$((2+3))`,
      /written-5/,
    );
    const back = await typeCommand(page, 'dd if=/dev/fd0 bs=512 count=1 2>/dev/null | head -c 40; echo; echo read-$((3+4))', /read-7/);
    expect(back).toContain(marker);
    // The data disk (the default machine's blank hda, /dev/sda): a FAT file system with a file, read back after the reload.
    await typeCommand(
      page,
      `tabvm-disks && mkdir -p /mnt && mkdosfs -n DATA /dev/sda >/dev/null && mount -t vfat /dev/sda /mnt && echo ${marker} > /mnt/NOTE.TXT && umount /mnt && sync && echo saved-$((4+5))`,
      /saved-9/,
    );
  }, 120_000);

  it('pauses, resumes, sends Ctrl-Alt-Del, resets and powers off the machine from the toolbar', async () => {
    await page.click('#btn-pause');
    await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('paused'));
    await page.waitForTimeout(1500);
    const a = await counterValue(page, 'instructions');
    await page.waitForTimeout(2000);
    expect(await counterValue(page, 'instructions')).toBe(a);
    await page.click('#btn-pause'); // now "Resume"
    await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('running'));
    // Ctrl-Alt-Del on the PS/2 keyboard: the kernel's keyboard driver restarts the machine (a guest reset).
    const resets = (n: number): Promise<unknown> =>
      page.waitForFunction((want) => document.querySelector('tr[data-counter="resets"] td.value')?.textContent === String(want), n, {
        timeout: 30_000,
      });
    const from = (await serialOf(page)).length;
    await page.click('#btn-cad');
    await waitSerial(page, /reboot: Restarting system/, 30_000, from);
    await resets(1);
    await page.click('#btn-reset');
    await resets(2);
    await page.click('#btn-poweroff');
    await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('off'));
  });

  it(
    'keeps the machine and the disk the guest wrote across a reload, then deletes it',
    async () => {
      await page.reload();
      await page.waitForSelector(`#machine-list li.machine[data-id="${machineId}"]`);
      // After it: the machine boots again, and the file the guest wrote is on its disk.
      await page.click(`#machine-list li.machine[data-id="${machineId}"]`);
      await page.waitForFunction(() => !(document.getElementById('btn-start') as HTMLButtonElement).disabled);
      await page.click('#btn-start');
      await waitSerial(page, new RegExp(GUEST_PROMPT.replace(/[#$]/g, '\\$&')), BOOT_TIMEOUT_MS);
      const back = await typeCommand(
        page,
        'tabvm-disks && mkdir -p /mnt && mount -t vfat /dev/sda /mnt && cat /mnt/NOTE.TXT; umount /mnt; echo read-$((5+6))',
        /read-11/,
      );
      expect(back).toContain(marker);
      await page.click('#btn-poweroff');
      await page.waitForFunction(() => document.getElementById('vm-state')?.textContent?.startsWith('off'));
      const saved = await page.evaluate(
        ([id]) =>
          (window as unknown as { tabvm: { overlayText(id: string, slot: string): Promise<Record<number, string>> } }).tabvm.overlayText(
            id,
            'fda',
          ),
        [machineId],
      );
      expect(saved[0]).toContain(marker);
      expect(await page.getAttribute(`#machine-list li.machine[data-id="${machineId}"] img`, 'src')).toMatch(/^data:image\/png/);
      await page.click('#btn-delete');
      await page.waitForFunction(() => document.querySelectorAll('#machine-list li.machine').length === 0);
      for (const slot of ['fda', 'hda']) {
        const gone = await page.evaluate(
          ([id, s]) =>
            (window as unknown as { tabvm: { overlayText(id: string, slot: string): Promise<Record<number, string>> } }).tabvm.overlayText(
              id,
              s,
            ),
          [machineId, slot],
        );
        expect(Object.keys(gone)).toHaveLength(0);
      }
    },
    BOOT_TIMEOUT_MS + 60_000,
  );

  it('explains an image that cannot be loaded', async () => {
    await page.click('#create-default');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-edit');
    // Port 9 (discard) refuses the connection: a network error, not an HTTP answer.
    await page.fill('input[name="kernelUrl"]', 'http://127.0.0.1:9/vmlinuz');
    await page.click('#editor-save');
    await page.waitForFunction(() => !(document.getElementById('btn-start') as HTMLButtonElement).disabled);
    await page.click('#btn-start');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/could not start: could not load the kernel from http:\/\/127\.0\.0\.1:9\/vmlinuz/);
    await page.click('#btn-delete');
    await page.waitForFunction(() => document.querySelectorAll('#machine-list li.machine').length === 0);
  });

  it('boots SeaBIOS from a CD image given by URL, reading it lazily with range requests', async () => {
    await page.fill('#url-input', `${base}images/tabvm.iso`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('#machine-list li.machine');
    await page.click('#btn-start');
    // The firmware's banner on the screen, then the CD's boot sectors fetched by Range requests.
    await page.waitForFunction(
      () => {
        const t = (window as unknown as { tabvm: { running: Map<string, { textScreen(): string[] | undefined }>; selected: string } })
          .tabvm;
        return /SeaBIOS/.test((t.running.get(t.selected)?.textScreen() ?? []).join('\n'));
      },
      null,
      { timeout: 90_000, polling: 500 },
    );
    await page.waitForFunction(
      () => Number(document.querySelector('tr[data-counter="disk_bytes_downloaded"] td.value')?.textContent?.replace(/,/g, '')) > 0,
      null,
      {
        timeout: 90_000,
        polling: 500,
      },
    );
    const size = Number((await fetch(`${base}images/tabvm.iso`, { method: 'HEAD' })).headers.get('content-length'));
    expect(await counterValue(page, 'disk_bytes_downloaded')).toBeLessThan(size);
    await page.click('#btn-delete');
    await page.waitForFunction(() => document.querySelectorAll('#machine-list li.machine').length === 0);
  }, 200_000);

  it('boots the two machines of the embedding page', async () => {
    await page.goto(`${base}embed.html?autostart`);
    type Machine = { state: string; textScreen(): string[] | undefined; stats(): { name: string; value: number }[] };
    const probe = (): Promise<{ state: string; text: string; instructions: number }[]> =>
      page.evaluate(() => {
        const el = document.getElementById('vm-serial') as unknown as { machine?: Machine };
        const api = (window as unknown as { apiMachine?: Machine }).apiMachine;
        return [el.machine, api].map((m) => ({
          state: m?.state ?? 'absent',
          text: (m?.textScreen() ?? []).join('\n'),
          instructions: m?.stats().find((s) => s.name === 'instructions')?.value ?? 0,
        }));
      });
    // Both kernels start: each machine's screen shows the kernel's first words (the decompressor
    // writes to the text screen) and its instruction counter moves.
    await page.waitForFunction(
      () => {
        const el = document.getElementById('vm-serial') as unknown as { machine?: Machine };
        const api = (window as unknown as { apiMachine?: Machine }).apiMachine;
        return [el.machine, api].every((m) => /\S{8}/.test((m?.textScreen() ?? []).join('\n')));
      },
      null,
      { timeout: 120_000, polling: 500 },
    );
    const first = await probe();
    await page.waitForTimeout(2000);
    const later = await probe();
    for (let i = 0; i < 2; i++) {
      expect(later[i].state).toBe('running');
      expect(later[i].instructions).toBeGreaterThan(first[i].instructions);
    }
  }, 150_000);
});
