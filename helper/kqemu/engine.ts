// The kqemu engine (DESIGN §8): guest code runs on the host CPU through
// /dev/kqemu where the module exists; everything the module hands back runs
// on the Wasm CPU core, with the same Wasm devices (PIC and PIT included:
// kqemu has no interrupt controller of its own).
//
// The loop, as QEMU 0.9/0.10 drove kqemu (kqemu.c, kqemu_cpu_exec):
//   1. if an interrupt is pending and EFLAGS.IF is set, the Wasm core takes it
//      (kqemu cannot inject interrupts);
//   2. copy the CPU state into struct kqemu_cpu_state, with the pages whose
//      translations the emulator changed (here: all of them, FLUSH_ALL);
//   3. KQEMU_EXEC; copy the state back;
//   4. act on retval: SOFTMMU/SYSCALL ("emulate this") and INTR (a signal):
//      a slice on the Wasm core; INT n: deliver the software interrupt with
//      next_eip as return address; EXCEPTION n: deliver the exception with
//      error_code; ABORT: the module gave up, the machine stops.
// The guest RAM kqemu maps is the same page-aligned guest-RAM region of the
// shared memory (INIT's ram_base), so no copies.

import * as L from '../../host/generated/cpu-layout.js';
import type { Core } from '../../host/core.js';
import type { Accelerator } from '../../host/node-machine.js';
import { MAP_PRIVATE, O_RDWR, PROT_READ, PROT_WRITE, bufferAddress, loadNative, mmapFd, openDevice, closeFd } from '../native.js';
import {
  FLUSH_ALL,
  GET_VERSION,
  IO_MEM_RAM,
  KQEMU_VERSION_1_4,
  MAX_MODIFIED_RAM_PAGES,
  MAX_PAGES_TO_FLUSH,
  MAX_RAM_PAGES_TO_UPDATE,
  RET_ABORT,
  RET_EXCEPTION,
  RET_INT,
  RET_INTR,
  RET_KIND_MASK,
  RET_SOFTMMU,
  RET_SYSCALL,
  RET_VECTOR_MASK,
  abiFor,
  type KqemuAbi,
} from './abi.js';
import type { KqemuDevice } from './device.js';

const PAGE = 4096;
const U64_BYTES = 8;
const SEGMENTS = 6;
const GPRS = 8;
const EFLAGS_IF = 1 << 9;
const CR0_PE = 1;
/** Segment attributes: tabvm keeps descriptor bits 40-55 as bits 0-15; kqemu/QEMU keep them in place (bits 8-23 of the high dword). */
const SEG_FLAGS_SHIFT = 8;
/** cpu/interrupts.ts INT_* kinds for deliverEvent. */
const INT_EXCEPTION = 0;
const INT_SOFTWARE = 1;
/** Exceptions that push an error code (SDM Vol. 3A §6.13): #DF #TS #NP #SS #GP #PF #AC. */
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);
const DELIVERED = 0xffffffff;

export class KqemuError extends Error {
  override name = 'KqemuError';
}

/** Counters of the loop (merged into the statistics schema by the runner). */
export interface KqemuCounters {
  execs: number;
  softmmu: number;
  interrupts: number;
  exceptions: number;
  intr: number;
  syscalls: number;
}

/** Page-aligned memory shared with the module: RAM dirty bytes and the three page lists. */
interface SharedArrays {
  dirty: Uint8Array;
  pagesToFlush: Uint8Array;
  ramPagesToUpdate: Uint8Array;
  modifiedRamPages: Uint8Array;
  physToRamMap: Uint8Array;
  addressOf(a: Uint8Array): bigint;
}

export class KqemuEngine {
  readonly abi: KqemuAbi;
  readonly counters: KqemuCounters = { execs: 0, softmmu: 0, interrupts: 0, exceptions: 0, intr: 0, syscalls: 0 };
  private readonly state: Uint8Array;
  private readonly sv: DataView;
  private readonly cpu: DataView;

  private constructor(
    private readonly device: KqemuDevice,
    private readonly core: Core,
    abi: KqemuAbi,
  ) {
    this.abi = abi;
    this.state = new Uint8Array(abi.cpuState.size);
    this.sv = new DataView(this.state.buffer);
    this.cpu = new DataView(core.memory.buffer, L.CPU_STATE, L.CPU_STATE_SIZE);
  }

