// QEMU's firmware configuration device (fw_cfg), the way SeaBIOS and test
// kernels find it on a PC.
//
// Reference: QEMU docs/specs/fw_cfg.rst (registers, items 0x0000/0x0001/0x0019,
// the DMA interface); QEMU include/standard-headers/linux/qemu_fw_cfg.h for
// the item keys; SeaBIOS src/fw/paravirt.c for what firmware reads.
//
// Ports:  0x510  selector (16-bit write, little-endian); a byte read returns data too
//         0x511  data (8-bit read; reads past an item's end return 0; writes ignored,
//                as in QEMU ≥ 2.4)
//         0x514  DMA address, 64-bit big-endian in two 32-bit halves: 0x514 the high
//                half, 0x518 the low half, whose write starts the transfer. Reading
//                0x514-0x51b returns "QEMU CFG".
// A DMA transfer reads a big-endian FWCfgDmaAccess {u32 control, u32 length,
// u64 address} from guest RAM: control bit 3 selects item control >> 16, then
// bit 1 reads `length` bytes to `address`, bit 4 writes (rejected: every item
// is read-only to the guest, as QEMU's externally provided items are), bit 2
// skips. The control word is written back as 0, or with bit 0 set on an error
// (an address outside guest RAM). An access structure outside RAM is ignored.
//
// Items live in FW_CFG_DATA (filled by the host through fwCfgAlloc) or, for
// big ones (a kernel, an initrd), in the host area: wasm memory above VRAM
// that the guest cannot address (fwCfgHostArea(); host/fw-cfg.ts sizes the
// memory for it). Either way an item is (key, wasm address, size), and
// every address the host passes is checked to lie in one of those regions.
// Files (keys from 0x20 up) are listed in the directory item 0x19, sorted by
// name like QEMU's, so their keys shift as files are added.

import { FW_CFG_STATE, FW_CFG_DATA, FW_CFG_DATA_SIZE, RAM_BASE, VRAM_SIZE } from '../machine/layout';
import { registerPorts } from '../machine/ports';
import { DEV_FW_CFG } from '../machine/device-ids';
import { getRamSize, vramBase, isPlainRamPage, physRead32, physWrite8, physWrite32, noteDirectWrite } from '../machine/physmem';

export const PORT_FW_CFG_SELECTOR: u32 = 0x510;
export const PORT_FW_CFG_DATA: u32 = 0x511;
export const PORT_FW_CFG_DMA: u32 = 0x514;
const PORT_FW_CFG_DMA_LOW: u32 = 0x518;
const DMA_PORT_COUNT: u32 = 8;

// Item keys (qemu_fw_cfg.h).
export const FW_CFG_SIGNATURE: u32 = 0x00;
export const FW_CFG_ID: u32 = 0x01;
export const FW_CFG_UUID: u32 = 0x02;
export const FW_CFG_RAM_SIZE: u32 = 0x03;
export const FW_CFG_NOGRAPHIC: u32 = 0x04;
export const FW_CFG_NB_CPUS: u32 = 0x05;
export const FW_CFG_NUMA: u32 = 0x0d;
export const FW_CFG_BOOT_MENU: u32 = 0x0e;
export const FW_CFG_MAX_CPUS: u32 = 0x0f;
export const FW_CFG_FILE_DIR: u32 = 0x19;
export const FW_CFG_FILE_FIRST: u32 = 0x20;
const FW_CFG_WRITE_CHANNEL: u32 = 0x4000;
const FW_CFG_ARCH_LOCAL: u32 = 0x8000;
const FW_CFG_KEY_MASK: u32 = 0xffff & ~FW_CFG_WRITE_CHANNEL;
const FW_CFG_INVALID: u32 = 0xffff;

