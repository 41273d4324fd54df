import type { NpmManifest } from './npm-tarball.reader';

// The npm registry protocol's pure parts (what `npm publish` / libnpmpublish sends and how a packument is read).

/** The packument path of a name: a scoped name keeps its @ and escapes its slash (@scope%2fname). */
export function packumentPath(name: string): string {
  return name.startsWith('@') ? `@${encodeURIComponent(name.slice(1)).replace(/%2F/gi, '%2f')}` : encodeURIComponent(name);
}

/** `<name>-<version>.tgz`, with the scope, as libnpmpublish names the attachment */
export function tarballFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

/** `<registry>/<name>/-/<name>-<version>.tgz` (registry ending in /) */
export function tarballUrl(registry: string, name: string, version: string): string {
  return `${registry}${name}/-/${tarballFileName(name, version)}`;
}

export interface PublishedVersion {
  integrity?: string;
  shasum?: string;
  tarball?: string;
}

/** What a packument says of one version, or undefined when it does not hold it. */
export function versionInPackument(packument: unknown, version: string): PublishedVersion | undefined {
  if (!packument || typeof packument !== 'object') return undefined;
  const versions = (packument as { versions?: unknown }).versions;
  if (!versions || typeof versions !== 'object') return undefined;
  const entry = (versions as Record<string, unknown>)[version];
  if (!entry || typeof entry !== 'object') return undefined;
  const dist = (entry as { dist?: unknown }).dist;
  const d = dist && typeof dist === 'object' ? (dist as Record<string, unknown>) : {};
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const out: PublishedVersion = {};
  const integrity = str(d.integrity);
  const shasum = str(d.shasum);
  const tarball = str(d.tarball);
  if (integrity) out.integrity = integrity;
  if (shasum) out.shasum = shasum;
  if (tarball) out.tarball = tarball;
  return out;
}

/** Same bytes? By integrity when the registry kept it, else by sha1 shasum (older registries). */
export function sameBytes(stored: PublishedVersion, offered: { integrity: string; shasum: string }): boolean {
  if (stored.integrity) return stored.integrity.split(/\s+/).includes(offered.integrity);
  if (stored.shasum) return stored.shasum.toLowerCase() === offered.shasum;
  return false;
}

export interface PublishDocumentInput {
  manifest: NpmManifest;
  name: string;
  version: string;
  distTag: string;
  registry: string;
  tarball: Buffer;
  integrity: string;
  shasum: string;
}

export interface PublishDocument {
  _id: string;
  name: string;
  description?: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, Record<string, unknown>>;
  access?: null;
  _attachments: Record<string, { content_type: string; data: string; length: number }>;
}

/** The body of `PUT /<name>` that publishes one version (the shape libnpmpublish sends). */
export function publishDocumentOf(input: PublishDocumentInput): PublishDocument {
  const { name, version } = input;
  // fields starting with _ are the registry's own (or a previous publish's); the tarball's manifest never sets them
  const manifest = Object.fromEntries(Object.entries(input.manifest).filter(([key]) => !key.startsWith('_')));
  const versionDocument: Record<string, unknown> = {
    ...manifest,
    name,
    version,
    _id: `${name}@${version}`,
    dist: { integrity: input.integrity, shasum: input.shasum, tarball: tarballUrl(input.registry, name, version) },
  };
  const description = typeof manifest.description === 'string' ? manifest.description : undefined;
  return {
    _id: name,
    name,
    ...(description !== undefined ? { description } : {}),
    'dist-tags': { [input.distTag]: version },
    versions: { [version]: versionDocument },
    access: null,
    _attachments: {
      [tarballFileName(name, version)]: { content_type: 'application/octet-stream', data: input.tarball.toString('base64'), length: input.tarball.length },
    },
  };
}
