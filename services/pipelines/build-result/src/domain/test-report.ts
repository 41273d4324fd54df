// What a test report (JUnit or TRX) says, in one shape for both.
export interface TestFailure {
  suite?: string;
  name: string;
  message?: string;
}

export interface TestReport {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  /** undefined when the report records no times at all */
  durationMs?: number;
  failures: TestFailure[];
}

// the contract's limits on a failedTests entry
const NAME_MAX = 500;
const MESSAGE_MAX = 2000;

export function failureOf(name: string, suite: string | undefined, message: string | undefined): TestFailure {
  const failure: TestFailure = { name: clipped(name, NAME_MAX) };
  if (suite !== undefined && suite !== '') failure.suite = clipped(suite, NAME_MAX);
  if (message !== undefined && message !== '') failure.message = clipped(message, MESSAGE_MAX);
  return failure;
}

export function emptyTestReport(): TestReport {
  return { total: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
}

/** Several reports of one run (one per test project, per shard) as one. */
export function mergeTestReports(reports: readonly TestReport[]): TestReport {
  const merged = emptyTestReport();
  for (const report of reports) {
    merged.total += report.total;
    merged.passed += report.passed;
    merged.failed += report.failed;
    merged.skipped += report.skipped;
    if (report.durationMs !== undefined) merged.durationMs = (merged.durationMs ?? 0) + report.durationMs;
    merged.failures.push(...report.failures);
  }
  return merged;
}

function clipped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
