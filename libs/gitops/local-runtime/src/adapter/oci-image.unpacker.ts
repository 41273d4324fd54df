import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';

// Unpacks the layers of an OCI image into a root directory, from an OCI image layout directory
// (`oci:<dir>[:<tag>]` or an absolute directory path) or a registry speaking the distribution API
// (`<host>[:port]/<name>[:tag|@sha256:…]`, http for localhost/127.0.0.1, https otherwise, anonymous).
// Every blob is checked against its digest; whiteouts (`.wh.<name>`, `.wh..wh..opq`) are honoured.

const MANIFEST = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
const INDEX = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const MAX_LAYER_BYTES = 1024 * 1024 * 1024;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}
interface ImageManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  manifests?: Descriptor[];
}

interface ImageSource {
  /** the root manifest or index (by tag, digest, or the only one) */
  root(): Promise<Buffer>;
  /** a manifest or index by digest (a registry serves them apart from blobs) */
  manifest(digest: string): Promise<Buffer>;
  blob(digest: string): Promise<Buffer>;
}

export interface UnpackedImage {
  /** the manifest digest that was unpacked */
  digest: string;
  /** the image config's WorkingDir ("/" when unset) */
  workingDir: string;
}

/** Unpacks `reference` (pinned to `digest` when given) into `rootDir`, which must exist and be empty. */
export async function unpackOciImage(reference: string, digest: string | undefined, rootDir: string): Promise<UnpackedImage> {
  const source = sourceOf(reference, digest);
  let body = digest ? await source.manifest(digest) : await source.root();
  let manifest = JSON.parse(body.toString()) as ImageManifest;
  if (manifest.manifests || INDEX.includes(manifest.mediaType ?? '')) {
    const list = manifest.manifests ?? [];
    const pick = list.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ?? list[0];
    if (!pick) throw new Error(`${reference}: the image index lists no manifest`);
    body = await source.manifest(pick.digest);
    manifest = JSON.parse(body.toString()) as ImageManifest;
  }
  if (!Array.isArray(manifest.layers) || !manifest.config) throw new Error(`${reference}: not an image manifest (${manifest.mediaType ?? 'no mediaType'})`);
  const config = JSON.parse((await source.blob(manifest.config.digest)).toString()) as { config?: { WorkingDir?: string } };
  for (const layer of manifest.layers) await unpackLayer(await source.blob(layer.digest), rootDir);
  return { digest: sha256(body), workingDir: config.config?.WorkingDir || '/' };
}

function sourceOf(reference: string, digest: string | undefined): ImageSource {
  if (reference.startsWith('oci:') || reference.startsWith('/')) {
    const raw = reference.startsWith('oci:') ? reference.slice(4) : reference;
    const m = /^(.*?)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?$/.exec(raw);
    return layoutSource(m?.[1] ?? raw, m?.[2], digest);
  }
  return registrySource(reference);
}

function layoutSource(dir: string, tag: string | undefined, digest: string | undefined): ImageSource {
  const blob = async (d: string): Promise<Buffer> => verified(d, await fs.readFile(path.join(dir, 'blobs', ...digestParts(d))));
  return {
    blob,
    manifest: blob,
    root: async () => {
      const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
      const list = index.manifests ?? [];
      const pick = digest ? list.find((m) => m.digest === digest)
        : tag ? list.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)
          : list.length === 1 ? list[0] : undefined;
      if (!pick) throw new Error(`OCI layout ${dir}: no manifest ${tag ? `tagged "${tag}"` : '(name a tag: several manifests)'}`);
      return blob(pick.digest);
    },
  };
}

