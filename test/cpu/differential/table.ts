// Loads the project's opcode table (core-as/cpu/opcode-table.mjs).  Until the
// lead commits it, a fixture with the integer user-mode rows stands in so
// the generator and comparator can be tested; the fixture is also what the
// unit tests of this directory run against, so they do not change when the
// real table grows.

import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpcodeRow } from './x86';

export const TABLE_PATH = fileURLToPath(new URL('../../../core-as/cpu/opcode-table.mjs', import.meta.url));

export interface LoadedTable {
  rows: OpcodeRow[];
  source: 'project' | 'fixture';
}

export async function loadOpcodeTable(): Promise<LoadedTable> {
  if (existsSync(TABLE_PATH)) {
    const mod = (await import(pathToFileURL(TABLE_PATH).href)) as { OPCODES: RawRow[] };
    return { rows: mod.OPCODES.map(normalizeRow), source: 'project' };
  }
  return { rows: FIXTURE_OPCODES, source: 'fixture' };
}

/** The table as written: flags as flat f/u/r (or nested), user defaulted. */
type RawRow = Omit<OpcodeRow, 'flags' | 'user'> & {
  flags?: OpcodeRow['flags'];
  f?: string;
  u?: string;
  r?: string;
  user?: boolean;
};

export function normalizeRow(raw: RawRow): OpcodeRow {
  const flags = raw.flags ?? { w: raw.f ?? '', u: raw.u ?? '', r: raw.r ?? '' };
  return { ...raw, flags, user: raw.user ?? raw.cf === undefined };
}

const ALL = 'oszapc';

function row(op: number, mn: string, ops: string, extra: Partial<OpcodeRow> = {}): OpcodeRow {
  return { op, mn, ops, flags: { w: '', u: '', r: '' }, user: true, ...extra };
}

function fl(w: string, u = '', r = ''): { flags: OpcodeRow['flags'] } {
  return { flags: { w, u, r } };
}

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const CC_READS = ['o', 'o', 'c', 'c', 'z', 'z', 'zc', 'zc', 's', 's', 'p', 'p', 'so', 'so', 'zso', 'zso'];
const REGS_V = ['eAX', 'eCX', 'eDX', 'eBX', 'eSP', 'eBP', 'eSI', 'eDI'];
const REGS_B = ['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'];

