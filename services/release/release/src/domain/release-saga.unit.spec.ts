import type { Actor, PayloadOf } from '@delivery/contracts';
import { defaultApprovalPolicy, type ApprovalPolicy } from './approval-policy';
import { evolve, initialState, type ReleaseEvent, type ReleaseState } from './release-plan.decider';
import { currentPromotion, DEFAULT_GITOPS, nextPromotion, onPromotionFailed, onRolledBack, promoteDeploymentPayload, type SentCommand } from './release-saga';

const releaseId = 'rel-1';
const planner: Actor = { kind: 'agent', id: 'planner' };
const now = new Date('2026-03-02T10:00:00.000Z'); // a Monday
const failure = { code: 'gate.failed', message: 'p99 too high', retryable: false };

const plan: PayloadOf<'ReleasePlanned'> = {
  releaseId,
  application: 'shop',
  version: '1.4.0',
  buildId: 'build-42',
  repositoryId: 'repo-1',
  sourceSha: 'a'.repeat(40),
  artifacts: { packages: [], images: [] },
  workload: { name: 'shop', command: ['node', 'server.js'], replicas: 1 },
  environments: [
    { name: 'dev1', strategy: { kind: 'rolling' }, healthGates: [] },
    { name: 'stage1', strategy: { kind: 'blue-green' }, healthGates: [] },
  ],
  plannedBy: planner,
  revision: 1,
};
const submitted: ReleaseEvent = {
  type: 'ReleaseSubmitted',
  payload: {
    releaseId,
    revision: 1,
    requiredApprovals: [
      { environment: 'dev1', roles: [], rule: 'dev*/auto', autoApprove: true },
      { environment: 'stage1', roles: ['staff'], rule: 'stage*/staff', autoApprove: false },
    ],
    expiresAt: null,
  },
};
const approved = (environment: string, windowOpensAt: string | null = null): ReleaseEvent => ({ type: 'ReleaseApproved', payload: { releaseId, environment, rule: 'r', approvals: [], windowOpensAt } });
const started = (environment: string, attempt = 1): ReleaseEvent => ({ type: 'ReleasePromotionStarted', payload: { releaseId, environment, attempt } });
const given = (...events: ReleaseEvent[]): ReleaseState => [{ type: 'ReleasePlanned', payload: plan } as ReleaseEvent, ...events].reduce(evolve, initialState);
const promote = (id: string, environment: string, attempt: number): SentCommand => ({ id, type: 'PromoteDeployment', correlationId: id, environment, attempt });
const rollback = (correlationId: string, environment: string): SentCommand => ({ id: `rb-${correlationId}`, type: 'RollbackDeployment', correlationId, environment, attempt: null });
const policy = defaultApprovalPolicy();

