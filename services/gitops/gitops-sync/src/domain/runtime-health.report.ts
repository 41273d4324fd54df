import type { PayloadOf } from '@delivery/contracts';
import type { HealthStatus } from '@delivery/gitops-runtime';
import { aggregateHealth } from './health.aggregate';

// RuntimeHealthReported over one window: what the health gates of the release context read. The service collects
// probe results and the router's per-revision counters; this shapes them (bounded as the contract bounds them)
// and computes the latency percentiles (nearest rank) from the window's samples.

export interface TrafficSample {
  revision: string;
  weight: number;
  requests: number;
  errors5xx: number;
  /** request latencies seen in the window */
  latenciesMs: number[];
}
export type ProbeResult = PayloadOf<'RuntimeHealthReported'>['probes'][number];
export interface HealthWindow {
  environment: string;
  application: string;
  windowStart: Date;
  windowEnd: Date;
  /** the workloads' health at the window's end */
  workloads: HealthStatus[];
  probes: ProbeResult[];
  traffic: TrafficSample[];
}

const MAX_PROBES = 100;
const MAX_TRAFFIC = 4;

export function runtimeHealthPayload(window: HealthWindow): PayloadOf<'RuntimeHealthReported'> {
  // the latest probes are the ones a gate decides on
  const probes = window.probes.slice(-MAX_PROBES).map((p) => ({ ...p, latencyMs: Math.max(0, p.latencyMs) }));
  const traffic = [...window.traffic]
    .sort((a, b) => b.weight - a.weight || b.requests - a.requests)
    .slice(0, MAX_TRAFFIC)
    .map((t) => ({ revision: t.revision, weight: t.weight, requests: t.requests, errors5xx: t.errors5xx, p50Ms: percentile(t.latenciesMs, 50), p99Ms: percentile(t.latenciesMs, 99) }));
  return {
    environment: window.environment,
    application: window.application,
    windowStart: window.windowStart.toISOString(),
    windowEnd: window.windowEnd.toISOString(),
    health: aggregateHealth(window.workloads),
    probes,
    traffic,
  };
}

/** Nearest-rank percentile; null without samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}
