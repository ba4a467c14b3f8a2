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
//   0x00C0_0000  AssemblyScript static data and (tiny) heap (asconfig memoryBase)
//   0x0100_0000  guest RAM: guest-physical address p lives at RAM_BASE + p
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
//   DEVICE_STATE + 0x0000  four 16550A UARTs (COM1..COM4), UART_STATE_STRIDE each
//   DEVICE_STATE + 0x0800  debug console channels (core-as/devices/debugcon.ts)
export const UART_STATE: u32 = DEVICE_STATE + 0x0;
export const UART_STATE_STRIDE: u32 = 0x200;
export const UART_STATE_SIZE: u32 = 0x800;
export const DEBUGCON_STATE: u32 = DEVICE_STATE + 0x800;
export const DEBUGCON_STATE_SIZE: u32 = 0x100;

export const RINGS: u32 = 0x0004_0000;
export const RINGS_SIZE: u32 = 0x0004_0000;
export const STATS: u32 = 0x0008_0000;
export const STATS_SIZE: u32 = 0x0001_0000;
export const TLB: u32 = 0x0010_0000;
export const TLB_ENTRIES: u32 = 0x0010_0000;
export const TLB_VALID_LIST: u32 = 0x0050_0000;
export const TLB_VALID_LIST_MAX: u32 = 0x0004_0000;
export const CODE_BITMAP: u32 = 0x0060_0000;
export const RAM_BASE: u32 = 0x0100_0000;

/** Largest guest RAM the address space allows (leaves 64 MiB for VRAM etc. above RAM). */
export const RAM_MAX: u32 = 0xfc00_0000 - RAM_BASE;
