import type { BlobSource } from '../domain/oci.types';
import type { Fetch, RegistryAuth } from './registry.auth';
import { DigestMismatchError, RegistryRejectedError, RegistryUnavailableError } from './registry.errors';
import { bearerChallenge, parseWwwAuthenticate } from './www-authenticate.parser';

export interface RetryPolicy {
  /** attempts of one operation, the first included */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 250, maxDelayMs: 4_000, requestTimeoutMs: 60_000 };

export interface PushableImage {
  manifest: Buffer;
  digest: string;
  mediaType: string;
  config: Buffer;
  configDigest: string;
  layers: BlobSource[];
}

export interface PushReport {
  digest: string;
  /** blobs sent */
  uploaded: string[];
  /** blobs the registry already had (HEAD 200) */
  skipped: string[];
}

/** a response worth retrying (5xx, 429) or a network failure, inside one operation */
class RetryableFailure extends Error {}

// An OCI distribution API client (distribution-spec v1.1) over the global fetch: HEAD to skip blobs the registry
// has, monolithic uploads (POST then PUT ?digest=), one manifest PUT per tag. Network errors, 5xx and 429 are
// retried with exponential backoff a bounded number of times, then RegistryUnavailableError (transient: the
// message is nak'ed, and dead-lettered after its last delivery). Pushing is idempotent: everything is addressed
// by content, so a redelivered command pushes nothing new.
export class OciRegistryClient {
  /** Authorization per repository, from the last challenge answered */
  private readonly authorization = new Map<string, string>();

  constructor(
    private readonly host: string,
    private readonly baseUrl: string,
    private readonly auth: RegistryAuth | undefined,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  async push(repository: string, image: PushableImage, tags: readonly string[]): Promise<PushReport> {
    const report: PushReport = { digest: image.digest, uploaded: [], skipped: [] };
    const blobs: BlobSource[] = [
      ...image.layers,
      { mediaType: 'config', digest: image.configDigest, size: image.config.length, read: async () => image.config },
    ];
    for (const blob of blobs) {
      if (await this.hasBlob(repository, blob.digest)) report.skipped.push(blob.digest);
      else {
        await this.uploadBlob(repository, blob.digest, await blob.read());
        report.uploaded.push(blob.digest);
      }
    }
    for (const tag of tags) await this.putManifest(repository, tag, image);
    return report;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.withRetry(`HEAD blob ${digest}`, async () => {
      const response = await this.send(repository, 'HEAD', `/v2/${repository}/blobs/${digest}`);
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      throw await this.rejected(`HEAD blob ${digest}`, response);
    });
  }

  async uploadBlob(repository: string, digest: string, bytes: Buffer): Promise<void> {
    await this.withRetry(`upload of ${digest}`, async () => {
      // a new upload session per attempt: a failed PUT may have discarded the previous one
      const started = await this.send(repository, 'POST', `/v2/${repository}/blobs/uploads/`);
      if (started.status === 201) return; // a registry may complete a mount/upload at once
      if (started.status !== 202) throw await this.rejected(`upload start of ${digest}`, started);
      const location = started.headers.get('location');
      if (!location) throw new RegistryRejectedError(this.host, `upload start of ${digest}`, started.status, 'no Location header');
      const target = new URL(location, this.baseUrl);
      target.searchParams.set('digest', digest);
      const done = await this.send(repository, 'PUT', target.toString(), {
        body: bytes,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      });
      if (done.status !== 201) throw await this.rejected(`upload of ${digest}`, done);
    });
  }

  async putManifest(repository: string, reference: string, image: Pick<PushableImage, 'manifest' | 'digest' | 'mediaType'>): Promise<void> {
    await this.withRetry(`manifest ${repository}:${reference}`, async () => {
      const response = await this.send(repository, 'PUT', `/v2/${repository}/manifests/${reference}`, {
        body: image.manifest,
        headers: { 'content-type': image.mediaType },
      });
      if (response.status !== 201 && response.status !== 200) throw await this.rejected(`manifest ${repository}:${reference}`, response);
      const stored = response.headers.get('docker-content-digest');
      if (stored !== image.digest) throw new DigestMismatchError(this.host, image.digest, stored ?? '(no Docker-Content-Digest header)');
    });
  }

  async getManifest(repository: string, reference: string, accept: string): Promise<Response> {
    return this.withRetry(`GET manifest ${reference}`, () => this.send(repository, 'GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept } }));
  }

  // One request; a 401 with a challenge is answered (token fetched or taken from the cache) and the request sent again.
  private async send(repository: string, method: string, pathOrUrl: string, init: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl).toString();
    const request = async () => {
      const headers: Record<string, string> = { ...init.headers };
      const authorization = this.authorization.get(repository);
      if (authorization) headers.authorization = authorization;
      try {
        const response = await this.fetchFn(url, {
          method,
          headers,
          ...(init.body ? { body: init.body } : {}),
          redirect: 'follow',
          signal: AbortSignal.timeout(this.retry.requestTimeoutMs),
        });
        if (response.status >= 500 || response.status === 429) {
          await response.body?.cancel();
          throw new RetryableFailure(`${method} ${url}: HTTP ${response.status}`);
        }
        return response;
      } catch (error) {
        if (error instanceof RetryableFailure) throw error;
        throw new RetryableFailure(`${method} ${url}: ${causeOf(error)}`);
      }
    };
    const response = await request();
    if (response.status !== 401 || !this.auth) return response;
    const header = response.headers.get('www-authenticate');
    await response.body?.cancel();
    const bearer = bearerChallenge(header);
    const challenge = bearer
      ? // ask for push and pull at once: one token serves every request of the push
        { ...bearer, params: { ...bearer.params, scope: `repository:${repository}:pull,push` } }
      : parseWwwAuthenticate(header ?? '')[0];
    if (!challenge) return response;
    this.authorization.set(repository, await this.auth.authorize(challenge));
    return request();
  }

  private async withRetry<T>(what: string, operation: () => Promise<T>): Promise<T> {
    let last = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        last = error.message;
        if (attempt < this.retry.attempts) await sleep(Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 1)));
      }
    }
    throw new RegistryUnavailableError(this.host, `${what} failed ${this.retry.attempts} times; last: ${last}`);
  }

  private async rejected(what: string, response: Response): Promise<RegistryRejectedError> {
    // a HEAD answer has no body: the text is empty
    const body = await response.text().catch(() => '');
    return new RegistryRejectedError(this.host, what, response.status, body);
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
