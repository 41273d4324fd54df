// The GitOps repository layout the release context writes (services/release/README.md, gitops target):
// environments/{environment}/{application}/workload.json, and beside it the application's own sync.json (its sync
// policy, written by people). Pure helpers, shared by the triggers and the REST door.

export const ENVIRONMENTS_DIR = 'environments';
const WORKLOAD = /^environments\/([a-z0-9][a-z0-9-]{0,62})\/([a-z0-9][a-z0-9-]{0,62})\/workload\.json$/;
const REVERTS = /This reverts commit ([0-9a-f]{40})/;
const SHA = /^[0-9a-f]{40}$/;

export interface AppRef {
  environment: string;
  application: string;
}

export function workloadPath(ref: AppRef): string {
  return `${ENVIRONMENTS_DIR}/${ref.environment}/${ref.application}/workload.json`;
}

export function syncPolicyPath(ref: AppRef): string {
  return `${ENVIRONMENTS_DIR}/${ref.environment}/${ref.application}/sync.json`;
}

/** The applications a tree names, in path order; other files are ignored. */
export function applicationsOf(paths: readonly string[], filter: Partial<AppRef> = {}): AppRef[] {
  const refs: AppRef[] = [];
  for (const path of [...paths].sort()) {
    const match = WORKLOAD.exec(path);
    if (!match) continue;
    const ref = { environment: match[1] as string, application: match[2] as string };
    if (filter.environment !== undefined && ref.environment !== filter.environment) continue;
    if (filter.application !== undefined && ref.application !== filter.application) continue;
    refs.push(ref);
  }
  return refs;
}

/**
 * The commit a revert undoes: CommitCreated's revertOf, else a `Revert-Of` trailer, else git's own
 * "This reverts commit <sha>." line (what the commit service's RevertCommit writes). undefined: not a revert.
 */
export function revertedBy(commit: { message?: string; trailers?: Record<string, string>; revertOf?: string }): string | undefined {
  if (commit.revertOf !== undefined && SHA.test(commit.revertOf)) return commit.revertOf;
  const trailer = commit.trailers?.['Revert-Of'];
  if (trailer !== undefined && SHA.test(trailer)) return trailer;
  return REVERTS.exec(commit.message ?? '')?.[1];
}

/** The interval with ± jitter (fraction of it), so that many repositories do not poll in lockstep. */
export function jittered(intervalMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(intervalMs * (1 + (random() * 2 - 1) * jitter)));
}
