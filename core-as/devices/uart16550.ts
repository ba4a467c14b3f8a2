// National Semiconductor PC16550D UART (the "16550A" of every PC serial port).
//
// Reference: PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs,
// National Semiconductor datasheet (June 1995), §8 "Registers" and Table II-IV.
//
// Instances (PC/AT convention):  COM1 0x3f8 IRQ 4 · COM2 0x2f8 IRQ 3 ·
//                                COM3 0x3e8 IRQ 4 · COM4 0x2e8 IRQ 3
// Ports (offset from base):      +0 RBR/THR (DLL when LCR.DLAB=1)  +1 IER (DLM when DLAB=1)
//                                +2 IIR (read) / FCR (write)  +3 LCR  +4 MCR  +5 LSR
//                                +6 MSR  +7 SCR
//
// The serial line is the host ring pair of core-as/machine/rings.ts and runs at
// infinite speed: a transmitted byte reaches the TX ring at once, a received
// byte enters the RX FIFO as soon as there is room. The divisor and line format
// are stored and read back but do not slow anything down. Backpressure is real
// in both directions:
//  - RX: bytes stay in the host's RX ring until the FIFO (16 bytes, or the
//    1-byte holding register with FIFOs off) has room; input is never dropped.
//  - TX: when the TX ring is full, bytes wait in the transmitter (THRE and
//    TEMT read 0) until the host drains the ring. The 16550 has no "TX FIFO
//    full" bit, so the waiting queue is deeper than 16 bytes (UART_TX_QUEUE_SIZE)
//    to keep output from guests that ignore THRE; and the device ends the run()
//    slice early (a yield) so the host drains promptly.
//
// Interrupts (datasheet Table IV), highest priority first: receiver line
// status (OE/PE/FE/BI), received data available (FIFO at trigger level),
// character timeout (FIFO mode: data below the trigger level and no more
// arriving, which at infinite speed means "the host ring is empty"),
// transmitter holding register empty, modem status. The IRQ pin of a PC
// serial card is gated by the MCR OUT2 output (a tri-state buffer on the
// card), so the ISA line is driven only while OUT2 is set and loopback is off
// (loopback forces the outputs inactive, datasheet §8.7). QEMU ignores OUT2;
// real drivers (Linux 8250, DOS) set it before expecting interrupts.

import { UART_STATE, UART_STATE_STRIDE } from '../machine/layout';
import { raiseIrq, lowerIrq } from '../machine/irq';
import { ringPush, ringPop, ringUsed, ringFree, uartTxRing, uartRxRing, RING_DATA_CAPACITY } from '../machine/rings';
import { requestStop, STOP_LIMIT } from '../cpu/control';

export const UART_COUNT: u32 = 4;
export const PORT_COM1: u32 = 0x3f8;
export const PORT_COM2: u32 = 0x2f8;
export const PORT_COM3: u32 = 0x3e8;
export const PORT_COM4: u32 = 0x2e8;
export const IRQ_COM1: u32 = 4;
export const IRQ_COM2: u32 = 3;
export const IRQ_COM3: u32 = 4;
export const IRQ_COM4: u32 = 3;
/** Eight consecutive ports per UART. */
export const UART_PORT_COUNT: u32 = 8;

// Register offsets from the base port.
const REG_RBR_THR: u32 = 0; // DLL when DLAB
const REG_IER: u32 = 1; // DLM when DLAB
const REG_IIR_FCR: u32 = 2;
const REG_LCR: u32 = 3;
const REG_MCR: u32 = 4;
const REG_LSR: u32 = 5;
const REG_MSR: u32 = 6;
const REG_SCR: u32 = 7;

// IER bits (datasheet §8.5).
const IER_RDI: u32 = 0x01; // received data available (and character timeout)
const IER_THRI: u32 = 0x02; // transmitter holding register empty
const IER_RLSI: u32 = 0x04; // receiver line status
const IER_MSI: u32 = 0x08; // modem status
const IER_MASK: u32 = 0x0f;

