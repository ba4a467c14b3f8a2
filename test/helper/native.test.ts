// The native addon (helper/native) on ordinary files and devices: the system
// calls behave as the KVM engine relies on, and a missing /dev/kvm or
// /dev/kqemu is reported with ENOENT and a message naming the device.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { afterAll, describe, expect, it } from 'vitest';

import {
  MAP_PRIVATE,
  MAP_SHARED,
  NativeError,
  O_RDONLY,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  bufferAddress,
  closeFd,
  ioctl,
  ioctlRaw,
  loadNative,
  mmapFd,
  munmap,
  native,
  openDevice,
} from '../../helper/native.js';

/** <asm-generic/ioctls.h>: bytes readable now (an int written through the pointer). */
const FIONREAD = 0x541b;
const PAGE = 4096;
const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'helper', 'native', 'build', 'Release', 'tabvm_native.node');
const addon = loadNative();
const work = mkdtempSync(join(tmpdir(), 'tabvm-native-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!addon.addon)(`native addon${addon.why ? ` (skipped: ${addon.why})` : ''}`, () => {
  it('open of a missing device fails with ENOENT and names the device', () => {
    const missing = join(work, 'no-such-kvm');
    let err: unknown;
    try {
      openDevice(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NativeError);
    expect((err as NativeError).code).toBe('ENOENT');
    expect((err as NativeError).message).toBe(`open ${missing}: ENOENT (no such device or file)`);
  });

  it('an ioctl with a buffer argument writes through the pointer (FIONREAD on a file)', () => {
    const path = join(work, 'data');
    writeFileSync(path, 'x'.repeat(1234));
    const fd = openDevice(path, O_RDONLY);
    try {
      const out = new Int32Array(1);
      expect(ioctl(fd, FIONREAD, out, 'FIONREAD')).toBe(0);
      expect(out[0]).toBe(1234);
    } finally {
      closeFd(fd);
    }
  });

  it('an ioctl a device does not know returns -ENOTTY raw, and throws with the ioctl name', () => {
    const fd = openDevice('/dev/zero', O_RDWR);
    try {
      expect(ioctlRaw(fd, 0xae01, 0)).toBe(-25);
      expect(() => ioctl(fd, 0xae01, 0, 'KVM_CREATE_VM')).toThrow('KVM_CREATE_VM: ENOTTY (inappropriate ioctl for this device)');
    } finally {
      closeFd(fd);
    }
  });

  it('mmap of /dev/zero gives zeroed writable pages; munmap detaches the buffer', () => {
    const fd = openDevice('/dev/zero', O_RDWR);
    const buf = mmapFd(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    closeFd(fd);
    const bytes = new Uint8Array(buf);
    expect(bytes.length).toBe(2 * PAGE);
    expect(bytes.every((b) => b === 0)).toBe(true);
    bytes[PAGE + 7] = 0x5a;
    expect(new Uint8Array(buf)[PAGE + 7]).toBe(0x5a);
    expect(Number(bufferAddress(buf)) % PAGE).toBe(0);
    munmap(buf);
    expect(buf.byteLength).toBe(0);
    expect(() => munmap(buf)).toThrow('EINVAL');
  });

  it('a shared mapping of a file shows the file and writes reach it', () => {
    const path = join(work, 'shared');
    writeFileSync(path, Buffer.alloc(PAGE, 0x11));
    const fd = openDevice(path, O_RDWR);
    const buf = mmapFd(fd, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    const view = new Uint8Array(buf);
    expect(view[100]).toBe(0x11);
    view[100] = 0x22;
    munmap(buf);
    closeFd(fd);
    expect(readFileSync(path)[100]).toBe(0x22);
  });

  it('mmap failures come back as errno (a zero length is EINVAL, a bad fd EBADF)', () => {
    expect(() => mmapFd(-1, PAGE, PROT_READ, MAP_PRIVATE)).toThrow('EBADF');
    expect(native().mmap(0, 0, PROT_READ, MAP_PRIVATE, 0)).toBe(-22);
  });

  it('a WebAssembly.Memory buffer is page-aligned and its address is stable across views', () => {
    const mem = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
    const base = bufferAddress(mem.buffer);
    expect(base % BigInt(PAGE)).toBe(0n);
    expect(bufferAddress(new Uint8Array(mem.buffer, PAGE, 16))).toBe(base + BigInt(PAGE));
  });

  it('a kick signals another thread, whose no-op handler keeps it running', async () => {
    // (That KVM_RUN then returns EINTR is tested where /dev/kvm exists: test/helper/kvm.test.ts.)
    expect(native().installKickHandler()).toBeGreaterThan(0);
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.path);
      parentPort.postMessage(addon.threadSelf());
      parentPort.on('message', () => parentPort.postMessage('alive'));
    `,
      { eval: true, workerData: { path: ADDON_PATH } },
    );
    try {
      const tid = await new Promise<bigint>((r) => worker.once('message', r));
      expect(typeof tid).toBe('bigint');
      expect(native().kick(tid)).toBe(0);
      worker.postMessage('ping');
      expect(await new Promise((r) => worker.once('message', r))).toBe('alive');
    } finally {
      await worker.terminate();
    }
  });
});

describe('without the addon', () => {
  it('loadNative explains what is missing instead of throwing', () => {
    const n = loadNative();
    expect(n.addon !== undefined || /native addon|Linux/.test(n.why as string)).toBe(true);
  });
});
