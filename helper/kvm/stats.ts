// KVM's binary statistics (api.rst, "KVM_GET_STATS_FD"): a header, then one
// descriptor per statistic (flags, exponent, size, offset, bucket size, name),
// then the u64 data. The fd is read with pread; descriptors never change
// while it is open, so they are parsed once and only the data is re-read.
// Each statistic becomes a counter of tabvm's schema (DESIGN §9).

import { closeSync, readSync } from 'node:fs';

import type { StatEntry } from '../../host/node-machine.js';
import {
  STATS_BASE_MASK,
  STATS_BASE_POW2,
  STATS_BASE_SHIFT,
  STATS_DESC,
  STATS_HEADER,
  STATS_TYPE_MASK,
  STATS_TYPE_NAMES,
  STATS_UNIT_MASK,
  STATS_UNIT_NAMES,
  STATS_UNIT_SHIFT,
} from './abi.js';

const U64 = 8;
const POW10 = 10;
const POW2 = 2;
const TYPE_PEAK = 2;
const TYPE_INSTANT = 1;
/** Sanity bounds on what a stats fd may declare (a corrupt header must not make us allocate gigabytes). */
const MAX_DESCRIPTORS = 4096;
const MAX_NAME = 256;

export interface KvmStatDescriptor {
  name: string;
  unit: string;
  kind: StatEntry['kind'];
  /** Histograms have size > 1 buckets; tabvm reports their sum. */
  histogram: boolean;
  /** Multiply the raw value by this (10^exponent or 2^exponent). */
  scale: number;
  offset: number;
  size: number;
}

/** Parses the header and descriptors of a stats file (bytes from offset 0 up to the data). */
export function parseStatsDescriptors(bytes: Uint8Array): { descriptors: KvmStatDescriptor[]; dataOffset: number; id: string } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < STATS_HEADER.size) throw new RangeError('KVM stats: truncated header');
  const h = STATS_HEADER.fields;
  const nameSize = dv.getUint32(h.name_size, true);
  const count = dv.getUint32(h.num_desc, true);
  const idOffset = dv.getUint32(h.id_offset, true);
  const descOffset = dv.getUint32(h.desc_offset, true);
  const dataOffset = dv.getUint32(h.data_offset, true);
  if (count > MAX_DESCRIPTORS || nameSize > MAX_NAME)
    throw new RangeError(`KVM stats: implausible header (${count} descriptors, names of ${nameSize} bytes)`);
  const descSize = STATS_DESC.size + nameSize;
  if (descOffset + count * descSize > bytes.byteLength) throw new RangeError('KVM stats: descriptors run past the data read');
  const cstr = (at: number, max: number): string => {
    let end = at;
    while (end < at + max && end < bytes.byteLength && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(at, end));
  };
  const id = idOffset + nameSize <= bytes.byteLength ? cstr(idOffset, nameSize) : '';
  const d = STATS_DESC.fields;
  const descriptors: KvmStatDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const at = descOffset + i * descSize;
    const flags = dv.getUint32(at + d.flags, true);
    const exponent = dv.getInt16(at + d.exponent, true);
    const type = flags & STATS_TYPE_MASK;
    const unitIndex = (flags >>> STATS_UNIT_SHIFT) & STATS_UNIT_MASK;
    const base = (flags >>> STATS_BASE_SHIFT) & STATS_BASE_MASK;
    descriptors.push({
      name: cstr(at + d.name, nameSize),
      unit: STATS_UNIT_NAMES[unitIndex] ?? 'events',
      kind: type === TYPE_PEAK ? 'peak' : type === TYPE_INSTANT ? 'instant' : 'cumulative',
      histogram: (STATS_TYPE_NAMES[type] ?? '').endsWith('hist'),
      scale: (base === STATS_BASE_POW2 ? POW2 : POW10) ** exponent,
      offset: dv.getUint32(at + d.offset, true),
      size: dv.getUint16(at + d.size, true),
    });
  }
  return { descriptors, dataOffset, id };
}

/** Values of every descriptor from the data block (bytes starting at data_offset). */
export function statsValues(descriptors: KvmStatDescriptor[], data: Uint8Array): number[] {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return descriptors.map((desc) => {
    let sum = 0n;
    for (let i = 0; i < Math.max(1, desc.size); i++) {
      const at = desc.offset + i * U64;
      if (at + U64 <= data.byteLength) sum += dv.getBigUint64(at, true);
    }
    return Number(sum) * desc.scale;
  });
}

/** A stats fd (VM or vCPU): descriptors read once, values on demand, as schema counters named `${prefix}${name}`. */
export class KvmStatsReader {
  private readonly descriptors: KvmStatDescriptor[];
  private readonly dataOffset: number;
  private readonly data: Uint8Array;

  constructor(
    private readonly fd: number,
    private readonly prefix: string,
    private readonly scope: string,
  ) {
    const head = new Uint8Array(STATS_HEADER.size);
    readSync(fd, head, 0, head.length, 0);
    const hv = new DataView(head.buffer);
    const dataOffset = hv.getUint32(STATS_HEADER.fields.data_offset, true);
    const all = new Uint8Array(dataOffset);
    readSync(fd, all, 0, all.length, 0);
    const parsed = parseStatsDescriptors(all);
    this.descriptors = parsed.descriptors;
    this.dataOffset = parsed.dataOffset;
    const end = this.descriptors.reduce((m, d) => Math.max(m, d.offset + Math.max(1, d.size) * U64), 0);
    this.data = new Uint8Array(end);
  }

  close(): void {
    closeSync(this.fd);
  }

  read(): StatEntry[] {
    readSync(this.fd, this.data, 0, this.data.length, this.dataOffset);
    const values = statsValues(this.descriptors, this.data);
    return this.descriptors.map((d, i) => ({
      name: `${this.prefix}${d.name}`,
      unit: d.unit,
      kind: d.kind,
      description: `KVM's own ${this.scope} statistic "${d.name}" (KVM_GET_STATS_FD${d.histogram ? ', histogram: sum of buckets' : ''})`,
      value: values[i],
    }));
  }
}
