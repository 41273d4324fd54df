import { ValidationError } from '@delivery/messaging';
import { feedUnavailable, manifestMismatch, versionImmutable, type FeedKind, type PackageFeed, type PackageToPublish, type PublishOutcome } from './package-feed.port';
import { integrityOf, shasumOf } from './package.integrity';
import { packumentPath, publishDocumentOf, sameBytes, tarballUrl, versionInPackument, type PublishedVersion } from './npm-publish.document';
import { readNpmManifest } from './npm-tarball.reader';

export interface NpmRegistryOptions {
  name: string;
  /** the registry's base URL; a trailing / is added */
  url: string;
  /** the Authorization header value (`Bearer <_authToken>`, `Basic …`), if the registry wants one */
  authorization?: string;
  kind?: FeedKind;
  timeoutMs?: number;
}

type Packument = { found: false } | { found: true; version: PublishedVersion | undefined };

// The npm registry protocol (Verdaccio, npmjs, GitHub Packages, Azure Artifacts…): GET the packument, PUT the
// publish document. The check-then-put is what makes a retry converge: after a crash between the PUT and the
// database commit, the redelivery finds its own bytes and answers alreadyPublished.
export class NpmRegistryFeed implements PackageFeed {
  readonly name: string;
  readonly kind: FeedKind;
  readonly formats = ['npm'] as const;
  readonly registry: string;

  constructor(private readonly options: NpmRegistryOptions) {
    this.name = options.name;
    this.kind = options.kind ?? 'npm-registry';
    this.registry = options.url.endsWith('/') ? options.url : `${options.url}/`;
  }

  async publish(pkg: PackageToPublish): Promise<PublishOutcome> {
    const manifest = await readNpmManifest(pkg.content);
    if (manifest.name !== pkg.name) throw manifestMismatch('name', pkg.name, typeof manifest.name === 'string' ? manifest.name : undefined);
    if (manifest.version !== pkg.version) throw manifestMismatch('version', pkg.version, typeof manifest.version === 'string' ? manifest.version : undefined);
    const offered = { integrity: integrityOf(pkg.content), shasum: shasumOf(pkg.content) };

    const existing = await this.existing(pkg, offered);
    if (existing) return existing;

    const body = publishDocumentOf({ manifest, name: pkg.name, version: pkg.version, distTag: pkg.distTag, registry: this.registry, tarball: pkg.content, ...offered });
    const response = await this.request('PUT', packumentPath(pkg.name), JSON.stringify(body));
    if (response.ok) {
      await response.body?.cancel();
      return { integrity: offered.integrity, url: tarballUrl(this.registry, pkg.name, pkg.version), alreadyPublished: false };
    }
    if (response.status === 409 || response.status === 403) {
      // a concurrent publisher won, or the registry refuses overwriting (npmjs answers 403 for that): look again
      const message = await messageOf(response);
      const after = await this.existing(pkg, offered);
      if (after) return after;
      if (response.status === 409) throw feedUnavailable(this.name, `conflict without the version in the packument: ${message}`);
      throw new ValidationError('package.registry-rejected', `registry ${this.registry} refused the publish (${response.status}): ${message}`);
    }
    throw await this.failure(response, 'publish');
  }

  // the version already in the registry: same bytes → alreadyPublished, other bytes → immutable
  private async existing(pkg: PackageToPublish, offered: { integrity: string; shasum: string }): Promise<PublishOutcome | undefined> {
    const packument = await this.packument(pkg.name, pkg.version);
    if (!packument.found || !packument.version) return undefined;
    const stored = packument.version;
    if (!sameBytes(stored, offered)) {
      throw versionImmutable(pkg.name, pkg.version, this.name, stored.integrity ?? `sha1:${stored.shasum ?? 'unknown'}`, offered.integrity);
    }
    return { integrity: offered.integrity, url: stored.tarball ?? tarballUrl(this.registry, pkg.name, pkg.version), alreadyPublished: true };
  }

  private async packument(name: string, version: string): Promise<Packument> {
    const response = await this.request('GET', packumentPath(name));
    if (response.status === 404) {
      await response.body?.cancel();
      return { found: false };
    }
    if (!response.ok) throw await this.failure(response, 'read the packument');
    let packument: unknown;
    try {
      packument = await response.json();
    } catch (error) {
      throw feedUnavailable(this.name, `the packument of ${name} is not JSON: ${(error as Error).message}`);
    }
    return { found: true, version: versionInPackument(packument, version) };
  }

  private async request(method: 'GET' | 'PUT', path: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.authorization) headers.authorization = this.options.authorization;
    try {
      return await fetch(`${this.registry}${path}`, { method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw feedUnavailable(this.name, `${method} ${this.registry}${path}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  }

  private async failure(response: Response, what: string): Promise<Error> {
    const message = await messageOf(response);
    if (response.status >= 500 || response.status === 429 || response.status === 408) return feedUnavailable(this.name, `could not ${what} (${response.status}): ${message}`);
    return new ValidationError('package.registry-rejected', `registry ${this.registry} refused to ${what} (${response.status}): ${message}`);
  }
}

// npm registries answer {error} (Verdaccio, npmjs), {message} (Azure Artifacts) or plain text
async function messageOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown; reason?: unknown };
    const message = [parsed.error, parsed.message, parsed.reason].find((value) => typeof value === 'string' && value.length > 0);
    if (typeof message === 'string') return message.slice(0, 1000);
  } catch {
    // not JSON
  }
  return text.slice(0, 1000) || response.statusText || 'no message';
}
