import type { Actor, PayloadOf } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';

// The ReleasePlan aggregate as a decider (DESIGN §4, issue 4): decide(command, state, context) → events and
// evolve(state, event) → state, both pure. The approval policy, the deployment window, the build lookup and the
// clock run outside; their conclusions arrive in the context. The release saga drives promotions through the
// internal commands StartPromotion, RecordPromotion, FailPromotion and ExpireApproval defined here: each
// environment is started, then recorded as promoted (ReleaseEnvironmentPromoted) before the next one may start.

export type ReleaseStatus = 'none' | 'planned' | 'pending-approval' | 'approved' | 'rejected' | 'promoting' | 'deployed' | 'failed';
import { sameActor, type ApproverRole } from './approval-policy';

export type { ApproverRole };
export type ReleaseFailure = PayloadOf<'ReleaseFailed'>['error'];
/** The plan as ReleasePlanned and ReleaseRevised carry it. */
export type ReleasePlan = Omit<PayloadOf<'ReleasePlanned'>, 'plannedBy' | 'revision'>;
export type PlannedRelease = ReleasePlan & { revision: number; plannedBy: Actor; revisedBy: Actor | null };
export type BuildStatus = 'Succeeded' | 'Failed' | 'Canceled' | 'Running';

/** at: when the approval was given (ReleaseApprovalRecorded) */
export interface ReleaseApproval { approver: Actor; role: ApproverRole; at: string; expiresAt: string | null }

export interface EnvironmentState {
  name: string;
  /** from ReleaseSubmitted: one distinct approver per entry */
  roles: ApproverRole[];
  rule: string | null;
  /** approved by policy, without people (from ReleaseSubmitted) */
  autoApprove: boolean;
  /** the latest approval of each approver that still counts */
  approvals: ReleaseApproval[];
  /** at: the latest approval's time, null when auto-approved */
  approved: { rule: string; at: string | null; windowOpensAt: string | null } | null;
  /** the attempt of the latest ReleasePromotionStarted (0: never started) */
  attempts: number;
  /** recorded by ReleaseEnvironmentPromoted (or ReleaseDeployed); a retry from here or earlier clears it */
  promoted: boolean;
  /** the revision running there and since when, set with promoted */
  promotion: { revision: string; promotedAt: string } | null;
}

/**
 * With several environments, 'approved' means the next environment to promote (the first not promoted) is
 * approved, and 'pending-approval' that it is not; later environments may still await their approvals. This
 * holds before the first promotion and between environments (one promoted, the next not started yet);
 * 'promoting' means an environment is in flight, or a retry waits for its StartPromotion.
 */
export interface ReleaseState {
  status: ReleaseStatus;
  releaseId: string;
  plan: PlannedRelease | null;
  /** the promotion path, in order */
  environments: EnvironmentState[];
  approvalsExpireAt: string | null;
  /** the environment whose ReleasePromotionStarted has no outcome (promoted or failed) yet */
  promoting: string | null;
  /** a ReleaseRetried waiting for its StartPromotion */
  retry: { fromEnvironment: string; attempt: number } | null;
  rejection: { environment: string | null; rejectedBy: Actor; comment: string } | null;
  lastFailure: { environment: string; attempt: number; rolledBack: boolean; error: ReleaseFailure } | null;
}

export const initialState: ReleaseState = { status: 'none', releaseId: '', plan: null, environments: [], approvalsExpireAt: null, promoting: null, retry: null, rejection: null, lastFailure: null };

const EVENT_TYPES = [
  ...['ReleasePlanned', 'ReleaseRevised', 'ReleaseSubmitted', 'ReleaseApprovalRecorded', 'ReleaseApprovalExpired', 'ReleaseApproved'] as const,
  ...['ReleaseRejected', 'ReleasePromotionStarted', 'ReleaseEnvironmentPromoted', 'ReleaseDeployed', 'ReleaseFailed', 'ReleaseRetried'] as const,
] as const;
export type ReleaseEventType = (typeof EVENT_TYPES)[number];
type EventOf<T extends ReleaseEventType> = { type: T; payload: PayloadOf<T> };
export type ReleaseEvent = { [T in ReleaseEventType]: EventOf<T> }[ReleaseEventType];
/** ReleaseCommandRejected is not one: a refusal goes to another stream and never moves the plan. */
export const RELEASE_EVENT_TYPES: ReadonlySet<string> = new Set<ReleaseEventType>(EVENT_TYPES);

