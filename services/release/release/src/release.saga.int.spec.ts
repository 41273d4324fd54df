import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { RELEASES_APPROVE, RELEASES_READ, RELEASES_WRITE } from '@delivery/release-scopes';
import { releaseService } from './release.service';
import { answerOf, knownBuild, planBody, promoteCommand, promoteCommandsOf, promoted, releaseEvent, rollbackCommand } from './release.testing';

// The release saga end to end on real NATS and Postgres; the test plays environment-promotion.
describe('release saga', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let planner: string;
  const approver = (sub: string) => fx.token({ sub, scopes: [RELEASES_APPROVE, RELEASES_READ] });

  beforeAll(async () => {
    fx = await createServiceFixture('release');
    service = await fx.start(releaseService());
    planner = await fx.token({ scopes: [RELEASES_WRITE, RELEASES_READ] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  const post = (path: string, token = planner) => fx.http(service).post(path).set('Authorization', `Bearer ${token}`);
  const get = (path: string, token = planner) => fx.http(service).get(path).set('Authorization', `Bearer ${token}`);
  const plan = async (buildId: string, environments?: string[]) => (await post('/releases').send({ ...planBody(buildId, environments), projectId: 'web' }).expect(201)).body.releaseId as string;

  it('plans, submits, promotes dev, waits for staff on stage and staff+client on prod, and ends deployed over 3 environments', async () => {
    const buildTrace = await knownBuild(fx, service, 'build-happy');
    const releaseId = await plan('build-happy');

    // ReleasePlanned continues the build's trace: the build's lineage shows the release
    const planned = await releaseEvent(fx, 'ReleasePlanned', (e) => e.payload.releaseId === releaseId);
    expect(planned).toMatchObject({ traceId: buildTrace, actor: { kind: 'user', id: 'alice' } });

    const submitted = await post(`/releases/${releaseId}/submit`).send({}).expect(200);
    expect(submitted.body.events).toEqual(['ReleaseSubmitted', 'ReleaseApproved', 'ReleasePromotionStarted']);

    const dev = await promoteCommand(fx, releaseId, 'dev1');
    expect(dev).toMatchObject({ correlationId: dev.id, traceId: buildTrace, actor: { kind: 'service', id: 'release' } });
    expect(dev.payload).toMatchObject({ attempt: 1, strategy: { kind: 'rolling' }, gitops: { repositoryId: 'repo-1', branch: 'main', path: 'environments/dev1/shop' } });
    await fx.publisher.publish(promoted(dev));
    await releaseEvent(fx, 'ReleaseEnvironmentPromoted', (e) => e.payload.releaseId === releaseId && e.payload.environment === 'dev1');

    // stage waits for one staff approval; it is in bob's inbox, not in the planner's
    const bob = await approver('bob');
    const inbox = await get('/approvals?status=pending', bob).expect(200);
    expect(inbox.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ releaseId, environment: 'stage1', roles: ['staff'] })]));
    expect((await get('/approvals?status=pending').expect(200)).body.items.filter((i: { releaseId: string }) => i.releaseId === releaseId)).toEqual([]);
    const approved = await post(`/releases/${releaseId}/approve`, bob).send({ environment: 'stage1', role: 'staff', comment: 'looks good' }).expect(200);
    expect(approved.body.events).toEqual(['ReleaseApprovalRecorded', 'ReleaseApproved', 'ReleasePromotionStarted']);
    const stage = await promoteCommand(fx, releaseId, 'stage1');
    await fx.publisher.publish(promoted(stage, 'd'.repeat(40)));
    await releaseEvent(fx, 'ReleaseEnvironmentPromoted', (e) => e.payload.releaseId === releaseId && e.payload.environment === 'stage1');

    // prod needs staff and client, from two people
    const staffOnly = await post(`/releases/${releaseId}/approve`, await approver('carol')).send({ environment: 'prod1', role: 'staff' }).expect(200);
    expect(staffOnly.body.events).toEqual(['ReleaseApprovalRecorded']);
    await post(`/releases/${releaseId}/approve`, await approver('dave')).send({ environment: 'prod1', role: 'client' }).expect(200);
    const prod = await promoteCommand(fx, releaseId, 'prod1');
    await fx.publisher.publish(promoted(prod, 'e'.repeat(40)));

    const deployed = await releaseEvent(fx, 'ReleaseDeployed', (e) => e.payload.releaseId === releaseId);
    expect((deployed.payload.environments as Array<{ environment: string }>).map((e) => e.environment)).toEqual(['dev1', 'stage1', 'prod1']);
    const view = await get(`/releases/${releaseId}`).expect(200);
    expect(view.body).toMatchObject({ status: 'deployed', traceId: buildTrace });
    expect(view.body.timeline[0]).toMatchObject({ type: 'ReleasePlanned', actor: { kind: 'user', id: 'alice' }, traceId: buildTrace, occurredAt: expect.any(String) });
    expect(view.body.timeline.at(-1)).toMatchObject({ type: 'ReleaseDeployed' });
    expect((await get('/releases?status=deployed').expect(200)).body.items.map((r: { releaseId: string }) => r.releaseId)).toContain(releaseId);
  });

  it('rolls back a failed promotion, fails the release, and a retry promotes the environment again as attempt 2', async () => {
    await knownBuild(fx, service, 'build-retry');
    const releaseId = await plan('build-retry', ['dev1']);
    await post(`/releases/${releaseId}/submit`).send({}).expect(200);
    const first = await promoteCommand(fx, releaseId, 'dev1');

    const error = { code: 'gate.failed', message: 'error rate 0.2 above 0.01', retryable: false };
    await fx.publisher.publish(answerOf(first, 'PromotionFailed', { releaseId, environment: 'dev1', revision: 'f'.repeat(40), stage: 'health-gate', error }));
    const rollback = await rollbackCommand(fx, releaseId);
    expect(rollback).toMatchObject({ correlationId: first.id, payload: { environment: 'dev1', reason: expect.stringContaining('gate.failed') } });

    await fx.publisher.publish(answerOf(first, 'DeploymentRolledBack', { releaseId, environment: 'dev1', fromRevision: 'f'.repeat(40), toRevision: '0'.repeat(40), revertSha: '1'.repeat(40), reason: rollback.payload.reason }));
    const failed = await releaseEvent(fx, 'ReleaseFailed', (e) => e.payload.releaseId === releaseId);
    expect(failed.payload).toMatchObject({ environment: 'dev1', attempt: 1, rolledBack: true, error });

    const retried = await post(`/releases/${releaseId}/retry`).send({ reason: 'fixed the error rate' }).expect(200);
    expect(retried.body.events).toEqual(['ReleaseRetried', 'ReleasePromotionStarted']);
    const second = await promoteCommand(fx, releaseId, 'dev1', 2);
    expect(second.id).not.toBe(first.id);

    // an answer of the first attempt is stale now; the second attempt's answer deploys the release
    await fx.publisher.publish(promoted(first));
    await fx.publisher.publish(promoted(second));
    await releaseEvent(fx, 'ReleaseDeployed', (e) => e.payload.releaseId === releaseId);
    const timeline = (await get(`/releases/${releaseId}`).expect(200)).body.timeline as Array<{ type: string }>;
    expect(timeline.filter((e) => e.type === 'ReleaseEnvironmentPromoted')).toHaveLength(1);
  });

  it('a redelivered or repeated DeploymentPromoted sends no second PromoteDeployment', async () => {
    await knownBuild(fx, service, 'build-dup');
    const releaseId = await plan('build-dup', ['dev1', 'stage1']);
    await post(`/releases/${releaseId}/submit`).send({}).expect(200);
    const dev = await promoteCommand(fx, releaseId, 'dev1');
    await post(`/releases/${releaseId}/approve`, await approver('bob')).send({ environment: 'stage1', role: 'staff' }).expect(200);

    const answer = promoted(dev);
    await fx.publisher.publish(answer);
    // the same envelope again past JetStream's duplicate window (another msg id): the inbox drops it
    await fx.publisher.publish(answer, { msgId: `${answer.id}-again` });
    // the same answer as a new envelope: the decider sees the environment already promoted
    await fx.publisher.publish(promoted(dev));
    await promoteCommand(fx, releaseId, 'stage1');

    const sent = await promoteCommandsOf(fx, releaseId);
    expect(sent.map((c) => c.payload.environment)).toEqual(['dev1', 'stage1']);
    const timeline = (await get(`/releases/${releaseId}`).expect(200)).body.timeline as Array<{ type: string }>;
    expect(timeline.filter((e) => e.type === 'ReleasePromotionStarted')).toHaveLength(2);
  });
});
