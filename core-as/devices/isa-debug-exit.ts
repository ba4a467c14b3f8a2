// QEMU's "isa-debug-exit" device: lets a test guest end the emulator with a status.
//
// Reference: QEMU hw/misc/debugexit.c (device isa-debug-exit, properties
// iobase=0xf4, iosize=0x04, as the test harnesses configure it). Ports
// 0xf4-0xf7, write-only (reads see the open bus). No IRQ.
//
// A write of value v (any access size; the whole value, as QEMU) stops run()
// with STOP_EXIT and records v (core-as/cpu/control.ts requestExit). The core
// keeps v itself; the HOST computes the process exit status (v << 1) | 1, so
// that the status convention lives in one place (host/node-machine.ts) and an
// odd status always means "the guest exited on purpose".

import { requestExit } from '../cpu/control';

export const PORT_DEBUG_EXIT: u32 = 0xf4;
export const DEBUG_EXIT_PORT_COUNT: u32 = 4;

@inline export function isDebugExitPort(port: u32): bool {
  return port - PORT_DEBUG_EXIT < DEBUG_EXIT_PORT_COUNT;
}

export function debugExitWrite(value: u32): void {
  requestExit(value);
}
