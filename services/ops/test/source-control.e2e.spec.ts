import { randomBytes } from 'node:crypto';
import { signTestToken } from '@delivery/auth';
import { ContractClient, eventually } from '@delivery/testing';
import { createPlatform, type Json, type PlatformProcesses } from './platform.fixture';

jest.setTimeout(240_000);

const SECRET = 'source-control-e2e-secret-0123456789abcdef';
const SERVICES = ['source-control/repository', 'source-control/branch', 'source-control/commit', 'source-control/pull-request'];

// The source-control context as five real processes (four services and ops). An agent that knows only
// contracts/asyncapi.json and contracts/schemas drives it over NATS: provision, branch, commit twice, open a
// pull request, have it reviewed and checked, merge. Then the lineage of its one traceId tells the whole story.
describe('source control end to end (real processes, real NATS, Postgres and git)', () => {
  let platform: PlatformProcesses;
  const seen: Json[] = [];
  const contracts = ContractClient.load();

  beforeAll(async () => {
    platform = await createPlatform('e2esc', SECRET);
    platform.onEvents('acme.evt.source-control.>', (event) => seen.push(event));
  });
  afterAll(async () => {
    await platform?.close();
  });

  it('an agent takes a change from a new repository to a merged pull request, and lineage shows every step in order', async () => {
    await platform.start(SERVICES);
    const ops = platform.urlOf('ops');

    const traceId = randomBytes(16).toString('hex');
    const coder = { kind: 'agent', id: 'coder-7' };
    const sent: Json[] = [];
    const send = async (type: string, payload: Json, actor: Json = coder) => {
      const envelope = await platform.publish(contracts.command(type, payload, { tenantId: 'acme', projectId: 'shop', traceId, actor: actor as { kind: string; id: string } }));
      sent.push(envelope);
      return envelope;
    };
    const answer = (command: Json, type: string) =>
      eventually(async () => {
        const failure = seen.find((e) => e.causationId === command.id && /Failed|Rejected/.test(e.type));
        if (failure) throw new Error(`${command.type} refused: ${JSON.stringify(failure.payload.error)}`);
        return seen.find((e) => e.causationId === command.id && e.type === type);
      }, `${type} for ${command.type}`, 30_000);

    const provision = await send('ProvisionRepository', { name: 'shop', initialFiles: [{ path: 'README.md', content: '# Shop\n' }] });
    const { repositoryId } = (await answer(provision, 'RepositoryProvisioned')).payload;

    const policy = { protected: true, requiredChecks: ['build'], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash', 'merge'] };
    await answer(await send('SetBranchPolicy', { repositoryId, branch: 'main', policy }), 'BranchPolicySet');
    await answer(await send('CreateBranch', { repositoryId, name: 'feature/checkout', from: { branch: 'main' } }), 'BranchCreated');

    const page = { action: 'add', path: 'src/checkout.html', content: '<h1>Checkout</h1>\n' };
    const first = await answer(await send('CreateCommit', { repositoryId, branch: 'feature/checkout', message: 'Add the checkout page', changes: [page] }), 'CommitCreated');
    const second = await answer(
      await send('CreateCommit', { repositoryId, branch: 'feature/checkout', message: 'Style the checkout page', expectedParentSha: first.payload.sha, changes: [{ ...page, action: 'update', content: '<h1 class="big">Checkout</h1>\n' }] }),
      'CommitCreated',
    );
    expect(second.payload.parentSha).toBe(first.payload.sha);

    const open = await send('OpenPullRequest', { repositoryId, sourceBranch: 'feature/checkout', targetBranch: 'main', title: 'Checkout page', deleteSourceBranchOnMerge: true });
    const { pullRequestId } = (await answer(open, 'PullRequestOpened')).payload;

    // The author may not approve its own change; another reviewer may.
    const selfReview = await send('ReviewPullRequest', { pullRequestId, decision: 'approve' });
    const refused = await eventually(async () => seen.find((e) => e.causationId === selfReview.id && e.type === 'PullRequestCommandRejected'), 'the refusal', 30_000);
    expect(refused.payload.error.code).toBe('pull-request.reviewer-is-author');
    await answer(await send('ReviewPullRequest', { pullRequestId, decision: 'approve' }, { kind: 'user', id: 'reviewer-1' }), 'PullRequestReviewed');
    const check = await send('SetPullRequestCheck', { pullRequestId, name: 'build', state: 'succeeded' }, { kind: 'service', id: 'pipelines' });
    const completed = await answer(check, 'PullRequestChecksCompleted');
    expect(completed.payload).toMatchObject({ verdict: 'passed', sourceSha: second.payload.sha });

    const merged = await answer(await send('MergePullRequest', { pullRequestId, strategy: 'squash' }), 'PullRequestMerged');
    expect(merged.payload).toMatchObject({ sourceSha: second.payload.sha, sourceBranchDeleted: true, strategy: 'squash' });

    // The lineage read model: every command and event of the trace, each event after the command that caused it.
    const token = await signTestToken({ sub: 'studio', tenant: 'acme', scopes: ['devops.lineage.read'] }, SECRET);
    const story = await eventually(async () => {
      const response = await fetch(`${ops}/lineage/${traceId}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) return undefined;
      const entries = ((await response.json()) as { entries: Json[] }).entries;
      return entries.some((e) => e.type === 'PullRequestMerged') && entries.length >= sent.length * 2 ? entries : undefined;
    }, 'the full lineage of the trace', 60_000);
    const types = story.map((e) => e.type);
    const steps = [
      'ProvisionRepository', 'RepositoryProvisioned', 'SetBranchPolicy', 'BranchPolicySet', 'CreateBranch', 'BranchCreated',
      'CreateCommit', 'CommitCreated', 'CreateCommit', 'CommitCreated', 'OpenPullRequest', 'PullRequestOpened',
      'ReviewPullRequest', 'PullRequestReviewed', 'SetPullRequestCheck', 'PullRequestCheckSet', 'PullRequestChecksCompleted',
      'MergePullRequest', 'PullRequestMerged',
    ];
    let cursor = -1;
    for (const step of steps) {
      const at = types.indexOf(step, cursor + 1);
      expect({ step, found: at > cursor }).toEqual({ step, found: true });
      cursor = at;
    }
    for (const entry of story.filter((e) => e.kind === 'event')) {
      const cause = story.findIndex((e) => e.id === entry.causationId);
      expect(cause).toBeGreaterThanOrEqual(0);
      expect(cause).toBeLessThan(story.indexOf(entry));
    }

    expect(new Set(await platform.stop())).toEqual(new Set([0]));
  });
});
