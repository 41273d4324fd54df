import type { DesiredApplication, DesiredWorkload } from '@delivery/gitops-runtime';
import { diff, pruneCandidates } from './apply.diff';
import { validateDesired } from './desired.validator';
import { ANNOTATIONS, inventoryEntries, inventoryObject, renderApplication, replicaSplit, type KubeObject } from './kube.objects';
import { observedRestarts } from './pod.restarts';

function workload(over: Partial<DesiredWorkload> = {}): DesiredWorkload {
  return {
    name: 'shop',
    slot: null,
    version: '1.0.0',
    releaseId: null,
    command: ['node', 'main.js'],
    port: 8080,
    healthPath: '/health',
    env: { B: '2', A: '1' },
    replicas: 2,
    artifact: { kind: 'image', reference: 'registry.local/shop:1.0.0', digest: 'sha256:abc' },
    specHash: 'hash-1',
    ...over,
  };
}

function app(over: Partial<DesiredApplication> = {}): DesiredApplication {
  return { environment: 'dev', application: 'shop', revision: 'r1', releaseId: null, workloads: [workload()], weights: [], prune: false, progressDeadlineSeconds: 600, ...over };
}

const opts = { namespace: 'dev', gateway: null, httpRouteAvailable: false };

describe('renderApplication', () => {
  it('renders a Deployment per workload with the delivery labels and spec-hash annotation, and a Service', () => {
    const [deployment, service] = renderApplication(app(), opts);
    expect(deployment?.kind).toBe('Deployment');
    expect(deployment?.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/instance': 'shop', 'delivery/revision': 'r1' });
    expect(deployment?.metadata.annotations?.[ANNOTATIONS.specHash]).toBe('hash-1');
    expect(JSON.stringify(deployment)).toContain('registry.local/shop:1.0.0@sha256:abc');
    expect(service?.kind).toBe('Service');
    expect(service?.['spec']).toMatchObject({ selector: { 'app.kubernetes.io/name': 'shop' } });
  });

  it('points the blue-green Service selector at the slot with the traffic', () => {
    const desired = app({ workloads: [workload({ name: 'shop-blue', slot: 'blue' }), workload({ name: 'shop-green', slot: 'green' })], weights: [{ slot: 'green', weight: 100 }, { slot: 'blue', weight: 0 }] });
    const service = renderApplication(desired, opts).find((o) => o.kind === 'Service');
    expect(service?.['spec']).toMatchObject({ selector: { 'delivery/slot': 'green' } });
  });

  it('splits replicas by canary weight when there is no Gateway', () => {
    const desired = app({ workloads: [workload({ name: 'shop-stable', slot: 'stable', replicas: 8 }), workload({ name: 'shop-canary', slot: 'canary', replicas: 2 })], weights: [{ slot: 'stable', weight: 75 }, { slot: 'canary', weight: 25 }] });
    const replicas = renderApplication(desired, opts).filter((o) => o.kind === 'Deployment').map((o) => (o['spec'] as { replicas: number }).replicas);
    expect(replicas).toEqual([7, 3]);
    expect(replicaSplit(10, 25)).toEqual({ stable: 7, canary: 3 });
  });

  it('renders per-slot Services and a weighted HTTPRoute when the Gateway API is available', () => {
    const desired = app({ workloads: [workload({ name: 'shop-stable', slot: 'stable' }), workload({ name: 'shop-canary', slot: 'canary' })], weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] });
    const objects = renderApplication(desired, { namespace: 'dev', gateway: { name: 'public' }, httpRouteAvailable: true });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/shop-stable', 'Deployment/shop-canary', 'Service/shop', 'Service/shop-stable', 'Service/shop-canary', 'HTTPRoute/shop']);
    expect(JSON.stringify(objects[5])).toContain('"weight":10');
  });

  it('does not roll pods on a new revision alone: the pod template carries no revision label', () => {
    const [deployment] = renderApplication(app({ revision: 'r2' }), opts);
    expect(JSON.stringify((deployment?.['spec'] as { template: unknown }).template)).not.toContain('r2');
  });
});