// IIR values (datasheet Table IV).
const IIR_NO_INT: u32 = 0x01;
const IIR_MSI: u32 = 0x00;
const IIR_THRI: u32 = 0x02;
const IIR_RDI: u32 = 0x04;
const IIR_RLSI: u32 = 0x06;
const IIR_CTI: u32 = 0x0c;
const IIR_FIFOS_ENABLED: u32 = 0xc0;

// FCR bits (datasheet §8.4).
const FCR_ENABLE: u32 = 0x01;
const FCR_CLEAR_RX: u32 = 0x02;
const FCR_CLEAR_TX: u32 = 0x04;
const FCR_DMA_MODE: u32 = 0x08;
const FCR_TRIGGER_SHIFT: u32 = 6;
/** What FCR keeps (the clear bits are self-clearing; FCR itself is write-only). */
const FCR_STORED: u32 = FCR_ENABLE | FCR_DMA_MODE | (3 << FCR_TRIGGER_SHIFT);

// LCR bits.
const LCR_DLAB: u32 = 0x80;

// MCR bits (datasheet §8.7).
const MCR_DTR: u32 = 0x01;
const MCR_RTS: u32 = 0x02;
const MCR_OUT1: u32 = 0x04;
const MCR_OUT2: u32 = 0x08;
const MCR_LOOP: u32 = 0x10;
const MCR_MASK: u32 = 0x1f;

// LSR bits (datasheet §8.6).
const LSR_DR: u32 = 0x01;
const LSR_OE: u32 = 0x02;
const LSR_PE: u32 = 0x04;
const LSR_FE: u32 = 0x08;
const LSR_BI: u32 = 0x10;
const LSR_THRE: u32 = 0x20;
const LSR_TEMT: u32 = 0x40;
const LSR_RX_FIFO_ERROR: u32 = 0x80;
const LSR_ERRORS: u32 = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

// MSR bits (datasheet §8.8).
const MSR_DCTS: u32 = 0x01;
const MSR_DDSR: u32 = 0x02;
const MSR_TERI: u32 = 0x04;
const MSR_DDCD: u32 = 0x08;
const MSR_CTS: u32 = 0x10;
const MSR_DSR: u32 = 0x20;
const MSR_RI: u32 = 0x40;
const MSR_DCD: u32 = 0x80;
const MSR_DELTAS: u32 = 0x0f;
/** Modem inputs with the host attached: CTS, DSR and DCD asserted, no ring (as QEMU). */
const MSR_HOST_INPUTS: u32 = MSR_CTS | MSR_DSR | MSR_DCD;

export const UART_FIFO_SIZE: u32 = 16;
/** Transmit queue: the 16-byte FIFO plus slack for guests that ignore THRE while the host ring is full. */
export const UART_TX_QUEUE_SIZE: u32 = 256;
/** Yield to the host once its TX ring is this full, so it drains before bytes must wait. */
const TX_RING_HIGH_WATER: u32 = RING_DATA_CAPACITY / 2;

// State block of one instance (UART_STATE + n * UART_STATE_STRIDE), u32 fields.
const S_BASE_PORT: u32 = 0x00;
const S_IRQ: u32 = 0x04;
const S_IER: u32 = 0x08;
const S_LCR: u32 = 0x0c;
const S_MCR: u32 = 0x10;
const S_LSR_ERRORS: u32 = 0x14; // OE/PE/FE/BI; DR, THRE, TEMT are computed
const S_MSR: u32 = 0x18;
const S_SCR: u32 = 0x1c;
const S_FCR: u32 = 0x20;
const S_DLL: u32 = 0x24;
const S_DLM: u32 = 0x28;
const S_RBR: u32 = 0x2c; // last byte read (what an empty RBR returns)
const S_THR_IPENDING: u32 = 0x30;
const S_TIMEOUT_IPENDING: u32 = 0x34;
const S_IRQ_ASSERTED: u32 = 0x38;
const S_RX_COUNT: u32 = 0x3c;
const S_RX_HEAD: u32 = 0x40;
const S_TX_COUNT: u32 = 0x44;
const S_TX_HEAD: u32 = 0x48;
const S_TX_DROPPED: u32 = 0x4c; // bytes lost because the guest overran the whole TX queue
const S_RX_FIFO: u32 = 0x80; // UART_FIFO_SIZE bytes
const S_TX_QUEUE: u32 = 0x100; // UART_TX_QUEUE_SIZE bytes