  /** Version check, INIT with the guest RAM of `core`, and (1.4) the physical memory map. */
  static open(device: KqemuDevice, core: Core): KqemuEngine {
    const v = new Int32Array(1);
    const r = device.ioctl(GET_VERSION, new Uint8Array(v.buffer));
    if (r < 0) throw new KqemuError(`${device.name}: KQEMU_GET_VERSION failed (errno ${-r})`);
    const abi = abiFor(v[0]);
    if (!abi) throw new KqemuError(`${device.name}: unknown kqemu version 0x${v[0].toString(16)} (tabvm knows 0x010300 and 0x010400)`);
    const engine = new KqemuEngine(device, core, abi);
    engine.init();
    return engine;
  }

  private arrays: SharedArrays | undefined;

  private allocArrays(): SharedArrays {
    const ramPages = Math.ceil(this.core.ramBytes / PAGE);
    const sizes = {
      dirty: roundPage(ramPages),
      pagesToFlush: roundPage(MAX_PAGES_TO_FLUSH * U64_BYTES),
      ramPagesToUpdate: roundPage(MAX_RAM_PAGES_TO_UPDATE * U64_BYTES),
      modifiedRamPages: roundPage(MAX_MODIFIED_RAM_PAGES * U64_BYTES),
      // 1.3: QEMU's first-level physical page table (1024 pointers); all null = every page "unassigned".
      // UNFINISHED: so a real 1.3 module hands every memory access back; filling the table
      // (QEMU 0.9's PhysPageDesc layout) would let it run guest code from RAM.
      physToRamMap: roundPage(1024 * U64_BYTES),
    };
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    let backing: ArrayBuffer;
    let base: bigint;
    if (this.device.name !== 'substitute' || loadNative().addon) {
      // Real pages, page-aligned, that stay mapped as long as the engine lives.
      const zero = openDevice('/dev/zero', O_RDWR);
      try {
        backing = mmapFd(zero, total, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, 'mmap kqemu arrays');
      } finally {
        closeFd(zero);
      }
      base = bufferAddress(backing);
    } else {
      // No addon: the substitute never dereferences pointers; give it page-aligned stand-ins.
      backing = new ArrayBuffer(total);
      base = BigInt(PAGE);
    }
    let off = 0;
    const take = (n: number): Uint8Array => {
      const a = new Uint8Array(backing, off, n);
      off += n;
      return a;
    };
    const dirty = take(sizes.dirty);
    dirty.fill(0xff);
    return {
      dirty,
      pagesToFlush: take(sizes.pagesToFlush),
      ramPagesToUpdate: take(sizes.ramPagesToUpdate),
      modifiedRamPages: take(sizes.modifiedRamPages),
      physToRamMap: take(sizes.physToRamMap),
      addressOf: (a) => base + BigInt(a.byteOffset),
    };
  }

  private ramAddress(): bigint {
    if (loadNative().addon) return bufferAddress(this.core.memory.buffer) + BigInt(L.RAM_BASE);
    return BigInt(L.RAM_BASE);
  }

  private init(): void {
    const a = (this.arrays = this.allocArrays());
    const init = new Uint8Array(this.abi.init.size);
    const dv = new DataView(init.buffer);
    const f = this.abi.init.fields;
    dv.setBigUint64(f.ram_base, this.ramAddress(), true);
    dv.setBigUint64(f.ram_size, BigInt(this.core.ramBytes), true);
    dv.setBigUint64(f.ram_dirty, a.addressOf(a.dirty), true);
    dv.setBigUint64(f.pages_to_flush, a.addressOf(a.pagesToFlush), true);
    dv.setBigUint64(f.ram_pages_to_update, a.addressOf(a.ramPagesToUpdate), true);
    dv.setBigUint64(f.modified_ram_pages, a.addressOf(a.modifiedRamPages), true);
    if (f.phys_to_ram_map !== undefined) dv.setBigUint64(f.phys_to_ram_map, a.addressOf(a.physToRamMap), true);
    const r = this.device.ioctl(this.abi.ioctls.INIT, init);
    if (r < 0) throw new KqemuError(`${this.device.name}: KQEMU_INIT failed (errno ${-r}): guest RAM not page-aligned or too large?`);
    // 1.4: guest RAM is RAM; everything else stays unassigned, so device accesses come back to us.
    if (this.abi.physMem && this.abi.ioctls.SET_PHYS_MEM !== undefined) {
      const pm = new Uint8Array(this.abi.physMem.size);
      const pv = new DataView(pm.buffer);
      pv.setBigUint64(this.abi.physMem.fields.phys_addr, 0n, true);
      pv.setBigUint64(this.abi.physMem.fields.size, BigInt(this.core.ramBytes), true);
      pv.setBigUint64(this.abi.physMem.fields.ram_addr, 0n, true);
      pv.setUint32(this.abi.physMem.fields.io_index, IO_MEM_RAM, true);
      const r2 = this.device.ioctl(this.abi.ioctls.SET_PHYS_MEM, pm);
      if (r2 < 0) throw new KqemuError(`${this.device.name}: KQEMU_SET_PHYS_MEM failed (errno ${-r2})`);
    }
  }

