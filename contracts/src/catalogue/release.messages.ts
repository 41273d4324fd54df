import { Type } from '@sinclair/typebox';
import { Actor } from '../envelope';
import { command, event } from '../message';
import {
  ApplicationName,
  Comment,
  EntityId,
  EnvironmentName,
  EnvironmentStage,
  Failure,
  GitOpsTarget,
  HealthGate,
  ReleaseArtifacts,
  RepoPath,
  Sha,
  Sha256Digest,
  Strategy,
  StrictObject,
  StringEnum,
  Timestamp,
  TrafficWeight,
  Version,
  WorkloadSpec,
} from './shared.schemas';

// Release (plan + saga), environment promotion and deployment manifests (DESIGN §2 and §9, issue 4).
// Every transition of a ReleasePlan is an event; the saga reacts to them and issues the next command.
const context = 'release';
const releaseId = EntityId;
const environment = EnvironmentName;
const ApproverRole = StringEnum(['staff', 'client']);
const Rule = Type.String({ minLength: 1, maxLength: 200, description: 'the policy rule that made the decision, e.g. prod/staff+client' });
const Revision = Sha;

const Plan = {
  releaseId,
  application: ApplicationName,
  version: Version,
  buildId: EntityId,
  repositoryId: EntityId,
  sourceSha: Sha,
  artifacts: ReleaseArtifacts,
  workload: WorkloadSpec,
  environments: Type.Array(EnvironmentStage, { minItems: 1, maxItems: 10, description: 'the promotion path, in order' }),
  notes: Type.Optional(Type.String({ maxLength: 8000 })),
};
const ReleaseCommand = StringEnum(['PlanRelease', 'ReviseRelease', 'SubmitRelease', 'ApproveRelease', 'RejectRelease', 'RetryRelease']);
const GateObservation = StrictObject({
  httpStatus: Type.Optional(Type.Integer()),
  consecutiveSuccesses: Type.Optional(Type.Integer({ minimum: 0 })),
  requests: Type.Optional(Type.Integer({ minimum: 0 })),
  errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  p99Ms: Type.Optional(Type.Number({ minimum: 0 })),
  soakedSeconds: Type.Optional(Type.Number({ minimum: 0 })),
});
const GateResult = StrictObject({ gate: HealthGate, passed: Type.Boolean(), observed: GateObservation, message: Type.String({ maxLength: 2000 }) });
const CanaryStep = Type.Union([StrictObject({ index: Type.Integer({ minimum: 0 }), weight: Type.Integer({ minimum: 0, maximum: 100 }) }), Type.Null()], {
  description: 'the strategy step the gate belongs to; null for a single-step strategy',
});