@inline function base(n: u32): u32 {
  return UART_STATE + n * UART_STATE_STRIDE;
}
@inline function get(n: u32, field: u32): u32 {
  return load<u32>(base(n) + field);
}
@inline function put(n: u32, field: u32, v: u32): void {
  store<u32>(base(n) + field, v);
}

/** UART instance decoding `port`, or -1. */
export function uartForPort(port: u32): i32 {
  const b = port & ~(UART_PORT_COUNT - 1);
  if (b == PORT_COM1) return 0;
  if (b == PORT_COM2) return 1;
  if (b == PORT_COM3) return 2;
  if (b == PORT_COM4) return 3;
  return -1;
}

@inline function fifoEnabled(n: u32): bool {
  return (get(n, S_FCR) & FCR_ENABLE) != 0;
}
@inline function loopback(n: u32): bool {
  return (get(n, S_MCR) & MCR_LOOP) != 0;
}
/** Receive buffer depth: the FIFO, or the single holding register in 16450 mode. */
@inline function rxCapacity(n: u32): u32 {
  return fifoEnabled(n) ? UART_FIFO_SIZE : 1;
}
/** RX FIFO interrupt trigger level (FCR bits 7:6 → 1, 4, 8, 14 bytes). */
function rxTriggerLevel(n: u32): u32 {
  const sel = (get(n, S_FCR) >> FCR_TRIGGER_SHIFT) & 3;
  return sel == 0 ? 1 : sel == 1 ? 4 : sel == 2 ? 8 : 14;
}

// ---- reset ----

function resetInstance(n: u32, port: u32, irq: u32): void {
  memory.fill(base(n), 0, UART_STATE_STRIDE);
  put(n, S_BASE_PORT, port);
  put(n, S_IRQ, irq);
  // Datasheet Table III: IER, FCR, LCR, MCR = 0; LSR = THRE|TEMT; MSR deltas 0,
  // status bits = the modem inputs.
  put(n, S_MSR, MSR_HOST_INPUTS);
}

export function resetUarts(): void {
  resetInstance(0, PORT_COM1, IRQ_COM1);
  resetInstance(1, PORT_COM2, IRQ_COM2);
  resetInstance(2, PORT_COM3, IRQ_COM3);
  resetInstance(3, PORT_COM4, IRQ_COM4);
  for (let n: u32 = 0; n < UART_COUNT; n++) updateIrq(n);
}

// ---- receive side ----

/** Put one received byte into the RX FIFO; an overrun if there is no room (datasheet §8.6, OE). */
function receiveByte(n: u32, byte: u32): void {
  const count = get(n, S_RX_COUNT);
  if (count >= rxCapacity(n)) {
    // FIFO mode: the character in the shift register is overwritten and the
    // FIFO is kept; 16450 mode: RBR is overwritten. Either way one byte is lost.
    if (!fifoEnabled(n)) store<u8>(base(n) + S_RX_FIFO + get(n, S_RX_HEAD), <u8>byte);
    put(n, S_LSR_ERRORS, get(n, S_LSR_ERRORS) | LSR_OE);
    return;
  }
  const slot = (get(n, S_RX_HEAD) + count) & (UART_FIFO_SIZE - 1);
  store<u8>(base(n) + S_RX_FIFO + slot, <u8>byte);
  put(n, S_RX_COUNT, count + 1);
}

