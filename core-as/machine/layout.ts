// The map of tabvm's one shared WebAssembly.Memory (DESIGN §3).
//
// Everything the core touches lives at a fixed address, so every thread (UI,
// worker, helper) and every JIT module sees the same bytes without messages:
//
//   0x0000_0000  guard page area (never used; catches null-pointer bugs in tests)
//   0x0001_0000  CPU state                (CPU_STATE_SIZE)
//   0x0002_0000  device state             (DEVICE_STATE_SIZE)
//   0x0004_0000  host rings (serial, debug console, ...)
//   0x0008_0000  statistics counters
//   0x0010_0000  software TLB: 2^20 i32 entries, one per 4 KiB linear page
//   0x0050_0000  list of valid TLB entries (for cheap flushes)
//   0x0060_0000  physical code-page bitmap (for the JIT; 1 bit per 4 KiB page)
//   0x0070_0000  I/O port map: the device that decodes each of the 65536 ports (u8 device id)
//   0x0071_0000  MMIO map: the device that decodes each 4 KiB guest-physical page (u8 device id)
//   0x0081_0000  large device buffers (disk sector buffers, fw_cfg files, ...)
//   0x0090_0000  firmware ROM images (system BIOS, VGA BIOS, option ROMs)
//   0x00C0_0000  AssemblyScript static data and (tiny) heap (asconfig memoryBase)
//   0x0100_0000  guest RAM: guest-physical address p lives at RAM_BASE + p
//
// VRAM sits above guest RAM (vramBase() in core-as/machine/physmem.ts), so its
// size does not eat into the fixed core region.
//
// Guest RAM sits above a fixed-size core region rather than at address 0: the
// offset rides free in every load's immediate, and guest RAM size is then a
// run-time choice (up to ~4 GiB minus this region) instead of a compile-time cap.

export const CPU_STATE: u32 = 0x0001_0000;
export const CPU_STATE_SIZE: u32 = 0x0001_0000;
export const DEVICE_STATE: u32 = 0x0002_0000;
export const DEVICE_STATE_SIZE: u32 = 0x0002_0000;

// Device state sub-regions: one fixed block per device, so a save state (and
// a debugger) can find each device's registers without asking the device.
export const UART_STATE: u32 = DEVICE_STATE + 0x0000; // four 16550A UARTs (COM1..COM4)
export const UART_STATE_STRIDE: u32 = 0x200;
export const UART_STATE_SIZE: u32 = 0x800;
export const DEBUGCON_STATE: u32 = DEVICE_STATE + 0x0800; // debug console channels
export const DEBUGCON_STATE_SIZE: u32 = 0x100;
export const RESET_CONTROL_STATE: u32 = DEVICE_STATE + 0x0900; // port 0xCF9 (0x10)
export const IRQ_STATE: u32 = DEVICE_STATE + 0x0940; // ISA IRQ line sources (0x40)
export const CLOCK_STATE: u32 = DEVICE_STATE + 0x0980; // virtual clock (0x80)
export const PIC_STATE: u32 = DEVICE_STATE + 0x0a00; // 8259A pair + ELCR (0x100)
export const PIT_STATE: u32 = DEVICE_STATE + 0x0b00; // 8254 (0x100)
export const RTC_STATE: u32 = DEVICE_STATE + 0x0c00; // MC146818: registers + 256 bytes NVRAM (0x200)
export const SYSTEM_CONTROL_STATE: u32 = DEVICE_STATE + 0x0e00; // ports 0x61, 0x92 (0x100)
export const I8042_STATE: u32 = DEVICE_STATE + 0x1000; // keyboard controller, keyboard, mouse (0x400)
export const PCI_STATE: u32 = DEVICE_STATE + 0x1400; // configuration spaces and bookkeeping (0x2400)
export const PCI_STATE_SIZE: u32 = 0x2400;
export const SHADOW_STATE: u32 = DEVICE_STATE + 0x3800; // PAM / firmware ROM bookkeeping (0x100)
export const FW_CFG_STATE: u32 = DEVICE_STATE + 0x3900; // fw_cfg registers and directory (0x300)
export const ACPI_PM_STATE: u32 = DEVICE_STATE + 0x3c00; // PIIX4 PM (0x100)
export const IOAPIC_STATE: u32 = DEVICE_STATE + 0x3d00; // 82093AA (0x200)
export const TESTDEV_STATE: u32 = DEVICE_STATE + 0x3f00; // pc-testdev (0x100)
export const LAPIC_STATE: u32 = DEVICE_STATE + 0x4000; // local APIC register page (0x1000)
export const VGA_STATE: u32 = DEVICE_STATE + 0x5000; // VGA registers, DAC, latches (0x2000)
export const VBE_STATE: u32 = DEVICE_STATE + 0x7000; // Bochs DISPI (0x200)
export const IDE_STATE: u32 = DEVICE_STATE + 0x7200; // PIIX IDE channels, drives, bus master (0x1000)
export const FDC_STATE: u32 = DEVICE_STATE + 0x8200; // 82077AA (0x400)
export const DMA_STATE: u32 = DEVICE_STATE + 0x8600; // 8237A pair and page registers (0x200)
export const DEVICE_STATE_FREE: u32 = DEVICE_STATE + 0x8800; // unassigned from here

