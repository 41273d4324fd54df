import { ValidationError } from '@delivery/messaging';
import type { Reason } from './workload-json.parser';

// environments/<env>/<app>/sync.json: an application's own sync policy, kept in Git beside its workload.json and
// written by people, not by the release context (its renderer rewrites workload.json and its YAML only, and leaves
// other files of the folder alone). Absent: the defaults. Today one setting, as Argo CD's syncPolicy.automated.prune:
//   { "prune": true }   workloads Git no longer names are removed (default false: they are only reported)

export interface SyncPolicy {
  prune: boolean;
}

export const DEFAULT_SYNC_POLICY: SyncPolicy = { prune: false };
const KNOWN = new Set(['prune']);

/** The policy of a sync.json (undefined: there is none); a file that is not a valid policy is refused with every reason. */
export function syncPolicyFromJson(json: string | undefined, revision: string): SyncPolicy {
  if (json === undefined) return DEFAULT_SYNC_POLICY;
  const reasons: Reason[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (error) {
    reasons.push({ subject: 'sync.json', message: `is not JSON: ${(error as Error).message}` });
  }
  if (reasons.length === 0 && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) reasons.push({ subject: 'sync.json', message: 'must be an object' });
  const fields = reasons.length === 0 ? (doc as Record<string, unknown>) : {};
  for (const key of Object.keys(fields)) if (!KNOWN.has(key)) reasons.push({ subject: key, message: `is not a sync policy setting (known: ${[...KNOWN].join(', ')})` });
  if (fields.prune !== undefined && typeof fields.prune !== 'boolean') reasons.push({ subject: 'prune', message: 'must be true or false' });
  if (reasons.length > 0) {
    const [first] = reasons;
    throw new ValidationError('gitops.invalid-sync-policy', `sync.json at ${revision.slice(0, 12)} is invalid: ${first?.subject} ${first?.message}`, { reasons });
  }
  return { prune: fields.prune === true };
}
