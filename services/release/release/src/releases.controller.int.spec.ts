import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, type ServiceFixture } from '@delivery/testing';
import { WEEKDAYS } from './domain/deployment-window';
import { RELEASES_ADMIN, RELEASES_APPROVE, RELEASES_READ, RELEASES_WRITE } from '@delivery/release-scopes';
import { releaseService } from './release.service';
import { knownBuild, planBody, promoteCommand, releaseEvent } from './release.testing';

// What the release service refuses, over REST and on the bus, on real NATS and Postgres.
describe('releases: refusals and policy', () => {
  let fx: ServiceFixture;
  let service: RunningService;
  let planner: string;
  let admin: string;
  const approver = (sub: string, tenant = 'acme') => fx.token({ sub, tenant, scopes: [RELEASES_APPROVE, RELEASES_READ] });

  beforeAll(async () => {
    fx = await createServiceFixture('release');
    service = await fx.start(releaseService());
    planner = await fx.token({ scopes: [RELEASES_WRITE, RELEASES_READ, RELEASES_APPROVE] });
    admin = await fx.token({ sub: 'root', scopes: [RELEASES_ADMIN, RELEASES_READ] });
    await knownBuild(fx, service, 'build-ok');
  });
  afterAll(async () => {
    await fx?.close();
  });

  const post = (path: string, token = planner) => fx.http(service).post(path).set('Authorization', `Bearer ${token}`);
  const get = (path: string, token = planner) => fx.http(service).get(path).set('Authorization', `Bearer ${token}`);
  const put = (path: string, token = admin) => fx.http(service).put(path).set('Authorization', `Bearer ${token}`);
  const submitted = async (environments: string[], projectId = 'web') => {
    const releaseId = (await post('/releases').send({ ...planBody('build-ok', environments), projectId }).expect(201)).body.releaseId as string;
    await post(`/releases/${releaseId}/submit`).send({}).expect(200);
    return releaseId;
  };
  const rejected = (releaseId: string, code: string) =>
    releaseEvent(fx, 'ReleaseCommandRejected', (e) => e.payload.releaseId === releaseId && (e.payload.error as { code: string }).code === code);

  it('refuses the planner as approver with 403 and the reason, agents on the bus included', async () => {
    const releaseId = await submitted(['dev1', 'stage1']);
    const refused = await post(`/releases/${releaseId}/approve`).send({ environment: 'stage1', role: 'staff' }).expect(403);
    expect(refused.body).toMatchObject({ code: 'release.approver-is-planner', message: expect.stringMatching(/user "alice" planned this release and cannot approve it \(rule stage\*\/staff\)/) });

    const agentPlan = await fx.send('PlanRelease', { ...planBody('build-ok', ['stage1']), releaseId: 'rel-agent-planned' });
    await releaseEvent(fx, 'ReleasePlanned', (e) => e.payload.releaseId === 'rel-agent-planned');
    await fx.send('SubmitRelease', { releaseId: 'rel-agent-planned' });
    await releaseEvent(fx, 'ReleaseSubmitted', (e) => e.payload.releaseId === 'rel-agent-planned');
    await fx.send('ApproveRelease', { releaseId: 'rel-agent-planned', environment: 'stage1', role: 'staff' }, { actor: agentPlan.actor });
    const answer = await rejected('rel-agent-planned', 'release.approver-is-planner');
    expect(answer.payload).toMatchObject({ command: 'ApproveRelease', error: { message: expect.stringContaining('agent "agent-7"') } });
  });

  it('a rejected release returns to Planned on revision and can be submitted again; a rejected one cannot be approved', async () => {
    const releaseId = await submitted(['dev1', 'stage1']);
    const reviewer = await approver('rita');
    await post(`/releases/${releaseId}/reject`, reviewer).send({ comment: 'wrong image' }).expect(200);
    const illegal = await post(`/releases/${releaseId}/approve`, reviewer).send({ environment: 'stage1', role: 'staff' }).expect(409);
    expect(illegal.body.code).toBe('release.illegal-transition');
    await post(`/releases/${releaseId}/revise`).send({ reason: 'fixed the image', version: '1.0.1' }).expect(200);
    await post(`/releases/${releaseId}/submit`).send({}).expect(200);
    await post(`/releases/${releaseId}/approve`, reviewer).send({ environment: 'stage1', role: 'staff' }).expect(200);
    const { body } = await get(`/releases/${releaseId}`).expect(200);
    expect(body.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['ReleasePlanned', 'ReleaseSubmitted', 'ReleaseRejected', 'ReleaseRevised', 'ReleaseApprovalRecorded', 'ReleaseApproved']),
    );
    expect(body.timeline.find((e: { type: string }) => e.type === 'ReleaseRejected').payload).toMatchObject({ comment: 'wrong image', rejectedBy: { id: 'rita' } });
  });

  it('refuses an approval outside the deployment window with 409 naming the next window; the saga waits for the window on a timer', async () => {
    const tomorrow = WEEKDAYS[(new Date().getUTCDay() + 1) % 7]!;
    const windows = [{ days: [tomorrow], start: '00:00', end: '24:00', timeZone: 'UTC' }];
    const policy = { environments: [{ match: 'dev*', autoApprove: true, windows }, { match: 'stage*', roles: ['staff'], windows }, { match: '*', roles: ['staff', 'client'] }] };
    await put('/projects/windowed/release-policy').send({ policy }).expect(200);
    const releaseId = await submitted(['dev1', 'stage1'], 'windowed');
    const next = new Date();
    next.setUTCHours(24, 0, 0, 0);
    const refused = await post(`/releases/${releaseId}/approve`, await approver('bob')).send({ environment: 'stage1', role: 'staff' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'release.outside-window', message: expect.stringMatching(/next window opens/), details: { nextOpensAt: next.toISOString() } });

    // dev is approved automatically but its window is closed: nothing is promoted, a timer waits for the opening
    const timers = `${quoteSchema(schemaOf(service.dataSource))}.timers`;
    const [timer] = (await service.dataSource.query(`SELECT due_at FROM ${timers} WHERE key = $1`, [`window:${releaseId}`])) as Array<{ due_at: Date }>;
    expect(timer?.due_at.toISOString()).toBe(next.toISOString());
    // the window opens (the policy drops it) and the timer comes due: the saga starts dev
    await put('/projects/windowed/release-policy').send({ policy: { environments: [{ match: 'dev*', autoApprove: true }, { match: '*', roles: ['staff', 'client'] }] } }).expect(200);
    await service.dataSource.query(`UPDATE ${timers} SET due_at = now() WHERE key = $1`, [`window:${releaseId}`]);
    await promoteCommand(fx, releaseId, 'dev1');
  });

  it('answers 404 for an unknown release and for another tenant’s, over REST and on the bus', async () => {
    const releaseId = await submitted(['dev1', 'stage1']);
    await get('/releases/no-such-release').expect(404);
    await post('/releases/no-such-release/approve', await approver('bob')).send({ environment: 'stage1', role: 'staff' }).expect(404);
    const stranger = await approver('mallory', 'globex');
    await get(`/releases/${releaseId}`, stranger).expect(404);
    await post(`/releases/${releaseId}/approve`, stranger).send({ environment: 'stage1', role: 'staff' }).expect(404);
    expect((await get('/approvals?status=pending', stranger).expect(200)).body.items).toEqual([]);

    await fx.send('ApproveRelease', { releaseId, environment: 'stage1', role: 'staff' }, { tenantId: 'globex', actor: { kind: 'user', id: 'mallory' } });
    await rejected(releaseId, 'release.not-found');
    expect((await get(`/releases/${releaseId}`).expect(200)).body.state.environments[1].approvals).toEqual([]);
  });

  it('answers the same approver twice with 200 and records the approval once', async () => {
    const releaseId = await submitted(['dev1', 'prod1']);
    const bob = await approver('bob');
    const first = await post(`/releases/${releaseId}/approve`, bob).send({ environment: 'prod1', role: 'staff' }).expect(200);
    expect(first.body.events).toEqual(['ReleaseApprovalRecorded']);
    const again = await post(`/releases/${releaseId}/approve`, bob).send({ environment: 'prod1', role: 'staff', comment: 'still fine' }).expect(200);
    expect(again.body.events).toEqual([]);
    // and bob cannot fill the client role of the same environment
    const second = await post(`/releases/${releaseId}/approve`, bob).send({ environment: 'prod1', role: 'client' }).expect(403);
    expect(second.body).toMatchObject({ code: 'release.approver-not-distinct' });
    const timeline = (await get(`/releases/${releaseId}`).expect(200)).body.timeline as Array<{ type: string }>;
    expect(timeline.filter((e) => e.type === 'ReleaseApprovalRecorded')).toHaveLength(1);
  });

  it('refuses a release of a failed or unknown build: ReleaseCommandRejected on the bus, 409/404 over REST', async () => {
    await knownBuild(fx, service, 'build-red', 'Failed');
    const refused = await post('/releases').send({ ...planBody('build-red'), projectId: 'web' }).expect(409);
    expect(refused.body).toMatchObject({ code: 'release.build-not-succeeded', message: expect.stringContaining('build build-red is Failed') });
    await post('/releases').send({ ...planBody('build-unknown'), projectId: 'web' }).expect(404);
    await post('/releases').send(planBody('build-ok')).expect(400); // no project

    await fx.send('PlanRelease', { ...planBody('build-red'), releaseId: 'rel-red' });
    const answer = await rejected('rel-red', 'release.build-not-succeeded');
    expect(answer.payload).toMatchObject({ command: 'PlanRelease' });
    await get('/releases/rel-red').expect(404);
  });

  it('does not count an expired approval (approvalTtlSeconds: 1)', async () => {
    // REST refuses a ttl under 60 s (parseApprovalPolicy); the row is written directly to make expiry testable
    const policy = { environments: [{ match: 'prod*', roles: ['staff', 'client'], approvalTtlSeconds: 1 }, { match: '*', roles: ['staff', 'client'] }] };
    await service.dataSource.query(`INSERT INTO ${quoteSchema(schemaOf(service.dataSource))}.release_policies (tenant_id, project_id, policy, gitops, updated_by) VALUES ('acme', 'expiring', $1, $2, '{}')`, [
      JSON.stringify(policy),
      JSON.stringify({ repositoryId: null, branch: 'main', pathTemplate: 'environments/{environment}/{application}' }),
    ]);
    const releaseId = await submitted(['prod1'], 'expiring');
    const bob = await approver('bob');
    await post(`/releases/${releaseId}/approve`, bob).send({ environment: 'prod1', role: 'staff' }).expect(200);
    const expired = await releaseEvent(fx, 'ReleaseApprovalExpired', (e) => e.payload.releaseId === releaseId);
    expect(expired.payload).toMatchObject({ environment: 'prod1', approver: { kind: 'user', id: 'bob' }, role: 'staff' });

    const client = await post(`/releases/${releaseId}/approve`, await approver('carol')).send({ environment: 'prod1', role: 'client' }).expect(200);
    expect(client.body.events).toEqual(['ReleaseApprovalRecorded']);
    const view = await get(`/releases/${releaseId}`).expect(200);
    expect(view.body.state.environments[0]).toMatchObject({ approved: null, approvals: [expect.objectContaining({ approver: { kind: 'user', id: 'carol' } })] });
    // the environment is back in bob's inbox
    expect((await get('/approvals?status=pending', bob).expect(200)).body.items).toEqual(expect.arrayContaining([expect.objectContaining({ releaseId, environment: 'prod1' })]));
  });

  it('serves the project policy: defaults, validated PUT (400 naming the field), admin scope, and the GitOps target of PromoteDeployment', async () => {
    const defaults = await get('/projects/custom/release-policy').expect(200);
    expect(defaults.body).toMatchObject({ stored: false, gitops: { repositoryId: null, branch: 'main', pathTemplate: 'environments/{environment}/{application}' } });
    expect(defaults.body.policy.environments.map((e: { match: string }) => e.match)).toEqual(['dev*', 'stage*', 'staging*', 'prod*', '*']);

    const policy = { environments: [{ match: 'dev*', autoApprove: true }, { match: '*', roles: ['staff', 'client'] }] };
    await put('/projects/custom/release-policy', planner).send({ policy }).expect(403);
    const noCatchAll = await put('/projects/custom/release-policy').send({ policy: { environments: [{ match: 'dev*', autoApprove: true }] } }).expect(400);
    expect(noCatchAll.body).toMatchObject({ code: 'approval-policy.invalid', details: { field: 'environments' } });
    const shortTtl = await put('/projects/custom/release-policy').send({ policy: { environments: [{ match: '*', roles: ['staff', 'client'], approvalTtlSeconds: 1 }] } }).expect(400);
    expect(shortTtl.body).toMatchObject({ details: { field: 'environments[0].approvalTtlSeconds' } });
    const badPath = await put('/projects/custom/release-policy').send({ policy, gitops: { pathTemplate: '../{environment}' } }).expect(400);
    expect(badPath.body).toMatchObject({ code: 'release-policy.invalid', details: { field: 'gitops.pathTemplate' } });
    await put('/projects/custom/release-policy').send({ policy, extra: 1 }).expect(400);

    const gitops = { repositoryId: 'gitops-1', branch: 'deploy', pathTemplate: 'apps/{application}/{environment}' };
    await put('/projects/custom/release-policy').send({ policy, gitops }).expect(200);
    expect((await get('/projects/custom/release-policy').expect(200)).body).toEqual({ stored: true, policy: { environments: [{ match: 'dev*', autoApprove: true, roles: [] }, { match: '*', roles: ['staff', 'client'] }] }, gitops });
    expect((await get('/projects/custom/release-policy', await approver('mallory', 'globex')).expect(200)).body.stored).toBe(false);

    const releaseId = await submitted(['dev1'], 'custom');
    const promote = await promoteCommand(fx, releaseId, 'dev1');
    expect(promote.payload.gitops).toEqual({ repositoryId: 'gitops-1', branch: 'deploy', path: 'apps/shop/dev1' });
  });
});
