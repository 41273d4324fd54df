import { BuildReason, BuildResult, BuildStatus, TaskResult, TimelineRecordState, type Build, type TimelineRecord } from 'azure-devops-node-api/interfaces/BuildInterfaces';
import { slugOf } from '../../domain/pipeline.macros';
import type { RunOutcome, RunRequest, StepRecord, StepStatus } from '../runner.port';

// Pure mapping between Azure Pipelines' Build/Timeline shapes (as azure-devops-node-api deserializes them: numeric
// enums, Date fields) and the runner port's step records and results. The table is in the service README.

/** The platform's RunPipeline reason as a BuildReason (what ADO shows as "reason" on the build). */
export function buildReasonOf(reason: string): BuildReason {
  switch (reason) {
    case 'pull-request':
      return BuildReason.PullRequest;
    case 'merge':
      return BuildReason.IndividualCI;
    case 'schedule':
      return BuildReason.Schedule;
    default:
      return BuildReason.Manual;
  }
}

// The agent's wording when a task or job hits timeoutInMinutes: the record ends 'canceled' with this issue.
const TIMEOUT_ISSUE = /timed out|ran longer than the maximum time/i;

export function stepStatusOf(record: TimelineRecord): StepStatus {
  if (record.state === TimelineRecordState.Pending || record.state === undefined) return 'pending';
  if (record.state === TimelineRecordState.InProgress) return 'running';
  switch (record.result) {
    case TaskResult.Succeeded:
    case TaskResult.SucceededWithIssues:
      return 'succeeded';
    case TaskResult.Failed:
      return 'failed';
    case TaskResult.Canceled:
      return (record.issues ?? []).some((issue) => TIMEOUT_ISSUE.test(issue.message ?? '')) ? 'timed-out' : 'canceled';
    case TaskResult.Skipped:
      return 'skipped';
    case TaskResult.Abandoned:
      // the agent went away mid-task: not a cancel anyone asked for
      return 'failed';
    case TaskResult.ManuallyQueued:
    case TaskResult.DependentOnManualQueue:
      return 'pending';
    default:
      // completed without a result: ADO does not do this for tasks; do not call it a success
      return 'failed';
  }
}

/** The log's artifact-store key for a step, like the local runner's (`logs/<n>-<slug>.log`). */
export function logKeyOf(runId: string, index: number, name: string): string {
  return `runs/${runId}/logs/${index}-${slugOf(name)}.log`;
}

export interface MappedStep {
  step: StepRecord;
  /** the Azure log id of the task, when it has one */
  logId?: number;
}

/** Task records of a (flat) timeline, in execution order (stage, phase, job, task `order`), as step records. */
export function stepsOf(records: TimelineRecord[]): MappedStep[] {
  const byId = new Map(records.filter((r) => r.id).map((r) => [r.id as string, r]));
  const path = (record: TimelineRecord): number[] => {
    const orders: number[] = [];
    for (let r: TimelineRecord | undefined = record, depth = 0; r && depth < 10; r = r.parentId ? byId.get(r.parentId) : undefined, depth++) orders.unshift(r.order ?? 0);
    return orders;
  };
  const jobOf = (record: TimelineRecord): string => {
    for (let r = record.parentId ? byId.get(record.parentId) : undefined, depth = 0; r && depth < 10; r = r.parentId ? byId.get(r.parentId) : undefined, depth++) {
      if (r.type === 'Job') return r.name ?? 'job';
    }
    return 'job';
  };
  const tasks = records.filter((r) => r.type === 'Task').map((r) => ({ r, key: path(r) }));
  tasks.sort((a, b) => compareOrders(a.key, b.key));
  return tasks.map(({ r }, i): MappedStep => {
    const status = stepStatusOf(r);
    const started = validDate(r.startTime);
    const finished = validDate(r.finishTime);
    const step: StepRecord = {
      index: i + 1,
      name: r.name ?? `task ${i + 1}`,
      job: jobOf(r),
      status,
      // Azure reports no exit code for a task, only its result
      exitCode: null,
      durationMs: started && finished ? Math.max(0, finished.getTime() - started.getTime()) : 0,
      ...(started ? { startedAt: started.toISOString() } : {}),
    };
    return r.log?.id !== undefined && r.log.id !== null ? { step, logId: r.log.id } : { step };
  });
}

function compareOrders(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function validDate(value: Date | string | undefined | null): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  // ADO sends 0001-01-01T00:00:00 for "not yet"
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 2000 ? undefined : date;
}

export function isCompleted(build: Build): boolean {
  return build.status === BuildStatus.Completed;
}

/** A completed build's result as the port's result (partiallySucceeded counts as Succeeded, as the README says). */
export function resultOf(build: Build, steps: StepRecord[]): Pick<RunOutcome, 'result' | 'error'> {
  const failed = steps.find((s) => s.status === 'failed' || s.status === 'timed-out');
  switch (build.result) {
    case BuildResult.Succeeded:
    case BuildResult.PartiallySucceeded:
      return { result: 'Succeeded' };
    case BuildResult.Canceled:
      return { result: 'Canceled' };
    case BuildResult.Failed:
      return {
        result: 'Failed',
        error: { code: 'pipeline.step-failed', message: failed ? `step ${failed.index} "${failed.name}" (${failed.job}) ${failed.status}` : `Azure Pipelines build ${build.id ?? '?'} failed`, retryable: false },
      };
    default:
      return { result: 'Failed', error: { code: 'pipeline.runner-error', message: `Azure Pipelines build ${build.id ?? '?'} completed without a known result (${String(build.result)})`, retryable: false } };
  }
}

/** The queueBuild body: the definition at the request's commit, queue-time variables as `parameters`. */
export function queueBodyOf(definitionId: number, request: RunRequest, tag: string): Build {
  return {
    definition: { id: definitionId },
    sourceBranch: `refs/heads/${request.branch}`,
    ...(request.sha ? { sourceVersion: request.sha } : {}),
    parameters: JSON.stringify(request.variables),
    reason: buildReasonOf(request.reason),
    // ADO may ignore tags on queue; addBuildTag right after is what the idempotency lookup relies on
    tags: [tag],
  };
}
