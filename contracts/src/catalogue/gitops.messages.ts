import { Type } from '@sinclair/typebox';
import { command, event } from '../message';
import {
  ApplicationName,
  EntityId,
  EnvironmentName,
  Failure,
  HealthStatus,
  Sha,
  StrictObject,
  StringEnum,
  SyncStatus,
  Timestamp,
  TrafficWeight,
} from './shared.schemas';

// GitOps sync (DESIGN §2, issue 6): reconciles each environment's desired state from the GitOps repository
// onto a runtime, reports sync × health per application, heals drift with backoff and escalates what persists.
const context = 'gitops';
const environment = EnvironmentName;
const application = ApplicationName;
const revision = Sha;
const WorkloadState = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  health: HealthStatus,
  replicas: Type.Integer({ minimum: 0 }),
  readyReplicas: Type.Integer({ minimum: 0 }),
  restarts: Type.Integer({ minimum: 0 }),
  message: Type.Optional(Type.String({ maxLength: 2000 })),
});
const DriftClass = StringEnum(['missing-workload', 'spec-mismatch', 'extraneous-workload', 'router-weights', 'unhealthy']);
const EscalationReason = StringEnum(['heal-attempts-exhausted', 'unresolved-timeout', 'crash-loop', 'progress-deadline', 'apply-failures']);
const releaseId = Type.Union([EntityId, Type.Null()], { description: 'the release whose manifest set this revision, when known' });

export const gitopsMessages = [
  command('SyncGitOps', {
    service: 'gitops-sync',
    summary: "Reconcile an environment (or one application of it) to the GitOps repository's desired state now.",
    payload: StrictObject({
      repositoryId: EntityId,
      environment,
      application: Type.Optional(application),
      revision: Type.Optional(Sha),
      prune: Type.Optional(Type.Boolean({ description: 'delete extraneous workloads (opt-in per application)' })),
      reason: Type.Optional(StringEnum(['manual', 'commit', 'merge', 'interval', 'rollback'])),
    }),
  }),
  event('GitOpsSynced', {
    service: 'gitops-sync',
    context,
    summary: 'An application in an environment was reconciled to a revision; sync and health are its state after the attempt.',
    payload: StrictObject({
      environment,
      application,
      repositoryId: EntityId,
      revision,
      releaseId,
      sync: SyncStatus,
      health: HealthStatus,
      workloads: Type.Array(WorkloadState, { maxItems: 100 }),
      weights: Type.Optional(Type.Array(TrafficWeight, { maxItems: 4 })),
      durationMs: Type.Integer({ minimum: 0 }),
    }),
  }),
  event('GitOpsSyncFailed', {
    service: 'gitops-sync',
    context,
    summary: 'Applying desired state failed (invalid manifest, runtime error); the application stays OutOfSync. Tracked apart from drift.',
    payload: StrictObject({ environment, application, revision, releaseId, sync: SyncStatus, attempt: Type.Integer({ minimum: 1 }), error: Failure }),
  }),
  event('GitOpsDriftDetected', {
    service: 'gitops-sync',
    context,
    summary: 'The runtime differs from desired state; a heal is scheduled with backoff per (revision, drift signature).',
    payload: StrictObject({
      environment,
      application,
      revision,
      signature: Type.String({ pattern: '^[0-9a-f]{16,64}$', description: 'stable hash of the drift set' }),
      drifts: Type.Array(
        StrictObject({ class: DriftClass, workload: Type.String({ maxLength: 200 }), detail: Type.String({ maxLength: 2000 }) }),
        { minItems: 1, maxItems: 100 },
      ),
      healAttempt: Type.Integer({ minimum: 0 }),
      nextHealAt: Type.Union([Timestamp, Type.Null()]),
    }),
  }),
  event('GitOpsDegraded', {
    service: 'gitops-sync',
    context,
    summary: 'Drift or failure persisted past its thresholds; the application is Degraded.',
    payload: StrictObject({ environment, application, revision, releaseId, reason: EscalationReason, detail: Type.String({ maxLength: 2000 }), since: Timestamp }),
  }),
  event('GitOpsAlertRaised', {
    service: 'gitops-sync',
    context,
    summary: 'An alert for people, deduplicated per (application, revision, reason).',
    payload: StrictObject({
      alertKey: Type.String({ minLength: 1, maxLength: 300 }),
      environment,
      application,
      revision,
      reason: EscalationReason,
      severity: StringEnum(['warning', 'critical']),
      message: Type.String({ maxLength: 2000 }),
    }),
  }),
  event('GitOpsAlertResolved', {
    service: 'gitops-sync',
    context,
    summary: 'The recovery notice for an earlier alert: the condition cleared.',
    payload: StrictObject({ alertKey: Type.String({ minLength: 1, maxLength: 300 }), environment, application, revision, raisedAt: Timestamp, durationMs: Type.Integer({ minimum: 0 }) }),
  }),
  event('GitOpsRevisionRejected', {
    service: 'gitops-sync',
    context,
    summary: 'A revision was rolled back in Git; auto-sync will never apply it again.',
    payload: StrictObject({ environment, application, revision, rolledBackTo: Sha, releaseId }),
  }),
  event('RuntimeHealthReported', {
    service: 'gitops-sync',
    context,
    summary: 'Probe results and per-revision traffic counters of an application over a window (what health gates read).',
    payload: StrictObject({
      environment,
      application,
      windowStart: Timestamp,
      windowEnd: Timestamp,
      health: HealthStatus,
      probes: Type.Array(
        StrictObject({ revision, path: Type.String({ maxLength: 512 }), status: Type.Union([Type.Integer(), Type.Null()]), ok: Type.Boolean(), latencyMs: Type.Number({ minimum: 0 }) }),
        { maxItems: 100 },
      ),
      traffic: Type.Array(
        StrictObject({
          revision,
          weight: Type.Integer({ minimum: 0, maximum: 100 }),
          requests: Type.Integer({ minimum: 0 }),
          errors5xx: Type.Integer({ minimum: 0 }),
          p50Ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
          p99Ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
        }),
        { maxItems: 4 },
      ),
    }),
  }),
] as const;
