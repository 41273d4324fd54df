import type { HealthStatus } from '@delivery/gitops-runtime';

// Argo CD's health order, worst last (contracts' HealthStatus): an application is as healthy as its worst workload.
export const HEALTH_ORDER: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** Worst-of; no workloads at all is Healthy, as in Argo CD (an application without resources). */
export function aggregateHealth(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst = 0;
  for (const status of statuses) worst = Math.max(worst, HEALTH_ORDER.indexOf(status));
  return HEALTH_ORDER[worst] ?? 'Unknown';
}