/** Move bytes the host sent into the RX FIFO while it has room (never drops input). */
function pullHostInput(n: u32): void {
  if (loopback(n)) return; // the serial input is disconnected in loopback (§8.7)
  const ring = uartRxRing(n);
  const capacity = rxCapacity(n);
  while (get(n, S_RX_COUNT) < capacity) {
    const byte = ringPop(ring);
    if (byte < 0) break;
    receiveByte(n, <u32>byte);
  }
}

function readRbr(n: u32): u32 {
  const count = get(n, S_RX_COUNT);
  if (count != 0) {
    const head = get(n, S_RX_HEAD);
    put(n, S_RBR, load<u8>(base(n) + S_RX_FIFO + head));
    put(n, S_RX_HEAD, (head + 1) & (UART_FIFO_SIZE - 1));
    put(n, S_RX_COUNT, count - 1);
  }
  // Reading RBR resets the character timeout (datasheet §8.3).
  put(n, S_TIMEOUT_IPENDING, 0);
  pullHostInput(n);
  updateIrq(n);
  return get(n, S_RBR);
}

// ---- transmit side ----

/** Send what waits in the transmit queue to the host ring, as far as it has room. */
function drainTxQueue(n: u32): void {
  let count = get(n, S_TX_COUNT);
  if (count == 0) return;
  const ring = uartTxRing(n);
  let head = get(n, S_TX_HEAD);
  while (count != 0 && ringPush(ring, load<u8>(base(n) + S_TX_QUEUE + head))) {
    head = (head + 1) & (UART_TX_QUEUE_SIZE - 1);
    count--;
  }
  put(n, S_TX_HEAD, head);
  put(n, S_TX_COUNT, count);
  // The holding register just became empty: THRE interrupt (datasheet Table IV).
  if (count == 0) put(n, S_THR_IPENDING, 1);
}

function writeThr(n: u32, byte: u32): void {
  if (loopback(n)) {
    // The transmitter output is looped to the receiver input (§8.7).
    receiveByte(n, byte);
    put(n, S_THR_IPENDING, 1);
    updateIrq(n);
    return;
  }
  const ring = uartTxRing(n);
  let count = get(n, S_TX_COUNT);
  if (count == 0 && ringPush(ring, byte)) {
    // Sent at once: the holding register is empty again.
    put(n, S_THR_IPENDING, 1);
    if (ringUsed(ring) >= TX_RING_HIGH_WATER) requestStop(STOP_LIMIT);
  } else {
    put(n, S_THR_IPENDING, 0);
    if (count < UART_TX_QUEUE_SIZE) {
      const slot = (get(n, S_TX_HEAD) + count) & (UART_TX_QUEUE_SIZE - 1);
      store<u8>(base(n) + S_TX_QUEUE + slot, <u8>byte);
      put(n, S_TX_COUNT, count + 1);
    } else {
      // The guest ignored THRE for a whole queue's worth of bytes while the
      // host did not drain: a real 16550 loses the byte too.
      put(n, S_TX_DROPPED, get(n, S_TX_DROPPED) + 1);
    }
    // End this run() slice so the host drains its ring.
    requestStop(STOP_LIMIT);
  }
  updateIrq(n);
}

// ---- line and modem status ----

function readLsr(n: u32): u32 {
  // A guest polling LSR is waiting for something: make progress on both sides.
  drainTxQueue(n);
  pullHostInput(n);
  let lsr = get(n, S_LSR_ERRORS);
  if (get(n, S_RX_COUNT) != 0) lsr |= LSR_DR;
  if (get(n, S_TX_COUNT) == 0) lsr |= LSR_THRE | LSR_TEMT;
  else if (ringFree(uartTxRing(n)) == 0) requestStop(STOP_LIMIT); // let the host drain
  // Reading LSR clears the error bits and the line status interrupt (§8.6).
  put(n, S_LSR_ERRORS, 0);
  if (fifoEnabled(n) && (lsr & LSR_ERRORS & ~LSR_OE) != 0) lsr |= LSR_RX_FIFO_ERROR;
  updateIrq(n);
  return lsr;
}

