import { BRANCH_POLICIES_WRITE, REPOSITORIES_READ, REPOSITORIES_WRITE } from '@delivery/repository-directory';
import { startBranchTestbed, type BranchTestbed } from '../branch.test-fixture';

const POLICY = { protected: true, requiredChecks: ['pipeline/build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash' as const] };

// SetBranchPolicy (and the reads that show policies) on real git, NATS and Postgres, through both doors.
describe('SetBranchPolicy', () => {
  let bed: BranchTestbed;

  beforeAll(async () => {
    bed = await startBranchTestbed('branch-policy');
  });
  afterAll(() => bed?.close());

  it('over the bus: versions count 1, 2 and BranchPolicySet carries them; the row keeps the newest', async () => {
    const repo = await bed.seed('bus-policy');
    await bed.fx.send('SetBranchPolicy', { repositoryId: repo.repositoryId, branch: 'main', policy: POLICY });
    const first = await bed.event('BranchPolicySet', (p) => p.repositoryId === repo.repositoryId && p.version === 1);
    await bed.fx.send('SetBranchPolicy', { repositoryId: repo.repositoryId, branch: 'main', policy: { ...POLICY, minimumApprovals: 2 } });
    const second = await bed.event('BranchPolicySet', (p) => p.repositoryId === repo.repositoryId && p.version === 2);
    expect(first.payload).toEqual({ repositoryId: repo.repositoryId, branch: 'main', policy: POLICY, version: 1 });
    expect(second.payload.policy.minimumApprovals).toBe(2);
    const rows = await bed.service.dataSource.query(`SELECT version, policy, tenant_id, project_id FROM branch_policies WHERE repository_id = $1`, [repo.repositoryId]);
    expect(rows).toEqual([{ version: 2, policy: second.payload.policy, tenant_id: 'acme', project_id: 'web' }]);
  });

  it('over the bus: concurrent first policies of a branch still get distinct versions', async () => {
    const repo = await bed.seed('bus-race');
    await Promise.all([1, 2, 3].map((n) => bed.fx.send('SetBranchPolicy', { repositoryId: repo.repositoryId, branch: 'main', policy: { ...POLICY, minimumApprovals: n } })));
    await bed.event('BranchPolicySet', (p) => p.repositoryId === repo.repositoryId && p.version === 3);
    const events = await bed.service.dataSource.query(`SELECT (data->>'version')::int AS v FROM events WHERE type = 'BranchPolicySet' AND data->>'repositoryId' = $1 ORDER BY 1`, [repo.repositoryId]);
    expect(events.map((e: { v: number }) => e.v)).toEqual([1, 2, 3]);
  });

  it('over the bus: a name git refuses is rejected', async () => {
    const repo = await bed.seed('bus-bad-name');
    await bed.fx.send('SetBranchPolicy', { repositoryId: repo.repositoryId, branch: 'x.lock', policy: POLICY });
    const rejected = await bed.event('BranchCommandRejected', (p) => p.repositoryId === repo.repositoryId);
    expect(rejected.payload).toMatchObject({ branch: 'x.lock', command: 'SetBranchPolicy', error: { code: 'git.invalid-branch' } });
  });

  describe('REST', () => {
    const put = async (status: number, repositoryId: string, branch: string, body: unknown, scopes = [BRANCH_POLICIES_WRITE], claims = {}) =>
      bed.fx.http(bed.service).put(`/repositories/${repositoryId}/branches/${branch}/policy`).set('Authorization', await bed.auth(scopes, claims)).send(body as object).expect(status);
    const get = async (status: number, path: string, scopes = [REPOSITORIES_READ], claims = {}) => bed.fx.http(bed.service).get(path).set('Authorization', await bed.auth(scopes, claims)).expect(status);

    it('PUT sets versions 1, 2 (also on a branch not created yet); GET reads the policy back, 404 when none', async () => {
      const repo = await bed.seed('rest-policy');
      const first = await put(200, repo.repositoryId, 'release%2F2.0', POLICY);
      expect(first.body).toEqual({ repositoryId: repo.repositoryId, branch: 'release/2.0', policy: POLICY, version: 1 });
      const second = await put(200, repo.repositoryId, 'release%2F2.0', { ...POLICY, protected: false });
      expect(second.body).toMatchObject({ version: 2, policy: { protected: false } });
      const read = await get(200, `/repositories/${repo.repositoryId}/branches/release%2F2.0/policy`);
      expect(read.body).toEqual(second.body);
      expect((await get(404, `/repositories/${repo.repositoryId}/branches/main/policy`)).body).toMatchObject({ code: 'branch-policy.not-found' });
      await bed.event('BranchPolicySet', (p) => p.repositoryId === repo.repositoryId && p.version === 2);
    });

    it('answers 400 for an empty allowedMergeStrategies or a bad name, 404 for another tenant, 403 without the scope', async () => {
      const repo = await bed.seed('rest-policy-refusals');
      const empty = await put(400, repo.repositoryId, 'main', { ...POLICY, allowedMergeStrategies: [] });
      expect(empty.body.message).toMatch(/allowedMergeStrategies/);
      await put(400, repo.repositoryId, 'a..b', POLICY);
      await put(404, repo.repositoryId, 'main', POLICY, [BRANCH_POLICIES_WRITE], { tenant: 'globex' });
      await get(404, `/repositories/${repo.repositoryId}/branches/main/policy`, [REPOSITORIES_READ], { tenant: 'globex' });
      await put(403, repo.repositoryId, 'main', POLICY, [REPOSITORIES_WRITE]);
      await get(403, `/repositories/${repo.repositoryId}/branches/main/policy`, [REPOSITORIES_WRITE]);
      expect(await bed.count('BranchPolicySet', repo.repositoryId)).toBe(0);
    });

    it('GET /branches lists branches by name with their policies, page by page; a policy set ahead shows once the branch exists', async () => {
      const repo = await bed.seed('rest-list');
      const write = await bed.auth([REPOSITORIES_WRITE]);
      await put(200, repo.repositoryId, 'request%2F1', POLICY);
      for (const name of ['request/2', 'request/1', 'alpha']) {
        await bed.fx.http(bed.service).post(`/repositories/${repo.repositoryId}/branches`).set('Authorization', write).send({ name, from: { branch: 'main' } }).expect(201);
      }
      const first = await get(200, `/repositories/${repo.repositoryId}/branches?limit=2`);
      expect(first.body.items).toEqual([
        { name: 'alpha', sha: repo.headSha, default: false },
        { name: 'main', sha: repo.headSha, default: true },
      ]);
      expect(first.body.next).toBe('main');
      const second = await get(200, `/repositories/${repo.repositoryId}/branches?limit=2&after=${first.body.next}`);
      expect(second.body.items).toEqual([
        { name: 'request/1', sha: repo.headSha, default: false, policy: POLICY, policyVersion: 1 },
        { name: 'request/2', sha: repo.headSha, default: false },
      ]);
      const last = await get(200, `/repositories/${repo.repositoryId}/branches?limit=2&after=${encodeURIComponent(second.body.next)}`);
      expect(last.body).toEqual({ items: [], next: null });
      await get(400, `/repositories/${repo.repositoryId}/branches?after=..%2Fx`);
      await get(404, `/repositories/${repo.repositoryId}/branches`, [REPOSITORIES_READ], { tenant: 'globex' });
      await get(404, `/repositories/${repo.repositoryId}/branches`, [REPOSITORIES_READ], { projects: ['api'] });
    });
  });
});
