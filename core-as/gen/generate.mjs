#!/usr/bin/env node
// Generates the interpreter's decoder/dispatcher and the host's copy of the
// opcode table from core-as/cpu/opcode-table.mjs (the one source of truth).
//
//   core-as/cpu/generated/dispatch.ts   dispatch(opcode): decode operands, call the handler
//   host/generated/opcode-table.ts      the rows, typed, for the disassembler and tests
//   host/generated/unimplemented.json   rows whose handler does not exist yet (#UD at run time)
//
// Handlers are found by name among the `export function`s of core-as/cpu/ops/*.ts.

import { readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPCODES, hasModrm } from '../cpu/opcode-table.mjs';
import { STATS_SCHEMA } from '../stats-schema.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opsDir = join(root, 'core-as', 'cpu', 'ops');
const outCore = join(root, 'core-as', 'cpu', 'generated');
const outHost = join(root, 'host', 'generated');

// ---- which handlers and constants exist ----
const exportsByFile = new Map();
// Handlers marked @inline are inlined into the dispatcher; for those, rows
// with the operand size OS call them once per size, so each copy is
// specialised (constant-folded) for 16 or 32 bits.
const inlined = new Set();
for (const file of readdirSync(opsDir)
  .filter((f) => f.endsWith('.ts'))
  .sort()) {
  const text = readFileSync(join(opsDir, file), 'utf8');
  const names = new Set();
  for (const m of text.matchAll(/^(?:@inline\s+)?export\s+(?:function|const)\s+([A-Za-z_]\w*)/gm)) names.add(m[1]);
  for (const m of text.matchAll(/^@inline\s+export\s+function\s+([A-Za-z_]\w*)/gm)) inlined.add(m[1]);
  exportsByFile.set(basename(file, '.ts'), names);
}
const owner = new Map();
for (const [file, names] of exportsByFile) {
  for (const n of names) {
    if (owner.has(n)) throw new Error(`${n} is exported by both ops/${owner.get(n)}.ts and ops/${file}.ts`);
    owner.set(n, file);
  }
}

// Names the exec strings may use from the core's own modules.
const CORE_NAMES = {
  '../state': ['reg8', 'reg16', 'reg32', 'REG_ECX', 'REG_EDX', 'SEG_ES', 'SEG_CS', 'SEG_SS', 'SEG_DS', 'SEG_FS', 'SEG_GS'],
};
const coreOwner = new Map();
for (const [mod, names] of Object.entries(CORE_NAMES)) for (const n of names) coreOwner.set(n, mod);

const used = new Map(); // module -> Set(names)
const use = (mod, name) => {
  if (!used.has(mod)) used.set(mod, new Set());
  used.get(mod).add(name);
};
const unimplemented = [];

function execCall(row) {
  const code = row.exec.replace(/\bOS\b/g, 'opSize').replace(/\bAS\b/g, '(addr32 ? 32 : 16)');
  const idents = [...code.matchAll(/\b([A-Za-z_]\w*)\b/g)].map((m) => m[1]);
  const fn = idents[0];
  if (!owner.has(fn)) {
    unimplemented.push({ op: row.op, reg: row.reg, mod: row.mod, rm: row.rm, pfx: row.pfx, mn: row.mn, exec: row.exec });
    return `unimplemented(0x${row.op.toString(16)});`;
  }
  for (const id of idents) {
    if (id === 'opSize' || id === 'addr32' || id === 'imm' || id === 'imm2' || id === 'true' || id === 'false') continue;
    if (owner.has(id)) use(`../ops/${owner.get(id)}`, id);
    else if (coreOwner.has(id)) use(coreOwner.get(id), id);
    else throw new Error(`exec "${row.exec}" (op ${row.op.toString(16)}) uses unknown name ${id}`);
  }
  if (inlined.has(fn) && /\bopSize\b/.test(code)) {
    const c32 = code.replace(/\bopSize\b/g, '32');
    const c16 = code.replace(/\bopSize\b/g, '16');
    return `if (opSize == 32) ${c32}; else ${c16};`;
  }
  return `${code};`;
}

