// ATAPI packet commands of the PIIX IDE CD-ROM (the channel model is ide.ts).
//
// References: ATA/ATAPI-6 §9.10 (PACKET protocol: interrupt reason in the
// sector count register, byte count in LBA mid/high); SCSI Primary Commands
// (SPC-2) for INQUIRY, REQUEST SENSE, TEST UNIT READY; SCSI Multimedia
// Commands (MMC-3) for READ CAPACITY, READ(10)/(12), READ TOC/PMA/ATIP,
// MODE SENSE(10) page 2Ah, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION,
// READ DISC INFORMATION, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL.
// Response contents follow QEMU's hw/ide/atapi.c where MMC leaves a choice
// (what SeaBIOS's El Torito boot, isolinux and Linux's sr/cdrom drivers were
// tested against).
//
// Sense data: a failing command sets a sense key/ASC and ends with ERR and
// error = key << 4 | ABRT; REQUEST SENSE reports it. A medium change (the
// host bumped the slot's generation) raises UNIT ATTENTION / 28h "medium may
// have changed": every command but INQUIRY, REQUEST SENSE, GET CONFIGURATION
// and GET EVENT STATUS NOTIFICATION then fails until REQUEST SENSE clears it.

import {
  drv, dget, dset, ideBuffer, ideSendBuffer, ideStartAtapiRead, ideRaiseIrq, ideMediaChanged,
  D_PACKET, D_STATUS, D_ERROR, D_NSECTOR, D_XFER, D_ATAPI, D_SENSE_KEY, D_ASC, D_ASCQ, D_MEDIA_GEN, D_LOCKED, D_BCL,
  D_EVENT, D_LCYL, D_HCYL, ST_READY, ST_ERR, ERR_ABRT, XFER_NONE, ATAPI_DMA, ATAPI_REASON_COD, ATAPI_REASON_IO,
  ATAPI_REASON_MASK,
} from './ide';
import { blockMediaSectors, blockMediaGeneration } from '../machine/block-requests';
import { BLOCK_ERR_NO_MEDIUM, BLOCK_ERR_RANGE } from '../machine/rings';

// Operation codes.
const OP_TEST_UNIT_READY: u32 = 0x00;
const OP_REQUEST_SENSE: u32 = 0x03;
const OP_INQUIRY: u32 = 0x12;
const OP_START_STOP_UNIT: u32 = 0x1b;
const OP_PREVENT_ALLOW: u32 = 0x1e;
const OP_READ_CAPACITY: u32 = 0x25;
const OP_READ_10: u32 = 0x28;
const OP_SEEK_10: u32 = 0x2b;
const OP_READ_TOC: u32 = 0x43;
const OP_GET_CONFIGURATION: u32 = 0x46;
const OP_GET_EVENT_STATUS: u32 = 0x4a;
const OP_READ_DISC_INFO: u32 = 0x51;
const OP_MODE_SENSE_10: u32 = 0x5a;
const OP_READ_12: u32 = 0xa8;
const OP_MECHANISM_STATUS: u32 = 0xbd;
const OP_SET_CD_SPEED: u32 = 0xbb;

// Sense keys and additional sense codes (SPC-2 Tables 107, 108).
const SENSE_NONE: u32 = 0;
const SENSE_NOT_READY: u32 = 2;
const SENSE_MEDIUM_ERROR: u32 = 3;
const SENSE_ILLEGAL_REQUEST: u32 = 5;
const SENSE_UNIT_ATTENTION: u32 = 6;
const ASC_UNRECOVERED_READ_ERROR: u32 = 0x11;
const ASC_INVALID_OPCODE: u32 = 0x20;
const ASC_LBA_OUT_OF_RANGE: u32 = 0x21;
const ASC_INVALID_FIELD: u32 = 0x24;
const ASC_MEDIUM_MAY_HAVE_CHANGED: u32 = 0x28;
const ASC_SAVING_NOT_SUPPORTED: u32 = 0x39;
const ASC_MEDIUM_NOT_PRESENT: u32 = 0x3a;
const ASC_REMOVAL_PREVENTED: u32 = 0x53;
const ASCQ_REMOVAL_PREVENTED: u32 = 0x02;

