import type { PayloadOf } from '@delivery/contracts';
import type { DesiredApplication, HealthStatus, ObservedApplication } from '@delivery/gitops-runtime';
import { applicationHealth, detectDrift, driftSignature, healable, syncStatusOf, type Drift, type SyncStatus } from './drift.detector';
import { healAttemptsOf, healDelayMs, HEALTHY_COOLDOWN_MS, nextHealAt, noteDrift, noteHealthy, noteNotHealthy, recordHealAttempt, resetHealTracker, type HealTracker } from './heal.backoff';

// Design note. One SyncState per (environment, application), pure JSON data the service keeps in Postgres.
// evaluate(state, {desired, observed, now}) runs on every commit, interval tick or timer (wakeAt) with what the
// runtime's observe() reported; recordApply(state, {revision, outcome, now}) runs after each RuntimeAdapter.apply
// (or with a failure when desiredFromWorkloadJson refused the manifest: nothing was applied). Both return the next
// state and decisions: 'apply' (call the adapter), 'report' (build GitOpsSynced with syncedPayload) and events.
// - A revision not yet applied is applied at once; a failed apply is retried with the heal backoff when
//   retryable, never when not (until a new revision). Apply failures count apart from drift: APPLY_FAILURE_LIMIT
//   consecutive ones escalate (apply-failures).
// - Once applied, drift is detected; healable drift is re-applied with backoff per (revision, signature)
//   (heal.backoff: 2 s, 6 s, 18 s … capped at 300 s; counters reset on a new revision or after 5 min without
//   drift and Healthy, so a flapping drift keeps its backoff); unhealthy is left to the runtime to restart;
//   extraneous workloads are healed only with prune. GitOpsDriftDetected goes out once per (signature, attempt).
// - Escalations, each deduplicated by alertKey = environment/application/revision/reason: ≥ HEAL_ATTEMPT_LIMIT
//   heals with the drift still there, actionable drift unresolved > UNRESOLVED_DRIFT_MS, crash loop (a workload
//   with ≥ CRASH_LOOP_RESTARTS restarts in the runtime's 10-minute window), Progressing past the progress
//   deadline since the revision was first applied, apply failures. Raising emits GitOpsDegraded and
//   GitOpsAlertRaised; an alert whose condition no longer holds (or whose revision was superseded) emits
//   GitOpsAlertResolved. While an alert is active the application reports health Degraded.
// - Rejected (rolled-back) revisions are the caller's check before evaluate: rejected-revisions.policy
//   (shouldAutoSync for auto triggers, assertManualSync for SyncGitOps; force overrides a manual refusal only).

export type EscalationReason = PayloadOf<'GitOpsDegraded'>['reason'];
export type SyncFailure = PayloadOf<'GitOpsSyncFailed'>['error'];
export interface ActiveAlert {
  alertKey: string;
  reason: EscalationReason;
  revision: string;
  raisedAt: string;
}
export interface SyncState {
  environment: string;
  application: string;
  /** the desired revision last evaluated */
  revision: string | null;
  releaseId: string | null;
  /** the last revision applied successfully, and when it first was */
  applied: { revision: string; firstAppliedAt: string } | null;
  /** consecutive failed applies of one revision; retryAt null: not retryable */
  applyFailures: { revision: string; count: number; retryAt: string | null } | null;
  heal: HealTracker;
  /** since when actionable drift (healable or unhealthy) has been seen without a clean observation */
  driftSince: string | null;
  reportedDrift: { signature: string; healAttempt: number } | null;
  alerts: ActiveAlert[];
  reported: { revision: string; sync: SyncStatus; health: HealthStatus } | null;
  /** an apply succeeded since the last report: report even when sync and health did not change */
  reportDue: boolean;
}

type EventOf<T extends 'GitOpsDriftDetected' | 'GitOpsDegraded' | 'GitOpsAlertRaised' | 'GitOpsAlertResolved' | 'GitOpsSyncFailed'> = { type: T; payload: PayloadOf<T> };
export type SyncEvent = EventOf<'GitOpsDriftDetected'> | EventOf<'GitOpsDegraded'> | EventOf<'GitOpsAlertRaised'> | EventOf<'GitOpsAlertResolved'> | EventOf<'GitOpsSyncFailed'>;
export type SyncDecision =
  | { kind: 'apply'; revision: string; reason: 'sync' | 'heal'; healAttempt: number }
  | { kind: 'report'; revision: string; sync: SyncStatus; health: HealthStatus }
  | { kind: 'event'; event: SyncEvent };
