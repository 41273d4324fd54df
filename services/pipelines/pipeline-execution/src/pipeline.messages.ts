import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope, type EnvelopeOptions } from '@delivery/messaging';
import type { RunOutputs, StepRecord } from './runner/runner.port';
import type { PipelineRunRow } from './runs/pipeline-run.row';

// The events this service appends. The worker's events are built outside the RunPipeline's handling, so they
// name its trace explicitly (kept on the row): one trace from the request to the run's end.
export const SOURCE = 'pipeline-execution';
export const DEFAULT_PIPELINE_PATH = 'azure-pipelines.yml';

export const runStream = (runId: string) => `pipeline-run-${runId}`;
/** a refused RunPipeline has no run: its answer goes to a stream of the command's own */
export const requestStream = (commandId: string) => `pipeline-request-${commandId}`;

export type RunPipelineCommand = Envelope<PayloadOf<'RunPipeline'>, 'RunPipeline'>;
export type CancelPipelineRunCommand = Envelope<PayloadOf<'CancelPipelineRun'>, 'CancelPipelineRun'>;

export function runStartedOf(run: PipelineRunRow, startedAt: Date): Envelope<PayloadOf<'PipelineRunStarted'>, 'PipelineRunStarted'> {
  const payload: PayloadOf<'PipelineRunStarted'> = {
    runId: run.runId,
    repositoryId: run.repositoryId,
    branch: run.branch,
    sha: run.sha,
    pipelinePath: run.pipelinePath,
    pullRequestId: run.pullRequestId,
    runner: run.runner,
    reason: run.reason,
    startedAt: startedAt.toISOString(),
  };
  return createEnvelope('PipelineRunStarted', payload, optionsOf(run));
}

export function runFinishedOf(
  run: PipelineRunRow,
  outcome: { result: 'Succeeded' | 'Failed' | 'Canceled'; error?: schemas.Failure | null; steps: StepRecord[]; outputs: RunOutputs | null; startedAt: Date; finishedAt: Date },
): Envelope<PayloadOf<'PipelineRunFinished'>, 'PipelineRunFinished'> {
  const payload: PayloadOf<'PipelineRunFinished'> = {
    runId: run.runId,
    repositoryId: run.repositoryId,
    branch: run.branch,
    sha: run.sha,
    pullRequestId: run.pullRequestId,
    result: outcome.result,
    ...(outcome.error ? { error: outcome.error } : {}),
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    durationMs: Math.max(0, outcome.finishedAt.getTime() - outcome.startedAt.getTime()),
    steps: outcome.steps.slice(0, 500).map(stepOutcomeOf),
    outputs: outcome.outputs ?? { testResults: [], coverage: [], artifacts: [] },
  };
  return createEnvelope('PipelineRunFinished', payload, optionsOf(run));
}

export function runRejectedOf(command: RunPipelineCommand, error: schemas.Failure, sha?: string): Envelope<PayloadOf<'PipelineRunRejected'>, 'PipelineRunRejected'> {
  const { repositoryId, branch } = command.payload;
  const resolvedSha = sha ?? command.payload.sha;
  return createEnvelope('PipelineRunRejected', { repositoryId, branch, ...(resolvedSha ? { sha: resolvedSha } : {}), error }, { source: SOURCE });
}

/** the contract's StepOutcome: a step that never got to run is skipped, one interrupted mid-way canceled */
function stepOutcomeOf(step: StepRecord): PayloadOf<'PipelineRunFinished'>['steps'][number] {
  const status = step.status === 'pending' ? 'skipped' : step.status === 'running' ? 'canceled' : step.status;
  return { name: step.name.slice(0, 200) || `step ${step.index}`, status, exitCode: step.exitCode, durationMs: Math.max(0, Math.round(step.durationMs)), ...(step.log ? { log: step.log } : {}) };
}

type RunEvent = Envelope<PayloadOf<'PipelineRunStarted'>, 'PipelineRunStarted'> | Envelope<PayloadOf<'PipelineRunFinished'>, 'PipelineRunFinished'>;

const CHECK_STATES = { Succeeded: 'succeeded', Failed: 'failed', Canceled: 'error' } as const;

/** The check a run of a pull request reports on it: `pipeline/<pipeline path>` (CheckName's alphabet). */
export const checkNameOf = (pipelinePath: string) => `pipeline/${pipelinePath.replace(/[^A-Za-z0-9 ._/:-]/g, '-')}`.slice(0, 100);

// A pull request's checks are fed from its runs: each event of a run of a pull request is appended with the
// SetPullRequestCheck it causes (pending when the run starts, its result when it ends), in the same transaction.
export function withPullRequestCheck(run: PipelineRunRow, event: RunEvent): Envelope[] {
  if (run.pullRequestId === null) return [event];
  const started = event.type === 'PipelineRunStarted';
  const state = started ? 'pending' : CHECK_STATES[event.payload.result];
  const description = started ? `run ${run.runId} started` : `run ${run.runId} ${event.payload.result.toLowerCase()}${event.payload.error ? `: ${event.payload.error.message}` : ''}`;
  const check: PayloadOf<'SetPullRequestCheck'> = { pullRequestId: run.pullRequestId, name: checkNameOf(run.pipelinePath), state, sourceSha: run.sha, description: description.slice(0, 1000) };
  return [event, createEnvelope('SetPullRequestCheck', check, optionsOf(run))];
}

function optionsOf(run: PipelineRunRow): EnvelopeOptions {
  return { source: SOURCE, tenantId: run.tenantId, projectId: run.projectId, traceId: run.traceId, correlationId: run.correlationId, causationId: run.commandId, actor: { kind: 'service', id: SOURCE } };
}
