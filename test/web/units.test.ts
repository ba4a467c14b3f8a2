// The browser app's parts that run without a browser: the text mode the host
// sets up for kernels booted without firmware (rendered as a person would see
// it), the image server's Range parsing (RFC 9110 §14.1.2), the disk overlay
// export format, the US-layout typing table of sendKeys(), and the helper
// connection's URL check, boot-kind guess, error texts and screen inflation.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { createCore } from '../../host/core.js';
import { renderVga } from '../../host/vga-render.js';
import { findVgaFont, setVgaTextMode, FONT_HEIGHT } from '../../host/vga-text-mode.js';
import { parseRange } from '../../web/server/images-plugin.js';
import { decodeOverlay, encodeOverlay, OVERLAY_BLOCK } from '../../web/lib/disks.js';
import { DEFAULT_CMDLINE, shellOnSerial } from '../../web/lib/config.js';
import { imagesDir } from '../../helper/images.js';
import { deflateRawSync } from 'node:zlib';
import {
  RemoteVm,
  explainConnectFailure,
  guessBootKind,
  inflateRaw,
  parseHelperUrl,
  type HelperConnection,
} from '../../web/lib/helper-client.js';

const VGA_BIOS = join(imagesDir(), 'vgabios-stdvga.bin');
const haveBios = existsSync(VGA_BIOS);
const CELL_W = 9;
const CELL_H = 16;
const TEXT_BUFFER = 0xb8000;
const WHITE_ON_BLUE = 0x1f;

describe('VGA text mode for direct-boot kernels', () => {
  it.skipIf(!haveBios)('finds the 8x16 font in the VGA BIOS and shows text written to 0xB8000 with it', async () => {
    const font = findVgaFont(new Uint8Array(readFileSync(VGA_BIOS)));
    expect(font).toBeDefined();
    const core = await createCore({ memoryMiB: 4 });
    core.exports.resetDevices();
    setVgaTextMode(core, font as Uint8Array);
    const text = 'Hi!';
    [...text].forEach((ch, i) => core.exports.busWrite(TEXT_BUFFER + i * 2, (WHITE_ON_BLUE << 8) | ch.charCodeAt(0), 2));
    // Frame 8: the blinking cursor (at cell 0, lines 13-14 in mode 3) is in its off phase.
    const img = renderVga(core.memory.buffer, core.exports.getVgaDisplay(), { frame: 8 });
    expect([img.width, img.height]).toEqual([80 * CELL_W, 25 * CELL_H]);
    const px = new Uint32Array(img.rgba.buffer);
    // Every pixel of the three cells is foreground exactly where the glyph's bit is set: bright white
    // (DAC 0x3f) on blue (DAC 0x2a, 2/3 intensity), widened to 8 bits as QEMU's c6_to_8 does, as
    // RGBA words (little-endian: R in the low byte).
    const c6to8 = (v: number): number => (v << 2) | ((v & 1) << 1) | (v & 1);
    const rgba = (r: number, g: number, b: number): number => (0xff000000 | (c6to8(b) << 16) | (c6to8(g) << 8) | c6to8(r)) >>> 0;
    const WHITE = rgba(0x3f, 0x3f, 0x3f);
    const BLUE = rgba(0, 0, 0x2a);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      for (let y = 0; y < FONT_HEIGHT; y++) {
        const bits = (font as Uint8Array)[code * FONT_HEIGHT + y];
        for (let x = 0; x < 8; x++) {
          const p = px[y * img.width + i * CELL_W + x];
          expect(p, `char ${text[i]} line ${y} dot ${x}`).toBe((bits << x) & 0x80 ? WHITE : BLUE);
        }
      }
    }
    // The rest of the screen is blank (space on black).
    expect(px[24 * CELL_H * img.width + 79 * CELL_W]).toBe(0xff000000);
  });
});

