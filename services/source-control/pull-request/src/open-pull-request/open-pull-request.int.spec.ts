import type { PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_READ, PULL_REQUESTS_WRITE } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { rejectionOf, startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

// OpenPullRequest on real git, NATS and Postgres, through both doors.
describe('OpenPullRequest', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('web-app');
  });
  afterAll(() => f?.close());

  it('over the bus: opens with both heads, the envelope actor as author, and numbers per repository', async () => {
    const sourceSha = await f.commit(repo, 'feature/a', { 'a.txt': 'a' });
    const command = await f.send('OpenPullRequest', { repositoryId: repo.repositoryId, sourceBranch: 'feature/a', targetBranch: 'main', title: 'Add a', deleteSourceBranchOnMerge: true });
    const opened = await f.answer<PayloadOf<'PullRequestOpened'>>(command, 'PullRequestOpened');
    expect(opened).toMatchObject({ traceId: command.traceId, tenantId: 'acme', projectId: 'web', source: 'pull-request' });
    expect(opened.payload).toMatchObject({
      repositoryId: repo.repositoryId,
      number: 1,
      sourceBranch: 'feature/a',
      targetBranch: 'main',
      sourceSha,
      targetSha: repo.headSha,
      title: 'Add a',
      author: { kind: 'agent', id: 'agent-7' },
      deleteSourceBranchOnMerge: true,
    });
    expect(opened.payload.pullRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    await f.commit(repo, 'feature/b', { 'b.txt': 'b' });
    expect((await f.open(repo, 'feature/b')).number).toBe(2);
    // another repository counts from 1
    const other = await f.repository('other-app');
    await f.commit(other, 'feature/a', { 'x.txt': 'x' });
    expect((await f.open(other, 'feature/a')).number).toBe(1);
    const events = await f.service.dataSource.query(`SELECT stream_id, version FROM events WHERE type = 'PullRequestOpened' AND data->>'pullRequestId' = $1`, [opened.payload.pullRequestId]);
    expect(events).toEqual([{ stream_id: `pull-request-${opened.payload.pullRequestId}`, version: 0 }]);
  });

  it('over the bus: refuses a duplicate, a missing branch and a pull request into itself with PullRequestCommandRejected', async () => {
    await f.commit(repo, 'feature/dup', { 'd.txt': 'd' });
    await f.open(repo, 'feature/dup');
    const duplicate = await f.send('OpenPullRequest', { repositoryId: repo.repositoryId, sourceBranch: 'feature/dup', targetBranch: 'main', title: 'again' });
    expect((await rejectionOf(f, duplicate)).payload).toMatchObject({ pullRequestId: null, repositoryId: repo.repositoryId, command: 'OpenPullRequest', error: { code: 'pull-request.duplicate', retryable: false } });
    const missing = await f.send('OpenPullRequest', { repositoryId: repo.repositoryId, sourceBranch: 'nowhere', targetBranch: 'main', title: 'x' });
    expect((await rejectionOf(f, missing)).payload.error).toMatchObject({ code: 'branch.not-found', message: expect.stringMatching(/nowhere/) });
    const itself = await f.send('OpenPullRequest', { repositoryId: repo.repositoryId, sourceBranch: 'main', targetBranch: 'main', title: 'x' });
    expect((await rejectionOf(f, itself)).payload.error).toMatchObject({ code: 'pull-request.same-branch' });
    // a refused open used no number
    await f.commit(repo, 'feature/after', { 'e.txt': 'e' });
    const after = await f.open(repo, 'feature/after');
    const numbers: Array<{ number: number }> = await f.service.dataSource.query(`SELECT number FROM pull_requests WHERE repository_id = $1 ORDER BY number`, [repo.repositoryId]);
    expect(numbers.map((n) => n.number)).toEqual([...Array(after.number).keys()].map((i) => i + 1));
  });

  it('concurrent opens of the same pair yield one pull request', async () => {
    await f.commit(repo, 'feature/race', { 'r.txt': 'r' });
    const commands = await Promise.all(
      [1, 2, 3].map(() => f.send('OpenPullRequest', { repositoryId: repo.repositoryId, sourceBranch: 'feature/race', targetBranch: 'main', title: 'race' })),
    );
    const answers = await Promise.all(commands.map((c) => f.answer<unknown>(c, '*')));
    expect(answers.map((a) => a.type).sort()).toEqual(['PullRequestCommandRejected', 'PullRequestCommandRejected', 'PullRequestOpened']);
  });

  describe('REST', () => {
    it('POST /pull-requests opens in the repository’s project as the caller: 201, then 409, 404 and 400', async () => {
      const token = await f.bearer([PULL_REQUESTS_WRITE, PULL_REQUESTS_READ]);
      await f.commit(repo, 'feature/rest', { 'r.txt': 'rest' });
      const body = { repositoryId: repo.repositoryId, sourceBranch: 'feature/rest', targetBranch: 'main', title: 'From REST', description: 'why', labels: ['infra'] };
      const created = await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${token}`).send(body).expect(201);
      expect(created.body).toMatchObject({ repositoryId: repo.repositoryId, sourceBranch: 'feature/rest', author: { kind: 'user', id: 'alice' }, deleteSourceBranchOnMerge: false });
      const read = await f.fx.http(f.service).get(`/pull-requests/${created.body.pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(read.body).toMatchObject({ projectId: 'web', description: 'why', labels: ['infra'], status: 'open' });
      const duplicate = await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${token}`).send(body).expect(409);
      expect(duplicate.body).toMatchObject({ code: 'pull-request.duplicate' });
      const missing = await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${token}`).send({ ...body, sourceBranch: 'gone' }).expect(404);
      expect(missing.body).toMatchObject({ code: 'branch.not-found' });
      const itself = await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${token}`).send({ ...body, sourceBranch: 'main' }).expect(400);
      expect(itself.body).toMatchObject({ code: 'pull-request.same-branch' });
      await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${token}`).send({ ...body, title: '' }).expect(400);
      const rejected = await f.service.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = 'PullRequestCommandRejected' AND data->'error'->>'code' = 'pull-request.duplicate'`);
      expect(rejected[0].n).toBeGreaterThanOrEqual(2);
    });

    it('another tenant’s repository is 404, and opening needs the write scope', async () => {
      const stranger = await f.bearer([PULL_REQUESTS_WRITE], { tenant: 'globex' });
      const body = { repositoryId: repo.repositoryId, sourceBranch: 'feature/a', targetBranch: 'main', title: 'x' };
      const response = await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${stranger}`).send(body).expect(404);
      expect(response.body).toMatchObject({ code: 'repository.not-found' });
      const reader = await f.bearer([PULL_REQUESTS_READ]);
      await f.fx.http(f.service).post('/pull-requests').set('Authorization', `Bearer ${reader}`).send(body).expect(403);
    });
  });
});