export const releaseMessages = [
  // --- release (ReleasePlan decider + release saga)
  command('PlanRelease', {
    service: 'release',
    summary: 'Plan a release of a succeeded build through an environment path, with a strategy and gates per environment.',
    payload: StrictObject({ ...Plan, releaseId: Type.Optional(releaseId) }),
  }),
  event('ReleasePlanned', {
    service: 'release',
    context,
    summary: 'A release plan exists (state Planned).',
    payload: StrictObject({ ...Plan, plannedBy: Actor, revision: Type.Integer({ minimum: 1 }) }),
  }),
  command('ReviseRelease', {
    service: 'release',
    summary: 'Revise a planned or rejected release (artifacts, path, strategies); it returns to Planned.',
    payload: StrictObject({
      releaseId,
      reason: Comment,
      version: Type.Optional(Version),
      buildId: Type.Optional(EntityId),
      sourceSha: Type.Optional(Sha),
      artifacts: Type.Optional(ReleaseArtifacts),
      workload: Type.Optional(WorkloadSpec),
      environments: Type.Optional(Plan.environments),
      notes: Type.Optional(Type.String({ maxLength: 8000 })),
    }),
  }),
  event('ReleaseRevised', {
    service: 'release',
    context,
    summary: 'A release plan was revised; the payload is the whole new plan.',
    payload: StrictObject({ ...Plan, revisedBy: Actor, revision: Type.Integer({ minimum: 2 }), reason: Comment }),
  }),
  command('SubmitRelease', {
    service: 'release',
    summary: 'Submit a planned release for approval.',
    payload: StrictObject({ releaseId, comment: Type.Optional(Comment) }),
  }),
  event('ReleaseSubmitted', {
    service: 'release',
    context,
    summary: 'A release awaits approvals (state PendingApproval); the required approvals per environment are listed.',
    payload: StrictObject({
      releaseId,
      revision: Type.Integer({ minimum: 1 }),
      requiredApprovals: Type.Array(
        StrictObject({
          environment,
          roles: Type.Array(ApproverRole, { maxItems: 5, description: 'one distinct approver per entry' }),
          rule: Rule,
          autoApprove: Type.Boolean({ description: 'approved by policy, without people (a ReleaseApproved follows at once)' }),
        }),
        { maxItems: 10 },
      ),
      expiresAt: Type.Union([Timestamp, Type.Null()]),
    }),
  }),
  command('ApproveRelease', {
    service: 'release',
    summary: 'Approve a release for an environment; the approver (envelope actor) must differ from the planner and other approvers.',
    payload: StrictObject({ releaseId, environment, role: ApproverRole, comment: Type.Optional(Comment) }),
  }),
  event('ReleaseApprovalRecorded', {
    service: 'release',
    context,
    summary: 'One approval was counted toward an environment (idempotent per approver).',
    payload: StrictObject({ releaseId, environment, approver: Actor, role: ApproverRole, rule: Rule, at: Timestamp, expiresAt: Type.Union([Timestamp, Type.Null()]) }),
  }),
  event('ReleaseApprovalExpired', {
    service: 'release',
    context,
    summary: 'An approval expired before its environment was promoted and no longer counts.',
    payload: StrictObject({ releaseId, environment, approver: Actor, role: ApproverRole, expiredAt: Timestamp }),
  }),
  event('ReleaseApproved', {
    service: 'release',
    context,
    summary: "An environment's approval policy is satisfied (auto-approval included).",
    payload: StrictObject({
      releaseId,
      environment,
      rule: Rule,
      approvals: Type.Array(StrictObject({ approver: Actor, role: ApproverRole, at: Timestamp }), { maxItems: 10 }),
      windowOpensAt: Type.Union([Timestamp, Type.Null()], { description: 'set when a deployment window delays the promotion' }),
    }),
  }),
  command('RejectRelease', {
    service: 'release',
    summary: 'Reject a release awaiting approval, with a comment.',
    payload: StrictObject({ releaseId, environment: Type.Optional(environment), comment: Comment }),
  }),
  event('ReleaseRejected', {
    service: 'release',
    context,
    summary: 'A release was rejected (state Rejected; a revision returns it to Planned).',
    payload: StrictObject({ releaseId, environment: Type.Union([environment, Type.Null()]), rejectedBy: Actor, comment: Comment }),
  }),
  event('ReleasePromotionStarted', {
    service: 'release',
    context,
    summary: 'The saga started promoting the release to an environment (state Promoting).',
    payload: StrictObject({ releaseId, environment, attempt: Type.Integer({ minimum: 1 }) }),
  }),
  event('ReleaseEnvironmentPromoted', {
    service: 'release',
    context,
    summary: 'One environment of the path runs the release (the saga saw its DeploymentPromoted); the next may start.',
    payload: StrictObject({ releaseId, environment, attempt: Type.Integer({ minimum: 1 }), revision: Revision, promotedAt: Timestamp }),
  }),
  event('ReleaseDeployed', {
    service: 'release',
    context,
    summary: 'Every environment of the path was promoted (state Deployed).',
    payload: StrictObject({
      releaseId,
      application: ApplicationName,
      version: Version,
      environments: Type.Array(StrictObject({ environment, revision: Revision, promotedAt: Timestamp }), { maxItems: 10 }),
    }),
  }),
  event('ReleaseFailed', {
    service: 'release',
    context,
    summary: 'A promotion failed (state Failed); rolledBack says whether the environment returned to its last healthy revision.',
    payload: StrictObject({ releaseId, environment, attempt: Type.Integer({ minimum: 1 }), rolledBack: Type.Boolean(), error: Failure }),
  }),
  command('RetryRelease', {
    service: 'release',
    summary: 'Resume a failed release after a fix, from the failed environment (or a named one).',
    payload: StrictObject({ releaseId, reason: Comment, fromEnvironment: Type.Optional(environment) }),
  }),
  event('ReleaseRetried', {
    service: 'release',
    context,
    summary: 'A failed release resumes promoting.',
    payload: StrictObject({ releaseId, fromEnvironment: environment, attempt: Type.Integer({ minimum: 2 }), reason: Comment }),
  }),
  event('ReleaseCommandRejected', {
    service: 'release',
    context,
    summary: 'A release command was refused (failed build, segregation of duties, outside a window, illegal transition).',
    payload: StrictObject({ releaseId: Type.Union([releaseId, Type.Null()]), command: ReleaseCommand, error: Failure }),
  }),

  // --- environment-promotion
  command('PromoteDeployment', {
    service: 'environment-promotion',
    summary: 'Promote a release into one environment: render, commit to GitOps, wait for sync, run the strategy and gates.',
    payload: StrictObject({
      releaseId,
      environment,
      application: ApplicationName,
      version: Version,
      artifacts: ReleaseArtifacts,
      workload: WorkloadSpec,
      strategy: Strategy,
      healthGates: Type.Array(HealthGate, { maxItems: 20 }),
      gitops: GitOpsTarget,
      attempt: Type.Integer({ minimum: 1 }),
    }),
  }),
  event('TrafficShifted', {
    service: 'environment-promotion',
    context,
    summary: 'A canary or blue-green step changed the traffic split of an environment.',
    payload: StrictObject({ releaseId, environment, revision: Revision, step: CanaryStep, weights: Type.Array(TrafficWeight, { minItems: 1, maxItems: 4 }) }),
  }),
  event('HealthGateEvaluated', {
    service: 'environment-promotion',
    context,
    summary: 'A health gate passed or failed for a revision (per strategy step).',
    payload: StrictObject({ releaseId, environment, revision: Revision, step: CanaryStep, ...GateResult.properties }),
  }),
  event('DeploymentPromoted', {
    service: 'environment-promotion',
    context,
    summary: 'An environment runs the release and every gate passed.',
    payload: StrictObject({
      releaseId,
      environment,
      application: ApplicationName,
      version: Version,
      revision: Revision,
      strategy: StringEnum(['rolling', 'blue-green', 'canary']),
      gates: Type.Array(GateResult, { maxItems: 200 }),
      durationMs: Type.Integer({ minimum: 0 }),
    }),
  }),
  event('PromotionFailed', {
    service: 'environment-promotion',
    context,
    summary: 'A promotion could not complete (render, commit, sync or a gate failed, or a deadline passed).',
    payload: StrictObject({
      releaseId,
      environment,
      revision: Type.Union([Revision, Type.Null()]),
      stage: StringEnum(['render', 'commit', 'sync', 'health-gate', 'traffic', 'deadline']),
      failedGate: Type.Optional(GateResult),
      error: Failure,
    }),
  }),
  command('RollbackDeployment', {
    service: 'environment-promotion',
    summary: "Return an environment to its last healthy revision by reverting the desired state in Git.",
    payload: StrictObject({ releaseId, environment, toRevision: Type.Optional(Revision), reason: Comment }),
  }),
  event('DeploymentRolledBack', {
    service: 'environment-promotion',
    context,
    summary: 'The desired state of an environment was reverted in Git and the previous revision serves again.',
    payload: StrictObject({ releaseId, environment, fromRevision: Revision, toRevision: Revision, revertSha: Sha, reason: Comment }),
  }),

  // --- deployment-manifest
  command('RenderManifest', {
    service: 'deployment-manifest',
    summary: 'Render the manifests of one application in one environment (deterministic) and commit them to the GitOps repository.',
    payload: StrictObject({
      releaseId,
      environment,
      application: ApplicationName,
      version: Version,
      artifacts: ReleaseArtifacts,
      workload: WorkloadSpec,
      strategy: Strategy,
      trafficWeights: Type.Optional(Type.Array(TrafficWeight, { maxItems: 4 })),
      gitops: GitOpsTarget,
    }),
  }),
  event('DeploymentManifestRendered', {
    service: 'deployment-manifest',
    context,
    summary: 'The manifests are committed to the GitOps repository; revision is the commit GitOps sync will report.',
    payload: StrictObject({
      releaseId,
      environment,
      application: ApplicationName,
      repositoryId: EntityId,
      branch: GitOpsTarget.properties.branch,
      files: Type.Array(StrictObject({ path: RepoPath, digest: Sha256Digest }), { minItems: 1, maxItems: 50 }),
      contentDigest: Sha256Digest,
      changed: Type.Boolean({ description: 'false when the repository already held these bytes (no new commit)' }),
      revision: Revision,
    }),
  }),
  event('DeploymentManifestRenderFailed', {
    service: 'deployment-manifest',
    context,
    summary: 'Manifests could not be rendered or committed.',
    payload: StrictObject({ releaseId, environment, application: ApplicationName, error: Failure }),
  }),
] as const;
