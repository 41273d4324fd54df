import type { Actor } from '@delivery/contracts';
import type { ApproverRole } from './domain/approval-policy';

// The release service's timers (rows of its `timers` table, fired by ReleaseTimerHandler).
export const WINDOW_TIMER = 'release.window';
export const APPROVAL_EXPIRY_TIMER = 'release.approval-expiry';

/** one per release: the saga looks again when the next environment's deployment window opens */
export const windowTimerKey = (releaseId: string) => `window:${releaseId}`;

export interface ApprovalExpiryTimer {
  releaseId: string;
  environment: string;
  approver: Actor;
  role: ApproverRole;
}

/** one per approval: approving again moves the timer instead of adding one */
export const approvalTimerKey = (t: ApprovalExpiryTimer) => `approval:${t.releaseId}:${t.environment}:${t.approver.kind}:${t.approver.id}:${t.role}`;
