#!/usr/bin/env node
// Prints a guest profile (`tabvm run --profile FILE`, host/guest-profile.ts)
// as the functions where the guest spent its instructions.
//
// Usage: node bench/guest-profile.mjs PROFILE.json [--map System.map] [--slide HEX] [--top N] [--json]
//   --map FILE   symbols: a Linux System.map or `nm -n` output ("addr type name");
//                without it, samples are grouped by 4 KiB page
//   --limit HEX  addresses at or above HEX are outside the map (default: none;
//                for a kernel, user space lies below the first symbol anyway)
//   --slide HEX  add HEX to every symbol address (a KASLR-randomised kernel:
//                the running kernel's _text minus System.map's)
//   --top N      rows to print (default 20)
//   --json       print the rows as JSON instead of a table
// Columns: share of the samples, cumulative share, samples, the share of the
// function's instructions that compiled code ran (jit%), the function.
// Needs the host code built (npm run build:host).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseSymbolMap, symbolise, PROFILE_FORMAT } = await import(join(ROOT, 'dist', 'host', 'guest-profile.js'));

const DEFAULT_TOP = 20;
const PAGE_SHIFT = 12;
const PERCENT = 100;

function usage(why) {
  process.stderr.write(
    `guest-profile: ${why}\nusage: node bench/guest-profile.mjs PROFILE.json [--map System.map] [--slide HEX] [--top N] [--limit HEX] [--json]\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let file;
let mapFile;
let top = DEFAULT_TOP;
let limit = Infinity;
let json = false;
let slide = 0;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--map') mapFile = args[++i];
  else if (a === '--top') top = Number(args[++i]);
  else if (a === '--limit') limit = parseInt(args[++i], 16);
  else if (a === '--json') json = true;
  else if (a === '--slide') slide = parseInt(args[++i], 16);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (file === undefined) file = a;
  else usage(`unexpected argument ${a}`);
}
if (file === undefined) usage('no profile file');
if (!(top > 0)) usage('--top needs a positive number');

const doc = JSON.parse(readFileSync(file, 'utf8'));
if (doc.format !== PROFILE_FORMAT) usage(`${file} is not a tabvm guest profile`);

let symbols;
if (mapFile !== undefined) {
  symbols = parseSymbolMap(readFileSync(mapFile, 'utf8')).map((s) => ({ address: (s.address + slide) >>> 0, name: s.name }));
} else {
  // One pseudo-symbol per sampled 4 KiB page.
  const pages = new Set(Object.keys(doc.histogram).map((h) => parseInt(h, 16) >>> PAGE_SHIFT));
  symbols = [...pages]
    .sort((a, b) => a - b)
    .map((p) => ({ address: (p << PAGE_SHIFT) >>> 0, name: `page ${((p << PAGE_SHIFT) >>> 0).toString(16)}` }));
}
const rows = symbolise(doc, symbols, limit);
const busyS = doc.wallS - doc.haltedS;
if (json) {
  process.stdout.write(JSON.stringify({ ...doc, histogram: undefined, rows: rows.slice(0, top) }, null, 2) + '\n');
} else {
  const pct = (x) => `${(x * PERCENT).toFixed(1)}%`;
  console.log(
    `${file}: engine ${doc.engine}, ${doc.samples} samples every ${doc.interval} instructions ` +
      `(~${((doc.samples * doc.interval) / 1e9).toFixed(2)} G instructions), ${doc.dropped} dropped`,
  );
  console.log(
    `wall ${doc.wallS.toFixed(2)} s, halted ${doc.haltedS.toFixed(2)} s (${pct(doc.wallS > 0 ? doc.haltedS / doc.wallS : 0)}), ` +
      `busy ${busyS.toFixed(2)} s, CPU ${doc.cpuS.toFixed(2)} s`,
  );
  console.log('  share  cumul  samples  jit%  function');
  let cumul = 0;
  for (const r of rows.slice(0, top)) {
    cumul += r.share;
    const jit = `${Math.round(r.compiledShare * PERCENT)}`.padStart(4);
    console.log(`${pct(r.share).padStart(7)} ${pct(cumul).padStart(6)} ${String(r.samples).padStart(8)}  ${jit}  ${r.name}`);
  }
}