function immediateDecode(row) {
  const ops = row.ops ? row.ops.split(',') : [];
  const lines = [];
  if (row.ops === 'Iw,Ib') return ['decodeIwIb();'];
  for (const o of ops) {
    if (o === 'Ib') lines.push('decodeIb();');
    else if (o === 'Ibs') lines.push('decodeIbs();');
    else if (o === 'Iw') lines.push('decodeIw();');
    else if (o === 'Iz' || o === 'Iv') lines.push('decodeIz();');
    else if (o === 'Jb') lines.push('decodeJb();');
    else if (o === 'Jz') lines.push('decodeJz();');
    else if (o === 'Ap') lines.push('decodeAp();');
    else if (/^O[bvwd]$/.test(o)) lines.push('decodeMoffs();');
  }
  return lines;
}

/** Body for one row after ModRM (if any) is decoded. */
function rowBody(row, ind) {
  const out = [];
  if (row.mod === 'mem') out.push(`${ind}if (modIsReg) { raiseUD(); return; }`);
  if (row.mod === 'reg') out.push(`${ind}if (!modIsReg) { raiseUD(); return; }`);
  const imms = immediateDecode(row);
  for (const l of imms) out.push(`${ind}${l}`);
  if (imms.length) out.push(`${ind}if (faulted) return;`);
  if (row.lock) out.push(`${ind}if (lockPrefix && modIsReg) { raiseUD(); return; }`);
  else out.push(`${ind}if (lockPrefix) { raiseUD(); return; }`);
  out.push(`${ind}${execCall(row)}`);
  out.push(`${ind}return;`);
  return out;
}

/** Rows with a mandatory prefix first, then the plain row. */
function prefixed(rowsForKey, ind) {
  const out = [];
  const plain = rowsForKey.filter((r) => r.pfx === undefined);
  // F2/F3 select over 66 when both are present (66 is then an operand-size
  // prefix), as for SSE mandatory prefixes (SDM Vol. 2A §2.1.2): test them first.
  const rank = (r) => (r.pfx === 0x66 ? 1 : 0);
  for (const r of rowsForKey.filter((r) => r.pfx !== undefined).sort((a, b) => rank(a) - rank(b))) {
    const cond = r.pfx === 0x66 ? 'prefix66' : `repPrefix == 0x${r.pfx.toString(16)}`;
    out.push(`${ind}if (${cond}) {`);
    out.push(...rowBody(r, ind + '  '));
    out.push(`${ind}}`);
  }
  if (plain.length > 1 && plain.some((r) => r.mod === undefined)) throw new Error(`duplicate rows for ${plain[0].op.toString(16)}`);
  if (plain.length === 1 && plain[0].rm === undefined) out.push(...rowBody(plain[0], ind));
  else if (plain.length) out.push(...splitByForm(plain, ind));
  else out.push(`${ind}raiseUD();`, `${ind}return;`);
  return out;
}

/** Rows told apart by ModRM.mod (memory or register form) and, for register forms, ModRM.rm (x87). */
function splitByForm(plain, ind) {
  const mem = plain.filter((r) => r.mod === 'mem');
  const regs = plain.filter((r) => r.mod === 'reg');
  const op = plain[0].op.toString(16);
  if (mem.length > 1 || (regs.length > 1 && regs.some((r) => r.rm === undefined))) throw new Error(`duplicate rows for ${op}`);
  const out = [`${ind}if (modIsReg) {`];
  if (regs.length === 1 && regs[0].rm === undefined) out.push(...rowBody(regs[0], ind + '  '));
  else if (regs.length) {
    out.push(`${ind}  switch (modRm) {`);
    for (const r of regs) {
      out.push(`${ind}    case ${r.rm}: {`, ...rowBody(r, ind + '      '), `${ind}    }`);
    }
    out.push(`${ind}    default:`, `${ind}      raiseUD();`, `${ind}      return;`, `${ind}  }`);
  } else out.push(`${ind}  raiseUD();`, `${ind}  return;`);
  out.push(`${ind}}`);
  if (mem.length) out.push(...rowBody(mem[0], ind));
  else out.push(`${ind}raiseUD();`, `${ind}return;`);
  return out;
}

