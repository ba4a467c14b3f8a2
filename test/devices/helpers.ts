// Port, PCI configuration and disk helpers shared by the device tests.

import { createCore, type Core } from '../../host/core.js';
import { serviceBlockRequests } from '../../host/block-device.js';

export interface Bus {
  core: Core;
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, v: number): void;
  outw(port: number, v: number): void;
  outl(port: number, v: number): void;
  pciRead(devfn: number, off: number, size: 1 | 2 | 4): number;
  pciWrite(devfn: number, off: number, v: number, size: 1 | 2 | 4): void;
  /** Let the host serve disk requests and the devices finish their commands (what the runner does between slices). */
  service(): void;
}

export async function makeBus(memoryMiB = 16): Promise<Bus> {
  const core = await createCore({ memoryMiB });
  const e = core.exports;
  const bus: Bus = {
    core,
    inb: (p) => e.portRead(p, 1),
    inw: (p) => e.portRead(p, 2),
    inl: (p) => e.portRead(p, 4) >>> 0,
    outb: (p, v) => e.portWrite(p, v, 1),
    outw: (p, v) => e.portWrite(p, v, 2),
    outl: (p, v) => e.portWrite(p, v >>> 0, 4),
    pciRead(devfn, off, size) {
      bus.outl(0xcf8, 0x80000000 | (devfn << 8) | (off & 0xfc));
      return e.portRead(0xcfc + (off & 3), size) >>> 0;
    },
    pciWrite(devfn, off, v, size) {
      bus.outl(0xcf8, 0x80000000 | (devfn << 8) | (off & 0xfc));
      e.portWrite(0xcfc + (off & 3), v >>> 0, size);
    },
    service() {
      serviceBlockRequests(core);
      e.serviceDevices();
    },
  };
  return bus;
}

/** Bytes that differ per position and per 512-byte sector, so a misplaced sector shows. */
export function pattern(size: number, seed = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >>> 9) * 13 + seed) & 0xff;
  return out;
}

/** Index of the first byte where a and b differ (-1: equal); cheaper than toEqual on large arrays. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