export interface SyncResult {
  state: SyncState;
  decisions: SyncDecision[];
  /** evaluate again by then (a heal or retry falls due, a threshold may pass); null: on the next trigger */
  wakeAt: Date | null;
}
export interface EvaluateInput {
  desired: DesiredApplication;
  observed: ObservedApplication;
  now: Date;
}
export interface ApplyOutcome {
  revision: string;
  releaseId?: string | null;
  /** an error from apply, or the refusal of desiredFromWorkloadJson (retryable false) */
  error?: SyncFailure;
  now: Date;
}

type Escalations = Map<EscalationReason, { detail: string; since: Date }>;

export const HEAL_ATTEMPT_LIMIT = 5;
export const UNRESOLVED_DRIFT_MS = 10 * 60_000;
export const CRASH_LOOP_RESTARTS = 5;
export const APPLY_FAILURE_LIMIT = 3;
const SEVERITY: Record<EscalationReason, 'warning' | 'critical'> = {
  'heal-attempts-exhausted': 'warning',
  'unresolved-timeout': 'warning',
  'crash-loop': 'critical',
  'progress-deadline': 'critical',
  'apply-failures': 'critical',
};

export function initialSyncState(environment: string, application: string): SyncState {
  return { environment, application, revision: null, releaseId: null, applied: null, applyFailures: null, heal: resetHealTracker(null), driftSince: null, reportedDrift: null, alerts: [], reported: null, reportDue: false };
}

export function alertKeyOf(environment: string, application: string, revision: string, reason: EscalationReason): string {
  return `${environment}/${application}/${revision}/${reason}`;
}

export function evaluate(state: SyncState, { desired, observed, now }: EvaluateInput): SyncResult {
  let s = enterRevision(state, desired.revision, desired.releaseId);
  const revision = desired.revision;
  const decisions: SyncDecision[] = [];
  const wakes: Array<number | null> = [];
  const escalations: Escalations = new Map();
  const blocked = applyBlocked(s, revision, now);
  wakes.push(blocked && s.applyFailures?.retryAt ? Date.parse(s.applyFailures.retryAt) : null);
  applyFailureEscalation(s, revision, escalations, now);

  const applied = s.applied;
  if (applied?.revision !== revision) {
    if (!blocked) decisions.push({ kind: 'apply', revision, reason: 'sync', healAttempt: 0 });
    return finish(s, escalations, decisions, wakes, now);
  }

  const drifts = detectDrift(desired, observed);
  const actionable = drifts.filter((d) => healable(d, desired.prune) || d.class === 'unhealthy');
  const health = applicationHealth(desired, observed);
  if (actionable.length === 0) {
    s = { ...s, driftSince: null, reportedDrift: drifts.length === 0 ? null : s.reportedDrift, heal: health === 'Healthy' ? noteHealthy(s.heal, now) : noteNotHealthy(s.heal) };
    if (s.heal.healthySince !== null && s.heal.entries.length > 0) wakes.push(Date.parse(s.heal.healthySince) + HEALTHY_COOLDOWN_MS);
  } else {
    s = { ...s, driftSince: s.driftSince ?? now.toISOString() };
    s = handleDrift(s, desired, drifts, now, blocked, decisions, escalations, wakes);
  }
  // drift that is only reported (extraneous without prune) still gets its event, once per signature
  if (actionable.length === 0 && drifts.length > 0) s = reportDrift(s, drifts, driftSignature(drifts), 0, null, decisions);

  const crashing = observed.workloads.filter((w) => w.recentRestarts >= CRASH_LOOP_RESTARTS);
  if (crashing.length > 0) {
    escalations.set('crash-loop', { detail: `crash loop: ${crashing.map((w) => `${w.name} restarted ${w.recentRestarts} times in 10 min`).join('; ')}`, since: now });
  }
  const deadline = Date.parse(applied.firstAppliedAt) + desired.progressDeadlineSeconds * 1000;
  if (health === 'Progressing') {
    if (now.getTime() > deadline) escalations.set('progress-deadline', { detail: `still Progressing ${desired.progressDeadlineSeconds} s after ${revision.slice(0, 12)} was first applied`, since: new Date(deadline) });
    else wakes.push(deadline + 1);
  }
  const result = finish(s, escalations, decisions, wakes, now);
  const sync = syncStatusOf(drifts, desired.prune);
  const reported = { revision, sync, health: result.state.alerts.length > 0 ? ('Degraded' as const) : health };
  const last = result.state.reported;
  if (result.state.reportDue || !last || last.revision !== reported.revision || last.sync !== reported.sync || last.health !== reported.health) {
    result.decisions.push({ kind: 'report', ...reported });
    result.state = { ...result.state, reported, reportDue: false };
  }
  return result;
}

