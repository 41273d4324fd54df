import { validatePayload, type Actor, type PayloadOf } from '@delivery/contracts';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';
import {
  decide,
  evolve,
  initialState,
  RELEASE_EVENT_TYPES,
  type DecideContexts,
  type ReleaseCommandPayloads,
  type ReleaseCommandType,
  type ReleaseEvent,
  type ReleaseState,
  type ReleaseStatus,
} from './release-plan.decider';

const id = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
const SHA = 'a'.repeat(40);
const REV = (n: number) => String(n).repeat(40);
const planner: Actor = { kind: 'agent', id: 'agent-release' };
const alice: Actor = { kind: 'user', id: 'alice' };
const carol: Actor = { kind: 'user', id: 'carol' };
const now = new Date('2025-03-01T10:00:00.000Z');
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
const at = (minutes: number) => later(minutes).toISOString();

// given(events) / when(command, context) / then(events or error)
const given = (...events: ReleaseEvent[]): ReleaseState => events.reduce(evolve, initialState);
const when = <T extends ReleaseCommandType>(state: ReleaseState, type: T, payload: ReleaseCommandPayloads[T], context: DecideContexts[T]) => decide({ type, payload }, state, context);
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
};

const plan: Omit<PayloadOf<'PlanRelease'>, 'releaseId'> = {
  application: 'shop',
  version: '1.4.0',
  buildId: 'build-42',
  repositoryId: 'repo-1',
  sourceSha: SHA,
  artifacts: {
    packages: [{ format: 'npm', name: '@shop/api', version: '1.4.0', feed: { kind: 'npm-registry', name: 'local' } }],
    images: [{ registry: 'localhost:5000', repository: 'shop/api', tag: '1.4.0', digest: `sha256:${'b'.repeat(64)}` }],
  },
  workload: { name: 'shop', command: ['node', 'server.js'], port: 8080, replicas: 2 },
  environments: [
    { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [{ kind: 'http-probe', path: '/health', consecutiveSuccesses: 3, intervalSeconds: 2, timeoutSeconds: 60 }] },
    { name: 'stage1', strategy: { kind: 'blue-green' }, healthGates: [{ kind: 'soak', minSeconds: 60 }] },
    { name: 'prod1', strategy: { kind: 'canary', steps: [{ weight: 10 }, { weight: 100 }] }, healthGates: [{ kind: 'error-rate', maxErrorRate: 0.01, minRequests: 100, windowSeconds: 300 }] },
  ],
};
const succeeded = { status: 'Succeeded' as const };
const planned: ReleaseEvent = { type: 'ReleasePlanned', payload: { ...plan, releaseId: id, plannedBy: planner, revision: 1 } };
const requiredApprovals = [
  { environment: 'dev1', roles: [], rule: 'dev/auto', autoApprove: true },
  { environment: 'stage1', roles: ['staff' as const], rule: 'stage/staff', autoApprove: false },
  { environment: 'prod1', roles: ['staff' as const, 'client' as const], rule: 'prod/staff+client', autoApprove: false },
];
const submittedAs = (revision: number, required = requiredApprovals): ReleaseEvent => ({
  type: 'ReleaseSubmitted',
  payload: { releaseId: id, revision, requiredApprovals: required, expiresAt: at(24 * 60) },
});
const submitted = submittedAs(1);
const approvedAuto = (environment: string, rule: string): ReleaseEvent => ({ type: 'ReleaseApproved', payload: { releaseId: id, environment, rule, approvals: [], windowOpensAt: null } });
const recorded = (environment: string, approver: Actor, role: 'staff' | 'client', expiresAt: string | null = at(60), given = at(1)): ReleaseEvent => ({
  type: 'ReleaseApprovalRecorded',
  payload: { releaseId: id, environment, approver, role, rule: `${environment}/rule`, at: given, expiresAt },
});
const approved = (environment: string, approvals: Array<{ approver: Actor; role: 'staff' | 'client' }> = [], windowOpensAt: string | null = null): ReleaseEvent => ({
  type: 'ReleaseApproved',
  payload: { releaseId: id, environment, rule: `${environment}/rule`, approvals: approvals.map((a) => ({ ...a, at: at(1) })), windowOpensAt },
});
const started = (environment: string, attempt = 1): ReleaseEvent => ({ type: 'ReleasePromotionStarted', payload: { releaseId: id, environment, attempt } });
// environment i of the path runs REV(i + 1) from minute 10 + i
const PATH = ['dev1', 'stage1', 'prod1'];
const promotedAt = (environment: string) => later(10 + PATH.indexOf(environment));
const promoted = (environment: string, attempt = 1): ReleaseEvent => ({
  type: 'ReleaseEnvironmentPromoted',
  payload: { releaseId: id, environment, attempt, revision: REV(PATH.indexOf(environment) + 1), promotedAt: promotedAt(environment).toISOString() },
});
const through = (...environments: string[]) => environments.flatMap((e) => [started(e), promoted(e)]);
const gateFailed = { code: 'release.health-gate-failed', message: 'error rate 4% over 1%', retryable: false };
const failed = (environment: string, attempt = 1): ReleaseEvent => ({ type: 'ReleaseFailed', payload: { releaseId: id, environment, attempt, rolledBack: true, error: gateFailed } });
const retriedFrom = (fromEnvironment: string, attempt: number): ReleaseEvent => ({ type: 'ReleaseRetried', payload: { releaseId: id, fromEnvironment, attempt, reason: 'fixed' } });
const rejected: ReleaseEvent = { type: 'ReleaseRejected', payload: { releaseId: id, environment: 'prod1', rejectedBy: carol, comment: 'not this week' } };
const deployedEvent: ReleaseEvent = {
  type: 'ReleaseDeployed',
  payload: { releaseId: id, application: 'shop', version: '1.4.0', environments: PATH.map((environment, i) => ({ environment, revision: REV(i + 1), promotedAt: at(i + 10) })) },
};
// every environment approved: dev automatically, stage by alice, prod by alice and carol
const allApproved = [planned, submitted, approvedAuto('dev1', 'dev/auto'), recorded('stage1', alice, 'staff'), approved('stage1', [{ approver: alice, role: 'staff' }])];
const prodApproved = [recorded('prod1', alice, 'staff'), recorded('prod1', carol, 'client'), approved('prod1', [{ approver: alice, role: 'staff' }, { approver: carol, role: 'client' }])];

