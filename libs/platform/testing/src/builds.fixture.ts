import type { PayloadOf } from '@delivery/contracts';

/** What build-result reports for a build: the payload the release and packaging services learn builds from. */
export function buildCompletedPayload(
  buildId: string,
  status: PayloadOf<'BuildCompleted'>['status'] = 'Succeeded',
  overrides: Partial<PayloadOf<'BuildCompleted'>> = {},
): PayloadOf<'BuildCompleted'> {
  const passed = status === 'Succeeded';
  return {
    buildId,
    runId: `run-${buildId}`,
    repositoryId: 'repo-1',
    branch: 'main',
    sha: 'a'.repeat(40),
    pullRequestId: null,
    status,
    tests: { total: 1, passed: passed ? 1 : 0, failed: passed ? 0 : 1, skipped: 0 },
    coverage: null,
    failedTests: [],
    artifacts: [],
    ...overrides,
  };
}
