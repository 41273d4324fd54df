import { announcePolicy, repositoryKnown } from '@delivery/repository-directory/testing';
import { eventually } from '@delivery/testing';
import { renderedFor, renderFailedFor, renderInput, startManifestHarness, streamTypes, type ManifestHarness } from '../manifest.testing';

const DIR = 'apps/shop/dev1';
const someone = { name: 'someone', email: 'someone@example.com' };

// The commit service's replies: a moved branch is rendered again on top of the new head, any other refusal is the
// render's failure. The commit service starts late here, so that the branch can move while a CreateCommit waits.
describe('commit outcomes of a render', () => {
  let h: ManifestHarness;

  beforeAll(async () => {
    h = await startManifestHarness({ commits: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  const pending = (renderId: string) =>
    eventually(async () => ((await h.manifests.dataSource.query(`SELECT 1 FROM manifest_renders WHERE render_id = $1`, [renderId])).length > 0 ? true : undefined), 'render pending');

  it('renders again on top of a branch that moved between render and commit', async () => {
    const repo = await h.gitops('moved');
    const input = renderInput(repo);
    const command = await h.fx.send('RenderManifest', input);
    await pending(command.id);
    // someone else commits into the directory after the render read the head: the CreateCommit's swap must lose
    const moved = await h.sandbox.git.commit(repo.locator, {
      branch: 'main',
      changes: [{ action: 'add', path: `${DIR}/service-blue.yaml`, content: 'stale\n' }],
      message: 'someone else',
      author: someone,
    });
    const commits = await h.startCommits();
    await repositoryKnown(commits, repo.repositoryId);

    const event = await renderedFor(h.fx, command.id);
    expect(event).toMatchObject({ correlationId: command.correlationId, traceId: command.traceId });
    expect(event.payload.changed).toBe(true);
    const commit = await h.sandbox.git.getCommit(repo.locator, event.payload.revision);
    expect(commit?.parents).toEqual([moved.sha]);
    // the re-render saw the new head: the stale file it left is gone
    expect(await h.sandbox.git.listFiles(repo.locator, 'main', DIR)).toEqual([`${DIR}/deployment.yaml`, `${DIR}/service.yaml`, `${DIR}/workload.json`]);
    expect(await streamTypes(h.manifests, input)).toEqual(['CreateCommit', 'CreateCommit', 'DeploymentManifestRendered']);
  });

  it('answers a commit the commit service refused with RenderFailed and its failure', async () => {
    const commits = h.commits ?? (await h.startCommits());
    const repo = await h.gitops('protected');
    const policy = { protected: true, requiredChecks: [], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash' as const] };
    await announcePolicy(h.fx, repo, policy, { knownBy: commits });
    const input = renderInput(repo);
    const command = await h.fx.send('RenderManifest', input);
    const failed = await renderFailedFor(h.fx, command.id);
    expect(failed).toMatchObject({ correlationId: command.correlationId, traceId: command.traceId, actor: { kind: 'service', id: 'deployment-manifest' } });
    expect(failed.payload.error).toMatchObject({ code: 'branch.protected', retryable: false });
    expect(await streamTypes(h.manifests, input)).toEqual(['CreateCommit', 'DeploymentManifestRenderFailed']);
  });
});
