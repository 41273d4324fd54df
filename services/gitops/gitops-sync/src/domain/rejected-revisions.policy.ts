import type { PayloadOf } from '@delivery/contracts';
import { IllegalStateError } from '@delivery/messaging';

// A revision the release context rolled back (a Git revert) is remembered as rejected per application and
// environment, and auto-sync never applies it again; the revert itself is a new revision with the old content, so
// syncing HEAD takes the runtime back at once. A manual SyncGitOps of a rejected revision is refused too
// (IllegalStateError gitops.revision-rejected) unless forced: a person who re-applies a rolled-back release says
// so explicitly, and the revision stays rejected for auto-sync afterwards. Pure data, serializable.

export interface RejectedRevision {
  revision: string;
  rolledBackTo: string;
  /** the revert commit, when the history names it */
  revertedBy: string | null;
  releaseId: string | null;
  rejectedAt: string;
}
export interface RejectedRevisions {
  environment: string;
  application: string;
  revisions: RejectedRevision[];
}
/** What the service reads from the GitOps history: `revertOf` (B) was reverted by `revision` back to `rolledBackTo` (A). */
export interface RollbackObserved {
  revision: string;
  revertOf?: string;
  rolledBackTo: string;
  releaseId?: string | null;
}

// bounded: the oldest rejections drop off (a revision that old is long buried under newer ones)
const MAX_REJECTED = 200;

export function initialRejectedRevisions(environment: string, application: string): RejectedRevisions {
  return { environment, application, revisions: [] };
}

/**
 * Records the rolled-back revision as rejected; `rejected` is set the first time only (the caller emits
 * GitOpsRevisionRejected for it). Without revertOf the history named no reverted commit: nothing to reject.
 */
export function recordRollback(state: RejectedRevisions, rollback: RollbackObserved, now: Date): { state: RejectedRevisions; rejected: RejectedRevision | null } {
  const revertOf = rollback.revertOf;
  if (revertOf === undefined || revertOf === rollback.rolledBackTo || isRejected(state, revertOf)) return { state, rejected: null };
  const rejected: RejectedRevision = { revision: revertOf, rolledBackTo: rollback.rolledBackTo, revertedBy: rollback.revision, releaseId: rollback.releaseId ?? null, rejectedAt: now.toISOString() };
  return { state: { ...state, revisions: [...state.revisions, rejected].slice(-MAX_REJECTED) }, rejected };
}

export function isRejected(state: RejectedRevisions, revision: string): boolean {
  return state.revisions.some((r) => r.revision === revision);
}

export function shouldAutoSync(state: RejectedRevisions, revision: string): boolean {
  return !isRejected(state, revision);
}

/** A manual SyncGitOps: refused for a rejected revision unless forced. */
export function assertManualSync(state: RejectedRevisions, revision: string, force: boolean): void {
  const rejected = state.revisions.find((r) => r.revision === revision);
  if (rejected && !force) {
    throw new IllegalStateError('gitops.revision-rejected', `${revision.slice(0, 12)} of ${state.application} in ${state.environment} was rolled back to ${rejected.rolledBackTo.slice(0, 12)} and is rejected: sync it with force to re-apply it anyway`, {
      rolledBackTo: rejected.rolledBackTo,
    });
  }
}

export function revisionRejectedPayload(state: RejectedRevisions, rejected: RejectedRevision): PayloadOf<'GitOpsRevisionRejected'> {
  return { environment: state.environment, application: state.application, revision: rejected.revision, rolledBackTo: rejected.rolledBackTo, releaseId: rejected.releaseId };
}
