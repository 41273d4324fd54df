import { Type } from '@sinclair/typebox';
import { Actor } from '../envelope';
import { command, event } from '../message';
import {
  BranchName,
  ChangeSummary,
  Comment,
  EntityId,
  EnvironmentName,
  Failure,
  RepoPath,
  ResourceChange,
  Sha,
  Sha256Digest,
  StackName,
  StrictObject,
  StringEnum,
  StringMap,
} from './shared.schemas';

// IaC provisioning (DESIGN §2 and the infrastructure flow of §9): plan on the request branch, post the plan on
// the pull request, approve (destroys explicitly), re-plan and compare before applying, merge only after success.
const context = 'infrastructure';
const planId = EntityId;
const environment = EnvironmentName;
const Engine = StringEnum(['local', 'pulumi']);
const Stack = { stack: StackName, environment };
const Cost = StrictObject({
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  monthlyDelta: Type.Number({ description: 'estimated change of the monthly cost' }),
  monthlyTotal: Type.Optional(Type.Number({ minimum: 0 })),
});
const BlastRadius = StrictObject({
  resources: Type.Integer({ minimum: 0, description: 'resources touched' }),
  destroys: Type.Integer({ minimum: 0, description: 'resources deleted or replaced' }),
  dependents: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 200, description: 'resources and services depending on what changes' }),
});
const DriftItem = StrictObject({
  address: Type.String({ minLength: 1, maxLength: 500 }),
  type: Type.String({ minLength: 1, maxLength: 200 }),
  kind: StringEnum(['changed', 'missing', 'unmanaged', 'plan-differs']),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })),
});

export const infrastructureMessages = [
  command('PlanInfrastructure', {
    service: 'iac-provisioning',
    summary: 'Plan the IaC change on a request branch; the plan (changes, cost, blast radius) is posted on the pull request.',
    payload: StrictObject({
      repositoryId: EntityId,
      branch: BranchName,
      sha: Type.Optional(Sha),
      path: RepoPath,
      ...Stack,
      pullRequestId: Type.Optional(EntityId),
      engine: Type.Optional(Engine),
    }),
  }),
  event('InfrastructurePlanned', {
    service: 'iac-provisioning',
    context,
    summary: 'A plan exists for a stack at a commit; planDigest identifies exactly what would be applied.',
    payload: StrictObject({
      planId,
      repositoryId: EntityId,
      branch: BranchName,
      sha: Sha,
      ...Stack,
      pullRequestId: Type.Union([EntityId, Type.Null()]),
      engine: Engine,
      changes: Type.Array(ResourceChange, { maxItems: 1000 }),
      summary: ChangeSummary,
      cost: Type.Union([Cost, Type.Null()], { description: 'null when the engine cannot estimate' }),
      blastRadius: BlastRadius,
      planDigest: Sha256Digest,
      requiresDestroyApproval: Type.Boolean(),
    }),
  }),
  event('InfrastructurePlanFailed', {
    service: 'iac-provisioning',
    context,
    summary: 'The IaC program or its plan failed.',
    payload: StrictObject({ repositoryId: EntityId, branch: BranchName, ...Stack, error: Failure }),
  }),
  command('ApproveInfrastructure', {
    service: 'iac-provisioning',
    summary: 'Approve a plan; a plan that deletes or replaces resources needs approveDestroys.',
    payload: StrictObject({ planId, planDigest: Type.Optional(Sha256Digest), approveDestroys: Type.Optional(Type.Boolean()), comment: Type.Optional(Comment) }),
  }),
  event('InfrastructureApproved', {
    service: 'iac-provisioning',
    context,
    summary: 'A plan was approved by someone other than its requester.',
    payload: StrictObject({ planId, ...Stack, planDigest: Sha256Digest, approvedBy: Actor, approveDestroys: Type.Boolean(), comment: Type.Optional(Comment) }),
  }),
  command('RejectInfrastructure', {
    service: 'iac-provisioning',
    summary: 'Reject a plan, with a comment.',
    payload: StrictObject({ planId, comment: Comment }),
  }),
  event('InfrastructureRejected', {
    service: 'iac-provisioning',
    context,
    summary: 'A plan was rejected; it can no longer be applied.',
    payload: StrictObject({ planId, ...Stack, rejectedBy: Actor, comment: Comment }),
  }),
  command('ProvisionInfrastructure', {
    service: 'iac-provisioning',
    summary: 'Apply an approved plan: re-plan first and refuse when the result differs from the approved plan.',
    payload: StrictObject({ planId, expectedPlanDigest: Type.Optional(Sha256Digest) }),
  }),
  event('InfrastructureProvisioned', {
    service: 'iac-provisioning',
    context,
    summary: 'An approved plan was applied; the request branch may now merge.',
    payload: StrictObject({
      planId,
      ...Stack,
      sha: Sha,
      planDigest: Sha256Digest,
      applied: ChangeSummary,
      outputs: StringMap('^[A-Za-z_][A-Za-z0-9_.-]{0,127}$', Type.String({ maxLength: 4096 }), { maxProperties: 200, description: 'non-secret stack outputs' }),
      durationMs: Type.Integer({ minimum: 0 }),
    }),
  }),
  event('InfrastructureApplyFailed', {
    service: 'iac-provisioning',
    context,
    summary: 'Applying a plan failed; the pull request stays open. partial lists what was applied before the failure.',
    payload: StrictObject({ planId, ...Stack, sha: Sha, partial: Type.Array(ResourceChange, { maxItems: 1000 }), error: Failure }),
  }),
  command('DetectInfrastructureDrift', {
    service: 'iac-provisioning',
    summary: 'Refresh a stack and compare the real resources with the last applied state.',
    payload: StrictObject({ ...Stack }),
  }),
  event('InfrastructureDriftDetected', {
    service: 'iac-provisioning',
    context,
    summary: 'Real resources differ from the applied state, or a re-plan differs from the approved plan (which blocks the apply).',
    payload: StrictObject({
      ...Stack,
      planId: Type.Union([planId, Type.Null()]),
      source: StringEnum(['refresh', 're-plan']),
      blocking: Type.Boolean(),
      drifted: Type.Array(DriftItem, { minItems: 1, maxItems: 1000 }),
    }),
  }),
  event('InfrastructureCommandRejected', {
    service: 'iac-provisioning',
    context,
    summary: 'An infrastructure command was refused (self-approval, missing destroy approval, unknown or stale plan).',
    payload: StrictObject({
      planId: Type.Union([planId, Type.Null()]),
      command: StringEnum(['PlanInfrastructure', 'ApproveInfrastructure', 'RejectInfrastructure', 'ProvisionInfrastructure', 'DetectInfrastructureDrift']),
      error: Failure,
    }),
  }),
] as const;
