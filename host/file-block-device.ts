// A disk image file in Node as a BlockDevice (host/block-device.ts).
//
// The file is opened read-only by default: the base image is never modified
// (wrap it in CowOverlay for a writable disk). Reads are synchronous
// (fs.readSync), which is what the Node runner wants between run() slices.
// Problems with the file become DiskImageError with one sentence that names
// it, for the CLI to print with exit status 2 (DESIGN §7).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';

import { DiskImageError, type BlockDevice } from './block-device.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'EIO':
      return 'input/output error';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

export class FileBlockDevice implements BlockDevice {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly size: number,
    readonly readOnly: boolean,
  ) {
    this.fd = fd;
  }

  /** A file the caller already opened and checked (the CLI); this device then owns `fd`. */
  static fromOpenFile(path: string, fd: number, size: number, readOnly: boolean): FileBlockDevice {
    return new FileBlockDevice(path, fd, size, readOnly);
  }

  /** Open `path` (read-only unless `writable`); throws DiskImageError when it cannot be a disk. */
  static open(path: string, opts: { writable?: boolean } = {}): FileBlockDevice {
    let fd: number;
    try {
      fd = openSync(path, opts.writable ? 'r+' : 'r');
    } catch (e) {
      throw new DiskImageError(`cannot open disk image ${path}: ${reason(e)}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice()) throw new DiskImageError(`disk image ${path} is not a regular file`);
      return new FileBlockDevice(path, fd, st.size, !opts.writable);
    } catch (e) {
      closeSync(fd);
      if (e instanceof DiskImageError) throw e;
      throw new DiskImageError(`cannot read disk image ${path}: ${reason(e)}`);
    }
  }

  private handle(): number {
    if (this.fd === undefined) throw new DiskImageError(`disk image ${this.path} is closed`);
    return this.fd;
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.handle(), out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      if (e instanceof DiskImageError) throw e;
      throw new DiskImageError(`cannot read disk image ${this.path} at byte ${offset}: ${reason(e)}`);
    }
    // The file shrank under us.
    if (done < length)
      throw new DiskImageError(`disk image ${this.path} ends at byte ${offset + done}, before ${offset + length} (truncated?)`);
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new DiskImageError(`disk image ${this.path} is open read-only`);
    try {
      let done = 0;
      while (done < data.length) done += writeSync(this.handle(), data, done, data.length - done, offset + done);
    } catch (e) {
      throw new DiskImageError(`cannot write disk image ${this.path} at byte ${offset}: ${reason(e)}`);
    }
  }

  flush(): void {
    if (this.readOnly || this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw new DiskImageError(`cannot flush disk image ${this.path}: ${reason(e)}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