const CD_SECTOR: u32 = 2048;
const SECTORS_PER_CD_SECTOR: u32 = CD_SECTOR / 512;
/** MSF addresses start 2 s (150 frames) before LBA 0 (MMC-3 §4.2.3.1). */
const MSF_OFFSET: u32 = 150;
const FRAMES_PER_SECOND: u32 = 75;
const SECONDS_PER_MINUTE: u32 = 60;
const LEAD_OUT_TRACK: u32 = 0xaa;
/** Control nibble of a data track (ADR 1, data, copy permitted) and of the lead-out (QEMU's values). */
const TRACK_ADR_CONTROL: u32 = 0x14;
const LEAD_OUT_ADR_CONTROL: u32 = 0x16;
/** Larger than a CD (≈ 700 MiB): report the DVD-ROM profile. */
const CD_MAX_SECTORS: u64 = 400_000;
const PROFILE_NONE: u32 = 0x0000;
const PROFILE_CD_ROM: u32 = 0x0008;
const PROFILE_DVD_ROM: u32 = 0x0010;
// Media events (MMC-3 §6.1.6.4).
export const EVENT_NONE: u32 = 0;
export const EVENT_NEW_MEDIA: u32 = 2;
export const EVENT_MEDIA_REMOVAL: u32 = 3;
const EVENT_CLASS_MEDIA: u32 = 4;
const EVENT_CLASS_MEDIA_MASK: u32 = 1 << EVENT_CLASS_MEDIA;
const MEDIA_STATUS_PRESENT: u32 = 0x02;
const INQUIRY_LENGTH: u32 = 36;
const SENSE_LENGTH: u32 = 18;
const MODE_PAGE_ERROR_RECOVERY: u32 = 0x01;
const MODE_PAGE_CAPABILITIES: u32 = 0x2a;
const MODE_PAGE_ALL: u32 = 0x3f;
const MODE_PC_SAVED: u32 = 3;
/** Maximum/current speed in kB/s reported in page 2Ah (4×, as QEMU). */
const CD_SPEED_KBS: u32 = 706;

@inline function pkt(d: u32, i: u32): u32 {
  return <u32>load<u8>(drv(d, D_PACKET) + i);
}

@inline function be16(d: u32, i: u32): u32 {
  return (pkt(d, i) << 8) | pkt(d, i + 1);
}
@inline function be32(d: u32, i: u32): u32 {
  return (pkt(d, i) << 24) | (pkt(d, i + 1) << 16) | (pkt(d, i + 2) << 8) | pkt(d, i + 3);
}
@inline function out8(d: u32, i: u32, v: u32): void {
  store<u8>(ideBuffer(d) + i, <u8>v);
}
function out16(d: u32, i: u32, v: u32): void {
  out8(d, i, v >>> 8);
  out8(d, i + 1, v);
}
function out32(d: u32, i: u32, v: u32): void {
  out16(d, i, v >>> 16);
  out16(d, i + 2, v);
}
function outString(d: u32, i: u32, s: string, n: u32): void {
  const len = <u32>s.length;
  for (let k: u32 = 0; k < n; k++) out8(d, i + k, k < len ? <u32>s.charCodeAt(<i32>k) : 0x20);
}

function cdSectors(d: u32): u32 {
  const n = blockMediaSectors(d) / <u64>SECTORS_PER_CD_SECTOR;
  return n > 0xffffffff ? 0xffffffff : <u32>n;
}
@inline function hasMedium(d: u32): bool {
  return blockMediaSectors(d) != 0;
}

