import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRouter } from './http-router';
import { createRoutingTable, type SlotRoute } from './routing-table';
import { closeTestAgent, request, revisionOf, startBackend, type TestBackend } from './router.testing';

// Real HTTP on loopback: test backends that name themselves, the router in this process.

const STABLE = revisionOf('a');
const CANARY = revisionOf('c');

let stable: TestBackend;
let stable2: TestBackend;
let canary: TestBackend;
let router: HttpRouter;
let port: number;

const who = async (path: string, headers: Record<string, string> = {}): Promise<string> => {
  const res = await request(port, path, headers);
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { backend: string }).backend;
};

const canaryTable = (canaryWeight: number, backends: { stable?: string[]; canary?: string[] } = {}) =>
  createRoutingTable({
    environment: 'dev',
    applications: [
      {
        application: 'shop',
        slots: [
          { slot: 'stable', revision: STABLE, weight: 100 - canaryWeight, backends: backends.stable ?? [stable.address] },
          { slot: 'canary', revision: CANARY, weight: canaryWeight, backends: backends.canary ?? [canary.address] },
        ],
      },
    ],
  });

const blueGreen = (active: 'blue' | 'green', blue: SlotRoute['backends'], green: SlotRoute['backends']) =>
  createRoutingTable({
    environment: 'dev',
    applications: [
      {
        application: 'shop',
        slots: [
          { slot: 'blue', revision: STABLE, weight: active === 'blue' ? 100 : 0, backends: blue },
          { slot: 'green', revision: CANARY, weight: active === 'green' ? 100 : 0, backends: green },
        ],
        preview: active === 'blue' ? 'green' : 'blue',
      },
    ],
  });

beforeAll(async () => {
  [stable, stable2, canary] = await Promise.all([startBackend('stable'), startBackend('stable-2'), startBackend('canary')]);
  router = new HttpRouter();
  port = await router.listen(0);
});

afterAll(async () => {
  await router.close();
  await Promise.all([stable.close(), stable2.close(), canary.close()]);
  closeTestAgent();
});

beforeEach(() => {
  router.snapshot(); // every test starts a fresh counter window
});

