import type { schemas } from '@delivery/contracts';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, eventually, waitForMessages, type ServiceFixture } from '@delivery/testing';
import { environmentPromotionService } from './environment-promotion.service';
import {
  answer,
  commandsSent,
  ENV,
  healthReported,
  newRevision,
  nthRender,
  promoteDeployment,
  type Promote,
  promotionEvent,
  promotionEvents,
  rendered,
  synced,
} from './promotion.testing';
import { RELEASES_READ } from '@delivery/release-scopes';

// The environment-promotion service on real NATS and Postgres; the tests answer for the other services.
describe('environment-promotion', () => {
  let fx: ServiceFixture;
  let service: RunningService;

  beforeAll(async () => {
    fx = await createServiceFixture('promo');
    service = await fx.start(environmentPromotionService());
  });
  afterAll(async () => {
    await fx?.close();
  });

  // what GitOps last reported for an application is what the next promotion shifts traffic from
  async function running(application: string, revision: string, weights: schemas.TrafficWeight[]): Promise<void> {
    await synced(fx, application, revision, { weights });
    await eventually(async () => {
      const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM environment_promotion.runtime_reports WHERE application = $1 AND envelope->'payload'->>'revision' = $2`, [application, revision]);
      return rows.length > 0 ? true : undefined;
    }, `the GitOps report of ${application}`);
  }

  // GitOps and runtime reports travel on different consumers: a report counts once the promotion saw its step synced
  async function syncedStep(promote: Promote, index: number): Promise<void> {
    const token = await fx.token({ scopes: [RELEASES_READ] });
    await eventually(async () => {
      const view = await fx.http(service).get(`/promotions/${promote.payload.releaseId}/${ENV}`).auth(token, { type: 'bearer' });
      return view.body?.steps?.[index]?.syncedAt ? true : undefined;
    }, `step ${index} synced`);
  }

  it('promotes a rolling release once, even when the command is delivered twice and GitOps reports before the render answer', async () => {
    const gate: schemas.HealthGate = { kind: 'http-probe', path: '/health', consecutiveSuccesses: 2, intervalSeconds: 1, timeoutSeconds: 60 };
    const promote = promoteDeployment('rolling-app', { kind: 'rolling' }, [gate]);
    await fx.publisher.publish(promote);
    await fx.publisher.publish(promote, { msgId: `${promote.id}-again` });

    const render = await nthRender(fx, promote, 1);
    expect(render).toMatchObject({ causationId: promote.id, traceId: promote.traceId, actor: { kind: 'service', id: 'environment-promotion' } });
    expect(render.payload).toMatchObject({ releaseId: promote.payload.releaseId, gitops: promote.payload.gitops });
    expect(render.payload.trafficWeights).toBeUndefined();

    const revision = newRevision();
    await running('rolling-app', revision, []); // the sync of the new commit overtakes the render answer
    await rendered(fx, render, revision);
    await syncedStep(promote, 0);
    await healthReported(fx, 'rolling-app', revision, { okProbes: 2 });

    const promoted = await promotionEvent(fx, 'DeploymentPromoted', promote);
    expect(promoted).toMatchObject({ traceId: promote.traceId, correlationId: promote.id });
    expect(promoted.payload).toMatchObject({ releaseId: promote.payload.releaseId, environment: ENV, revision, strategy: 'rolling', gates: [{ gate, passed: true }] });
    await expect(commandsSent(fx, 'RenderManifest', promote, 2, 1_000)).rejects.toThrow('found 1 of 2');

    const token = await fx.token({ scopes: [RELEASES_READ] });
    const view = await fx.http(service).get(`/promotions/${promote.payload.releaseId}/${ENV}`).auth(token, { type: 'bearer' }).expect(200);
    expect(view.body).toMatchObject({ status: 'promoted', strategy: 'rolling', revision, promoteId: promote.id, steps: [{ index: 0, revision, state: 'gating', gates: [{ gate, result: { passed: true } }] }] });
    const stranger = await fx.token({ tenant: 'globex', scopes: [RELEASES_READ] });
    await fx.http(service).get(`/promotions/${promote.payload.releaseId}/${ENV}`).auth(stranger, { type: 'bearer' }).expect(404);
    await fx.http(service).get(`/promotions/${promote.payload.releaseId}/${ENV}`).auth(await fx.token(), { type: 'bearer' }).expect(403);
  });

  it('steps a canary through 10 → 50 → 100, shifting traffic at each step after its gate', async () => {
    const stable = newRevision();
    await running('canary-app', stable, [{ slot: 'stable', revision: stable, weight: 100 }]);
    const gate: schemas.HealthGate = { kind: 'error-rate', maxErrorRate: 0.01, minRequests: 100, windowSeconds: 60 };
    const promote = promoteDeployment('canary-app', { kind: 'canary', steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }] }, [gate]);
    await fx.publisher.publish(promote);
    const revisions: string[] = [];
    for (const [index, weight] of [10, 50, 100].entries()) {
      const render = await nthRender(fx, promote, index + 1);
      expect(render.payload.trafficWeights).toEqual([
        { slot: 'stable', revision: stable, weight: 100 - weight },
        { slot: 'canary', weight },
      ]);
      const revision = newRevision();
      revisions.push(revision);
      await rendered(fx, render, revision);
      await synced(fx, 'canary-app', revision);
      await syncedStep(promote, index);
      await healthReported(fx, 'canary-app', revision, { requests: 200, errors: 1 });
    }
    const promoted = await promotionEvent(fx, 'DeploymentPromoted', promote);
    expect(promoted.payload).toMatchObject({ revision: revisions[2], strategy: 'canary' });
    expect(promoted.payload.gates).toHaveLength(3);
    const shifts = await promotionEvents(fx, 'TrafficShifted', promote, 3);
    expect(shifts.map((e) => [e.payload.step, e.payload.revision, e.payload.weights.find((w) => w.slot === 'canary')?.weight])).toEqual([
      [{ index: 0, weight: 10 }, revisions[0], 10],
      [{ index: 1, weight: 50 }, revisions[1], 50],
      [{ index: 2, weight: 100 }, revisions[2], 100],
    ]);
  });

  it('switches a blue-green release to the idle slot after its soak', async () => {
    const blue = newRevision();
    await running('bg-app', blue, [
      { slot: 'blue', revision: blue, weight: 100 },
      { slot: 'green', weight: 0 },
    ]);
    const promote = promoteDeployment('bg-app', { kind: 'blue-green', keepPreviousSlotSeconds: 300 }, [{ kind: 'soak', minSeconds: 1 }]);
    await fx.publisher.publish(promote);
    const idle = await nthRender(fx, promote, 1);
    expect(idle.payload.trafficWeights).toEqual([
      { slot: 'blue', revision: blue, weight: 100 },
      { slot: 'green', weight: 0 },
    ]);
    const gated = newRevision();
    await rendered(fx, idle, gated);
    await synced(fx, 'bg-app', gated);
    const soaked = await promotionEvent(fx, 'HealthGateEvaluated', promote); // the soak timer fired
    expect(soaked.payload).toMatchObject({ passed: true, revision: gated, step: { index: 0, weight: 0 } });
    const switchRender = await nthRender(fx, promote, 2);
    expect(switchRender.payload.trafficWeights).toEqual([
      { slot: 'blue', revision: blue, weight: 0 },
      { slot: 'green', weight: 100 },
    ]);
    const switched = newRevision();
    await rendered(fx, switchRender, switched);
    await synced(fx, 'bg-app', switched);
    const shifted = await promotionEvent(fx, 'TrafficShifted', promote);
    expect(shifted.payload).toMatchObject({ revision: switched, step: { index: 1, weight: 100 } });
    expect((await promotionEvent(fx, 'DeploymentPromoted', promote)).payload).toMatchObject({ revision: switched, strategy: 'blue-green' });
  });

  it('fails on the error rate, then rolls back by reverting its manifest commits newest first', async () => {
    const stable = newRevision();
    await running('failing-app', stable, [{ slot: 'stable', revision: stable, weight: 100 }]);
    const gate: schemas.HealthGate = { kind: 'error-rate', maxErrorRate: 0.05, minRequests: 10, windowSeconds: 60 };
    const promote = promoteDeployment('failing-app', { kind: 'canary', steps: [{ weight: 50 }, { weight: 100 }] }, [gate]);
    await fx.publisher.publish(promote);
    const first = newRevision();
    await rendered(fx, await nthRender(fx, promote, 1), first, stable);
    await synced(fx, 'failing-app', first);
    await syncedStep(promote, 0);
    await healthReported(fx, 'failing-app', first, { requests: 50 });
    const second = newRevision();
    await rendered(fx, await nthRender(fx, promote, 2), second, first);
    await synced(fx, 'failing-app', second);
    await syncedStep(promote, 1);
    await healthReported(fx, 'failing-app', second, { requests: 50, errors: 10 });

    const failed = await promotionEvent(fx, 'PromotionFailed', promote);
    expect(failed.payload).toMatchObject({ revision: second, stage: 'health-gate', failedGate: { gate, passed: false, observed: { requests: 50, errorRate: 0.2 } } });

    // the release saga asks for the rollback within the same correlation
    const rollback = answer('RollbackDeployment', { releaseId: promote.payload.releaseId, environment: ENV, reason: 'error rate above 5%' }, failed, 'release');
    await fx.publisher.publish(rollback);
    const [newest] = await commandsSent(fx, 'RevertCommit', promote, 1);
    expect(newest?.payload).toMatchObject({ repositoryId: 'gitops-repo', branch: 'main', sha: second, idempotencyKey: `rollback:${promote.id}:${second}` });
    const firstRevert = newRevision();
    await fx.publisher.publish(answer('CommitCreated', { repositoryId: 'gitops-repo', branch: 'main', sha: firstRevert, parentSha: second, revertOf: second, idempotencyKey: newest?.payload.idempotencyKey }, newest!, 'commit'));
    const oldest = (await commandsSent(fx, 'RevertCommit', promote, 2)).at(-1);
    expect(oldest?.payload).toMatchObject({ sha: first, idempotencyKey: `rollback:${promote.id}:${first}` });
    const lastRevert = newRevision();
    await fx.publisher.publish(answer('CommitCreated', { repositoryId: 'gitops-repo', branch: 'main', sha: lastRevert, parentSha: firstRevert, revertOf: first, idempotencyKey: oldest?.payload.idempotencyKey }, oldest!, 'commit'));

    const rolledBack = await promotionEvent(fx, 'DeploymentRolledBack', promote);
    expect(rolledBack.payload).toEqual({ releaseId: promote.payload.releaseId, environment: ENV, fromRevision: second, toRevision: stable, revertSha: lastRevert, reason: 'error rate above 5%' });
  });

  it('fails when the http probe does not pass within its timeout', async () => {
    const gate: schemas.HealthGate = { kind: 'http-probe', path: '/health', consecutiveSuccesses: 3, intervalSeconds: 1, timeoutSeconds: 1 };
    const promote = promoteDeployment('probe-app', { kind: 'rolling' }, [gate]);
    await fx.publisher.publish(promote);
    const revision = newRevision();
    await rendered(fx, await nthRender(fx, promote, 1), revision);
    await synced(fx, 'probe-app', revision);
    const failed = await promotionEvent(fx, 'PromotionFailed', promote);
    expect(failed.payload).toMatchObject({ revision, stage: 'health-gate', failedGate: { gate, passed: false, observed: { consecutiveSuccesses: 0 } }, error: { code: 'health-gate.http-probe' } });
    const names = fx.bus.names;
    const evaluated = await waitForMessages(fx.bus, { stream: names.eventStream('release'), subject: names.eventFilter('release', 'HealthGateEvaluated'), predicate: (e: { correlationId: string }) => e.correlationId === promote.id });
    expect(evaluated).toHaveLength(1);
  });
});