function setSense(d: u32, key: u32, asc: u32, ascq: u32): void {
  dset(d, D_SENSE_KEY, key);
  dset(d, D_ASC, asc);
  dset(d, D_ASCQ, ascq);
}

/** The packet command ended well: status, interrupt reason "command complete" (IO=1, CoD=1), INTRQ. */
export function atapiOk(d: u32): void {
  if (dget(d, D_SENSE_KEY) != SENSE_UNIT_ATTENTION) setSense(d, SENSE_NONE, 0, 0);
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_ERROR, 0);
  dset(d, D_STATUS, ST_READY);
  dset(d, D_NSECTOR, (dget(d, D_NSECTOR) & ~ATAPI_REASON_MASK) | ATAPI_REASON_IO | ATAPI_REASON_COD);
  ideRaiseIrq(d);
}

/** CHECK CONDITION: the sense is set; ERR with the sense key in the error register. */
function checkCondition(d: u32): void {
  dset(d, D_XFER, XFER_NONE);
  dset(d, D_ERROR, (dget(d, D_SENSE_KEY) << 4) | ERR_ABRT);
  dset(d, D_STATUS, ST_READY | ST_ERR);
  dset(d, D_NSECTOR, (dget(d, D_NSECTOR) & ~ATAPI_REASON_MASK) | ATAPI_REASON_IO | ATAPI_REASON_COD);
  ideRaiseIrq(d);
}

function fail(d: u32, key: u32, asc: u32): void {
  setSense(d, key, asc, 0);
  checkCondition(d);
}

