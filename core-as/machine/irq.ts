// The machine's interrupt routing: devices raise ISA IRQ lines, the
// interrupt controller turns them into the CPU's INTR line and vectors.
//
// The foundation machine has no interrupt controller yet (the 8259A pair
// arrives with the PC platform issue), so device IRQ lines go nowhere and the
// CPU's INTR line stays low. A spurious acknowledge returns the 8259A's
// spurious vector for IRQ 7 (0x0f with the BIOS's default base 0x08).

const SPURIOUS_VECTOR: u32 = 0x0f;

/** Level of each of the 16 ISA IRQ lines, for the controller to sample. */
let irqLevels: u32 = 0;

export function raiseIrq(line: u32): void {
  irqLevels |= 1 << (line & 15);
}
export function lowerIrq(line: u32): void {
  irqLevels &= ~(1 << (line & 15));
}
export function irqLevel(line: u32): bool {
  return (irqLevels & (1 << (line & 15))) != 0;
}
export function acknowledgeIrq(): u32 {
  return SPURIOUS_VECTOR;
}
