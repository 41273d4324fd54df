import http from 'node:http';
import path from 'node:path';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import { LocalRuntimeAdapter } from '@delivery/gitops-local-runtime';
import { readRouterRecord, type TrafficSnapshot } from '@delivery/gitops-router';

// What the health reporter reads from a runtime: HTTP probes of an application and the per-revision traffic
// counters of an environment. Only the local runtime has both; for Kubernetes there is no probe path from here
// (no ingress known) and no counters, so both are empty.

export interface ProbeTarget {
  environment: string;
  application: string;
  path: string;
}
export interface ProbeOutcome {
  status: number | null;
  ok: boolean;
  latencyMs: number;
}
export interface RuntimeTelemetry {
  /** GET the path of the application; null when this runtime cannot be probed from here */
  probe(target: ProbeTarget): Promise<ProbeOutcome | null>;
  /** the environment's counters since the last call (the router resets its window on every read); null without */
  traffic(environment: string): Promise<TrafficSnapshot | null>;
}

const PROBE_TIMEOUT_MS = 2_000;

export function telemetryOf(runtime: RuntimeAdapter): RuntimeTelemetry {
  return runtime instanceof LocalRuntimeAdapter ? new LocalRuntimeTelemetry(runtime) : { probe: async () => null, traffic: async () => null };
}

// The local adapter exposes neither ready endpoints nor the router's admin port: probes go through the router with
// the application's Host header (router URL from `routerUrl`), and the admin port is read from the router's
// record `<stateDir>/<env>/router/router.json`. The state dir is the adapter's private option (read once here).
class LocalRuntimeTelemetry implements RuntimeTelemetry {
  private readonly stateDir: string;

  constructor(private readonly runtime: LocalRuntimeAdapter) {
    this.stateDir = path.resolve(runtime['options'].stateDir);
  }

  async probe(target: ProbeTarget): Promise<ProbeOutcome> {
    const base = await this.runtime.routerUrl(target.environment);
    const started = performance.now();
    const status = await httpStatus(`${base}${target.path}`, { host: `${target.application}.${target.environment}.localhost`, 'x-route-key': 'gitops-health-probe' });
    return { status, ok: status !== null && status >= 200 && status < 300, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  }

  async traffic(environment: string): Promise<TrafficSnapshot | null> {
    const record = await readRouterRecord(path.join(this.stateDir, environment, 'router'));
    if (record === null) return null;
    const res = await fetch(`http://${record.host}:${record.adminPort}/_router/stats`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`router stats of ${environment}: HTTP ${res.status}`);
    return (await res.json()) as TrafficSnapshot;
  }
}

/** The status of a GET (body drained), null on a connection error or timeout. node:http: fetch cannot set Host. */
function httpStatus(url: string, headers: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, timeout: PROBE_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}