// ---- group rows by opcode ----
const byOp = new Map();
for (const row of OPCODES) {
  if (!byOp.has(row.op)) byOp.set(row.op, []);
  byOp.get(row.op).push(row);
}

function caseFor(op, list) {
  const out = [`    case 0x${(op & 0xff).toString(16)}: {`];
  const grouped = list.some((r) => r.reg !== undefined);
  if (grouped || list.some(hasModrm)) out.push('      decodeModrm();', '      if (faulted) return;');
  if (!grouped) {
    out.push(...prefixed(list, '      '));
  } else {
    out.push('      switch (modReg) {');
    for (let reg = 0; reg < 8; reg++) {
      const rs = list.filter((r) => r.reg === reg);
      if (!rs.length) continue;
      out.push(`        case ${reg}: {`);
      out.push(...prefixed(rs, '          '));
      out.push('        }');
    }
    out.push('        default:', '          raiseUD();', '          return;', '      }');
  }
  out.push('    }');
  return out;
}

function table(name, ops, decorator = '') {
  const out = [`${decorator}function ${name}(op: u32): void {`, '  switch (op) {'];
  for (const [op, list] of ops) out.push(...caseFor(op, list));
  out.push('    default:', '      raiseUD();', '  }', '}', '');
  return out;
}

const oneByte = [...byOp].filter(([op]) => op < 0x100).sort((a, b) => a[0] - b[0]);
const twoByte = [...byOp].filter(([op]) => op >= 0x0f00 && op < 0x1000).sort((a, b) => a[0] - b[0]);
const three38 = [...byOp].filter(([op]) => (op & 0xffff00) === 0x0f3800).sort((a, b) => a[0] - b[0]);
const three3a = [...byOp].filter(([op]) => (op & 0xffff00) === 0x0f3a00).sort((a, b) => a[0] - b[0]);

const body = [
  ...table('dispatchOneByte', oneByte, '@inline '),
  ...table('dispatchTwoByte', twoByte),
  ...table('dispatch0f38', three38),
  ...table('dispatch0f3a', three3a),
];

const header = [
  '// GENERATED by core-as/gen/generate.mjs from core-as/cpu/opcode-table.mjs. Do not edit.',
  '',
  "import { decodeModrm, decodeIb, decodeIbs, decodeIw, decodeIz, decodeJb, decodeJz, decodeAp, decodeIwIb, decodeMoffs, modIsReg, modReg, modRm, lockPrefix, repPrefix, prefix66, opSize, addr32, imm, imm2 } from '../decode';",
  "import { faulted, raiseUD } from '../fault';",
  "import { unimplemented } from '../unimplemented';",
];
for (const [mod, names] of [...used].sort()) header.push(`import { ${[...names].sort().join(', ')} } from '${mod}';`);
header.push(
  '',
  '/**',
  ' * Decode the operands of `op` (from readOpcode) and execute it. Inlined,',
  ' * with the one-byte dispatcher, into the interpreter loop (its one caller):',
  ' * that saves a call per instruction.',
  ' */',
  '@inline export function dispatch(op: u32): void {',
  '  if (op < 0x100) dispatchOneByte(op);',
  '  else if (op < 0x1000) dispatchTwoByte(op & 0xff);',
  '  else if ((op & 0xff00) == 0x3800) dispatch0f38(op & 0xff);',
  '  else dispatch0f3a(op & 0xff);',
  '}',
  '',
);

mkdirSync(outCore, { recursive: true });
writeFileSync(join(outCore, 'dispatch.ts'), header.concat(body).join('\n'));