describe('the image server', () => {
  it('parses one byte range of RFC 9110 and refuses unsatisfiable ones', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-0', 100)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=10-', 100)).toEqual({ start: 10, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBeNull();
    expect(parseRange('bytes=5-4', 100)).toBeNull();
    expect(parseRange('bytes=-0', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});

describe('the disk overlay export', () => {
  it('round-trips changed blocks and rejects damaged files', () => {
    const a = new Uint8Array(OVERLAY_BLOCK).fill(0xa5);
    const b = new Uint8Array(OVERLAY_BLOCK).map((_, i) => i & 0xff);
    const bytes = encodeOverlay([
      [3, a],
      [70000, b],
    ]);
    const back = decodeOverlay(bytes);
    expect(back.map(([n]) => n)).toEqual([3, 70000]);
    expect(back[0][1]).toEqual(a);
    expect(back[1][1]).toEqual(b);
    expect(() => decodeOverlay(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeOverlay(new Uint8Array(16))).toThrow(/not a tabvm overlay/);
  });
});

describe('the local helper connection', () => {
  it('accepts the URL tabvm helper prints and says what is wrong with other text', () => {
    const url = 'ws://127.0.0.1:41234/?token=3q2lAbCdEfGhIjKlMnOpQrStUvWxYz01';
    expect(parseHelperUrl(`  ${url}\n`)).toBe(url);
    expect(() => parseHelperUrl('127.0.0.1:41234')).toThrow(/is not a URL: paste the line "ws:/);
    expect(() => parseHelperUrl('http://127.0.0.1:41234/?token=x')).toThrow(/starts with ws:\/\/ \(this one starts with http:\/\/\)/);
    expect(() => parseHelperUrl('ws://127.0.0.1:41234/')).toThrow(/no token/);
    expect(() => parseHelperUrl('not a url')).toThrow(/is not a URL/);
  });

  it('guesses the boot kind from the image name and size', () => {
    expect(guessBootKind('hello.elf', 5321)).toBe('multiboot');
    expect(guessBootKind('vmlinuz', 7_000_000)).toBe('linux');
    expect(guessBootKind('debian.iso', 600_000_000)).toBe('cdrom');
    expect(guessBootKind('dos.img', 1474560)).toBe('fda');
    expect(guessBootKind('disk.img', 64 * 1024 * 1024)).toBe('hda');
  });

  it('names the mistake to fix for each way a connection fails', () => {
    const url = 'ws://127.0.0.1:41234/?token=secret-token';
    const origin = 'http://127.0.0.1:4173';
    const texts = [undefined, { originAllowed: false }, { originAllowed: true }].map((p) => explainConnectFailure(url, origin, p));
    expect(texts[0]).toMatch(/nothing answers there as tabvm helper/);
    expect(texts[1]).toContain(`tabvm helper --origin ${origin}`);
    expect(texts[2]).toMatch(/token is wrong/);
    for (const t of texts) expect(t).not.toContain('secret-token');
  });

  it('sums mouse motion into one report per 16 ms but sends button changes and key presses at once', async () => {
    const sent: Record<string, unknown>[] = [];
    const fake = {
      request: (type: string, fields: Record<string, unknown>) => (sent.push({ type, ...fields }), Promise.resolve({ type: 'ok' })),
    } as unknown as HelperConnection;
    const vm = new RemoteVm(fake, { id: 3, name: 'm', engine: 'wasm', memMiB: 16, state: 'running' });
    for (let i = 0; i < 10; i++) vm.mouse(1, -2, 0);
    expect(sent).toEqual([{ type: 'mouse', machine: 3, dx: 1, dy: -2, buttons: 0, wheel: 0 }]);
    await new Promise((r) => setTimeout(r, 40));
    expect(sent[1]).toEqual({ type: 'mouse', machine: 3, dx: 9, dy: -18, buttons: 0, wheel: 0 });
    vm.mouse(0, 0, 1);
    vm.mouse(5000, 0, 1, 20);
    expect(sent.slice(2)).toEqual([
      { type: 'mouse', machine: 3, dx: 0, dy: 0, buttons: 1, wheel: 0 },
      { type: 'mouse', machine: 3, dx: 1024, dy: 0, buttons: 1, wheel: 8 },
    ]);
    vm.key('KeyA', true);
    expect(sent[4]).toEqual({ type: 'key', machine: 3, code: 'KeyA', down: true });
  });

  it('inflates a raw-deflate screen rectangle as zlib deflateRaw wrote it', async () => {
    const px = new Uint8Array(32 * 32 * 4).map((_, i) => (i * 7) & 0xff);
    expect(await inflateRaw(new Uint8Array(deflateRawSync(px)))).toEqual(px);
  });
});

describe('the default Linux command line', () => {
  it("tells whether Linux's shell (on the last console=) is on a serial port", () => {
    expect(shellOnSerial(DEFAULT_CMDLINE)).toBe(true);
    expect(shellOnSerial('console=ttyS0 console=tty0 noapic')).toBe(false);
    expect(shellOnSerial('noapic xconsole=ttyS0')).toBe(false);
    expect(shellOnSerial('')).toBe(false);
  });
});
