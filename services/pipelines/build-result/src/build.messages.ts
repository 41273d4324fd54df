import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import type { BuildSummary } from './domain/build.summary';

// The events this service emits. Tenant, project, trace, correlation and causation come from the trace context of
// the PipelineRunFinished being handled, so a build continues its run's trace.
export const SERVICE = 'build-result';
const ACTOR = { kind: 'service', id: SERVICE } as const;

export type RunFinished = Envelope<PayloadOf<'PipelineRunFinished'>, 'PipelineRunFinished'>;
export type BuildCompleted = Envelope<PayloadOf<'BuildCompleted'>, 'BuildCompleted'>;
export type IngestionFailed = Envelope<PayloadOf<'BuildResultIngestionFailed'>, 'BuildResultIngestionFailed'>;

/** one stream per run: its build, or why it could not be ingested */
export function buildStream(runId: string): string {
  return `build-run-${runId}`;
}

export function buildCompletedOf(run: PayloadOf<'PipelineRunFinished'>, buildId: string, summary: BuildSummary, artifacts: schemas.ArtifactRef[]): BuildCompleted {
  const { runId, repositoryId, branch, sha, pullRequestId } = run;
  const payload: PayloadOf<'BuildCompleted'> = {
    buildId,
    runId,
    repositoryId,
    branch,
    sha,
    pullRequestId,
    status: summary.status,
    tests: summary.tests,
    coverage: summary.coverage,
    failedTests: summary.failedTests,
    artifacts,
  };
  return createEnvelope('BuildCompleted', payload, { source: SERVICE, actor: ACTOR });
}

export function ingestionFailedOf(run: PayloadOf<'PipelineRunFinished'>, file: string | undefined, error: schemas.Failure): IngestionFailed {
  const payload: PayloadOf<'BuildResultIngestionFailed'> = { runId: run.runId, repositoryId: run.repositoryId, ...(file === undefined ? {} : { file }), error };
  return createEnvelope('BuildResultIngestionFailed', payload, { source: SERVICE, actor: ACTOR });
}
