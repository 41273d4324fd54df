import { FAILED_TESTS_MAX, statusOf, summarize } from './build.summary';
import type { CoverageCounts } from './coverage-report';
import type { TestReport } from './test-report';

const report = (overrides: Partial<TestReport> = {}): TestReport => ({ total: 3, passed: 3, failed: 0, skipped: 0, failures: [], ...overrides });
const failing = (n: number, prefix = 't'): TestReport =>
  report({ total: n, passed: 0, failed: n, failures: Array.from({ length: n }, (_, i) => ({ suite: 's', name: `${prefix}${i}` })) });

describe('build status', () => {
  it('given a canceled run, then Canceled whatever the tests say', () => {
    expect(statusOf('Canceled', { failed: 0 })).toBe('Canceled');
    expect(statusOf('Canceled', { failed: 2 })).toBe('Canceled');
  });

  it('given a failed run, then Failed', () => {
    expect(statusOf('Failed', { failed: 0 })).toBe('Failed');
  });

  it('given a succeeded run with a failing test, then Failed', () => {
    expect(statusOf('Succeeded', { failed: 1 })).toBe('Failed');
  });

  it('given a succeeded run with no failing test, then Succeeded', () => {
    expect(statusOf('Succeeded', { failed: 0 })).toBe('Succeeded');
  });
});

describe('build summary', () => {
  it('adds up the test reports, keeps the first 50 failures and the durations reported', () => {
    const summary = summarize('Succeeded', [report({ durationMs: 100 }), failing(40, 'a'), failing(30, 'b')], []);
    expect(summary.status).toBe('Failed');
    expect(summary.tests).toEqual({ total: 73, passed: 3, failed: 70, skipped: 0, durationMs: 100 });
    expect(summary.failedTests).toHaveLength(FAILED_TESTS_MAX);
    expect(summary.failedTests[0]).toEqual({ suite: 's', name: 'a0' });
    expect(summary.failedTests.at(-1)).toEqual({ suite: 's', name: 'b9' });
  });

  it('has zero tests, no duration and null coverage when the run reported nothing', () => {
    expect(summarize('Succeeded', [], [])).toEqual({ status: 'Succeeded', tests: { total: 0, passed: 0, failed: 0, skipped: 0 }, coverage: null, failedTests: [] });
  });

  it('turns merged coverage counts into percentages', () => {
    const a: CoverageCounts = { lines: { covered: 1, total: 10 }, branches: { covered: 0, total: 0 }, functions: { covered: 1, total: 1 } };
    const b: CoverageCounts = { lines: { covered: 89, total: 90 }, branches: { covered: 1, total: 4 }, functions: { covered: 0, total: 1 } };
    expect(summarize('Succeeded', [], [a, b]).coverage).toEqual({ lines: 90, branches: 25, functions: 50 });
  });
});