// Internal commands of the release saga (never on the bus).
export interface StartPromotion { releaseId: string; environment: string; attempt: number }
/** the saga saw DeploymentPromoted for the environment */
export interface RecordPromotion { releaseId: string; environment: string; revision: string; promotedAt: Date }
export interface FailPromotion { releaseId: string; environment: string; attempt: number; rolledBack: boolean; error: ReleaseFailure }
/** a timer: the approval's expiresAt passed */
export interface ExpireApproval { releaseId: string; environment: string; approver: Actor; role: ApproverRole; expiredAt: Date }

export interface ReleaseCommandPayloads {
  PlanRelease: PayloadOf<'PlanRelease'>;
  ReviseRelease: PayloadOf<'ReviseRelease'>;
  SubmitRelease: PayloadOf<'SubmitRelease'>;
  ApproveRelease: PayloadOf<'ApproveRelease'>;
  RejectRelease: PayloadOf<'RejectRelease'>;
  RetryRelease: PayloadOf<'RetryRelease'>;
  StartPromotion: StartPromotion;
  RecordPromotion: RecordPromotion;
  FailPromotion: FailPromotion;
  ExpireApproval: ExpireApproval;
}
export type ReleaseCommandType = keyof ReleaseCommandPayloads;
export type ReleaseCommand<T extends ReleaseCommandType = ReleaseCommandType> = { type: T; payload: ReleaseCommandPayloads[T] };

/** What each command needs from outside the aggregate: the actor, the clock, the build and the policy's conclusions. */
export interface DecideContexts {
  PlanRelease: { releaseId: string; actor: Actor; now: Date; build: { status: BuildStatus } | undefined };
  /** build: the build the revision names, when it names one */
  ReviseRelease: { actor: Actor; now: Date; build?: { status: BuildStatus } | undefined };
  SubmitRelease: { actor: Actor; now: Date; requiredApprovals: Array<{ environment: string; roles: ApproverRole[]; rule: string; autoApprove: boolean }>; expiresAt: Date | null };
  /** satisfied: the environment's policy is satisfied with this approval counted */
  ApproveRelease: { actor: Actor; now: Date; decision: { outcome: 'recorded' | 'duplicate'; rule: string; expiresAt: Date | null }; satisfied: { rule: string; windowOpensAt: Date | null } | null };
  RejectRelease: { actor: Actor; now: Date };
  RetryRelease: { actor: Actor; now: Date };
  StartPromotion: { now: Date };
  RecordPromotion: { now: Date };
  FailPromotion: { now: Date };
  ExpireApproval: { now: Date };
}

type Decide<T extends ReleaseCommandType> = (payload: ReleaseCommandPayloads[T], state: ReleaseState, context: DecideContexts[T]) => ReleaseEvent[];

export function decide<T extends ReleaseCommandType>(command: ReleaseCommand<T>, state: ReleaseState, context: DecideContexts[T]): ReleaseEvent[] {
  return (DECIDERS[command.type] as Decide<T>)(command.payload, state, context);
}


