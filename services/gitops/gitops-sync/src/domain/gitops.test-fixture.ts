import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredApplication, ObservedApplication, ObservedWorkload } from '@delivery/gitops-runtime';
import { desiredFromWorkloadJson } from './workload-json.parser';

// Shared by the domain's unit specs. fixtures/*.workload.json were rendered by deployment-manifest's
// renderManifests (its manifest.test-fixture inputs: rolling with an npm package only, canary 80/20 with the
// previous release, blue-green with the blue slot pinned and no previous release) and copied byte for byte.

export const REV_A = 'a'.repeat(40);
export const REV_B = 'b'.repeat(40);
export const REV_C = 'c'.repeat(40);
export const PREVIOUS_RELEASE = '0192f3a4-0000-7000-8000-000000000001';
export const t0 = new Date('2026-03-01T10:00:00.000Z');
export const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

export function fixture(name: 'rolling-npm' | 'canary' | 'blue-green'): string {
  return readFileSync(join(__dirname, 'fixtures', `${name}.workload.json`), 'utf8');
}
/** the fixture as an object, to break one field at a time */
export function fixtureDoc(name: 'rolling-npm' | 'canary' | 'blue-green'): Record<string, unknown> {
  return JSON.parse(fixture(name)) as Record<string, unknown>;
}

export function rollingDesired(revision = REV_A, overrides: Partial<DesiredApplication> = {}): DesiredApplication {
  return { ...desiredFromWorkloadJson(fixture('rolling-npm'), revision), ...overrides };
}

/** the observation of a runtime that runs exactly what `desired` wants, all Healthy */
export function observedOf(desired: DesiredApplication, overrides: Partial<Record<string, Partial<ObservedWorkload>>> = {}): ObservedApplication {
  return {
    environment: desired.environment,
    application: desired.application,
    workloads: desired.workloads.map((w) => ({
      name: w.name,
      slot: w.slot,
      specHash: w.specHash,
      health: 'Healthy' as const,
      replicas: w.replicas,
      readyReplicas: w.replicas,
      restarts: 0,
      recentRestarts: 0,
      ...overrides[w.name],
    })),
    weights: desired.weights.length > 0 ? desired.weights.map((w) => ({ ...w })) : null,
  };
}