export const RINGS: u32 = 0x0004_0000;
export const RINGS_SIZE: u32 = 0x0004_0000;
export const STATS: u32 = 0x0008_0000;
export const STATS_SIZE: u32 = 0x0001_0000;
export const TLB: u32 = 0x0010_0000;
export const TLB_ENTRIES: u32 = 0x0010_0000;
export const TLB_VALID_LIST: u32 = 0x0050_0000;
export const TLB_VALID_LIST_MAX: u32 = 0x0004_0000;
export const CODE_BITMAP: u32 = 0x0060_0000; // 1 bit per 4 KiB physical page: 128 KiB for 4 GiB
export const CODE_BITMAP_SIZE: u32 = 0x0002_0000;
// JIT (core-as/jit): block cache, function body scratch, module bytes, status words (0x0062_0000..0x0070_0000).
export const JIT_BUFFERS: u32 = 0x0062_0000;
export const JIT_BLOCKS: u32 = JIT_BUFFERS; // block cache: JIT_BLOCK_COUNT × JIT_BLOCK_SIZE bytes (jit/cache.ts)
export const JIT_BLOCK_COUNT: u32 = 0x4000;
export const JIT_BLOCK_SIZE: u32 = 0x20;
export const JIT_MODULE: u32 = JIT_BUFFERS + 0x8_0000; // finished module bytes handed to the host (128 KiB)
export const JIT_MODULE_SIZE: u32 = 0x2_0000;
export const JIT_STATUS: u32 = JIT_BUFFERS + 0xa_0000; // u32: last helper read faulted (1) or not (0)
export const JIT_PENDING: u32 = JIT_BUFFERS + 0xa_0004; // u32: instructions a running block completed so far
export const JIT_FREE_SLOTS: u32 = JIT_BUFFERS + 0xa_1000; // u32 stack of table slots freed by dropped blocks (jit/cache.ts)
export const JIT_FREE_SLOTS_MAX: u32 = 0x2000;
export const JIT_BODY: u32 = JIT_BUFFERS + 0xb_0000; // function bodies being emitted (128 KiB)
export const JIT_BODY_SIZE: u32 = 0x2_0000;
export const PORT_MAP: u32 = 0x0070_0000;
export const PORT_MAP_SIZE: u32 = 0x0001_0000;
export const MMIO_MAP: u32 = 0x0071_0000;
export const MMIO_MAP_SIZE: u32 = 0x0010_0000;
export const DEVICE_BUFFERS: u32 = 0x0081_0000;
export const DEVICE_BUFFERS_SIZE: u32 = 0x000f_0000;
export const ROM_AREA: u32 = 0x0090_0000;
export const ROM_AREA_SIZE: u32 = 0x0030_0000;

// Large device buffers (DEVICE_BUFFERS): sector and packet buffers, fw_cfg files.
export const IDE_BUFFERS: u32 = DEVICE_BUFFERS + 0x00000; // 4 drives × 64 KiB
export const IDE_BUFFERS_SIZE: u32 = 0x40000;
export const FDC_BUFFER: u32 = DEVICE_BUFFERS + 0x40000; // one track (0x8000)
export const VGA_BUFFERS: u32 = DEVICE_BUFFERS + 0x48000; // (0x18000)
export const FW_CFG_DATA: u32 = DEVICE_BUFFERS + 0x60000; // fw_cfg file contents (0x90000)
export const FW_CFG_DATA_SIZE: u32 = 0x90000;
/** Video memory of the VGA/VBE adapter: 16 MiB, enough for 1920×1080×32 twice over. */
export const VRAM_SIZE: u32 = 0x0100_0000;
export const RAM_BASE: u32 = 0x0100_0000;

/** Largest guest RAM the address space allows (leaves 64 MiB for VRAM etc. above RAM). */
export const RAM_MAX: u32 = 0xfc00_0000 - RAM_BASE;
