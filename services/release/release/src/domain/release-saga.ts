import type { PayloadOf } from '@delivery/contracts';
import { resolveRule, type ApprovalPolicy } from './approval-policy';
import { windowDecision } from './deployment-window';
import type { ReleaseFailure, ReleaseState } from './release-plan.decider';

// The release saga, pure (issue 4): given the ReleaseState and the commands the saga already sent (the
// `release-saga-<releaseId>` stream), what happens next. The handlers only load, run these and append.

/** A command the saga sent, as its stream holds it. */
export interface SentCommand {
  id: string;
  type: 'PromoteDeployment' | 'RollbackDeployment';
  correlationId: string;
  environment: string;
  /** PromoteDeployment only */
  attempt: number | null;
}

export type PromotionStep =
  | { kind: 'idle' }
  | { kind: 'start'; environment: string; attempt: number }
  /** approved but the deployment window is closed: look again at `until` */
  | { kind: 'wait'; environment: string; until: Date };

/** A window that names no next opening is looked at again this much later (a policy edit may open one). */
const RECHECK_MS = 24 * 60 * 60 * 1000;

/** After any decision: start the next environment of the path when it is approved, nothing is in flight and its window is open. */
export function nextPromotion(state: ReleaseState, policy: ApprovalPolicy, now: Date): PromotionStep {
  if (!['pending-approval', 'approved', 'promoting'].includes(state.status) || state.promoting !== null) return { kind: 'idle' };
  const target = state.retry
    ? state.environments.find((e) => e.name === state.retry?.fromEnvironment)
    : state.environments.find((e) => !e.promoted);
  if (target === undefined || target.approved === null) return { kind: 'idle' };
  const attempt = state.retry?.attempt ?? target.attempts + 1;
  const opensAt = target.approved.windowOpensAt === null ? null : new Date(target.approved.windowOpensAt);
  if (opensAt !== null && opensAt.getTime() > now.getTime()) return { kind: 'wait', environment: target.name, until: opensAt };
  const window = windowDecision(resolveRule(policy, target.name).entry, now);
  if (!window.open) return { kind: 'wait', environment: target.name, until: window.nextOpensAt ?? new Date(now.getTime() + RECHECK_MS) };
  return { kind: 'start', environment: target.name, attempt };
}

/** The PromoteDeployment of the attempt in flight that `correlationId` answers, or undefined when it is stale. */
export function currentPromotion(state: ReleaseState, sent: readonly SentCommand[], correlationId: string): SentCommand | undefined {
  const promote = sent.find((c) => c.type === 'PromoteDeployment' && c.id === correlationId);
  if (promote === undefined || state.promoting !== promote.environment) return undefined;
  const environment = state.environments.find((e) => e.name === promote.environment);
  return environment?.attempts === promote.attempt ? promote : undefined;
}

export type FailureReaction =
  | { kind: 'stale' }
  | { kind: 'rollback'; promotion: SentCommand; reason: string }
  | { kind: 'fail'; environment: string; attempt: number; rolledBack: boolean; error: ReleaseFailure };

/** PromotionFailed: roll back what reached Git (a revision), otherwise the release fails at once. */
export function onPromotionFailed(state: ReleaseState, sent: readonly SentCommand[], correlationId: string, failed: Pick<PayloadOf<'PromotionFailed'>, 'revision' | 'stage' | 'error'>): FailureReaction {
  const promotion = currentPromotion(state, sent, correlationId);
  if (promotion === undefined || rollbackSent(sent, correlationId)) return { kind: 'stale' };
  if (failed.revision === null) return { kind: 'fail', environment: promotion.environment, attempt: promotion.attempt ?? 0, rolledBack: false, error: failed.error };
  return { kind: 'rollback', promotion, reason: `${failed.stage} failed: ${failed.error.code}: ${failed.error.message}`.slice(0, 8000) };
}

/** DeploymentRolledBack of the rollback the saga sent for the attempt in flight: the release fails, rolled back. */
export function onRolledBack(state: ReleaseState, sent: readonly SentCommand[], correlationId: string, error: ReleaseFailure): FailureReaction {
  const promotion = currentPromotion(state, sent, correlationId);
  if (promotion === undefined || !rollbackSent(sent, correlationId)) return { kind: 'stale' };
  return { kind: 'fail', environment: promotion.environment, attempt: promotion.attempt ?? 0, rolledBack: true, error };
}

function rollbackSent(sent: readonly SentCommand[], correlationId: string): boolean {
  return sent.some((c) => c.type === 'RollbackDeployment' && c.correlationId === correlationId);
}

/** Where a project's releases are promoted in Git; pathTemplate fills {environment} and {application}. */
export interface GitOpsSettings {
  /** null: the release's own repository */
  repositoryId: string | null;
  branch: string;
  pathTemplate: string;
}

export const DEFAULT_GITOPS: GitOpsSettings = { repositoryId: null, branch: 'main', pathTemplate: 'environments/{environment}/{application}' };

export function promoteDeploymentPayload(state: ReleaseState, environment: string, attempt: number, gitops: GitOpsSettings): PayloadOf<'PromoteDeployment'> {
  const plan = state.plan;
  const stage = plan?.environments.find((e) => e.name === environment);
  if (plan === null || stage === undefined) throw new Error(`release ${state.releaseId} has no environment ${environment}`);
  const path = gitops.pathTemplate.replaceAll('{environment}', environment).replaceAll('{application}', plan.application);
  return {
    releaseId: plan.releaseId,
    environment,
    application: plan.application,
    version: plan.version,
    artifacts: plan.artifacts,
    workload: plan.workload,
    strategy: stage.strategy,
    healthGates: stage.healthGates,
    gitops: { repositoryId: gitops.repositoryId ?? plan.repositoryId, branch: gitops.branch, path },
    attempt,
  };
}
