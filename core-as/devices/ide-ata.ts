// ATA commands of the PIIX IDE drives (the channel model is ide.ts).
//
// Reference: ANSI ATA/ATAPI-6 (NCITS 361-2002) §8 "Command descriptions",
// §8.15 IDENTIFY DEVICE (Table 27) and §8.16 IDENTIFY PACKET DEVICE (Table 28).
// The IDENTIFY words follow what SeaBIOS (ata.c), Linux libata (ata_dev_configure,
// ata_id_*) and DOS-era BIOSes read; values mirror QEMU's hw/ide/core.c where
// the standard leaves a choice, so guests see the drive they see under QEMU.
//
// Addressing: LBA28 (device register bit 6), LBA48 (the EXT commands: the HOB
// bytes hold bits 24-47 and the high count byte), or CHS through the current
// translation (INITIALIZE DEVICE PARAMETERS, default 16 heads × 63 sectors).
// A range past the medium fails with IDNF; an unknown command, or an ATA
// command sent to the CD-ROM, aborts (ABRT) — the latter after putting the
// PACKET signature in the task file, which is how drivers recognise ATAPI.

import {
  dget, dset, ideBuffer, isCdrom, ideStartRead, ideStartWrite, ideSendBuffer, ideAbort, ideCommandDone, ideStartFlush,
  ideAwaitPacket, D_FEATURE, D_NSECTOR, D_SECTOR, D_LCYL, D_HCYL, D_HOB_NSECTOR, D_HOB_SECTOR, D_HOB_LCYL, D_HOB_HCYL,
  D_SELECT, D_STATUS, D_ERROR, D_MULTIPLE, D_HEADS, D_SPT, D_WRITE_CACHE, D_PIO_MODE, D_DMA_MODE, D_ATAPI,
  ST_READY, ST_BSY, ST_DRQ, ERR_ABRT, ERR_IDNF, DIAG_PASSED, SELECT_LBA, IDE_BUFFER_SECTORS, XFER_NONE, D_XFER,
  ATAPI_ACTIVE, ATAPI_DMA, ideRaiseIrq,
} from './ide';
import { blockMediaSectors } from '../machine/block-requests';

// Command opcodes (ATA-6 Table 29 and earlier standards for the legacy ones).
const CMD_NOP: u32 = 0x00;
const CMD_DEVICE_RESET: u32 = 0x08;
const CMD_RECALIBRATE: u32 = 0x10; // 0x10-0x1F
const CMD_READ_SECTORS: u32 = 0x20;
const CMD_READ_SECTORS_NORETRY: u32 = 0x21;
const CMD_READ_SECTORS_EXT: u32 = 0x24;
const CMD_READ_DMA_EXT: u32 = 0x25;
const CMD_READ_NATIVE_MAX_EXT: u32 = 0x27;
const CMD_READ_MULTIPLE_EXT: u32 = 0x29;
const CMD_WRITE_SECTORS: u32 = 0x30;
const CMD_WRITE_SECTORS_NORETRY: u32 = 0x31;
const CMD_WRITE_SECTORS_EXT: u32 = 0x34;
const CMD_WRITE_DMA_EXT: u32 = 0x35;
const CMD_WRITE_MULTIPLE_EXT: u32 = 0x39;
const CMD_READ_VERIFY: u32 = 0x40;
const CMD_READ_VERIFY_NORETRY: u32 = 0x41;
const CMD_READ_VERIFY_EXT: u32 = 0x42;
const CMD_SEEK: u32 = 0x70; // 0x70-0x7F
const CMD_EXECUTE_DIAGNOSTIC: u32 = 0x90;
const CMD_INITIALIZE_PARAMETERS: u32 = 0x91;
const CMD_PACKET: u32 = 0xa0;
const CMD_IDENTIFY_PACKET: u32 = 0xa1;
const CMD_READ_MULTIPLE: u32 = 0xc4;
const CMD_WRITE_MULTIPLE: u32 = 0xc5;
const CMD_SET_MULTIPLE: u32 = 0xc6;
const CMD_READ_DMA: u32 = 0xc8;
const CMD_READ_DMA_NORETRY: u32 = 0xc9;
const CMD_WRITE_DMA: u32 = 0xca;
const CMD_WRITE_DMA_NORETRY: u32 = 0xcb;
const CMD_STANDBY_IMMEDIATE: u32 = 0xe0;
const CMD_IDLE_IMMEDIATE: u32 = 0xe1;
const CMD_STANDBY: u32 = 0xe2;
const CMD_IDLE: u32 = 0xe3;
const CMD_CHECK_POWER_MODE: u32 = 0xe5;
const CMD_SLEEP: u32 = 0xe6;
const CMD_FLUSH_CACHE: u32 = 0xe7;
const CMD_FLUSH_CACHE_EXT: u32 = 0xea;
const CMD_IDENTIFY: u32 = 0xec;
const CMD_SET_FEATURES: u32 = 0xef;
const CMD_READ_NATIVE_MAX: u32 = 0xf8;
/** PACKET's features bit 0: the data phase is DMA (ATA-6 §8.23). */
const FEATURE_PACKET_DMA: u32 = 0x01;

