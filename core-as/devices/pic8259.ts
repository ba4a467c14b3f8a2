// Intel 8259A Programmable Interrupt Controller: the PC/AT's cascaded pair,
// with the PIIX3's Edge/Level Control Registers.
//
// References: Intel 8259A datasheet (order 231468): "Interrupt sequence",
// "Programming the 8259A" (ICW1-ICW4, OCW1-OCW3), "Fully nested mode",
// "Special mask mode", "Poll command", "Automatic rotation", "Specific
// rotation", "Edge and level triggered modes", "The special fully nested
// mode", "Cascade mode"; Intel 82371SB (PIIX3) datasheet §4.2 "ELCR1/ELCR2"
// (ports 0x4D0/0x4D1; IRQ 0, 1, 2, 8 and 13 must stay edge triggered).
// QEMU's hw/intc/i8259.c is the behavioural reference for the corner cases
// the datasheet leaves open (what a level line that drops before INTA does).
//
// Ports: master 0x20 (ICW1, OCW2, OCW3; IRR/ISR/poll read) and 0x21 (ICW2-4,
//        OCW1 = IMR); slave 0xA0/0xA1; ELCR 0x4D0 (master), 0x4D1 (slave).
// Wiring: ISA IRQ 0-7 → master IR0-7, IRQ 8-15 → slave IR0-7, the slave's INT
//         output → master IR2 (cascade); the master's INT → the CPU's INTR.
//
// Edge-triggered requests are latched in IRR on a rising edge and stay there
// until acknowledged (devices in tabvm pulse edge lines instantly, as QEMU's
// do, so the datasheet's "IR must stay high until the first INTA" would lose
// them). A level-triggered request follows its line: if it goes away before
// INTA, the acknowledge gets the datasheet's "default IR7" (spurious IRQ 7;
// on the slave, spurious IRQ 15 with the master's cascade bit in service).

import { PIC_STATE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { irqLevel } from '../machine/irq';
import { DEV_PIC } from '../machine/device-ids';
import { setIntrLine } from '../cpu/external';

export const PORT_PIC_MASTER: u32 = 0x20;
export const PORT_PIC_SLAVE: u32 = 0xa0;
export const PORT_ELCR: u32 = 0x4d0;
const PIC_PORT_COUNT: u32 = 2;
const ELCR_PORT_COUNT: u32 = 2;

const MASTER: u32 = 0;
const SLAVE: u32 = 1;
/** The master input the slave's INT drives. */
const CASCADE_IRQ: u32 = 2;
const SPURIOUS_IRQ: u32 = 7;
const NO_IRQ: i32 = -1;
const PRIORITY_NONE: u32 = 8;
const LINES_PER_CHIP: u32 = 8;

/** PIIX3: IRQ 0, 1, 2 (master) and 8, 13 (slave) are edge triggered only. */
const ELCR_MASK_MASTER: u32 = 0xf8;
const ELCR_MASK_SLAVE: u32 = 0xde;

// ICW1 (write to the even port with bit 4 set).
const ICW1_INIT: u32 = 0x10;
const ICW1_LTIM: u32 = 0x08; // level triggered mode (all lines)
const ICW1_SNGL: u32 = 0x02; // single (no ICW3)
const ICW1_IC4: u32 = 0x01; // ICW4 follows
// ICW4.
const ICW4_SFNM: u32 = 0x10; // special fully nested mode
const ICW4_AEOI: u32 = 0x02; // automatic EOI
// OCW3 (even port, bits 4-3 = 01).
const OCW3_SELECT: u32 = 0x08;
const OCW3_ESMM: u32 = 0x40; // bit 5 (SMM) is valid
const OCW3_SMM: u32 = 0x20;
const OCW3_POLL: u32 = 0x04;
const OCW3_RR: u32 = 0x02; // bit 0 (RIS) is valid
const OCW3_RIS: u32 = 0x01; // read ISR (else IRR)
// OCW2 commands (bits 7-5).
const OCW2_ROTATE_AEOI_CLEAR: u32 = 0;
const OCW2_EOI: u32 = 1;
const OCW2_SPECIFIC_EOI: u32 = 3;
const OCW2_ROTATE_AEOI_SET: u32 = 4;
const OCW2_ROTATE_EOI: u32 = 5;
const OCW2_SET_PRIORITY: u32 = 6;
const OCW2_ROTATE_SPECIFIC_EOI: u32 = 7;
const OCW2_LEVEL_MASK: u32 = 0x07;
const POLL_INTERRUPT: u32 = 0x80;
const VECTOR_BASE_MASK: u32 = 0xf8;

// Initialisation sequence state.
const INIT_READY: u32 = 0; // odd-port writes are OCW1
const INIT_ICW2: u32 = 1;
const INIT_ICW3: u32 = 2;
const INIT_ICW4: u32 = 3;

// Per-chip state (u8 fields), chip n at PIC_STATE + n * CHIP_STRIDE.
const CHIP_STRIDE: u32 = 0x20;
const F_IRR: u32 = 0; // interrupt request register
const F_IMR: u32 = 1; // interrupt mask register
const F_ISR: u32 = 2; // in-service register
const F_EDGE_SENSE: u32 = 3; // last seen input levels (edge detection)
const F_PRIORITY_ADD: u32 = 4; // the lowest-priority line + 1 (rotation)
const F_VECTOR_BASE: u32 = 5; // ICW2 T7-T3
const F_READ_ISR: u32 = 6; // OCW3 RIS
const F_POLL: u32 = 7; // a poll command awaits its read
const F_SPECIAL_MASK: u32 = 8;
const F_INIT_STATE: u32 = 9;
const F_ICW4_NEEDED: u32 = 10;
const F_SINGLE: u32 = 11;
const F_AUTO_EOI: u32 = 12;
const F_ROTATE_AEOI: u32 = 13;
const F_SFNM: u32 = 14;
const F_LTIM: u32 = 15;
const F_ELCR: u32 = 16;
const F_ICW3: u32 = 17;
const F_INT_OUT: u32 = 18; // the chip's INT output

@inline function chipBase(chip: u32): u32 {
  return PIC_STATE + chip * CHIP_STRIDE;
}
@inline function get(chip: u32, field: u32): u32 {
  return <u32>load<u8>(chipBase(chip) + field);
}
@inline function set(chip: u32, field: u32, v: u32): void {
  store<u8>(chipBase(chip) + field, <u8>v);
}

/** Level-triggered lines of a chip (ELCR, or all with ICW1.LTIM). */
@inline function levelLines(chip: u32): u32 {
  return get(chip, F_LTIM) != 0 ? 0xff : get(chip, F_ELCR);
}

/** The chip's input levels: its eight ISA lines (the master's IR2 also has the slave's INT). */
function inputLevels(chip: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < LINES_PER_CHIP; i++) {
    if (irqLevel(chip * LINES_PER_CHIP + i)) v |= 1 << i;
  }
  if (chip == MASTER && get(SLAVE, F_INT_OUT) != 0) v |= 1 << CASCADE_IRQ;
  return v;
}

