import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope } from '@delivery/contracts';
import type { DesiredApplication, HealthStatus, ObservedApplication, RuntimeAdapter } from '@delivery/gitops-runtime';
import { createEnvelope, PlatformError } from '@delivery/messaging';
import { Timers, type StreamAppend } from '@delivery/service-kit';
import { evaluate, recordApply, type SyncDecision, type SyncFailure, type SyncResult } from '../domain/gitops-sync.decider';
import { assertManualSync, isRejected, recordRollback, revisionRejectedPayload } from '../domain/rejected-revisions.policy';
import { npmTarballResolver } from '../domain/npm-feeds';
import { syncPolicyFromJson } from '../domain/sync-policy.parser';
import { desiredFromWorkloadJson } from '../domain/workload-json.parser';
import { RUNTIME_ADAPTER } from '../runtime.provider';
import { SYNC_SETTINGS, type SyncSettings } from '../triggers/sync.settings';
import { lockRecord, saveRecord, withEvents, type AppKey, type ApplicationRecord, type EventView } from './applications.store';

export const SOURCE = 'gitops-sync';
const SETTLING: readonly HealthStatus[] = ['Progressing', 'Missing'];
export const WAKE_TIMER = 'gitops.wake';
export type Trigger = 'manual' | 'commit' | 'merge' | 'interval' | 'rollback' | 'wake';
export type WakePayload = AppKey;

export interface ReconcileInput {
  key: AppKey;
  revision: string;
  /** workload.json at the revision; null when Git no longer names the application: its workloads are extraneous
   * (pruned when its last policy or the sync says so, else reported) */
  workloadJson: string | null;
  /** the application's sync.json at the revision (its sync policy), undefined when there is none */
  syncPolicyJson?: string;
  trigger: Trigger;
  /** a SyncGitOps' own prune, over the application's policy */
  prune?: boolean;
  /** the rollback this revision is, when it reverts another revision that touched this application */
  rollback?: { revertOf: string; rolledBackTo: string };
  /** the trace of the commit that caused this, when known */
  traceId?: string;
}

/** the events to append, and the health reported when the application is Synced but still settling (Progressing or
 * Missing: someone should look again soon), else null */
export interface Reconciled extends StreamAppend {
  settling: HealthStatus | null;
}

export const appStream = (key: AppKey): string => `gitops-${key.repositoryId}-${key.environment}-${key.application}`;
export const wakeKey = (key: AppKey): string => `wake:${key.tenantId}:${key.repositoryId}:${key.environment}:${key.application}`;

// One application at one revision: parse, observe, let the decider decide, apply what it says, and keep the state
// row and the events in the caller's transaction. Runtime errors that are not an ApplyResult error are thrown:
// the trigger is retried (bus redelivery, timer retry).
@Injectable()
export class ApplicationReconciler {
  constructor(
    @Inject(RUNTIME_ADAPTER) private readonly runtime: RuntimeAdapter,
    private readonly timers: Timers,
    @Inject(SYNC_SETTINGS) private readonly settings: SyncSettings,
  ) {}

