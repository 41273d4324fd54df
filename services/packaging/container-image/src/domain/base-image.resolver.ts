import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Digest } from './digest';
import type { BaseImage } from './image.assembler';
import { DOCKER_MANIFEST_LIST, OCI_INDEX, REF_NAME, type Descriptor, type ImageConfigFile, type ImageManifest, type Platform } from './oci.types';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export type BaseResolution = { found: BaseImage } | { unavailable: string };

// Base images come from a local OCI image layout (BASE_IMAGE_DIR: index.json + blobs/sha256/…), e.g. one filled by
// `skopeo copy docker://node:20-slim oci:<dir>:node:20-slim`. A reference matches an index entry whose
// org.opencontainers.image.ref.name is the reference itself or its docker.io spelling; `name@sha256:…` matches
// by digest. Nothing is pulled from a network registry: what is not in the layout is unavailable.
export async function resolveBaseImage(layoutDir: string, reference: string, platform: Platform): Promise<BaseResolution> {
  let index: { manifests?: Descriptor[] };
  try {
    index = JSON.parse(await readFile(path.join(layoutDir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  } catch {
    // no path in the reason: it ends up in the image's labels, which must not differ from machine to machine
    return { unavailable: 'no local base image layout (BASE_IMAGE_DIR has no index.json)' };
  }
  const entry = matchReference(index.manifests ?? [], reference);
  if (!entry) return { unavailable: `not found in the local base image layout` };
  const manifestDescriptor = await platformManifest(layoutDir, entry, platform);
  if (!manifestDescriptor) return { unavailable: `no ${platform.os}/${platform.architecture} manifest in the local base image layout` };
  const manifest = JSON.parse((await readBlob(layoutDir, manifestDescriptor.digest)).toString('utf8')) as ImageManifest;
  const config = JSON.parse((await readBlob(layoutDir, manifest.config.digest)).toString('utf8')) as ImageConfigFile;
  const layers = manifest.layers.map((layer) => ({
    // the same bytes under their OCI name: a docker-typed gzip layer is an OCI gzip layer
    mediaType: layer.mediaType === DOCKER_LAYER_GZIP ? OCI_LAYER_GZIP : layer.mediaType,
    digest: layer.digest,
    size: layer.size,
    read: () => readBlob(layoutDir, layer.digest),
  }));
  return { found: { reference, digest: manifestDescriptor.digest, config, layers } };
}

export function referenceCandidates(reference: string): string[] {
  const name = reference.split('@')[0] ?? reference;
  const withTag = /:[^/]+$/.test(name) ? name : `${name}:latest`;
  const firstPart = withTag.split('/')[0] ?? '';
  const hasRegistry = withTag.includes('/') && (firstPart.includes('.') || firstPart.includes(':') || firstPart === 'localhost');
  const dockerHub = hasRegistry ? [] : withTag.includes('/') ? [`docker.io/${withTag}`] : [`docker.io/library/${withTag}`, `library/${withTag}`];
  const short = withTag.replace(/^docker\.io\/(library\/)?/, '');
  return [...new Set([reference, name, withTag, ...dockerHub, short])];
}

function matchReference(manifests: Descriptor[], reference: string): Descriptor | undefined {
  const digest = reference.includes('@') ? reference.slice(reference.indexOf('@') + 1) : undefined;
  if (digest) return manifests.find((m) => m.digest === digest);
  const names = referenceCandidates(reference);
  return manifests.find((m) => names.includes(m.annotations?.[REF_NAME] ?? '\0'));
}

async function platformManifest(layoutDir: string, entry: Descriptor, platform: Platform): Promise<Descriptor | undefined> {
  if (entry.mediaType !== OCI_INDEX && entry.mediaType !== DOCKER_MANIFEST_LIST) return entry;
  const nested = JSON.parse((await readBlob(layoutDir, entry.digest)).toString('utf8')) as { manifests?: Descriptor[] };
  return (nested.manifests ?? []).find((m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture);
}

/** a blob of the layout, its digest checked: a damaged layout must not become a pushed image */
export async function readBlob(layoutDir: string, digest: string): Promise<Buffer> {
  if (!DIGEST.test(digest)) throw new Error(`invalid digest ${digest} in base image layout`);
  const bytes = await readFile(path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  if (sha256Digest(bytes) !== digest) throw new Error(`blob ${digest} of the base image layout at ${layoutDir} does not match its digest`);
  return bytes;
}
