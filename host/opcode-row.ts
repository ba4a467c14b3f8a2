/** One row of the opcode table (core-as/cpu/opcode-table.mjs documents the fields). */
export interface OpcodeRow {
  readonly op: number;
  readonly reg?: number;
  readonly mod?: 'mem' | 'reg';
  readonly rm?: number;
  readonly pfx?: number;
  readonly mn: string;
  readonly mn16?: string;
  readonly mn32?: string;
  readonly ops: string;
  readonly exec: string;
  readonly lock?: boolean;
  readonly f?: string;
  readonly u?: string;
  readonly r?: string;
  readonly user: boolean;
  readonly cf?: string;
  readonly cpu?: string;
}