describe('release saga', () => {
  describe('nextPromotion', () => {
    it('given a planned release, when asked, then it waits for the submission', () => {
      expect(nextPromotion(given(), policy, now)).toEqual({ kind: 'idle' });
    });

    it('given dev approved and nothing in flight, when asked, then it starts dev attempt 1', () => {
      expect(nextPromotion(given(submitted, approved('dev1')), policy, now)).toEqual({ kind: 'start', environment: 'dev1', attempt: 1 });
    });

    it('given dev promoted and stage not approved, when asked, then it is idle', () => {
      const state = given(submitted, approved('dev1'), started('dev1'), { type: 'ReleaseEnvironmentPromoted', payload: { releaseId, environment: 'dev1', attempt: 1, revision: 'c'.repeat(40), promotedAt: now.toISOString() } });
      expect(nextPromotion(state, policy, now)).toEqual({ kind: 'idle' });
      expect(nextPromotion(evolve(state, approved('stage1')), policy, now)).toEqual({ kind: 'start', environment: 'stage1', attempt: 1 });
    });

    it('given an environment in flight, when asked, then it starts nothing else', () => {
      expect(nextPromotion(given(submitted, approved('dev1'), started('dev1')), policy, now)).toEqual({ kind: 'idle' });
    });

    it('given the window opens later, when asked, then it waits until the window opens', () => {
      const windowed: ApprovalPolicy = { environments: [{ match: '*', autoApprove: true, roles: [], windows: [{ days: ['mon'], start: '12:00', end: '13:00', timeZone: 'UTC' }] }] };
      expect(nextPromotion(given(submitted, approved('dev1')), windowed, now)).toEqual({ kind: 'wait', environment: 'dev1', until: new Date('2026-03-02T12:00:00.000Z') });
    });

    it('given windowOpensAt in the approval is still ahead, when asked, then it waits for it', () => {
      expect(nextPromotion(given(submitted, approved('dev1', '2026-03-02T11:00:00.000Z')), policy, now)).toMatchObject({ kind: 'wait', until: new Date('2026-03-02T11:00:00.000Z') });
    });

    it('given a failed release retried, when asked, then it starts the retried environment with the next attempt', () => {
      const failed = given(submitted, approved('dev1'), started('dev1'), { type: 'ReleaseFailed', payload: { releaseId, environment: 'dev1', attempt: 1, rolledBack: true, error: failure } });
      expect(nextPromotion(failed, policy, now)).toEqual({ kind: 'idle' });
      const retried = evolve(failed, { type: 'ReleaseRetried', payload: { releaseId, fromEnvironment: 'dev1', attempt: 2, reason: 'fixed' } });
      expect(nextPromotion(retried, policy, now)).toEqual({ kind: 'start', environment: 'dev1', attempt: 2 });
    });
  });

  describe('answers of environment-promotion', () => {
    const inFlight = given(submitted, approved('dev1'), started('dev1', 2));
    const sent = [promote('p1', 'dev1', 1), promote('p2', 'dev1', 2)];

    it('given the attempt in flight, when its PromoteDeployment id answers, then it is current; an older attempt is stale', () => {
      expect(currentPromotion(inFlight, sent, 'p2')).toEqual(sent[1]);
      expect(currentPromotion(inFlight, sent, 'p1')).toBeUndefined();
      expect(currentPromotion(inFlight, sent, 'unknown')).toBeUndefined();
    });

    it('given a failure with a revision, when it arrives, then the saga rolls back once', () => {
      const failed = { revision: 'd'.repeat(40), stage: 'health-gate' as const, error: failure };
      expect(onPromotionFailed(inFlight, sent, 'p2', failed)).toEqual({ kind: 'rollback', promotion: sent[1], reason: 'health-gate failed: gate.failed: p99 too high' });
      expect(onPromotionFailed(inFlight, [...sent, rollback('p2', 'dev1')], 'p2', failed)).toEqual({ kind: 'stale' });
    });

    it('given a failure before anything reached Git, when it arrives, then the release fails without rollback', () => {
      expect(onPromotionFailed(inFlight, sent, 'p2', { revision: null, stage: 'render', error: failure })).toEqual({ kind: 'fail', environment: 'dev1', attempt: 2, rolledBack: false, error: failure });
    });

    it('given the rollback was sent, when DeploymentRolledBack arrives, then the release fails rolled back; without a rollback it is stale', () => {
      expect(onRolledBack(inFlight, [...sent, rollback('p2', 'dev1')], 'p2', failure)).toEqual({ kind: 'fail', environment: 'dev1', attempt: 2, rolledBack: true, error: failure });
      expect(onRolledBack(inFlight, sent, 'p2', failure)).toEqual({ kind: 'stale' });
    });
  });

  it('builds PromoteDeployment from the plan and the GitOps settings, the path template filled', () => {
    const payload = promoteDeploymentPayload(given(), 'stage1', 3, { ...DEFAULT_GITOPS, repositoryId: 'gitops-repo' });
    expect(payload).toMatchObject({ releaseId, environment: 'stage1', strategy: { kind: 'blue-green' }, healthGates: [], attempt: 3, gitops: { repositoryId: 'gitops-repo', branch: 'main', path: 'environments/stage1/shop' } });
    expect(promoteDeploymentPayload(given(), 'dev1', 1, DEFAULT_GITOPS).gitops.repositoryId).toBe('repo-1');
  });
});
