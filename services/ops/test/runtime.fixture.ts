import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ProcessRecordStore, type ProcessRecord } from '@delivery/gitops-local-runtime';
import { readRouterRecord } from '@delivery/gitops-router';
import type { Json } from './platform.fixture';

// What an end-to-end test needs to look at the local runtime gitops-sync drives: its routers and supervised
// processes (through the state directory, as an operator would), REST calls, and a readable trail of events.

export async function call(base: string, method: string, urlPath: string, token: string, body?: unknown, expectStatus?: number): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const result = { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
  if (expectStatus !== undefined && result.status !== expectStatus) throw new Error(`${method} ${urlPath}: expected ${expectStatus}, got ${result.status} ${text}`);
  return result;
}

/** The URL of an environment's router, from the router.json gitops-sync's runtime keeps in its state dir. */
export async function routerUrlOf(runtimeDir: string, environment: string): Promise<string> {
  const router = await readRouterRecord(path.join(runtimeDir, environment, 'router'));
  if (router === null) throw new Error(`no router recorded for ${environment} under ${runtimeDir}`);
  return `http://${router.host}:${router.port}`;
}

/** GET through a router with the application's Host header (fetch cannot set Host). */
export function viaRouter(routerUrl: string, host: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${routerUrl}${urlPath}`, { headers: { host }, agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

/** The processes the runtime supervises in an environment (its process records). */
export function runtimeProcesses(runtimeDir: string, environment: string): ProcessRecord[] {
  const dir = path.join(runtimeDir, environment, 'supervisor');
  return existsSync(dir) ? new ProcessRecordStore(dir).readAll() : [];
}

/** SIGKILL to the process groups of every recorded workload and router of these environments. */
export async function killRuntime(runtimeDir: string, environments: string[]): Promise<void> {
  for (const environment of environments) {
    const router = await readRouterRecord(path.join(runtimeDir, environment, 'router'));
    const pids = runtimeProcesses(runtimeDir, environment).map((r) => r.pid);
    for (const pid of [...pids, router?.pid]) {
      if (pid === null || pid === undefined) continue;
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone already, or not a group leader
        }
      }
    }
  }
}

/** Polls for `found`, failing at once (not at the timeout) when `failed` turns up; both errors carry the trail. */
export async function untilOrFailure(found: () => Json | undefined, failed: () => Json | undefined, what: string, timeoutMs: number, trail: () => string): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bad = failed();
    if (bad) throw new Error(`${bad.type} while waiting for ${what}: ${JSON.stringify(bad.payload)}; the events so far: ${trail()}`);
    const good = found();
    if (good) return good;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the events so far: ${trail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What happened, compactly, for a failure's message (health reports folded into the last one). */
export function trailOf(events: Json[]): string {
  const lines = events
    .filter((e) => e.type !== 'RuntimeHealthReported')
    .map((e) => [e.type, e.payload?.environment, typeof e.payload?.revision === 'string' ? e.payload.revision.slice(0, 8) : undefined, e.payload?.health, e.payload?.step?.weight, e.payload?.gate?.kind, e.payload?.passed].filter((x) => x !== undefined).join(' '));
  const last = events.filter((e) => e.type === 'RuntimeHealthReported').at(-1);
  return `${lines.join(' | ')} | last RuntimeHealthReported: ${JSON.stringify(last?.payload)}`;
}
