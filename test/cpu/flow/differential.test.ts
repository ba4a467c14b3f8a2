// The flow family against a 32-bit x86 reference: PUSH/POP/PUSHA/POPA/
// PUSHF/POPF/ENTER/LEAVE, Jcc/JMP/CALL/RET/LOOP/JCXZ and the string
// instructions with REP and DF, including faults part-way through REP loops.
// See reference.ts for how the reference runs (or why the tests skip).

import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../host/core.js';
import { buildReference, compareOutcomes, runTabvm, setupHarnessSpace, type FlowCase, type Outcome, type Reference } from './reference.js';
import { CONTROL_CASES, STACK_CASES, STRING_CASES } from './cases.js';

const reference = buildReference();
const skipReason = typeof reference === 'string' ? reference : undefined;
// CI installs gcc-multilib and qemu-user-static (.ci/run): there a missing
// reference is a broken setup, not a reason to skip.
if (skipReason && process.env.CI) throw new Error(`test/cpu/flow: no 32-bit reference in CI: ${skipReason}`);
if (skipReason) console.warn(`test/cpu/flow: skipping differential tests: ${skipReason}`);

const GROUPS: [string, FlowCase[]][] = [
  ['stack', STACK_CASES],
  ['near control transfers', CONTROL_CASES],
  ['string instructions', STRING_CASES],
];

describe.skipIf(skipReason !== undefined)('flow family vs the 32-bit reference', () => {
  const expected = new Map<FlowCase, Outcome>();
  let core: Core;

  beforeAll(async () => {
    const ref = reference as Reference;
    const all = GROUPS.flatMap(([, cases]) => cases);
    const outcomes = ref.run(all);
    all.forEach((c, i) => expected.set(c, outcomes[i]));
    core = await createCore({ memoryMiB: 8 });
  });

  for (const [group, cases] of GROUPS) {
    describe(group, () => {
      for (const c of cases) {
        it(c.label, () => {
          setupHarnessSpace(core);
          const got = runTabvm(core, c);
          const diffs = compareOutcomes(c, expected.get(c) as Outcome, got);
          expect(diffs.join('\n')).toBe('');
        });
      }
    });
  }
});