function registrySource(reference: string): ImageSource {
  const m = /^([^/]+)\/(.+?)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(reference);
  if (!m?.[1] || !m[2]) throw new Error(`image reference "${reference}" is not <host>/<name>[:tag][@digest]`);
  const host = m[1];
  const scheme = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host) ? 'http' : 'https';
  const base = `${scheme}://${host}/v2/${m[2]}`;
  const get = async (url: string, accept?: string[]): Promise<Buffer> => {
    const res = await fetch(url, { headers: accept ? { accept: accept.join(', ') } : {}, signal: AbortSignal.timeout(120_000) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  return {
    root: () => get(`${base}/manifests/${m[4] ?? m[3] ?? 'latest'}`, [...MANIFEST, ...INDEX]),
    manifest: async (d) => verified(d, await get(`${base}/manifests/${d}`, [...MANIFEST, ...INDEX])),
    blob: async (d) => verified(d, await get(`${base}/blobs/${d}`)),
  };
}

function digestParts(digest: string): [string, string] {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m?.[1]) throw new Error(`unsupported digest "${digest}"`);
  return ['sha256', m[1]];
}

function verified(digest: string, body: Buffer): Buffer {
  digestParts(digest);
  if (sha256(body) !== digest) throw new Error(`blob ${digest} does not match its digest`);
  return body;
}

const sha256 = (body: Buffer): string => `sha256:${createHash('sha256').update(body).digest('hex')}`;

async function unpackLayer(blob: Buffer, rootDir: string): Promise<void> {
  const root = await fs.realpath(rootDir);
  const tar = blob.length > 1 && blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob, { maxOutputLength: MAX_LAYER_BYTES }) : blob;
  const ex = extract();
  const written = new Set<string>();
  const done = (async () => {
    for await (const entry of ex) {
      const { name, type, mode, linkname } = entry.header;
      const rel = path.posix.normalize(name.replace(/^\.?\/*/, '')).replace(/\/$/, '');
      const target = path.resolve(root, rel);
      const inside = rel !== '.' && rel !== '' && target.startsWith(root + path.sep) && (await parentInside(root, target));
      if (!inside) {
        entry.resume();
        continue;
      }
      const base = path.basename(target);
      if (base === '.wh..wh..opq') {
        // opaque directory: what lower layers put there is gone, this layer's own entries stay
        const dir = path.dirname(target);
        for (const child of await fs.readdir(dir).catch(() => [] as string[])) {
          if (!written.has(path.join(dir, child))) await fs.rm(path.join(dir, child), { recursive: true, force: true });
        }
      } else if (base.startsWith('.wh.')) {
        await fs.rm(path.join(path.dirname(target), base.slice(4)), { recursive: true, force: true });
      } else if (type === 'directory') {
        await fs.mkdir(target, { recursive: true });
      } else if (type === 'file' || type === 'contiguous-file') {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.rm(target, { force: true, recursive: true });
        await pipeline(entry, createWriteStream(target, { mode: ((mode ?? 0o644) & 0o755) | 0o600 }));
        written.add(target);
        continue;
      } else if (type === 'symlink' && linkname) {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.rm(target, { force: true, recursive: true });
        await fs.symlink(linkname, target);
      } else if (type === 'link' && linkname) {
        const from = path.resolve(root, linkname.replace(/^\.?\/*/, ''));
        if (from.startsWith(root + path.sep)) {
          await fs.mkdir(path.dirname(target), { recursive: true });
          await fs.rm(target, { force: true, recursive: true });
          await fs.link(from, target);
        }
      }
      written.add(target);
      entry.resume();
    }
  })();
  Readable.from([tar]).pipe(ex);
  await done;
}

/** The real path of the entry's parent stays under root (a symlink of an earlier entry cannot lead outside). */
async function parentInside(root: string, target: string): Promise<boolean> {
  let dir = path.dirname(target);
  for (;;) {
    try {
      const real = await fs.realpath(dir);
      return real === root || real.startsWith(root + path.sep);
    } catch {
      if (dir === root || dir === path.dirname(dir)) return false;
      dir = path.dirname(dir); // not created yet: check the nearest existing ancestor
    }
  }
}