/** A media read the host could not serve. */
export function atapiIoError(d: u32, result: u32): void {
  if (result == BLOCK_ERR_NO_MEDIUM) fail(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
  else if (result == BLOCK_ERR_RANGE) fail(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
  else fail(d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
}

/** Send `len` bytes of the buffer, cut to the allocation length; a zero length ends at once. */
function reply(d: u32, len: u32, alloc: u32): void {
  const n = len < alloc ? len : alloc;
  if (n == 0) atapiOk(d);
  else ideSendBuffer(d, n, (dget(d, D_ATAPI) & ATAPI_DMA) != 0);
}

function allowsUnitAttention(op: u32): bool {
  return op == OP_INQUIRY || op == OP_REQUEST_SENSE || op == OP_GET_CONFIGURATION || op == OP_GET_EVENT_STATUS;
}
function needsMedium(op: u32): bool {
  return op == OP_TEST_UNIT_READY || op == OP_READ_CAPACITY || op == OP_READ_10 || op == OP_READ_12 ||
    op == OP_READ_TOC || op == OP_READ_DISC_INFO || op == OP_SEEK_10;
}

/** The 12-byte packet arrived (ide.ts): execute it. */
export function atapiExecute(d: u32): void {
  // The byte count limit is what the host left in LBA mid/high when it issued PACKET.
  dset(d, D_BCL, (dget(d, D_HCYL) << 8) | dget(d, D_LCYL));
  if (ideMediaChanged(d)) {
    dset(d, D_MEDIA_GEN, blockMediaGeneration(d));
    setSense(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
    dset(d, D_EVENT, hasMedium(d) ? EVENT_NEW_MEDIA : EVENT_MEDIA_REMOVAL);
  }
  const op = pkt(d, 0);
  if (dget(d, D_SENSE_KEY) == SENSE_UNIT_ATTENTION && !allowsUnitAttention(op)) {
    checkCondition(d);
    return;
  }
  if (needsMedium(op) && !hasMedium(d)) {
    fail(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    return;
  }
  switch (op) {
    case OP_TEST_UNIT_READY:
    case OP_SEEK_10:
    case OP_SET_CD_SPEED:
      atapiOk(d);
      return;
    case OP_REQUEST_SENSE:
      requestSense(d);
      return;
    case OP_INQUIRY:
      inquiry(d);
      return;
    case OP_READ_CAPACITY:
      out32(d, 0, cdSectors(d) - 1);
      out32(d, 4, CD_SECTOR);
      reply(d, 8, 8);
      return;
    case OP_READ_10:
      read(d, be32(d, 2), be16(d, 7));
      return;
    case OP_READ_12:
      read(d, be32(d, 2), be32(d, 6));
      return;
    case OP_READ_TOC:
      readToc(d);
      return;
    case OP_MODE_SENSE_10:
      modeSense(d);
      return;
    case OP_GET_CONFIGURATION:
      getConfiguration(d);
      return;
    case OP_GET_EVENT_STATUS:
      getEventStatus(d);
      return;
    case OP_READ_DISC_INFO:
      readDiscInformation(d);
      return;
    case OP_START_STOP_UNIT:
      startStopUnit(d);
      return;
    case OP_PREVENT_ALLOW:
      dset(d, D_LOCKED, pkt(d, 4) & 1);
      atapiOk(d);
      return;
    case OP_MECHANISM_STATUS:
      // No changer: an 8-byte header with no slot table (MMC-3 §6.1.7).
      memory.fill(ideBuffer(d), 0, 8);
      reply(d, 8, be16(d, 8));
      return;
    default:
      fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
  }
}

function requestSense(d: u32): void {
  memory.fill(ideBuffer(d), 0, SENSE_LENGTH);
  out8(d, 0, 0x70); // current error, fixed format
  out8(d, 2, dget(d, D_SENSE_KEY));
  out8(d, 7, SENSE_LENGTH - 8);
  out8(d, 12, dget(d, D_ASC));
  out8(d, 13, dget(d, D_ASCQ));
  // Reporting the sense clears it, the unit attention included (SPC-2 §7.20).
  setSense(d, SENSE_NONE, 0, 0);
  reply(d, SENSE_LENGTH, pkt(d, 4));
}

function inquiry(d: u32): void {
  memory.fill(ideBuffer(d), 0, INQUIRY_LENGTH);
  out8(d, 0, 0x05); // CD/DVD device
  out8(d, 1, 0x80); // removable
  out8(d, 2, 0x00);
  out8(d, 3, 0x21); // ATAPI, response data format 1 (as QEMU)
  out8(d, 4, INQUIRY_LENGTH - 5);
  outString(d, 8, 'TABVM', 8);
  outString(d, 16, 'TABVM DVD-ROM', 16);
  outString(d, 32, '1.0', 4);
  reply(d, INQUIRY_LENGTH, be16(d, 3));
}

function read(d: u32, lba: u32, count: u32): void {
  const total = cdSectors(d);
  if (<u64>lba + <u64>count > <u64>total) {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
    return;
  }
  if (count == 0) {
    atapiOk(d);
    return;
  }
  ideStartAtapiRead(d, <u64>lba * SECTORS_PER_CD_SECTOR, count * SECTORS_PER_CD_SECTOR, (dget(d, D_ATAPI) & ATAPI_DMA) != 0);
}

/** An address in a TOC entry: LBA, or MSF (0, M, S, F) of lba + 150. */
function outAddress(d: u32, i: u32, lba: u32, msf: bool): void {
  if (!msf) {
    out32(d, i, lba);
    return;
  }
  const f = lba + MSF_OFFSET;
  out8(d, i, 0);
  out8(d, i + 1, f / (FRAMES_PER_SECOND * SECONDS_PER_MINUTE));
  out8(d, i + 2, (f / FRAMES_PER_SECOND) % SECONDS_PER_MINUTE);
  out8(d, i + 3, f % FRAMES_PER_SECOND);
}

/** READ TOC/PMA/ATIP (MMC-3 §6.1.33): one data track. Formats 0 (TOC), 1 (session info), 2 (raw TOC). */
function readToc(d: u32): void {
  const msf = (pkt(d, 1) & 2) != 0;
  let format = pkt(d, 2) & 0xf;
  // Pre-MMC drivers put the format in the top bits of the control byte.
  if (format == 0) format = pkt(d, 9) >>> 6;
  const start = pkt(d, 6);
  const alloc = be16(d, 7);
  const leadOut = cdSectors(d);
  let len: u32 = 4;
  memory.fill(ideBuffer(d), 0, 64);
  out8(d, 2, 1);
  out8(d, 3, 1);
  if (format == 0) {
    if (start > 1 && start != LEAD_OUT_TRACK) {
      fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      return;
    }
    if (start <= 1) {
      out8(d, len + 1, TRACK_ADR_CONTROL);
      out8(d, len + 2, 1);
      outAddress(d, len + 4, 0, msf);
      len += 8;
    }
    out8(d, len + 1, LEAD_OUT_ADR_CONTROL);
    out8(d, len + 2, LEAD_OUT_TRACK);
    outAddress(d, len + 4, leadOut, msf);
    len += 8;
  } else if (format == 1) {
    // First track of the last (only) session.
    out8(d, len + 1, TRACK_ADR_CONTROL);
    out8(d, len + 2, 1);
    outAddress(d, len + 4, 0, msf);
    len += 8;
  } else if (format == 2) {
    // Raw TOC: descriptors A0 (first track), A1 (last track), A2 (lead-out), then track 1; MSF addresses.
    for (let k: u32 = 0; k < 4; k++) {
      const p = len + k * 11;
      out8(d, p, 1); // session
      out8(d, p + 1, TRACK_ADR_CONTROL);
      out8(d, p + 3, k == 0 ? 0xa0 : k == 1 ? 0xa1 : k == 2 ? 0xa2 : 1);
      if (k == 0 || k == 1) out8(d, p + 8, 1);
      else outAddress(d, p + 7, k == 2 ? leadOut : 0, true);
    }
    len += 4 * 11;
  } else {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    return;
  }
  out16(d, 0, len - 2);
  reply(d, len, alloc);
}

/** MODE SENSE(10) (SPC-2 §7.10): the error recovery page and the capabilities page 2Ah Linux's sr reads. */
function modeSense(d: u32): void {
  const page = pkt(d, 2) & 0x3f;
  const pc = pkt(d, 2) >>> 6;
  const alloc = be16(d, 7);
  if (pc == MODE_PC_SAVED) {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED);
    return;
  }
  memory.fill(ideBuffer(d), 0, 64);
  let len: u32 = 8;
  out8(d, 2, 0x70); // medium type: door closed, no disc type (QEMU)
  if (page == MODE_PAGE_ERROR_RECOVERY || page == MODE_PAGE_ALL) {
    out8(d, len, MODE_PAGE_ERROR_RECOVERY);
    out8(d, len + 1, 6);
    out8(d, len + 3, 5); // read retry count
    len += 8;
  }
  if (page == MODE_PAGE_CAPABILITIES || page == MODE_PAGE_ALL) {
    const p = len;
    out8(d, p, MODE_PAGE_CAPABILITIES);
    out8(d, p + 1, 0x12);
    out8(d, p + 2, 0x3b); // reads CD-R, CD-RW, DVD-ROM...
    out8(d, p + 4, 0x71); // audio play, multisession, mode 2 form 1/2
    out8(d, p + 5, 3 << 5); // CD-DA commands, accurate stream
    // Lock, eject, tray loader; the lock state (MMC-3 Table 350).
    out8(d, p + 6, 0x01 | 0x08 | 0x20 | (dget(d, D_LOCKED) != 0 ? 0x02 : 0));
    out16(d, p + 8, CD_SPEED_KBS);
    out16(d, p + 10, 2); // volume levels
    out16(d, p + 12, 512); // buffer size (KiB)
    out16(d, p + 14, CD_SPEED_KBS);
    len += 0x14;
  }
  if (len == 8) {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    return;
  }
  out16(d, 0, len - 2);
  reply(d, len, alloc);
}

/** GET CONFIGURATION (MMC-3 §6.1.4): profile list, core and removable medium features. */
function getConfiguration(d: u32): void {
  const alloc = be16(d, 7);
  memory.fill(ideBuffer(d), 0, 64);
  const sectors = blockMediaSectors(d) / <u64>SECTORS_PER_CD_SECTOR;
  const profile = !hasMedium(d) ? PROFILE_NONE : sectors > CD_MAX_SECTORS ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
  out16(d, 6, profile);
  let len: u32 = 8;
  // Feature 0000h: profile list.
  out16(d, len, 0x0000);
  out8(d, len + 2, 0x03); // persistent, current
  out8(d, len + 3, 8);
  out16(d, len + 4, PROFILE_DVD_ROM);
  out8(d, len + 6, profile == PROFILE_DVD_ROM ? 1 : 0);
  out16(d, len + 8, PROFILE_CD_ROM);
  out8(d, len + 10, profile == PROFILE_CD_ROM ? 1 : 0);
  len += 12;
  // Feature 0001h: core, ATAPI physical interface.
  out16(d, len, 0x0001);
  out8(d, len + 2, 0x03 | (1 << 2));
  out8(d, len + 3, 4);
  out32(d, len + 4, 2);
  len += 8;
  // Feature 0003h: removable medium, tray loader with eject and lock.
  out16(d, len, 0x0003);
  out8(d, len + 2, 0x03);
  out8(d, len + 3, 4);
  out8(d, len + 4, 0x29 | (dget(d, D_LOCKED) != 0 ? 0x04 : 0));
  len += 8;
  out32(d, 0, len - 4);
  reply(d, len, alloc);
}

/** GET EVENT STATUS NOTIFICATION (MMC-3 §6.1.6): polled only, media class. */
function getEventStatus(d: u32): void {
  if ((pkt(d, 1) & 1) == 0) {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    return;
  }
  const alloc = be16(d, 7);
  memory.fill(ideBuffer(d), 0, 8);
  out8(d, 3, EVENT_CLASS_MEDIA_MASK);
  let len: u32 = 4;
  if ((pkt(d, 4) & EVENT_CLASS_MEDIA_MASK) != 0) {
    out8(d, 2, EVENT_CLASS_MEDIA);
    out8(d, 4, dget(d, D_EVENT));
    out8(d, 5, hasMedium(d) ? MEDIA_STATUS_PRESENT : 0);
    dset(d, D_EVENT, EVENT_NONE);
    len = 8;
  } else {
    out8(d, 2, 0x80); // no event available
  }
  out16(d, 0, len - 2);
  reply(d, len, alloc);
}

/** READ DISC INFORMATION (MMC-3 §6.1.18): a finalised single-session disc. */
function readDiscInformation(d: u32): void {
  if ((pkt(d, 1) & 7) != 0) {
    fail(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    return;
  }
  memory.fill(ideBuffer(d), 0, 34);
  out16(d, 0, 32);
  out8(d, 2, 0x0e); // last session complete, disc finalised
  out8(d, 3, 1); // first track
  out8(d, 4, 1); // sessions
  out8(d, 5, 1); // first track of last session
  out8(d, 6, 1); // last track of last session
  out8(d, 7, 0x20); // unrestricted use
  reply(d, 34, be16(d, 7));
}

/** START STOP UNIT: eject is refused while the medium is locked; the tray is the host's, so it stays. */
function startStopUnit(d: u32): void {
  const loej = (pkt(d, 4) & 2) != 0;
  const start = (pkt(d, 4) & 1) != 0;
  if (loej && !start && dget(d, D_LOCKED) != 0) {
    setSense(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, ASCQ_REMOVAL_PREVENTED);
    checkCondition(d);
    return;
  }
  atapiOk(d);
}
