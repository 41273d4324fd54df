import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { DesiredApplication, TrafficSlot } from '@delivery/gitops-runtime';
import type { RoutingTableInput, SlotRoute } from '@delivery/gitops-router';
import { routedSlot, supervisedName } from './desired-state.validation';

// What the adapter remembers per application to build the router table: each routed slot's (prefixed) workload,
// weight and revision. Persisted in <env>/routes/<app>.json so a restarted adapter keeps the table current.

export interface AppSlot {
  slot: TrafficSlot;
  /** the supervised (prefixed) workload name */
  workload: string;
  weight: number;
  /** the revision the slot's spec was first applied at: a slot that did not change keeps its revision */
  revision: string;
  specHash: string;
  /** the release the slot runs (absent in tables persisted before it was kept) */
  releaseId?: string | null;
}

export interface AppRoute {
  application: string;
  slots: AppSlot[];
}

export function appRouteOf(desired: DesiredApplication, previous: AppRoute | undefined): AppRoute {
  const slots = desired.workloads.map((w): AppSlot => {
    const slot = routedSlot(w.slot);
    // Counters are per revision, so a slot keeps the revision its release came with: unchanged, or moved from the
    // other slot (the canary promoted before becomes the stable slot of the next canary), whose traffic must not
    // count as the new release's.
    const moved = w.releaseId !== null && w.releaseId !== desired.releaseId;
    const before = previous?.slots.find((s) => s.slot === slot && s.specHash === w.specHash) ?? (moved ? previous?.slots.find((s) => s.releaseId === w.releaseId) : undefined);
    const weight = desired.weights.length === 0 ? 100 : (desired.weights.find((x) => x.slot === slot)?.weight ?? 0);
    return { slot, workload: supervisedName(desired.application, w.name), weight, revision: before?.revision ?? desired.revision, specHash: w.specHash, releaseId: w.releaseId };
  });
  return { application: desired.application, slots };
}

/**
 * The environment's table. `endpoints` gives the ready backends of a workload; `fallback` (after an adapter
 * restart, before adopted replicas were probed) gives the backends the router served before, used when a slot has none yet.
 */
export function buildTable(
  environment: string,
  routes: Iterable<AppRoute>,
  endpoints: (workload: string) => string[],
  fallback?: (application: string, slot: TrafficSlot) => string[],
): RoutingTableInput {
  const applications = [...routes]
    .filter((r) => r.slots.length > 0)
    .sort((a, b) => a.application.localeCompare(b.application))
    .map((r) => ({
      application: r.application,
      slots: r.slots.map((s): SlotRoute => {
        const ready = endpoints(s.workload);
        return { slot: s.slot, revision: s.revision, weight: s.weight, backends: ready.length > 0 || !fallback ? ready : fallback(r.application, s.slot) };
      }),
    }));
  return { environment, applications };
}

export class AppRouteStore {
  constructor(private readonly dir: string) {}

  readAll(): AppRoute[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(path.join(this.dir, f), 'utf8')) as AppRoute);
  }

  write(route: AppRoute): void {
    mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${route.application}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(route, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  delete(application: string): void {
    rmSync(path.join(this.dir, `${application}.json`), { force: true });
  }
}
