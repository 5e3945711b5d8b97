import type { Reporter, TestModule } from 'vitest/node';

/** Prints the plain `N passed, N failed` closing line that CI reads, after vitest's own summary. */
export default class SummaryReporter implements Reporter {
  private line = '';

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      const tests = [...mod.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed with no failed test (it failed to load, or a beforeAll threw and its tests were skipped) must
      // still count as a failure.
      if (mod.state() === 'failed' && !tests.some((test) => test.result().state === 'failed')) failed++;
    }
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  // The default reporter prints its summary in onFinished, which runs after onTestRunEnd.
  onFinished(): void {
    if (this.line) process.stdout.write(`\n${this.line}\n`);
  }
}
