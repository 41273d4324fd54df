import { PULL_REQUESTS_READ, PULL_REQUESTS_WRITE } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { startPullRequestFixture, type PullRequestFixture } from './testing/pull-request.fixture';

// The read side of the REST door: one pull request with its story and a verdict evaluated now, and the list.
describe('PullRequestsController', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;
  let other: SeededRepository;
  let reader: string;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('reading');
    other = await f.repository('elsewhere', { projectId: 'api' });
    await f.policy(repo, { protected: true, requiredChecks: ['build', 'lint'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash'] });
    reader = await f.bearer([PULL_REQUESTS_READ]);
  });
  afterAll(() => f?.close());

  const http = () => f.fx.http(f.service);

  it('GET /pull-requests/:id shows checks, reviews, comments and the policy verdict on the live head', async () => {
    const head = await f.commit(repo, 'feature/story', { 's.txt': 's' });
    const { pullRequestId, number } = await f.open(repo, 'feature/story', { title: 'A story', description: 'the why' });
    await f.answer(await f.send('CommentOnPullRequest', { pullRequestId, body: 'cost: $0', key: 'cost' }), 'PullRequestCommented');
    await f.answer(await f.send('SetPullRequestCheck', { pullRequestId, name: 'build', state: 'succeeded' }), 'PullRequestCheckSet');
    await f.answer(await f.send('SetPullRequestCheck', { pullRequestId, name: 'lint', state: 'pending' }), 'PullRequestCheckSet');
    await f.answer(await f.send('ReviewPullRequest', { pullRequestId, decision: 'approve', comment: 'ok' }, { actor: { kind: 'user', id: 'carol' } }), 'PullRequestReviewed');

    const read = await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(read.body).toMatchObject({
      pullRequestId,
      tenantId: 'acme',
      projectId: 'web',
      repositoryId: repo.repositoryId,
      number,
      status: 'open',
      title: 'A story',
      description: 'the why',
      author: { kind: 'agent', id: 'agent-7' },
      headSha: head,
      comments: [{ body: 'cost: $0', key: 'cost', author: { kind: 'agent', id: 'agent-7' } }],
      reviews: [{ reviewer: { kind: 'user', id: 'carol' }, decision: 'approve', sourceSha: head, comment: 'ok' }],
      checks: [
        { name: 'build', state: 'succeeded', sourceSha: head },
        { name: 'lint', state: 'pending', sourceSha: head },
      ],
    });
    expect(read.body.policy).toEqual({
      sourceSha: head,
      verdict: 'failed',
      checks: [
        { name: 'build', state: 'succeeded' },
        { name: 'lint', state: 'pending' },
      ],
      rules: [
        { rule: 'open', passed: true, message: 'the pull request is open' },
        { rule: 'required-check', passed: true, message: `check "build" succeeded on ${head.slice(0, 12)}` },
        { rule: 'required-check', passed: false, message: `check "lint" is pending on ${head.slice(0, 12)}` },
        { rule: 'minimum-approvals', passed: true, message: '1 of 1 required approval(s)' },
        { rule: 'no-changes-requested', passed: true, message: 'no reviewer requests changes' },
      ],
    });
    expect(read.body.version).toBeUndefined();

    // a push is seen at once: the checks of the old head no longer count
    const pushed = await f.commit(repo, 'feature/story', { 's.txt': 's2' });
    const after = await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(after.body).toMatchObject({ headSha: pushed, policy: { sourceSha: pushed, checks: [] } });
  });

  it('another tenant, another project than the token allows, or an unknown id: 404; no scope: 403', async () => {
    await f.commit(repo, 'feature/private', { 'p.txt': 'p' });
    const { pullRequestId } = await f.open(repo, 'feature/private');
    const stranger = await f.bearer([PULL_REQUESTS_READ], { tenant: 'globex' });
    const response = await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${stranger}`).expect(404);
    expect(response.body).toMatchObject({ code: 'pull-request.not-found' });
    const apiOnly = await f.fx.token({ sub: 'dave', tenant: 'acme', scopes: [PULL_REQUESTS_READ], projects: ['api'] });
    await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${apiOnly}`).expect(404);
    await http().get('/pull-requests/0192f3a4-5b6c-7d8e-9f01-23456789abcd').set('Authorization', `Bearer ${reader}`).expect(404);
    const writer = await f.bearer([PULL_REQUESTS_WRITE]);
    await http().get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${writer}`).expect(403);
    const listed = await http().get('/pull-requests').set('Authorization', `Bearer ${stranger}`).expect(200);
    expect(listed.body).toEqual({ items: [], next: null });
  });

  it('GET /pull-requests pages through the tenant’s pull requests, filtered by repository and status', async () => {
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      await f.commit(other, `feature/${name}`, { [`${name}.txt`]: name });
      ids.push((await f.open(other, `feature/${name}`)).pullRequestId);
    }
    await f.answer(await f.send('ClosePullRequest', { pullRequestId: ids[1]! }, { projectId: 'api' }), 'PullRequestClosed');

    const first = await http().get(`/pull-requests?repositoryId=${other.repositoryId}&limit=2`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(first.body.items.map((i: { pullRequestId: string }) => i.pullRequestId)).toEqual(ids.slice(0, 2));
    expect(first.body.items[0]).toMatchObject({ projectId: 'api', number: 1, status: 'open', sourceBranch: 'feature/one' });
    expect(first.body.items[0].comments).toBeUndefined();
    const second = await http().get(`/pull-requests?repositoryId=${other.repositoryId}&limit=2&after=${first.body.next}`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(second.body).toMatchObject({ items: [{ pullRequestId: ids[2] }], next: null });

    const open = await http().get(`/pull-requests?repositoryId=${other.repositoryId}&status=open`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(open.body.items.map((i: { pullRequestId: string }) => i.pullRequestId)).toEqual([ids[0], ids[2]]);
    const closed = await http().get(`/pull-requests?status=closed`).set('Authorization', `Bearer ${reader}`).expect(200);
    expect(closed.body.items.map((i: { pullRequestId: string }) => i.pullRequestId)).toEqual([ids[1]]);
    // a token limited to project web does not see project api's pull requests
    const webOnly = await f.fx.token({ sub: 'erin', tenant: 'acme', scopes: [PULL_REQUESTS_READ], projects: ['web'] });
    const limited = await http().get(`/pull-requests?repositoryId=${other.repositoryId}`).set('Authorization', `Bearer ${webOnly}`).expect(200);
    expect(limited.body.items).toEqual([]);

    await http().get('/pull-requests?status=draft').set('Authorization', `Bearer ${reader}`).expect(400);
    await http().get('/pull-requests?limit=0').set('Authorization', `Bearer ${reader}`).expect(400);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await http().get('/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/pull-requests', '/pull-requests/{id}', '/pull-requests/{id}/comments', '/pull-requests/{id}/reviews', '/pull-requests/{id}/checks', '/pull-requests/{id}/merge', '/pull-requests/{id}/close']),
    );
  });
});
