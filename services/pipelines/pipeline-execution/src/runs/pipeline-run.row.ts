import type { Actor, schemas } from '@delivery/contracts';
import type { RunOutputs, StepRecord } from '../runner/runner.port';

// One pipeline_runs row as the service reads it.
export interface PipelineRunRow {
  runId: string;
  tenantId: string;
  projectId: string;
  repositoryId: string;
  branch: string;
  sha: string;
  pipelinePath: string;
  pullRequestId: string | null;
  reason: 'manual' | 'pull-request' | 'merge' | 'schedule' | 'retry';
  variables: Record<string, string>;
  timeoutSeconds: number;
  status: 'queued' | 'running' | 'finished' | 'canceled';
  result: 'Succeeded' | 'Failed' | 'Canceled' | null;
  error: schemas.Failure | null;
  runner: 'local' | 'azure-pipelines';
  runnerHost: string | null;
  runnerPid: number | null;
  runnerInstance: string | null;
  attempt: number;
  heartbeatAt: Date | null;
  cancelRequestedAt: Date | null;
  cancelReason: string | null;
  steps: StepRecord[];
  outputs: RunOutputs | null;
  commandId: string;
  traceId: string;
  correlationId: string;
  actor: Actor;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export const RUN_COLUMNS = `run_id, tenant_id, project_id, repository_id, branch, sha, pipeline_path, pull_request_id, reason, variables,
  timeout_seconds, status, result, error, runner, runner_host, runner_pid, runner_instance, attempt, heartbeat_at, cancel_requested_at,
  cancel_reason, steps, outputs, command_id, trace_id, correlation_id, actor, created_at, started_at, finished_at`;

export function runOf(row: Record<string, unknown>): PipelineRunRow {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  return {
    runId: row.run_id as string,
    tenantId: row.tenant_id as string,
    projectId: row.project_id as string,
    repositoryId: row.repository_id as string,
    branch: row.branch as string,
    sha: row.sha as string,
    pipelinePath: row.pipeline_path as string,
    pullRequestId: (row.pull_request_id as string | null) ?? null,
    reason: row.reason as PipelineRunRow['reason'],
    variables: (row.variables as Record<string, string>) ?? {},
    timeoutSeconds: row.timeout_seconds as number,
    status: row.status as PipelineRunRow['status'],
    result: (row.result as PipelineRunRow['result']) ?? null,
    error: (row.error as schemas.Failure | null) ?? null,
    runner: row.runner as PipelineRunRow['runner'],
    runnerHost: (row.runner_host as string | null) ?? null,
    runnerPid: (row.runner_pid as number | null) ?? null,
    runnerInstance: (row.runner_instance as string | null) ?? null,
    attempt: row.attempt as number,
    heartbeatAt: date(row.heartbeat_at),
    cancelRequestedAt: date(row.cancel_requested_at),
    cancelReason: (row.cancel_reason as string | null) ?? null,
    steps: (row.steps as StepRecord[]) ?? [],
    outputs: (row.outputs as RunOutputs | null) ?? null,
    commandId: row.command_id as string,
    traceId: row.trace_id as string,
    correlationId: row.correlation_id as string,
    actor: row.actor as Actor,
    createdAt: new Date(row.created_at as string),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}
