import http from 'node:http';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import { LocalRuntimeAdapter } from '@delivery/gitops-local-runtime';
import type { TrafficSnapshot } from '@delivery/gitops-router';

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

// The local adapter does not expose ready endpoints: probes go through the router with the application's Host
// header (`routerUrl`); traffic is the router's windowed counters (`routerAdminUrl` + /_router/stats).
class LocalRuntimeTelemetry implements RuntimeTelemetry {
  constructor(private readonly runtime: LocalRuntimeAdapter) {}

  async probe(target: ProbeTarget): Promise<ProbeOutcome> {
    const base = await this.runtime.routerUrl(target.environment);
    const started = performance.now();
    const status = await httpStatus(`${base}${target.path}`, { host: `${target.application}.${target.environment}.localhost`, 'x-route-key': 'gitops-health-probe' });
    return { status, ok: status !== null && status >= 200 && status < 300, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  }

  async traffic(environment: string): Promise<TrafficSnapshot | null> {
    const admin = await this.runtime.routerAdminUrl(environment);
    const res = await fetch(`${admin}/_router/stats`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
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