function buildFixture(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  const alu = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
  alu.forEach((mn, i) => {
    const logic = mn === 'and' || mn === 'or' || mn === 'xor';
    const f = fl(ALL, logic ? 'a' : '', mn === 'adc' || mn === 'sbb' ? 'c' : '');
    const lock = mn !== 'cmp';
    const forms = ['Eb,Gb', 'Ev,Gv', 'Gb,Eb', 'Gv,Ev', 'AL,Ib', 'eAX,Iz'];
    forms.forEach((ops, j) => rows.push(row(i * 8 + j, mn, ops, { ...f, lock: lock && j < 2 })));
    rows.push(row(0x80, mn, 'Eb,Ib', { ...f, reg: i, lock }));
    rows.push(row(0x81, mn, 'Ev,Iz', { ...f, reg: i, lock }));
    rows.push(row(0x82, mn, 'Eb,Ib', { ...f, reg: i, lock }));
    rows.push(row(0x83, mn, 'Ev,Ibs', { ...f, reg: i, lock }));
  });
  rows.push(row(0x06, 'push', 'ES', { user: false }));
  rows.push(row(0x27, 'daa', '', fl('szapc', 'o', 'ac')));
  rows.push(row(0x2f, 'das', '', fl('szapc', 'o', 'ac')));
  rows.push(row(0x37, 'aaa', '', fl('ac', 'oszp', 'a')));
  rows.push(row(0x3f, 'aas', '', fl('ac', 'oszp', 'a')));
  REGS_V.forEach((r, i) => {
    rows.push(row(0x40 + i, 'inc', r, fl('oszap')));
    rows.push(row(0x48 + i, 'dec', r, fl('oszap')));
    rows.push(row(0x50 + i, 'push', r));
    rows.push(row(0x58 + i, 'pop', r));
    if (i > 0) rows.push(row(0x90 + i, 'xchg', `${r},eAX`));
    rows.push(row(0xb8 + i, 'mov', `${r},Iv`));
    rows.push(row(0x0fc8 + i, 'bswap', r));
  });
  REGS_B.forEach((r, i) => rows.push(row(0xb0 + i, 'mov', `${r},Ib`)));
  rows.push(row(0x60, 'pusha', ''));
  rows.push(row(0x61, 'popa', ''));
  rows.push(row(0x62, 'bound', 'Gv,Ma', { mod: 'mem' }));
  rows.push(row(0x63, 'arpl', 'Ew,Gw', { user: false }));
  rows.push(row(0x68, 'push', 'Iz'));
  rows.push(row(0x69, 'imul', 'Gv,Ev,Iz', fl(ALL, 'szap')));
  rows.push(row(0x6a, 'push', 'Ibs'));
  rows.push(row(0x6b, 'imul', 'Gv,Ev,Ibs', fl(ALL, 'szap')));
  rows.push(row(0x6c, 'insb', 'Yb,DX', { user: false }));
  CC.forEach((cc, i) => {
    rows.push(row(0x70 + i, 'j' + cc, 'Jb', { ...fl('', '', CC_READS[i]), user: false, cf: 'jcc' }));
    rows.push(row(0x0f80 + i, 'j' + cc, 'Jz', { ...fl('', '', CC_READS[i]), user: false, cf: 'jcc' }));
    rows.push(row(0x0f40 + i, 'cmov' + cc, 'Gv,Ev', fl('', '', CC_READS[i])));
    rows.push(row(0x0f90 + i, 'set' + cc, 'Eb', fl('', '', CC_READS[i])));
  });
  rows.push(row(0x84, 'test', 'Eb,Gb', fl(ALL, 'a')));
  rows.push(row(0x85, 'test', 'Ev,Gv', fl(ALL, 'a')));
  rows.push(row(0x86, 'xchg', 'Eb,Gb', { lock: true }));
  rows.push(row(0x87, 'xchg', 'Ev,Gv', { lock: true }));
  rows.push(row(0x88, 'mov', 'Eb,Gb'));
  rows.push(row(0x89, 'mov', 'Ev,Gv'));
  rows.push(row(0x8a, 'mov', 'Gb,Eb'));
  rows.push(row(0x8b, 'mov', 'Gv,Ev'));
  rows.push(row(0x8c, 'mov', 'Ev,Sw', { user: false }));
  rows.push(row(0x8d, 'lea', 'Gv,M', { mod: 'mem' }));
  rows.push(row(0x8f, 'pop', 'Ev', { reg: 0 }));
  rows.push(row(0x90, 'nop', ''));
  rows.push(row(0x90, 'pause', '', { pfx: 0xf3 }));
  rows.push(row(0x98, 'cwde', ''));
  rows.push(row(0x99, 'cdq', ''));
  rows.push(row(0x9a, 'callf', 'Ap', { user: false, cf: 'far' }));
  rows.push(row(0x9c, 'pushf', '', fl('', '', 'oszapcd')));
  rows.push(row(0x9d, 'popf', '', fl('oszapcd')));
  rows.push(row(0x9e, 'sahf', '', fl('szapc')));
  rows.push(row(0x9f, 'lahf', '', fl('', '', 'szapc')));
  rows.push(row(0xa0, 'mov', 'AL,Ob'));
  rows.push(row(0xa1, 'mov', 'eAX,Ov'));
  rows.push(row(0xa2, 'mov', 'Ob,AL'));
  rows.push(row(0xa3, 'mov', 'Ov,eAX'));
  rows.push(row(0xa4, 'movsb', 'Yb,Xb', fl('', '', 'd')));
  rows.push(row(0xa5, 'movs', 'Yv,Xv', fl('', '', 'd')));
  rows.push(row(0xa6, 'cmpsb', 'Xb,Yb', fl(ALL, '', 'd')));
  rows.push(row(0xa7, 'cmps', 'Xv,Yv', fl(ALL, '', 'd')));
  rows.push(row(0xa8, 'test', 'AL,Ib', fl(ALL, 'a')));
  rows.push(row(0xa9, 'test', 'eAX,Iz', fl(ALL, 'a')));
  rows.push(row(0xaa, 'stosb', 'Yb,AL', fl('', '', 'd')));
  rows.push(row(0xab, 'stos', 'Yv,eAX', fl('', '', 'd')));
  rows.push(row(0xac, 'lodsb', 'AL,Xb', fl('', '', 'd')));
  rows.push(row(0xad, 'lods', 'eAX,Xv', fl('', '', 'd')));
  rows.push(row(0xae, 'scasb', 'AL,Yb', fl(ALL, '', 'd')));
  rows.push(row(0xaf, 'scas', 'eAX,Yv', fl(ALL, '', 'd')));
  const shifts = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
  shifts.forEach((mn, i) => {
    const rot = i < 4;
    const f = rot ? fl('oc', '', i >= 2 ? 'c' : '') : fl(ALL, 'a');
    const note = { uNote: 'OF undefined when count != 1; no flags change when count == 0' };
    const forms: [number, string][] = [
      [0xc0, 'Eb,Ib'],
      [0xc1, 'Ev,Ib'],
      [0xd0, 'Eb,1'],
      [0xd1, 'Ev,1'],
      [0xd2, 'Eb,CL'],
      [0xd3, 'Ev,CL'],
    ];
    for (const [op, ops] of forms) rows.push(row(op, mn, ops, { reg: i, flags: { ...f.flags, ...note } }));
  });
  rows.push(row(0xc3, 'ret', '', { user: false, cf: 'ret' }));
  rows.push(row(0xc6, 'mov', 'Eb,Ib', { reg: 0 }));
  rows.push(row(0xc7, 'mov', 'Ev,Iz', { reg: 0 }));
  rows.push(row(0xc8, 'enter', 'Iw,Ib'));
  rows.push(row(0xc9, 'leave', ''));
  rows.push(row(0xcc, 'int3', '', { user: false, cf: 'int' }));
  rows.push(row(0xce, 'into', '', { ...fl('', '', 'o'), user: false, cf: 'int' }));
  rows.push(row(0xd4, 'aam', 'Ib', fl('szp', 'oac')));
  rows.push(row(0xd5, 'aad', 'Ib', fl('szp', 'oac')));
  rows.push(row(0xd7, 'xlat', ''));
  rows.push(row(0xe0, 'loopne', 'Jb', { ...fl('', '', 'z'), user: false, cf: 'loop' }));
  rows.push(row(0xe1, 'loope', 'Jb', { ...fl('', '', 'z'), user: false, cf: 'loop' }));
  rows.push(row(0xe2, 'loop', 'Jb', { user: false, cf: 'loop' }));
  rows.push(row(0xe3, 'jecxz', 'Jb', { user: false, cf: 'jcc' }));
  rows.push(row(0xe8, 'call', 'Jz', { user: false, cf: 'call' }));
  rows.push(row(0xe9, 'jmp', 'Jz', { user: false, cf: 'jmp' }));
  rows.push(row(0xeb, 'jmp', 'Jb', { user: false, cf: 'jmp' }));
  rows.push(row(0xf4, 'hlt', '', { user: false }));
  rows.push(row(0xf5, 'cmc', '', fl('c', '', 'c')));
  const grp3: [string, string, Partial<OpcodeRow>][] = [
    ['test', 'I', fl(ALL, 'a')],
    ['test', 'I', fl(ALL, 'a')],
    ['not', '', { lock: true }],
    ['neg', '', { ...fl(ALL), lock: true }],
    ['mul', '', fl(ALL, 'szap')],
    ['imul', '', fl(ALL, 'szap')],
    ['div', '', fl(ALL, ALL)],
    ['idiv', '', fl(ALL, ALL)],
  ];
  grp3.forEach(([mn, imm, extra], i) => {
    rows.push(row(0xf6, mn, imm ? 'Eb,Ib' : 'Eb', { ...extra, reg: i }));
    rows.push(row(0xf7, mn, imm ? 'Ev,Iz' : 'Ev', { ...extra, reg: i }));
  });
  rows.push(row(0xf8, 'clc', '', fl('c')));
  rows.push(row(0xf9, 'stc', '', fl('c')));
  rows.push(row(0xfa, 'cli', '', { user: false }));
  rows.push(row(0xfc, 'cld', '', fl('d')));
  rows.push(row(0xfd, 'std', '', fl('d')));
  rows.push(row(0xfe, 'inc', 'Eb', { ...fl('oszap'), reg: 0, lock: true }));
  rows.push(row(0xfe, 'dec', 'Eb', { ...fl('oszap'), reg: 1, lock: true }));
  rows.push(row(0xff, 'inc', 'Ev', { ...fl('oszap'), reg: 0, lock: true }));
  rows.push(row(0xff, 'dec', 'Ev', { ...fl('oszap'), reg: 1, lock: true }));
  rows.push(row(0xff, 'call', 'Ev', { reg: 2, user: false, cf: 'call' }));
  rows.push(row(0xff, 'jmp', 'Ev', { reg: 4, user: false, cf: 'jmp' }));
  rows.push(row(0xff, 'push', 'Ev', { reg: 6 }));

  rows.push(row(0x0f0b, 'ud2', ''));
  for (let reg = 0; reg < 8; reg++) rows.push(row(0x0f1f, 'nop', 'Ev', { reg }));
  // Reserved hint NOPs (SDM Table A-3), ENDBR32's encoding among them.
  for (const op of [0x0f19, 0x0f1a, 0x0f1b, 0x0f1c, 0x0f1d, 0x0f1e]) rows.push(row(op, 'nop', 'Ev'));
  rows.push(row(0x0fa2, 'cpuid', '', { user: false }));
  rows.push(row(0x0fa3, 'bt', 'Ev,Gv', fl('c', 'oszap')));
  rows.push(row(0x0fa4, 'shld', 'Ev,Gv,Ib', fl(ALL, 'a')));
  rows.push(row(0x0fa5, 'shld', 'Ev,Gv,CL', fl(ALL, 'a')));
  rows.push(row(0x0fab, 'bts', 'Ev,Gv', { ...fl('c', 'oszap'), lock: true }));
  rows.push(row(0x0fac, 'shrd', 'Ev,Gv,Ib', fl(ALL, 'a')));
  rows.push(row(0x0fad, 'shrd', 'Ev,Gv,CL', fl(ALL, 'a')));
  rows.push(row(0x0faf, 'imul', 'Gv,Ev', fl(ALL, 'szap')));
  rows.push(row(0x0fb0, 'cmpxchg', 'Eb,Gb', { ...fl(ALL), lock: true }));
  rows.push(row(0x0fb1, 'cmpxchg', 'Ev,Gv', { ...fl(ALL), lock: true }));
  rows.push(row(0x0fb3, 'btr', 'Ev,Gv', { ...fl('c', 'oszap'), lock: true }));
  rows.push(row(0x0fb6, 'movzx', 'Gv,Eb'));
  rows.push(row(0x0fb7, 'movzx', 'Gv,Ew'));
  rows.push(row(0x0fb8, 'popcnt', 'Gv,Ev', { ...fl(ALL), pfx: 0xf3 }));
  ['bt', 'bts', 'btr', 'btc'].forEach((mn, i) =>
    rows.push(row(0x0fba, mn, 'Ev,Ib', { ...fl('c', 'oszap'), reg: 4 + i, lock: mn !== 'bt' })),
  );
  rows.push(row(0x0fbb, 'btc', 'Ev,Gv', { ...fl('c', 'oszap'), lock: true }));
  rows.push(row(0x0fbc, 'bsf', 'Gv,Ev', fl(ALL, 'osapc')));
  rows.push(row(0x0fbd, 'bsr', 'Gv,Ev', fl(ALL, 'osapc')));
  rows.push(row(0x0fbe, 'movsx', 'Gv,Eb'));
  rows.push(row(0x0fbf, 'movsx', 'Gv,Ew'));
  rows.push(row(0x0fc0, 'xadd', 'Eb,Gb', { ...fl(ALL), lock: true }));
  rows.push(row(0x0fc1, 'xadd', 'Ev,Gv', { ...fl(ALL), lock: true }));
  rows.push(row(0x0fc7, 'cmpxchg8b', 'Mq', { ...fl('z'), reg: 1, mod: 'mem', lock: true }));
  return rows;
}

export const FIXTURE_OPCODES: OpcodeRow[] = buildFixture();
