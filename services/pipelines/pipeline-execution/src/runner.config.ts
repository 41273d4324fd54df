import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { azurePipelinesConfigFromEnv, type AzurePipelinesConfig } from './runner/azure/azure-pipelines.client';

// The runner's configuration (README), validated at start like the service kit's.
export interface RunnerConfig {
  workDir: string;
  /** runs at once on this machine */
  concurrency: number;
  /** a run's timeout when RunPipeline names none */
  defaultTimeoutSeconds: number;
  killGraceMs: number;
  pollMs: number;
  heartbeatMs: number;
  /** a running row whose owner has not beaten for this long is finished as runner-lost */
  lostAfterMs: number;
  keepWorkspaces: boolean;
  /** this machine's name in pipeline_runs.runner_host */
  host: string;
  /** Azure Pipelines (RunPipeline.runner 'azure-pipelines'): set only when AZURE_DEVOPS_ORG_URL/PROJECT/TOKEN are */
  azure?: AzurePipelinesConfig;
}

export const RUNNER_CONFIG = Symbol('RUNNER_CONFIG');

export function runnerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  return {
    workDir: resolve(env.RUNNER_WORK_DIR || '.data/runs'),
    concurrency: integer(env, 'RUNNER_CONCURRENCY', 2, 1, 64),
    defaultTimeoutSeconds: integer(env, 'RUNNER_TIMEOUT_SECONDS', 3600, 1, 86_400),
    killGraceMs: integer(env, 'RUNNER_KILL_GRACE_MS', 5000, 0, 600_000),
    pollMs: integer(env, 'RUNNER_POLL_MS', 500, 10, 60_000),
    heartbeatMs: integer(env, 'RUNNER_HEARTBEAT_MS', 5000, 100, 600_000),
    lostAfterMs: integer(env, 'RUNNER_LOST_AFTER_MS', 60_000, 1000, 86_400_000),
    keepWorkspaces: env.RUNNER_KEEP_WORKSPACES === 'true',
    host: env.RUNNER_HOST || hostname(),
    ...azureOf(env),
  };
}

function azureOf(env: NodeJS.ProcessEnv): { azure?: AzurePipelinesConfig } {
  const azure = azurePipelinesConfigFromEnv(env);
  if (!azure) return {};
  const pollMs = integer(env, 'AZURE_PIPELINES_POLL_MS', azure.pollMs, 10, 600_000);
  return { azure: { ...azure, pollMs, maxPollMs: Math.max(pollMs, integer(env, 'AZURE_PIPELINES_MAX_POLL_MS', azure.maxPollMs, 10, 600_000)) } };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return value;
}