const ID_TRADITIONAL: u32 = 1 << 0;
const ID_DMA: u32 = 1 << 1;
const SIGNATURE_QEMU: u32 = 0x554d4551; // "QEMU" in little-endian byte order
/** "QEMU CFG", the DMA register's signature, as bytes at 0x514.. */
const DMA_SIGNATURE_HI: u32 = 0x51454d55;
const DMA_SIGNATURE_LO: u32 = 0x20434647;

const DMA_CTL_ERROR: u32 = 0x01;
const DMA_CTL_READ: u32 = 0x02;
const DMA_CTL_SKIP: u32 = 0x04;
const DMA_CTL_SELECT: u32 = 0x08;
const DMA_CTL_WRITE: u32 = 0x10;
const DMA_ACCESS_SIZE: u32 = 16;
const PAGE_SIZE: u32 = 0x1000;

const CPU_COUNT: u32 = 1;

// ---- state (FW_CFG_STATE, 0x300 bytes) ----
const S_SELECTOR: u32 = FW_CFG_STATE + 0x00; // u32 key selected (FW_CFG_INVALID: none)
const S_OFFSET: u32 = FW_CFG_STATE + 0x04; // u32 data offset in the selected item
const S_DMA_HIGH: u32 = FW_CFG_STATE + 0x08; // u32 DMA address, high half
const S_ITEMS: u32 = FW_CFG_STATE + 0x0c; // u32 items in the table
const S_USED: u32 = FW_CFG_STATE + 0x10; // u32 bytes of FW_CFG_DATA handed out
const S_FILES: u32 = FW_CFG_STATE + 0x14; // u32 files in the directory
const ITEM_TABLE: u32 = FW_CFG_STATE + 0x40;
const ITEM_SIZE: u32 = 12; // u16 key, u16 reserved, u32 wasm address, u32 size
const ITEM_KEY: u32 = 0;
const ITEM_ADDR: u32 = 4;
const ITEM_LEN: u32 = 8;
export const FW_CFG_MAX_ITEMS: u32 = 56;

// ---- the directory: the head of FW_CFG_DATA ----
const DIR: u32 = FW_CFG_DATA;
const DIR_ENTRY_SIZE: u32 = 64; // u32 size, u16 select, u16 reserved, char name[56] (big-endian)
const DIR_ENTRY_NAME: u32 = 8;
export const FW_CFG_NAME_MAX: u32 = 55; // + NUL
export const FW_CFG_MAX_FILES: u32 = 32;
const DIR_RESERVED: u32 = 0x1000; // 4 + 32 × 64, rounded up
const ALLOC_ALIGN: u32 = 8;

