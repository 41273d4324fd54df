import type { DesiredApplication, HealthStatus, ObservedApplication, ObservedWorkload } from '@delivery/gitops-runtime';
import { canonicalJson, sha256Hex } from './canonical.hash';
import { aggregateHealth } from './health.aggregate';

// Desired vs observed, in the contract's drift classes (GitOpsDriftDetected). The signature hashes class and
// workload only, not the detail: a detail carries counters and runtime messages that change while the drift
// stays the same, and the heal backoff is keyed by the signature.

export type DriftClass = 'missing-workload' | 'spec-mismatch' | 'extraneous-workload' | 'router-weights' | 'unhealthy';
export interface Drift {
  class: DriftClass;
  workload: string;
  detail: string;
}
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';

/** the workload name router-weights drift is reported under */
export const ROUTER = 'router';
const MAX_DRIFTS = 100;

export function detectDrift(desired: DesiredApplication, observed: ObservedApplication): Drift[] {
  const drifts: Drift[] = [];
  const byName = new Map(observed.workloads.map((w) => [w.name, w]));
  for (const want of desired.workloads) {
    const have = byName.get(want.name);
    // a slot scaled to zero may or may not be reported by the runtime: both are what Git wants
    if (!have || (have.health === 'Missing' && want.replicas > 0)) {
      if (want.replicas > 0) drifts.push({ class: 'missing-workload', workload: want.name, detail: `${want.name} (${want.version}, ${want.replicas} replica(s)) is not running` });
      continue;
    }
    // nothing runs and nothing should: the spec of a slot scaled to zero is not observable, and does not matter
    if (want.replicas === 0 && have.replicas === 0) continue;
    if (have.specHash !== want.specHash) {
      drifts.push({ class: 'spec-mismatch', workload: want.name, detail: `${want.name} runs spec ${short(have.specHash)}, Git wants ${short(want.specHash)} (${want.version}, ${want.replicas} replica(s))` });
    }
    if (have.health === 'Degraded') drifts.push({ class: 'unhealthy', workload: want.name, detail: unhealthyDetail(have) });
  }
  const wanted = new Set(desired.workloads.map((w) => w.name));
  for (const have of observed.workloads) {
    if (!wanted.has(have.name)) {
      drifts.push({ class: 'extraneous-workload', workload: have.name, detail: `${have.name} runs but Git no longer names it${desired.prune ? '; prune is on' : '; prune is off, so it is only reported'}` });
    }
  }
  const weights = weightDrift(desired, observed);
  if (weights) drifts.push(weights);
  return sortDrifts(drifts).slice(0, MAX_DRIFTS);
}

/** sha256 hex of the sorted (class, workload) set: the same drift in any order gives the same signature. */
export function driftSignature(drifts: readonly Drift[]): string {
  const keys = [...new Set(drifts.map((d) => canonicalJson([d.class, d.workload])))].sort();
  return sha256Hex(`[${keys.join(',')}]`);
}

/** Drift that a (re)apply converges; unhealthy is the runtime's to restart, extraneous is ours only with prune. */
export function healable(drift: Drift, prune: boolean): boolean {
  if (drift.class === 'unhealthy') return false;
  return drift.class !== 'extraneous-workload' || prune;
}

/** OutOfSync when the runtime differs from Git in something an apply changes (Argo CD counts prunable extras too). */
export function syncStatusOf(drifts: readonly Drift[], prune: boolean): SyncStatus {
  return drifts.some((d) => healable(d, prune)) ? 'OutOfSync' : 'Synced';
}

/** The application's health: worst of its desired workloads; one Git wants but the runtime lacks is Missing. */
export function applicationHealth(desired: DesiredApplication, observed: ObservedApplication): HealthStatus {
  const byName = new Map(observed.workloads.map((w) => [w.name, w]));
  return aggregateHealth(desired.workloads.filter((w) => w.replicas > 0).map((w) => byName.get(w.name)?.health ?? 'Missing'));
}

// A slot absent from either split weighs 0. A runtime without a router (null) splits by replica ratio: nothing to compare.
function weightDrift(desired: DesiredApplication, observed: ObservedApplication): Drift | undefined {
  if (observed.weights === null || desired.weights.length === 0) return undefined;
  const slots = [...new Set([...desired.weights, ...observed.weights].map((w) => w.slot))].sort();
  const weightOf = (list: ReadonlyArray<{ slot: string; weight: number }>, slot: string) => list.find((w) => w.slot === slot)?.weight ?? 0;
  const observedWeights = observed.weights;
  if (slots.every((s) => weightOf(desired.weights, s) === weightOf(observedWeights, s))) return undefined;
  const show = (list: ReadonlyArray<{ slot: string; weight: number }>) => slots.map((s) => `${s} ${weightOf(list, s)}%`).join(' / ');
  return { class: 'router-weights', workload: ROUTER, detail: `the router splits ${show(observedWeights)}, Git wants ${show(desired.weights)}` };
}

function unhealthyDetail(have: ObservedWorkload): string {
  const message = have.message ? `: ${have.message}` : '';
  return `${have.name} is Degraded, ${have.readyReplicas}/${have.replicas} ready, ${have.recentRestarts} restart(s) in 10 min${message}`.slice(0, 2000);
}

function sortDrifts(drifts: Drift[]): Drift[] {
  return drifts.sort((a, b) => (a.class === b.class ? compare(a.workload, b.workload) : compare(a.class, b.class)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function short(hash: string | null): string {
  return hash === null ? 'unknown' : hash.slice(0, 12);
}
