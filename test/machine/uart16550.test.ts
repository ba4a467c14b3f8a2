// The 16550A model's registers as a driver sees them (PC16550D datasheet),
// driven through core.wasm's portRead/portWrite exports (sizes in bytes).

import { beforeEach, describe, expect, it } from 'vitest';

import { createCore, type Core } from '../../host/core.js';
import { uartRxRing, uartTxRing, type HostRing } from '../../host/rings.js';

const COM1 = 0x3f8;
const COM2 = 0x2f8;
const COM4 = 0x2e8;
const THR = 0;
const RBR = 0;
const DLL = 0;
const IER = 1;
const DLM = 1;
const IIR = 2;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

const LCR_DLAB = 0x80;
const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const FCR_TRIGGER_4 = 0x40;
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const IIR_NONE = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FIFO = 0xc0;
const IRQ_COM1 = 4;
const IRQ_COM2 = 3;
const FIFO_SIZE = 16;

let core: Core;
let tx: HostRing;
let rx: HostRing;
const inb = (port: number): number => core.exports.portRead(port, 1);
const outb = (port: number, v: number): void => core.exports.portWrite(port, v, 1);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Read RBR while LSR says data is ready. */
function readAll(base: number): number[] {
  const got: number[] = [];
  while (inb(base + LSR) & LSR_DR) got.push(inb(base + RBR));
  return got;
}

beforeEach(async () => {
  core = await createCore({ memoryMiB: 2 });
  tx = uartTxRing(core.memory, 0);
  rx = uartRxRing(core.memory, 0);
});