export function recordApply(state: SyncState, outcome: ApplyOutcome): SyncResult {
  const { revision, now } = outcome;
  const s = enterRevision(state, revision, outcome.releaseId === undefined ? (state.revision === revision ? state.releaseId : null) : outcome.releaseId);
  const decisions: SyncDecision[] = [];
  const escalations: Escalations = new Map();
  if (outcome.error === undefined) {
    const firstAppliedAt = s.applied?.revision === revision ? s.applied.firstAppliedAt : now.toISOString();
    const next = { ...s, applied: { revision, firstAppliedAt }, applyFailures: null, reportDue: true };
    return finish(next, escalations, decisions, [], now, ['apply-failures']);
  }
  const count = (s.applyFailures?.revision === revision ? s.applyFailures.count : 0) + 1;
  const retryAt = outcome.error.retryable ? new Date(now.getTime() + healDelayMs(count - 1)) : null;
  const next = { ...s, applyFailures: { revision, count, retryAt: retryAt?.toISOString() ?? null } };
  decisions.push({
    kind: 'event',
    event: { type: 'GitOpsSyncFailed', payload: { environment: s.environment, application: s.application, revision, releaseId: s.releaseId, sync: 'OutOfSync', attempt: count, error: outcome.error } },
  });
  applyFailureEscalation(next, revision, escalations, now);
  return finish(next, escalations, decisions, [retryAt?.getTime() ?? null], now, ['apply-failures']);
}

// A new desired revision starts its own counters; what was applied and the alerts stay until resolved.
function enterRevision(state: SyncState, revision: string, releaseId: string | null): SyncState {
  if (state.revision === revision) return state;
  return {
    ...state,
    revision,
    releaseId,
    heal: resetHealTracker(revision),
    driftSince: null,
    reportedDrift: null,
    applyFailures: state.applyFailures?.revision === revision ? state.applyFailures : null,
  };
}

function applyBlocked(s: SyncState, revision: string, now: Date): boolean {
  const failures = s.applyFailures;
  if (failures === null || failures.revision !== revision) return false;
  return failures.retryAt === null || now.getTime() < Date.parse(failures.retryAt);
}

function applyFailureEscalation(s: SyncState, revision: string, escalations: Escalations, now: Date): void {
  const failures = s.applyFailures;
  if (failures && failures.revision === revision && failures.count >= APPLY_FAILURE_LIMIT) {
    escalations.set('apply-failures', { detail: `${failures.count} consecutive failed applies of ${revision.slice(0, 12)}`, since: now });
  }
}

function handleDrift(
  state: SyncState,
  desired: DesiredApplication,
  drifts: Drift[],
  now: Date,
  blocked: boolean,
  decisions: SyncDecision[],
  escalations: Escalations,
  wakes: Array<number | null>,
): SyncState {
  const revision = desired.revision;
  const signature = driftSignature(drifts);
  let heal = noteDrift(state.heal, revision, signature, now);
  // every heal made so far was followed by this observation, which still shows the drift
  const failedHeals = healAttemptsOf(heal, revision, signature);
  const canHeal = drifts.some((d) => healable(d, desired.prune)) && !blocked;
  let attempt = failedHeals;
  let due = nextHealAt(heal, revision, signature);
  if (canHeal && due !== null && now.getTime() >= due.getTime()) {
    heal = recordHealAttempt(heal, revision, signature, now);
    attempt = failedHeals + 1;
    due = nextHealAt(heal, revision, signature);
    decisions.push({ kind: 'apply', revision, reason: 'heal', healAttempt: attempt });
  }
  const s = reportDrift({ ...state, heal }, drifts, signature, attempt, canHeal ? due : null, decisions);
  if (canHeal && due) wakes.push(due.getTime());
  if (failedHeals >= HEAL_ATTEMPT_LIMIT) escalations.set('heal-attempts-exhausted', { detail: `${failedHeals} heals did not clear: ${summary(drifts)}`, since: now });
  const driftSince = Date.parse(s.driftSince ?? now.toISOString());
  if (now.getTime() - driftSince > UNRESOLVED_DRIFT_MS) escalations.set('unresolved-timeout', { detail: `drift unresolved for over ${UNRESOLVED_DRIFT_MS / 60_000} min: ${summary(drifts)}`, since: new Date(driftSince) });
  else wakes.push(driftSince + UNRESOLVED_DRIFT_MS + 1);
  return s;
}

