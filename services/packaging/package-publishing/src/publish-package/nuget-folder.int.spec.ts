import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expectFailed, expectPublished, startPublishingHarness, type PublishingHarness } from '../package-publishing.testing';
import { nupkg, nuspecXml } from '../testing/package-files.testing';

// PublishPackage to the embedded NuGet folder feed, and the build gate (a failed build halts its flow).
describe('PublishPackage to a NuGet folder feed', () => {
  let h: PublishingHarness;
  let root: string;
  const feed = { kind: 'nuget-folder', name: 'local' } as const;

  beforeAll(async () => {
    h = await startPublishingHarness((dir) => ({ local: { kind: 'nuget-folder', path: path.join(dir, 'feeds', 'nuget') } }));
    root = path.join(h.dir, 'feeds', 'nuget');
    await h.build('build-ok');
    await h.build('build-red', 'Failed');
    await h.build('build-stopped', 'Canceled');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('writes the .nupkg, its base64 sha512 and the .nuspec in the hierarchical layout', async () => {
    const content = nupkg('Acme.Widgets', '1.2.0-Beta.1');
    const artifact = await h.artifact('run-1', 'Acme.Widgets.1.2.0-Beta.1.nupkg', content, 'nuget-package');
    const command = await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Widgets', version: '1.2.0-Beta.1', feed });
    const published = expectPublished(await h.answerTo(command.id));

    const directory = path.join(root, 'acme.widgets', '1.2.0-beta.1');
    expect((await readdir(directory)).sort()).toEqual(['acme.widgets.1.2.0-beta.1.nupkg', 'acme.widgets.1.2.0-beta.1.nupkg.sha512', 'acme.widgets.nuspec']);
    expect((await readFile(path.join(directory, 'acme.widgets.1.2.0-beta.1.nupkg'))).equals(content)).toBe(true);
    const sha512 = createHash('sha512').update(content).digest('base64');
    expect(await readFile(path.join(directory, 'acme.widgets.1.2.0-beta.1.nupkg.sha512'), 'utf8')).toBe(sha512);
    expect(await readFile(path.join(directory, 'acme.widgets.nuspec'), 'utf8')).toBe(nuspecXml('Acme.Widgets', '1.2.0-Beta.1'));
    expect(published.payload).toMatchObject({ format: 'nuget', integrity: `sha512-${sha512}`, digest: artifact.digest, size: content.length, alreadyPublished: false });
    // no temporary directories left beside the package
    expect(await readdir(path.join(root, 'acme.widgets'))).toEqual(['1.2.0-beta.1']);
  });

  it('answers alreadyPublished for the same bytes and refuses other bytes (package.version-immutable)', async () => {
    const content = nupkg('Acme.Core', '2.0.0');
    const a = await h.artifact('run-2', 'a.nupkg', content, 'nuget-package');
    const b = await h.artifact('run-2', 'b.nupkg', nupkg('Acme.Core', '2.0.0', { description: 'rebuilt' }), 'nuget-package');
    expect(expectPublished(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact: a, name: 'Acme.Core', version: '2.0.0', feed })).id)).payload.alreadyPublished).toBe(false);
    // the id is case-insensitive in NuGet: the same package under another casing is the same version
    const again = expectPublished(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact: a, name: 'acme.core', version: '2.0.0', feed })).id));
    expect(again.payload.alreadyPublished).toBe(true);
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact: b, name: 'Acme.Core', version: '2.0.0', feed })).id));
    expect(failed.payload.error).toMatchObject({ code: 'package.version-immutable', retryable: false });
    const stored = await readFile(path.join(root, 'acme.core', '2.0.0', 'acme.core.2.0.0.nupkg'));
    expect(stored.equals(content)).toBe(true);
  });

  it('refuses a package whose .nuspec names another id or version (package.manifest-mismatch)', async () => {
    const artifact = await h.artifact('run-3', 'mismatch.nupkg', nupkg('Acme.Real', '1.0.0'), 'nuget-package');
    const byId = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Claimed', version: '1.0.0', feed })).id));
    expect(byId.payload.error.code).toBe('package.manifest-mismatch');
    const byVersion = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Real', version: '1.0.1', feed })).id));
    expect(byVersion.payload.error.code).toBe('package.manifest-mismatch');
    await expect(readdir(path.join(root, 'acme.real'))).rejects.toThrow();
  });

  it('refuses a file that is not a zip (package.unreadable)', async () => {
    const artifact = await h.artifact('run-3', 'garbage.nupkg', Buffer.from('this is not a zip archive at all'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Garbage', version: '1.0.0', feed })).id));
    expect(failed.payload.error.code).toBe('package.unreadable');
  });

  it('refuses an artifact whose bytes differ from the digest the command names (package.artifact-digest-mismatch)', async () => {
    const artifact = await h.artifact('run-3', 'digest.nupkg', nupkg('Acme.Digest', '1.0.0'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact: { ...artifact, digest: `sha256:${'0'.repeat(64)}` }, name: 'Acme.Digest', version: '1.0.0', feed })).id));
    expect(failed.payload.error.code).toBe('package.artifact-digest-mismatch');
  });

  it('refuses an artifact the store does not hold (artifact.not-found)', async () => {
    const artifact = { name: 'missing.nupkg', kind: 'nuget-package', location: 'runs/none/missing.nupkg', digest: `sha256:${'1'.repeat(64)}`, size: 10 } as const;
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Missing', version: '1.0.0', feed })).id));
    expect(failed.payload.error.code).toBe('artifact.not-found');
  });

  it('refuses a feed of another kind than the command says (package.feed-kind-mismatch)', async () => {
    const artifact = await h.artifact('run-3', 'kind.nupkg', nupkg('Acme.Kind', '1.0.0'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Kind', version: '1.0.0', feed: { kind: 'npm-registry', name: 'local' } })).id));
    expect(failed.payload.error.code).toBe('package.feed-kind-mismatch');
  });

  it('refuses an npm package for a NuGet feed (package.format-unsupported)', async () => {
    const artifact = await h.artifact('run-3', 'format.tgz', Buffer.from('not used'), 'npm-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'format-pkg', version: '1.0.0', feed })).id));
    expect(failed.payload.error.code).toBe('package.format-unsupported');
  });

  it('refuses the packages of a failed build (package.build-not-succeeded)', async () => {
    const artifact = await h.artifact('run-4', 'red.nupkg', nupkg('Acme.Red', '1.0.0'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-red', format: 'nuget', artifact, name: 'Acme.Red', version: '1.0.0', feed })).id));
    expect(failed.payload.error).toMatchObject({ code: 'package.build-not-succeeded', retryable: false });
    expect(failed.payload.error.message).toContain('failed');
    await expect(readdir(path.join(root, 'acme.red'))).rejects.toThrow();
  });

  it('refuses the packages of a canceled build (package.build-not-succeeded)', async () => {
    const artifact = await h.artifact('run-5', 'stopped.nupkg', nupkg('Acme.Stopped', '1.0.0'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-stopped', format: 'nuget', artifact, name: 'Acme.Stopped', version: '1.0.0', feed })).id));
    expect(failed.payload.error.code).toBe('package.build-not-succeeded');
  });

  it('refuses an unknown build after waiting a few deliveries for its BuildCompleted (package.build-unknown)', async () => {
    const artifact = await h.artifact('run-6', 'unknown.nupkg', nupkg('Acme.Unknown', '1.0.0'), 'nuget-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-never-heard-of', format: 'nuget', artifact, name: 'Acme.Unknown', version: '1.0.0', feed })).id));
    expect(failed.payload.error).toMatchObject({ code: 'package.build-unknown', retryable: false });
  });

  it('refuses a build of another tenant as unknown', async () => {
    const artifact = await h.artifact('run-8', 'tenant.nupkg', nupkg('Acme.Tenant', '1.0.0'), 'nuget-package');
    const command = await h.fx.send('PublishPackage', { buildId: 'build-ok', format: 'nuget', artifact, name: 'Acme.Tenant', version: '1.0.0', feed }, { tenantId: 'globex' });
    expect(expectFailed(await h.answerTo(command.id)).payload.error.code).toBe('package.build-unknown');
  });

  it('serves the tenant its publications over REST; other tenants get 404, callers without the scope 401/403', async () => {
    const http = () => h.fx.http(h.service);
    const reader = await h.fx.token({ scopes: ['devops.packages.read'] });
    const mine = await http().get('/packages/Acme.Core/2.0.0').set('Authorization', `Bearer ${reader}`);
    expect(mine.status).toBe(200);
    expect(mine.body.publications).toEqual([expect.objectContaining({ feed: 'local', feedKind: 'nuget-folder', format: 'nuget', buildId: 'build-ok', projectId: 'web' })]);
    const listed = await http().get('/packages?name=Acme.Core').set('Authorization', `Bearer ${reader}`);
    expect(listed.body.items.map((p: { version: string }) => p.version)).toEqual(['2.0.0']);

    const theirs = await h.fx.token({ tenant: 'globex', scopes: ['devops.packages.read'] });
    expect((await http().get('/packages/Acme.Core/2.0.0').set('Authorization', `Bearer ${theirs}`)).status).toBe(404);
    expect((await http().get('/packages?name=Acme.Core').set('Authorization', `Bearer ${theirs}`)).body.items).toEqual([]);
    const otherProject = await h.fx.token({ scopes: ['devops.packages.read'], projects: ['mobile'] });
    expect((await http().get('/packages/Acme.Core/2.0.0').set('Authorization', `Bearer ${otherProject}`)).status).toBe(404);
    expect((await http().get('/packages/Acme.Core/9.9.9').set('Authorization', `Bearer ${reader}`)).status).toBe(404);
    expect((await http().get('/packages?limit=0').set('Authorization', `Bearer ${reader}`)).status).toBe(400);
    expect((await http().get('/packages?name=../etc').set('Authorization', `Bearer ${reader}`)).status).toBe(400);
    expect((await http().get('/packages')).status).toBe(401);
    expect((await http().get('/packages').set('Authorization', `Bearer ${await h.fx.token({ scopes: ['devops.releases.read'] })}`)).status).toBe(403);
  });
});
