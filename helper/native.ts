// The native addon (helper/native/native.cc) as typed functions with errno
// names, and the reason it is missing when it is (DESIGN §8).
//
// The addon returns -errno instead of throwing; these wrappers throw a
// NativeError (code 'ENOENT', ...) except ioctlRaw, which hot loops use.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  open(path: string, flags: number): number;
  close(fd: number): number;
  ioctl(fd: number, request: number, arg: number | bigint | ArrayBufferView | ArrayBuffer): number;
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  munmap(buffer: ArrayBuffer): number;
  address(bytes: ArrayBufferView | ArrayBuffer): bigint;
  installKickHandler(): number;
  threadSelf(): bigint;
  kick(thread: bigint): number;
  startTickTimer(periodMs: number): bigint | number;
  stopTickTimer(timer: bigint): number;
  pageSize(): number;
}

/** <fcntl.h> and <sys/mman.h> values on Linux (the same on every architecture Node runs KVM on). */
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;

const ADDON_FILE = join('helper', 'native', 'build', 'Release', 'tabvm_native.node');

/** The repository root: the nearest directory above this file with a package.json (works from helper/ and dist/helper/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return dirname(fileURLToPath(import.meta.url));
    dir = up;
  }
}

let cached: { addon?: NativeAddon; why?: string } | undefined;

/** The addon, or why it cannot be loaded (one line, saying what to do). */
export function loadNative(): { addon?: NativeAddon; why?: string } {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    cached = { why: `KVM and kqemu exist only on Linux (this host is ${process.platform})` };
    return cached;
  }
  const path = join(repoRoot(), ADDON_FILE);
  if (!existsSync(path)) {
    cached = { why: `the native addon is not built (${ADDON_FILE} missing): run "npm install" on a host with a C++ compiler` };
    return cached;
  }
  try {
    cached = { addon: createRequire(import.meta.url)(path) as NativeAddon };
  } catch (err) {
    cached = { why: `the native addon ${ADDON_FILE} does not load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}

/** The addon; throws with the reason when it is missing. */
export function native(): NativeAddon {
  const n = loadNative();
  if (!n.addon) throw new NativeError(n.why as string, 'ENOADDON', 0);
  return n.addon;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** The errno name of a -errno result (e.g. -2 → 'ENOENT'). */
export function errnoName(negErrno: number): string {
  return ERRNO_NAMES.get(-negErrno) ?? `errno ${-negErrno}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such device or file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTTY: 'inappropriate ioctl for this device',
  EINVAL: 'invalid argument',
  ENODEV: 'no such device',
  ENXIO: 'no such device or address',
  EBUSY: 'device busy',
  EEXIST: 'already exists',
  ENOMEM: 'out of memory',
  EFAULT: 'bad address',
  EINTR: 'interrupted',
  EBADF: 'bad file descriptor',
};

export class NativeError extends Error {
  override name = 'NativeError';
  constructor(
    message: string,
    readonly code: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

function check(result: number, what: string): number {
  if (result >= 0) return result;
  const code = errnoName(result);
  throw new NativeError(`${what}: ${code} (${ERRNO_TEXT[code] ?? 'system call failed'})`, code, -result);
}

/** Opens a device; e.g. a missing /dev/kvm throws code ENOENT, "open /dev/kvm: ENOENT (no such device or file)". */
export function openDevice(path: string, flags = O_RDWR): number {
  return check(native().open(path, flags), `open ${path}`);
}

export function closeFd(fd: number): void {
  check(native().close(fd), `close fd ${fd}`);
}

/** ioctl that throws on failure; `name` appears in the message (e.g. "KVM_CREATE_VM"). */
export function ioctl(fd: number, request: number, arg: number | bigint | ArrayBufferView | ArrayBuffer, name: string): number {
  return check(native().ioctl(fd, request >>> 0, arg), name);
}

/** ioctl returning -errno instead of throwing (KVM_RUN's EINTR is not an error). */
export function ioctlRaw(fd: number, request: number, arg: number | bigint | ArrayBufferView | ArrayBuffer): number {
  return native().ioctl(fd, request >>> 0, arg);
}

export function mmapFd(fd: number, length: number, prot: number, flags: number, offset = 0, name = 'mmap'): ArrayBuffer {
  const r = native().mmap(fd, length, prot, flags, offset);
  if (typeof r === 'number') check(r, name);
  return r as ArrayBuffer;
}

export function munmap(buffer: ArrayBuffer): void {
  check(native().munmap(buffer), 'munmap');
}

/** Where a buffer's bytes are in this process (a WebAssembly.Memory's buffer is page-aligned). */
export function bufferAddress(bytes: ArrayBufferView | ArrayBufferLike): bigint {
  const b = ArrayBuffer.isView(bytes) || bytes instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
  return native().address(b);
}

/** A periodic KICK_SIGNAL to the calling thread (a vCPU thread's backstop against missed kicks). */
export function startTickTimer(periodMs: number): bigint {
  const r = native().startTickTimer(periodMs);
  if (typeof r === 'number') check(r, 'timer_create');
  return r as bigint;
}

export function stopTickTimer(timer: bigint): void {
  check(native().stopTickTimer(timer), 'timer_delete');
}
