import type { schemas } from '@delivery/contracts';

// Where a run executes. The local runner (this folder) is the embedded default; an Azure Pipelines adapter would
// queue the run there and report the same step records and outputs (RunPipeline.runner selects one).

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'timed-out';

export interface StepRecord {
  /** 1-based, across the run's jobs */
  index: number;
  name: string;
  job: string;
  status: StepStatus;
  exitCode: number | null;
  durationMs: number;
  startedAt?: string;
  /** the step's process group while it runs (the local runner), so a lost run's processes can be found */
  pid?: number;
  /** the live log file while the step runs, on the runner's machine */
  logFile?: string;
  /** the artifact-store key of the log once the step has ended */
  log?: string;
}

export interface RunOutputs {
  testResults: schemas.ArtifactRef[];
  coverage: schemas.ArtifactRef[];
  artifacts: schemas.ArtifactRef[];
}

export interface RunRequest {
  runId: string;
  repository: { name: string; source: string };
  branch: string;
  sha: string;
  pipelinePath: string;
  reason: string;
  /** queue-time variables (override the pipeline's) */
  variables: Record<string, string>;
  timeoutSeconds: number;
}

export type StopReason = 'canceled' | 'shutdown';

export interface RunControl {
  /** aborted with a StopReason: stop the step in progress and run nothing more */
  signal: AbortSignal;
  /** the step records changed (a step started or ended) */
  progress(steps: StepRecord[]): Promise<void>;
}

export interface RunOutcome {
  result: 'Succeeded' | 'Failed' | 'Canceled';
  error?: schemas.Failure;
  steps: StepRecord[];
  outputs: RunOutputs;
}

export interface PipelineRunner {
  readonly kind: 'local' | 'azure-pipelines';
  execute(request: RunRequest, control: RunControl): Promise<RunOutcome>;
}

export const PIPELINE_RUNNER = Symbol('PIPELINE_RUNNER');
