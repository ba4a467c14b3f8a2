// The struct layouts and ioctl numbers of helper/kvm/abi.ts and
// helper/kqemu/abi.ts against a C compiler: a program generated from the
// TypeScript tables prints sizeof/offsetof/macro values from the installed
// <linux/kvm.h> (and from the kqemu headers in fixtures/), and every number
// must agree. A wrong offset here would corrupt guest state silently.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { KVM, KVM_CONSTANT_MACROS, KVM_IOCTL_MACROS, LAYOUTS } from '../../helper/kvm/abi.js';
import { ABI_1_3, ABI_1_4, type KqemuAbi } from '../../helper/kqemu/abi.js';
import type { StructLayout } from '../../helper/ioctl-numbers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const KVM_HEADER = '/usr/include/linux/kvm.h';
const haveCc = !spawnSync('cc', ['--version'], { stdio: 'ignore' }).error;
const work = mkdtempSync(join(tmpdir(), 'tabvm-layouts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Lines "key value" for every size, offset and macro the tables name. */
function expected(layouts: StructLayout[], macros: Record<string, number>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of layouts) {
    m.set(`sizeof ${l.c}`, l.size);
    for (const [f, off] of Object.entries(l.fields)) m.set(`offsetof ${l.c} ${f}`, off);
  }
  for (const [name, v] of Object.entries(macros)) m.set(name, v >>> 0);
  return m;
}

/** Compiles and runs a C program printing the same keys from the real headers. */
function measured(include: string, layouts: StructLayout[], macros: string[]): Map<string, number> {
  const lines: string[] = [];
  for (const l of layouts) {
    lines.push(`printf("sizeof ${l.c} %lu\\n", (unsigned long)sizeof(${l.c}));`);
    for (const f of Object.keys(l.fields)) {
      lines.push(`printf("offsetof ${l.c} ${f} %lu\\n", (unsigned long)offsetof(${l.c}, ${f}));`);
    }
  }
  for (const name of macros) lines.push(`printf("${name} %lu\\n", (unsigned long)(unsigned int)(${name}));`);
  const src = `#include <stdio.h>\n#include <stddef.h>\n${include}\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`;
  const name = `probe${Math.random().toString(36).slice(2)}`;
  const c = join(work, `${name}.c`);
  const exe = join(work, name);
  writeFileSync(c, src);
  const cc = spawnSync('cc', ['-O0', '-o', exe, c], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed:\n${cc.stderr}`);
  const run = spawnSync(exe, { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const line of run.stdout.trim().split('\n')) {
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

describe.skipIf(!haveCc)('KVM struct layouts and ioctl numbers match <linux/kvm.h>', () => {
  it('every size, offset, ioctl number and constant agrees with the C compiler', () => {
    const ioctls = Object.fromEntries(Object.entries(KVM).map(([k, v]) => [KVM_IOCTL_MACROS[k as keyof typeof KVM], v]));
    const macros = { ...ioctls, ...KVM_CONSTANT_MACROS };
    const want = expected(LAYOUTS, macros);
    const got = measured(`#include <${KVM_HEADER.slice('/usr/include/'.length)}>`, LAYOUTS, Object.keys(macros));
    expect(want.size).toBeGreaterThan(100);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  });
});

function kqemuCase(abi: KqemuAbi, header: string): void {
  it(`kqemu ${abi.version.toString(16)} layouts and ioctls agree with its kqemu.h`, () => {
    const layouts = [abi.segment, abi.cpuState, abi.init, ...(abi.physMem ? [abi.physMem] : [])];
    const macros = Object.fromEntries(Object.entries(abi.ioctls).map(([k, v]) => [`KQEMU_${k}`, v as number]));
    const want = expected(layouts, macros);
    const got = measured(`#include "${join(FIXTURES, header)}"`, layouts, Object.keys(macros));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
  });
}

describe.skipIf(!haveCc)('kqemu struct layouts match the kqemu headers', () => {
  kqemuCase(ABI_1_4, 'kqemu-1.4.h');
  kqemuCase(ABI_1_3, 'kqemu-1.3.h');
});
