// Contract tests: the adapter against a fake Azure DevOps endpoint answering with recorded REST 7.x shapes
// (see azure-devops-fake.server.ts). Asserts what goes over the wire and how answers and errors are mapped.
import { GitConflictError, GitInvalidInputError, GitMergeConflictError, GitUnavailableError, type RepositoryLocator } from '../git-provider.port';
import { AzureDevOpsGitProvider } from './azure-devops-git.adapter';
import { FakeAzureDevOpsServer, type RecordedRequest } from './azure-devops-fake.server';

const TOKEN = 'fake-pat';
const repo: RepositoryLocator = { tenantId: 't1', projectId: 'p1', name: 'orders-service' };
const author = { name: 'Agent Smith', email: 'agent@example.com' };
const BASE = '/org/Delivery/_apis/git/repositories';

describe('AzureDevOpsGitProvider (contract, recorded shapes)', () => {
  let fake: FakeAzureDevOpsServer;
  let ado: AzureDevOpsGitProvider;

  beforeAll(async () => {
    fake = await new FakeAzureDevOpsServer(TOKEN).start();
    ado = new AzureDevOpsGitProvider({
      organizationUrl: fake.organizationUrl,
      project: (tenantId, projectId) => (tenantId === 't1' && projectId === 'p1' ? 'Delivery' : 'Other'),
      token: TOKEN,
      pollIntervalMs: 5,
      pollTimeoutMs: 5_000,
    });
  });
  afterAll(() => fake.stop());

  function lastGit(method: string, pathSuffix: string): RecordedRequest {
    const found = fake.gitRequests().filter((r) => r.method === method && r.path === `${BASE}${pathSuffix}`).pop();
    if (!found) throw new Error(`no ${method} ${pathSuffix} in ${fake.gitRequests().map((r) => `${r.method} ${r.path}`).join(', ')}`);
    return found;
  }

  let initialSha = '';
  let secondSha = '';

  it('discovers the Git area (OPTIONS Location, GET ResourceAreas, OPTIONS git) and creates a repository with an initial push', async () => {
    const info = await ado.createRepository(repo, {
      defaultBranch: 'main',
      author,
      message: 'chore: initial',
      initialFiles: [
        { action: 'add', path: 'README.md', content: '# orders\n' },
        { action: 'add', path: 'bin/logo.png', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      ],
    });
    const discovery = fake.requests.slice(0, 3).map((r) => `${r.method} ${r.path}`);
    expect(discovery).toEqual(['OPTIONS /org/_apis/Location', 'GET /org/_apis/ResourceAreas', 'OPTIONS /org/_apis/git']);

    const create = lastGit('POST', '');
    expect(create.apiVersion).toBe('7.2-preview.2');
    expect(create.body).toEqual({ name: 'orders-service' });

    const push = lastGit('POST', '/00000000-0000-4000-8000-000000000001/pushes');
    expect(push.apiVersion).toBe('7.2-preview.3');
    expect(push.body).toMatchObject({
      refUpdates: [{ name: 'refs/heads/main', oldObjectId: '0000000000000000000000000000000000000000' }],
      commits: [
        {
          comment: 'chore: initial',
          author: { name: 'Agent Smith', email: 'agent@example.com' },
          changes: [
            { changeType: 1, item: { path: '/README.md' }, newContent: { content: '# orders\n', contentType: 0 } },
            { changeType: 1, item: { path: '/bin/logo.png' }, newContent: { content: 'AAEC/w==', contentType: 1 } },
          ],
        },
      ],
    });
    expect(info).toMatchObject({ providerId: '00000000-0000-4000-8000-000000000001', defaultBranch: 'main', cloneUrl: `${fake.organizationUrl}/Delivery/_git/orders-service` });
    expect(info.headSha).toMatch(/^[0-9a-f]{40}$/);
    initialSha = info.headSha;
  });

  it('maps 409 TF400948 (name exists) to GitConflictError and 400 (invalid name) to GitInvalidInputError', async () => {
    await expect(ado.createRepository(repo, { defaultBranch: 'main', author })).rejects.toBeInstanceOf(GitConflictError);
    await expect(ado.createRepository({ ...repo, name: 'bad/name' }, { defaultBranch: 'main', author })).rejects.toBeInstanceOf(GitInvalidInputError);
  });

  it('gets a repository by name (404 → undefined) and resolves branches through getRefs with an exact match', async () => {
    expect(await ado.getRepository(repo)).toMatchObject({ defaultBranch: 'main', headSha: initialSha });
    expect(lastGit('GET', '/orders-service').apiVersion).toBe('7.2-preview.2');
    expect(await ado.getRepository({ ...repo, name: 'missing' })).toBeUndefined();
    expect(await ado.resolveBranch(repo, 'main')).toBe(initialSha);
    expect(lastGit('GET', '/orders-service/refs').query).toEqual({ filter: 'heads/main' });
    expect(await ado.resolveBranch(repo, 'mai')).toBeUndefined();
    expect(await ado.listBranches(repo)).toEqual([{ name: 'main', sha: initialSha }]);
  });

  it('commits with a compare-and-swap on the branch; a stale parent (409 TF401028) is a GitConflictError', async () => {
    const result = await ado.commit(repo, {
      branch: 'main',
      expectedParentSha: initialSha,
      message: 'feat: add order api',
      trailers: { 'Artifact-Id': 'a-1', 'Trace-Id': 'tr-1' },
      author,
      changes: [
        { action: 'update', path: 'README.md', content: '# orders v2\n' },
        { action: 'add', path: 'src/api.ts', content: 'export {};\n' },
        { action: 'delete', path: 'bin/logo.png' },
      ],
    });
    expect(result).toMatchObject({ parentSha: initialSha, branch: 'main' });
    secondSha = result.sha;
    const push = lastGit('POST', '/orders-service/pushes');
    expect(push.body).toMatchObject({
      refUpdates: [{ name: 'refs/heads/main', oldObjectId: initialSha }],
      commits: [
        {
          comment: 'feat: add order api\n\nArtifact-Id: a-1\nTrace-Id: tr-1',
          changes: [
            { changeType: 2, item: { path: '/README.md' }, newContent: { content: '# orders v2\n', contentType: 0 } },
            { changeType: 1, item: { path: '/src/api.ts' } },
            { changeType: 16, item: { path: '/bin/logo.png' } },
          ],
        },
      ],
    });
    const stale = ado.commit(repo, { branch: 'main', expectedParentSha: initialSha, message: 'lost race', author, changes: [{ action: 'add', path: 'x.txt', content: 'x' }] });
    await expect(stale).rejects.toBeInstanceOf(GitConflictError);
    await expect(stale).rejects.toMatchObject({ details: { statusCode: 409, tfCode: 'TF401028', typeKey: 'GitReferenceStaleException' } });
  });

  it('reads commits, history, files, listings and diffs', async () => {
    const c = await ado.getCommit(repo, secondSha);
    expect(c).toMatchObject({ sha: secondSha, parents: [initialSha], trailers: { 'Artifact-Id': 'a-1', 'Trace-Id': 'tr-1' }, author: { name: 'Agent Smith' } });
    expect(c?.author.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await ado.getCommit(repo, 'f'.repeat(40))).toBeUndefined();

    const log = await ado.log(repo, 'main', { base: initialSha, limit: 10 });
    expect(log.map((x) => x.sha)).toEqual([secondSha]);
    expect(lastGit('GET', '/orders-service/commits').query).toEqual({
      'searchCriteria.itemVersion.version': 'main',
      'searchCriteria.itemVersion.versionType': '0',
      'searchCriteria.compareVersion.version': initialSha,
      'searchCriteria.compareVersion.versionType': '2',
      'searchCriteria.$top': '10',
    });

    expect((await ado.readFile(repo, 'main', 'README.md'))?.toString()).toBe('# orders v2\n');
    const content = lastGit('GET', '/orders-service/items');
    expect(content.accept).toBe('application/octet-stream;api-version=7.2-preview.1');
    expect(content.query).toMatchObject({ path: '/README.md', 'versionDescriptor.version': 'main', 'versionDescriptor.versionType': '0' });
    expect(await ado.readFile(repo, initialSha, 'bin/logo.png')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await ado.readFile(repo, 'main', 'bin/logo.png')).toBeUndefined();

    expect(await ado.listFiles(repo, 'main')).toEqual(['README.md', 'src/api.ts']);
    expect(lastGit('GET', '/orders-service/items').query).toMatchObject({ scopePath: '/', recursionLevel: '120' });
    expect(await ado.listFiles(repo, 'main', 'src')).toEqual(['src/api.ts']);

    expect(await ado.diff(repo, initialSha, 'main')).toEqual([
      { path: 'bin/logo.png', change: 'deleted' },
      { path: 'README.md', change: 'modified' },
      { path: 'src/api.ts', change: 'added' },
    ]);
    expect(lastGit('GET', '/orders-service/diffs/commits').query).toMatchObject({
      diffCommonCommit: 'false',
      baseVersion: initialSha,
      baseVersionType: '2',
      targetVersion: 'main',
      targetVersionType: '0',
      $top: '1000',
      $skip: '0',
    });
  });

  it('creates and deletes branches through updateRefs; a rejected ref update is a GitConflictError', async () => {
    expect(await ado.createBranch(repo, 'feature/x', 'main')).toEqual({ name: 'feature/x', sha: secondSha });
    const refs = lastGit('POST', '/orders-service/refs');
    expect(refs.apiVersion).toBe('7.2-preview.2');
    expect(refs.body).toEqual([{ name: 'refs/heads/feature/x', oldObjectId: '0000000000000000000000000000000000000000', newObjectId: secondSha }]);
    await expect(ado.createBranch(repo, 'feature/x', 'main')).rejects.toBeInstanceOf(GitConflictError);
    await expect(ado.deleteBranch(repo, 'feature/x', initialSha)).rejects.toMatchObject({ name: 'GitConflictError', details: { updateStatus: 2 } });
    await ado.deleteBranch(repo, 'feature/x');
    expect(await ado.resolveBranch(repo, 'feature/x')).toBeUndefined();
  });

  it('opens a pull request, comments, sets a status and completes it (CAS on the source)', async () => {
    const feature = await ado.commit(repo, { branch: 'feature/y', createBranch: true, message: 'feat: y', author, changes: [{ action: 'add', path: 'y.txt', content: 'y' }] });
    expect(feature.parentSha).toBe(secondSha);
    const pr = await ado.openPullRequest(repo, { source: 'feature/y', target: 'main', title: 'Add y', description: 'adds y', author });
    expect(lastGit('POST', '/orders-service/pullRequests').body).toEqual({ sourceRefName: 'refs/heads/feature/y', targetRefName: 'refs/heads/main', title: 'Add y', description: 'adds y' });
    expect(pr.url).toBe(`${fake.organizationUrl}/Delivery/_git/orders-service/pullrequest/${pr.providerPullRequestId}`);
    const prPath = `/orders-service/pullRequests/${pr.providerPullRequestId}`;

    const thread = await ado.comment(repo, pr.providerPullRequestId, { body: 'plan: 2 to add', author });
    expect(thread.commentId).toBe('1');
    expect(lastGit('POST', `${prPath}/threads`).body).toEqual({ comments: [{ parentCommentId: 0, content: 'plan: 2 to add', commentType: 1 }], status: 1 });
    const reply = await ado.comment(repo, pr.providerPullRequestId, { body: 'cost: +$3', author, threadId: thread.threadId });
    expect(reply).toEqual({ threadId: thread.threadId, commentId: '2' });
    expect(lastGit('POST', `${prPath}/threads/${thread.threadId}/comments`).apiVersion).toBe('7.2-preview.1');

    await ado.setStatus(repo, pr.providerPullRequestId, { name: 'unit-tests', state: 'succeeded', description: 'green', targetUrl: 'http://ci/1' });
    expect(lastGit('POST', `${prPath}/statuses`).body).toEqual({ state: 2, description: 'green', targetUrl: 'http://ci/1', context: { name: 'unit-tests', genre: 'delivery-platform' } });

    await expect(ado.complete(repo, pr.providerPullRequestId, { strategy: 'merge', message: 'm', deleteSourceBranch: true, expectedSourceSha: secondSha })).rejects.toBeInstanceOf(GitConflictError);

    const { mergeSha } = await ado.complete(repo, pr.providerPullRequestId, { strategy: 'merge', message: 'Merge y', deleteSourceBranch: true, expectedSourceSha: feature.sha });
    expect(lastGit('PATCH', prPath).body).toEqual({
      status: 3,
      lastMergeSourceCommit: { commitId: feature.sha },
      completionOptions: { mergeStrategy: 1, deleteSourceBranch: true, mergeCommitMessage: 'Merge y' },
    });
    expect(await ado.resolveBranch(repo, 'main')).toBe(mergeSha);
    expect((await ado.getCommit(repo, mergeSha))?.parents).toEqual([secondSha, feature.sha]);
    expect(await ado.resolveBranch(repo, 'feature/y')).toBeUndefined();
  });

  it('a stale lastMergeSourceCommit on completion (409) is a GitConflictError; abandon sets status abandoned', async () => {
    const head = (await ado.resolveBranch(repo, 'main')) as string;
    await ado.createBranch(repo, 'feature/z', head);
    const pr = await ado.openPullRequest(repo, { source: 'feature/z', target: 'main', title: 'z', description: '', author });
    await ado.commit(repo, { branch: 'feature/z', message: 'moves source', author, changes: [{ action: 'add', path: 'z.txt', content: 'z' }] });
    // the PR's recorded lastMergeSourceCommit is now behind the branch
    await expect(ado.complete(repo, pr.providerPullRequestId, { strategy: 'squash', message: 'z', deleteSourceBranch: false })).rejects.toMatchObject({ name: 'GitConflictError', details: { statusCode: 409 } });
    await ado.abandon(repo, pr.providerPullRequestId);
    expect(lastGit('PATCH', `/orders-service/pullRequests/${pr.providerPullRequestId}`).body).toEqual({ status: 2 });
  });

  it('merge() goes through a temporary pull request; conflicts become GitMergeConflictError and the PR is abandoned', async () => {
    const target = (await ado.resolveBranch(repo, 'main')) as string;
    const merged = await ado.merge(repo, { source: 'feature/z', target: 'main', strategy: 'squash', message: 'Squash z', author, expectedTargetSha: target, trailers: { 'Trace-Id': 'tr-2' } });
    expect(merged.parentSha).toBe(target);
    expect((await ado.getCommit(repo, merged.sha))).toMatchObject({ parents: [target], message: 'Squash z\n\nTrace-Id: tr-2' });
    await expect(ado.merge(repo, { source: 'feature/z', target: 'main', strategy: 'merge', message: 'm', author, expectedTargetSha: target })).rejects.toBeInstanceOf(GitConflictError);

    await ado.commit(repo, { branch: 'feature/z', message: 'more', author, changes: [{ action: 'add', path: 'z2.txt', content: 'z2' }] });
    fake.conflictOnNextCompletion = true;
    await expect(ado.merge(repo, { source: 'feature/z', target: 'main', strategy: 'merge', message: 'm', author })).rejects.toBeInstanceOf(GitMergeConflictError);
    const abandoned = fake.gitRequests().filter((r) => r.method === 'PATCH').pop();
    expect(abandoned?.body).toEqual({ status: 2 });
  });

  it('revert() runs createRevert, polls getRevert and fast-forwards the branch to the generated ref', async () => {
    const head = (await ado.resolveBranch(repo, 'main')) as string;
    const result = await ado.revert(repo, { branch: 'main', sha: secondSha, message: 'rollback', author });
    expect(result.parentSha).toBe(head);
    const create = lastGit('POST', '/orders-service/reverts');
    expect(create.apiVersion).toBe('7.2-preview.2');
    expect(create.body).toMatchObject({ ontoRefName: 'refs/heads/main', source: { commitList: [{ commitId: secondSha }] } });
    expect(await ado.resolveBranch(repo, 'main')).toBe(result.sha);
    expect((await ado.readFile(repo, 'main', 'README.md'))?.toString()).toBe('# orders\n');
    expect((await ado.listBranches(repo)).map((b) => b.name)).not.toContain(expect.stringMatching(/^delivery-revert\//));
    await expect(ado.revert(repo, { branch: 'main', sha: secondSha, message: 'r', author, expectedParentSha: head })).rejects.toBeInstanceOf(GitConflictError);
  });

  it('maps a rejected token (401) and an unreachable endpoint to GitUnavailableError', async () => {
    const badToken = new AzureDevOpsGitProvider({ organizationUrl: fake.organizationUrl, project: 'Delivery', token: 'wrong' });
    await expect(badToken.getRepository(repo)).rejects.toMatchObject({ name: 'GitUnavailableError', details: { statusCode: 401 } });
    const down = new AzureDevOpsGitProvider({ organizationUrl: 'http://127.0.0.1:9/org', project: 'Delivery', token: TOKEN });
    await expect(down.getRepository(repo)).rejects.toBeInstanceOf(GitUnavailableError);
  });
});