  async reconcile(manager: EntityManager, input: ReconcileInput): Promise<Reconciled> {
    const { key, revision } = input;
    const started = Date.now();
    const now = () => new Date();
    // the wake timer before the application's row, as the timer poller does when a wake fires
    await this.timers.hold(manager, wakeKey(key));
    let record = await lockRecord(manager, key);
    const events: Envelope[] = [];
    const emit = (envelope: Envelope) => events.push(envelope);
    const envelope = <T extends Parameters<typeof createEnvelope>[0]>(type: T, payload: Parameters<typeof createEnvelope<T>>[1]) =>
      createEnvelope(type, payload, { source: SOURCE, tenantId: key.tenantId, projectId: key.projectId, ...(input.traceId ? { traceId: input.traceId } : {}) });

    if (input.rollback) {
      const { state, rejected } = recordRollback(record.rejected, { revision, revertOf: input.rollback.revertOf, rolledBackTo: input.rollback.rolledBackTo, releaseId: record.sync.releaseId }, now());
      record = { ...record, rejected: state };
      if (rejected) emit(envelope('GitOpsRevisionRejected', revisionRejectedPayload(state, rejected)));
    }
    if (input.trigger === 'manual') assertManualSync(record.rejected, revision, false);
    else if (isRejected(record.rejected, revision)) return this.finish(manager, key, record, events, null);

    let desired: DesiredApplication;
    try {
      if (input.workloadJson === null) {
        // removed from Git: nothing is wanted any more; the policy it was last applied with still says whether to prune
        if (record.applied === null) return this.finish(manager, key, record, events, null);
        desired = { ...record.applied, revision, releaseId: null, workloads: [], weights: [], prune: input.prune ?? record.applied.prune };
      } else {
        const policy = syncPolicyFromJson(input.syncPolicyJson, revision);
        desired = desiredFromWorkloadJson(input.workloadJson, revision, { environment: key.environment, application: key.application, previous: record.applied, npmTarball: npmTarballResolver(this.settings.npmFeeds), progressDeadlineSeconds: this.settings.progressDeadlineSeconds, prune: input.prune ?? policy.prune });
      }
    } catch (error) {
      if (!(error instanceof PlatformError) || error.disposition !== 'reject') throw error;
      // reported once per revision: nothing is applied until a new revision (or a manual sync) comes
      const failures = record.sync.applyFailures;
      if (input.trigger !== 'manual' && failures?.revision === revision && failures.retryAt === null) return this.finish(manager, key, record, events, null);
      const result = recordApply(record.sync, { revision, releaseId: record.sync.releaseId, error: refusalOf(error), now: now() });
      record = { ...record, sync: result.state, view: { ...record.view, sync: 'OutOfSync', revision } };
      this.emitDecisions(result.decisions, emit, envelope);
      return this.finish(manager, key, record, events, result.wakeAt);
    }

    let observed = await this.runtime.observe(key.environment, key.application);
    let result = evaluate(record.sync, { desired, observed, now: now() });
    let wakeAt = result.wakeAt;
    record = { ...record, sync: result.state };
    let pending = result.decisions;
    // apply, record, and evaluate once more so that a successful apply is reported in the same transaction
    for (let round = 0; round < 2; round++) {
      const apply = pending.find((d) => d.kind === 'apply');
      this.emitDecisions(pending.filter((d) => d.kind === 'event'), emit, envelope);
      for (const report of pending.filter((d) => d.kind === 'report')) {
        if (report.kind !== 'report') continue;
        emit(envelope('GitOpsSynced', syncedPayload(key, desired, observed, report, Date.now() - started)));
        record = { ...record, view: { ...record.view, sync: report.sync, health: report.health, revision, releaseId: desired.releaseId, workloads: workloadsOf(observed) } };
      }
      if (!apply) break;
      const outcome = await this.runtime.apply(desired);
      const applied: SyncResult = recordApply(record.sync, { revision, releaseId: desired.releaseId, ...(outcome.error ? { error: applyFailureOf(outcome.error) } : {}), now: now() });
      record = { ...record, sync: applied.state, ...(outcome.error ? { view: { ...record.view, sync: 'OutOfSync' as const, revision } } : { applied: desired }) };
      this.emitDecisions(applied.decisions, emit, envelope);
      wakeAt = earliest(wakeAt, applied.wakeAt);
      if (outcome.error) break;
      observed = await this.runtime.observe(key.environment, key.application);
      result = evaluate(record.sync, { desired, observed, now: now() });
      record = { ...record, sync: result.state };
      wakeAt = earliest(applied.wakeAt, result.wakeAt);
      pending = result.decisions.filter((d) => d.kind !== 'apply');
    }
    return this.finish(manager, key, record, events, wakeAt, true);
  }

  private emitDecisions(decisions: SyncDecision[], emit: (e: Envelope) => void, envelope: (type: never, payload: never) => Envelope): void {
    for (const decision of decisions) {
      if (decision.kind === 'event') emit(envelope(decision.event.type as never, decision.event.payload as never));
    }
  }