/** Priority rank (0 = highest) of the best bit of `mask` under the current rotation; 8 if none. */
function priorityOf(chip: u32, mask: u32): u32 {
  if ((mask & 0xff) == 0) return PRIORITY_NONE;
  const add = get(chip, F_PRIORITY_ADD);
  let p: u32 = 0;
  while ((mask & (1 << ((p + add) & 7))) == 0) p++;
  return p;
}

/** The line the chip would interrupt for now, or NO_IRQ (fully nested priority resolution). */
function pendingIrq(chip: u32): i32 {
  const requests = get(chip, F_IRR) & ~get(chip, F_IMR);
  const p = priorityOf(chip, requests);
  if (p == PRIORITY_NONE) return NO_IRQ;
  let inService = get(chip, F_ISR);
  // Special mask mode: masked in-service levels do not block lower ones.
  if (get(chip, F_SPECIAL_MASK) != 0) inService &= ~get(chip, F_IMR);
  // Special fully nested mode: the slave decides its own nesting.
  if (chip == MASTER && get(chip, F_SFNM) != 0) inService &= ~(1 << CASCADE_IRQ);
  if (p < priorityOf(chip, inService)) return <i32>((p + get(chip, F_PRIORITY_ADD)) & 7);
  return NO_IRQ;
}

/** Recompute INT outputs: the slave's into master IR2, the master's into the CPU's INTR. */
function update(): void {
  const slaveInt: u32 = pendingIrq(SLAVE) != NO_IRQ ? 1 : 0;
  if (slaveInt != get(SLAVE, F_INT_OUT)) {
    set(SLAVE, F_INT_OUT, slaveInt);
    inputChanged(MASTER, CASCADE_IRQ, slaveInt != 0 || irqLevel(CASCADE_IRQ));
  }
  const masterInt: u32 = pendingIrq(MASTER) != NO_IRQ ? 1 : 0;
  set(MASTER, F_INT_OUT, masterInt);
  setIntrLine(masterInt != 0);
}

/** IR input `line` of `chip` changed to `high` (no update()). */
function inputChanged(chip: u32, line: u32, high: bool): void {
  const bit: u32 = 1 << line;
  const sense = get(chip, F_EDGE_SENSE);
  let irr = get(chip, F_IRR);
  if ((levelLines(chip) & bit) != 0) {
    irr = high ? irr | bit : irr & ~bit;
  } else if (high && (sense & bit) == 0) {
    irr |= bit;
  }
  set(chip, F_EDGE_SENSE, high ? sense | bit : sense & ~bit);
  set(chip, F_IRR, irr);
}

