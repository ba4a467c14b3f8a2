// What the kqemu engine talks to: the real /dev/kqemu through the native
// addon, or a substitute with the same ioctl-level interface.
//
// The substitute answers GET_VERSION, checks INIT's page-aligned buffers as
// kqemu does (kqemu_init() refuses unaligned ones), accepts SET_PHYS_MEM and
// MODIFY_RAM_PAGES, and answers every EXEC with KQEMU_RET_SOFTMMU ("emulate
// this"), which the ABI allows at any time: it is how the real module hands
// back I/O, real mode and anything it cannot run. So the engine's whole loop
// (state out, EXEC, state back, verdict) runs against it with the Wasm CPU
// doing all the work.

import { closeFd, ioctlRaw, openDevice, NativeError } from '../native.js';
import { GET_VERSION, KQEMU_VERSION_1_4, RET_SOFTMMU, abiFor, type KqemuAbi } from './abi.js';

export const KQEMU_DEVICE_PATH = '/dev/kqemu';
const PAGE = 4096;
const EINVAL = 22;
const ENOTTY = 25;
const EIO = 5;

export interface KqemuDevice {
  /** Where it is (for messages): "/dev/kqemu" or "substitute". */
  readonly name: string;
  /** An ioctl on the device: 0 or more on success, -errno on failure. */
  ioctl(request: number, arg: Uint8Array): number;
  close(): void;
}

/** The real device, opened through the native addon. */
export class RealKqemuDevice implements KqemuDevice {
  readonly name = KQEMU_DEVICE_PATH;
  private constructor(private fd: number) {}

  /** Opens /dev/kqemu; throws a NativeError (ENOENT, EACCES, ...) or the addon's reason. */
  static open(path = KQEMU_DEVICE_PATH): RealKqemuDevice {
    return new RealKqemuDevice(openDevice(path));
  }

  ioctl(request: number, arg: Uint8Array): number {
    return ioctlRaw(this.fd, request, arg);
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd);
    this.fd = -1;
  }
}

/** Why kqemu cannot be used here, or undefined when /dev/kqemu opens and speaks a known version. */
export function kqemuUnavailableReason(path = KQEMU_DEVICE_PATH): string | undefined {
  let dev: RealKqemuDevice;
  try {
    dev = RealKqemuDevice.open(path);
  } catch (err) {
    if (err instanceof NativeError && err.code === 'ENOENT') {
      return `${path} does not exist (the kqemu module was last released in 2009 and no current kernel has it)`;
    }
    return (err as Error).message;
  }
  try {
    const v = new Int32Array(1);
    const r = dev.ioctl(GET_VERSION, new Uint8Array(v.buffer));
    if (r < 0) return `${path}: KQEMU_GET_VERSION failed (errno ${-r})`;
    if (!abiFor(v[0])) return `${path} speaks kqemu version 0x${v[0].toString(16)}; tabvm knows 1.3 (0x010300) and 1.4 (0x010400)`;
    return undefined;
  } finally {
    dev.close();
  }
}

/** Counters the substitute keeps, so tests can see the loop really went through it. */
export interface SubstituteCounters {
  versionQueries: number;
  inits: number;
  physMemRanges: number;
  modifyRamPages: number;
  execs: number;
}

/** A stand-in for /dev/kqemu that hands every EXEC back as "emulate this". */
export class SubstituteKqemuDevice implements KqemuDevice {
  readonly name = 'substitute';
  readonly counters: SubstituteCounters = { versionQueries: 0, inits: 0, physMemRanges: 0, modifyRamPages: 0, execs: 0 };
  private readonly abi: KqemuAbi;
  private initialised = false;

  /**
   * `verdict` (tests) may answer an EXEC itself: given the kqemu_cpu_state
   * bytes, return a retval (and edit the state as the module would), or
   * undefined for the default "emulate this".
   */
  constructor(
    readonly version = KQEMU_VERSION_1_4,
    private readonly verdict?: (state: DataView, abi: KqemuAbi) => number | undefined,
  ) {
    const abi = abiFor(version);
    if (!abi) throw new RangeError(`no kqemu ABI version 0x${version.toString(16)}`);
    this.abi = abi;
  }

  ioctl(request: number, arg: Uint8Array): number {
    const dv = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
    const io = this.abi.ioctls;
    if (request === GET_VERSION) {
      if (arg.byteLength < 4) return -EINVAL;
      dv.setInt32(0, this.version, true);
      this.counters.versionQueries++;
      return 0;
    }
    if (request === io.INIT) {
      if (this.initialised || arg.byteLength < this.abi.init.size) return -EINVAL;
      const f = this.abi.init.fields;
      const size = dv.getBigUint64(f.ram_size, true);
      // kqemu_init(): RAM and every shared array page-aligned, RAM a whole number of pages.
      for (const name of ['ram_base', 'ram_dirty', 'pages_to_flush', 'ram_pages_to_update', 'modified_ram_pages']) {
        const p = dv.getBigUint64(f[name], true);
        if (p === 0n || p % BigInt(PAGE) !== 0n) return -EINVAL;
      }
      if (size === 0n || size % BigInt(PAGE) !== 0n) return -EINVAL;
      this.initialised = true;
      this.counters.inits++;
      return 0;
    }
    if (!this.initialised) return -EIO;
    if (io.SET_PHYS_MEM !== undefined && request === io.SET_PHYS_MEM) {
      const pm = this.abi.physMem!;
      const start = dv.getBigUint64(pm.fields.phys_addr, true);
      const size = dv.getBigUint64(pm.fields.size, true);
      if (start % BigInt(PAGE) !== 0n || size % BigInt(PAGE) !== 0n) return -EINVAL;
      this.counters.physMemRanges++;
      return 0;
    }
    if (request === io.MODIFY_RAM_PAGES) {
      this.counters.modifyRamPages++;
      return 0;
    }
    if (request === io.EXEC) {
      if (arg.byteLength < this.abi.cpuState.size) return -EINVAL;
      const off = this.abi.cpuState.fields.retval;
      const ret = this.verdict?.(dv, this.abi) ?? RET_SOFTMMU;
      // retval is a long in 1.3 and an int32 in 1.4; both little-endian, so a 32-bit store plus its sign in the high half.
      dv.setInt32(off, ret, true);
      if (this.version !== KQEMU_VERSION_1_4) dv.setInt32(off + 4, ret < 0 ? -1 : 0, true);
      this.counters.execs++;
      return 0;
    }
    return -ENOTTY;
  }

  close(): void {
    this.initialised = false;
  }
}
