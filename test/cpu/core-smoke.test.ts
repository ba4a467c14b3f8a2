import { describe, it, expect } from 'vitest';
import { createCore } from '../../host/core.js';

describe('core.wasm basics', () => {
  it('runs an ADD in flat 32-bit mode and computes its flags lazily', async () => {
    const core = await createCore({ memoryMiB: 4 });
    core.setupFlat32({ cpl: 0 });
    // add eax, ebx ; ud2
    core.writePhys(0x1000, Uint8Array.from([0x01, 0xd8, 0x0f, 0x0b]));
    core.setReg('eip', 0x1000);
    core.setReg('eax', 0xffffffff);
    core.setReg('ebx', 1);
    const r = core.run(10, { stopOnException: true });
    expect(r.reason).toBe('exception');
    expect(r.vector).toBe(6);
    expect(core.getReg('eip')).toBe(0x1002);
    expect(core.getReg('eax')).toBe(0);
    // CF, PF, AF, ZF set; SF, OF clear.
    expect(core.getReg('eflags') & 0x8d5).toBe(0x55);
  });
});

describe('statistics counters', () => {
  it('count retired instructions and delivered exceptions with the schema names', async () => {
    const { readStats, readStat } = await import('../../host/stats.js');
    const core = await createCore({ memoryMiB: 4 });
    core.setupFlat32({ cpl: 0 });
    core.writePhys(0x1000, Uint8Array.from([0x01, 0xd8, 0x01, 0xd8, 0x0f, 0x0b]));
    core.setReg('eip', 0x1000);
    core.run(10, { stopOnException: true });
    expect(readStat(core.memory, 'instructions')).toBe(3);
    const names = readStats(core.memory).map((s) => s.name);
    expect(names).toContain('page_faults');
    expect(names).toContain('jit_compiles');
  });
});