describe('HttpRouter', () => {
  it('routes by host <app>.<env>.localhost and by path prefix /<app>/ (prefix stripped)', async () => {
    router.swap(canaryTable(0));
    const byHost = await request(port, '/cart?x=1', { host: `shop.dev.localhost:${port}`, 'x-route-key': 'k' });
    expect(JSON.parse(byHost.body)).toMatchObject({ backend: 'stable', path: '/cart?x=1' });
    const byPath = await request(port, '/shop/cart?x=1', { 'x-route-key': 'k' });
    expect(JSON.parse(byPath.body)).toMatchObject({ backend: 'stable', path: '/cart?x=1' });
    expect(JSON.parse((await request(port, '/shop', { 'x-route-key': 'k' })).body)).toMatchObject({ path: '/' });
    expect(JSON.parse((await request(port, '/shop?q=1', { 'x-route-key': 'k' })).body)).toMatchObject({ path: '/?q=1' });
  });

  it('answers 404 for an unknown application', async () => {
    router.swap(canaryTable(0));
    const res = await request(port, '/nope/x', { host: 'nope.dev.localhost' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'no route' });
  });

  it('streams request bodies to the backend', async () => {
    router.swap(canaryTable(0));
    const res = await request(port, '/shop/orders', { 'x-route-key': 'k', 'content-type': 'text/plain' }, 'POST', 'x'.repeat(100_000));
    expect(JSON.parse(res.body)).toMatchObject({ method: 'POST', body: 'x'.repeat(100_000) });
  });

  it('sets a route-key cookie when the client has none, and honours it afterwards', async () => {
    router.swap(canaryTable(50));
    const first = await request(port, '/shop/');
    const cookie = (first.headers['set-cookie'] ?? []).find((c) => c.startsWith('route-key='));
    expect(cookie).toMatch(/^route-key=[^;]+; Path=\/; HttpOnly/);
    const value = (cookie as string).split(';')[0] as string;
    const backend = (JSON.parse(first.body) as { backend: string }).backend;
    for (let i = 0; i < 20; i++) {
      const again = await request(port, '/shop/', { cookie: `theme=dark; ${value}` });
      expect(again.headers['set-cookie']).toBeUndefined();
      expect(JSON.parse(again.body)).toMatchObject({ backend });
    }
  });

  it('splits 90/10 over 2000 keyed requests (~10 % canary)', async () => {
    router.swap(canaryTable(10));
    let canaryHits = 0;
    for (let i = 0; i < 2000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => who('/shop/', { 'x-route-key': `user-${i + j}` })));
      canaryHits += batch.filter((b) => b === 'canary').length;
    }
    expect(canaryHits).toBeGreaterThan(140); // 7 %
    expect(canaryHits).toBeLessThan(260); // 13 %
  });

  it('keeps users sticky across 10 → 50 → 100: a canary user never moves back to stable', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `sticky-${i}`);
    const assign = async (): Promise<Map<string, string>> => {
      const result = new Map<string, string>();
      for (let i = 0; i < keys.length; i += 50) {
        const batch = keys.slice(i, i + 50);
        const backends = await Promise.all(batch.map((k) => who('/shop/', { 'x-route-key': k })));
        batch.forEach((k, j) => result.set(k, backends[j] as string));
      }
      return result;
    };
    let previous: Map<string, string> | null = null;
    const canaryCounts: number[] = [];
    for (const weight of [10, 50, 100]) {
      router.swap(canaryTable(weight));
      const now = await assign();
      if (previous) for (const k of keys) if (previous.get(k) === 'canary') expect(now.get(k)).toBe('canary');
      canaryCounts.push([...now.values()].filter((b) => b === 'canary').length);
      previous = now;
    }
    expect(canaryCounts[0]).toBeLessThan(canaryCounts[1] as number);
    expect(canaryCounts[2]).toBe(500);
  });

  it('blue-green: all traffic to the active slot, preview by header or host, instant switch', async () => {
    router.swap(blueGreen('blue', [stable.address], [canary.address]));
    for (let i = 0; i < 20; i++) expect(await who('/shop/', { 'x-route-key': `bg-${i}` })).toBe('stable');
    expect(await who('/shop/', { 'x-route-key': 'bg-1', 'x-preview': '1' })).toBe('canary');
    expect(await who('/', { host: 'preview.shop.dev.localhost', 'x-route-key': 'bg-1' })).toBe('canary');

    router.swap(blueGreen('green', [stable.address], [canary.address]));
    for (let i = 0; i < 20; i++) expect(await who('/shop/', { 'x-route-key': `bg-${i}` })).toBe('canary');
    expect(await who('/shop/', { 'x-route-key': 'bg-1', 'x-preview': '1' })).toBe('stable');
  });

  it('answers 404 for a preview request when the application has no preview route', async () => {
    router.swap(canaryTable(10));
    const res = await request(port, '/shop/', { 'x-preview': '1', 'x-route-key': 'k' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'no preview route', application: 'shop' });
  });

  it('sends the traffic of a slot without ready backends to the other slot', async () => {
    router.swap(canaryTable(50, { canary: [] }));
    const hits = await Promise.all(Array.from({ length: 100 }, (_, i) => who('/shop/', { 'x-route-key': `ready-${i}` })));
    expect(hits.every((b) => b === 'stable')).toBe(true);
    router.swap(canaryTable(50, { stable: [] }));
    const hits2 = await Promise.all(Array.from({ length: 100 }, (_, i) => who('/shop/', { 'x-route-key': `ready-${i}` })));
    expect(hits2.every((b) => b === 'canary')).toBe(true);
  });

  it('answers 503 with a clear body when no slot has a ready backend', async () => {
    router.swap(canaryTable(50, { stable: [], canary: [] }));
    const res = await request(port, '/shop/', { 'x-route-key': 'k' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ error: 'no ready backend', application: 'shop', preview: false });
    expect(router.snapshot().applications).toEqual([{ application: 'shop', traffic: [], unrouted: 1 }]);
  });

  it('round-robins across the backends of a slot', async () => {
    router.swap(canaryTable(0, { stable: [stable.address, stable2.address] }));
    const hits = await Promise.all(Array.from({ length: 10 }, () => who('/shop/', { 'x-route-key': 'same-user' })));
    expect(hits.filter((b) => b === 'stable')).toHaveLength(5);
    expect(hits.filter((b) => b === 'stable-2')).toHaveLength(5);
  });

  it('answers 502 when the backend is down and counts it as a 5xx of that revision', async () => {
    const down = await startBackend('down');
    await down.close();
    router.swap(canaryTable(100, { canary: [down.address] }));
    const res = await request(port, '/shop/', { 'x-route-key': 'k' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'backend unavailable', revision: CANARY, code: 'ECONNREFUSED' });
    const snap = router.snapshot();
    expect(snap.applications[0]?.traffic).toEqual([expect.objectContaining({ revision: CANARY, requests: 1, errors5xx: 1 })]);
  });

  it('cuts the client response when the backend dies mid-body and counts it as a 5xx', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      router.swap(canaryTable(0, { stable: [`127.0.0.1:${(server.address() as AddressInfo).port}`] }));
      await expect(request(port, '/shop/', { 'x-route-key': 'k' })).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(router.snapshot().applications[0]?.traffic).toEqual([expect.objectContaining({ revision: STABLE, requests: 1, errors5xx: 1 })]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('counts requests, 5xx and p50/p99 latency per revision over a window, then resets', async () => {
    const slow = await startBackend('slow', { delayMs: 200 });
    const failing = await startBackend('failing', { status: 500 });
    try {
      router.swap(canaryTable(50, { stable: [slow.address], canary: [failing.address] }));
      const keys = Array.from({ length: 40 }, (_, i) => `count-${i}`);
      const results = await Promise.all(keys.map((k) => request(port, '/shop/', { 'x-route-key': k })));
      const toCanary = results.filter((r) => r.status === 500).length;
      const snap = router.snapshot();
      expect(snap.environment).toBe('dev');
      expect(Date.parse(snap.windowEnd)).toBeGreaterThanOrEqual(Date.parse(snap.windowStart));
      const traffic = snap.applications[0]?.traffic ?? [];
      const s = traffic.find((t) => t.revision === STABLE);
      const c = traffic.find((t) => t.revision === CANARY);
      expect(s).toMatchObject({ weight: 50, requests: 40 - toCanary, errors5xx: 0 });
      expect(c).toMatchObject({ weight: 50, requests: toCanary, errors5xx: toCanary });
      // the slow backend waits 200 ms before answering: a lower bound that holds however loaded the machine is
      expect(s?.p50Ms).toBeGreaterThanOrEqual(200);
      expect(s?.p99Ms).toBeGreaterThanOrEqual(s?.p50Ms as number);
      expect(c?.p50Ms).toBeLessThan(s?.p50Ms as number);
      const next = router.snapshot();
      expect(next.windowStart).toBe(snap.windowEnd);
      expect(next.applications).toEqual([]);
    } finally {
      await Promise.all([slow.close(), failing.close()]);
    }
  });

  it('swaps tables 50 times under a stream of requests without a failed request', async () => {
    router.swap(canaryTable(10));
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const client = async (id: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await request(port, '/shop/', { 'x-route-key': `load-${id}-${i}` });
          if (res.status === 200) ok++;
          else failures.push(`${res.status} ${res.body}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, id) => client(id));
    for (let n = 0; n < 50; n++) {
      router.swap(canaryTable(n % 2 === 0 ? 10 : 60, n % 3 === 0 ? { stable: [stable.address, stable2.address] } : {}));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(50);
  });

  it('finishes an in-flight request on the table it started with', async () => {
    const slow = await startBackend('slow-old', { delayMs: 200 });
    try {
      router.swap(canaryTable(0, { stable: [slow.address] }));
      const inFlight = request(port, '/shop/', { 'x-route-key': 'k' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      router.swap(canaryTable(0, { stable: [], canary: [] }));
      expect((await request(port, '/shop/', { 'x-route-key': 'k' })).status).toBe(503);
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ backend: 'slow-old' });
    } finally {
      await slow.close();
    }
  });
});
