import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeObject } from './kube.objects';

// A small Kubernetes REST client on node:http(s). Not global fetch: Node 20's fetch cannot take a cluster CA or a
// client certificate without undici's Agent, which is not a dependency here. Not @kubernetes/client-node either:
// it is ESM-only and Jest (swc → CommonJS) cannot load it; kube-config.loader.ts uses it only to read a kubeconfig.

export interface KubeConnection {
  /** e.g. https://10.0.0.1:6443 */
  server: string;
  token?: string;
  /** PEM */
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
}

export interface ResourceType {
  /** '' for the core group */
  group: string;
  version: string;
  plural: string;
}

// The kinds this adapter touches; anything else is refused rather than guessed.
export const RESOURCES: Record<string, ResourceType> = {
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments' },
  Service: { group: '', version: 'v1', plural: 'services' },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps' },
  Pod: { group: '', version: 'v1', plural: 'pods' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
};

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface ApplyOptions {
  fieldManager: string;
  dryRun?: boolean;
}

export function resourceOf(kind: string): ResourceType {
  const resource = RESOURCES[kind];
  if (!resource) throw new Error(`unsupported kind ${kind}`);
  return resource;
}

export function collectionPath(kind: string, namespace: string): string {
  const r = resourceOf(kind);
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}

export class KubeApiClient {
  constructor(private readonly connection: KubeConnection) {}

  async get(kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.request('GET', `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`)) as KubeObject;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list(kind: string, namespace: string, labelSelector?: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const query = labelSelector ? { labelSelector } : undefined;
    const list = (await this.request('GET', collectionPath(kind, namespace), { query })) as { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
    // a List's items carry no kind: restore it so refs and diffs work
    const items = (list.items ?? []).map((item) => ({ ...item, kind, apiVersion: item.apiVersion ?? apiVersionOf(kind) }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Server-side apply: PATCH application/apply-patch+yaml (JSON is YAML) with a field manager, forced. */
  async apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    const namespace = object.metadata.namespace ?? 'default';
    const query: Record<string, string> = { fieldManager: options.fieldManager, force: 'true' };
    if (options.dryRun) query['dryRun'] = 'All';
    return (await this.request('PATCH', `${collectionPath(object.kind, namespace)}/${encodeURIComponent(object.metadata.name)}`, {
      query,
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
    })) as KubeObject;
  }

  /** false when it was already gone */
  async delete(kind: string, namespace: string, name: string): Promise<boolean> {
    try {
      await this.request('DELETE', `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`, {
        body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }),
        contentType: 'application/json',
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** The resource names served for a group version (/apis/<group>/<version>), or null when it is not served. */
  async discover(groupVersion: string): Promise<string[] | null> {
    const path = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
    try {
      const list = (await this.request('GET', path)) as { resources?: Array<{ name: string }> };
      return (list.resources ?? []).map((r) => r.name);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Streams watch events (one JSON object a line) until the server closes, the signal aborts, or a 410 arrives;
   * a 410 (HTTP status or ERROR event) rejects with KubeApiError(410) so the caller relists.
   */
  watch(kind: string, namespace: string, options: { labelSelector?: string; resourceVersion: string; signal?: AbortSignal }, onEvent: (event: WatchEvent) => void): Promise<void> {
    const query: Record<string, string> = { watch: '1', resourceVersion: options.resourceVersion, allowWatchBookmarks: 'true' };
    if (options.labelSelector) query['labelSelector'] = options.labelSelector;
    return new Promise((resolve, reject) => {
      const req = this.send('GET', collectionPath(kind, namespace), query, undefined, undefined, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          readBody(res).then((text) => reject(errorOf(res.statusCode ?? 0, text)), reject);
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            newline = buffer.indexOf('\n');
            if (!line) continue;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              const status = event.object as unknown as { code?: number; reason?: string; message?: string };
              req.destroy();
              reject(new KubeApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? 'watch error'));
              return;
            }
            onEvent({ ...event, object: { ...event.object, kind: event.object.kind ?? kind } });
          }
        });
        res.on('end', () => resolve());
        res.on('error', (error) => (options.signal?.aborted ? resolve() : reject(error)));
      });
      req.on('error', (error) => (options.signal?.aborted ? resolve() : reject(error)));
      options.signal?.addEventListener('abort', () => req.destroy(), { once: true });
      req.end();
    });
  }

  async request(method: string, path: string, options: { query?: Record<string, string>; body?: string; contentType?: string } = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = this.send(method, path, options.query, options.body, options.contentType, (res) => {
        readBody(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 300) reject(errorOf(status, text));
          else resolve(text ? JSON.parse(text) : {});
        }, reject);
      });
      req.on('error', reject);
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }

  private send(
    method: string,
    path: string,
    query: Record<string, string> | undefined,
    body: string | undefined,
    contentType: string | undefined,
    onResponse: (res: http.IncomingMessage) => void,
  ): http.ClientRequest {
    const url = new URL(path, this.connection.server);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.connection.token) headers['authorization'] = `Bearer ${this.connection.token}`;
    if (contentType) headers['content-type'] = contentType;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    if (url.protocol === 'https:') {
      return https.request(url, {
        method,
        headers,
        ca: this.connection.ca,
        cert: this.connection.cert,
        key: this.connection.key,
        rejectUnauthorized: !this.connection.insecureSkipTlsVerify,
      }, onResponse);
    }
    return http.request(url, { method, headers }, onResponse);
  }
}

function apiVersionOf(kind: string): string {
  const r = resourceOf(kind);
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

// The API server answers errors with a Status object; its message is what the operator needs to read.
function errorOf(status: number, text: string): KubeApiError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? `HTTP ${status}`);
  } catch {
    return new KubeApiError(status, 'Unknown', text || `HTTP ${status}`);
  }
}
