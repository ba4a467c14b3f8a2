// The helper's WebSocket protocol, version 1 (helper/PROTOCOL.md): every
// message is one JSON text frame. Client requests carry `v` (the version),
// `id` (echoed in the reply) and `type`; the helper answers each request with
// exactly one reply (`ok`, a typed result, or `error`) and pushes events
// (`serial`, `screen`, `machine`) unasked. Validators are hand-written: a
// message is accepted only if every field has the right type and range, and
// unknown fields are refused (a typo must not be silently ignored).

export const PROTOCOL_VERSION = 1;

export const ENGINES = ['wasm', 'kvm', 'kqemu'] as const;
export type EngineName = (typeof ENGINES)[number];
export const BOOT_KINDS = ['multiboot', 'linux', 'hda', 'cdrom', 'fda'] as const;
export type BootKind = (typeof BOOT_KINDS)[number];
export const DISCONNECT_POLICIES = ['pause', 'stop'] as const;
export const MACHINE_ACTIONS = ['start', 'pause', 'resume', 'reset', 'stop', 'delete'] as const;
export type MachineAction = (typeof MACHINE_ACTIONS)[number];

export const MAX_ID = 2 ** 31 - 1;
export const MAX_PATH_CHARS = 1024;
export const MAX_APPEND_CHARS = 4096;
export const MAX_SERIAL_BYTES = 64 * 1024;
export const MAX_NAME_CHARS = 64;
export const MIN_MEM_MIB = 1;
export const MAX_MEM_MIB = 3072;
export const MAX_MOUSE_DELTA = 1024;
export const MAX_KEY_CODE_CHARS = 32;

export interface CreateMachine {
  type: 'create-machine';
  name?: string;
  engine: EngineName;
  memMiB: number;
  boot: { kind: BootKind; image: string; initrd?: string; append?: string };
  /** What happens to the machine when its client disconnects (default 'pause'). */
  onDisconnect?: 'pause' | 'stop';
  /** Push screen updates (default true) and serial output (always). */
  screen?: boolean;
}

export type Request = { v: number; id: number } & (
  | { type: 'list-engines' }
  | { type: 'list-images' }
  | { type: 'list-machines' }
  | CreateMachine
  | { type: MachineAction; machine: number }
  | { type: 'serial-in'; machine: number; data: string }
  | { type: 'key'; machine: number; code: string; down: boolean }
  | { type: 'mouse'; machine: number; dx: number; dy: number; buttons: number; wheel?: number }
  | { type: 'stats'; machine: number }
);

export type ErrorCode =
  | 'bad-json'
  | 'bad-message'
  | 'unknown-type'
  | 'bad-version'
  | 'too-large'
  | 'no-such-machine'
  | 'bad-image'
  | 'limit'
  | 'engine-unavailable'
  | 'bad-state'
  | 'internal';

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;

