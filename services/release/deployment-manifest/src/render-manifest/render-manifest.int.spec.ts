import { uuidv7 } from '@delivery/messaging';
import { answersTo, renderedFor, renderFailedFor, renderInput, startManifestHarness, streamTypes, type ManifestHarness, type RenderedEvent } from '../manifest.testing';
import { digest, image, npmPackage } from '../domain/manifest.test-fixture';

const DIR = 'apps/shop/dev1';

// RenderManifest over the bus, answered through the real commit service on real NATS, Postgres and git.
describe('RenderManifest', () => {
  let h: ManifestHarness;

  beforeAll(async () => {
    h = await startManifestHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const read = async (repo: { locator: Parameters<ManifestHarness['sandbox']['git']['readFile']>[0] }, path: string) =>
    (await h.sandbox.git.readFile(repo.locator, 'main', path))?.toString('utf8');

  it('commits the rendered files with lineage trailers and answers with the commit', async () => {
    const repo = await h.gitops('gitops-render');
    const input = renderInput(repo);
    const command = await h.fx.send('RenderManifest', input);
    const event = await renderedFor(h.fx, command.id);

    const head = await h.sandbox.git.resolveBranch(repo.locator, 'main');
    expect(event).toMatchObject({ source: 'deployment-manifest', traceId: command.traceId, correlationId: command.correlationId, actor: { kind: 'service', id: 'deployment-manifest' } });
    expect(event.payload).toMatchObject({ releaseId: input.releaseId, environment: 'dev1', application: 'shop', repositoryId: repo.repositoryId, branch: 'main', changed: true, revision: head });
    expect(event.payload.files.map((f) => f.path)).toEqual([`${DIR}/deployment.yaml`, `${DIR}/service.yaml`, `${DIR}/workload.json`]);

    const commit = await h.sandbox.git.getCommit(repo.locator, event.payload.revision);
    expect(commit?.parents).toEqual([repo.headSha]);
    expect(commit?.message).toMatch(/^Deploy shop 1\.4\.0 to dev1/);
    expect(commit?.trailers).toMatchObject({
      'Release-Id': input.releaseId,
      Environment: 'dev1',
      Application: 'shop',
      Version: '1.4.0',
      'Content-Digest': event.payload.contentDigest,
      'Idempotency-Key': `manifest:${input.releaseId}:dev1:${event.payload.contentDigest.slice('sha256:'.length, 'sha256:'.length + 32)}`,
      'Trace-Id': command.traceId,
    });
    expect(JSON.parse((await read(repo, `${DIR}/workload.json`)) ?? '{}')).toMatchObject({ releaseId: input.releaseId, version: '1.4.0' });
    // the stream of the release in the environment holds the commit it sent and the answer
    expect(await streamTypes(h.manifests, input)).toEqual(['CreateCommit', 'DeploymentManifestRendered']);
  });

  it('answers a re-render of the same release with the head, committing nothing', async () => {
    const repo = await h.gitops('gitops-unchanged');
    const input = renderInput(repo);
    const first = await renderedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    const again = await h.fx.send('RenderManifest', input);
    const second = await renderedFor(h.fx, again.id);
    expect(second.payload).toMatchObject({ changed: false, revision: first.payload.revision, contentDigest: first.payload.contentDigest });
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(2);
  });

  it('commits a release deployed again after another one, though its manifests were committed before', async () => {
    const repo = await h.gitops('gitops-again');
    const first = renderInput(repo, { version: '1.3.0' });
    const c1 = await renderedFor(h.fx, (await h.fx.send('RenderManifest', first)).id);
    await renderedFor(h.fx, (await h.fx.send('RenderManifest', renderInput(repo))).id);
    // the same bytes as c1, whose idempotency key the commit service answers with c1: not what the branch holds
    const again = await renderedFor(h.fx, (await h.fx.send('RenderManifest', first)).id);
    expect(again.payload).toMatchObject({ changed: true, contentDigest: c1.payload.contentDigest });
    expect(await h.sandbox.git.resolveBranch(repo.locator, 'main')).toBe(again.payload.revision);
    expect(JSON.parse((await read(repo, `${DIR}/workload.json`)) ?? '{}')).toMatchObject({ releaseId: first.releaseId, version: '1.3.0' });
    // the plain key answered with c1, so the second CreateCommit carried a key of this render's own, of the same shape
    const keyOf = async (sha: string) => (await h.sandbox.git.getCommit(repo.locator, sha))?.trailers['Idempotency-Key'];
    const own = await keyOf(again.payload.revision);
    expect(own).toMatch(new RegExp(`^manifest:${first.releaseId}:dev1:[0-9a-f]{32}$`));
    expect(own).not.toBe(await keyOf(c1.payload.revision));
    expect(await streamTypes(h.manifests, first)).toEqual(['CreateCommit', 'DeploymentManifestRendered', 'CreateCommit', 'CreateCommit', 'DeploymentManifestRendered']);
  });

  it('creates the environment branch from the default branch when it does not exist yet', async () => {
    const repo = await h.gitops('gitops-branch');
    const input = renderInput(repo, { gitops: { branch: 'env/dev1' } });
    const event = await renderedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    expect(event.payload).toMatchObject({ branch: 'env/dev1', changed: true });
    expect(await h.sandbox.git.resolveBranch(repo.locator, 'env/dev1')).toBe(event.payload.revision);
    expect((await h.sandbox.git.getCommit(repo.locator, event.payload.revision))?.parents).toEqual([repo.headSha]);
    expect(await h.sandbox.git.resolveBranch(repo.locator, 'main')).toBe(repo.headSha);
  });

  it('removes the files a render no longer produces, and leaves foreign files alone', async () => {
    const repo = await h.gitops('gitops-stale', { [`${DIR}/kustomization.yaml`]: 'resources: []\n', [`${DIR}/service-blue.yaml`]: 'old\n' });
    const input = renderInput(repo, {}, { port: undefined, healthPath: undefined });
    const event = await renderedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    expect(event.payload.changed).toBe(true);
    expect(await h.sandbox.git.listFiles(repo.locator, 'main', DIR)).toEqual([`${DIR}/deployment.yaml`, `${DIR}/kustomization.yaml`, `${DIR}/workload.json`]);
  });

  it('renders the second release of a canary beside the first, read from the workload.json in Git', async () => {
    const repo = await h.gitops('gitops-canary');
    const canary = { kind: 'canary' as const, steps: [{ weight: 10 }, { weight: 100 }] };
    const first = renderInput(repo, { releaseId: uuidv7(), version: '1.3.0', strategy: canary, artifacts: { packages: [], images: [{ ...image, tag: '1.3.0', digest: digest('b') }] } });
    const stable = await renderedFor(h.fx, (await h.fx.send('RenderManifest', first)).id);

    const second = renderInput(repo, { strategy: canary, trafficWeights: [{ slot: 'stable', revision: stable.payload.revision, weight: 90 }, { slot: 'canary', weight: 10 }] });
    const event = await renderedFor(h.fx, (await h.fx.send('RenderManifest', second)).id);
    expect(event.payload.changed).toBe(true);
    expect(await read(repo, `${DIR}/deployment-stable.yaml`)).toContain(digest('b'));
    expect(await read(repo, `${DIR}/deployment-canary.yaml`)).toContain(digest('a'));
    const workload = JSON.parse((await read(repo, `${DIR}/workload.json`)) ?? '{}');
    expect(workload.slots).toEqual([
      expect.objectContaining({ slot: 'stable', weight: 90, releaseId: first.releaseId, version: '1.3.0', revision: stable.payload.revision }),
      expect.objectContaining({ slot: 'canary', weight: 10, releaseId: second.releaseId, version: '1.4.0' }),
    ]);
  });

  it('fails a release that cannot run beside the one in Git (no image for the blue-green slot)', async () => {
    const repo = await h.gitops('gitops-invalid');
    const blueGreen = { kind: 'blue-green' as const };
    const packageOnly = renderInput(repo, { releaseId: uuidv7(), version: '1.3.0', strategy: blueGreen, artifacts: { packages: [npmPackage], images: [] } });
    const blue = await renderedFor(h.fx, (await h.fx.send('RenderManifest', packageOnly)).id);
    const withImage = renderInput(repo, { strategy: blueGreen, trafficWeights: [{ slot: 'blue', revision: blue.payload.revision, weight: 100 }, { slot: 'green', weight: 0 }] });
    const command = await h.fx.send('RenderManifest', withImage);
    const failed = await renderFailedFor(h.fx, command.id);
    expect(failed).toMatchObject({ correlationId: command.correlationId, traceId: command.traceId });
    expect(failed.payload).toMatchObject({ releaseId: withImage.releaseId, environment: 'dev1', error: { code: 'manifest.previous-not-runnable', retryable: false } });
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(2);
  });

  it.each<[string, Parameters<typeof renderInput>[1], Parameters<typeof renderInput>[2], string]>([
    ['a traversing gitops path', { gitops: { path: 'apps/../../escape' } }, {}, 'manifest.gitops-path'],
    ['a health path without a port', {}, { port: undefined }, 'manifest.health-path-without-port'],
  ])('fails %s with the reason', async (_name, overrides, workload, code) => {
    const repo = await h.gitops(`gitops-bad-${code.replace(/\./g, '-')}`);
    const input = renderInput(repo, overrides, workload);
    const failed = await renderFailedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    expect(failed.payload.error).toMatchObject({ code, retryable: false });
    expect(failed.payload.error.message.length).toBeGreaterThan(0);
  });

  it('fails a render into a repository nobody knows', async () => {
    const repo = await h.gitops('gitops-known');
    const input = renderInput(repo, { gitops: { repositoryId: uuidv7(), branch: 'main', path: DIR } });
    const failed = await renderFailedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    expect(failed.payload.error).toMatchObject({ code: 'repository.not-found', retryable: false });
  });

  it('commits once and answers once when the same RenderManifest is delivered twice', async () => {
    const repo = await h.gitops('gitops-duplicate');
    const input = renderInput(repo);
    const command = await h.fx.send('RenderManifest', input);
    // a redelivery: the same envelope again, under another message id so that JetStream does not drop it as a
    // duplicate publish and the service's inbox has to
    const ack = await h.fx.publisher.publish(command, { msgId: `${command.id}:again` });
    expect(ack.duplicate).toBe(false);
    await renderedFor(h.fx, command.id);
    // a later answer would show up here; a second commit on the branch
    await expect(answersTo<RenderedEvent>(h.fx, 'DeploymentManifestRendered', command.id, 2, 2_000)).rejects.toThrow(/found 1 of 2/);
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(2);
  });

  it('answers both of two identical RenderManifests racing, with one commit', async () => {
    const repo = await h.gitops('gitops-twins');
    const input = renderInput(repo);
    const [a, b] = await Promise.all([h.fx.send('RenderManifest', input), h.fx.send('RenderManifest', input)]);
    const [first, second] = await Promise.all([renderedFor(h.fx, a!.id), renderedFor(h.fx, b!.id)]);
    expect(first.payload.revision).toBe(second.payload.revision);
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(2);
  });

  it('commits a crowd of applications rendering into one branch at once, one commit each and no lost swap', async () => {
    const repo = await h.gitops('gitops-crowd');
    const apps = Array.from({ length: 12 }, (_, i) => `app${i}`);
    const inputs = apps.map((app) => renderInput(repo, { application: app, gitops: { path: `apps/${app}/dev1` } }, { name: `${app}-api` }));
    const commands = await Promise.all(inputs.map((input) => h.fx.send('RenderManifest', input)));
    const events = await Promise.all(commands.map((command) => renderedFor(h.fx, command.id)));
    expect(events.map((event) => event.payload.changed)).toEqual(apps.map(() => true));

    // one straight line of 12 commits on the seed, each one render's answer
    const log = await h.sandbox.git.log(repo.locator, 'main', { limit: 20 });
    expect(log).toHaveLength(13);
    expect(new Set(log.slice(0, 12).map((c) => c.sha))).toEqual(new Set(events.map((event) => event.payload.revision)));
    log.slice(0, 12).forEach((commit, i) => expect(commit.parents).toEqual([log[i + 1]?.sha]));
    // one CreateCommit per render: the queue planned each on the head the previous one made, none lost and retried
    for (const input of inputs) expect(await streamTypes(h.manifests, input)).toEqual(['CreateCommit', 'DeploymentManifestRendered']);
    for (const [i, app] of apps.entries()) expect(JSON.parse((await read(repo, `apps/${app}/dev1/workload.json`)) ?? '{}').releaseId).toBe(inputs[i]?.releaseId);
    // and the branch is free again
    const branches = await h.manifests.dataSource.query(`SELECT in_flight_key FROM manifest_branches WHERE repository_id = $1`, [repo.repositoryId]);
    expect(branches).toEqual([{ in_flight_key: null }]);
  });

  it('completes two releases racing for one environment, the second on top of the first', async () => {
    const repo = await h.gitops('gitops-race');
    const one = renderInput(repo, { releaseId: uuidv7(), version: '1.3.0' });
    const two = renderInput(repo, { releaseId: uuidv7(), version: '1.4.0' });
    const [a, b] = await Promise.all([h.fx.send('RenderManifest', one), h.fx.send('RenderManifest', two)]);
    const [ra, rb] = await Promise.all([renderedFor(h.fx, a!.id), renderedFor(h.fx, b!.id)]);
    expect([ra.payload.changed, rb.payload.changed]).toEqual([true, true]);
    const log = await h.sandbox.git.log(repo.locator, 'main', { limit: 10 });
    expect(log).toHaveLength(3);
    // one commit is the parent of the other: neither overwrote a head it had not seen
    expect(new Set(log.slice(0, 2).map((c) => c.sha))).toEqual(new Set([ra.payload.revision, rb.payload.revision]));
    expect(log[0]?.parents).toEqual([log[1]?.sha]);
    const last = log[0]?.sha === ra.payload.revision ? one : two;
    expect(JSON.parse((await read(repo, `${DIR}/workload.json`)) ?? '{}').releaseId).toBe(last.releaseId);
  });
});
