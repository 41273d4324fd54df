import { eventually } from '@delivery/testing';
import { renderedFor, renderInput, startManifestHarness, streamTypes, type ManifestHarness } from '../manifest.testing';

// The per-branch commit queue: a render for a branch that has a commit of this service in flight waits, without a
// CreateCommit, until that commit is answered. The commit service starts late here, so the first commit stays in
// flight while the others arrive.
describe('the commit queue of a GitOps branch', () => {
  let h: ManifestHarness;

  beforeAll(async () => {
    h = await startManifestHarness({ commits: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  const stateOf = (renderId: string) =>
    eventually(async () => {
      const rows: Array<{ state: string }> = await h.manifests.dataSource.query(`SELECT state FROM manifest_renders WHERE render_id = $1`, [renderId]);
      return rows[0]?.state;
    }, 'render recorded');

  it('queues renders behind the commit in flight and commits them in arrival order on the head it made', async () => {
    const repo = await h.gitops('queue');
    const first = renderInput(repo, { application: 'first', gitops: { path: 'apps/first/dev1' } });
    const second = renderInput(repo, { application: 'second', gitops: { path: 'apps/second/dev1' } });
    const a = await h.fx.send('RenderManifest', first);
    expect(await stateOf(a.id)).toBe('pending');
    const b = await h.fx.send('RenderManifest', second);
    // a redelivery of the queued render: its inbox claim went with the queue row, so it queues nothing twice
    await h.fx.publisher.publish(b, { msgId: `${b.id}:again` });
    expect(await stateOf(b.id)).toBe('queued');
    const c = await h.fx.send('RenderManifest', first);
    expect(await stateOf(c.id)).toBe('queued');
    expect(await streamTypes(h.manifests, second)).toEqual([]);
    const [branch]: Array<{ in_flight_key: string | null }> = await h.manifests.dataSource.query(`SELECT in_flight_key FROM manifest_branches WHERE repository_id = $1 AND branch = 'main'`, [repo.repositoryId]);
    expect(branch?.in_flight_key).toMatch(new RegExp(`^manifest:${first.releaseId}:dev1:`));

    await h.startCommits();
    const [ra, rb, rc] = await Promise.all([renderedFor(h.fx, a.id), renderedFor(h.fx, b.id), renderedFor(h.fx, c.id)]);
    expect(ra!.payload.changed).toBe(true);
    expect(rb!.payload.changed).toBe(true);
    expect((await h.sandbox.git.getCommit(repo.locator, rb!.payload.revision))?.parents).toEqual([ra!.payload.revision]);
    // the same manifests asked for again while their commit was in flight: the branch holds them, nothing to commit
    expect(rc!.payload).toMatchObject({ changed: false, revision: rb!.payload.revision, contentDigest: ra!.payload.contentDigest });
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(3);
    expect(await streamTypes(h.manifests, second)).toEqual(['CreateCommit', 'DeploymentManifestRendered']);
    expect(await streamTypes(h.manifests, first)).toEqual(['CreateCommit', 'DeploymentManifestRendered', 'DeploymentManifestRendered']);
  });
});