// SET FEATURES subcommands (ATA-6 Table 44).
const SF_ENABLE_WRITE_CACHE: u32 = 0x02;
const SF_SET_TRANSFER_MODE: u32 = 0x03;
const SF_DISABLE_WRITE_CACHE: u32 = 0x82;
const XFER_MODE_CLASS_MASK: u32 = 0xf8;
const XFER_PIO_DEFAULT: u32 = 0x00;
const XFER_PIO_FLOW: u32 = 0x08;
const XFER_MWDMA: u32 = 0x20;
const XFER_UDMA: u32 = 0x40;
const XFER_MODE_MASK: u32 = 0x07;

/** CHECK POWER MODE's answer for "active or idle" (ATA-6 §8.6). */
const POWER_ACTIVE: u32 = 0xff;
/** Largest multiple count offered (IDENTIFY word 47); Linux and SeaBIOS use 16. */
const MAX_MULTIPLE: u32 = 16;
const LBA28_MAX: u64 = 0x0fffffff;
const SECTORS_LBA28_COUNT_ZERO: u32 = 256;
const SECTORS_LBA48_COUNT_ZERO: u32 = 65536;
// Default CHS geometry (QEMU hd_geometry_guess without a partition table).
const DEFAULT_HEADS: u32 = 16;
const DEFAULT_SPT: u32 = 63;
const MAX_CYLINDERS: u32 = 16383;
const MIN_CYLINDERS: u32 = 2;
// ATAPI signature in LBA mid/high (ATA-6 §9.12).
const SIG_PACKET_LCYL: u32 = 0x14;
const SIG_PACKET_HCYL: u32 = 0xeb;

/** The signature a device leaves after reset and EXECUTE DIAGNOSTIC (ATA-6 §9.12). */
export function ataSetSignature(d: u32): void {
  dset(d, D_NSECTOR, 1);
  dset(d, D_SECTOR, 1);
  dset(d, D_LCYL, isCdrom(d) ? SIG_PACKET_LCYL : 0);
  dset(d, D_HCYL, isCdrom(d) ? SIG_PACKET_HCYL : 0);
  dset(d, D_SELECT, dget(d, D_SELECT) & ~0x4f);
}

@inline function totalSectors(d: u32): u64 {
  return blockMediaSectors(d);
}

function defaultCylinders(d: u32): u32 {
  const c = totalSectors(d) / <u64>(DEFAULT_HEADS * DEFAULT_SPT);
  if (c > <u64>MAX_CYLINDERS) return MAX_CYLINDERS;
  return c < <u64>MIN_CYLINDERS ? MIN_CYLINDERS : <u32>c;
}
function heads(d: u32): u32 {
  const h = dget(d, D_HEADS);
  return h != 0 ? h : DEFAULT_HEADS;
}
function sectorsPerTrack(d: u32): u32 {
  const s = dget(d, D_SPT);
  return s != 0 ? s : DEFAULT_SPT;
}