const submitContext = { actor: planner, now, requiredApprovals, expiresAt: later(24 * 60) };
const approveContext = (actor: Actor, satisfied: { rule: string; windowOpensAt: Date | null } | null = null, outcome: 'recorded' | 'duplicate' = 'recorded', time = now): DecideContexts['ApproveRelease'] => ({
  actor,
  now: time,
  decision: { outcome, rule: 'prod/staff+client', expiresAt: later(60) },
  satisfied,
});
// what the decider emits must pass the contract at the edge
const expectValid = (events: readonly ReleaseEvent[]) => {
  for (const event of events) expect(validatePayload(event.type, event.payload)).toMatchObject({ ok: true });
};
const expectError = (fn: () => unknown, type: new (...args: never[]) => Error, code: string) => {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(type);
  expect(error).toMatchObject({ code });
  return error;
};

describe('release-plan decider', () => {
  describe('PlanRelease', () => {
    it('given nothing, when a succeeded build is planned, then ReleasePlanned (revision 1) under the id from the context', () => {
      const events = when(initialState, 'PlanRelease', plan, { releaseId: id, actor: planner, now, build: succeeded });
      expect(events).toEqual([planned]);
      expectValid(events);
      const state = given(...events);
      expect(state).toMatchObject({ status: 'planned', releaseId: id, plan: { revision: 1, plannedBy: planner, revisedBy: null, buildId: 'build-42' } });
      expect(state.environments.map((e) => e.name)).toEqual(['dev1', 'stage1', 'prod1']);
    });

    it.each(['Failed', 'Canceled', 'Running'] as const)('given nothing, when the build is %s, then release.build-not-succeeded', (status) => {
      expectError(() => when(initialState, 'PlanRelease', plan, { releaseId: id, actor: planner, now, build: { status } }), IllegalStateError, 'release.build-not-succeeded');
    });

    it('given nothing, when the build is unknown, then release.build-not-found', () => {
      expectError(() => when(initialState, 'PlanRelease', plan, { releaseId: id, actor: planner, now, build: undefined }), NotFoundError, 'release.build-not-found');
    });

    it('given nothing, when the path names an environment twice, then release.duplicate-environment', () => {
      const twice = { ...plan, environments: [...plan.environments, { name: 'dev1', strategy: { kind: 'rolling' as const }, healthGates: [] }] };
      expectError(() => when(initialState, 'PlanRelease', twice, { releaseId: id, actor: planner, now, build: succeeded }), ValidationError, 'release.duplicate-environment');
    });
  });

  describe('ReviseRelease', () => {
    it('given a planned release, when revised, then ReleaseRevised carries the whole new plan at revision 2', () => {
      const events = when(given(planned), 'ReviseRelease', { releaseId: id, reason: 'new build', buildId: 'build-43', version: '1.4.1' }, { actor: alice, now, build: succeeded });
      expect(events).toEqual([{ type: 'ReleaseRevised', payload: { ...plan, releaseId: id, buildId: 'build-43', version: '1.4.1', revisedBy: alice, revision: 2, reason: 'new build' } }]);
      expectValid(events);
      expect(given(planned, ...events)).toMatchObject({ status: 'planned', plan: { revision: 2, plannedBy: planner, revisedBy: alice, version: '1.4.1' } });
    });

    it('given a planned release, when revised onto a failed or unknown build, then it is refused', () => {
      expectError(() => when(given(planned), 'ReviseRelease', { releaseId: id, reason: 'r', buildId: 'build-44' }, { actor: alice, now, build: { status: 'Failed' } }), IllegalStateError, 'release.build-not-succeeded');
      expectError(() => when(given(planned), 'ReviseRelease', { releaseId: id, reason: 'r', buildId: 'build-44' }, { actor: alice, now }), NotFoundError, 'release.build-not-found');
    });

    it('given a rejected release with approvals, when revised, then it is Planned again with approvals, rejection and requirements reset', () => {
      const state = given(...allApproved, recorded('prod1', alice, 'staff'), rejected);
      expect(state).toMatchObject({ status: 'rejected', rejection: { environment: 'prod1', rejectedBy: carol, comment: 'not this week' } });
      const events = when(state, 'ReviseRelease', { releaseId: id, reason: 'drop prod for now', environments: plan.environments.slice(0, 2) }, { actor: planner, now });
      const revised = given(...allApproved, recorded('prod1', alice, 'staff'), rejected, ...events);
      expect(revised).toMatchObject({ status: 'planned', rejection: null, plan: { revision: 2 } });
      expect(revised.environments).toEqual([
        { name: 'dev1', roles: [], rule: null, autoApprove: false, approvals: [], approved: null, attempts: 0, promoted: false, promotion: null },
        { name: 'stage1', roles: [], rule: null, autoApprove: false, approvals: [], approved: null, attempts: 0, promoted: false, promotion: null },
      ]);
      // and it can be submitted again
      expect(when(revised, 'SubmitRelease', { releaseId: id }, { ...submitContext, requiredApprovals: requiredApprovals.slice(0, 2) })[0]).toMatchObject({ type: 'ReleaseSubmitted', payload: { revision: 2 } });
    });
  });

  describe('SubmitRelease', () => {
    it('given a planned release, when submitted, then ReleaseSubmitted lists the approvals per environment and auto-approved environments are approved at once', () => {
      const events = when(given(planned), 'SubmitRelease', { releaseId: id, comment: 'please' }, submitContext);
      expect(events).toEqual([submitted, approvedAuto('dev1', 'dev/auto')]);
      expect(events[0]?.payload).toMatchObject({ requiredApprovals: [{ environment: 'dev1', autoApprove: true }, { autoApprove: false }, { autoApprove: false }] });
      expectValid(events);
      // the policy's flag comes from ReleaseSubmitted, not from an empty ReleaseApproved
      expect(given(planned, submitted).environments.map((e) => e.autoApprove)).toEqual([true, false, false]);
      expect(given(planned, submitted, approved('stage1')).environments[1]).toMatchObject({ autoApprove: false, approved: { at: null } });
      const state = given(planned, ...events);
      // the next environment (dev1) is approved, so the release is
      expect(state.status).toBe('approved');
      expect(state.environments.map((e) => [e.name, e.roles, e.autoApprove, e.approved?.rule ?? null])).toEqual([
        ['dev1', [], true, 'dev/auto'],
        ['stage1', ['staff'], false, null],
        ['prod1', ['staff', 'client'], false, null],
      ]);
    });

    it('given a planned release, when no environment is auto-approved, then it is PendingApproval', () => {
      const manual = requiredApprovals.map((r) => ({ ...r, roles: ['staff' as const], autoApprove: false }));
      const events = when(given(planned), 'SubmitRelease', { releaseId: id }, { ...submitContext, requiredApprovals: manual, expiresAt: null });
      expect(events.map((e) => e.type)).toEqual(['ReleaseSubmitted']);
      expect(given(planned, ...events)).toMatchObject({ status: 'pending-approval', approvalsExpireAt: null });
    });

    it('given a planned release, when the policy misses an environment or names a foreign one, then release.approvals-incomplete', () => {
      expectError(() => when(given(planned), 'SubmitRelease', { releaseId: id }, { ...submitContext, requiredApprovals: requiredApprovals.slice(1) }), ValidationError, 'release.approvals-incomplete');
      const foreign = [...requiredApprovals, { environment: 'qa1', roles: [], rule: 'qa', autoApprove: true }];
      expectError(() => when(given(planned), 'SubmitRelease', { releaseId: id }, { ...submitContext, requiredApprovals: foreign }), ValidationError, 'release.approvals-incomplete');
    });
  });

  describe('ApproveRelease', () => {
    const approveProd = (role: 'staff' | 'client') => ({ releaseId: id, environment: 'prod1', role });

    it('given prod needs staff and client, when staff approves, then only the approval is recorded; when client approves, then prod is approved listing both', () => {
      const state = given(...allApproved);
      const first = when(state, 'ApproveRelease', approveProd('staff'), approveContext(alice));
      expect(first).toEqual([{ type: 'ReleaseApprovalRecorded', payload: { releaseId: id, environment: 'prod1', approver: alice, role: 'staff', rule: 'prod/staff+client', at: at(0), expiresAt: at(60) } }]);
      const second = when(given(...allApproved, ...first), 'ApproveRelease', approveProd('client'), approveContext(carol, { rule: 'prod/staff+client', windowOpensAt: later(120) }, 'recorded', later(30)));
      expect(second.map((e) => e.type)).toEqual(['ReleaseApprovalRecorded', 'ReleaseApproved']);
      // each approval keeps the time it was given, not the moment the rule was satisfied
      expect(second[1]).toEqual({
        type: 'ReleaseApproved',
        payload: { releaseId: id, environment: 'prod1', rule: 'prod/staff+client', approvals: [{ approver: alice, role: 'staff', at: at(0) }, { approver: carol, role: 'client', at: at(30) }], windowOpensAt: at(120) },
      });
      const prod = given(...allApproved, ...first, ...second).environments[2];
      expect(prod).toMatchObject({ approved: { rule: 'prod/staff+client', at: at(30), windowOpensAt: at(120) }, autoApprove: false });
      expectValid([...first, ...second]);
      expect(prod?.approvals.map((a) => [a.approver.id, a.role, a.at, a.expiresAt])).toEqual([
        ['alice', 'staff', at(0), at(60)],
        ['carol', 'client', at(30), at(60)],
      ]);
    });

    it('given approvals recorded at different times, when the rule is satisfied later, then ReleaseApproved lists each at its own time; a renewal moves it', () => {
      const history = [...allApproved, recorded('prod1', alice, 'staff', at(60), at(5)), recorded('prod1', alice, 'staff', at(90), at(20))];
      expect(given(...history).environments[2]?.approvals).toEqual([{ approver: alice, role: 'staff', at: at(20), expiresAt: at(90) }]);
      const events = when(given(...history), 'ApproveRelease', approveProd('client'), approveContext(carol, { rule: 'prod/staff+client', windowOpensAt: null }, 'recorded', later(45)));
      expect(events[1]?.payload).toMatchObject({ approvals: [{ approver: alice, at: at(20) }, { approver: carol, at: at(45) }] });
      expectValid(events);
    });

    it('given an approval already counted, when the policy says duplicate, then no events at all', () => {
      expect(when(given(...allApproved, recorded('prod1', alice, 'staff')), 'ApproveRelease', approveProd('staff'), approveContext(alice, null, 'duplicate'))).toEqual([]);
    });

    it('given an approved environment, when another approval is recorded, then it is not approved twice', () => {
      expect(when(given(...allApproved), 'ApproveRelease', { releaseId: id, environment: 'stage1', role: 'staff' }, approveContext(carol, { rule: 'stage/staff', windowOpensAt: null })).map((e) => e.type)).toEqual([
        'ReleaseApprovalRecorded',
      ]);
    });

    it('given a release planned by an agent, when that agent approves, then release.approver-is-planner; a user with the same id is a different actor', () => {
      expectError(() => when(given(...allApproved), 'ApproveRelease', approveProd('staff'), approveContext(planner)), ForbiddenError, 'release.approver-is-planner');
      expect(when(given(...allApproved), 'ApproveRelease', approveProd('staff'), approveContext({ kind: 'user', id: planner.id }))).toHaveLength(1);
    });

    it('given a revised release, when the reviser approves, then it is refused too', () => {
      const revised: ReleaseEvent = { type: 'ReleaseRevised', payload: { ...plan, releaseId: id, revisedBy: alice, revision: 2, reason: 'fix' } };
      const state = given(planned, revised, submittedAs(2));
      expectError(() => when(state, 'ApproveRelease', approveProd('staff'), approveContext(alice)), ForbiddenError, 'release.approver-is-planner');
    });

    it('given a release, when an environment off the path or an already promoted one is approved, then it is refused', () => {
      expectError(() => when(given(...allApproved), 'ApproveRelease', { releaseId: id, environment: 'qa1', role: 'staff' }, approveContext(alice)), ValidationError, 'release.unknown-environment');
      const state = given(...allApproved, ...through('dev1'));
      expectError(() => when(state, 'ApproveRelease', { releaseId: id, environment: 'dev1', role: 'staff' }, approveContext(alice)), IllegalStateError, 'release.environment-already-promoted');
    });
  });

  describe('RejectRelease', () => {
    it('given a release awaiting approvals, when rejected, then Rejected with who, why and which environment', () => {
      const events = when(given(...allApproved), 'RejectRelease', { releaseId: id, environment: 'prod1', comment: 'not this week' }, { actor: carol, now });
      expect(events).toEqual([rejected]);
      expectValid(events);
      expect(given(...allApproved, ...events)).toMatchObject({ status: 'rejected', rejection: { environment: 'prod1', rejectedBy: carol } });
    });

    it('given dev being promoted, when prod is rejected, then it is; when dev itself is rejected, then release.environment-promotion-started', () => {
      const state = given(...allApproved, started('dev1'));
      expect(when(state, 'RejectRelease', { releaseId: id, comment: 'no' }, { actor: carol, now })[0]?.payload).toMatchObject({ environment: null });
      expectError(() => when(state, 'RejectRelease', { releaseId: id, environment: 'dev1', comment: 'no' }, { actor: carol, now }), IllegalStateError, 'release.environment-promotion-started');
    });

    it('given the last environment being promoted, when rejected, then nothing is left to reject', () => {
      expectError(() => when(given(...allApproved, ...prodApproved, ...through('dev1', 'stage1'), started('prod1')), 'RejectRelease', { releaseId: id, comment: 'no' }, { actor: carol, now }), IllegalStateError, 'release.nothing-to-reject');
    });
  });

  describe('promotion', () => {
    const start = (state: ReleaseState, environment: string, attempt = 1, at = now) => when(state, 'StartPromotion', { releaseId: id, environment, attempt }, { now: at });
    const record = (state: ReleaseState, environment: string, revision = REV(PATH.indexOf(environment) + 1)) =>
      when(state, 'RecordPromotion', { releaseId: id, environment, revision, promotedAt: promotedAt(environment) }, { now });

    it('given every environment approved, when the saga promotes dev → stage → prod, then each is recorded and ReleaseDeployed lists every revision and time', () => {
      const events: ReleaseEvent[] = [...allApproved, ...prodApproved];
      const run = (produce: (state: ReleaseState) => ReleaseEvent[]) => {
        const produced = produce(given(...events));
        events.push(...produced);
        return produced;
      };
      for (const environment of ['dev1', 'stage1']) {
        expect(run((s) => start(s, environment))).toEqual([started(environment)]);
        expect(given(...events)).toMatchObject({ status: 'promoting', promoting: environment });
        expect(run((s) => record(s, environment))).toEqual([promoted(environment)]);
        // between environments nothing is in flight and the next one is approved
        expect(given(...events)).toMatchObject({ status: 'approved', promoting: null });
      }
      expect(run((s) => start(s, 'prod1'))).toEqual([started('prod1')]);
      expect(run((s) => record(s, 'prod1'))).toEqual([promoted('prod1'), deployedEvent]);
      const state = given(...events);
      expect(state).toMatchObject({ status: 'deployed', promoting: null });
      expect(state.environments.map((e) => [e.promoted, e.promotion?.revision])).toEqual([[true, REV(1)], [true, REV(2)], [true, REV(3)]]);
      // the saga redelivering the last record is harmless
      expect(record(state, 'prod1')).toEqual([]);
      expectValid(events);
    });

    it('given dev in flight at attempt 2, when its promotion is recorded, then ReleaseEnvironmentPromoted with that attempt; a redelivery is a no-op, another revision is refused', () => {
      const history = [...allApproved, started('dev1'), failed('dev1'), retriedFrom('dev1', 2), started('dev1', 2)];
      const events = record(given(...history), 'dev1');
      expect(events).toEqual([promoted('dev1', 2)]);
      expectValid(events);
      const state = given(...history, ...events);
      expect(state).toMatchObject({ status: 'approved', promoting: null });
      expect(state.environments[0]).toMatchObject({ promoted: true, attempts: 2, promotion: { revision: REV(1), promotedAt: at(10) } });
      expect(state.environments.slice(1).map((e) => e.promoted)).toEqual([false, false]);
      expect(record(state, 'dev1')).toEqual([]);
      expectError(() => record(state, 'dev1', REV(7)), IllegalStateError, 'release.environment-already-promoted');
    });

    it('given dev promoted and stage not approved, then pending-approval until stage is approved; an expiry takes it back', () => {
      const devOnly = [planned, submitted, approvedAuto('dev1', 'dev/auto'), ...through('dev1')];
      expect(given(...devOnly)).toMatchObject({ status: 'pending-approval', promoting: null });
      expectError(() => start(given(...devOnly), 'stage1'), IllegalStateError, 'release.environment-not-approved');
      const stageApproved = [...devOnly, recorded('stage1', alice, 'staff'), approved('stage1', [{ approver: alice, role: 'staff' }])];
      expect(given(...stageApproved).status).toBe('approved');
      expect(start(given(...stageApproved), 'stage1')).toEqual([started('stage1')]);
      const expired: ReleaseEvent = { type: 'ReleaseApprovalExpired', payload: { releaseId: id, environment: 'stage1', approver: alice, role: 'staff', expiredAt: at(60) } };
      expect(given(...stageApproved, expired).status).toBe('pending-approval');
    });

    it('given dev started but its promotion not recorded, when stage starts, then release.promotion-out-of-order; once recorded, stage starts', () => {
      expectError(() => start(given(...allApproved, started('dev1')), 'stage1'), IllegalStateError, 'release.promotion-out-of-order');
      expect(start(given(...allApproved, ...through('dev1')), 'stage1')).toEqual([started('stage1')]);
      // never started at all is out of order too
      expectError(() => start(given(...allApproved, ...prodApproved), 'stage1'), IllegalStateError, 'release.promotion-out-of-order');
    });

    it('given stage failed or retried but not started again, when prod is started, then it is refused', () => {
      const stageFailed = [...allApproved, ...prodApproved, ...through('dev1'), started('stage1'), failed('stage1')];
      expectError(() => start(given(...stageFailed), 'prod1'), IllegalStateError, 'release.illegal-transition');
      // dev promoted, stage never started again (a retry from stage waits for its start): prod is out of order
      expectError(() => start(given(...stageFailed, retriedFrom('stage1', 2)), 'prod1', 1), IllegalStateError, 'release.promotion-out-of-order');
    });

    it('given a history where earlier environments have no recorded promotion, when the last is recorded, then release.promotions-incomplete', () => {
      // only a history from before ReleaseEnvironmentPromoted gets here: a start now needs the previous one recorded
      const state = given(...allApproved, ...prodApproved, started('dev1'), started('stage1'), started('prod1'));
      expectError(() => record(state, 'prod1'), IllegalStateError, 'release.promotions-incomplete');
    });

    it('given dev and stage promoted and prod unapproved, when prod starts, then it is refused as not approved', () => {
      const state = given(...allApproved, ...through('dev1', 'stage1'));
      expect(state.status).toBe('pending-approval');
      expectError(() => start(state, 'prod1'), IllegalStateError, 'release.environment-not-approved');
      expectError(() => start(given(planned, submitted), 'dev1'), IllegalStateError, 'release.environment-not-approved');
    });

    it('given dev in flight, when prod or another attempt starts, then release.promotion-in-progress; a redelivered start is a no-op; a skipped attempt is refused', () => {
      const state = given(...allApproved, ...prodApproved, started('dev1'));
      expectError(() => start(state, 'prod1'), IllegalStateError, 'release.promotion-in-progress');
      expectError(() => start(state, 'dev1', 2), IllegalStateError, 'release.promotion-in-progress');
      expect(start(state, 'dev1')).toEqual([]);
      expectError(() => start(given(...allApproved), 'dev1', 2), IllegalStateError, 'release.attempt-mismatch');
    });

    it('given an approval delayed by a deployment window, when started before it opens, then release.window-not-open; after, it starts', () => {
      const state = given(planned, submitted, approved('dev1', [{ approver: alice, role: 'staff' }], at(30)));
      expectError(() => start(state, 'dev1', 1, later(29)), IllegalStateError, 'release.window-not-open');
      expect(start(state, 'dev1', 1, later(30))).toEqual([started('dev1')]);
    });

    it('given prod promoting, when it fails, then Failed; a retry resumes at prod with attempt 2 and the saga starts it again', () => {
      const promoting = [...allApproved, ...prodApproved, ...through('dev1', 'stage1'), started('prod1')];
      const events = when(given(...promoting), 'FailPromotion', { releaseId: id, environment: 'prod1', attempt: 1, rolledBack: true, error: gateFailed }, { now });
      expect(events).toEqual([failed('prod1')]);
      const failedState = given(...promoting, ...events);
      expect(failedState).toMatchObject({ status: 'failed', promoting: null, lastFailure: { environment: 'prod1', attempt: 1, rolledBack: true, error: gateFailed } });
      expect(when(failedState, 'FailPromotion', { releaseId: id, environment: 'prod1', attempt: 1, rolledBack: true, error: gateFailed }, { now })).toEqual([]);

      const retried = when(failedState, 'RetryRelease', { releaseId: id, reason: 'raised the pool size' }, { actor: alice, now });
      expect(retried).toEqual([{ type: 'ReleaseRetried', payload: { releaseId: id, fromEnvironment: 'prod1', attempt: 2, reason: 'raised the pool size' } }]);
      const resumed = given(...promoting, ...events, ...retried);
      expect(resumed).toMatchObject({ status: 'promoting', promoting: null, retry: { fromEnvironment: 'prod1', attempt: 2 } });
      expectError(() => start(resumed, 'prod1', 1), IllegalStateError, 'release.promotion-out-of-order');
      const again = start(resumed, 'prod1', 2);
      expect(again).toEqual([started('prod1', 2)]);
      expect(given(...promoting, ...events, ...retried, ...again)).toMatchObject({ status: 'promoting', promoting: 'prod1', retry: null });
      expectValid([...events, ...retried, ...again]);
    });

    it('given prod failed, when retried from stage, then stage and prod are promoted again in order; a retry past the failure is refused', () => {
      const failedState = given(...allApproved, ...prodApproved, ...through('dev1', 'stage1'), started('prod1'), failed('prod1'));
      const retried = when(failedState, 'RetryRelease', { releaseId: id, reason: 'redo stage', fromEnvironment: 'stage1' }, { actor: alice, now });
      expect(retried[0]?.payload).toMatchObject({ fromEnvironment: 'stage1', attempt: 2 });
      const stageAgain = [...allApproved, ...prodApproved, ...through('dev1', 'stage1'), started('prod1'), failed('prod1'), ...retried, started('stage1', 2)];
      expect(given(...stageAgain).environments.map((e) => [e.promoted, e.promotion?.revision ?? null])).toEqual([[true, REV(1)], [false, null], [false, null]]);
      expectError(() => start(given(...stageAgain), 'prod1', 2), IllegalStateError, 'release.promotion-out-of-order');
      expect(record(given(...stageAgain), 'stage1')).toEqual([promoted('stage1', 2)]);
      expect(start(given(...stageAgain, promoted('stage1', 2)), 'prod1', 2)).toEqual([started('prod1', 2)]);

      const devFailed = given(...allApproved, started('dev1'), failed('dev1'));
      expectError(() => when(devFailed, 'RetryRelease', { releaseId: id, reason: 'r', fromEnvironment: 'stage1' }, { actor: alice, now }), IllegalStateError, 'release.retry-skips-failed');
    });

    it('given an environment not in flight, when its promotion is recorded or failed, then release.environment-not-promoting', () => {
      const state = given(...allApproved, started('dev1'));
      expectError(() => record(state, 'stage1'), IllegalStateError, 'release.environment-not-promoting');
      expectError(() => record(given(...allApproved), 'dev1'), IllegalStateError, 'release.environment-not-promoting');
      expectError(() => when(state, 'FailPromotion', { releaseId: id, environment: 'dev1', attempt: 2, rolledBack: false, error: gateFailed }, { now }), IllegalStateError, 'release.environment-not-promoting');
    });
  });

  describe('ExpireApproval', () => {
    const expire = (state: ReleaseState, environment: string, approver: Actor, role: 'staff' | 'client', minutes = 60) =>
      when(state, 'ExpireApproval', { releaseId: id, environment, approver, role, expiredAt: later(minutes) }, { now: later(minutes) });

    it('given prod approved by staff and client, when the staff approval expires before prod is promoted, then prod is no longer approved', () => {
      const history = [...allApproved, ...prodApproved, started('dev1')];
      const events = expire(given(...history), 'prod1', alice, 'staff');
      expect(events).toEqual([{ type: 'ReleaseApprovalExpired', payload: { releaseId: id, environment: 'prod1', approver: alice, role: 'staff', expiredAt: at(60) } }]);
      expectValid(events);
      const prod = given(...history, ...events).environments[2];
      expect(prod).toMatchObject({ approved: null, approvals: [{ approver: carol, role: 'client' }] });
    });

    it('given the next environment needs one approval, when it expires, then the release returns to PendingApproval', () => {
      const devByStaff = submittedAs(1, requiredApprovals.map((r) => ({ ...r, roles: ['staff' as const], autoApprove: false })));
      const history = [planned, devByStaff, recorded('dev1', alice, 'staff'), approved('dev1', [{ approver: alice, role: 'staff' }])];
      expect(given(...history).status).toBe('approved');
      const events = expire(given(...history), 'dev1', alice, 'staff');
      expect(given(...history, ...events)).toMatchObject({ status: 'pending-approval' });
      // an approval of an environment already promoted does not expire
      expect(expire(given(...history, ...through('dev1')), 'dev1', alice, 'staff')).toEqual([]);
    });

    it('given more approvals than required, when one expires, then the environment stays approved', () => {
      const history = [...allApproved, recorded('stage1', carol, 'staff')];
      const state = given(...history, ...expire(given(...history), 'stage1', alice, 'staff'));
      expect(state.environments[1]?.approved).not.toBeNull();
    });

    it('given a renewed, unknown or never-expiring approval, or a revised release, when the timer fires, then nothing happens', () => {
      expect(expire(given(...allApproved, recorded('stage1', alice, 'staff', at(120))), 'stage1', alice, 'staff')).toEqual([]);
      expect(expire(given(...allApproved), 'prod1', carol, 'client')).toEqual([]);
      expect(expire(given(...allApproved, recorded('prod1', carol, 'client', null)), 'prod1', carol, 'client')).toEqual([]);
      expect(expire(given(...allApproved, rejected), 'stage1', alice, 'staff')).toEqual([]);
    });
  });

  describe('illegal transitions', () => {
    const betweenEnvironments = ['PlanRelease', 'ReviseRelease', 'SubmitRelease', 'RetryRelease', 'FailPromotion'] as const;
    const samples: { [T in ReleaseCommandType]: { payload: ReleaseCommandPayloads[T]; context: DecideContexts[T] } } = {
      PlanRelease: { payload: plan, context: { releaseId: id, actor: planner, now, build: succeeded } },
      ReviseRelease: { payload: { releaseId: id, reason: 'r' }, context: { actor: planner, now } },
      SubmitRelease: { payload: { releaseId: id }, context: submitContext },
      ApproveRelease: { payload: { releaseId: id, environment: 'prod1', role: 'staff' }, context: approveContext(alice) },
      RejectRelease: { payload: { releaseId: id, comment: 'no' }, context: { actor: carol, now } },
      RetryRelease: { payload: { releaseId: id, reason: 'r' }, context: { actor: alice, now } },
      StartPromotion: { payload: { releaseId: id, environment: 'stage1', attempt: 1 }, context: { now } },
      RecordPromotion: { payload: { releaseId: id, environment: 'dev1', revision: REV(9), promotedAt: now }, context: { now } },
      FailPromotion: { payload: { releaseId: id, environment: 'stage1', attempt: 1, rolledBack: false, error: gateFailed }, context: { now } },
      ExpireApproval: { payload: { releaseId: id, environment: 'prod1', approver: alice, role: 'staff', expiredAt: now }, context: { now } },
    };
    const attempt = <T extends ReleaseCommandType>(state: ReleaseState, type: T) => when(state, type, samples[type].payload, samples[type].context);
    // RecordPromotion is legal while pending-approval or approved: between environments a redelivery may arrive
    const illegal: Array<[Exclude<ReleaseStatus, 'none'>, string, ReleaseEvent[], readonly ReleaseCommandType[]]> = [
      ['planned', '', [planned], ['PlanRelease', 'ApproveRelease', 'RejectRelease', 'RetryRelease', 'StartPromotion', 'RecordPromotion', 'FailPromotion']],
      ['pending-approval', '', [planned, submitted], betweenEnvironments],
      ['pending-approval', ' (dev promoted, stage unapproved)', [planned, submitted, approvedAuto('dev1', 'dev/auto'), ...through('dev1')], betweenEnvironments],
      ['approved', '', allApproved, betweenEnvironments],
      ['approved', ' (dev promoted, stage approved)', [...allApproved, ...through('dev1')], betweenEnvironments],
      ['rejected', '', [...allApproved, rejected], ['PlanRelease', 'SubmitRelease', 'ApproveRelease', 'RejectRelease', 'RetryRelease', 'StartPromotion', 'RecordPromotion', 'FailPromotion']],
      ['promoting', '', [...allApproved, started('dev1')], ['PlanRelease', 'ReviseRelease', 'SubmitRelease', 'RetryRelease']],
      ['deployed', '', [...allApproved, ...prodApproved, ...through(...PATH), deployedEvent], ['PlanRelease', 'ReviseRelease', 'SubmitRelease', 'ApproveRelease', 'RejectRelease', 'RetryRelease', 'StartPromotion', 'RecordPromotion', 'FailPromotion']],
      ['failed', '', [...allApproved, started('dev1'), failed('dev1')], ['PlanRelease', 'ReviseRelease', 'SubmitRelease', 'StartPromotion', 'RecordPromotion']],
    ];
    const cases = illegal.flatMap(([status, label, events, commands]) => commands.map((command) => [status, label, command, events] as const));

    it.each(cases)('given a %s release%s, when %s, then release.illegal-transition naming both', (status, _label, command, events) => {
      const state = given(...events);
      expect(state.status).toBe(status);
      const error = expectError(() => attempt(state, command), IllegalStateError, 'release.illegal-transition');
      expect((error as Error).message).toBe(`${command} is not allowed on a release that is ${status}`);
    });

    it.each(Object.keys(samples).filter((c) => c !== 'PlanRelease') as ReleaseCommandType[])('given no release, when %s, then release.not-found', (command) => {
      expectError(() => attempt(initialState, command), NotFoundError, 'release.not-found');
    });
  });

  describe('evolve', () => {
    const history: ReleaseEvent[] = [
      ...allApproved,
      ...prodApproved,
      started('dev1'),
      { type: 'ReleaseApprovalExpired', payload: { releaseId: id, environment: 'prod1', approver: carol, role: 'client', expiredAt: at(60) } },
      recorded('prod1', carol, 'client', at(240), at(61)),
      approved('prod1', [{ approver: alice, role: 'staff' }, { approver: carol, role: 'client' }]),
      promoted('dev1'),
      ...through('stage1'),
      started('prod1'),
      failed('prod1'),
      retriedFrom('prod1', 2),
      started('prod1', 2),
      promoted('prod1', 2),
      deployedEvent,
    ];

    it('given a history, when replayed, then it folds to the same state, and folding does not touch its input', () => {
      const snapshot = JSON.stringify(initialState);
      const once = given(...history);
      const stepwise = history.reduce((state, event) => evolve(JSON.parse(JSON.stringify(state)) as ReleaseState, event), initialState);
      expect(given(...history)).toEqual(once);
      expect(stepwise).toEqual(once);
      expect(JSON.stringify(initialState)).toBe(snapshot);
      expect(once).toMatchObject({ status: 'deployed', lastFailure: { environment: 'prod1', attempt: 1 } });
      expect(once.environments.map((e) => e.attempts)).toEqual([1, 1, 2]);
      expect(once.environments[2]?.approvals.map((a) => [a.approver.id, a.at])).toEqual([['alice', at(1)], ['carol', at(61)]]);
    });

    it('knows every event type it folds', () => {
      expect([...RELEASE_EVENT_TYPES].sort()).toEqual([...new Set(history.map((e) => e.type)), 'ReleaseRevised', 'ReleaseRejected'].sort());
    });
  });
});