@inline function bswap32(v: u32): u32 {
  return (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

// ---- items ----
@inline function itemAt(i: u32): u32 {
  return ITEM_TABLE + i * ITEM_SIZE;
}
function findItem(key: u32): i32 {
  const n = load<u32>(S_ITEMS);
  for (let i: u32 = 0; i < n; i++) if (<u32>load<u16>(itemAt(i) + ITEM_KEY) == key) return <i32>i;
  return -1;
}

/** True when [addr, addr + size) is host-filled item memory the guest cannot address. */
function validSource(addr: u32, size: u32): bool {
  const end = <u64>addr + <u64>size;
  const dataLo = FW_CFG_DATA + DIR_RESERVED;
  if (addr >= dataLo && end <= <u64>(FW_CFG_DATA + FW_CFG_DATA_SIZE)) return true;
  const hostLo = fwCfgHostArea();
  return addr >= hostLo && end <= (<u64>memory.size() << 16);
}

function setItem(key: u32, addr: u32, size: u32): bool {
  let i = findItem(key);
  if (i < 0) {
    const n = load<u32>(S_ITEMS);
    if (n >= FW_CFG_MAX_ITEMS) return false;
    i = <i32>n;
    store<u32>(S_ITEMS, n + 1);
  }
  const at = itemAt(<u32>i);
  store<u16>(at + ITEM_KEY, <u16>key);
  store<u32>(at + ITEM_ADDR, addr);
  store<u32>(at + ITEM_LEN, size);
  return true;
}

/** Built-in items get their bytes from FW_CFG_DATA like the host's. */
function builtin(key: u32, size: u32): u32 {
  const addr = fwCfgAlloc(size);
  if (addr != 0) setItem(key, addr, size);
  return addr;
}

/** Wasm address of `size` fresh zeroed bytes in FW_CFG_DATA for an item's contents; 0 when full. */
export function fwCfgAlloc(size: u32): u32 {
  const used = load<u32>(S_USED);
  const aligned = (<u64>size + ALLOC_ALIGN - 1) & ~(<u64>ALLOC_ALIGN - 1);
  if (<u64>used + aligned > <u64>(FW_CFG_DATA_SIZE - DIR_RESERVED)) return 0;
  const addr = FW_CFG_DATA + DIR_RESERVED + used;
  memory.fill(addr, 0, <u32>aligned);
  store<u32>(S_USED, used + <u32>aligned);
  return addr;
}

/** Where big items may live: wasm memory above VRAM (the host grows the memory for them). */
export function fwCfgHostArea(): u32 {
  return vramBase() + VRAM_SIZE;
}

/** Add or replace a numbered item (not a file, not the directory). False if refused. */
export function fwCfgAddItem(key: u32, addr: u32, size: u32): bool {
  key &= FW_CFG_KEY_MASK;
  if (key == FW_CFG_FILE_DIR) return false;
  if ((key & ~FW_CFG_ARCH_LOCAL) >= FW_CFG_FILE_FIRST && (key & FW_CFG_ARCH_LOCAL) == 0) return false;
  if (!validSource(addr, size)) return false;
  return setItem(key, addr, size);
}

/** Compare a new name with directory entry `e` (like strcmp). */
function compareName(namePtr: u32, nameLen: u32, e: u32): i32 {
  const other = DIR + 4 + e * DIR_ENTRY_SIZE + DIR_ENTRY_NAME;
  for (let i: u32 = 0; i <= FW_CFG_NAME_MAX; i++) {
    const a: i32 = i < nameLen ? <i32>load<u8>(namePtr + i) : 0;
    const b: i32 = <i32>load<u8>(other + i);
    if (a != b) return a - b;
    if (a == 0) return 0;
  }
  return 0;
}

function writeDirEntry(e: u32, size: u32): void {
  const at = DIR + 4 + e * DIR_ENTRY_SIZE;
  store<u32>(at, bswap32(size));
  store<u16>(at + 4, <u16>(((FW_CFG_FILE_FIRST + e) >> 8) | (((FW_CFG_FILE_FIRST + e) & 0xff) << 8)));
  store<u16>(at + 6, 0);
}

function updateDirItem(): void {
  const files = load<u32>(S_FILES);
  store<u32>(DIR, bswap32(files));
  setItem(FW_CFG_FILE_DIR, DIR, 4 + files * DIR_ENTRY_SIZE);
}

/**
 * Add (or replace) the file `name` (nameLen bytes at namePtr) with contents
 * [addr, addr + size). Both must be in FW_CFG_DATA or the host area. Returns
 * the file's key now (later additions may move it), or -1 if refused.
 */
export function fwCfgAddFile(namePtr: u32, nameLen: u32, addr: u32, size: u32): i32 {
  if (nameLen == 0 || nameLen > FW_CFG_NAME_MAX) return -1;
  if (!validSource(namePtr, nameLen) || !validSource(addr, size)) return -1;
  for (let i: u32 = 0; i < nameLen; i++) if (load<u8>(namePtr + i) == 0) return -1;
  const files = load<u32>(S_FILES);
  let e: u32 = 0;
  while (e < files && compareName(namePtr, nameLen, e) > 0) e++;
  if (e < files && compareName(namePtr, nameLen, e) == 0) {
    writeDirEntry(e, size);
    setItem(FW_CFG_FILE_FIRST + e, addr, size);
    updateDirItem();
    return <i32>(FW_CFG_FILE_FIRST + e);
  }
  if (files >= FW_CFG_MAX_FILES || load<u32>(S_ITEMS) >= FW_CFG_MAX_ITEMS) return -1;
  // Shift the later files up one key (QEMU keeps the directory sorted the same way).
  for (let j = files; j > e; j--) {
    memory.copy(DIR + 4 + j * DIR_ENTRY_SIZE, DIR + 4 + (j - 1) * DIR_ENTRY_SIZE, DIR_ENTRY_SIZE);
    const at = itemAt(<u32>findItem(FW_CFG_FILE_FIRST + j - 1));
    store<u16>(at + ITEM_KEY, <u16>(FW_CFG_FILE_FIRST + j));
    writeDirEntry(j, load<u32>(at + ITEM_LEN));
  }
  const entry = DIR + 4 + e * DIR_ENTRY_SIZE;
  memory.fill(entry, 0, DIR_ENTRY_SIZE);
  memory.copy(entry + DIR_ENTRY_NAME, namePtr, nameLen);
  writeDirEntry(e, size);
  setItem(FW_CFG_FILE_FIRST + e, addr, size);
  store<u32>(S_FILES, files + 1);
  updateDirItem();
  return <i32>(FW_CFG_FILE_FIRST + e);
}

/** Forget every item and file, then recreate the built-in ones (the host adds its own next). */
export function fwCfgInit(): void {
  registerPorts(PORT_FW_CFG_SELECTOR, 2, DEV_FW_CFG);
  registerPorts(PORT_FW_CFG_DMA, DMA_PORT_COUNT, DEV_FW_CFG);
  store<u32>(S_ITEMS, 0);
  store<u32>(S_USED, 0);
  store<u32>(S_FILES, 0);
  memory.fill(DIR, 0, DIR_RESERVED);
  updateDirItem();
  let a = builtin(FW_CFG_SIGNATURE, 4);
  if (a != 0) store<u32>(a, SIGNATURE_QEMU);
  a = builtin(FW_CFG_ID, 4);
  if (a != 0) store<u32>(a, ID_TRADITIONAL | ID_DMA);
  builtin(FW_CFG_UUID, 16);
  a = builtin(FW_CFG_RAM_SIZE, 8);
  if (a != 0) store<u64>(a, <u64>getRamSize());
  builtin(FW_CFG_NOGRAPHIC, 2);
  a = builtin(FW_CFG_NB_CPUS, 2);
  if (a != 0) store<u16>(a, <u16>CPU_COUNT);
  a = builtin(FW_CFG_MAX_CPUS, 2);
  if (a != 0) store<u16>(a, <u16>CPU_COUNT);
  // NUMA: u64 node count (0), then one u64 node per possible CPU (SeaBIOS qemu_cfg_legacy).
  builtin(FW_CFG_NUMA, 8 * (1 + CPU_COUNT));
  builtin(FW_CFG_BOOT_MENU, 2);
  fwCfgReset();
}

/** RESET#: no item selected, DMA address cleared; the items stay (the host made them). */
export function fwCfgReset(): void {
  store<u32>(S_SELECTOR, FW_CFG_INVALID);
  store<u32>(S_OFFSET, 0);
  store<u32>(S_DMA_HIGH, 0);
}

// ---- the guest's side ----
function select(v: u32): void {
  store<u32>(S_SELECTOR, v & FW_CFG_KEY_MASK);
  store<u32>(S_OFFSET, 0);
}

/** The selected item's table entry, or 0. */
function current(): u32 {
  const i = findItem(load<u32>(S_SELECTOR));
  return i < 0 ? 0 : itemAt(<u32>i);
}

function readDataByte(): u32 {
  const item = current();
  const off = load<u32>(S_OFFSET);
  if (item == 0 || off >= load<u32>(item + ITEM_LEN)) return 0;
  store<u32>(S_OFFSET, off + 1);
  return <u32>load<u8>(load<u32>(item + ITEM_ADDR) + off);
}

function dmaSignatureByte(i: u32): u32 {
  const word = i < 4 ? DMA_SIGNATURE_HI : DMA_SIGNATURE_LO;
  return (word >>> ((3 - (i & 3)) << 3)) & 0xff;
}

export function fwCfgRead(port: u32, size: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const p = port + i;
    let b: u32 = 0xff;
    if (p == PORT_FW_CFG_SELECTOR || p == PORT_FW_CFG_DATA) b = readDataByte();
    else if (p >= PORT_FW_CFG_DMA && p < PORT_FW_CFG_DMA + DMA_PORT_COUNT) b = dmaSignatureByte(p - PORT_FW_CFG_DMA);
    v |= b << (i << 3);
  }
  return v;
}

export function fwCfgWrite(port: u32, value: u32, size: u32): void {
  if (port == PORT_FW_CFG_SELECTOR && size == 2) select(value & 0xffff);
  else if (port == PORT_FW_CFG_DMA && size == 4) store<u32>(S_DMA_HIGH, bswap32(value));
  else if (port == PORT_FW_CFG_DMA_LOW && size == 4) {
    const high = load<u32>(S_DMA_HIGH);
    store<u32>(S_DMA_HIGH, 0);
    dmaTransfer(high, bswap32(value));
  }
  // Data port writes are ignored (QEMU ≥ 2.4); other sizes are not decoded.
}

/** True when the guest-physical range [addr, addr + len) is guest RAM. */
function inRam(high: u32, addr: u32, len: u32): bool {
  return high == 0 && <u64>addr + <u64>len <= <u64>getRamSize();
}

/** Copy `len` bytes from wasm `src` (or zeros if src == 0) to guest-physical `dst` (in RAM). */
function copyToGuest(dst: u32, src: u32, len: u32): void {
  while (len > 0) {
    const room = PAGE_SIZE - (dst & (PAGE_SIZE - 1));
    const n = len < room ? len : room;
    if (isPlainRamPage(dst)) {
      if (src != 0) memory.copy(RAM_BASE + dst, src, n);
      else memory.fill(RAM_BASE + dst, 0, n);
      noteDirectWrite(dst, n);
    } else {
      // A device window inside RAM (the VGA hole): through the bus, byte by byte.
      for (let i: u32 = 0; i < n; i++) physWrite8(dst + i, src != 0 ? <u32>load<u8>(src + i) : 0);
    }
    dst += n;
    if (src != 0) src += n;
    len -= n;
  }
}

function dmaTransfer(high: u32, access: u32): void {
  if (!inRam(high, access, DMA_ACCESS_SIZE)) return; // nowhere to report an error
  const control = bswap32(physRead32(access));
  const length = bswap32(physRead32(access + 4));
  const addrHigh = bswap32(physRead32(access + 8));
  const addr = bswap32(physRead32(access + 12));
  if ((control & DMA_CTL_SELECT) != 0) select(control >>> 16);
  let result: u32 = 0;
  const item = current();
  const off = load<u32>(S_OFFSET);
  const size = item != 0 ? load<u32>(item + ITEM_LEN) : 0;
  const avail = off < size ? size - off : 0;
  if ((control & DMA_CTL_READ) != 0) {
    if (!inRam(addrHigh, addr, length)) result = DMA_CTL_ERROR;
    else {
      const n = length < avail ? length : avail;
      if (n > 0) copyToGuest(addr, load<u32>(item + ITEM_ADDR) + off, n);
      if (length > n) copyToGuest(addr + n, 0, length - n); // past the end reads as zeros
      store<u32>(S_OFFSET, off + n);
    }
  } else if ((control & DMA_CTL_WRITE) != 0) {
    result = DMA_CTL_ERROR; // no item is writable by the guest
  } else if ((control & DMA_CTL_SKIP) != 0) {
    store<u32>(S_OFFSET, off + (length < avail ? length : avail));
  }
  physWrite32(access, bswap32(result));
}