/** The modem input lines: the host's, or the MCR outputs looped back (§8.7). */
function modemInputs(n: u32): u32 {
  const mcr = get(n, S_MCR);
  if ((mcr & MCR_LOOP) == 0) return MSR_HOST_INPUTS;
  let msr: u32 = 0;
  if ((mcr & MCR_RTS) != 0) msr |= MSR_CTS;
  if ((mcr & MCR_DTR) != 0) msr |= MSR_DSR;
  if ((mcr & MCR_OUT1) != 0) msr |= MSR_RI;
  if ((mcr & MCR_OUT2) != 0) msr |= MSR_DCD;
  return msr;
}

/** Latch new modem inputs and their delta bits (TERI: RI trailing edge only). */
function updateModemInputs(n: u32): void {
  const msr = get(n, S_MSR);
  const before = msr & ~MSR_DELTAS;
  const after = modemInputs(n);
  const changed = before ^ after;
  let deltas = msr & MSR_DELTAS;
  if ((changed & MSR_CTS) != 0) deltas |= MSR_DCTS;
  if ((changed & MSR_DSR) != 0) deltas |= MSR_DDSR;
  if ((changed & MSR_DCD) != 0) deltas |= MSR_DDCD;
  if ((before & MSR_RI) != 0 && (after & MSR_RI) == 0) deltas |= MSR_TERI;
  put(n, S_MSR, after | deltas);
}

// ---- interrupts ----

/** The pending interrupt of highest priority as an IIR identification (bits 3:0). */
function pendingInterrupt(n: u32): u32 {
  const ier = get(n, S_IER);
  if ((ier & IER_RLSI) != 0 && (get(n, S_LSR_ERRORS) & LSR_ERRORS) != 0) return IIR_RLSI;
  if ((ier & IER_RDI) != 0) {
    const count = get(n, S_RX_COUNT);
    if (count != 0 && (!fifoEnabled(n) || count >= rxTriggerLevel(n))) return IIR_RDI;
    if (get(n, S_TIMEOUT_IPENDING) != 0 && count != 0) return IIR_CTI;
  }
  if ((ier & IER_THRI) != 0 && get(n, S_THR_IPENDING) != 0) return IIR_THRI;
  if ((ier & IER_MSI) != 0 && (get(n, S_MSR) & MSR_DELTAS) != 0) return IIR_MSI;
  return IIR_NO_INT;
}

/** Drive the ISA line: shared by two UARTs (COM1/COM3, COM2/COM4), so OR their outputs. */
function updateIrq(n: u32): void {
  const mcr = get(n, S_MCR);
  const asserted = pendingInterrupt(n) != IIR_NO_INT && (mcr & MCR_OUT2) != 0 && (mcr & MCR_LOOP) == 0;
  put(n, S_IRQ_ASSERTED, asserted ? 1 : 0);
  const irq = get(n, S_IRQ);
  let level = false;
  for (let i: u32 = 0; i < UART_COUNT; i++) {
    if (get(i, S_IRQ) == irq && get(i, S_IRQ_ASSERTED) != 0) level = true;
  }
  if (level) raiseIrq(irq);
  else lowerIrq(irq);
}

function readIir(n: u32): u32 {
  const id = pendingInterrupt(n);
  // Reading IIR while it reports THRE clears that interrupt (Table IV).
  if (id == IIR_THRI) {
    put(n, S_THR_IPENDING, 0);
    updateIrq(n);
  }
  return id | (fifoEnabled(n) ? IIR_FIFOS_ENABLED : 0);
}

function writeFcr(n: u32, v: u32): void {
  const old = get(n, S_FCR);
  // Changing FIFO enable clears both FIFOs; other bits are only programmed
  // while bit 0 is written as 1 (§8.4).
  if (((old ^ v) & FCR_ENABLE) != 0 || (v & FCR_CLEAR_RX) != 0) {
    put(n, S_RX_COUNT, 0);
    put(n, S_RX_HEAD, 0);
    put(n, S_TIMEOUT_IPENDING, 0);
  }
  if (((old ^ v) & FCR_ENABLE) != 0 || (v & FCR_CLEAR_TX) != 0) {
    put(n, S_TX_COUNT, 0);
    put(n, S_TX_HEAD, 0);
    put(n, S_THR_IPENDING, 1);
  }
  put(n, S_FCR, (v & FCR_ENABLE) != 0 ? v & FCR_STORED : 0);
  pullHostInput(n);
  updateIrq(n);
}

