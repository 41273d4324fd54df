import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import type { PayloadOf } from '@delivery/contracts';
import { answerTo, npmPack, startImageHarness, startRegistry, type BuildFailedEvent, type ImageHarness, type LocalRegistry, type PushedEvent } from '../container-image.testing';
import { writeBaseLayout } from '../domain/image.test-fixture';
import { BASE_NAME_LABEL, BASE_UNAVAILABLE_LABEL, OCI_MANIFEST, type ImageConfigFile, type ImageManifest } from '../domain/oci.types';
import { writeOciLayout } from '../domain/oci-layout.writer';
import { IMAGES_READ } from '../images/images.controller';
import { ImageBuilder } from './image.builder';

async function tarHeaders(tar: Buffer): Promise<Header[]> {
  const reader = extract();
  Readable.from([tar]).pipe(reader);
  const headers: Header[] = [];
  for await (const entry of reader) {
    headers.push(entry.header);
    entry.resume();
  }
  return headers;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('BuildContainerImage against docker-registry', () => {
  let registry: LocalRegistry;
  let h: ImageHarness;
  let base: Awaited<ReturnType<typeof writeBaseLayout>>;
  let layers: PayloadOf<'BuildContainerImage'>['layers'];
  let baseDir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    baseDir = await mkdtemp(path.join(os.tmpdir(), 'base-images-'));
    base = await writeBaseLayout('node:20-slim', baseDir);
    h = await startImageHarness({
      registries: { [registry.host]: { url: registry.url, kind: 'distribution' } },
      defaultRegistry: registry.host,
      baseImageDir: baseDir,
    });
    const tarball = await npmPack(h.dir);
    layers = [await h.artifact('shop-api-1.0.0.tgz', 'npm-package', tarball), await h.artifact('config.json', 'file', Buffer.from('{"port":3000}\n'))];
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await registry?.stop();
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  const command = (buildId: string, overrides: Partial<PayloadOf<'BuildContainerImage'>> = {}): PayloadOf<'BuildContainerImage'> => ({
    buildId,
    repository: 'shop/api',
    tags: ['1.0.0', 'latest'],
    layers,
    config: { cmd: ['node', 'index.js'], env: { PORT: '3000', NODE_ENV: 'production' }, exposedPorts: [3000], user: '1000', labels: { 'org.opencontainers.image.title': 'shop-api' } },
    ...overrides,
  });

  async function get(pathname: string, accept?: string): Promise<{ status: number; body: Buffer; headers: Headers }> {
    const response = await fetch(`${registry.url}${pathname}`, { headers: accept ? { accept } : {} });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
  }

  const uploads = () => registry.accessLog().filter((line) => /"POST \/v2\/[^ ]+\/blobs\/uploads\/ /.test(line)).length;

  it('pushes an image of an npm tarball and a plain file; the registry holds exactly the digests of the event', async () => {
    const buildId = await h.buildCompleted();
    const sent = await h.fx.send('BuildContainerImage', command(buildId));
    const pushed = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', sent.id);
    expect(pushed.payload).toMatchObject({ buildId, registry: registry.host, repository: 'shop/api', tags: ['1.0.0', 'latest'], mediaType: OCI_MANIFEST, base: null });
    expect(pushed.payload.baseUnavailable).toBeUndefined();

    for (const tag of ['1.0.0', 'latest']) {
      const manifest = await get(`/v2/shop/api/manifests/${tag}`, OCI_MANIFEST);
      expect(manifest.status).toBe(200);
      expect(sha256(manifest.body)).toBe(pushed.payload.digest);
    }
    const manifest = JSON.parse((await get(`/v2/shop/api/manifests/${pushed.payload.digest}`, OCI_MANIFEST)).body.toString()) as ImageManifest;
    expect(manifest.config.digest).toBe(pushed.payload.configDigest);
    expect(manifest.layers).toHaveLength(2);
    let size = (await get(`/v2/shop/api/manifests/1.0.0`, OCI_MANIFEST)).body.length;
    for (const blob of [manifest.config, ...manifest.layers]) {
      const fetched = await get(`/v2/shop/api/blobs/${blob.digest}`);
      expect(fetched.status).toBe(200);
      expect(sha256(fetched.body)).toBe(blob.digest);
      expect(fetched.body.length).toBe(blob.size);
      size += blob.size;
    }
    expect(pushed.payload.size).toBe(size);
    // the npm layer: npm's package/ under /app, the bin script still executable, times and owners zeroed
    const npmLayer = gunzipSync((await get(`/v2/shop/api/blobs/${manifest.layers[0]!.digest}`)).body);
    const entries = await tarHeaders(npmLayer);
    expect(entries.map((e) => `${e.name} ${e.mode.toString(8)}`)).toEqual(['app/ 755', 'app/bin/ 755', 'app/bin/cli.js 755', 'app/index.js 644', 'app/package.json 644']);
    expect(entries.every((e) => e.mtime.getTime() === 0 && e.uid === 0 && e.uname === '')).toBe(true);
    expect((await tarHeaders(gunzipSync((await get(`/v2/shop/api/blobs/${manifest.layers[1]!.digest}`)).body))).map((e) => e.name)).toEqual(['app/', 'app/config.json']);
    const config = JSON.parse((await get(`/v2/shop/api/blobs/${manifest.config.digest}`)).body.toString()) as ImageConfigFile;
    expect(config.config).toMatchObject({ Cmd: ['node', 'index.js'], Env: ['NODE_ENV=production', 'PORT=3000'], ExposedPorts: { '3000/tcp': {} }, User: '1000', WorkingDir: '/app' });

    const rows = await h.service.dataSource.query(`SELECT build_id, registry, repository, tags, digest, size, config_digest, base FROM container_images WHERE digest = $1`, [pushed.payload.digest]);
    expect(rows).toEqual([{ build_id: buildId, registry: registry.host, repository: 'shop/api', tags: ['1.0.0', 'latest'], digest: pushed.payload.digest, size: String(size), config_digest: pushed.payload.configDigest, base: null }]);
  });

  it('the same command again gives the same digest and uploads no blob', async () => {
    const first = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', (await h.fx.send('BuildContainerImage', command(await h.buildCompleted()))).id);
    const before = uploads();
    expect(before).toBeGreaterThan(0);
    const again = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', (await h.fx.send('BuildContainerImage', command(await h.buildCompleted()))).id);
    expect(again.payload.digest).toBe(first.payload.digest);
    expect(again.payload.configDigest).toBe(first.payload.configDigest);
    expect(uploads()).toBe(before);
    expect(registry.accessLog().filter((line) => line.includes('"HEAD /v2/shop/api/blobs/')).length).toBeGreaterThan(0);
  });

  it('a base image from the local layout comes first: its layers, then the artifacts', async () => {
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { repository: 'shop/api-on-node', baseImage: 'node:20-slim' }));
    const pushed = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', sent.id);
    expect(pushed.payload.base).toEqual({ reference: 'node:20-slim', digest: base.image.digest });
    expect(pushed.payload.baseUnavailable).toBeUndefined();
    const manifest = JSON.parse((await get(`/v2/shop/api-on-node/manifests/1.0.0`, OCI_MANIFEST)).body.toString()) as ImageManifest;
    expect(manifest.layers.map((l) => l.digest)).toHaveLength(3);
    expect(manifest.layers[0]!.digest).toBe(base.image.layers[0]!.digest);
    const fetched = await get(`/v2/shop/api-on-node/blobs/${manifest.layers[0]!.digest}`);
    expect(sha256(fetched.body)).toBe(base.image.layers[0]!.digest);
    const config = JSON.parse((await get(`/v2/shop/api-on-node/blobs/${manifest.config.digest}`)).body.toString()) as ImageConfigFile;
    expect(config.config?.Env).toContain('NODE_VERSION=20.0.0');
    expect(config.config?.Labels?.[BASE_NAME_LABEL]).toBe('node:20-slim');
  });

  it('a base image not available locally: built on scratch, baseUnavailable in the event and a label in the image', async () => {
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { repository: 'shop/api-scratch', baseImage: 'python:3.12-slim' }));
    const pushed = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', sent.id);
    expect(pushed.payload.base).toBeNull();
    expect(pushed.payload.baseUnavailable).toMatch(/^python:3\.12-slim: not found in the local base image layout; built on scratch$/);
    const manifest = JSON.parse((await get(`/v2/shop/api-scratch/manifests/latest`, OCI_MANIFEST)).body.toString()) as ImageManifest;
    expect(manifest.layers).toHaveLength(2);
    const config = JSON.parse((await get(`/v2/shop/api-scratch/blobs/${manifest.config.digest}`)).body.toString()) as ImageConfigFile;
    expect(config.config?.Labels).toMatchObject({ [BASE_NAME_LABEL]: 'python:3.12-slim', [BASE_UNAVAILABLE_LABEL]: expect.stringMatching(/built on scratch/) });
  });

  it('a build that did not succeed is refused', async () => {
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted('Failed')));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error).toMatchObject({ code: 'image.build-not-succeeded', retryable: false });
  });

  it('an unknown build is refused', async () => {
    const sent = await h.fx.send('BuildContainerImage', command('build-nobody-reported'));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error).toMatchObject({ code: 'image.build-unknown', retryable: false });
  });

  it('a build of another tenant is unknown here', async () => {
    const buildId = await h.buildCompleted();
    const sent = await h.fx.send('BuildContainerImage', command(buildId), { tenantId: 'globex' });
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error.code).toBe('image.build-unknown');
  });

  it('an artifact whose bytes do not match its digest is refused', async () => {
    const [npm, file] = layers;
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { layers: [npm!, { ...file!, digest: `sha256:${'0'.repeat(64)}` }] }));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error.code).toBe('image.artifact-digest');
  });

  it('a missing artifact is refused', async () => {
    const [npm] = layers;
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { layers: [{ ...npm!, location: 'runs/nothing-here/app.tgz' }] }));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error.code).toBe('artifact.not-found');
  });

  it('an npm-package artifact that is not a tarball is refused', async () => {
    const bogus = await h.artifact('bogus.tgz', 'npm-package', Buffer.from('plain text'));
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { layers: [bogus] }));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error.code).toBe('image.artifact-format');
  });

  it('a registry that is not configured is refused', async () => {
    const sent = await h.fx.send('BuildContainerImage', command(await h.buildCompleted(), { registry: 'unknown.example.com' }));
    const failed = await answerTo<BuildFailedEvent>(h.fx, 'ContainerImageBuildFailed', sent.id);
    expect(failed.payload.error.code).toBe('image.registry-unknown');
  });

  it('REST: images by repository and by digest, tenant-scoped, with the read scope', async () => {
    const pushed = await answerTo<PushedEvent>(h.fx, 'ContainerImagePushed', (await h.fx.send('BuildContainerImage', command(await h.buildCompleted()))).id);
    const token = await h.fx.token({ scopes: [IMAGES_READ] });
    const list = await h.fx.http(h.service).get('/images?repository=shop/api').set('authorization', `Bearer ${token}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ repository: 'shop/api', digest: pushed.payload.digest, tags: ['1.0.0', 'latest'] })]);
    const one = await h.fx.http(h.service).get(`/images/${pushed.payload.digest}`).set('authorization', `Bearer ${token}`);
    expect(one.body).toMatchObject({ digest: pushed.payload.digest, reference: `${registry.host}/shop/api@${pushed.payload.digest}`, configDigest: pushed.payload.configDigest });

    const other = await h.fx.token({ tenant: 'globex', scopes: [IMAGES_READ] });
    expect((await h.fx.http(h.service).get(`/images/${pushed.payload.digest}`).set('authorization', `Bearer ${other}`)).status).toBe(404);
    expect((await h.fx.http(h.service).get('/images').set('authorization', `Bearer ${other}`)).body.items).toEqual([]);
    const noScope = await h.fx.token({ scopes: [] });
    expect((await h.fx.http(h.service).get(`/images/${pushed.payload.digest}`).set('authorization', `Bearer ${noScope}`)).status).toBe(403);
    expect((await h.fx.http(h.service).get('/images/not-a-digest').set('authorization', `Bearer ${token}`)).status).toBe(400);
  });

  it('the OCI layout writer: skopeo copies the written layout to the registry under the same digest', async () => {
    const image = await h.service.app.get(ImageBuilder).build(command('layout'));
    const dir = path.join(h.dir, 'layout');
    await writeOciLayout(dir, image, 'bench');
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${dir}:bench`]);
    expect(sha256(raw)).toBe(image.digest);
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:bench`, `docker://${registry.host}/shop/skopeo:bench`]);
    const copied = await get('/v2/shop/skopeo/manifests/bench', OCI_MANIFEST);
    expect(sha256(copied.body)).toBe(image.digest);
  });
});