const DECIDERS: { [T in ReleaseCommandType]: Decide<T> } = {
  PlanRelease(payload, state, context) {
    if (state.status !== 'none') throw illegal('PlanRelease', state);
    assertBuild(context.build, payload.buildId);
    assertPath(payload.environments);
    const { releaseId: _requested, ...plan } = payload;
    return [{ type: 'ReleasePlanned', payload: { ...plan, releaseId: context.releaseId, plannedBy: context.actor, revision: 1 } }];
  },

  ReviseRelease(payload, state, context) {
    const plan = existing(state, 'ReviseRelease', ['planned', 'rejected']);
    if (payload.buildId !== undefined) assertBuild(context.build, payload.buildId);
    const environments = payload.environments ?? plan.environments;
    assertPath(environments);
    const notes = payload.notes ?? plan.notes;
    const revised = {
      releaseId: plan.releaseId, application: plan.application, repositoryId: plan.repositoryId, version: payload.version ?? plan.version, buildId: payload.buildId ?? plan.buildId,
      sourceSha: payload.sourceSha ?? plan.sourceSha, artifacts: payload.artifacts ?? plan.artifacts, workload: payload.workload ?? plan.workload, environments,
    };
    return [{ type: 'ReleaseRevised', payload: { ...revised, ...(notes === undefined ? {} : { notes }), revisedBy: context.actor, revision: plan.revision + 1, reason: payload.reason } }];
  },

  SubmitRelease(_payload, state, context) {
    const plan = existing(state, 'SubmitRelease', ['planned']);
    // the policy must conclude for every environment of the path, and only for those
    const path = plan.environments.map((e) => e.name);
    const named = context.requiredApprovals.map((r) => r.environment);
    const unmatched = [...path.filter((p) => named.filter((n) => n === p).length !== 1), ...named.filter((n) => !path.includes(n))];
    if (unmatched.length > 0) {
      throw new ValidationError('release.approvals-incomplete', `the required approvals must name each environment of the path once; check ${[...new Set(unmatched)].join(', ')}`);
    }
    const required = path.map((name) => context.requiredApprovals.find((r) => r.environment === name)).filter((r) => r !== undefined);
    const submitted: ReleaseEvent = {
      type: 'ReleaseSubmitted',
      payload: { releaseId: plan.releaseId, revision: plan.revision, requiredApprovals: required.map(({ environment, roles, rule, autoApprove }) => ({ environment, roles, rule, autoApprove })), expiresAt: isoOrNull(context.expiresAt) },
    };
    const autoApproved = required
      .filter((r) => r.autoApprove)
      .map((r): ReleaseEvent => ({ type: 'ReleaseApproved', payload: { releaseId: plan.releaseId, environment: r.environment, rule: r.rule, approvals: [], windowOpensAt: null } }));
    return [submitted, ...autoApproved];
  },

  ApproveRelease(payload, state, context) {
    const plan = existing(state, 'ApproveRelease', ['pending-approval', 'approved', 'promoting', 'failed']);
    const target = environmentOf(state, payload.environment);
    // segregation of duties is the policy's; this is the last line of defence (agents included)
    const author = [plan.plannedBy, plan.revisedBy].find((a) => a !== null && sameActor(a, context.actor));
    if (author) throw new ForbiddenError('release.approver-is-planner', `${author.kind} ${author.id} planned or revised release ${plan.releaseId} and cannot approve it`);
    if (target.promoted) throw new IllegalStateError('release.environment-already-promoted', `${target.name} was already promoted; approving it changes nothing`);
    if (context.decision.outcome === 'duplicate') return [];
    const { rule, expiresAt } = context.decision;
    const recorded: ReleaseEvent = {
      type: 'ReleaseApprovalRecorded',
      payload: { releaseId: plan.releaseId, environment: target.name, approver: context.actor, role: payload.role, rule, at: context.now.toISOString(), expiresAt: isoOrNull(expiresAt) },
    };
    if (context.satisfied === null || target.approved !== null) return [recorded];
    const counted = environmentOf(evolve(state, recorded), target.name).approvals;
    // the schema bounds the list; the latest approvals are the ones that satisfied the rule, each at its own time
    const approvals = counted.slice(-10).map(({ approver, role, at }) => ({ approver, role, at }));
    return [recorded, { type: 'ReleaseApproved', payload: { releaseId: plan.releaseId, environment: target.name, rule: context.satisfied.rule, approvals, windowOpensAt: isoOrNull(context.satisfied.windowOpensAt) } }];
  },

  RejectRelease(payload, state, context) {
    const plan = existing(state, 'RejectRelease', ['pending-approval', 'approved', 'promoting', 'failed']);
    // only something still ahead can be rejected: not a promoted environment, nor the one in flight
    const ahead = (e: EnvironmentState) => !e.promoted && state.promoting !== e.name;
    if (payload.environment !== undefined && !ahead(environmentOf(state, payload.environment))) {
      throw new IllegalStateError('release.environment-promotion-started', `${payload.environment} is already promoted or being promoted and cannot be rejected`);
    }
    if (!state.environments.some(ahead)) throw new IllegalStateError('release.nothing-to-reject', `every environment of release ${plan.releaseId} is promoted or being promoted`);
    return [{ type: 'ReleaseRejected', payload: { releaseId: plan.releaseId, environment: payload.environment ?? null, rejectedBy: context.actor, comment: payload.comment } }];
  },

  RetryRelease(payload, state) {
    const plan = existing(state, 'RetryRelease', ['failed']);
    const failed = state.lastFailure;
    if (failed === null) throw illegal('RetryRelease', state);
    const from = environmentOf(state, payload.fromEnvironment ?? failed.environment);
    if (indexOf(state, from.name) > indexOf(state, failed.environment)) {
      throw new IllegalStateError('release.retry-skips-failed', `${from.name} comes after ${failed.environment}, which failed; a retry resumes at or before it`);
    }
    return [{ type: 'ReleaseRetried', payload: { releaseId: plan.releaseId, fromEnvironment: from.name, attempt: from.attempts + 1, reason: payload.reason } }];
  },

  StartPromotion(payload, state, context) {
    const plan = existing(state, 'StartPromotion', ['pending-approval', 'approved', 'promoting']);
    const target = environmentOf(state, payload.environment);
    if (state.promoting === target.name && target.attempts === payload.attempt) return []; // redelivered
    if (state.retry !== null) {
      if (state.retry.fromEnvironment !== target.name || state.retry.attempt !== payload.attempt) {
        throw new IllegalStateError('release.promotion-out-of-order', `the release resumes at ${state.retry.fromEnvironment} (attempt ${state.retry.attempt}), not ${target.name} (attempt ${payload.attempt})`);
      }
    } else {
      if (target.promoted) throw new IllegalStateError('release.environment-already-promoted', `${target.name} was already promoted`);
      const index = indexOf(state, target.name);
      // the previous environment must be recorded as promoted (ReleaseEnvironmentPromoted), not merely started
      const previous = state.environments[index - 1]?.name;
      if (previous !== undefined && state.promoting === previous) {
        throw new IllegalStateError('release.promotion-out-of-order', `${previous} comes before ${target.name} in the path and its promotion is not recorded yet`);
      }
      if (state.promoting !== null) throw new IllegalStateError('release.promotion-in-progress', `${state.promoting} is being promoted`);
      const behind = state.environments.slice(0, index).find((e) => !e.promoted);
      if (behind) throw new IllegalStateError('release.promotion-out-of-order', `${behind.name} comes before ${target.name} in the path and is not promoted`);
      if (payload.attempt !== target.attempts + 1) {
        throw new IllegalStateError('release.attempt-mismatch', `the next promotion of ${target.name} is attempt ${target.attempts + 1}, not ${payload.attempt}`);
      }
    }
    if (target.approved === null) throw new IllegalStateError('release.environment-not-approved', `${target.name} is not approved`);
    const opensAt = target.approved.windowOpensAt;
    if (opensAt !== null && context.now.getTime() < Date.parse(opensAt)) {
      throw new IllegalStateError('release.window-not-open', `the deployment window of ${target.name} opens at ${opensAt}`);
    }
    return [{ type: 'ReleasePromotionStarted', payload: { releaseId: plan.releaseId, environment: target.name, attempt: payload.attempt } }];
  },

  RecordPromotion(payload, state) {
    // between environments the release is pending-approval or approved again; a redelivery may arrive then
    const plan = existing(state, 'RecordPromotion', ['pending-approval', 'approved', 'promoting', 'deployed']);
    const target = environmentOf(state, payload.environment);
    if (target.promoted) {
      if (target.promotion?.revision === payload.revision) return []; // redelivered
      if (state.status === 'deployed') throw illegal('RecordPromotion', state);
      throw new IllegalStateError('release.environment-already-promoted', `${target.name} was already promoted with revision ${target.promotion?.revision ?? 'unknown'}`);
    }
    if (state.promoting !== target.name) {
      throw new IllegalStateError('release.environment-not-promoting', `${target.name} is not being promoted${state.promoting === null ? '' : ` (${state.promoting} is)`}`);
    }
    const promoted: ReleaseEvent = {
      type: 'ReleaseEnvironmentPromoted',
      payload: { releaseId: plan.releaseId, environment: target.name, attempt: target.attempts, revision: payload.revision, promotedAt: payload.promotedAt.toISOString() },
    };
    if (indexOf(state, target.name) < state.environments.length - 1) return [promoted];
    // the last environment: the release is deployed, with what each environment recorded
    const environments = evolve(state, promoted).environments;
    const missing = environments.filter((e) => e.promotion === null).map((e) => e.name);
    if (missing.length > 0) throw new IllegalStateError('release.promotions-incomplete', `ReleaseDeployed needs every promotion of the path; ${missing.join(', ')} has none recorded`);
    const promotions = environments.flatMap((e) => (e.promotion === null ? [] : [{ environment: e.name, ...e.promotion }]));
    return [promoted, { type: 'ReleaseDeployed', payload: { releaseId: plan.releaseId, application: plan.application, version: plan.version, environments: promotions } }];
  },

  FailPromotion(payload, state) {
    const plan = existing(state, 'FailPromotion', ['promoting', 'failed']);
    const target = environmentOf(state, payload.environment);
    if (state.status === 'failed') {
      if (state.lastFailure?.environment === target.name && state.lastFailure.attempt === payload.attempt) return []; // redelivered
      throw illegal('FailPromotion', state);
    }
    if (state.promoting !== target.name || target.attempts !== payload.attempt) {
      throw new IllegalStateError('release.environment-not-promoting', `attempt ${payload.attempt} of ${target.name} is not being promoted`);
    }
    const { environment, attempt, rolledBack, error } = payload;
    return [{ type: 'ReleaseFailed', payload: { releaseId: plan.releaseId, environment, attempt, rolledBack, error } }];
  },

  ExpireApproval(payload, state) {
    const plan = existing(state, 'ExpireApproval', ['planned', 'pending-approval', 'approved', 'rejected', 'promoting', 'deployed', 'failed']);
    // a timer may fire late or twice: only an approval that still counts, is due, and guards an environment not
    // yet promoted expires; anything else (revised, renewed, promoted, rejected, deployed) is a no-op
    if (!['pending-approval', 'approved', 'promoting', 'failed'].includes(state.status)) return [];
    const target = environmentOf(state, payload.environment);
    const due = target.approvals.find((a) => sameActor(a.approver, payload.approver) && a.role === payload.role && a.expiresAt !== null && Date.parse(a.expiresAt) <= payload.expiredAt.getTime());
    if (target.promoted || due === undefined) return [];
    const { environment, approver, role } = payload;
    return [{ type: 'ReleaseApprovalExpired', payload: { releaseId: plan.releaseId, environment, approver, role, expiredAt: payload.expiredAt.toISOString() } }];
  },
};

