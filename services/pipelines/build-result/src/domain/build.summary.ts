import type { PayloadOf } from '@delivery/contracts';
import { mergeCoverage, percentagesOf, type CoverageCounts, type CoveragePercentages } from './coverage-report';
import { mergeTestReports, type TestFailure, type TestReport } from './test-report';

export type RunResult = 'Succeeded' | 'Failed' | 'Canceled';
export type BuildStatus = RunResult;

/** the contract keeps the first failures, for people */
export const FAILED_TESTS_MAX = 50;

export interface BuildSummary {
  status: BuildStatus;
  tests: PayloadOf<'BuildCompleted'>['tests'];
  /** null when the run reported no coverage */
  coverage: CoveragePercentages | null;
  failedTests: TestFailure[];
}

// Canceled and failed runs keep their result; a run that succeeded with a failing test did not build.
export function statusOf(result: RunResult, tests: Pick<TestReport, 'failed'>): BuildStatus {
  if (result === 'Canceled') return 'Canceled';
  if (result === 'Failed' || tests.failed > 0) return 'Failed';
  return 'Succeeded';
}

export function summarize(result: RunResult, testReports: readonly TestReport[], coverageReports: readonly CoverageCounts[]): BuildSummary {
  const { failures, durationMs, ...counts } = mergeTestReports(testReports);
  return {
    status: statusOf(result, counts),
    tests: { ...counts, ...(durationMs === undefined ? {} : { durationMs }) },
    coverage: coverageReports.length === 0 ? null : percentagesOf(mergeCoverage(coverageReports)),
    failedTests: failures.slice(0, FAILED_TESTS_MAX),
  };
}
