import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import type { DesiredWorkload } from '@delivery/gitops-runtime';
import { ARTIFACT_UNAVAILABLE } from './desired-state.validation';
import { unpackOciImage } from './oci-image.unpacker';

// Prepares a workload's working directory from its artifact: an npm package tarball is fetched (file path or
// http(s) URL, or resolved from the feed's packument), checked to be a gzip tar, and its `package/` unpacked; an
// OCI image's layers are unpacked (oci-image.unpacker). Both go to a directory named after the spec hash, filled
// in a temp dir renamed at the end: a directory that exists is complete, so it is reused as is.

export class ArtifactError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

const MAX_TARBALL_BYTES = 200 * 1024 * 1024;

/**
 * The working directory of a workload, prepared once in `<appsDir>/<workload>-<specHash[0..12]>`: an npm package's
 * `package/` is the directory itself; an image's layers go to `rootfs/` and the cwd is its WorkingDir.
 */
export async function prepareWorkloadDir(appsDir: string, workload: string, w: DesiredWorkload): Promise<string> {
  const dir = path.join(appsDir, `${workload}-${w.specHash.slice(0, 12)}`);
  const artifact = w.artifact;
  if (artifact.kind === 'image') {
    await materialize(dir, `${w.name}: image ${artifact.reference}`, async (temp) => {
      await fs.mkdir(path.join(temp, 'rootfs'));
      const image = await unpackOciImage(artifact.reference, artifact.digest, path.join(temp, 'rootfs'));
      await fs.writeFile(path.join(temp, IMAGE_FILE), JSON.stringify({ reference: artifact.reference, ...image }));
    });
    const { workingDir } = JSON.parse(await fs.readFile(path.join(dir, IMAGE_FILE), 'utf8')) as { workingDir: string };
    const cwd = path.resolve(dir, 'rootfs', `.${path.posix.resolve('/', workingDir)}`);
    await fs.mkdir(cwd, { recursive: true });
    return cwd;
  }
  if (existsSync(dir)) return dir;
  const source = artifact.tarball ?? (await resolveFromFeed(artifact.feed, artifact.name, artifact.version));
  const gz = await fetchTarball(source);
  if (gz.length < 2 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new ArtifactError(ARTIFACT_UNAVAILABLE, `${w.name}: ${source} is not a gzip file`);
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: MAX_TARBALL_BYTES });
  } catch (error) {
    throw new ArtifactError(ARTIFACT_UNAVAILABLE, `${w.name}: ${source} does not gunzip: ${(error as Error).message}`);
  }
  await materialize(dir, `${w.name}: ${source}`, async (temp) => {
    if ((await unpackPackage(tar, temp)) === 0) throw new ArtifactError(ARTIFACT_UNAVAILABLE, `${w.name}: ${source} has no package/ entries`);
  });
  return dir;
}

const IMAGE_FILE = 'image.json';

/** Fills a temp dir renamed to `dir` at the end: a directory that exists is complete and reused as is. */
async function materialize(dir: string, what: string, fill: (temp: string) => Promise<void>): Promise<void> {
  if (existsSync(dir)) return;
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const temp = `${dir}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.mkdir(temp);
    await fill(temp);
    await fs.rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
      // a concurrent apply prepared the same spec first: keep theirs
      if (!existsSync(dir)) throw error;
      await fs.rm(temp, { recursive: true, force: true });
    });
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    if (error instanceof ArtifactError) throw error;
    throw new ArtifactError(ARTIFACT_UNAVAILABLE, `${what}: ${(error as Error).message}`);
  }
}

async function resolveFromFeed(feed: string, name: string, version: string): Promise<string> {
  if (!/^https?:\/\//.test(feed)) throw new ArtifactError(ARTIFACT_UNAVAILABLE, `npm package ${name}@${version}: no tarball and feed "${feed}" is not an http(s) registry`);
  const url = `${feed.replace(/\/+$/, '')}/${name.replace('/', '%2f')}`;
  const packument = (await fetchBuffer(url).then((b) => JSON.parse(b.toString()) as { versions?: Record<string, { dist?: { tarball?: string } }> }).catch((error: Error) => {
    throw new ArtifactError(ARTIFACT_UNAVAILABLE, `npm package ${name}: ${url}: ${error.message}`);
  }));
  const tarball = packument.versions?.[version]?.dist?.tarball;
  if (!tarball) throw new ArtifactError(ARTIFACT_UNAVAILABLE, `npm package ${name}@${version} not found on ${feed}`);
  return tarball;
}

async function fetchTarball(source: string): Promise<Buffer> {
  try {
    if (/^https?:\/\//.test(source)) return await fetchBuffer(source);
    return await fs.readFile(source.startsWith('file://') ? new URL(source) : source);
  } catch (error) {
    throw new ArtifactError(ARTIFACT_UNAVAILABLE, `tarball ${source}: ${(error as Error).message}`);
  }
}

async function fetchBuffer(url: string): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Writes the entries under `package/` (files and directories only, never outside `dir`); returns the file count. */
async function unpackPackage(tar: Buffer, dir: string): Promise<number> {
  await fs.mkdir(dir, { recursive: true });
  const root = path.resolve(dir);
  let files = 0;
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const { name, type, mode } = entry.header;
      const rel = name.replace(/^\.?\/*/, '');
      const inPackage = rel.startsWith('package/') && rel.length > 'package/'.length;
      const target = path.resolve(root, rel.slice('package/'.length));
      if (!inPackage || !target.startsWith(root + path.sep) || (type !== 'file' && type !== 'directory')) {
        entry.resume();
        continue;
      }
      if (type === 'directory') {
        await fs.mkdir(target, { recursive: true });
        entry.resume();
        continue;
      }
      await fs.mkdir(path.dirname(target), { recursive: true });
      // npm tarballs often carry odd modes: keep the execute bits, always readable/writable by the owner
      await pipeline(entry, createWriteStream(target, { mode: ((mode ?? 0o644) & 0o755) | 0o600 }));
      files++;
    }
  })();
  Readable.from([tar]).pipe(ex);
  await done;
  return files;
}