/** An ISA IRQ line changed level (core-as/machine/irq.ts). */
export function picLineChanged(line: u32, high: bool): void {
  line &= 15;
  const chip = line >>> 3;
  const pin = line & 7;
  if (chip == MASTER && pin == CASCADE_IRQ) high = high || get(SLAVE, F_INT_OUT) != 0;
  inputChanged(chip, pin, high);
  update();
}

/** The acknowledge of `irq` on one chip: ISR (or AEOI rotation), and an edge request is consumed. */
function intack(chip: u32, irq: u32): void {
  const bit: u32 = 1 << irq;
  if (get(chip, F_AUTO_EOI) != 0) {
    if (get(chip, F_ROTATE_AEOI) != 0) set(chip, F_PRIORITY_ADD, (irq + 1) & 7);
  } else {
    set(chip, F_ISR, get(chip, F_ISR) | bit);
  }
  if ((levelLines(chip) & bit) == 0) set(chip, F_IRR, get(chip, F_IRR) & ~bit);
}

/** INTA cycle: the vector of the highest-priority request (8259A "Interrupt sequence"). */
export function picAcknowledge(): u32 {
  let vector: u32;
  const irq = pendingIrq(MASTER);
  if (irq == NO_IRQ) {
    // The request went away before INTA: default IR7, ISR untouched.
    vector = get(MASTER, F_VECTOR_BASE) + SPURIOUS_IRQ;
  } else {
    intack(MASTER, <u32>irq);
    if (<u32>irq == CASCADE_IRQ && get(MASTER, F_SINGLE) == 0) {
      const irq2 = pendingIrq(SLAVE);
      if (irq2 == NO_IRQ) {
        vector = get(SLAVE, F_VECTOR_BASE) + SPURIOUS_IRQ;
      } else {
        intack(SLAVE, <u32>irq2);
        vector = get(SLAVE, F_VECTOR_BASE) + <u32>irq2;
      }
    } else {
      vector = get(MASTER, F_VECTOR_BASE) + <u32>irq;
    }
  }
  update();
  return vector;
}

/** ICW1: start the initialisation sequence (datasheet "Initialization command words"). */
function initCommand(chip: u32, value: u32): void {
  set(chip, F_IMR, 0);
  set(chip, F_ISR, 0);
  set(chip, F_PRIORITY_ADD, 0);
  set(chip, F_READ_ISR, 0);
  set(chip, F_POLL, 0);
  set(chip, F_SPECIAL_MASK, 0);
  set(chip, F_AUTO_EOI, 0);
  set(chip, F_ROTATE_AEOI, 0);
  set(chip, F_SFNM, 0);
  set(chip, F_ICW4_NEEDED, (value & ICW1_IC4) != 0 ? 1 : 0);
  set(chip, F_SINGLE, (value & ICW1_SNGL) != 0 ? 1 : 0);
  set(chip, F_LTIM, (value & ICW1_LTIM) != 0 ? 1 : 0);
  set(chip, F_INIT_STATE, INIT_ICW2);
  // The edge sense latch is cleared: a line already high needs a new rising
  // edge; level-triggered requests follow their lines.
  const levels = inputLevels(chip);
  set(chip, F_EDGE_SENSE, levels);
  set(chip, F_IRR, levels & levelLines(chip));
}

/** OCW2: end of interrupt and rotation commands. */
function operationCommand2(chip: u32, value: u32): void {
  const level = value & OCW2_LEVEL_MASK;
  switch (value >>> 5) {
    case OCW2_ROTATE_AEOI_CLEAR:
      set(chip, F_ROTATE_AEOI, 0);
      break;
    case OCW2_ROTATE_AEOI_SET:
      set(chip, F_ROTATE_AEOI, 1);
      break;
    case OCW2_EOI:
    case OCW2_ROTATE_EOI: {
      const isr = get(chip, F_ISR);
      const p = priorityOf(chip, isr);
      if (p == PRIORITY_NONE) break;
      const irq = (p + get(chip, F_PRIORITY_ADD)) & 7;
      set(chip, F_ISR, isr & ~(1 << irq));
      if (value >>> 5 == OCW2_ROTATE_EOI) set(chip, F_PRIORITY_ADD, (irq + 1) & 7);
      break;
    }
    case OCW2_SPECIFIC_EOI:
      set(chip, F_ISR, get(chip, F_ISR) & ~(1 << level));
      break;
    case OCW2_ROTATE_SPECIFIC_EOI:
      set(chip, F_ISR, get(chip, F_ISR) & ~(1 << level));
      set(chip, F_PRIORITY_ADD, (level + 1) & 7);
      break;
    case OCW2_SET_PRIORITY:
      // `level` becomes the lowest priority.
      set(chip, F_PRIORITY_ADD, (level + 1) & 7);
      break;
    default:
      break;
  }
}