/** Execute command `cmd` written to drive d's command register. */
export function ataCommand(d: u32, cmd: u32): void {
  const status = dget(d, D_STATUS);
  // A busy device or one in a data phase ignores new commands, save DEVICE RESET (ATA-6 §9.11).
  if ((status & (ST_BSY | ST_DRQ)) != 0 && cmd != CMD_DEVICE_RESET) return;
  dset(d, D_ATAPI, 0);
  dset(d, D_ERROR, 0);
  if (isCdrom(d)) {
    packetDeviceCommand(d, cmd);
    return;
  }
  if ((cmd & 0xf0) == CMD_RECALIBRATE || (cmd & 0xf0) == CMD_SEEK) {
    ideCommandDone(d);
    return;
  }
  switch (cmd) {
    case CMD_READ_SECTORS:
    case CMD_READ_SECTORS_NORETRY:
      readWrite(d, false, false, false, 1);
      return;
    case CMD_READ_SECTORS_EXT:
      readWrite(d, true, false, false, 1);
      return;
    case CMD_READ_MULTIPLE:
    case CMD_READ_MULTIPLE_EXT:
      if (dget(d, D_MULTIPLE) == 0) break;
      readWrite(d, cmd == CMD_READ_MULTIPLE_EXT, false, false, dget(d, D_MULTIPLE));
      return;
    case CMD_READ_DMA:
    case CMD_READ_DMA_NORETRY:
    case CMD_READ_DMA_EXT:
      readWrite(d, cmd == CMD_READ_DMA_EXT, false, true, 1);
      return;
    case CMD_WRITE_SECTORS:
    case CMD_WRITE_SECTORS_NORETRY:
    case CMD_WRITE_SECTORS_EXT:
      readWrite(d, cmd == CMD_WRITE_SECTORS_EXT, true, false, 1);
      return;
    case CMD_WRITE_MULTIPLE:
    case CMD_WRITE_MULTIPLE_EXT:
      if (dget(d, D_MULTIPLE) == 0) break;
      readWrite(d, cmd == CMD_WRITE_MULTIPLE_EXT, true, false, dget(d, D_MULTIPLE));
      return;
    case CMD_WRITE_DMA:
    case CMD_WRITE_DMA_NORETRY:
    case CMD_WRITE_DMA_EXT:
      readWrite(d, cmd == CMD_WRITE_DMA_EXT, true, true, 1);
      return;
    case CMD_READ_VERIFY:
    case CMD_READ_VERIFY_NORETRY:
    case CMD_READ_VERIFY_EXT:
      if (checkRange(d, cmd == CMD_READ_VERIFY_EXT)) ideCommandDone(d);
      return;
    case CMD_SET_MULTIPLE: {
      // Powers of two up to the maximum; 0 disables (ATA-6 §8.39).
      const n = dget(d, D_NSECTOR);
      if (n > MAX_MULTIPLE || (n & (n - 1)) != 0) break;
      dset(d, D_MULTIPLE, n);
      ideCommandDone(d);
      return;
    }
    case CMD_INITIALIZE_PARAMETERS: {
      const spt = dget(d, D_NSECTOR);
      if (spt == 0) break;
      dset(d, D_HEADS, (dget(d, D_SELECT) & 0xf) + 1);
      dset(d, D_SPT, spt);
      ideCommandDone(d);
      return;
    }
    case CMD_IDENTIFY:
      identifyDevice(d);
      ideSendBuffer(d, 512, false);
      return;
    case CMD_SET_FEATURES:
      if (setFeatures(d)) ideCommandDone(d);
      else break;
      return;
    case CMD_FLUSH_CACHE:
    case CMD_FLUSH_CACHE_EXT:
      ideStartFlush(d);
      return;
    case CMD_IDLE:
    case CMD_IDLE_IMMEDIATE:
    case CMD_STANDBY:
    case CMD_STANDBY_IMMEDIATE:
    case CMD_SLEEP:
      ideCommandDone(d);
      return;
    case CMD_CHECK_POWER_MODE:
      dset(d, D_NSECTOR, POWER_ACTIVE);
      ideCommandDone(d);
      return;
    case CMD_EXECUTE_DIAGNOSTIC:
      executeDiagnostic(d);
      return;
    case CMD_READ_NATIVE_MAX:
    case CMD_READ_NATIVE_MAX_EXT:
      readNativeMax(d, cmd == CMD_READ_NATIVE_MAX_EXT);
      return;
    case CMD_NOP:
    default:
      break;
  }
  ideAbort(d, ERR_ABRT);
}

