// Device identifiers for the port and MMIO maps (core-as/machine/ports.ts, mmio.ts).
//
// Every device that decodes I/O ports or guest-physical pages has one id; the
// maps hold a u8 id per port and per 4 KiB page, and the dispatchers switch on
// it. An id is a name for a decoder, not an instance: one id may cover several
// chips of a kind (the four UARTs, the two PICs) whose handler tells them
// apart by address.

export const DEV_NONE: u32 = 0; // nobody decodes: open bus
export const DEV_UART: u32 = 1; // 16550A COM1-COM4
export const DEV_DEBUG_EXIT: u32 = 2; // isa-debug-exit
export const DEV_PIC: u32 = 3; // 8259A pair + ELCR
export const DEV_PIT: u32 = 4; // 8254
export const DEV_RTC: u32 = 5; // MC146818 CMOS/RTC
export const DEV_SYSTEM_CONTROL: u32 = 6; // port 0x61 (NMI status/control, speaker) and 0x92 (fast A20/reset)
export const DEV_I8042: u32 = 7; // keyboard controller
export const DEV_VGA: u32 = 8; // VGA registers and the legacy window 0xA0000-0xBFFFF
export const DEV_VBE: u32 = 9; // Bochs VBE (DISPI) registers and the linear framebuffer
export const DEV_PCI: u32 = 10; // configuration mechanism #1 (0xCF8/0xCFC)
export const DEV_IDE: u32 = 11; // PIIX IDE channels and bus master
export const DEV_FDC: u32 = 12; // 82077AA floppy controller
export const DEV_FW_CFG: u32 = 13; // QEMU fw_cfg
export const DEV_ACPI_PM: u32 = 14; // PIIX4 power management
export const DEV_LAPIC: u32 = 15; // local APIC (MMIO)
export const DEV_IOAPIC: u32 = 16; // IOAPIC (MMIO)
export const DEV_ROM: u32 = 17; // read-only firmware images (the BIOS's high alias)
export const DEV_SHADOW: u32 = 18; // 0xC0000-0xFFFFF under PAM control (i440FX)
export const DEV_TESTDEV: u32 = 19; // QEMU pc-testdev
export const DEV_FPU_ERROR: u32 = 20; // port 0xF0: clears FERR# (IRQ 13)
export const DEV_POST: u32 = 21; // port 0x80 POST codes (no side effect; a debugcon may attach)
export const DEV_RESET_CONTROL: u32 = 22; // port 0xCF9 (PIIX3 reset control)
export const DEV_PIIX3: u32 = 23; // PIIX3 PCI-to-ISA bridge (PCI configuration only: PIRQ routing)
export const DEV_DMA: u32 = 24; // 8237A DMA controllers and page registers
export const DEV_COUNT: u32 = 25;
