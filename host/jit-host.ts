// The JIT's host half (DESIGN §5): core.wasm writes a finished module's bytes
// into the shared memory and calls the imported env.jitCompile(ptr, len,
// slot); this compiles and instantiates it synchronously, with the shared
// memory and the core's JIT helpers (core-as/jit/runtime.ts) as imports, and
// puts its function in the core's exported table at `slot`, where the core
// calls it with call_indirect. Shared by Node and the browser worker: no
// node: imports here.

import * as L from './generated/cpu-layout.js';
import { STATS_SCHEMA } from './generated/stats-schema.js';

/** The core's exports a JIT module needs (core-as/index.ts). */
interface JitCoreExports {
  table: WebAssembly.Table;
  jitRead: (...args: number[]) => number;
  jitWrite: (...args: number[]) => number;
  jitCondition: (cc: number) => number;
  jitCarry: () => number;
  jitSetCfOf: (cfOf: number) => number;
  interpretOne: (eip: number) => number;
}

const NS_PER_MS = 1e6;
const COMPILE_TIME_OFFSET = STATS_SCHEMA.find((s) => s.name === 'jit_compile_time')?.offset ?? -1;

export class JitHost {
  private memory: WebAssembly.Memory | undefined;
  private core: JitCoreExports | undefined;
  private imports: WebAssembly.ModuleImports = {};
  /** First table index kept for compiled blocks (the core's own entries come before). */
  tableBase = 0;
  /** Milliseconds spent compiling and instantiating modules. */
  compileMs = 0;
  modules = 0;
  /** When set, every compiled module's bytes are appended (golden tests). */
  capture: Uint8Array[] | undefined;

  /** The import core.wasm expects as env.jitCompile. */
  readonly jitCompile = (ptr: number, len: number, slot: number): number => {
    const memory = this.memory;
    if (!memory) return 0;
    const t0 = performance.now();
    try {
      // A copy: the module bytes are in the shared memory, which WebAssembly.Module refuses to read in place.
      const bytes = new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0).slice();
      this.capture?.push(bytes);
      const module = new WebAssembly.Module(bytes);
      const instance = new WebAssembly.Instance(module, { env: this.imports });
      const table = this.core!.table;
      if (slot >= table.length) table.grow(slot + 1 - table.length + 256);
      table.set(slot, instance.exports.f as WebAssembly.ExportValue as never);
      this.modules++;
      return 1;
    } catch {
      return 0;
    } finally {
      const dt = performance.now() - t0;
      this.compileMs += dt;
      if (COMPILE_TIME_OFFSET >= 0) {
        const view = new DataView(memory.buffer);
        const at = L.STATS + COMPILE_TIME_OFFSET;
        view.setBigUint64(at, view.getBigUint64(at, true) + BigInt(Math.round(dt * NS_PER_MS)), true);
      }
    }
  };

  /** Connect to the instantiated core; returns the first table index for JIT code. */
  attach(memory: WebAssembly.Memory, exports: WebAssembly.Exports): number {
    this.memory = memory;
    this.core = exports as unknown as JitCoreExports;
    const c = this.core;
    this.imports = {
      mem: memory,
      rd: c.jitRead,
      wr: c.jitWrite,
      cc: c.jitCondition,
      cf: c.jitCarry,
      in: c.interpretOne,
      sc: c.jitSetCfOf,
    } as WebAssembly.ModuleImports;
    this.tableBase = c.table.length;
    return this.tableBase;
  }
}
