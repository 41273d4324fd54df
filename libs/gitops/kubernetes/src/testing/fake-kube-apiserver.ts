import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';

// A loopback stand-in for the Kubernetes API server, for contract tests of the adapter's HTTP shapes. It does NOT
// model server-side apply (no field ownership, no merge): an apply stores the sent object as the whole object,
// keeping only the server-owned status. See README.md next to this file.

interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
}

export interface Injection {
  method: string;
  /** substring of the path (and `?watch` for watches) that the request must contain */
  pathIncludes?: string;
  /** match only dry-run (true) or only real (false) requests; default both */
  dryRun?: boolean;
  status: 409 | 410 | 422 | 500;
  message?: string;
  /** how many matching requests fail; default 1 */
  times?: number;
}

interface Watcher {
  key: string;
  labelSelector?: string;
  res: http.ServerResponse;
}

const KINDS: Record<string, { group: string; version: string; kind: string }> = {
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment' },
  services: { group: '', version: 'v1', kind: 'Service' },
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap' },
  pods: { group: '', version: 'v1', kind: 'Pod' },
  httproutes: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute' },
};

export class FakeKubeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, StoredObject>();
  private readonly events: Array<{ rv: number; key: string; type: string; object: StoredObject }> = [];
  private readonly watchers = new Set<Watcher>();
  private readonly injections: Injection[] = [];
  private resourceVersion = 100;
  private server?: http.Server;

  constructor(private readonly options: { gatewayApi?: boolean } = {}) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next matching request(s) fail with this status. */
  inject(injection: Injection): void {
    this.injections.push({ times: 1, ...injection });
  }

  /** Test access: set an object's status (e.g. Deployment rollout state) as a controller would. */
  setStatus(plural: string, namespace: string, name: string, status: unknown, metadata: Record<string, unknown> = {}): void {
    const key = this.keyOf(plural, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new Error(`no ${key}`);
    this.store(key, { ...current, metadata: { ...current.metadata, ...metadata }, status }, 'MODIFIED');
  }

  /** Test access: create an object directly (a pod, or something another tool made). */
  put(plural: string, object: Omit<StoredObject, 'metadata'> & { metadata: Record<string, unknown> & { name: string; namespace: string } }): void {
    const key = this.keyOf(plural, object.metadata.namespace, object.metadata.name);
    this.store(key, { ...object, metadata: { ...object.metadata, generation: 1, uid: `uid-${key}` } } as unknown as StoredObject, this.objects.has(key) ? 'MODIFIED' : 'ADDED');
  }

  object(plural: string, namespace: string, name: string): StoredObject | undefined {
    return this.objects.get(this.keyOf(plural, namespace, name));
  }

  names(plural: string, namespace: string): string[] {
    const prefix = `${plural}/${namespace}/`;
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }

  private keyOf(plural: string, namespace: string, name: string): string {
    return `${plural}/${namespace}/${name}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const isWatch = query['watch'] === '1' || query['watch'] === 'true';
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, contentType: req.headers['content-type'], body: body ? safeParse(body) : undefined });

    const injected = this.takeInjection(method, `${url.pathname}${isWatch ? '?watch' : ''}`, query['dryRun'] === 'All');
    if (injected) {
      // a watch learns that its resourceVersion is too old from an ERROR event, as the real server sends it
      if (injected.status === 410 && isWatch) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: statusOf(410, 'Expired', injected.message ?? 'too old resource version') })}\n`);
        return;
      }
      const reason = { 409: 'Conflict', 410: 'Gone', 422: 'Invalid', 500: 'InternalError' }[injected.status];
      return send(res, injected.status, statusOf(injected.status, reason, injected.message ?? reason));
    }

    const discovery = this.discovery(url.pathname);
    if (discovery !== undefined) return discovery === null ? send(res, 404, statusOf(404, 'NotFound', 'the server could not find the requested resource')) : send(res, 200, discovery);

    const match = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const plural = match?.[4];
    const type = plural ? KINDS[plural] : undefined;
    if (!match || !plural || !type || (match[1] ?? '') !== type.group || (type.group === 'gateway.networking.k8s.io' && !this.options.gatewayApi)) {
      return send(res, 404, statusOf(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const namespace = decodeURIComponent(match[3] ?? '');
    const name = match[5] ? decodeURIComponent(match[5]) : undefined;
    const key = name ? this.keyOf(plural, namespace, name) : undefined;

    if (method === 'GET' && !name && isWatch) return this.watch(res, plural, namespace, query);
    if (method === 'GET' && !name) return send(res, 200, this.list(plural, namespace, type, query['labelSelector']));
    if (method === 'GET' && key) {
      const found = this.objects.get(key);
      return found ? send(res, 200, found) : send(res, 404, statusOf(404, 'NotFound', `${plural} "${name}" not found`));
    }
    if (method === 'PATCH' && key && name) return this.apply(res, req, key, plural, namespace, name, type, body, query);
    if (method === 'DELETE' && key) {
      const found = this.objects.get(key);
      if (!found) return send(res, 404, statusOf(404, 'NotFound', `${plural} "${name}" not found`));
      this.objects.delete(key);
      this.emit(key, 'DELETED', { ...found, metadata: { ...found.metadata, resourceVersion: String(++this.resourceVersion) } });
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    return send(res, 405, statusOf(405, 'MethodNotAllowed', `${method} not supported`));
  }

  private apply(res: http.ServerResponse, req: http.IncomingMessage, key: string, plural: string, namespace: string, name: string, type: { group: string; version: string; kind: string }, body: string, query: Record<string, string>): void {
    if (req.headers['content-type'] !== 'application/apply-patch+yaml') return send(res, 415, statusOf(415, 'UnsupportedMediaType', 'only apply patches'));
    if (!query['fieldManager']) return send(res, 422, statusOf(422, 'Invalid', 'fieldManager is required for apply requests'));
    const sent = parseYaml(body) as StoredObject;
    if (sent.kind !== type.kind || sent.metadata?.name !== name) return send(res, 400, statusOf(400, 'BadRequest', 'kind or name does not match the path'));
    const current = this.objects.get(key);
    const generation = Number(current?.metadata['generation'] ?? 0);
    const specChanged = !current || JSON.stringify(current['spec']) !== JSON.stringify(sent['spec']);
    const next: StoredObject = {
      ...sent,
      metadata: {
        ...sent.metadata,
        namespace,
        uid: current?.metadata['uid'] ?? `uid-${key}`,
        generation: specChanged ? generation + 1 : generation,
        managedFields: [{ manager: query['fieldManager'], operation: 'Apply' }],
      },
      ...(current?.['status'] === undefined ? {} : { status: current['status'] }),
    };
    if (query['dryRun'] === 'All') return send(res, current ? 200 : 201, { ...next, metadata: { ...next.metadata, resourceVersion: current?.metadata['resourceVersion'] ?? '' } });
    const stored = this.store(key, next, current ? 'MODIFIED' : 'ADDED');
    return send(res, current ? 200 : 201, stored);
  }

  private store(key: string, object: StoredObject, type: string): StoredObject {
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.resourceVersion) } };
    this.objects.set(key, stored);
    this.emit(key, type, stored);
    return stored;
  }

  private emit(key: string, type: string, object: StoredObject): void {
    const rv = Number(object.metadata['resourceVersion']);
    this.events.push({ rv, key, type, object });
    for (const w of this.watchers) {
      if (key.startsWith(w.key) && matches(object.metadata.labels, w.labelSelector)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private list(plural: string, namespace: string, type: { group: string; version: string; kind: string }, labelSelector?: string): unknown {
    const prefix = `${plural}/${namespace}/`;
    const items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(prefix) && matches(o.metadata.labels, labelSelector)).map(([, o]) => o);
    const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
    return { kind: `${type.kind}List`, apiVersion, metadata: { resourceVersion: String(this.resourceVersion) }, items };
  }

  private watch(res: http.ServerResponse, plural: string, namespace: string, query: Record<string, string>): void {
    const key = `${plural}/${namespace}/`;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const since = Number(query['resourceVersion'] ?? 0);
    for (const e of this.events) {
      if (e.rv > since && e.key.startsWith(key) && matches(e.object.metadata.labels, query['labelSelector'])) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    const watcher: Watcher = { key, labelSelector: query['labelSelector'], res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private discovery(path: string): unknown | null | undefined {
    const resources = (plurals: string[]) => plurals.map((name) => ({ name, namespaced: true, kind: KINDS[name]?.kind, verbs: ['get', 'list', 'watch', 'patch', 'delete'] }));
    const gateway = this.options.gatewayApi;
    switch (path) {
      case '/api':
        return { kind: 'APIVersions', versions: ['v1'] };
      case '/apis':
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [
            { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }] },
            ...(gateway ? [{ name: 'gateway.networking.k8s.io', versions: [{ groupVersion: 'gateway.networking.k8s.io/v1', version: 'v1' }] }] : []),
          ],
        };
      case '/api/v1':
        return { kind: 'APIResourceList', groupVersion: 'v1', resources: resources(['services', 'configmaps', 'pods']) };
      case '/apis/apps/v1':
        return { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: resources(['deployments']) };
      case '/apis/gateway.networking.k8s.io/v1':
        return gateway ? { kind: 'APIResourceList', groupVersion: 'gateway.networking.k8s.io/v1', resources: resources(['httproutes']) } : null;
      default:
        return undefined;
    }
  }

  private takeInjection(method: string, path: string, dryRun: boolean): Injection | undefined {
    const index = this.injections.findIndex(
      (i) => i.method === method && (!i.pathIncludes || path.includes(i.pathIncludes)) && (i.dryRun === undefined || i.dryRun === dryRun),
    );
    const injection = this.injections[index];
    if (!injection) return undefined;
    injection.times = (injection.times ?? 1) - 1;
    if (injection.times <= 0) this.injections.splice(index, 1);
    return injection;
  }
}

// Equality selectors only (`a=b,c=d`, `a==b`, `a!=b`, `a`): all this adapter sends.
function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const neq = /^([^!=]+)!=(.*)$/.exec(term);
    if (neq) return labels?.[neq[1] ?? ''] !== neq[2];
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq) return labels?.[eq[1] ?? ''] === eq[2];
    return labels?.[term] !== undefined;
  });
}

function statusOf(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function safeParse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