describe('16550A registers', () => {
  it('has the datasheet reset values (Table III), with the host modem inputs asserted', () => {
    for (const base of [COM1, 0x2f8, 0x3e8, COM4]) {
      expect(inb(base + IER)).toBe(0);
      expect(inb(base + IIR)).toBe(IIR_NONE);
      expect(inb(base + LCR)).toBe(0);
      expect(inb(base + MCR)).toBe(0);
      expect(inb(base + LSR)).toBe(LSR_THRE | LSR_TEMT);
      expect(inb(base + MSR)).toBe(0xb0); // DCD, DSR, CTS; no deltas
    }
  });

  it('maps the divisor latch over RBR/THR and IER while LCR.DLAB is set', () => {
    outb(COM1 + LCR, LCR_DLAB | 0x03);
    outb(COM1 + DLL, 0x0c);
    outb(COM1 + DLM, 0x01);
    expect(inb(COM1 + DLL)).toBe(0x0c);
    expect(inb(COM1 + DLM)).toBe(0x01);
    expect(tx.used).toBe(0); // the DLL write did not transmit
    outb(COM1 + LCR, 0x03);
    expect(inb(COM1 + LCR)).toBe(0x03);
    expect(inb(COM1 + IER)).toBe(0); // IER untouched by the DLM write
    outb(COM1 + LCR, LCR_DLAB);
    expect(inb(COM1 + DLL) | (inb(COM1 + DLM) << 8)).toBe(0x010c);
  });

  it('keeps the scratch register', () => {
    outb(COM1 + SCR, 0x5a);
    expect(inb(COM1 + SCR)).toBe(0x5a);
    expect(inb(COM2 + SCR)).toBe(0);
  });

  it('transmits THR writes into the COM1 TX ring, in order', () => {
    for (const b of bytes('hi!\n')) outb(COM1 + THR, b);
    expect(new TextDecoder().decode(tx.read())).toBe('hi!\n');
    expect(inb(COM1 + LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
    expect(uartTxRing(core.memory, 1).used).toBe(0);
  });

  it('holds bytes in the transmitter when the host ring is full, and loses none', () => {
    const n = tx.capacity + 20;
    for (let i = 0; i < n; i++) outb(COM1 + THR, i & 0xff);
    expect(tx.used).toBe(tx.capacity);
    expect(inb(COM1 + LSR) & (LSR_THRE | LSR_TEMT)).toBe(0);
    const first = tx.read();
    expect(inb(COM1 + LSR) & LSR_THRE).toBe(LSR_THRE); // polling LSR moved the rest out
    const rest = tx.read();
    const all = [...first, ...rest];
    expect(all.length).toBe(n);
    expect(all.every((b, i) => b === (i & 0xff))).toBe(true);
  });

  it('drains the transmitter when the host services the devices', () => {
    for (let i = 0; i < tx.capacity + 1; i++) outb(COM1 + THR, 0x41);
    tx.read();
    core.exports.serviceDevices();
    expect(tx.used).toBe(1);
  });

  it('receives host bytes through the FIFO without overrunning or dropping any', () => {
    outb(COM1 + FCR, FCR_ENABLE);
    const text = 'the quick brown fox jumps over the lazy dog';
    expect(rx.write(bytes(text))).toBe(text.length);
    core.exports.serviceDevices();
    expect(rx.used).toBe(text.length - FIFO_SIZE); // the FIFO took 16, the rest waits
    expect(inb(COM1 + LSR) & (LSR_DR | LSR_OE)).toBe(LSR_DR);
    expect(new TextDecoder().decode(Uint8Array.from(readAll(COM1)))).toBe(text);
    expect(inb(COM1 + LSR) & (LSR_DR | LSR_OE)).toBe(0);
  });

  it('takes one byte at a time into the holding register with FIFOs off (16450 mode)', () => {
    rx.write(bytes('abc'));
    core.exports.serviceDevices();
    expect(rx.used).toBe(2);
    expect(inb(COM1 + IIR) & IIR_FIFO).toBe(0);
    expect(readAll(COM1)).toEqual([...bytes('abc')]);
    expect(inb(COM1 + LSR) & LSR_OE).toBe(0);
  });

  it('reports FIFO mode in IIR bits 7:6 and clears the RX FIFO on request', () => {
    outb(COM1 + FCR, FCR_ENABLE);
    expect(inb(COM1 + IIR) & IIR_FIFO).toBe(IIR_FIFO);
    outb(COM1 + MCR, MCR_LOOP);
    for (const b of bytes('xyz')) outb(COM1 + THR, b);
    expect(inb(COM1 + LSR) & LSR_DR).toBe(LSR_DR);
    outb(COM1 + FCR, FCR_ENABLE | FCR_CLEAR_RX);
    expect(inb(COM1 + LSR) & LSR_DR).toBe(0);
    outb(COM1 + FCR, 0);
    expect(inb(COM1 + IIR) & IIR_FIFO).toBe(0);
  });

  it('loops TX to RX and MCR outputs to MSR inputs in loopback mode', () => {
    outb(COM1 + MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
    // CTS←RTS, DSR←DTR, RI←OUT1, DCD←OUT2; CTS/DSR/DCD were already set by the host.
    expect(inb(COM1 + MSR)).toBe(0xf0);
    outb(COM1 + MCR, MCR_LOOP);
    // Every input fell: DCTS, DDSR, DDCD and TERI (RI's trailing edge).
    expect(inb(COM1 + MSR)).toBe(0x0f);
    expect(inb(COM1 + MSR)).toBe(0x00); // reading MSR cleared the deltas
    outb(COM1 + MCR, MCR_LOOP | MCR_OUT1);
    expect(inb(COM1 + MSR)).toBe(0x40); // RI rising: no delta (TERI is trailing-edge only)
    outb(COM1 + THR, 0x99);
    expect(tx.used).toBe(0);
    expect(inb(COM1 + RBR)).toBe(0x99);
  });

  it('ignores host input while in loopback and takes it after', () => {
    outb(COM1 + MCR, MCR_LOOP);
    rx.write(bytes('in'));
    core.exports.serviceDevices();
    expect(inb(COM1 + LSR) & LSR_DR).toBe(0);
    outb(COM1 + MCR, 0);
    expect(readAll(COM1)).toEqual([...bytes('in')]);
  });

  it('flags an overrun when loopback data meets a full receiver (LSR.OE, cleared by reading LSR)', () => {
    outb(COM1 + MCR, MCR_LOOP);
    outb(COM1 + THR, 1);
    outb(COM1 + THR, 2); // 16450 mode: RBR overwritten
    expect(inb(COM1 + LSR) & LSR_OE).toBe(LSR_OE);
    expect(inb(COM1 + LSR) & LSR_OE).toBe(0);
    expect(inb(COM1 + RBR)).toBe(2);
  });
});

describe('16550A interrupts', () => {
  it('raises THRE when the interrupt is enabled with an empty THR, cleared by reading IIR', () => {
    outb(COM1 + IER, IER_THRI);
    expect(inb(COM1 + IIR)).toBe(IIR_THRI);
    expect(inb(COM1 + IIR)).toBe(IIR_NONE);
    outb(COM1 + THR, 0x41); // sent at once: THR empty again
    expect(inb(COM1 + IIR)).toBe(IIR_THRI);
  });

  it('does not raise THRE while bytes wait for the host ring', () => {
    for (let i = 0; i < tx.capacity + 1; i++) outb(COM1 + THR, 0x41);
    outb(COM1 + IER, IER_THRI);
    expect(inb(COM1 + IIR)).toBe(IIR_NONE);
    tx.read();
    core.exports.serviceDevices();
    expect(inb(COM1 + IIR)).toBe(IIR_THRI);
  });

  it('signals received data at the FIFO trigger level and a character timeout below it', () => {
    outb(COM1 + FCR, FCR_ENABLE | FCR_TRIGGER_4);
    outb(COM1 + IER, IER_RDI);
    rx.write(bytes('ab'));
    core.exports.serviceDevices();
    expect(inb(COM1 + IIR)).toBe(IIR_FIFO | IIR_CTI);
    inb(COM1 + RBR); // reading RBR resets the timeout
    expect(inb(COM1 + IIR)).toBe(IIR_FIFO | IIR_NONE);
    rx.write(bytes('cdef'));
    core.exports.serviceDevices();
    expect(inb(COM1 + IIR)).toBe(IIR_FIFO | IIR_RDI); // 5 bytes ≥ trigger 4
    readAll(COM1);
    expect(inb(COM1 + IIR)).toBe(IIR_FIFO | IIR_NONE);
  });

  it('reports line status > received data > THRE > modem status', () => {
    outb(COM1 + IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
    outb(COM1 + MCR, MCR_LOOP | MCR_RTS); // DCTS... inputs change: modem status pending
    outb(COM1 + THR, 1);
    outb(COM1 + THR, 2); // overrun: line status pending
    expect(inb(COM1 + IIR)).toBe(IIR_RLSI);
    inb(COM1 + LSR);
    expect(inb(COM1 + IIR)).toBe(IIR_RDI);
    inb(COM1 + RBR);
    expect(inb(COM1 + IIR)).toBe(IIR_THRI);
    expect(inb(COM1 + IIR)).toBe(IIR_MSI); // the IIR read cleared THRE
    inb(COM1 + MSR);
    expect(inb(COM1 + IIR)).toBe(IIR_NONE);
  });

  it('drives COM1 on IRQ 4 and COM2 on IRQ 3 only while OUT2 is set and loopback is off', () => {
    outb(COM1 + IER, IER_THRI);
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(0); // OUT2 off: the card's buffer is disabled
    outb(COM1 + MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(1);
    expect(core.exports.getIrqLevel(IRQ_COM2)).toBe(0);
    inb(COM1 + IIR);
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(0);
    outb(COM2 + MCR, MCR_OUT2);
    outb(COM2 + IER, IER_THRI);
    expect(core.exports.getIrqLevel(IRQ_COM2)).toBe(1);
    outb(COM2 + MCR, MCR_OUT2 | MCR_LOOP);
    expect(core.exports.getIrqLevel(IRQ_COM2)).toBe(0);
  });

  it('keeps a shared IRQ line high while either UART on it asserts', () => {
    const COM3 = 0x3e8;
    for (const base of [COM1, COM3]) {
      outb(base + MCR, MCR_OUT2);
      outb(base + IER, IER_THRI);
    }
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(1);
    inb(COM1 + IIR); // COM1 acknowledges; COM3 still asserts
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(1);
    inb(COM3 + IIR);
    expect(core.exports.getIrqLevel(IRQ_COM1)).toBe(0);
  });
});
