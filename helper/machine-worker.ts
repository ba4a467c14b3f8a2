// A machine in its own worker_threads worker (DESIGN §8): `tabvm run --accel
// kvm|kqemu` runs the NodeMachine here, so KVM_RUN (or KQEMU_EXEC) blocks this
// thread and never the main one, and the device models run on the same
// thread as the vCPU. The main thread keeps the terminal: it pipes its stdin
// into the worker's and receives the worker's stdout/stderr (Node forwards
// them), then the outcome as a message.

import { parentPort, workerData } from 'node:worker_threads';

import { NodeMachine, type NodeMachineOptions, type MachineOutcome } from '../host/node-machine.js';
import { RealKqemuDevice, SubstituteKqemuDevice } from './kqemu/device.js';
import { kqemuAccelerator } from './kqemu/engine.js';
import { kvmAccelerator } from './kvm/engine.js';

/** What the main thread sends: the options NodeMachine takes, minus streams and functions. */
export type WorkerMachineOptions = Omit<NodeMachineOptions, 'stdin' | 'stdout' | 'stderr' | 'accelerator'>;

export interface WorkerInput {
  options: WorkerMachineOptions;
  accel: 'kvm' | 'kqemu';
  /** A helper machine (helper/machine-backend.ts WorkerBackend) rather than tabvm run's terminal. */
  helper?: boolean;
}

export type WorkerResult = { outcome: MachineOutcome } | { error: string; usage: boolean };

export function acceleratorByName(accel: 'kvm' | 'kqemu'): NodeMachineOptions['accelerator'] {
  if (accel === 'kvm') return (core) => kvmAccelerator(core);
  if (process.env.TABVM_KQEMU_DEVICE === 'substitute') return (core) => kqemuAccelerator(new SubstituteKqemuDevice(), core);
  return (core) => kqemuAccelerator(RealKqemuDevice.open(), core);
}

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  if (input.helper) {
    const { serveMachineInWorker } = await import('./machine-backend.js');
    await serveMachineInWorker(parentPort!, input.options, acceleratorByName(input.accel));
    return;
  }
  let result: WorkerResult;
  try {
    const machine = await NodeMachine.create({
      ...input.options,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      accelerator: acceleratorByName(input.accel),
    });
    const outcome = await machine.run();
    // Let the forwarded stdout reach the main thread before the outcome does.
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    result = { outcome };
  } catch (err) {
    const e = err as Error;
    // Device and system-call failures (NativeError, KvmError, KqemuError) are the user's to read, in one line.
    const usage = ['NativeError', 'KvmError', 'KqemuError', 'MultibootError', 'LinuxBootError'].includes(e?.name);
    result = { error: usage ? e.message : (e?.stack ?? String(err)), usage };
  }
  parentPort?.postMessage(result);
}

if (parentPort) void main();