function fail(message: string): never {
  throw new ProtocolError('bad-message', message);
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyFields(o: Obj, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${where}: unknown field "${k}"`);
}

function int(o: Obj, key: string, min: number, max: number, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(`${where}: "${key}" must be an integer from ${min} to ${max}`);
  return v;
}

function str(o: Obj, key: string, maxChars: number, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > maxChars) fail(`${where}: "${key}" must be a string of at most ${maxChars} characters`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, values: readonly T[], where: string): T {
  const v = o[key];
  if (typeof v !== 'string' || !values.includes(v as T)) fail(`${where}: "${key}" must be one of ${values.join(', ')}`);
  return v as T;
}

function bool(o: Obj, key: string, where: string): boolean {
  if (typeof o[key] !== 'boolean') fail(`${where}: "${key}" must be true or false`);
  return o[key] as boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses and validates one client frame; throws ProtocolError with the reason. */
export function parseRequest(text: string): Request {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError('bad-json', 'the message is not valid JSON');
  }
  if (!isObject(raw)) fail('a message must be a JSON object');
  if (raw.v !== PROTOCOL_VERSION) throw new ProtocolError('bad-version', `protocol version must be ${PROTOCOL_VERSION} (field "v")`);
  const id = int(raw, 'id', 0, MAX_ID, 'message');
  const type = raw.type;
  if (typeof type !== 'string') fail('message: "type" must be a string');
  const w = type;
  const base = ['v', 'id', 'type'];
  switch (type) {
    case 'list-engines':
    case 'list-images':
    case 'list-machines':
      onlyFields(raw, base, w);
      return { v: PROTOCOL_VERSION, id, type };
    case 'create-machine': {
      onlyFields(raw, [...base, 'name', 'engine', 'memMiB', 'boot', 'onDisconnect', 'screen'], w);
      const engine = oneOf(raw, 'engine', ENGINES, w);
      const memMiB = int(raw, 'memMiB', MIN_MEM_MIB, MAX_MEM_MIB, w);
      if (!isObject(raw.boot)) fail(`${w}: "boot" must be an object`);
      const b = raw.boot;
      onlyFields(b, ['kind', 'image', 'initrd', 'append'], `${w}.boot`);
      const boot: CreateMachine['boot'] = {
        kind: oneOf(b, 'kind', BOOT_KINDS, `${w}.boot`),
        image: str(b, 'image', MAX_PATH_CHARS, `${w}.boot`),
      };
      if (b.initrd !== undefined) {
        if (boot.kind !== 'linux') fail(`${w}.boot: "initrd" needs kind "linux"`);
        boot.initrd = str(b, 'initrd', MAX_PATH_CHARS, `${w}.boot`);
      }
      if (b.append !== undefined) {
        if (boot.kind !== 'linux' && boot.kind !== 'multiboot') fail(`${w}.boot: "append" needs kind "linux" or "multiboot"`);
        boot.append = str(b, 'append', MAX_APPEND_CHARS, `${w}.boot`);
      }
      const m: CreateMachine = { type, engine, memMiB, boot };
      if (raw.name !== undefined) m.name = str(raw, 'name', MAX_NAME_CHARS, w);
      if (raw.onDisconnect !== undefined) m.onDisconnect = oneOf(raw, 'onDisconnect', DISCONNECT_POLICIES, w);
      if (raw.screen !== undefined) m.screen = bool(raw, 'screen', w);
      return { v: PROTOCOL_VERSION, id, ...m };
    }
    case 'start':
    case 'pause':
    case 'resume':
    case 'reset':
    case 'stop':
    case 'delete':
    case 'stats':
      onlyFields(raw, [...base, 'machine'], w);
      return { v: PROTOCOL_VERSION, id, type, machine: int(raw, 'machine', 1, MAX_ID, w) };
    case 'serial-in': {
      onlyFields(raw, [...base, 'machine', 'data'], w);
      const data = str(raw, 'data', Math.ceil(MAX_SERIAL_BYTES / 3) * 4, w);
      if (!BASE64.test(data) || data.length % 4 !== 0) fail(`${w}: "data" must be base64`);
      return { v: PROTOCOL_VERSION, id, type, machine: int(raw, 'machine', 1, MAX_ID, w), data };
    }
    case 'key':
      onlyFields(raw, [...base, 'machine', 'code', 'down'], w);
      return {
        v: PROTOCOL_VERSION,
        id,
        type,
        machine: int(raw, 'machine', 1, MAX_ID, w),
        code: str(raw, 'code', MAX_KEY_CODE_CHARS, w),
        down: bool(raw, 'down', w),
      };
    case 'mouse': {
      onlyFields(raw, [...base, 'machine', 'dx', 'dy', 'buttons', 'wheel'], w);
      const r = {
        v: PROTOCOL_VERSION,
        id,
        type,
        machine: int(raw, 'machine', 1, MAX_ID, w),
        dx: int(raw, 'dx', -MAX_MOUSE_DELTA, MAX_MOUSE_DELTA, w),
        dy: int(raw, 'dy', -MAX_MOUSE_DELTA, MAX_MOUSE_DELTA, w),
        buttons: int(raw, 'buttons', 0, 7, w),
      } as const;
      return raw.wheel === undefined ? r : { ...r, wheel: int(raw, 'wheel', -8, 8, w) };
    }
    default:
      throw new ProtocolError('unknown-type', `unknown message type "${type.slice(0, MAX_NAME_CHARS)}"`);
  }
}

/** The states a machine goes through (PROTOCOL.md). */
export type MachineState = 'created' | 'running' | 'paused' | 'stopped';

export interface MachineInfo {
  id: number;
  name: string;
  engine: EngineName;
  memMiB: number;
  state: MachineState;
  /** Why it stopped: 'exit' (with status), 'reset', 'halted', 'poweroff', 'quit', 'error'. */
  outcome?: { reason: string; status: number; message?: string };
}