/** The commands a PACKET device (the CD-ROM) accepts outside packets (ATA-6 §6.2 "PACKET command feature set"). */
function packetDeviceCommand(d: u32, cmd: u32): void {
  switch (cmd) {
    case CMD_PACKET:
      ideAwaitPacket(d);
      if ((dget(d, D_FEATURE) & FEATURE_PACKET_DMA) != 0) dset(d, D_ATAPI, ATAPI_ACTIVE | ATAPI_DMA);
      return;
    case CMD_IDENTIFY_PACKET:
      identifyPacketDevice(d);
      ideSendBuffer(d, 512, false);
      return;
    case CMD_DEVICE_RESET:
      // No interrupt; status as after SRST (ATA-6 §8.8).
      ataSetSignature(d);
      dset(d, D_ERROR, DIAG_PASSED);
      dset(d, D_STATUS, 0);
      return;
    case CMD_EXECUTE_DIAGNOSTIC:
      executeDiagnostic(d);
      return;
    case CMD_SET_FEATURES:
      if (setFeatures(d)) ideCommandDone(d);
      else ideAbort(d, ERR_ABRT);
      return;
    case CMD_CHECK_POWER_MODE:
      dset(d, D_NSECTOR, POWER_ACTIVE);
      ideCommandDone(d);
      return;
    case CMD_IDLE_IMMEDIATE:
    case CMD_STANDBY_IMMEDIATE:
    case CMD_SLEEP:
      ideCommandDone(d);
      return;
    default:
      // IDENTIFY DEVICE and every other ATA command: abort, leaving the PACKET signature (ATA-6 §8.15.2).
      ataSetSignature(d);
      ideAbort(d, ERR_ABRT);
  }
}

/** EXECUTE DEVICE DIAGNOSTIC: signature, diagnostic code, an interrupt; DRDY only on ATA devices (ATA-6 §8.11). */
function executeDiagnostic(d: u32): void {
  ataSetSignature(d);
  dset(d, D_ERROR, DIAG_PASSED);
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_STATUS, isCdrom(d) ? 0 : ST_READY);
  ideRaiseIrq(d);
}

/** The addressed sector: LBA48, LBA28 or CHS through the current translation (u64 max: invalid). */
function commandLba(d: u32, lba48: bool): u64 {
  if (lba48) {
    return (<u64>dget(d, D_HOB_HCYL) << 40) | (<u64>dget(d, D_HOB_LCYL) << 32) | (<u64>dget(d, D_HOB_SECTOR) << 24) |
      (<u64>dget(d, D_HCYL) << 16) | (<u64>dget(d, D_LCYL) << 8) | <u64>dget(d, D_SECTOR);
  }
  const sel = dget(d, D_SELECT);
  if ((sel & SELECT_LBA) != 0) {
    return (<u64>(sel & 0xf) << 24) | (<u64>dget(d, D_HCYL) << 16) | (<u64>dget(d, D_LCYL) << 8) | <u64>dget(d, D_SECTOR);
  }
  const sector = dget(d, D_SECTOR);
  const head = sel & 0xf;
  const spt = sectorsPerTrack(d);
  const h = heads(d);
  if (sector == 0 || sector > spt || head >= h) return 0xffff_ffff_ffff_ffff;
  const cyl = (dget(d, D_HCYL) << 8) | dget(d, D_LCYL);
  return (<u64>cyl * <u64>h + <u64>head) * <u64>spt + <u64>(sector - 1);
}

function commandCount(d: u32, lba48: bool): u32 {
  if (lba48) {
    const n = (dget(d, D_HOB_NSECTOR) << 8) | dget(d, D_NSECTOR);
    return n == 0 ? SECTORS_LBA48_COUNT_ZERO : n;
  }
  const n = dget(d, D_NSECTOR);
  return n == 0 ? SECTORS_LBA28_COUNT_ZERO : n;
}

/** Abort with IDNF unless the addressed range lies on the medium. */
function checkRange(d: u32, lba48: bool): bool {
  const lba = commandLba(d, lba48);
  const n = commandCount(d, lba48);
  const total = totalSectors(d);
  if (lba >= total || <u64>n > total - lba) {
    ideAbort(d, ERR_IDNF | ERR_ABRT);
    return false;
  }
  return true;
}

function readWrite(d: u32, lba48: bool, write: bool, dma: bool, blockSectors: u32): void {
  if (!checkRange(d, lba48)) return;
  const lba = commandLba(d, lba48);
  const n = commandCount(d, lba48);
  const blk = blockSectors < IDE_BUFFER_SECTORS ? blockSectors : IDE_BUFFER_SECTORS;
  if (write) ideStartWrite(d, lba, n, dma, blk);
  else ideStartRead(d, lba, n, dma, blk);
}

