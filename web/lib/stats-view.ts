// The statistics view: every counter of the schema (host/stats.ts, DESIGN §9)
// plus the page's own (serial bytes, disk downloads), sampled once a second,
// with the rate per second and a one-minute sparkline each, and a JSON
// download in the --stats file's shape. A machine on the local helper shows
// the counters the helper reports for it (its engine's among them).

import type { VmHandle } from './vm.js';
import { RemoteVm } from './helper-client.js';
import type { StatValue } from '../../host/stats.js';

const HISTORY = 60;
const SPARK_W = 120;
const SPARK_H = 18;

interface Row {
  tr: HTMLTableRowElement;
  value: HTMLTableCellElement;
  rate: HTMLTableCellElement;
  spark: HTMLCanvasElement;
  samples: number[];
}

export class StatsView {
  private rows = new Map<string, Row>();
  private machine: VmHandle | RemoteVm | undefined;
  private last: StatValue[] = [];

  constructor(
    private readonly table: HTMLTableElement,
    private readonly current: () => VmHandle | RemoteVm | undefined,
  ) {}

  /** The counters now: the core's and the page's. */
  async sample(vm: VmHandle): Promise<StatValue[]> {
    const s = await vm.status().catch(() => undefined);
    const host: StatValue[] = [
      {
        name: 'wall_time',
        unit: 'seconds',
        kind: 'cumulative',
        description: 'Real time the CPU ran (not counting pauses and idle waits)',
        value: s?.wallS ?? 0,
      },
      {
        name: 'resets',
        unit: 'events',
        kind: 'cumulative',
        description: 'Machine resets (guest requests, triple faults, the Reset button)',
        value: s?.resets ?? 0,
      },
      { name: 'com1_bytes_out', unit: 'bytes', kind: 'cumulative', description: 'Bytes the guest sent on COM1', value: vm.comBytesOut },
      {
        name: 'com1_bytes_in',
        unit: 'bytes',
        kind: 'cumulative',
        description: 'Bytes delivered to the guest on COM1',
        value: vm.comBytesIn,
      },
      {
        name: 'disk_bytes_downloaded',
        unit: 'bytes',
        kind: 'cumulative',
        description: 'Bytes of remote disk images fetched by range requests',
        value: s?.diskBytesFetched ?? 0,
      },
      {
        name: 'overlay_blocks',
        unit: 'blocks',
        kind: 'instant',
        description: 'Disk blocks (4 KiB) the guest changed, kept in browser storage',
        value: s?.overlayBlocks ?? 0,
      },
    ];
    return [...vm.stats(), ...host];
  }

  async update(): Promise<void> {
    const vm = this.current();
    if (vm !== this.machine) {
      this.machine = vm;
      this.rows.clear();
      this.table.tBodies[0].replaceChildren();
    }
    if (!vm) return;
    let values: StatValue[];
    if (vm instanceof RemoteVm) {
      if (vm.state === 'created') return;
      values = await vm.stats().catch(() => []);
    } else {
      if (!vm.memory) return;
      values = await this.sample(vm);
    }
    // The machine changed while the counters were on their way.
    if (vm !== this.machine) return;
    this.last = values;
    for (const v of values) {
      let row = this.rows.get(v.name);
      if (!row) row = this.addRow(v);
      row.samples.push(v.value);
      if (row.samples.length > HISTORY + 1) row.samples.shift();
      row.value.textContent = formatValue(v.value);
      const n = row.samples.length;
      const rate = v.kind === 'cumulative' && n >= 2 ? row.samples[n - 1] - row.samples[n - 2] : undefined;
      row.rate.textContent = rate === undefined ? '' : formatValue(rate);
      this.drawSpark(row, v.kind === 'cumulative');
    }
  }

  private addRow(v: StatValue): Row {
    const tr = document.createElement('tr');
    tr.dataset.counter = v.name;
    const name = document.createElement('td');
    name.textContent = v.name;
    name.title = v.description;
    const value = document.createElement('td');
    value.className = 'value';
    const rate = document.createElement('td');
    rate.className = 'value rate';
    const sparkCell = document.createElement('td');
    const spark = document.createElement('canvas');
    spark.width = SPARK_W;
    spark.height = SPARK_H;
    sparkCell.append(spark);
    const unit = document.createElement('td');
    unit.textContent = v.unit;
    tr.append(name, value, rate, sparkCell, unit);
    this.table.tBodies[0].append(tr);
    const row = { tr, value, rate, spark, samples: [] };
    this.rows.set(v.name, row);
    return row;
  }

  /** Cumulative counters plot their rate, the others their value. */
  private drawSpark(row: Row, cumulative: boolean): void {
    const s = row.samples;
    const points = cumulative ? s.slice(1).map((v, i) => v - s[i]) : s.slice(-HISTORY);
    const ctx = row.spark.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, SPARK_W, SPARK_H);
    if (points.length < 2) return;
    const max = Math.max(...points, 1e-9);
    ctx.strokeStyle = '#4a90d9';
    ctx.beginPath();
    points.forEach((p, i) => {
      const x = (i / (HISTORY - 1)) * (SPARK_W - 1);
      const y = SPARK_H - 1 - (p / max) * (SPARK_H - 2);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }

  download(): void {
    const vm = this.current();
    const doc =
      vm instanceof RemoteVm
        ? { machine: vm.info.name, accel: vm.info.engine, helper: vm.connection.label, state: vm.state, counters: this.last }
        : { machine: vm?.config.name, engine: vm?.engine ?? vm?.config.engine, accel: 'wasm', state: vm?.state, counters: this.last };
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' }));
    a.download = 'tabvm-stats.json';
    a.click();
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
}