function chipWrite(chip: u32, odd: bool, value: u32): void {
  if (!odd) {
    if ((value & ICW1_INIT) != 0) initCommand(chip, value);
    else if ((value & OCW3_SELECT) != 0) {
      if ((value & OCW3_POLL) != 0) set(chip, F_POLL, 1);
      if ((value & OCW3_RR) != 0) set(chip, F_READ_ISR, value & OCW3_RIS);
      if ((value & OCW3_ESMM) != 0) set(chip, F_SPECIAL_MASK, (value & OCW3_SMM) != 0 ? 1 : 0);
    } else operationCommand2(chip, value);
    update();
    return;
  }
  switch (get(chip, F_INIT_STATE)) {
    case INIT_ICW2:
      set(chip, F_VECTOR_BASE, value & VECTOR_BASE_MASK);
      if (get(chip, F_SINGLE) != 0) set(chip, F_INIT_STATE, get(chip, F_ICW4_NEEDED) != 0 ? INIT_ICW4 : INIT_READY);
      else set(chip, F_INIT_STATE, INIT_ICW3);
      break;
    case INIT_ICW3:
      set(chip, F_ICW3, value);
      set(chip, F_INIT_STATE, get(chip, F_ICW4_NEEDED) != 0 ? INIT_ICW4 : INIT_READY);
      break;
    case INIT_ICW4:
      set(chip, F_SFNM, (value & ICW4_SFNM) != 0 ? 1 : 0);
      set(chip, F_AUTO_EOI, (value & ICW4_AEOI) != 0 ? 1 : 0);
      set(chip, F_INIT_STATE, INIT_READY);
      break;
    default:
      set(chip, F_IMR, value);
      break;
  }
  update();
}

/** Poll command read: 0x80 | level when a request is pending (acknowledged like INTA), else 0. */
function pollRead(chip: u32): u32 {
  set(chip, F_POLL, 0);
  const irq = pendingIrq(chip);
  if (irq == NO_IRQ) return 0;
  intack(chip, <u32>irq);
  update();
  return POLL_INTERRUPT | <u32>irq;
}

function chipRead(chip: u32, odd: bool): u32 {
  if (get(chip, F_POLL) != 0) return pollRead(chip);
  if (odd) return get(chip, F_IMR);
  return get(chip, F_READ_ISR) != 0 ? get(chip, F_ISR) : get(chip, F_IRR);
}

function elcrWrite(chip: u32, value: u32): void {
  const mask = chip == MASTER ? ELCR_MASK_MASTER : ELCR_MASK_SLAVE;
  set(chip, F_ELCR, value & mask);
  // Lines now level triggered request while high.
  const level = levelLines(chip);
  const levels = inputLevels(chip);
  set(chip, F_IRR, (get(chip, F_IRR) & ~level) | (levels & level));
  set(chip, F_EDGE_SENSE, levels);
  update();
}

export function picRead(port: u32): u32 {
  if ((port & ~1) == PORT_ELCR) return get(port & 1, F_ELCR);
  const chip = (port & ~1) == PORT_PIC_SLAVE ? SLAVE : MASTER;
  return chipRead(chip, (port & 1) != 0);
}

export function picWrite(port: u32, value: u32): void {
  value &= 0xff;
  if ((port & ~1) == PORT_ELCR) {
    elcrWrite(port & 1, value);
    return;
  }
  const chip = (port & ~1) == PORT_PIC_SLAVE ? SLAVE : MASTER;
  chipWrite(chip, (port & 1) != 0, value);
}

/** Claim the ports (machine build). */
export function picInit(): void {
  registerPorts(PORT_PIC_MASTER, PIC_PORT_COUNT, DEV_PIC);
  registerPorts(PORT_PIC_SLAVE, PIC_PORT_COUNT, DEV_PIC);
  registerPorts(PORT_ELCR, ELCR_PORT_COUNT, DEV_PIC);
}

/** RESET: both chips uninitialised (IMR 0, no requests), ELCR all edge (PIIX3 default 00h). */
export function picReset(): void {
  memory.fill(PIC_STATE, 0, 2 * CHIP_STRIDE);
  for (let chip: u32 = 0; chip < 2; chip++) set(chip, F_EDGE_SENSE, inputLevels(chip));
  setIntrLine(false);
}

/** Whether the master's INT output is asserted (tests, the run loop). */
export function picIntOutput(): bool {
  return get(MASTER, F_INT_OUT) != 0;
}