  close(): void {
    this.device.close();
  }

  private cpuU32(off: number): number {
    return this.cpu.getUint32(off, true);
  }

  /** Copy the Wasm core's CPU state into struct kqemu_cpu_state. */
  writeState(): void {
    const f = this.abi.cpuState.fields;
    const s = this.sv;
    const core = this.core;
    this.state.fill(0);
    for (let i = 0; i < GPRS; i++) s.setBigUint64(f.regs + i * U64_BYTES, BigInt(this.cpuU32(L.OFF_GPR + i * U64_BYTES)), true);
    s.setBigUint64(f.eip, BigInt(this.cpuU32(L.OFF_EIP)), true);
    s.setBigUint64(f.eflags, BigInt(core.exports.getEflags() >>> 0), true);
    const seg = this.abi.segment;
    const putSeg = (at: number, index: number): void => {
      const a = L.OFF_SEGS + index * L.SEG_SIZE;
      // The selector is a uint16_t in 1.4 and a uint32_t in 1.3.
      if (this.abi.version === KQEMU_VERSION_1_4) s.setUint16(at + seg.fields.selector, this.cpuU32(a + L.SEG_SEL), true);
      else s.setUint32(at + seg.fields.selector, this.cpuU32(a + L.SEG_SEL), true);
      s.setUint32(at + seg.fields.flags, (this.cpuU32(a + L.SEG_ATTR) << SEG_FLAGS_SHIFT) >>> 0, true);
      s.setBigUint64(at + seg.fields.base, BigInt(this.cpuU32(a + L.SEG_BASE)), true);
      s.setUint32(at + seg.fields.limit, this.cpuU32(a + L.SEG_LIMIT), true);
    };
    for (let i = 0; i < SEGMENTS; i++) putSeg(f.segs + i * seg.size, i);
    putSeg(f.ldt, L.SEG_LDTR);
    putSeg(f.tr, L.SEG_TR);
    s.setBigUint64(f.gdt + seg.fields.base, BigInt(this.cpuU32(L.OFF_GDTR_BASE)), true);
    s.setUint32(f.gdt + seg.fields.limit, this.cpuU32(L.OFF_GDTR_LIMIT), true);
    s.setBigUint64(f.idt + seg.fields.base, BigInt(this.cpuU32(L.OFF_IDTR_BASE)), true);
    s.setUint32(f.idt + seg.fields.limit, this.cpuU32(L.OFF_IDTR_LIMIT), true);
    s.setBigUint64(f.cr0, BigInt(this.cpuU32(L.OFF_CR0)), true);
    s.setBigUint64(f.cr2, BigInt(this.cpuU32(L.OFF_CR2)), true);
    s.setBigUint64(f.cr3, BigInt(this.cpuU32(L.OFF_CR3)), true);
    s.setBigUint64(f.cr4, BigInt(this.cpuU32(L.OFF_CR4)), true);
    s.setUint32(f.a20_mask, this.cpuU32(L.OFF_A20_MASK), true);
    s.setUint32(f.sysenter_cs, this.cpuU32(L.OFF_SYSENTER_CS), true);
    s.setUint32(f.sysenter_esp, this.cpuU32(L.OFF_SYSENTER_ESP), true);
    s.setUint32(f.sysenter_eip, this.cpuU32(L.OFF_SYSENTER_EIP), true);
    s.setBigUint64(f.efer, BigInt(this.cpuU32(L.OFF_EFER)), true);
    s.setBigUint64(f.dr0 + 0, BigInt(this.cpuU32(L.OFF_DR)), true);
    s.setBigUint64(f.dr7, BigInt(this.cpuU32(L.OFF_DR + 7 * U64_BYTES)), true);
    s.setUint8(f.cpl, this.cpuU32(L.OFF_CPL) & 3);
    s.setUint8(f.user_only, 0);
    // The Wasm core may have changed any translation and any RAM page since the last EXEC.
    // UNFINISHED: RAM pages the Wasm core wrote are not listed in modified_ram_pages (the
    // core keeps no per-page write log yet); the real module may run stale code it cached.
    s.setUint32(f.nb_pages_to_flush, FLUSH_ALL, true);
    s.setUint32(f.nb_ram_pages_to_update, 0, true);
    s.setUint32(f.nb_modified_ram_pages, 0, true);
  }

