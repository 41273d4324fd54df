import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrafficSlot } from '@delivery/gitops-runtime';
import { ROUTE_KEY_COOKIE, ROUTE_KEY_HEADER, routeBucket, routeKeyFromCookie } from './route-bucket';
import { bucketAssignment, effectiveWeights, type RoutingTable, type SlotRoute } from './routing-table';
import { TrafficCounters, type TrafficSnapshot } from './traffic-counters';

// The hot path: one Map lookup for the application, one hash for the bucket, round-robin over the slot's
// backends, a keep-alive agent per backend, bodies streamed with pipe. Everything derivable from a table is
// precomputed at swap time into a CompiledTable, and `swap` is one reference assignment.

interface Backend {
  host: string;
  port: number;
  agent: http.Agent;
}

interface CompiledSlot {
  slot: TrafficSlot;
  revision: string;
  backends: Backend[];
  rr: number;
}

interface CompiledApp {
  name: string;
  buckets: Array<CompiledSlot | null>;
  preview: CompiledSlot | null;
  hasPreview: boolean;
  weights: Map<string, number>;
}

interface CompiledTable {
  table: RoutingTable | null;
  byHost: Map<string, { app: CompiledApp; preview: boolean }>;
  byName: Map<string, CompiledApp>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export class HttpRouter {
  private current: CompiledTable;
  private readonly agents = new Map<string, http.Agent>();
  private readonly counters: TrafficCounters;
  private server: http.Server | null = null;

  constructor(table: RoutingTable | null = null, now?: () => Date) {
    this.counters = new TrafficCounters(now);
    this.current = this.compile(table);
  }

  get table(): RoutingTable | null {
    return this.current.table;
  }

  /** Replaces the table atomically; requests already routed finish on the table they started with. */
  swap(table: RoutingTable | null): void {
    this.current = this.compile(table);
  }

  /** The counters of the window since the last snapshot, then a new window starts. */
  snapshot(): TrafficSnapshot {
    return this.counters.snapshot(this.current.table?.environment ?? '', this.weightOf);
  }

  peek(): TrafficSnapshot {
    return this.counters.peek(this.current.table?.environment ?? '', this.weightOf);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = http.createServer({ keepAliveTimeout: 65_000 }, this.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  readonly handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now();
    const compiled = this.current;
    const hostHeader = req.headers.host;
    let path = req.url ?? '/';
    let app: CompiledApp | undefined;
    let preview = false;
    if (hostHeader !== undefined) {
      const colon = hostHeader.lastIndexOf(':');
      const hit = compiled.byHost.get(colon > 0 && hostHeader.charCodeAt(0) !== 0x5b ? hostHeader.slice(0, colon) : hostHeader);
      if (hit !== undefined) {
        app = hit.app;
        preview = hit.preview;
      }
    }
    if (app === undefined) {
      // path-prefix scheme: /<app>/rest → backend sees /rest
      const slash = path.indexOf('/', 1);
      const query = path.indexOf('?', 1);
      const end = slash < 0 ? (query < 0 ? path.length : query) : query >= 0 && query < slash ? query : slash;
      app = compiled.byName.get(path.slice(1, end));
      if (app === undefined) return reply(res, 404, { error: 'no route', host: hostHeader ?? null, path });
      path = end === path.length ? '/' : path.charCodeAt(end) === 0x3f ? `/${path.slice(end)}` : path.slice(end);
    }
    if (req.headers['x-preview'] === '1') preview = true;
    if (preview && !app.hasPreview) return reply(res, 404, { error: 'no preview route', application: app.name });

    let key = req.headers[ROUTE_KEY_HEADER] as string | undefined;
    let newKey: string | undefined;
    if (key === undefined) key = routeKeyFromCookie(req.headers.cookie);
    if (key === undefined) key = newKey = randomUUID();

    const slot = preview ? app.preview : app.buckets[routeBucket(key)];
    if (slot === null || slot === undefined || slot.backends.length === 0) {
      this.counters.recordUnrouted(app.name);
      return reply(res, 503, { error: 'no ready backend', application: app.name, preview });
    }
    if (slot.rr > 1e9) slot.rr = 0;
    const backend = slot.backends[slot.rr++ % slot.backends.length] as Backend;
    this.proxy(req, res, app.name, slot.revision, backend, path, newKey, started);
  };

  private proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    application: string,
    revision: string,
    backend: Backend,
    path: string,
    newKey: string | undefined,
    started: number,
  ): void {
    const headers = req.headers;
    delete headers.connection;
    delete headers['keep-alive'];
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    let failed = false;
    const upstream = http.request({ host: backend.host, port: backend.port, method: req.method, path, headers, agent: backend.agent }, (up) => {
      const h = up.headers;
      delete h.connection;
      delete h['keep-alive'];
      if (newKey !== undefined) {
        const cookie = `${ROUTE_KEY_COOKIE}=${newKey}; Path=/; HttpOnly; SameSite=Lax`;
        h['set-cookie'] = h['set-cookie'] ? [...h['set-cookie'], cookie] : [cookie];
      }
      res.writeHead(up.statusCode ?? 502, h);
      up.pipe(res);
      up.once('error', () => {
        failed = true;
        res.destroy();
      });
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      failed = true;
      if (res.destroyed) return; // the client went away first
      if (res.headersSent) res.destroy();
      else reply(res, 502, { error: 'backend unavailable', application, revision, backend: `${backend.host}:${backend.port}`, code: err.code ?? null });
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
      const status = failed ? 502 : res.statusCode;
      this.counters.counter(application, revision).record(status, performance.now() - started);
    });
    req.pipe(upstream);
  }

  private readonly weightOf = (application: string, revision: string): number | null =>
    this.current.byName.get(application)?.weights.get(revision) ?? null;

  private compile(table: RoutingTable | null): CompiledTable {
    const byHost = new Map<string, { app: CompiledApp; preview: boolean }>();
    const byName = new Map<string, CompiledApp>();
    for (const route of table?.applications ?? []) {
      const slots = new Map<SlotRoute, CompiledSlot>();
      for (const s of route.slots) slots.set(s, { slot: s.slot, revision: s.revision, backends: s.backends.map((b) => this.backend(b)), rr: 0 });
      const weights = new Map<string, number>();
      for (const { slot, weight } of effectiveWeights(route.slots)) {
        const revision = route.slots.find((s) => s.slot === slot)?.revision as string;
        weights.set(revision, (weights.get(revision) ?? 0) + weight);
      }
      const previewSlot = route.slots.find((s) => s.slot === route.preview);
      const app: CompiledApp = {
        name: route.application,
        buckets: bucketAssignment(route.slots).map((s) => (s === null ? null : (slots.get(s) ?? null))),
        preview: previewSlot ? (slots.get(previewSlot) ?? null) : null,
        hasPreview: route.preview !== null,
        weights,
      };
      byName.set(app.name, app);
      const host = `${route.application}.${table?.environment}.localhost`;
      byHost.set(host, { app, preview: false });
      byHost.set(`preview.${host}`, { app, preview: true });
    }
    return { table, byHost, byName };
  }

  // Agents outlive swaps (keyed by address) so keep-alive connections survive table changes; closed with the router.
  private backend(address: string): Backend {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    let agent = this.agents.get(address);
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, timeout: 4_000, scheduling: 'lifo' });
      this.agents.set(address, agent);
    }
    return { host, port: Number(address.slice(colon + 1)), agent };
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, JSON_HEADERS);
  res.end(JSON.stringify(body));
}
