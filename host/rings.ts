// The host's end of the byte rings shared with core.wasm's devices.
//
// Layout and protocol: core-as/machine/rings.ts (single producer, single
// consumer; free-running u32 head/tail counters, a power-of-two data area).
// TX rings (guest → host): the host is the consumer and only moves `tail`.
// RX rings (host → guest): the host is the producer and only moves `head`.
// The core and the host run on one thread for now; when they do not, the
// counter accesses below become Atomics.load/Atomics.store on the same words.

import * as L from './generated/cpu-layout.js';

const U32_BYTES = 4;

export class HostRing {
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly headIndex: number;
  private readonly tailIndex: number;
  private readonly capacityIndex: number;
  private readonly data: number;

  /** `base`: wasm address of the ring (one of the RING_* constants). */
  constructor(
    memory: WebAssembly.Memory,
    readonly base: number,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.u32 = new Uint32Array(memory.buffer);
    this.headIndex = (base + L.RING_OFF_HEAD) / U32_BYTES;
    this.tailIndex = (base + L.RING_OFF_TAIL) / U32_BYTES;
    this.capacityIndex = (base + L.RING_OFF_CAPACITY) / U32_BYTES;
    this.data = base + L.RING_OFF_DATA;
  }

  get capacity(): number {
    return this.u32[this.capacityIndex];
  }

  /** Bytes waiting to be consumed. */
  get used(): number {
    return (this.u32[this.headIndex] - this.u32[this.tailIndex]) >>> 0;
  }

  /** Room for the producer. */
  get free(): number {
    return this.capacity - this.used;
  }

  /** Consumer: take up to `max` waiting bytes (a copy). */
  read(max = Infinity): Uint8Array {
    const n = Math.min(this.used, max);
    const out = new Uint8Array(n);
    const mask = this.capacity - 1;
    const tail = this.u32[this.tailIndex];
    for (let i = 0; i < n; i++) out[i] = this.u8[this.data + ((tail + i) & mask)];
    this.u32[this.tailIndex] = (tail + n) >>> 0;
    return out;
  }

  /** Producer: append as many of `bytes` as fit; returns how many were taken. */
  write(bytes: Uint8Array): number {
    const n = Math.min(this.free, bytes.length);
    const mask = this.capacity - 1;
    const head = this.u32[this.headIndex];
    for (let i = 0; i < n; i++) this.u8[this.data + ((head + i) & mask)] = bytes[i];
    this.u32[this.headIndex] = (head + n) >>> 0;
    return n;
  }
}

export const UART_COUNT = 4;
export const DEBUGCON_CHANNELS = 4;

/** Guest → host ring of serial port COM(n+1). */
export function uartTxRing(memory: WebAssembly.Memory, n: number): HostRing {
  return new HostRing(memory, L.RING_COM1_TX + n * L.RING_SLOT_SIZE);
}
/** Host → guest ring of serial port COM(n+1). */
export function uartRxRing(memory: WebAssembly.Memory, n: number): HostRing {
  return new HostRing(memory, L.RING_COM1_RX + n * L.RING_SLOT_SIZE);
}
/** Guest → host ring of debug console channel `c`. */
export function debugconRing(memory: WebAssembly.Memory, c: number): HostRing {
  return new HostRing(memory, L.RING_DEBUGCON0_TX + c * L.RING_SLOT_SIZE);
}

/** Host → guest ring of keyboard and mouse events (host/ps2-input.ts writes it). */
export function inputRing(memory: WebAssembly.Memory): HostRing {
  return new HostRing(memory, L.RING_INPUT);
}