  /** Copy struct kqemu_cpu_state back into the Wasm core (only what changed, so a no-op EXEC changes nothing). */
  readState(): void {
    const f = this.abi.cpuState.fields;
    const s = this.sv;
    const core = this.core;
    const u64 = (at: number): number => Number(s.getBigUint64(at, true) & 0xffffffffn);
    for (let i = 0; i < GPRS; i++) this.cpu.setUint32(L.OFF_GPR + i * U64_BYTES, u64(f.regs + i * U64_BYTES), true);
    this.cpu.setUint32(L.OFF_EIP, u64(f.eip), true);
    const eflags = u64(f.eflags);
    if (eflags !== core.exports.getEflags() >>> 0) core.exports.setEflags(eflags);
    const seg = this.abi.segment;
    const getSeg = (at: number, index: number): void => {
      const a = L.OFF_SEGS + index * L.SEG_SIZE;
      const selector = this.abi.version === KQEMU_VERSION_1_4 ? s.getUint16(at, true) : s.getUint32(at, true);
      const attr = s.getUint32(at + seg.fields.flags, true) >>> SEG_FLAGS_SHIFT;
      const base = u64(at + seg.fields.base);
      const limit = s.getUint32(at + seg.fields.limit, true);
      if (
        selector !== this.cpuU32(a + L.SEG_SEL) ||
        attr !== this.cpuU32(a + L.SEG_ATTR) ||
        base !== this.cpuU32(a + L.SEG_BASE) ||
        limit !== this.cpuU32(a + L.SEG_LIMIT)
      ) {
        core.exports.setSegmentCache(index, selector, base, limit, attr);
      }
    };
    for (let i = 0; i < SEGMENTS; i++) getSeg(f.segs + i * seg.size, i);
    getSeg(f.ldt, L.SEG_LDTR);
    getSeg(f.tr, L.SEG_TR);
    this.cpu.setUint32(L.OFF_GDTR_BASE, u64(f.gdt + seg.fields.base), true);
    this.cpu.setUint32(L.OFF_GDTR_LIMIT, s.getUint32(f.gdt + seg.fields.limit, true), true);
    this.cpu.setUint32(L.OFF_IDTR_BASE, u64(f.idt + seg.fields.base), true);
    this.cpu.setUint32(L.OFF_IDTR_LIMIT, s.getUint32(f.idt + seg.fields.limit, true), true);
    this.cpu.setUint32(L.OFF_CR2, u64(f.cr2), true);
    let flush = false;
    for (const [field, off] of [
      [f.cr0, L.OFF_CR0],
      [f.cr3, L.OFF_CR3],
      [f.cr4, L.OFF_CR4],
    ]) {
      const v = u64(field);
      if (v !== this.cpuU32(off)) {
        this.cpu.setUint32(off, v, true);
        flush = true;
      }
    }
    if (flush) core.exports.flushTlb();
    const cpl = s.getUint8(f.cpl) & 3;
    if (cpl !== (this.cpuU32(L.OFF_CPL) & 3)) this.cpu.setUint32(L.OFF_CPL, cpl, true);
  }

  /** EXEC once: state out, ioctl, state back; returns retval. */
  exec(): number {
    this.writeState();
    const r = this.device.ioctl(this.abi.ioctls.EXEC, this.state);
    if (r < 0) throw new KqemuError(`${this.device.name}: KQEMU_EXEC failed (errno ${-r})`);
    this.counters.execs++;
    this.readState();
    const off = this.abi.cpuState.fields.retval;
    return this.sv.getInt32(off, true);
  }

  /**
   * Up to `maxInstructions` of the machine: EXEC on the module whenever it
   * may run the guest; after "emulate this" (or with an interrupt to take)
   * at most EMULATE_SLICE instructions on the Wasm core, then EXEC again,
   * as QEMU went back to kqemu after each translated block. Returns the Wasm
   * core's stop reason, STOP_LIMIT when the budget ran out.
   */
  runSlice(maxInstructions: number): number {
    let left = maxInstructions;
    while (left > 0) {
      const n = Math.min(left, EMULATE_SLICE);
      const reason = this.step(n);
      left -= n;
      if (reason !== STOP_LIMIT) return reason;
    }
    return STOP_LIMIT;
  }

