import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveBaseImage, referenceCandidates } from './base-image.resolver';
import { buildLayer } from './deterministic-tar';
import { sha256Digest } from './digest';
import { assembleImage, type AssembleInput } from './image.assembler';
import { removeBaseLayouts, writeBaseLayout } from './image.test-fixture';
import { BASE_NAME_LABEL, BASE_UNAVAILABLE_LABEL, FIXED_CREATED, OCI_MANIFEST, type ImageConfigFile, type ImageManifest } from './oci.types';

const platform = { os: 'linux', architecture: 'amd64' } as const;

async function input(overrides: Partial<AssembleInput> = {}): Promise<AssembleInput> {
  const layer = await buildLayer([{ type: 'file', path: 'app/index.js', data: Buffer.from('console.log(1)'), executable: false }]);
  return {
    platform,
    settings: { cmd: ['node', 'index.js'], env: { PORT: '3000', NODE_ENV: 'production' }, exposedPorts: [3000], user: 'node', labels: { team: 'shop' } },
    layers: [{ layer, createdBy: 'container-image: npm-package app.tgz sha256:x' }],
    base: null,
    ...overrides,
  };
}

describe('image assembly', () => {
  afterAll(removeBaseLayouts);

  it('given the same inputs twice, then the same config, manifest and digest', async () => {
    const [a, b] = [assembleImage(await input()), assembleImage(await input())];
    expect(a.digest).toBe(b.digest);
    expect(a.configDigest).toBe(b.configDigest);
    expect(a.digest).toBe(sha256Digest(a.manifest));
  });

  it('writes an OCI config with fixed created, sorted env, ports, user, labels, diff_ids and history', async () => {
    const built = assembleImage(await input());
    const config = JSON.parse(built.config.toString()) as ImageConfigFile;
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', created: FIXED_CREATED });
    expect(config.config).toEqual({
      Cmd: ['node', 'index.js'],
      Env: ['NODE_ENV=production', 'PORT=3000'],
      ExposedPorts: { '3000/tcp': {} },
      Labels: { team: 'shop' },
      User: 'node',
      WorkingDir: '/app',
    });
    expect(config.rootfs.diff_ids).toHaveLength(1);
    expect(config.history).toEqual([{ created: FIXED_CREATED, created_by: 'container-image: npm-package app.tgz sha256:x' }]);
    // stable key order: the serialization is the sorted one
    expect(Object.keys(JSON.parse(built.config.toString()) as object)).toEqual(['architecture', 'config', 'created', 'history', 'os', 'rootfs']);
    const manifest = JSON.parse(built.manifest.toString()) as ImageManifest;
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: built.configDigest, size: built.config.length });
    expect(built.size).toBe(built.manifest.length + built.config.length + built.layers[0]!.size);
  });

  it('a change in the settings changes the digest', async () => {
    const base = await input();
    const other = assembleImage({ ...base, settings: { ...base.settings, env: { PORT: '4000' } } });
    expect(other.digest).not.toBe(assembleImage(base).digest);
  });

  it('a base from a local OCI layout comes first: its layers, diff_ids, history, env and cmd', async () => {
    const { dir, image: baseImage } = await writeBaseLayout('node:20-slim');
    const resolved = await resolveBaseImage(dir, 'node:20-slim', platform);
    if (!('found' in resolved)) throw new Error(resolved.unavailable);
    const built = assembleImage({ ...(await input({ base: resolved.found })), settings: { env: { PORT: '3000' } } });
    expect(built.base).toEqual({ reference: 'node:20-slim', digest: baseImage.digest });
    expect(built.layers.map((l) => l.digest)).toEqual([baseImage.layers[0]!.digest, (await input()).layers[0]!.layer.digest]);
    const config = JSON.parse(built.config.toString()) as ImageConfigFile;
    const baseConfig = JSON.parse(baseImage.config.toString()) as ImageConfigFile;
    expect(config.rootfs.diff_ids[0]).toBe(baseConfig.rootfs.diff_ids[0]);
    expect(config.history).toHaveLength(2);
    expect(config.config?.Env).toEqual(['NODE_VERSION=20.0.0', 'PATH=/usr/local/bin:/usr/bin:/bin', 'PORT=3000']);
    expect(config.config?.Cmd).toEqual(['node']);
    expect(config.config?.Labels).toMatchObject({ 'org.example.base': 'tiny', [BASE_NAME_LABEL]: 'node:20-slim' });
  });

  it('the base matches by its docker.io spelling and by digest', async () => {
    const { dir, image } = await writeBaseLayout('docker.io/library/node:20-slim');
    expect(referenceCandidates('node:20-slim')).toContain('docker.io/library/node:20-slim');
    expect('found' in (await resolveBaseImage(dir, 'node:20-slim', platform))).toBe(true);
    expect('found' in (await resolveBaseImage(dir, `node@${image.digest}`, platform))).toBe(true);
  });

  it('a base of another architecture is refused', async () => {
    const { dir } = await writeBaseLayout();
    const resolved = await resolveBaseImage(dir, 'node:20-slim', platform);
    if (!('found' in resolved)) throw new Error(resolved.unavailable);
    expect(() => assembleImage({ ...resolved, platform: { os: 'linux', architecture: 'arm64' }, settings: {}, layers: [], base: resolved.found })).toThrow(
      expect.objectContaining({ code: 'image.base-platform' }),
    );
  });

  it('a base missing from the layout is unavailable; the image says so in its labels', async () => {
    const { dir } = await writeBaseLayout('node:20-slim');
    const resolved = await resolveBaseImage(dir, 'python:3.12', platform);
    expect(resolved).toEqual({ unavailable: 'not found in the local base image layout' });
    const missingDir = await resolveBaseImage(path.join(dir, 'nope'), 'python:3.12', platform);
    expect('unavailable' in missingDir && missingDir.unavailable).toMatch(/no local base image layout/);
    const built = assembleImage(await input({ baseUnavailable: { reference: 'python:3.12', reason: 'not found in the local base image layout' } }));
    expect(built.base).toBeNull();
    expect(built.baseUnavailable).toMatch(/^python:3\.12: not found .*built on scratch$/);
    const labels = (JSON.parse(built.config.toString()) as ImageConfigFile).config?.Labels;
    expect(labels?.[BASE_NAME_LABEL]).toBe('python:3.12');
    expect(labels?.[BASE_UNAVAILABLE_LABEL]).toMatch(/built on scratch/);
  });

  it('a damaged blob in the base layout is noticed', async () => {
    const { dir, image } = await writeBaseLayout();
    const resolved = await resolveBaseImage(dir, 'node:20-slim', platform);
    if (!('found' in resolved)) throw new Error(resolved.unavailable);
    const blob = path.join(dir, 'blobs', 'sha256', image.layers[0]!.digest.slice(7));
    await writeFile(blob, 'tampered');
    await expect(resolved.found.layers[0]!.read()).rejects.toThrow(/does not match its digest/);
  });
});
