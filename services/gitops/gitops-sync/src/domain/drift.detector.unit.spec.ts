import type { DesiredApplication } from '@delivery/gitops-runtime';
import { applicationHealth, detectDrift, driftSignature, ROUTER, syncStatusOf, type Drift } from './drift.detector';
import { fixture, observedOf, REV_A, REV_B, rollingDesired } from './gitops.test-fixture';
import { desiredFromWorkloadJson } from './workload-json.parser';

const canaryDesired = (prune = false): DesiredApplication => {
  const previous = desiredFromWorkloadJson(fixture('rolling-npm').replace(/1\.4\.0/g, '1.3.0'), REV_B);
  return desiredFromWorkloadJson(fixture('canary'), REV_A, { previous, prune });
};

describe('detectDrift', () => {
  it('given a runtime that runs exactly what Git wants, then there is no drift', () => {
    const desired = canaryDesired();
    expect(detectDrift(desired, observedOf(desired))).toEqual([]);
  });

  it('given a desired workload the runtime does not run, then missing-workload', () => {
    const desired = canaryDesired();
    const observed = observedOf(desired);
    observed.workloads = observed.workloads.filter((w) => w.name !== 'shop-api-canary');
    expect(detectDrift(desired, observed)).toEqual([{ class: 'missing-workload', workload: 'shop-api-canary', detail: 'shop-api-canary (1.4.0, 1 replica(s)) is not running' }]);
  });

  it('given a workload the runtime reports Missing, then missing-workload', () => {
    const desired = rollingDesired();
    expect(detectDrift(desired, observedOf(desired, { 'shop-api': { health: 'Missing' } })).map((d) => d.class)).toEqual(['missing-workload']);
  });

  it('given a slot scaled to zero the runtime does not report, then no drift', () => {
    const desired = rollingDesired();
    desired.workloads = desired.workloads.map((w) => ({ ...w, replicas: 0 }));
    expect(detectDrift(desired, { ...observedOf(desired), workloads: [] })).toEqual([]);
  });

  it('given a slot scaled to zero that the runtime reports with nothing running (no spec), then no drift', () => {
    const desired = rollingDesired();
    desired.workloads = desired.workloads.map((w) => ({ ...w, replicas: 0 }));
    const observed = observedOf(desired, { 'shop-api': { specHash: null, replicas: 0, readyReplicas: 0, health: 'Missing' } });
    expect(detectDrift(desired, observed)).toEqual([]);
  });

  it('given a slot Git scales to zero that still runs another spec, then spec-mismatch', () => {
    const desired = rollingDesired();
    desired.workloads = desired.workloads.map((w) => ({ ...w, replicas: 0 }));
    expect(detectDrift(desired, observedOf(desired, { 'shop-api': { specHash: 'f'.repeat(64), replicas: 1 } })).map((d) => d.class)).toEqual(['spec-mismatch']);
  });

  it('given a workload with another spec hash, then spec-mismatch', () => {
    const desired = rollingDesired();
    const drifts = detectDrift(desired, observedOf(desired, { 'shop-api': { specHash: 'f'.repeat(64) } }));
    expect(drifts).toEqual([{ class: 'spec-mismatch', workload: 'shop-api', detail: expect.stringContaining(`runs spec ${'f'.repeat(12)}, Git wants`) }]);
  });

  it('given a workload Git does not name, then extraneous-workload, and the detail says whether prune is on', () => {
    const desired = rollingDesired();
    const observed = observedOf(desired);
    observed.workloads.push({ ...observed.workloads[0]!, name: 'shop-old' });
    expect(detectDrift(desired, observed)).toEqual([{ class: 'extraneous-workload', workload: 'shop-old', detail: 'shop-old runs but Git no longer names it; prune is off, so it is only reported' }]);
    expect(detectDrift({ ...desired, prune: true }, observed)[0]?.detail).toContain('prune is on');
  });

  it('given router weights other than Git wants, then router-weights', () => {
    const desired = canaryDesired();
    const observed = { ...observedOf(desired), weights: [{ slot: 'stable' as const, weight: 100 }] };
    expect(detectDrift(desired, observed)).toEqual([{ class: 'router-weights', workload: ROUTER, detail: 'the router splits canary 0% / stable 100%, Git wants canary 20% / stable 80%' }]);
  });

  it('given a runtime without a router, then weights are not compared', () => {
    const desired = canaryDesired();
    expect(detectDrift(desired, { ...observedOf(desired), weights: null })).toEqual([]);
  });

  it('given a Degraded workload, then unhealthy with its readiness and restarts', () => {
    const desired = rollingDesired();
    const drifts = detectDrift(desired, observedOf(desired, { 'shop-api': { health: 'Degraded', readyReplicas: 1, recentRestarts: 3, message: 'exit 1' } }));
    expect(drifts).toEqual([{ class: 'unhealthy', workload: 'shop-api', detail: 'shop-api is Degraded, 1/2 ready, 3 restart(s) in 10 min: exit 1' }]);
  });

  it('given a Progressing workload, then no drift (a rollout is not drift)', () => {
    const desired = rollingDesired();
    expect(detectDrift(desired, observedOf(desired, { 'shop-api': { health: 'Progressing', readyReplicas: 0 } }))).toEqual([]);
  });
});

describe('driftSignature', () => {
  const a: Drift = { class: 'spec-mismatch', workload: 'shop-api-canary', detail: 'x' };
  const b: Drift = { class: 'router-weights', workload: ROUTER, detail: 'y' };
  const c: Drift = { class: 'missing-workload', workload: 'shop-api-stable', detail: 'z' };

  it('is 64 lowercase hex (within the contract pattern)', () => {
    expect(driftSignature([a])).toMatch(/^[0-9a-f]{16,64}$/);
  });

  it('given the same drifts in any order, then the same signature', () => {
    expect(driftSignature([a, b, c])).toBe(driftSignature([c, a, b]));
    expect(driftSignature([a, b, c])).toBe(driftSignature([b, c, a]));
  });

  it('given the same drift with another detail (counters, messages), then the same signature', () => {
    expect(driftSignature([{ ...a, detail: 'other' }])).toBe(driftSignature([a]));
  });

  it('given another drift set, then another signature', () => {
    expect(driftSignature([a, b])).not.toBe(driftSignature([a, c]));
    expect(driftSignature([a])).not.toBe(driftSignature([{ ...a, class: 'unhealthy' }]));
  });
});

describe('syncStatusOf and applicationHealth', () => {
  it('is OutOfSync for drift an apply changes, Synced for unhealthy or unpruned extras only', () => {
    const extra: Drift = { class: 'extraneous-workload', workload: 'old', detail: '' };
    expect(syncStatusOf([], false)).toBe('Synced');
    expect(syncStatusOf([{ class: 'unhealthy', workload: 'w', detail: '' }], false)).toBe('Synced');
    expect(syncStatusOf([extra], false)).toBe('Synced');
    expect(syncStatusOf([extra], true)).toBe('OutOfSync');
    expect(syncStatusOf([{ class: 'router-weights', workload: ROUTER, detail: '' }], false)).toBe('OutOfSync');
  });

  it('takes the worst desired workload, a missing one as Missing', () => {
    const desired = canaryDesired();
    expect(applicationHealth(desired, observedOf(desired, { 'shop-api-canary': { health: 'Progressing' } }))).toBe('Progressing');
    expect(applicationHealth(desired, { ...observedOf(desired), workloads: observedOf(desired).workloads.slice(0, 1) })).toBe('Missing');
  });
});