function illegal(command: ReleaseCommandType, state: ReleaseState): IllegalStateError {
  return new IllegalStateError('release.illegal-transition', `${command} is not allowed on a release that is ${state.status}`, { command, status: state.status });
}

/** The plan of an existing release whose status allows the command. */
function existing(state: ReleaseState, command: ReleaseCommandType, allowed: readonly ReleaseStatus[]): PlannedRelease {
  if (state.status === 'none' || state.plan === null) throw new NotFoundError('release.not-found', `${command}: no such release`);
  if (!allowed.includes(state.status)) throw illegal(command, state);
  return state.plan;
}

function assertBuild(build: { status: BuildStatus } | undefined, buildId: string): void {
  if (build === undefined) throw new NotFoundError('release.build-not-found', `build ${buildId} is unknown`);
  if (build.status !== 'Succeeded') throw new IllegalStateError('release.build-not-succeeded', `build ${buildId} is ${build.status}; only a succeeded build is released`);
}

function assertPath(environments: ReleasePlan['environments']): void {
  const names = environments.map((e) => e.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) throw new ValidationError('release.duplicate-environment', `the path names ${[...new Set(twice)].join(', ')} more than once`);
}

function indexOf(state: ReleaseState, environment: string): number {
  return state.environments.findIndex((e) => e.name === environment);
}