/** READ NATIVE MAX ADDRESS (EXT): the last sector, in the LBA registers (ATA-6 §8.29). */
function readNativeMax(d: u32, lba48: bool): void {
  const total = totalSectors(d);
  let last = total > 0 ? total - 1 : 0;
  if (!lba48 && last > LBA28_MAX) last = LBA28_MAX;
  dset(d, D_SECTOR, <u32>last & 0xff);
  dset(d, D_LCYL, <u32>(last >>> 8) & 0xff);
  dset(d, D_HCYL, <u32>(last >>> 16) & 0xff);
  if (lba48) {
    dset(d, D_HOB_SECTOR, <u32>(last >>> 24) & 0xff);
    dset(d, D_HOB_LCYL, <u32>(last >>> 32) & 0xff);
    dset(d, D_HOB_HCYL, <u32>(last >>> 40) & 0xff);
  } else {
    dset(d, D_SELECT, (dget(d, D_SELECT) & 0xf0) | (<u32>(last >>> 24) & 0xf));
  }
  ideCommandDone(d);
}

/** SET FEATURES: transfer modes and cache switches are accepted (they change no timing here). */
function setFeatures(d: u32): bool {
  const f = dget(d, D_FEATURE);
  switch (f) {
    case SF_ENABLE_WRITE_CACHE:
      dset(d, D_WRITE_CACHE, 1);
      return true;
    case SF_DISABLE_WRITE_CACHE:
      dset(d, D_WRITE_CACHE, 0);
      return true;
    case SF_SET_TRANSFER_MODE: {
      const v = dget(d, D_NSECTOR);
      const cls = v & XFER_MODE_CLASS_MASK;
      const mode = v & XFER_MODE_MASK;
      if (cls == XFER_PIO_DEFAULT || cls == XFER_PIO_FLOW) {
        dset(d, D_PIO_MODE, v);
        return true;
      }
      if ((cls == XFER_MWDMA && mode <= 2) || (cls == XFER_UDMA && mode <= 5)) {
        dset(d, D_DMA_MODE, v);
        return true;
      }
      return false;
    }
    // Accepted and ignored, as QEMU: retries, ECC, read look-ahead, reverting to defaults, 8-bit transfers.
    case 0x05: case 0x85: case 0x42: case 0xc2: case 0x55: case 0xaa: case 0x66: case 0xcc: case 0x69: case 0x67:
    case 0x96: case 0x9a:
      return true;
    default:
      return false;
  }
}

// ---- IDENTIFY ----

@inline function putWord(d: u32, word: u32, v: u32): void {
  store<u16>(ideBuffer(d) + word * 2, <u16>v);
}

/** An ATA string: two characters per word, the first in the high byte, space padded (ATA-6 §3.2.9). */
function putString(d: u32, word: u32, s: string, chars: u32): void {
  const base = ideBuffer(d) + word * 2;
  const len = <u32>s.length;
  for (let i: u32 = 0; i < chars; i++) {
    const ch: u32 = i < len ? <u32>s.charCodeAt(<i32>i) : 0x20;
    store<u8>(base + (i ^ 1), <u8>ch);
  }
}

const SERIAL_WORD: u32 = 10;
const SERIAL_CHARS: u32 = 20;
const FIRMWARE_WORD: u32 = 23;
const FIRMWARE_CHARS: u32 = 8;
const MODEL_WORD: u32 = 27;
const MODEL_CHARS: u32 = 40;

function putSerial(d: u32): void {
  putString(d, SERIAL_WORD, 'TV0000', SERIAL_CHARS);
  // Per-drive digit, so two disks do not look like one disk seen twice.
  store<u8>(ideBuffer(d) + SERIAL_WORD * 2 + (6 ^ 1), <u8>(0x31 + d));
  putString(d, FIRMWARE_WORD, '1.0', FIRMWARE_CHARS);
}

/** Words 62/63/88: the DMA modes supported, with the selected one in the high byte. */
function putDmaModes(d: u32): void {
  const v = dget(d, D_DMA_MODE);
  const mode = v & XFER_MODE_MASK;
  putWord(d, 62, 0x07);
  putWord(d, 63, 0x07 | ((v & XFER_MODE_CLASS_MASK) == XFER_MWDMA ? 0x100 << mode : 0));
  putWord(d, 88, 0x3f | ((v & XFER_MODE_CLASS_MASK) == XFER_UDMA ? 0x100 << mode : 0));
}

