// A small WebAssembly binary encoder (WebAssembly Core Specification 2.0,
// §5 "Binary Format"): LEB128 numbers, the opcodes the translator uses, and
// the module sections around one function. It writes bytes at a cursor in
// linear memory; no tables, no allocation.

// Opcodes (spec §5.4).
export const OP_BLOCK: u32 = 0x02;
export const OP_LOOP: u32 = 0x03;
export const OP_IF: u32 = 0x04;
export const OP_ELSE: u32 = 0x05;
export const OP_END: u32 = 0x0b;
export const OP_BR: u32 = 0x0c;
export const OP_BR_IF: u32 = 0x0d;
export const OP_BR_TABLE: u32 = 0x0e;
export const OP_CALL: u32 = 0x10;
export const OP_DROP: u32 = 0x1a;
export const OP_SELECT: u32 = 0x1b;
export const OP_LOCAL_GET: u32 = 0x20;
export const OP_LOCAL_SET: u32 = 0x21;
export const OP_LOCAL_TEE: u32 = 0x22;
export const OP_I32_LOAD: u32 = 0x28;
export const OP_I32_LOAD8_S: u32 = 0x2c;
export const OP_I32_LOAD8_U: u32 = 0x2d;
export const OP_I32_LOAD16_S: u32 = 0x2e;
export const OP_I32_LOAD16_U: u32 = 0x2f;
export const OP_I32_STORE: u32 = 0x36;
export const OP_I32_STORE8: u32 = 0x3a;
export const OP_I32_STORE16: u32 = 0x3b;
export const OP_I32_CONST: u32 = 0x41;
export const OP_I32_EQZ: u32 = 0x45;
export const OP_I32_EQ: u32 = 0x46;
export const OP_I32_NE: u32 = 0x47;
export const OP_I32_LT_S: u32 = 0x48;
export const OP_I32_LT_U: u32 = 0x49;
export const OP_I32_GT_U: u32 = 0x4b;
export const OP_I32_LE_S: u32 = 0x4c;
export const OP_I32_LE_U: u32 = 0x4d;
export const OP_I32_ADD: u32 = 0x6a;
export const OP_I32_SUB: u32 = 0x6b;
export const OP_I32_AND: u32 = 0x71;
export const OP_I32_OR: u32 = 0x72;
export const OP_I32_XOR: u32 = 0x73;
export const OP_I32_SHL: u32 = 0x74;
export const OP_I32_SHR_U: u32 = 0x76;
export const OP_I32_MUL: u32 = 0x6c;
export const OP_I32_SHR_S: u32 = 0x75;
export const OP_I32_ROTL: u32 = 0x77;
export const OP_I32_ROTR: u32 = 0x78;
export const OP_I64_NE: u32 = 0x52;
export const OP_I64_MUL: u32 = 0x7e;
export const OP_I64_EXTEND_I32_S: u32 = 0xac;
export const OP_I32_EXTEND8_S: u32 = 0xc0;
export const OP_I32_EXTEND16_S: u32 = 0xc1;

/** Block type "no result" (spec §5.4.1 blocktype: the empty type 0x40). */
export const BLOCKTYPE_EMPTY: u32 = 0x40;
export const TYPE_I32: u32 = 0x7f;
export const TYPE_FUNC: u32 = 0x60;

// Section ids (spec §5.5.2).
export const SECTION_TYPE: u32 = 1;
export const SECTION_IMPORT: u32 = 2;
export const SECTION_FUNCTION: u32 = 3;
export const SECTION_EXPORT: u32 = 7;
export const SECTION_CODE: u32 = 10;

export const IMPORT_FUNC: u32 = 0x00;
export const IMPORT_MEMORY: u32 = 0x02;
export const EXPORT_FUNC: u32 = 0x00;
/** Memory limits flag: minimum and maximum present, shared (threads proposal). */
export const LIMITS_SHARED_MIN_MAX: u32 = 0x03;

/** The write cursor (a wasm address) and the end it may not pass. */
let cursor: u32 = 0;
let limit: u32 = 0;
let overflow: bool = false;

export function encStart(at: u32, size: u32): void {
  cursor = at;
  limit = at + size;
  overflow = false;
}
@inline export function encPos(): u32 {
  return cursor;
}
/** True when a write ran past the buffer (the bytes past it were dropped). */
export function encOverflow(): bool {
  return overflow;
}

export function byte(b: u32): void {
  if (cursor >= limit) {
    overflow = true;
    return;
  }
  store<u8>(cursor, <u8>b);
  cursor++;
}

/** Unsigned LEB128 (spec §5.2.2). */
export function uleb(v: u32): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v != 0) b |= 0x80;
    byte(b);
  } while (v != 0);
}

/** Signed LEB128 of a 32-bit value (i32.const immediates). */
export function sleb(v: i32): void {
  for (;;) {
    const b = <u32>v & 0x7f;
    v >>= 7;
    const done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
    byte(done ? b : b | 0x80);
    if (done) return;
  }
}

/** A name (spec §5.2.4): length, then ASCII bytes packed little-endian in `chars` (up to 4). */
export function name4(chars: u32, len: u32): void {
  uleb(len);
  for (let i: u32 = 0; i < len; i++) byte((chars >>> (i << 3)) & 0xff);
}

/** Copy `len` bytes from `src` at the cursor. */
export function bytesFrom(src: u32, len: u32): void {
  if (cursor + len > limit) {
    overflow = true;
    return;
  }
  memory.copy(cursor, src, len);
  cursor += len;
}

// ---------- instructions ----------

export function i32Const(v: u32): void {
  byte(OP_I32_CONST);
  sleb(<i32>v);
}
export function localGet(i: u32): void {
  byte(OP_LOCAL_GET);
  uleb(i);
}
export function localSet(i: u32): void {
  byte(OP_LOCAL_SET);
  uleb(i);
}
export function localTee(i: u32): void {
  byte(OP_LOCAL_TEE);
  uleb(i);
}
/** A load or store with its memarg (alignment exponent, offset 0: addresses are absolute). */
export function memOp(op: u32, alignLog2: u32): void {
  byte(op);
  uleb(alignLog2);
  uleb(0);
}
/** i32.load from the constant address `addr`. */
export function loadAt(addr: u32): void {
  i32Const(addr);
  memOp(OP_I32_LOAD, 2);
}
export function call(fn: u32): void {
  byte(OP_CALL);
  uleb(fn);
}
export function br(depth: u32): void {
  byte(OP_BR);
  uleb(depth);
}
export function brIf(depth: u32): void {
  byte(OP_BR_IF);
  uleb(depth);
}
export function blockStart(op: u32): void {
  byte(op);
  byte(BLOCKTYPE_EMPTY);
}
