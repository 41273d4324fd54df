// Test support: a fake Azure DevOps Build endpoint on 127.0.0.1 for the adapter's contract tests. It answers the
// REST calls the adapter makes with the recorded shapes under ./__fixtures__ (dynamic fields filled in from a
// minimal state of queued builds), and models NOTHING of Azure Pipelines itself: a build is in progress for
// `inProgressPolls` GETs and then completes with `finalResult`; a PATCH to cancelling completes it as canceled.
// Every request is recorded (method, path, query, api-version, body) so tests can assert what was sent.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  apiVersion: string | undefined;
  accept: string | undefined;
  body: unknown;
}

export interface FakeBuild {
  id: number;
  definitionId: number;
  tags: string[];
  body: Json;
  gets: number;
  canceled: boolean;
}

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as Json;
}

function response(name: string): Json {
  return structuredClone(fixture(name)['response']) as Json;
}

/** a stand-in for an artifact zip: an empty zip archive's end record plus the name, so digests differ */
export function fakeZip(name: string): Buffer {
  return Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(16), Buffer.from([name.length, 0]), Buffer.from(name)]);
}

export class FakeAzurePipelinesServer {
  readonly requests: RecordedRequest[] = [];
  readonly builds = new Map<number, FakeBuild>();
  /** GETs of a build that answer inProgress before it completes */
  inProgressPolls = 1;
  finalResult: 'succeeded' | 'partiallySucceeded' | 'failed' | 'canceled' = 'failed';
  private failures: Array<{ match: RegExp; status: number; times: number }> = [];
  private nextId = 1234;
  private server: Server | undefined;
  private base = '';

  constructor(private readonly token: string) {}

