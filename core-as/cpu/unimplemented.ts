// Opcodes the table names but whose handler is not written yet. They raise
// #UD, the architecturally honest answer for an instruction this CPU does not
// implement, and the generator lists them in host/generated/opcode-table.ts
// (UNIMPLEMENTED) so tests can insist the list is empty.

import { raiseUD } from './fault';
import { count, STAT_UNIMPLEMENTED_OPCODES } from '../generated/stats';

export let unimplementedCount: u32 = 0;
export let lastUnimplementedOpcode: u32 = 0;

export function unimplemented(op: u32): void {
  unimplementedCount++;
  count(STAT_UNIMPLEMENTED_OPCODES);
  lastUnimplementedOpcode = op;
  raiseUD();
}