function identifyDevice(d: u32): void {
  memory.fill(ideBuffer(d), 0, 512);
  const total = totalSectors(d);
  const cyl = defaultCylinders(d);
  putWord(d, 0, 0x0040); // fixed device, not removable
  putWord(d, 1, cyl);
  putWord(d, 3, DEFAULT_HEADS);
  putWord(d, 4, 512 * DEFAULT_SPT); // retired: bytes per track
  putWord(d, 5, 512);
  putWord(d, 6, DEFAULT_SPT);
  putSerial(d);
  putWord(d, 20, 3); // retired buffer type, buffer size in sectors, ECC bytes
  putWord(d, 21, 512);
  putWord(d, 22, 4);
  putString(d, MODEL_WORD, 'TABVM HARDDISK', MODEL_CHARS);
  putWord(d, 47, 0x8000 | MAX_MULTIPLE);
  putWord(d, 48, 1); // 32-bit PIO
  putWord(d, 49, (1 << 11) | (1 << 9) | (1 << 8)); // IORDY, LBA, DMA
  putWord(d, 50, 0x4000);
  putWord(d, 51, 0x200); // PIO timing mode 2
  putWord(d, 52, 0x200);
  putWord(d, 53, 1 | 2 | 4); // words 54-58, 64-70 and 88 are valid
  // Current CHS translation (words 54-58).
  const h = heads(d);
  const spt = sectorsPerTrack(d);
  let ccyl = total / <u64>(h * spt);
  if (ccyl > 0xffff) ccyl = 0xffff;
  const chsTotal = <u32>ccyl * h * spt;
  putWord(d, 54, <u32>ccyl);
  putWord(d, 55, h);
  putWord(d, 56, spt);
  putWord(d, 57, chsTotal & 0xffff);
  putWord(d, 58, chsTotal >>> 16);
  const mult = dget(d, D_MULTIPLE);
  putWord(d, 59, mult != 0 ? 0x100 | mult : 0);
  const lba28 = total > LBA28_MAX ? LBA28_MAX : total;
  putWord(d, 60, <u32>lba28 & 0xffff);
  putWord(d, 61, <u32>(lba28 >>> 16));
  putDmaModes(d);
  putWord(d, 64, 0x03); // PIO modes 3 and 4
  putWord(d, 65, 120); // cycle times (ns)
  putWord(d, 66, 120);
  putWord(d, 67, 120);
  putWord(d, 68, 120);
  putWord(d, 80, 0xf0); // ATA/ATAPI-4 to -7
  putWord(d, 81, 0x16);
  // Command sets supported (82-84) and enabled (85-87): write cache, 48-bit, FLUSH CACHE (EXT).
  const wce = dget(d, D_WRITE_CACHE) != 0 ? 1 << 5 : 0;
  putWord(d, 82, (1 << 14) | (1 << 5) | 1);
  putWord(d, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10));
  putWord(d, 84, 1 << 14);
  putWord(d, 85, (1 << 14) | wce | 1);
  putWord(d, 86, (1 << 13) | (1 << 12) | (1 << 10));
  putWord(d, 87, 1 << 14);
  putWord(d, 93, 1 | (1 << 14) | 0x2000); // hardware reset result: device 0, 80-conductor cable
  putWord(d, 100, <u32>total & 0xffff);
  putWord(d, 101, <u32>(total >>> 16) & 0xffff);
  putWord(d, 102, <u32>(total >>> 32) & 0xffff);
  putWord(d, 103, <u32>(total >>> 48) & 0xffff);
}

function identifyPacketDevice(d: u32): void {
  memory.fill(ideBuffer(d), 0, 512);
  // ATAPI, CD-ROM device type, removable, DRQ within 50 µs, 12-byte packets (ATA-6 Table 28).
  putWord(d, 0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5));
  putSerial(d);
  putString(d, MODEL_WORD, 'TABVM DVD-ROM', MODEL_CHARS);
  putWord(d, 48, 1);
  putWord(d, 49, (1 << 9) | (1 << 8)); // LBA, DMA
  putWord(d, 53, 1 | 2 | 4);
  putDmaModes(d);
  putWord(d, 64, 0x03);
  putWord(d, 65, 0xb4);
  putWord(d, 66, 0xb4);
  putWord(d, 67, 0x12c);
  putWord(d, 68, 0xb4);
  putWord(d, 71, 30); // release times (ns)
  putWord(d, 72, 30);
  putWord(d, 80, 0x1e); // ATAPI-1 to -4
}
