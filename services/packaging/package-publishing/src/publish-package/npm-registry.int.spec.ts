import { DeadLetters } from '@delivery/messaging';
import { eventually } from '@delivery/testing';
import { integrityOf } from '../feeds/package.integrity';
import { expectFailed, expectPublished, startPublishingHarness, type PublishingHarness } from '../package-publishing.testing';
import { npmTarball } from '../testing/package-files.testing';
import { startVerdaccio, type Verdaccio } from '../testing/verdaccio.testing';

// PublishPackage against a real Verdaccio (npm registry protocol, token auth from an htpasswd user made here).
describe('PublishPackage to an npm registry (Verdaccio)', () => {
  let verdaccio: Verdaccio;
  let h: PublishingHarness;
  const feed = { kind: 'npm-registry', name: 'verdaccio' } as const;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    const token = await verdaccio.addUser('publisher', 'publisher-secret-1');
    h = await startPublishingHarness(() => ({ verdaccio: { kind: 'npm-registry', url: verdaccio.url, token } }));
    await h.build('build-ok');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await verdaccio?.close();
  });

  async function packument(name: string): Promise<{ versions: Record<string, { dist: { integrity: string; shasum: string } }>; 'dist-tags': Record<string, string> }> {
    const response = await fetch(`${verdaccio.url}${name.replace('/', '%2f')}`);
    expect(response.status).toBe(200);
    return (await response.json()) as never;
  }

  it('publishes a tarball: PackagePublished with the integrity the registry holds, a publication row and REST views', async () => {
    const tarball = await npmTarball({ name: '@acme/widget', version: '1.0.0', description: 'a widget', main: 'index.js' });
    const artifact = await h.artifact('run-1', 'acme-widget-1.0.0.tgz', tarball, 'npm-package');
    const command = await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: '@acme/widget', version: '1.0.0', feed, distTag: 'next' });
    const published = expectPublished(await h.answerTo(command.id));

    const doc = await packument('@acme/widget');
    expect(doc.versions['1.0.0']?.dist.integrity).toBe(integrityOf(tarball));
    // Verdaccio also points latest at a package's first version
    expect(doc['dist-tags']).toMatchObject({ next: '1.0.0' });
    expect(published).toMatchObject({ traceId: command.traceId, tenantId: 'acme', causationId: command.id });
    expect(published.payload).toMatchObject({
      buildId: 'build-ok',
      name: '@acme/widget',
      version: '1.0.0',
      feed,
      integrity: doc.versions['1.0.0']!.dist.integrity,
      digest: artifact.digest,
      size: tarball.length,
      alreadyPublished: false,
    });
    expect(published.payload.url).toContain('/@acme/widget/-/');
    // the tarball Verdaccio serves is the one published
    const tarballUrl = `${verdaccio.url}@acme/widget/-/widget-1.0.0.tgz`;
    expect(Buffer.from(await (await fetch(tarballUrl)).arrayBuffer()).equals(tarball)).toBe(true);

    const token = await h.fx.token({ scopes: ['devops.packages.read'] });
    const list = await h.fx.http(h.service).get('/packages?name=@acme/widget').set('Authorization', `Bearer ${token}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ name: '@acme/widget', version: '1.0.0', feed: 'verdaccio', integrity: integrityOf(tarball), buildId: 'build-ok', size: tarball.length })]);
    const one = await h.fx.http(h.service).get(`/packages/${encodeURIComponent('@acme/widget')}/1.0.0`).set('Authorization', `Bearer ${token}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: '@acme/widget', version: '1.0.0', publications: [{ digest: artifact.digest }] });
  });

  it('answers alreadyPublished for the same version with the same bytes', async () => {
    const tarball = await npmTarball({ name: 'same-bytes', version: '2.0.0' });
    const artifact = await h.artifact('run-2', 'same-bytes-2.0.0.tgz', tarball, 'npm-package');
    const first = expectPublished(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'same-bytes', version: '2.0.0', feed })).id));
    const again = expectPublished(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'same-bytes', version: '2.0.0', feed })).id));
    expect(first.payload.alreadyPublished).toBe(false);
    expect(again.payload).toMatchObject({ alreadyPublished: true, integrity: first.payload.integrity });
  });

  it('refuses the same version with other bytes (package.version-immutable) and leaves the registry as it was', async () => {
    const original = await npmTarball({ name: 'immutable-pkg', version: '1.2.3' });
    const other = await npmTarball({ name: 'immutable-pkg', version: '1.2.3' }, { 'index.js': 'module.exports = 43;\n' });
    const a = await h.artifact('run-3', 'immutable-a.tgz', original, 'npm-package');
    const b = await h.artifact('run-3', 'immutable-b.tgz', other, 'npm-package');
    expectPublished(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact: a, name: 'immutable-pkg', version: '1.2.3', feed })).id));
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact: b, name: 'immutable-pkg', version: '1.2.3', feed })).id));
    expect(failed.payload.error).toMatchObject({ code: 'package.version-immutable', retryable: false });
    expect((await packument('immutable-pkg')).versions['1.2.3']?.dist.integrity).toBe(integrityOf(original));
  });

  it('refuses a tarball whose package.json names another package or version (package.manifest-mismatch)', async () => {
    const tarball = await npmTarball({ name: 'mismatch-real', version: '1.0.0' });
    const artifact = await h.artifact('run-4', 'mismatch.tgz', tarball, 'npm-package');
    const byName = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'mismatch-claimed', version: '1.0.0', feed })).id));
    expect(byName.payload.error.code).toBe('package.manifest-mismatch');
    const byVersion = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'mismatch-real', version: '1.0.1', feed })).id));
    expect(byVersion.payload.error.code).toBe('package.manifest-mismatch');
    expect((await fetch(`${verdaccio.url}mismatch-real`)).status).toBe(404);
  });

  it('refuses an unknown feed name (package.feed-unknown)', async () => {
    const artifact = await h.artifact('run-5', 'nofeed.tgz', await npmTarball({ name: 'nofeed', version: '1.0.0' }), 'npm-package');
    const failed = expectFailed(await h.answerTo((await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'nofeed', version: '1.0.0', feed: { kind: 'npm-registry', name: 'nowhere' } })).id));
    expect(failed.payload.error).toMatchObject({ code: 'package.feed-unknown', retryable: false });
  });

  it('converges to alreadyPublished when the commit fails after the registry took the package (a crash between the two)', async () => {
    // a real failure of the transaction, once, after the PUT: nextval is not rolled back with it
    await h.service.dataSource.query(`CREATE SEQUENCE package_publishing.crash_once`);
    await h.service.dataSource.query(`CREATE FUNCTION package_publishing.crash_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.name = 'crash-pkg' AND nextval('package_publishing.crash_once') = 1 THEN RAISE EXCEPTION 'simulated crash after the registry write'; END IF;
        RETURN NEW;
      END $$`);
    await h.service.dataSource.query(`CREATE TRIGGER crash_once BEFORE INSERT ON package_publishing.package_publications FOR EACH ROW EXECUTE FUNCTION package_publishing.crash_once()`);
    const tarball = await npmTarball({ name: 'crash-pkg', version: '1.0.0' });
    const artifact = await h.artifact('run-7', 'crash.tgz', tarball, 'npm-package');
    const command = await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'crash-pkg', version: '1.0.0', feed });
    const published = expectPublished(await h.answerTo(command.id));
    expect(published.payload).toMatchObject({ alreadyPublished: true, integrity: integrityOf(tarball) });
    expect((await packument('crash-pkg')).versions['1.0.0']?.dist.integrity).toBe(integrityOf(tarball));
    const rows: unknown[] = await h.service.dataSource.query(`SELECT 1 FROM package_publishing.package_publications WHERE name = 'crash-pkg'`);
    expect(rows).toHaveLength(1);
    const [{ value }] = await h.service.dataSource.query(`SELECT last_value AS value FROM package_publishing.crash_once`);
    expect(Number(value)).toBe(2);
  });

  it('retries while the registry is down, dead-letters, and a replay after it is back publishes', async () => {
    const tarball = await npmTarball({ name: 'outage-pkg', version: '3.0.0' });
    const artifact = await h.artifact('run-6', 'outage.tgz', tarball, 'npm-package');
    await verdaccio.stop();
    const command = await h.publish({ buildId: 'build-ok', format: 'npm', artifact, name: 'outage-pkg', version: '3.0.0', feed });

    const deadLetters = new DeadLetters(h.fx.bus.js, h.fx.bus.jsm, h.fx.bus.names);
    const letter = await eventually(async () => (await deadLetters.list({ service: 'package-publishing' })).find((d) => d.envelopeId === command.id), 'the dead letter', 30_000);
    expect(letter.deliveries).toBeGreaterThan(1);
    expect(letter.error.code).toBe('package.feed-unavailable');
    // the flow hears of it: PackagePublishFailed, retryable, on the last delivery
    const failed = expectFailed(await h.answerTo(command.id));
    expect(failed.payload.error).toMatchObject({ code: 'package.feed-unavailable', retryable: true });

    await verdaccio.start();
    await deadLetters.replay(letter.seq, { operator: { kind: 'user', id: 'oncall' }, reason: 'registry back' });
    const [, after] = await h.answersTo(command.id, 2);
    const published = expectPublished(after!);
    expect(published.payload).toMatchObject({ alreadyPublished: false, integrity: integrityOf(tarball) });
    expect((await packument('outage-pkg')).versions['3.0.0']?.dist.integrity).toBe(integrityOf(tarball));
  }, 90_000);
});
