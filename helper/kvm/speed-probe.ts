// The KVM speed probe (DESIGN §8): a guest counting loop in a scratch VM,
// timed against the same loop in JavaScript on the host. Where /dev/kvm is a
// software fallback (kvm_pvm, no VMX/SVM) guest code runs thousands of times
// slower than native; the helper reports the factor and recommends the Wasm
// engine. Real hardware virtualization runs the loop at about native speed.

import {
  MAP_PRIVATE,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  bufferAddress,
  closeFd,
  errnoName,
  ioctl,
  ioctlRaw,
  mmapFd,
  munmap,
  openDevice,
  startTickTimer,
  stopTickTimer,
  native,
} from '../native.js';
import { EXIT, KVM, REGS, RUN, SEGMENT, SREGS } from './abi.js';
import { KvmVm } from './vm.js';

const PROBE_RAM = 0x10000;
const EINTR = 4;
const TICK_MS = 10;
/** Above this factor KVM is not worth it: the Wasm engine's interpreter/JIT is ~10-50× native. */
export const SLOW_FACTOR = 50;
const DEFAULT_ITERATIONS = 2_000_000;
const DEFAULT_CAP_MS = 2000;

/**
 * 16-bit real-mode code at guest address 0:
 *   66 B9 nn nn nn nn   mov ecx, N
 *   66 49               dec ecx        <- 6
 *   75 FC               jnz 6
 *   F4                  hlt            (exits: no in-kernel irqchip in the probe VM)
 */
export function probeCode(iterations: number): Uint8Array {
  const n = iterations >>> 0;
  return Uint8Array.of(0x66, 0xb9, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0x66, 0x49, 0x75, 0xfc, 0xf4);
}

export interface SpeedProbeResult {
  iterations: number;
  kvmNsPerIteration: number;
  nativeNsPerIteration: number;
  /** KVM time / native time for the same loop. */
  factor: number;
  /** True when the loop hit the time cap (the factor is then a lower bound). */
  capped: boolean;
  /** One line for people. */
  summary: string;
}

/** The same loop natively (V8 compiles it to a decrement and a branch). */
function nativeNsPerIteration(iterations: number): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint();
    let c = iterations;
    while (c !== 0) c = (c - 1) | 0;
    const ns = Number(process.hrtime.bigint() - t0);
    if (c === 0) best = Math.min(best, ns / iterations);
  }
  return best;
}

export function kvmSpeedProbe(iterations = DEFAULT_ITERATIONS, capMs = DEFAULT_CAP_MS): SpeedProbeResult {
  const vm = KvmVm.create(false);
  const zero = openDevice('/dev/zero', O_RDWR);
  const ram = mmapFd(zero, PROBE_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, 'mmap probe RAM');
  closeFd(zero);
  let timer: bigint | undefined;
  try {
    new Uint8Array(ram).set(probeCode(iterations));
    vm.setRegion(0, 0, PROBE_RAM, bufferAddress(ram));
    vm.createVcpu();
    const sregs = new Uint8Array(SREGS.size);
    ioctl(vm.vcpuFd, KVM.GET_SREGS, sregs, 'KVM_GET_SREGS');
    const sv = new DataView(sregs.buffer);
    sv.setUint16(SREGS.fields.cs + SEGMENT.fields.selector, 0, true);
    sv.setBigUint64(SREGS.fields.cs + SEGMENT.fields.base, 0n, true);
    ioctl(vm.vcpuFd, KVM.SET_SREGS, sregs, 'KVM_SET_SREGS');
    const regs = new Uint8Array(REGS.size);
    const rv = new DataView(regs.buffer);
    rv.setBigUint64(REGS.fields.rip, 0n, true);
    rv.setBigUint64(REGS.fields.rflags, 2n, true);
    ioctl(vm.vcpuFd, KVM.SET_REGS, regs, 'KVM_SET_REGS');
    native().installKickHandler();
    timer = startTickTimer(TICK_MS);
    const run = new DataView(vm.runArea as ArrayBuffer);
    const t0 = process.hrtime.bigint();
    let capped = false;
    for (;;) {
      const r = ioctlRaw(vm.vcpuFd, KVM.RUN, 0);
      if (r < 0 && -r !== EINTR) throw new Error(`KVM_RUN in the speed probe: ${errnoName(r)}`);
      if (r >= 0) {
        const reason = run.getUint32(RUN.fields.exit_reason, true);
        if (reason === EXIT.HLT) break;
        throw new Error(`the speed probe's guest exited unexpectedly (exit reason ${reason})`);
      }
      if (Number(process.hrtime.bigint() - t0) / 1e6 > capMs) {
        capped = true;
        break;
      }
    }
    const ns = Number(process.hrtime.bigint() - t0);
    ioctl(vm.vcpuFd, KVM.GET_REGS, regs, 'KVM_GET_REGS');
    const left = Number(rv.getBigUint64(REGS.fields.rcx, true) & 0xffffffffn);
    const done = Math.max(1, capped ? iterations - left : iterations);
    const kvmNs = ns / done;
    const nativeNs = nativeNsPerIteration(iterations);
    const factor = kvmNs / nativeNs;
    const shown = factor >= 10 ? Math.round(factor).toString() : factor.toFixed(1);
    const summary =
      factor > SLOW_FACTOR
        ? `KVM speed probe: guest code runs ${capped ? 'at least ' : ''}${shown}× slower than native here (a software /dev/kvm?); the Wasm engine (--accel wasm) is likely faster`
        : `KVM speed probe: guest loop at ${shown}× native time`;
    return { iterations: done, kvmNsPerIteration: kvmNs, nativeNsPerIteration: nativeNs, factor, capped, summary };
  } finally {
    if (timer !== undefined) stopTickTimer(timer);
    vm.close();
    munmap(ram);
  }
}
