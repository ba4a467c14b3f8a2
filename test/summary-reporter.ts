// Prints one plain closing line, "tests: N passed, N failed, N skipped", after
// vitest's own summary, so CI logs end with a count any tool can read. A test
// file that fails outside its tests (a setup hook, an import) counts as one
// failure, so a broken suite can never read as "skipped".
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let moduleFailedTests = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') moduleFailedTests++;
        else skipped++;
      }
      failed += moduleFailedTests;
      if (mod.state() === 'failed' && moduleFailedTests === 0) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