function writeIer(n: u32, v: u32): void {
  const old = get(n, S_IER);
  const ier = v & IER_MASK;
  put(n, S_IER, ier);
  // Enabling the THRE interrupt while the holding register is empty raises it
  // at once (as Linux's 8250 driver expects when it tests for the THRE bug).
  if (((old ^ ier) & IER_THRI) != 0) {
    put(n, S_THR_IPENDING, (ier & IER_THRI) != 0 && get(n, S_TX_COUNT) == 0 ? 1 : 0);
  }
  updateIrq(n);
}

function writeMcr(n: u32, v: u32): void {
  put(n, S_MCR, v & MCR_MASK);
  updateModemInputs(n);
  pullHostInput(n); // leaving loopback reconnects the serial input
  updateIrq(n);
}

// ---- the port interface (8-bit registers; ports.ts splits wider accesses) ----

export function uartRead(n: u32, port: u32): u32 {
  const reg = port & (UART_PORT_COUNT - 1);
  const dlab = (get(n, S_LCR) & LCR_DLAB) != 0;
  switch (reg) {
    case REG_RBR_THR:
      return dlab ? get(n, S_DLL) : readRbr(n);
    case REG_IER:
      return dlab ? get(n, S_DLM) : get(n, S_IER);
    case REG_IIR_FCR:
      return readIir(n);
    case REG_LCR:
      return get(n, S_LCR);
    case REG_MCR:
      return get(n, S_MCR);
    case REG_LSR:
      return readLsr(n);
    case REG_MSR: {
      const msr = get(n, S_MSR);
      // Reading MSR clears the delta bits and the modem status interrupt (§8.8).
      put(n, S_MSR, msr & ~MSR_DELTAS);
      updateIrq(n);
      return msr;
    }
    default:
      return get(n, S_SCR);
  }
}

export function uartWrite(n: u32, port: u32, value: u32): void {
  const reg = port & (UART_PORT_COUNT - 1);
  const v = value & 0xff;
  const dlab = (get(n, S_LCR) & LCR_DLAB) != 0;
  switch (reg) {
    case REG_RBR_THR:
      if (dlab) put(n, S_DLL, v);
      else writeThr(n, v);
      break;
    case REG_IER:
      if (dlab) put(n, S_DLM, v);
      else writeIer(n, v);
      break;
    case REG_IIR_FCR:
      writeFcr(n, v);
      break;
    case REG_LCR:
      put(n, S_LCR, v);
      break;
    case REG_MCR:
      writeMcr(n, v);
      break;
    case REG_SCR:
      put(n, S_SCR, v);
      break;
    default:
      // LSR and MSR writes are for factory test only (§8.6); ignored.
      break;
  }
}

/**
 * Between run() slices, after the host moved bytes in or out of the rings:
 * send what waits, take in what arrived, and arm the character timeout when
 * data sits below the trigger level with nothing more coming.
 */
export function serviceUarts(): void {
  for (let n: u32 = 0; n < UART_COUNT; n++) {
    drainTxQueue(n);
    pullHostInput(n);
    const count = get(n, S_RX_COUNT);
    if (fifoEnabled(n) && count != 0 && count < rxTriggerLevel(n) && (loopback(n) || ringUsed(uartRxRing(n)) == 0)) {
      put(n, S_TIMEOUT_IPENDING, 1);
    }
    updateIrq(n);
  }
}

/** Bytes lost because a guest overran the transmit queue (diagnostics). */
export function uartTxDropped(n: u32): u32 {
  return get(n, S_TX_DROPPED);
}
