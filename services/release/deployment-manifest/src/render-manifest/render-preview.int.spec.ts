import { RELEASES_READ } from '@delivery/release-scopes';
import { uuidv7 } from '@delivery/messaging';
import { renderedFor, renderInput, startManifestHarness, type ManifestHarness } from '../manifest.testing';

const DIR = 'apps/shop/dev1';

// POST /manifests/render: Studio's preview renders what RenderManifest would commit, and commits nothing.
describe('POST /manifests/render', () => {
  let h: ManifestHarness;

  beforeAll(async () => {
    h = await startManifestHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const bearer = async (scopes = [RELEASES_READ]) => `Bearer ${await h.fx.token({ scopes })}`;

  it('returns the files and their digest against the branch head without committing', async () => {
    const repo = await h.gitops('preview');
    const input = renderInput(repo);
    const response = await h.fx.http(h.manifests).post('/manifests/render').set('Authorization', await bearer()).send(input).expect(200);
    expect(response.body).toMatchObject({ baseRevision: repo.headSha, changed: true });
    expect(response.body.files.map((f: { path: string }) => f.path)).toEqual([`${DIR}/deployment.yaml`, `${DIR}/service.yaml`, `${DIR}/workload.json`]);
    expect(response.body.changes).toEqual(response.body.files.map((f: { path: string }) => ({ path: f.path, action: 'add' })));
    expect(await h.sandbox.git.log(repo.locator, 'main', { limit: 10 })).toHaveLength(1);

    // the bus door commits exactly the previewed bytes; previewed again, nothing would change
    const rendered = await renderedFor(h.fx, (await h.fx.send('RenderManifest', input)).id);
    expect(rendered.payload.contentDigest).toBe(response.body.contentDigest);
    const again = await h.fx.http(h.manifests).post('/manifests/render').set('Authorization', await bearer()).send(input).expect(200);
    expect(again.body).toMatchObject({ baseRevision: rendered.payload.revision, changed: false, changes: [], contentDigest: response.body.contentDigest });
  });

  it('answers a release that cannot render with 400 and the reason', async () => {
    const repo = await h.gitops('preview-invalid');
    const response = await h.fx.http(h.manifests).post('/manifests/render').set('Authorization', await bearer()).send(renderInput(repo, {}, { port: undefined })).expect(400);
    expect(JSON.stringify(response.body)).toContain('manifest.health-path-without-port');
  });

  it('refuses a body that is not a RenderManifest, an unknown repository and a token without the scope', async () => {
    const repo = await h.gitops('preview-refused');
    const http = () => h.fx.http(h.manifests).post('/manifests/render');
    await http().set('Authorization', await bearer()).send({ releaseId: 'x' }).expect(400);
    await http().set('Authorization', await bearer()).send(renderInput(repo, { gitops: { repositoryId: uuidv7() } })).expect(404);
    await http().set('Authorization', await bearer(['devops.repositories.read'])).send(renderInput(repo)).expect(403);
    await http().send(renderInput(repo)).expect(401);
  });
});