  /** One EXEC (when allowed) and, unless the module handled it, `n` instructions on the Wasm core. */
  private step(n: number): number {
    const interruptPending = this.cpuU32(L.OFF_INTR_LINE) !== 0 && (this.core.exports.getEflags() & EFLAGS_IF) !== 0;
    if (!interruptPending) {
      const ret = this.exec();
      const kind = ret & RET_KIND_MASK;
      const vector = ret & RET_VECTOR_MASK;
      if (ret === RET_ABORT) throw new KqemuError(`${this.device.name}: the kqemu module aborted (KQEMU_RET_ABORT)`);
      if (ret === RET_SOFTMMU) this.counters.softmmu++;
      else if (ret === RET_SYSCALL) this.counters.syscalls++;
      else if (ret === RET_INTR) {
        // A signal: the host has something to do (input, a timer, a stop request).
        this.counters.intr++;
        return STOP_LIMIT;
      } else if (kind === RET_INT) {
        this.counters.interrupts++;
        const nextEip = Number(this.sv.getBigUint64(this.abi.cpuState.fields.next_eip, true) & LOW32);
        this.cpu.setUint32(L.OFF_EIP, nextEip, true);
        this.deliver(vector, INT_SOFTWARE, 0, false);
        return STOP_LIMIT;
      } else if (kind === RET_EXCEPTION) {
        this.counters.exceptions++;
        const code = this.sv.getUint32(this.abi.cpuState.fields.error_code, true);
        this.deliver(vector, INT_EXCEPTION, code, ERROR_CODE_VECTORS.has(vector));
        return STOP_LIMIT;
      } else {
        throw new KqemuError(`${this.device.name}: unknown KQEMU_EXEC verdict 0x${(ret >>> 0).toString(16)}`);
      }
    }
    return this.core.exports.run(n >>> 0);
  }

  private deliver(vector: number, kind: number, code: number, hasCode: boolean): void {
    const r = this.core.exports.deliverEvent(vector, kind, code, hasCode ? 1 : 0) >>> 0;
    // A fault while delivering: let the Wasm core raise it by re-delivering as an exception of its own.
    if (r !== DELIVERED) {
      const v = r >>> 16;
      this.core.exports.deliverEvent(v, INT_EXCEPTION, r & 0xffff, ERROR_CODE_VECTORS.has(v) ? 1 : 0);
    }
  }

  /** True when the CPU is in protected mode (kqemu runs nothing in real mode). */
  get protectedMode(): boolean {
    return (this.cpuU32(L.OFF_CR0) & CR0_PE) !== 0;
  }
}

const STOP_LIMIT = 1;
/** Wasm instructions between two EXECs after "emulate this" (QEMU: one translated block; here a short slice). */
const EMULATE_SLICE = 4096;
const LOW32 = 0xffffffffn;

function roundPage(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

/** The engine as a NodeMachine accelerator (tabvm run --accel kqemu), with its counters in the stats schema. */
export function kqemuAccelerator(device: KqemuDevice, core: Core): Accelerator {
  const engine = KqemuEngine.open(device, core);
  const describe: Record<keyof KqemuCounters, string> = {
    execs: 'KQEMU_EXEC calls (guest entries into the kqemu module)',
    softmmu: 'EXEC verdicts "emulate this" (KQEMU_RET_SOFTMMU): a slice ran on the Wasm core',
    interrupts: 'Software interrupts the module handed back (KQEMU_RET_INT)',
    exceptions: 'Exceptions the module handed back (KQEMU_RET_EXCEPTION)',
    intr: 'EXEC calls interrupted by a signal (KQEMU_RET_INTR)',
    syscalls: 'SYSCALL instructions handed back (KQEMU_RET_SYSCALL)',
  };
  return {
    name: device.name === 'substitute' ? 'kqemu (substitute device)' : 'kqemu',
    runSlice: (n) => engine.runSlice(n),
    counters: () =>
      (Object.keys(describe) as (keyof KqemuCounters)[]).map((k) => ({
        name: `kqemu_${k}`,
        unit: k === 'execs' ? 'calls' : 'events',
        kind: 'cumulative' as const,
        description: describe[k],
        value: engine.counters[k],
      })),
    close: () => engine.close(),
  };
}