// GitOpsDriftDetected once per (signature, heal attempt): a new drift, or a heal made for it
function reportDrift(s: SyncState, drifts: Drift[], signature: string, healAttempt: number, due: Date | null, decisions: SyncDecision[]): SyncState {
  if (s.reportedDrift?.signature === signature && s.reportedDrift.healAttempt === healAttempt) return s;
  const payload: PayloadOf<'GitOpsDriftDetected'> = {
    environment: s.environment,
    application: s.application,
    revision: s.revision ?? '',
    signature,
    drifts: drifts.map((d) => ({ class: d.class, workload: d.workload, detail: d.detail })),
    healAttempt,
    nextHealAt: due?.toISOString() ?? null,
  };
  // the event goes before the heal it announces
  const applyAt = decisions.findIndex((d) => d.kind === 'apply');
  decisions.splice(applyAt === -1 ? decisions.length : applyAt, 0, { kind: 'event', event: { type: 'GitOpsDriftDetected', payload } });
  return { ...s, reportedDrift: { signature, healAttempt } };
}

// Raise what is active and not raised yet; resolve what was raised and no longer holds. `scope` limits which
// reasons this call can judge (recordApply sees only apply failures).
function finish(
  state: SyncState,
  active: Escalations,
  decisions: SyncDecision[],
  wakes: Array<number | null>,
  now: Date,
  scope?: EscalationReason[],
): SyncResult {
  const revision = state.revision ?? '';
  const keep: ActiveAlert[] = [];
  for (const alert of state.alerts) {
    const judged = scope === undefined || scope.includes(alert.reason);
    if (!judged || (alert.revision === revision && active.has(alert.reason))) {
      keep.push(alert);
      continue;
    }
    const payload = { alertKey: alert.alertKey, environment: state.environment, application: state.application, revision: alert.revision, raisedAt: alert.raisedAt, durationMs: Math.max(0, now.getTime() - Date.parse(alert.raisedAt)) };
    decisions.push({ kind: 'event', event: { type: 'GitOpsAlertResolved', payload } });
  }
  for (const [reason, { detail, since }] of active) {
    const alertKey = alertKeyOf(state.environment, state.application, revision, reason);
    if (keep.some((a) => a.alertKey === alertKey)) continue;
    const common = { environment: state.environment, application: state.application, revision, reason };
    decisions.push({ kind: 'event', event: { type: 'GitOpsDegraded', payload: { ...common, releaseId: state.releaseId, detail: detail.slice(0, 2000), since: since.toISOString() } } });
    decisions.push({ kind: 'event', event: { type: 'GitOpsAlertRaised', payload: { alertKey, ...common, severity: SEVERITY[reason], message: `${state.application} in ${state.environment} is Degraded: ${detail}`.slice(0, 2000) } } });
    keep.push({ alertKey, reason, revision, raisedAt: now.toISOString() });
  }
  const times = wakes.filter((t): t is number => t !== null && t > now.getTime());
  return { state: { ...state, alerts: keep }, decisions, wakeAt: times.length > 0 ? new Date(Math.min(...times)) : null };
}

function summary(drifts: Drift[]): string {
  return drifts.map((d) => `${d.class} ${d.workload}`).join(', ');
}

/** GitOpsSynced for a 'report' decision: the runtime's state after the attempt, as observed. */
export function syncedPayload(
  desired: DesiredApplication,
  observed: ObservedApplication,
  report: { sync: SyncStatus; health: HealthStatus },
  context: { repositoryId: string; durationMs: number },
): PayloadOf<'GitOpsSynced'> {
  const workloads = observed.workloads.slice(0, 100).map((w) => ({
    name: w.name,
    health: w.health,
    replicas: w.replicas,
    readyReplicas: w.readyReplicas,
    restarts: w.restarts,
    ...(w.message === undefined ? {} : { message: w.message.slice(0, 2000) }),
  }));
  const weights = observed.weights ?? (desired.weights.length > 0 ? desired.weights : undefined);
  return {
    environment: desired.environment,
    application: desired.application,
    repositoryId: context.repositoryId,
    revision: desired.revision,
    releaseId: desired.releaseId,
    sync: report.sync,
    health: report.health,
    workloads,
    ...(weights === undefined ? {} : { weights: weights.map(({ slot, weight }) => ({ slot, weight })) }),
    durationMs: Math.max(0, Math.round(context.durationMs)),
  };
}
