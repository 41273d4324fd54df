import type { PayloadOf } from '@delivery/contracts';
import { PULL_REQUESTS_READ, PULL_REQUESTS_WRITE } from '@delivery/repository-directory';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import { rejectionOf, startPullRequestFixture, type PullRequestFixture } from '../testing/pull-request.fixture';

type Commented = PayloadOf<'PullRequestCommented'>;

// CommentOnPullRequest through both doors; keyed comments are replaced in place.
describe('CommentOnPullRequest', () => {
  let f: PullRequestFixture;
  let repo: SeededRepository;
  let pullRequestId: string;

  beforeAll(async () => {
    f = await startPullRequestFixture();
    repo = await f.repository('comments');
    await f.commit(repo, 'feature/x', { 'x.txt': 'x' });
    ({ pullRequestId } = await f.open(repo, 'feature/x'));
  });
  afterAll(() => f?.close());

  it('over the bus: comments, and a keyed comment replaces the earlier one of its key under the same commentId', async () => {
    const plain = await f.answer<Commented>(await f.send('CommentOnPullRequest', { pullRequestId, body: 'looks fine', path: 'x.txt', line: 1 }), 'PullRequestCommented');
    expect(plain.payload).toMatchObject({ pullRequestId, body: 'looks fine', replaced: false, author: { kind: 'agent', id: 'agent-7' } });
    const plan = await f.answer<Commented>(await f.send('CommentOnPullRequest', { pullRequestId, body: 'plan: +1 ~0 -0', key: 'iac-plan/stage1' }), 'PullRequestCommented');
    expect(plan.payload).toMatchObject({ key: 'iac-plan/stage1', replaced: false });
    const replan = await f.answer<Commented>(await f.send('CommentOnPullRequest', { pullRequestId, body: 'plan: +2 ~0 -0', key: 'iac-plan/stage1' }), 'PullRequestCommented');
    expect(replan.payload).toMatchObject({ commentId: plan.payload.commentId, replaced: true, body: 'plan: +2 ~0 -0' });

    const token = await f.bearer([PULL_REQUESTS_READ]);
    const read = await f.fx.http(f.service).get(`/pull-requests/${pullRequestId}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.comments).toEqual([
      { commentId: plain.payload.commentId, author: { kind: 'agent', id: 'agent-7' }, body: 'looks fine', path: 'x.txt', line: 1 },
      { commentId: plan.payload.commentId, author: { kind: 'agent', id: 'agent-7' }, body: 'plan: +2 ~0 -0', key: 'iac-plan/stage1' },
    ]);
  });

  it('over REST: 201 with the comment as the caller; unknown or foreign pull requests are 404', async () => {
    const token = await f.bearer([PULL_REQUESTS_WRITE]);
    const created = await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/comments`).set('Authorization', `Bearer ${token}`).send({ body: 'from Studio' }).expect(201);
    expect(created.body).toMatchObject({ pullRequestId, author: { kind: 'user', id: 'alice' }, replaced: false });
    await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/comments`).set('Authorization', `Bearer ${token}`).send({}).expect(400);
    const unknown = await f.fx.http(f.service).post('/pull-requests/0192f3a4-5b6c-7d8e-9f01-23456789abcd/comments').set('Authorization', `Bearer ${token}`).send({ body: 'x' }).expect(404);
    expect(unknown.body).toMatchObject({ code: 'pull-request.not-found' });
    const stranger = await f.bearer([PULL_REQUESTS_WRITE], { tenant: 'globex' });
    await f.fx.http(f.service).post(`/pull-requests/${pullRequestId}/comments`).set('Authorization', `Bearer ${stranger}`).send({ body: 'x' }).expect(404);
  });

  it('over the bus: a pull request of another tenant or project is not found', async () => {
    const foreign = await f.send('CommentOnPullRequest', { pullRequestId, body: 'x' }, { tenantId: 'globex' });
    expect((await rejectionOf(f, foreign)).payload).toEqual({ pullRequestId, command: 'CommentOnPullRequest', error: expect.objectContaining({ code: 'pull-request.not-found' }) });
    const otherProject = await f.send('CommentOnPullRequest', { pullRequestId, body: 'x' }, { projectId: 'api' });
    expect((await rejectionOf(f, otherProject)).payload.error.code).toBe('pull-request.not-found');
  });
});
