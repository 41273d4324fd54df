import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as azdev from 'azure-devops-node-api';
import type { IBuildApi } from 'azure-devops-node-api/BuildApi';
import { isRetryable, mapAzureError } from './azure-pipelines.errors';

export interface AzurePipelinesConfig {
  /** e.g. https://dev.azure.com/contoso (AZURE_DEVOPS_ORG_URL) */
  organizationUrl: string;
  /** the ADO project holding the repositories' pipelines (AZURE_DEVOPS_PROJECT) */
  project: string;
  /** a PAT with Build (read & execute) (AZURE_DEVOPS_TOKEN) */
  token: string;
  /** first monitoring interval; it grows ×1.5 while nothing changes, up to maxPollMs */
  pollMs: number;
  maxPollMs: number;
  /** attempts after the first for a call that fails with 5xx / 429 / a network error */
  retries: number;
  retryBaseMs: number;
  /** how long to wait for ADO to finish a build after asking it to cancel */
  cancelWaitMs: number;
}

export function azurePipelinesConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AzurePipelinesConfig | undefined {
  const organizationUrl = env.AZURE_DEVOPS_ORG_URL;
  const project = env.AZURE_DEVOPS_PROJECT;
  const token = env.AZURE_DEVOPS_TOKEN;
  if (!organizationUrl || !project || !token) return undefined;
  return { organizationUrl: organizationUrl.replace(/\/+$/, ''), project, token, pollMs: 2000, maxPollMs: 30_000, retries: 4, retryBaseMs: 1000, cancelWaitMs: 120_000 };
}

// The Build API of one organization: area discovery once (forgotten when it fails), every call retried on
// transient failures with exponential backoff, failures coded (azure-pipelines.errors).
export class AzureBuildClient {
  private api: Promise<IBuildApi> | undefined;

  constructor(readonly config: AzurePipelinesConfig) {}

  get project(): string {
    return this.config.project;
  }

  /** retried unless `once`: `fn` must then be safe to repeat (reads, PUT tag, PATCH status) */
  async call<T>(operation: string, fn: (api: IBuildApi) => Promise<T>, signal?: AbortSignal, once = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(await this.buildApi());
      } catch (error) {
        if (once || !isRetryable(error) || attempt >= this.config.retries || signal?.aborted) throw mapAzureError(error, operation);
        await delay(this.config.retryBaseMs * 2 ** attempt, signal);
      }
    }
  }

  /** A streamed download (log text, artifact zip): the node API hands back the raw response without checking it. */
  async download(operation: string, fn: (api: IBuildApi) => Promise<NodeJS.ReadableStream>, signal?: AbortSignal): Promise<Readable> {
    return this.call(operation, async (api) => checked(await fn(api)), signal);
  }

  /** A pipeline artifact's resource.downloadUrl; the PAT goes only to the organization or to Azure DevOps hosts. */
  async fetchUrl(operation: string, url: string, signal?: AbortSignal): Promise<Readable> {
    const target = new URL(url);
    const trusted = target.origin === new URL(this.config.organizationUrl).origin || /(^|\.)(visualstudio\.com|dev\.azure\.com)$/.test(target.hostname);
    if (!trusted) throw mapAzureError(new Error(`refusing to send the token to ${target.origin}`), operation);
    return this.call(
      operation,
      async () => {
        const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`PAT:${this.config.token}`).toString('base64')}` }, signal });
        if (!response.ok || !response.body) {
          await response.body?.cancel();
          throw Object.assign(new Error(`GET ${target.pathname} answered ${response.status}`), { statusCode: response.status });
        }
        return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
      },
      signal,
    );
  }

  private buildApi(): Promise<IBuildApi> {
    if (!this.api) {
      const web = new azdev.WebApi(this.config.organizationUrl, azdev.getPersonalAccessTokenHandler(this.config.token), { socketTimeout: 60_000 });
      this.api = web.getBuildApi().catch((error: unknown) => {
        this.api = undefined;
        throw error;
      });
    }
    return this.api;
  }
}

async function checked(stream: NodeJS.ReadableStream): Promise<Readable> {
  const message = stream as IncomingMessage;
  const status = message.statusCode ?? 200;
  if (status > 299) {
    const chunks: Buffer[] = [];
    for await (const chunk of message) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8').slice(0, 500);
    throw Object.assign(new Error(body || `Failed request: (${status})`), { statusCode: status });
  }
  return message;
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