  get organizationUrl(): string {
    return `${this.base}/org`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** the next `times` requests whose "METHOD path" matches answer `status` (500 with the recorded envelope) */
  fail(match: RegExp, status: number, times: number): void {
    this.failures.push({ match, status, times });
  }

  reset(): void {
    this.requests.length = 0;
    this.builds.clear();
    this.failures = [];
    this.inProgressPolls = 1;
    this.finalResult = 'failed';
    this.nextId = 1234;
  }

  /** requests to the Build area (discovery left out), as "METHOD path" */
  calls(): string[] {
    return this.buildRequests().map((r) => `${r.method} ${r.path}`);
  }

  buildRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes('/_apis/build/') || r.path.startsWith('/_download'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.base);
    const accept = req.headers.accept;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      apiVersion: /api-version=([^;,\s]+)/.exec(accept ?? '')?.[1],
      accept,
      body: raw ? (JSON.parse(raw) as unknown) : undefined,
    };
    this.requests.push(rec);
    if (req.headers.authorization !== `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`) return void res.writeHead(401).end();
    const failure = this.failures.find((f) => f.times > 0 && f.match.test(`${rec.method} ${rec.path}`));
    if (failure) {
      failure.times--;
      return void res.writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify((fixture('errors')['response'] as Json)['serverError']));
    }
    const out = this.route(rec);
    if (out === undefined) return void res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ message: 'not found', typeKey: 'NotFound' }));
    if (Buffer.isBuffer(out)) return void res.writeHead(200, { 'content-type': 'application/zip' }).end(out);
    if (typeof out === 'string') return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(out);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(out));
  }

  private route(r: RecordedRequest): unknown {
    const { method, path, query } = r;
    if (method === 'OPTIONS' && path === '/org/_apis/Location') return response('location-options');
    if (method === 'OPTIONS' && path === '/org/_apis/build') return response('build-options');
    if (method === 'GET' && path.startsWith('/org/_apis/ResourceAreas')) {
      const areas = response('resource-areas');
      return { ...areas, value: (areas['value'] as Json[]).map((a) => ({ ...a, locationUrl: `${this.organizationUrl}/` })) };
    }
    if (method === 'GET' && path.startsWith('/_download/')) return fakeZip(path.slice('/_download/'.length));
    const m = /^\/org\/([^/]+)\/_apis\/build\/(definitions|builds)(?:\/(\d+))?(?:\/([^/]+))?(?:\/(.+))?$/.exec(path);
    if (!m) return undefined;
    const [, , resource, id, sub, subId] = m;
    if (resource === 'definitions') return method === 'GET' && !id ? response('definitions') : undefined;
    if (!id) {
      if (method === 'GET') return this.listBuilds(query);
      if (method === 'POST') return this.queueBuild(r.body as Json);
      return undefined;
    }
    const build = this.builds.get(Number(id));
    if (!build) return undefined;
    switch (`${method} ${sub ?? ''}`) {
      case 'GET ':
        return this.getBuild(build);
      case 'PATCH ':
        build.canceled = (r.body as Json)['status'] === 4 || (r.body as Json)['status'] === 'cancelling';
        return this.shape(build, 'build-cancelling');
      case 'PUT tags':
        build.tags.push(subId ?? '');
        return { ...response('tags'), count: build.tags.length, value: [...build.tags] };
      case 'GET Timeline':
      case 'GET timeline':
        return this.timeline(build);
      case 'GET logs':
        return this.log(Number(subId));
      case 'GET artifacts':
        return query['artifactName'] ? fakeZip(query['artifactName']) : this.artifacts();
      default:
        return undefined;
    }
  }

  private shape(build: FakeBuild, name: string, result?: string): Json {
    const t = name === 'builds-by-tag' ? ((response(name)['value'] as Json[])[0] as Json) : response(name);
    return { ...t, id: build.id, definition: { ...(t['definition'] as Json), id: build.definitionId }, tags: [...build.tags], ...(result ? { result } : {}) };
  }

  private queueBuild(body: Json): Json {
    const definitionId = Number((body['definition'] as Json | undefined)?.['id']);
    const build: FakeBuild = { id: this.nextId++, definitionId, tags: [], body, gets: 0, canceled: false };
    this.builds.set(build.id, build);
    return { ...this.shape(build, 'build-queued'), sourceBranch: body['sourceBranch'], sourceVersion: body['sourceVersion'], parameters: body['parameters'] };
  }

  private listBuilds(query: Record<string, string>): Json {
    const tags = (query['tagFilters'] ?? '').split(',').filter(Boolean);
    const definitions = (query['definitions'] ?? '').split(',').filter(Boolean).map(Number);
    const value = [...this.builds.values()]
      .filter((b) => tags.every((t) => b.tags.includes(t)) && (definitions.length === 0 || definitions.includes(b.definitionId)))
      .map((b) => this.shape(b, 'builds-by-tag'));
    return { count: value.length, value };
  }

  private completed(build: FakeBuild): boolean {
    return build.canceled || build.gets > this.inProgressPolls;
  }

  private getBuild(build: FakeBuild): Json {
    build.gets++;
    if (build.canceled) return this.shape(build, 'build-completed', 'canceled');
    return this.completed(build) ? this.shape(build, 'build-completed', this.finalResult) : this.shape(build, 'build-in-progress');
  }

  /** the recorded timeline when the build completed; before that the 3rd task runs and the rest are pending */
  private timeline(build: FakeBuild): Json {
    const t = response('timeline');
    if (this.completed(build) && !build.canceled) return t;
    const records = (t['records'] as Json[]).map((rec) => {
      if (rec['type'] !== 'Task') return rec;
      const order = Number(rec['order']);
      if (order < 3) return rec;
      if (build.canceled) return { ...rec, state: 'completed', result: order === 3 ? 'canceled' : 'skipped', finishTime: order === 3 ? rec['finishTime'] : null, issues: [] };
      return order === 3 ? { ...rec, state: 'inProgress', result: null, finishTime: null } : { ...rec, state: 'pending', result: null, startTime: null, finishTime: null, log: null };
    });
    return { ...t, records };
  }

  private log(logId: number): string {
    if (logId === 4) return readFileSync(join(__dirname, '__fixtures__', 'log-4.txt'), 'utf8');
    return `2026-12-02T15:02:21.2000000Z ##[section]Starting: log ${logId}\n2026-12-02T15:02:22.7000000Z ##[section]Finishing: log ${logId}\n`;
  }

  private artifacts(): Json {
    const list = response('artifacts');
    const value = (list['value'] as Json[]).map((a) => {
      const resource = a['resource'] as Json;
      return resource['type'] === 'PipelineArtifact' ? { ...a, resource: { ...resource, downloadUrl: `${this.base}/_download/${String(a['name'])}` } } : a;
    });
    return { ...list, value };
  }
}