describe('diff', () => {
  const desired = renderApplication(app(), opts);
  it('creates what is not live', () => {
    expect(diff(desired, []).map((c) => c.action)).toEqual(['create', 'create']);
  });
  it('is a no-op when the applied hash matches, whatever else the server added', () => {
    const live = desired.map((o) => ({ ...o, status: { replicas: 2 }, metadata: { ...o.metadata, resourceVersion: '7' } }));
    expect(diff(desired, live).map((c) => c.action)).toEqual(['no-op', 'no-op']);
  });
  it('updates when the rendered object changed', () => {
    const changed = renderApplication(app({ workloads: [workload({ specHash: 'hash-2', replicas: 3 })] }), opts);
    expect(diff(changed, desired).map((c) => c.action)).toEqual(['update', 'no-op']);
  });
  it('deletes live objects Git no longer names only with prune', () => {
    const extra: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop-old' } };
    expect(diff(desired, [...desired, extra]).map((c) => c.action)).toEqual(['no-op', 'no-op']);
    expect(diff(desired, [...desired, extra], { prune: true }).filter((c) => c.action === 'delete').map((c) => c.ref)).toEqual(['Deployment/shop-old']);
  });
  it('merges inventory and labelled objects as prune candidates', () => {
    expect(pruneCandidates(['Deployment/a', 'Service/shop'], [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop' } }])).toEqual(['Deployment/a', 'Service/shop']);
  });
  it('round-trips the inventory ConfigMap sorted and deduplicated', () => {
    const inventory = inventoryObject(app(), 'dev', ['Service/shop', 'Deployment/shop', 'Service/shop']);
    expect(inventory.metadata.name).toBe('delivery-inventory-shop');
    expect(inventoryEntries(inventory)).toEqual(['Deployment/shop', 'Service/shop']);
  });
});

describe('validateDesired', () => {
  it('accepts a valid application', () => expect(validateDesired(app())).toBeUndefined());
  it('refuses an application name that is not a DNS label', () => expect(validateDesired(app({ application: 'Shop_1' }))).toMatch(/DNS-1123/));
  it('refuses an npm-package workload', () =>
    expect(validateDesired(app({ workloads: [workload({ artifact: { kind: 'npm-package', name: 'shop', version: '1.0.0', feed: 'http://x' } })] }))).toMatch(/images only/));
  it('refuses weights that do not sum to 100', () =>
    expect(validateDesired(app({ workloads: [workload({ slot: 'stable' })], weights: [{ slot: 'stable', weight: 90 }] }))).toMatch(/sum to 90/));
  it('refuses a weight for a slot no workload runs', () =>
    expect(validateDesired(app({ workloads: [workload({ slot: 'stable' })], weights: [{ slot: 'stable', weight: 50 }, { slot: 'canary', weight: 50 }] }))).toMatch(/canary/));
  it('refuses negative replicas', () => expect(validateDesired(app({ workloads: [workload({ replicas: -1 })] }))).toMatch(/replicas/));
  it('refuses duplicate workload names', () => expect(validateDesired(app({ workloads: [workload({ slot: 'blue' }), workload({ slot: 'green' })] }))).toMatch(/twice/));
});

describe('observedRestarts', () => {
  it('sums restart counts and counts terminations within the last 10 minutes as recent', () => {
    const now = new Date('2026-01-01T00:20:00Z');
    const pods = [
      { status: { containerStatuses: [{ restartCount: 4, lastState: { terminated: { finishedAt: '2026-01-01T00:15:00Z' } } }] } },
      { status: { containerStatuses: [{ restartCount: 1, lastState: { terminated: { finishedAt: '2026-01-01T00:01:00Z' } } }] } },
    ];
    expect(observedRestarts(pods, now)).toEqual({ total: 5, recent: 1 });
  });
});
