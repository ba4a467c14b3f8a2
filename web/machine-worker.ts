// The machine's thread: core.wasm runs here, in slices, so the page stays
// responsive. The page talks to it through comlink for control only; serial
// bytes and counters it reads straight from the shared memory.

import * as Comlink from 'comlink';
import { Core, type StopReason } from '../host/core.js';
import { loadMultiboot } from '../host/multiboot.js';

/** Instructions per slice: small enough to answer pause within milliseconds. */
const SLICE = 2_000_000;

export interface BootRequest {
  coreUrl: string;
  kernelUrl: string;
  kernelName: string;
  memoryMiB: number;
}

export type MachineState = 'running' | 'paused' | 'halted' | 'stopped';

class MachineWorker {
  private core: Core | undefined;
  private running = false;
  private state: MachineState = 'stopped';
  private lastReason: StopReason | undefined;

  async boot(req: BootRequest): Promise<WebAssembly.Memory> {
    const [module, kernel] = await Promise.all([
      WebAssembly.compileStreaming(fetch(req.coreUrl)),
      fetch(req.kernelUrl).then(async (r) => {
        if (!r.ok) throw new Error(`could not load the kernel ${req.kernelName}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      }),
    ]);
    const core = new Core(module, req.memoryMiB);
    core.exports.resetDevices();
    loadMultiboot(core, { name: req.kernelName, data: kernel });
    this.core = core;
    this.resume();
    return core.memory;
  }

  resume(): void {
    if (!this.core || this.running) return;
    this.running = true;
    this.state = 'running';
    this.loop();
  }

  pause(): void {
    this.running = false;
    if (this.state === 'running') this.state = 'paused';
  }

  status(): { state: MachineState; reason?: StopReason } {
    return { state: this.state, reason: this.lastReason };
  }

  private loop(): void {
    const core = this.core;
    if (!core || !this.running) return;
    core.exports.serviceDevices();
    const r = core.run(SLICE);
    this.lastReason = r.reason;
    core.exports.serviceDevices();
    if (r.reason === 'exit' || r.reason === 'reset') {
      this.running = false;
      this.state = 'stopped';
      return;
    }
    // A halted CPU waits for input or a timer: poll gently.
    const delay = r.reason === 'idle' ? 10 : 0;
    if (r.reason === 'idle') this.state = 'halted';
    else this.state = 'running';
    setTimeout(() => this.loop(), delay);
  }
}

Comlink.expose(new MachineWorker());
export type { MachineWorker };