  private async finish(manager: EntityManager, key: AppKey, record: ApplicationRecord, events: Envelope[], wakeAt: Date | null, evaluated = false): Promise<Reconciled> {
    const views: EventView[] = events.map((e) => ({ type: e.type, revision: revisionOf(e.payload), at: e.occurredAt, summary: summaryOf(e) }));
    await saveRecord(manager, key, { ...record, view: withEvents(record.view, views) });
    // the decider wakes for heals, retries and deadlines; a rollout's progress is only seen by looking again
    const settling = record.view.sync === 'Synced' && SETTLING.includes(record.view.health);
    if (settling) wakeAt = earliest(wakeAt, new Date(Date.now() + this.settings.settleMs));
    if (wakeAt) await this.timers.schedule(manager, { key: wakeKey(key), kind: WAKE_TIMER, dueAt: wakeAt, payload: key satisfies WakePayload });
    // evaluate derives every wake it wants from the state, and each reconcile moves the one timer: when an evaluation
    // wants none, an earlier settle wake is stale (the rollout was seen settled) and would only re-evaluate. Paths
    // that returned before evaluating (rejected revision, refused workload.json) leave a pending heal or retry alone.
    else if (evaluated) await this.timers.cancel(manager, wakeKey(key));
    return { stream: appStream(key), events, settling: settling ? record.view.health : null };
  }
}

function syncedPayload(key: AppKey, desired: DesiredApplication, observed: ObservedApplication, report: Extract<SyncDecision, { kind: 'report' }>, durationMs: number) {
  return {
    environment: key.environment,
    application: key.application,
    repositoryId: key.repositoryId,
    revision: report.revision,
    releaseId: desired.releaseId,
    sync: report.sync,
    health: report.health,
    workloads: workloadsOf(observed).slice(0, 100),
    ...(observed.weights ? { weights: observed.weights.slice(0, 4) } : {}),
    durationMs: Math.max(0, Math.round(durationMs)),
  };
}

function workloadsOf(observed: ObservedApplication) {
  return observed.workloads.map((w) => ({
    name: w.name,
    health: w.health,
    replicas: w.replicas,
    readyReplicas: w.readyReplicas,
    restarts: w.restarts,
    ...(w.message !== undefined ? { message: w.message.slice(0, 2000) } : {}),
  }));
}

// the parser's refusal: never retryable, its reasons become the failure's details
function refusalOf(error: PlatformError): SyncFailure {
  const reasons = Array.isArray(error.details?.reasons) ? (error.details.reasons as Array<{ subject: string; message: string }>) : [];
  return { code: error.code, message: error.message.slice(0, 4000), retryable: false, ...(reasons.length > 0 ? { details: reasons.slice(0, 100) } : {}) };
}

// the Kubernetes adapter's codes are Status reasons (Invalid, Conflict…): the contract wants lowercase dotted codes;
// the local adapter's codes are dotted already (runtime.artifact-unavailable) and are kept
function applyFailureOf(error: { code: string; message: string }): SyncFailure {
  const code = /^runtime\.[a-z0-9.-]+$/.test(error.code) ? error.code : `runtime.${error.code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-') || 'error'}`;
  return { code, message: error.message.slice(0, 4000) || 'apply failed', retryable: error.code === 'Conflict' };
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function revisionOf(payload: unknown): string | null {
  const revision = (payload as { revision?: unknown }).revision;
  return typeof revision === 'string' ? revision : null;
}

function summaryOf(event: Envelope): string {
  const p = event.payload as Record<string, unknown>;
  switch (event.type) {
    case 'GitOpsSynced':
      return `${String(p.sync)} / ${String(p.health)}`;
    case 'GitOpsSyncFailed':
      return String((p.error as { message?: string } | undefined)?.message ?? 'failed');
    case 'GitOpsRevisionRejected':
      return `rolled back to ${String(p.rolledBackTo).slice(0, 12)}`;
    case 'GitOpsDriftDetected':
      return `${(p.drifts as unknown[]).length} drift(s), heal attempt ${String(p.healAttempt)}`;
    default:
      return String(p.detail ?? p.alertKey ?? '');
  }
}
