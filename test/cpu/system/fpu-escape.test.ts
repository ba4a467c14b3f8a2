// x87 escapes on a CPU without an FPU, and WAIT/FWAIT (SDM Vol. 2A "FWAIT";
// Vol. 3A §2.5 CR0.EM/TS/MP, Table 2-2).

import { describe, it, expect } from 'vitest';
import { flatCore, runCode, L, EXC, CODE } from './harness.js';

const CR0_MP = 2;
const CR0_EM = 4;
const CR0_TS = 8;

describe('x87 escapes without an FPU', () => {
  it('raise #NM for register and memory forms, whatever EM and TS say', async () => {
    const core = await flatCore();
    const base = core.getState(L.OFF_CR0) & ~(CR0_MP | CR0_EM | CR0_TS);
    for (const bits of [0, CR0_EM, CR0_TS, CR0_MP | CR0_TS]) {
      core.setState(L.OFF_CR0, base | bits);
      for (const code of ['d9 c0', 'db e3', 'd9 05 00 40 00 00', 'dd 1d 00 40 00 00', 'df e0']) {
        const r = runCode(core, `${code} 0f 0b`);
        expect(r.vector, `${code} with CR0 bits ${bits}`).toBe(EXC.NM);
        expect(core.getReg('eip')).toBe(CODE);
      }
    }
  });
});

describe('FWAIT', () => {
  it('is #NM with MP and TS set, a no-op otherwise', async () => {
    const core = await flatCore();
    const base = core.getState(L.OFF_CR0) & ~(CR0_MP | CR0_EM | CR0_TS);
    core.setState(L.OFF_CR0, base | CR0_MP | CR0_TS);
    expect(runCode(core, '9b 0f 0b').vector).toBe(EXC.NM);
    expect(core.getReg('eip')).toBe(CODE);
    for (const bits of [0, CR0_TS, CR0_MP, CR0_EM | CR0_TS]) {
      core.setState(L.OFF_CR0, base | bits);
      expect(runCode(core, '9b 0f 0b').vector, `CR0 bits ${bits}`).toBe(EXC.UD);
      expect(core.getReg('eip')).toBe(CODE + 1);
    }
  });
});
