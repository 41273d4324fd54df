// Against a real Azure DevOps organization; runs only when AZURE_DEVOPS_ORG_URL, AZURE_DEVOPS_PROJECT and
// AZURE_DEVOPS_TOKEN (PAT with Code read/write/manage) are set. Creates a uniquely named repository and leaves
// it behind (deleting repositories needs an extra scope the adapter does not ask for).
import { GitConflictError, type RepositoryLocator } from '../git-provider.port';
import { AzureDevOpsGitProvider } from './azure-devops-git.adapter';

const orgUrl = process.env['AZURE_DEVOPS_ORG_URL'];
const project = process.env['AZURE_DEVOPS_PROJECT'];
const token = process.env['AZURE_DEVOPS_TOKEN'];
const configured = Boolean(orgUrl && project && token);
const suite = configured ? describe : describe.skip;
const title = configured ? 'AzureDevOpsGitProvider (live)' : 'AzureDevOpsGitProvider (live) (skipped: AZURE_DEVOPS_ORG_URL not set)';

suite(title, () => {
  const repo: RepositoryLocator = { tenantId: 'live', projectId: 'live', name: `delivery-it-${Date.now()}` };
  const author = { name: 'Delivery Platform IT', email: 'delivery-it@example.com' };
  const ado = new AzureDevOpsGitProvider({ organizationUrl: orgUrl ?? '', project: project ?? '', token: token ?? '', pollIntervalMs: 1000, pollTimeoutMs: 120_000 });

  it('creates a repository, commits with CAS, opens, comments, checks and completes a pull request', async () => {
    const info = await ado.createRepository(repo, { defaultBranch: 'main', author, initialFiles: [{ action: 'add', path: 'README.md', content: '# it\n' }] });
    expect(info.headSha).toMatch(/^[0-9a-f]{40}$/);
    const c = await ado.commit(repo, { branch: 'feature/it', createBranch: true, expectedParentSha: info.headSha, message: 'it: change', trailers: { 'Trace-Id': 'live' }, author, changes: [{ action: 'update', path: 'README.md', content: '# it 2\n' }] });
    await expect(ado.commit(repo, { branch: 'feature/it', expectedParentSha: info.headSha, message: 'stale', author, changes: [{ action: 'add', path: 'x', content: 'x' }] })).rejects.toBeInstanceOf(GitConflictError);
    expect((await ado.getCommit(repo, c.sha))?.trailers).toEqual({ 'Trace-Id': 'live' });
    expect((await ado.readFile(repo, 'feature/it', 'README.md'))?.toString()).toBe('# it 2\n');
    expect(await ado.diff(repo, 'main', 'feature/it')).toEqual([{ path: 'README.md', change: 'modified' }]);
    const pr = await ado.openPullRequest(repo, { source: 'feature/it', target: 'main', title: 'IT', description: 'live test', author });
    await ado.comment(repo, pr.providerPullRequestId, { body: 'hello from the platform', author });
    await ado.setStatus(repo, pr.providerPullRequestId, { name: 'it-check', state: 'succeeded' });
    const { mergeSha } = await ado.complete(repo, pr.providerPullRequestId, { strategy: 'squash', message: 'IT squash', deleteSourceBranch: true, expectedSourceSha: c.sha });
    expect(await ado.resolveBranch(repo, 'main')).toBe(mergeSha);
  }, 180_000);
});
