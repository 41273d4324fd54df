import type { schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import { deadlineSeconds } from './promotion.plan';
import { APP, ENV, foreign, promoteCommand, RELEASE, sha, Sim } from './promotion.test-fixture';

const probe: schemas.HealthGate = { kind: 'http-probe', path: '/health', consecutiveSuccesses: 2, intervalSeconds: 5, timeoutSeconds: 120 };
const errorRate: schemas.HealthGate = { kind: 'error-rate', maxErrorRate: 0.05, minRequests: 10, windowSeconds: 60 };
const latency: schemas.HealthGate = { kind: 'latency', maxP99Ms: 500, windowSeconds: 60 };
const soak: schemas.HealthGate = { kind: 'soak', minSeconds: 60 };
const OLD = sha('a');
const rolling: schemas.Strategy = { kind: 'rolling' };
const canary: schemas.Strategy = { kind: 'canary', steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }] };
const blueGreen: schemas.Strategy = { kind: 'blue-green', keepPreviousSlotSeconds: 600 };

describe('promotion decider', () => {
  describe('rolling', () => {
    it('renders once without weights, waits for the sync, passes every gate kind and promotes the revision', () => {
      const sim = new Sim();
      const command = promoteCommand(rolling, [probe, errorRate, latency, soak]);
      sim.promote(command);
      expect(sim.of('RenderManifest')).toHaveLength(1);
      expect(sim.lastRender().payload.trafficWeights).toBeUndefined();
      expect(sim.lastRender()).toMatchObject({ correlationId: command.id, causationId: command.id, payload: { gitops: command.payload.gitops } });
      expect(sim.timers.map((t) => t.key)).toEqual([`promotion:${command.id}:deadline`]);

      sim.at(5).rendered(sha('b'));
      sim.health(sha('b'), { probes: [{ ok: true }, { ok: true }], requests: 50 }); // before the sync: not counted
      expect(sim.of('HealthGateEvaluated')).toHaveLength(0);
      sim.at(10).synced(sha('b'));
      expect(sim.timers.map((t) => [t.key.split(':').at(-1), t.dueAt.toISOString()])).toEqual([
        ['deadline', expect.any(String)],
        ['gate-0', '2026-12-01T10:02:10.000Z'],
        ['gate-3', '2026-12-01T10:01:10.000Z'],
      ]);

      sim.at(20).health(sha('b'), { probes: [{ ok: true }, { ok: true }], requests: 40, errors: 1, p99Ms: 120 });
      expect(sim.of('HealthGateEvaluated').map((e) => [e.payload.gate.kind, e.payload.passed, e.payload.observed])).toEqual([
        ['http-probe', true, { consecutiveSuccesses: 2, httpStatus: 200 }],
        ['error-rate', true, { requests: 40, errorRate: 0.025 }],
        ['latency', true, { p99Ms: 120 }],
      ]);
      expect(sim.of('HealthGateEvaluated')[0]?.payload).toMatchObject({ releaseId: RELEASE, environment: ENV, revision: sha('b'), step: null });
      expect(sim.of('DeploymentPromoted')).toHaveLength(0);

      sim.at(70).tick();
      const [promoted] = sim.of('DeploymentPromoted');
      expect(promoted?.payload).toMatchObject({ releaseId: RELEASE, environment: ENV, application: APP, version: '1.4.0', revision: sha('b'), strategy: 'rolling', durationMs: 70_000 });
      expect(promoted?.payload.gates.map((g) => g.gate.kind)).toEqual(['http-probe', 'error-rate', 'latency', 'soak']);
      expect(sim.of('TrafficShifted')).toHaveLength(0);
      expect(sim.state.attempt?.status).toBe('promoted');
      expect(sim.timers).toEqual([]);
    });

    it('promotes on a health report stamped a moment before the sync it is decided after (no pause: no clock to wait for)', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling, [{ kind: 'http-probe', path: '/health', consecutiveSuccesses: 1, intervalSeconds: 1, timeoutSeconds: 600 }]));
      sim.at(5).rendered(sha('b'));
      sim.at(10).synced(sha('b'));
      // the report was received at 9 s and waited for the promotion's lock behind the sync
      sim.at(9).health(sha('b'), { probes: [{ ok: true }] });
      expect(sim.of('HealthGateEvaluated').map((e) => e.payload.passed)).toEqual([true]);
      expect(sim.of('DeploymentPromoted')).toHaveLength(1);
    });

    it('promotes right after the sync when there are no gates, once the rollout is done (Synced and Healthy)', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling));
      sim.rendered(sha('b'));
      sim.synced(sha('b'), 'Progressing', 'OutOfSync');
      expect(sim.of('DeploymentPromoted')).toHaveLength(0);
      // synced but still rolling out: replicas of the previous spec still serve, so it is not this revision running yet
      sim.synced(sha('b'), 'Progressing');
      expect(sim.of('DeploymentPromoted')).toHaveLength(0);
      sim.synced(sha('b'));
      expect(sim.of('DeploymentPromoted')).toHaveLength(1);
    });
  });

  describe('canary', () => {
    it('steps 10 → 50 → 100 with the stable slot pinned, shifting traffic and gating at every step', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(canary, [errorRate]), { slot: 'stable', revision: OLD });
      const revisions = [sha('1'), sha('2'), sha('3')];
      for (const [index, revision] of revisions.entries()) {
        sim.rendered(revision);
        sim.synced(revision);
        sim.health(revision, { requests: 100, errors: 0 });
        expect(sim.of('RenderManifest')).toHaveLength(Math.min(index + 2, 3));
      }
      expect(sim.of('RenderManifest').map((r) => r.payload.trafficWeights)).toEqual(
        [10, 50, 100].map((w) => [
          { slot: 'stable', revision: OLD, weight: 100 - w },
          { slot: 'canary', weight: w },
        ]),
      );
      expect(sim.of('TrafficShifted').map((e) => [e.payload.step, e.payload.revision, e.payload.weights])).toEqual(
        [10, 50, 100].map((w, index) => [
          { index, weight: w },
          revisions[index],
          [
            { slot: 'stable', revision: OLD, weight: 100 - w },
            { slot: 'canary', revision: revisions[index], weight: w },
          ],
        ]),
      );
      expect(sim.of('HealthGateEvaluated').map((e) => e.payload.step?.weight)).toEqual([10, 50, 100]);
      expect(sim.of('DeploymentPromoted')[0]?.payload).toMatchObject({ revision: sha('3'), strategy: 'canary' });
    });

    it('counts the canary slot\'s traffic under the revision its spec was first applied at (the runtime keeps it while only weights move)', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(canary, [errorRate]), { slot: 'stable', revision: OLD });
      for (const revision of [sha('1'), sha('2'), sha('3')]) {
        sim.rendered(revision);
        sim.synced(revision);
        sim.health(OLD, { requests: 500, errors: 0 }); // the stable slot's traffic is not this release's
        sim.health(sha('1'), { requests: 100, errors: 0 });
      }
      expect(sim.of('HealthGateEvaluated').map((e) => [e.payload.step?.weight, e.payload.passed, e.payload.observed.requests])).toEqual([
        [10, true, 100],
        [50, true, 100],
        [100, true, 100],
      ]);
      expect(sim.of('DeploymentPromoted')).toHaveLength(1);
    });

    it('holds each step for its pause after the gates passed', () => {
      const sim = new Sim();
      sim.promote(promoteCommand({ kind: 'canary', steps: [{ weight: 20, pauseSeconds: 300 }, { weight: 100 }] }, [errorRate]), { slot: 'stable', revision: OLD });
      sim.rendered(sha('1'));
      sim.at(10).synced(sha('1'));
      expect(sim.timers.map((t) => [t.key.split(':').slice(-2).join(':'), t.dueAt.toISOString()])).toContainEqual(['step-0:pause', '2026-12-01T10:05:10.000Z']);
      sim.at(20).health(sha('1'), { requests: 100 });
      expect(sim.of('HealthGateEvaluated')).toHaveLength(1);
      expect(sim.of('RenderManifest')).toHaveLength(1);
      sim.at(310).tick();
      expect(sim.of('RenderManifest')).toHaveLength(2);
    });

    it('given nothing ever synced there, lands in one step without weights', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(canary));
      expect(sim.lastRender().payload.trafficWeights).toBeUndefined();
      sim.rendered(sha('1'));
      sim.synced(sha('1'));
      expect(sim.of('RenderManifest')).toHaveLength(1);
      expect(sim.of('DeploymentPromoted')[0]?.payload.revision).toBe(sha('1'));
    });
  });

  describe('blue-green', () => {
    it('renders into the idle slot at weight 0, gates it, then switches all traffic', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(blueGreen, [soak]), { slot: 'blue', revision: OLD });
      expect(sim.lastRender().payload.trafficWeights).toEqual([
        { slot: 'blue', revision: OLD, weight: 100 },
        { slot: 'green', weight: 0 },
      ]);
      sim.rendered(sha('1'));
      sim.synced(sha('1'));
      expect(sim.of('TrafficShifted')).toHaveLength(0); // weights unchanged
      sim.at(60).tick();
      expect(sim.of('HealthGateEvaluated')[0]?.payload).toMatchObject({ passed: true, step: { index: 0, weight: 0 }, observed: { soakedSeconds: 60 } });
      expect(sim.lastRender().payload.trafficWeights).toEqual([
        { slot: 'blue', revision: OLD, weight: 0 },
        { slot: 'green', weight: 100 },
      ]);
      sim.rendered(sha('2'));
      sim.synced(sha('2'));
      expect(sim.of('TrafficShifted').map((e) => e.payload)).toEqual([
        {
          releaseId: RELEASE,
          environment: ENV,
          revision: sha('2'),
          step: { index: 1, weight: 100 },
          weights: [
            { slot: 'blue', revision: OLD, weight: 0 },
            { slot: 'green', revision: sha('2'), weight: 100 },
          ],
        },
      ]);
      expect(sim.of('HealthGateEvaluated')).toHaveLength(1); // the switch moves traffic to pods that passed already
      expect(sim.of('DeploymentPromoted')[0]?.payload).toMatchObject({ revision: sha('2'), strategy: 'blue-green' });
    });

    it('uses green when blue is idle', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(blueGreen), { slot: 'green', revision: OLD });
      expect(sim.lastRender().payload.trafficWeights).toEqual([
        { slot: 'green', revision: OLD, weight: 100 },
        { slot: 'blue', weight: 0 },
      ]);
    });
  });

  describe('gate failures', () => {
    it('fails on an error rate above the limit once enough requests were seen', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling, [errorRate]));
      sim.rendered(sha('b'));
      sim.synced(sha('b'));
      sim.health(sha('b'), { requests: 5, errors: 5 });
      expect(sim.of('PromotionFailed')).toHaveLength(0); // below minRequests: keeps waiting
      sim.health(sha('b'), { requests: 10, errors: 1 });
      const [failed] = sim.of('PromotionFailed');
      expect(failed?.payload).toMatchObject({
        revision: sha('b'),
        stage: 'health-gate',
        failedGate: { gate: errorRate, passed: false, observed: { requests: 15, errorRate: 0.4 } },
        error: { code: 'health-gate.error-rate', retryable: false },
      });
      expect(sim.of('HealthGateEvaluated').map((e) => e.payload.passed)).toEqual([false]);
      expect(sim.timers).toEqual([]);
      sim.health(sha('b'), { requests: 100 });
      expect(sim.sent.at(-1)?.type).toBe('PromotionFailed'); // nothing after the end
    });

    it('fails the http probe when the streak is not reached by its timeout; a failed probe resets the streak', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling, [probe]));
      sim.rendered(sha('b'));
      sim.synced(sha('b'));
      sim.at(30).health(sha('b'), { probes: [{ ok: true }, { ok: false, status: 503 }, { ok: true, status: 204 }] });
      sim.at(119).tick();
      expect(sim.of('PromotionFailed')).toHaveLength(0);
      sim.at(120).tick();
      expect(sim.of('PromotionFailed')[0]?.payload).toMatchObject({ stage: 'health-gate', failedGate: { passed: false, observed: { consecutiveSuccesses: 0, httpStatus: 204 } } });
    });

    it('fails on a p99 latency above the limit', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling, [latency]));
      sim.rendered(sha('b'));
      sim.synced(sha('b'));
      sim.health(sha('b'), { requests: 10, p99Ms: null });
      expect(sim.of('HealthGateEvaluated')).toHaveLength(0);
      sim.health(sha('b'), { requests: 10, p99Ms: 900 });
      expect(sim.of('PromotionFailed')[0]?.payload.failedGate?.observed).toEqual({ p99Ms: 900 });
    });

    it('fails at the sync when the application is Degraded or the sync failed, and at the render when it failed', () => {
      const degraded = new Sim();
      degraded.promote(promoteCommand(rolling));
      degraded.rendered(sha('b'));
      degraded.synced(sha('b'), 'Degraded');
      expect(degraded.of('PromotionFailed')[0]?.payload).toMatchObject({ stage: 'sync', revision: sha('b'), error: { code: 'sync.degraded' } });

      const syncFailed = new Sim();
      syncFailed.promote(promoteCommand(rolling));
      syncFailed.rendered(sha('b'), { changed: false });
      const error = { code: 'apply.invalid', message: 'bad manifest', retryable: false };
      syncFailed.event(foreign('GitOpsSyncFailed', { environment: ENV, application: APP, revision: sha('b'), releaseId: RELEASE, sync: 'OutOfSync', attempt: 1, error }));
      expect(syncFailed.of('PromotionFailed')[0]?.payload).toMatchObject({ stage: 'sync', revision: null, error });

      const renderFailed = new Sim();
      renderFailed.promote(promoteCommand(rolling));
      const answer = (code: string) =>
        foreign('DeploymentManifestRenderFailed', { releaseId: RELEASE, environment: ENV, application: APP, error: { code, message: 'no', retryable: false } }, { correlationId: renderFailed.promoteId, causationId: renderFailed.lastRender().id });
      renderFailed.event(answer('git.ref-conflict'));
      expect(renderFailed.of('PromotionFailed')[0]?.payload).toMatchObject({ stage: 'commit', revision: null });
    });

    it('fails the whole promotion at its deadline', () => {
      const sim = new Sim();
      sim.promote(promoteCommand(rolling, [errorRate]));
      const deadline = sim.timers[0];
      expect(deadline?.dueAt.getTime()).toBe(Date.parse('2026-12-01T10:00:00.000Z') + deadlineSeconds(1, [errorRate]) * 1000);
      sim.rendered(sha('b'));
      sim.at(deadlineSeconds(1, [errorRate])).tick();
      expect(sim.of('PromotionFailed')[0]?.payload).toMatchObject({ stage: 'deadline', revision: sha('b'), error: { code: 'promotion.deadline' } });
    });

    it('gives the deadline the gates’ time at every step plus a margin, at least 30 minutes', () => {
      expect(deadlineSeconds(1, [])).toBe(1800);
      expect(deadlineSeconds(3, [{ ...probe, timeoutSeconds: 900 }, soak])).toBe(3 * (900 + 60 + 300));
    });
  });

  describe('stale and repeated inputs', () => {
    it('ignores answers to another render, other revisions, other correlations and repeats', () => {
      const sim = new Sim();
      const command = promoteCommand(rolling, [probe]);
      sim.promote(command);
      expect(sim.promote(command).messages).toEqual([]);
      const files = [{ path: 'a.yaml', digest: `sha256:${'e'.repeat(64)}` }];
      const other = foreign(
        'DeploymentManifestRendered',
        { releaseId: RELEASE, environment: ENV, application: APP, repositoryId: 'gitops-repo', branch: 'main', files, contentDigest: `sha256:${'f'.repeat(64)}`, changed: true, revision: sha('9') },
        { correlationId: command.id, causationId: createEnvelope('RenderManifest', sim.lastRender().payload, { source: 'x', tenantId: 'acme', projectId: 'web' }).id },
      );
      expect(sim.event(other).observe).toBe(false);
      expect(sim.event({ ...other, correlationId: 'another-attempt', causationId: sim.lastRender().id }).observe).toBe(false);
      sim.rendered(sha('b'));
      expect(sim.rendered(sha('c')).observe).toBe(false); // a second answer to the same render
      expect(sim.synced(sha('9')).observe).toBe(false);
      sim.synced(sha('b'));
      expect(sim.synced(sha('b')).observe).toBe(false);
      expect(sim.health(sha('9'), { probes: [{ ok: true }, { ok: true }] }).observe).toBe(false);
      expect(sim.health(sha('b'), { probes: [{ ok: true, path: '/other' }, { ok: true }] }).messages).toEqual([]);
      expect(sim.health(sha('b'), { probes: [{ ok: true }] }).messages.map((m) => m.type)).toEqual(['HealthGateEvaluated', 'DeploymentPromoted']);
    });

    it('refuses a second attempt while one runs, and ignores timers of an earlier attempt', () => {
      const sim = new Sim();
      const first = promoteCommand(rolling);
      sim.promote(first);
      expect(sim.promote(promoteCommand(rolling)).rejection).toMatchObject({ kind: 'illegal-state', code: 'promotion.in-progress' });
      sim.rendered(sha('b'), { changed: false });
      sim.synced(sha('b'), 'Missing');
      sim.promote(promoteCommand(rolling));
      const renders = sim.of('RenderManifest').length;
      expect(sim.input({ kind: 'tick', promoteId: first.id, now: new Date('2030-01-01T00:00:00Z') }).messages).toEqual([]);
      expect(sim.of('RenderManifest')).toHaveLength(renders);
    });
  });

  describe('rollback', () => {
    const rollback = (sim: Sim, reason = 'error rate') =>
      sim.input({
        kind: 'rollback',
        command: createEnvelope('RollbackDeployment', { releaseId: RELEASE, environment: ENV, reason }, { source: 'release', tenantId: 'acme', projectId: 'web', correlationId: sim.promoteId }),
        now: sim.now,
      });
    const revertAnswer = (sim: Sim, reverted: string, revertSha: string) =>
      sim.event(
        foreign('CommitCreated', { repositoryId: 'gitops-repo', branch: 'main', sha: revertSha, parentSha: reverted, revertOf: reverted, idempotencyKey: `rollback:${sim.promoteId}:${reverted}` }, { correlationId: sim.promoteId }),
      );

    // a canary that committed 10% and 50%, then failed its gate at 50%
    function failedCanary(): Sim {
      const sim = new Sim();
      sim.promote(promoteCommand(canary, [errorRate]), { slot: 'stable', revision: OLD });
      sim.rendered(sha('1'), { parentSha: OLD });
      sim.synced(sha('1'));
      sim.health(sha('1'), { requests: 100 });
      sim.rendered(sha('2'), { parentSha: sha('1') });
      sim.synced(sha('2'));
      sim.health(sha('2'), { requests: 100, errors: 50 });
      expect(sim.of('PromotionFailed')[0]?.payload.revision).toBe(sha('2'));
      return sim;
    }

    it('reverts every manifest commit newest first, one at a time, then reports the rollback', () => {
      const sim = failedCanary();
      rollback(sim);
      expect(sim.of('RevertCommit').map((c) => c.payload)).toEqual([
        {
          repositoryId: 'gitops-repo',
          branch: 'main',
          sha: sha('2'),
          idempotencyKey: `rollback:${sim.promoteId}:${sha('2')}`,
          message: `Roll back ${APP} 1.4.0 in ${ENV}\n\nerror rate\n\nThis reverts commit ${sha('2')}.`,
          trailers: { 'Release-Id': RELEASE },
        },
      ]);
      expect(rollback(sim).messages).toEqual([]); // a second RollbackDeployment changes nothing
      expect(revertAnswer(sim, sha('1'), sha('8')).observe).toBe(false); // not the revert in flight
      revertAnswer(sim, sha('2'), sha('7'));
      expect(sim.of('RevertCommit').map((c) => c.payload.sha)).toEqual([sha('2'), sha('1')]);
      revertAnswer(sim, sha('1'), sha('8'));
      expect(sim.of('DeploymentRolledBack').map((e) => e.payload)).toEqual([
        { releaseId: RELEASE, environment: ENV, fromRevision: sha('2'), toRevision: OLD, revertSha: sha('8'), reason: 'error rate' },
      ]);
      expect(sim.state.attempt?.status).toBe('rolled-back');
    });

    it('dead-letters a failed revert as a dependency failure', () => {
      const sim = failedCanary();
      rollback(sim);
      const failed = foreign(
        'CommitFailed',
        { repositoryId: 'gitops-repo', branch: 'main', idempotencyKey: `rollback:${sim.promoteId}:${sha('2')}`, error: { code: 'git.conflict', message: 'conflict', retryable: false } },
        { correlationId: sim.promoteId },
      );
      expect(sim.event(failed).rejection).toMatchObject({ kind: 'dependency', code: 'rollback.revert-failed' });
    });

    it('reports a rollback without reverts when the attempt committed nothing, and refuses one without any revision', () => {
      const unchanged = new Sim();
      unchanged.promote(promoteCommand(rolling));
      unchanged.rendered(sha('b'), { changed: false });
      unchanged.synced(sha('b'), 'Degraded');
      rollback(unchanged);
      expect(unchanged.of('RevertCommit')).toHaveLength(0);
      expect(unchanged.of('DeploymentRolledBack')[0]?.payload).toMatchObject({ fromRevision: sha('b'), toRevision: sha('b'), revertSha: sha('b') });

      const nothing = new Sim();
      nothing.promote(promoteCommand(rolling));
      expect(rollback(nothing).rejection).toMatchObject({ code: 'promotion.in-progress' });
      nothing.event(
        foreign('DeploymentManifestRenderFailed', { releaseId: RELEASE, environment: ENV, application: APP, error: { code: 'render.invalid', message: 'no', retryable: false } }, { correlationId: nothing.promoteId, causationId: nothing.lastRender().id }),
      );
      expect(nothing.of('PromotionFailed')[0]?.payload.stage).toBe('render');
      expect(rollback(nothing).rejection).toMatchObject({ kind: 'illegal-state', code: 'rollback.nothing-to-revert' });
      expect(rollback(new Sim()).rejection).toMatchObject({ code: 'promotion.not-found' });
    });
  });
});
