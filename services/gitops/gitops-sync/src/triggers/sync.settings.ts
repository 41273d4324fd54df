import { npmFeedsOf, type NpmFeeds } from '../domain/npm-feeds';
import { DEFAULT_PROGRESS_DEADLINE_SECONDS } from '../domain/workload-json.parser';

export const SYNC_SETTINGS = Symbol('SYNC_SETTINGS');
export const INTERVAL_TIMER = 'gitops.interval';

export interface SyncSettings {
  /** the interval between polls of one GitOps repository (default 30 s, GITOPS_SYNC_INTERVAL_MS) */
  intervalMs: number;
  /** ± this fraction of the interval (default 0.2) */
  jitter: number;
  /** while an application is Progressing or Missing, look again this soon (default 1 s, GITOPS_SETTLE_MS): health is
   * polled, so this is how late a rollout that became Healthy is reported */
  settleMs: number;
  /** while a rollout this process applied is Progressing or Missing, it looks at the runtime this often (default
   * 250 ms, GITOPS_SETTLE_POLL_MS) and reconciles at once when the health changed: the durable settle wake stays
   * the guarantee (a restart, another replica), this only makes the report prompt */
  settlePollMs: number;
  /** how many applications of one sync are reconciled at once, each in its own transaction (default 8,
   * GITOPS_SYNC_CONCURRENCY; shared by all syncs of the process; also the size of their own database pool) */
  syncConcurrency: number;
  /** npm feed name → registry base URL, to find a package's tarball (GITOPS_NPM_FEEDS, JSON) */
  npmFeeds: NpmFeeds;
  /** how often RuntimeHealthReported goes out per synced application (default 5 s, HEALTH_REPORT_INTERVAL_MS) */
  healthReportIntervalMs: number;
  /** how long a revision may stay Progressing after it was first applied before it escalates (progress-deadline):
   * default 600 s like Kubernetes' progressDeadlineSeconds, GITOPS_PROGRESS_DEADLINE_SECONDS. workload.json
   * carries none (deployment-manifest renders none, in workload.json or the Deployment): it is this service's */
  progressDeadlineSeconds: number;
}
export interface IntervalPayload {
  tenantId: string;
  projectId: string;
  repositoryId: string;
}

export function syncSettingsOf(options: Partial<SyncSettings>, env: NodeJS.ProcessEnv = process.env): SyncSettings {
  return {
    intervalMs: options.intervalMs ?? positive(env.GITOPS_SYNC_INTERVAL_MS) ?? 30_000,
    jitter: options.jitter ?? 0.2,
    settleMs: options.settleMs ?? positive(env.GITOPS_SETTLE_MS) ?? 1_000,
    settlePollMs: options.settlePollMs ?? positive(env.GITOPS_SETTLE_POLL_MS) ?? 250,
    syncConcurrency: Math.floor(options.syncConcurrency ?? positive(env.GITOPS_SYNC_CONCURRENCY) ?? 8) || 1,
    npmFeeds: options.npmFeeds ?? npmFeedsOf(env.GITOPS_NPM_FEEDS),
    healthReportIntervalMs: options.healthReportIntervalMs ?? positive(env.HEALTH_REPORT_INTERVAL_MS) ?? 5_000,
    progressDeadlineSeconds: options.progressDeadlineSeconds ?? positive(env.GITOPS_PROGRESS_DEADLINE_SECONDS) ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
  };
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

export const intervalKey = (repositoryId: string): string => `interval:${repositoryId}`;