mkdirSync(outHost, { recursive: true });
writeFileSync(
  join(outHost, 'opcode-table.ts'),
  [
    '// GENERATED by core-as/gen/generate.mjs from core-as/cpu/opcode-table.mjs. Do not edit.',
    "import type { OpcodeRow } from '../opcode-row.js';",
    `export const OPCODES: readonly OpcodeRow[] = ${JSON.stringify(OPCODES, null, 0)};`,
    `export const UNIMPLEMENTED: readonly OpcodeRow[] = ${JSON.stringify(OPCODES.filter((r) => unimplemented.some((u) => u.op === r.op && u.reg === r.reg && u.pfx === r.pfx && u.mod === r.mod && u.rm === r.rm)))};`,
    '',
  ].join('\n'),
);
const total = OPCODES.length;
console.log(`gen: ${total} opcode rows, ${total - unimplemented.length} with handlers, ${unimplemented.length} not yet implemented (#UD)`);

// ---- the CPU state layout, for the host ----
{
  const stateText = readFileSync(join(root, 'core-as', 'cpu', 'state.ts'), 'utf8');
  const layoutText = readFileSync(join(root, 'core-as', 'machine', 'layout.ts'), 'utf8');
  const ringsText = readFileSync(join(root, 'core-as', 'machine', 'rings.ts'), 'utf8');
  const displayText = readFileSync(join(root, 'core-as', 'devices', 'vga-display.ts'), 'utf8');
  const consts = [];
  for (const text of [layoutText, stateText, ringsText, displayText]) {
    for (const m of text.matchAll(/^export const ([A-Z][A-Z0-9_]*): u32 = ([^;]+);/gm)) {
      // Only constant expressions: numbers, operators and other UPPER_CASE constants.
      const tokens = m[2].split(/[\s()|+\-*<>]+/).filter(Boolean);
      if (tokens.every((t) => /^(0x[0-9a-f_]+|[0-9_]+|[A-Z][A-Z0-9_]*)$/i.test(t) && !/^[a-z]/.test(t))) consts.push([m[1], m[2]]);
    }
  }
  const lines = [
    '// GENERATED by core-as/gen/generate.mjs from core-as/machine/layout.ts, core-as/cpu/state.ts, core-as/machine/rings.ts and core-as/devices/vga-display.ts. Do not edit.',
  ];
  for (const [name, value] of consts)
    lines.push(`export const ${name} = ${value.replace(/\b0x[0-9a-f_]+\b/gi, (n) => n.replace(/_/g, ''))};`);
  writeFileSync(join(outHost, 'cpu-layout.ts'), lines.join('\n') + '\n');
}

// ---- the statistics schema ----
{
  const outStats = join(root, 'core-as', 'generated');
  mkdirSync(outStats, { recursive: true });
  const core = [
    '// GENERATED by core-as/gen/generate.mjs from core-as/stats-schema.mjs. Do not edit.',
    "import { STATS } from '../machine/layout';",
    '',
    ...STATS_SCHEMA.map(
      (s, i) => `/** ${s.description} (${s.unit}, ${s.kind}) */\nexport const STAT_${s.name.toUpperCase()}: u32 = STATS + ${i * 8};`,
    ),
    `export const STATS_COUNT: u32 = ${STATS_SCHEMA.length};`,
    '',
    '/** Add one to a counter. */',
    '@inline export function count(stat: u32): void {',
    '  store<u64>(stat, load<u64>(stat) + 1);',
    '}',
    '/** Add `n` to a counter. */',
    '@inline export function countBy(stat: u32, n: u64): void {',
    '  store<u64>(stat, load<u64>(stat) + n);',
    '}',
    '',
  ];
  writeFileSync(join(outStats, 'stats.ts'), core.join('\n'));
  const host = [
    '// GENERATED by core-as/gen/generate.mjs from core-as/stats-schema.mjs. Do not edit.',
    "export interface StatDescriptor { readonly name: string; readonly unit: string; readonly kind: 'cumulative' | 'instant' | 'peak'; readonly description: string; readonly offset: number }",
    `export const STATS_SCHEMA: readonly StatDescriptor[] = ${JSON.stringify(STATS_SCHEMA.map((s, i) => ({ ...s, offset: i * 8 })))};`,
    '',
  ];
  writeFileSync(join(outHost, 'stats-schema.ts'), host.join('\n'));
}