function environmentOf(state: ReleaseState, environment: string): EnvironmentState {
  const found = state.environments.find((e) => e.name === environment);
  if (!found) throw new ValidationError('release.unknown-environment', `${environment} is not on the path ${state.environments.map((e) => e.name).join(' → ')}`);
  return found;
}

function isoOrNull(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

// On expiry the decider counts by role: each required role needs its own approver among those left.
function covers(roles: readonly ApproverRole[], approvals: readonly ReleaseApproval[]): boolean {
  return roles.every((role) => approvals.filter((a) => a.role === role).length >= roles.filter((r) => r === role).length);
}

function freshEnvironment(name: string): EnvironmentState {
  return { name, roles: [], rule: null, autoApprove: false, approvals: [], approved: null, attempts: 0, promoted: false, promotion: null };
}

function withEnvironment(state: ReleaseState, name: string, change: (e: EnvironmentState) => EnvironmentState): ReleaseState {
  return { ...state, environments: state.environments.map((e) => (e.name === name ? change(e) : e)) };
}

// Before the first promotion and between environments the status follows the next environment's approval.
function approvalStatus(state: ReleaseState): 'approved' | 'pending-approval' {
  return state.environments.find((e) => !e.promoted)?.approved ? 'approved' : 'pending-approval';
}

function withApprovalStatus(state: ReleaseState): ReleaseState {
  if (state.status !== 'pending-approval' && state.status !== 'approved') return state;
  return { ...state, status: approvalStatus(state) };
}

export function evolve(state: ReleaseState, event: ReleaseEvent): ReleaseState {
  switch (event.type) {
    case 'ReleasePlanned': {
      const { plannedBy, revision, ...plan } = event.payload;
      return { ...initialState, status: 'planned', releaseId: plan.releaseId, plan: { ...plan, revision, plannedBy, revisedBy: null }, environments: plan.environments.map((e) => freshEnvironment(e.name)) };
    }
    case 'ReleaseRevised': {
      // a revision is a new plan: approvals, rejection and promotions start over
      const { revisedBy, revision, reason: _reason, ...plan } = event.payload;
      const plannedBy = state.plan?.plannedBy ?? revisedBy;
      return { ...initialState, status: 'planned', releaseId: plan.releaseId, plan: { ...plan, revision, plannedBy, revisedBy }, environments: plan.environments.map((e) => freshEnvironment(e.name)) };
    }
    case 'ReleaseSubmitted': {
      const { requiredApprovals, expiresAt } = event.payload;
      const environments = state.environments.map((e) => {
        const required = requiredApprovals.find((r) => r.environment === e.name);
        return { ...freshEnvironment(e.name), roles: required?.roles ?? [], rule: required?.rule ?? null, autoApprove: required?.autoApprove ?? false };
      });
      return withApprovalStatus({ ...state, status: 'pending-approval', environments, approvalsExpireAt: expiresAt });
    }
    case 'ReleaseApprovalRecorded': {
      const { environment, approver, role, at, expiresAt } = event.payload;
      return withEnvironment(state, environment, (e) => ({ ...e, approvals: [...e.approvals.filter((a) => !sameActor(a.approver, approver)), { approver, role, at, expiresAt }] }));
    }
    case 'ReleaseApprovalExpired': {
      const { environment, approver, role } = event.payload;
      const expired = withEnvironment(state, environment, (e) => {
        const approvals = e.approvals.filter((a) => !(sameActor(a.approver, approver) && a.role === role));
        const stillApproved = e.promoted || e.autoApprove || covers(e.roles, approvals);
        return { ...e, approvals, approved: stillApproved ? e.approved : null };
      });
      return withApprovalStatus(expired);
    }
    case 'ReleaseApproved': {
      const { environment, rule, approvals, windowOpensAt } = event.payload;
      const latest = approvals.reduce<string | null>((max, a) => (max === null || a.at > max ? a.at : max), null);
      return withApprovalStatus(withEnvironment(state, environment, (e) => ({ ...e, approved: { rule, at: latest, windowOpensAt } })));
    }
    case 'ReleaseRejected': {
      const { environment, rejectedBy, comment } = event.payload;
      return { ...state, status: 'rejected', promoting: null, retry: null, rejection: { environment, rejectedBy, comment } };
    }
    case 'ReleasePromotionStarted': {
      const { environment, attempt } = event.payload;
      return { ...withEnvironment(state, environment, (e) => ({ ...e, attempts: attempt })), status: 'promoting', promoting: environment, retry: null };
    }
    case 'ReleaseEnvironmentPromoted': {
      const { environment, revision, promotedAt } = event.payload;
      const promoted = { ...withEnvironment(state, environment, (e) => ({ ...e, promoted: true, promotion: { revision, promotedAt } })), promoting: null };
      // between environments the next one's approval decides; after the last, ReleaseDeployed follows at once
      return promoted.environments.every((e) => e.promoted) ? promoted : { ...promoted, status: approvalStatus(promoted) };
    }
    case 'ReleaseDeployed': {
      const promoted = event.payload.environments;
      const environments = state.environments.map((e) => {
        const p = promoted.find((x) => x.environment === e.name);
        return { ...e, promoted: true, promotion: p ? { revision: p.revision, promotedAt: p.promotedAt } : e.promotion };
      });
      return { ...state, status: 'deployed', environments, promoting: null };
    }
    case 'ReleaseFailed': {
      const { environment, attempt, rolledBack, error } = event.payload;
      return { ...state, status: 'failed', promoting: null, lastFailure: { environment, attempt, rolledBack, error } };
    }
    case 'ReleaseRetried': {
      const { fromEnvironment, attempt } = event.payload;
      const index = indexOf(state, fromEnvironment);
      // from the resumed environment on, everything is promoted again, in order
      const environments = state.environments.map((e, i) => (i >= index ? { ...e, promoted: false, promotion: null } : e));
      return { ...state, status: 'promoting', environments, promoting: null, retry: { fromEnvironment, attempt } };
    }
  }
}
