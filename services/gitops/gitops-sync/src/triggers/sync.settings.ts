export const SYNC_SETTINGS = Symbol('SYNC_SETTINGS');
export const INTERVAL_TIMER = 'gitops.interval';

export interface SyncSettings {
  /** the interval between polls of one GitOps repository (default 30 s, GITOPS_SYNC_INTERVAL_MS) */
  intervalMs: number;
  /** ± this fraction of the interval (default 0.2) */
  jitter: number;
  /** while an application is Progressing or Missing, look again this soon (default 5 s): health is polled */
  settleMs: number;
}
export interface IntervalPayload {
  tenantId: string;
  projectId: string;
  repositoryId: string;
}

export function syncSettingsOf(options: Partial<SyncSettings>, env: NodeJS.ProcessEnv = process.env): SyncSettings {
  const fromEnv = Number(env.GITOPS_SYNC_INTERVAL_MS);
  return { intervalMs: options.intervalMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 30_000), jitter: options.jitter ?? 0.2, settleMs: options.settleMs ?? 5_000 };
}

export const intervalKey = (repositoryId: string): string => `interval:${repositoryId}`;
