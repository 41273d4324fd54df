import type { DesiredApplication, DesiredWorkload } from '@delivery/gitops-runtime';
import { KubeApiClient } from './kube-api.client';
import { KubeInformer } from './kube.informer';
import { KubernetesRuntimeAdapter } from './kubernetes-runtime.adapter';
import { FakeKubeApiServer } from './testing/fake-kube-apiserver';

// Contract tests: the adapter's HTTP shapes against a loopback fake API server (no SSA semantics, see its README).

function workload(over: Partial<DesiredWorkload> = {}): DesiredWorkload {
  return {
    name: 'shop',
    slot: null,
    version: '1.0.0',
    releaseId: 'rel-1',
    command: ['node', 'main.js'],
    port: 8080,
    healthPath: '/health',
    env: {},
    replicas: 2,
    artifact: { kind: 'image', reference: 'registry.local/shop:1.0.0' },
    specHash: 'hash-1',
    ...over,
  };
}

function app(over: Partial<DesiredApplication> = {}): DesiredApplication {
  return { environment: 'dev', application: 'shop', revision: 'r1', releaseId: 'rel-1', workloads: [workload()], weights: [], prune: false, progressDeadlineSeconds: 600, ...over };
}

const canary = (weight: number) =>
  app({
    workloads: [workload({ name: 'shop-stable', slot: 'stable', replicas: 8 }), workload({ name: 'shop-canary', slot: 'canary', replicas: 2, version: '1.1.0', specHash: 'hash-c' })],
    weights: [{ slot: 'stable', weight: 100 - weight }, { slot: 'canary', weight }],
  });

describe('KubernetesRuntimeAdapter against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let adapter: KubernetesRuntimeAdapter;
  let server: string;

  async function startFake(gatewayApi: boolean, gateway: { name: string } | null = null): Promise<void> {
    fake = new FakeKubeApiServer({ gatewayApi });
    server = await fake.start();
    adapter = new KubernetesRuntimeAdapter({ connection: { server }, gateway, now: () => new Date('2026-01-01T00:20:00Z') });
  }
  const patches = () => fake.requests.filter((r) => r.method === 'PATCH' && r.query['dryRun'] === undefined);

  afterEach(async () => fake.stop());

  describe('without the Gateway API', () => {
    beforeEach(() => startFake(false));

    it('creates the Deployment, Service and inventory by server-side apply with the field manager and force', async () => {
      const result = await adapter.apply(app());
      expect(result).toEqual({ changed: ['shop', 'Service/shop'] });
      expect(fake.names('deployments', 'dev')).toEqual(['shop']);
      expect(fake.names('services', 'dev')).toEqual(['shop']);
      expect(fake.names('configmaps', 'dev')).toEqual(['delivery-inventory-shop']);
      for (const patch of patches()) {
        expect(patch.contentType).toBe('application/apply-patch+yaml');
        expect(patch.query).toMatchObject({ fieldManager: 'delivery-gitops', force: 'true' });
      }
      // every change went through a dry run first
      expect(fake.requests.filter((r) => r.query['dryRun'] === 'All')).toHaveLength(3);
      const deployment = fake.object('deployments', 'dev', 'shop');
      expect(deployment?.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/instance': 'shop', 'delivery/revision': 'r1' });
    });

    it('re-applying the same desired state sends no PATCH (no-op by applied hash)', async () => {
      await adapter.apply(app());
      const before = fake.requests.filter((r) => r.method === 'PATCH').length;
      expect(await adapter.apply(app())).toEqual({ changed: [] });
      expect(fake.requests.filter((r) => r.method === 'PATCH').length).toBe(before);
    });

    it('a changed spec PATCHes the Deployment and bumps its generation', async () => {
      await adapter.apply(app());
      const result = await adapter.apply(app({ workloads: [workload({ version: '1.1.0', specHash: 'hash-2', artifact: { kind: 'image', reference: 'registry.local/shop:1.1.0' } })] }));
      expect(result.changed).toEqual(['shop']);
      expect(fake.object('deployments', 'dev', 'shop')?.metadata['generation']).toBe(2);
      expect(fake.object('deployments', 'dev', 'shop')?.metadata.annotations).toMatchObject({ 'delivery/spec-hash': 'hash-2' });
    });

    it('the dry-run plan reports the changes without applying them', async () => {
      const plan = await adapter.plan(app());
      expect(plan.changes.map((c) => `${c.action} ${c.ref}`)).toEqual(['create Deployment/shop', 'create Service/shop', 'create ConfigMap/delivery-inventory-shop']);
      expect(fake.names('deployments', 'dev')).toEqual([]);
    });

    it('prunes what the inventory lists and Git no longer names, only with prune', async () => {
      await adapter.apply(app({ workloads: [workload(), workload({ name: 'shop-worker', slot: 'canary', port: null })], weights: [] }));
      expect(fake.names('deployments', 'dev')).toEqual(['shop', 'shop-worker']);
      await adapter.apply(app());
      expect(fake.names('deployments', 'dev')).toEqual(['shop', 'shop-worker']);
      const result = await adapter.apply(app({ prune: true }));
      expect(result.changed).toEqual(['shop-worker']);
      expect(fake.names('deployments', 'dev')).toEqual(['shop']);
      expect(fake.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/deployments/shop-worker'))).toBe(true);
    });

    it('prunes an object the inventory lists even when its labels were removed by hand', async () => {
      await adapter.apply(app({ workloads: [workload(), workload({ name: 'shop-old', port: null, slot: 'canary' })] }));
      const old = fake.object('deployments', 'dev', 'shop-old');
      fake.put('deployments', { ...old!, metadata: { ...old!.metadata, labels: {} } });
      await adapter.apply(app({ prune: true }));
      expect(fake.names('deployments', 'dev')).toEqual(['shop']);
    });

    it('a 422 refuses the apply with the API message and changes nothing', async () => {
      fake.inject({ method: 'PATCH', pathIncludes: '/deployments/shop', status: 422, message: 'Deployment.apps "shop" is invalid: spec.template.spec.containers[0].image: Required value' });
      const result = await adapter.apply(app());
      expect(result.error).toEqual({ code: 'Invalid', message: expect.stringContaining('containers[0].image: Required value') });
      expect(result.changed).toEqual([]);
      expect(fake.names('deployments', 'dev')).toEqual([]);
    });

    it('a 422 at apply time, after a clean dry run, reports the error and what was already changed', async () => {
      fake.inject({ method: 'PATCH', pathIncludes: '/services/shop', status: 422, dryRun: false, message: 'Service "shop" is invalid: spec.ports[0].port: Invalid value' });
      const result = await adapter.apply(app());
      expect(result).toEqual({ changed: ['shop'], error: { code: 'Invalid', message: 'Service/shop: Service "shop" is invalid: spec.ports[0].port: Invalid value' } });
    });

    it('a validation error refuses the apply before any request', async () => {
      const result = await adapter.apply(app({ weights: [{ slot: 'stable', weight: 50 }] }));
      expect(result.error?.code).toBe('Invalid');
      expect(fake.requests).toHaveLength(0);
    });

    it('a 409 is retried once and then succeeds', async () => {
      fake.inject({ method: 'PATCH', pathIncludes: '/deployments/shop', status: 409 });
      expect(await adapter.apply(app())).toEqual({ changed: ['shop', 'Service/shop'] });
    });

    it('a second 409 is reported as a Conflict error', async () => {
      fake.inject({ method: 'PATCH', pathIncludes: '/deployments/shop', status: 409, message: 'the object has been modified', times: 2 });
      const result = await adapter.apply(app());
      expect(result.error).toEqual({ code: 'Conflict', message: 'Deployment/shop: the object has been modified' });
    });

    it('a 5xx is thrown for the caller to retry, not reported as OutOfSync', async () => {
      fake.inject({ method: 'PATCH', status: 500 });
      await expect(adapter.apply(app())).rejects.toThrow('InternalError');
    });

    it('observe maps Deployment status to health per the Argo rules', async () => {
      await adapter.apply(app());
      const progressing = await adapter.observe('dev', 'shop');
      expect(progressing.workloads[0]).toMatchObject({ name: 'shop', health: 'Progressing', specHash: 'hash-1', replicas: 2, readyReplicas: 0 });

      fake.setStatus('deployments', 'dev', 'shop', { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
      fake.put('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shop-x', namespace: 'dev', labels: { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/instance': 'shop' } }, status: { containerStatuses: [{ restartCount: 3, lastState: { terminated: { finishedAt: '2026-01-01T00:18:00Z' } } }] } });
      const healthy = await adapter.observe('dev', 'shop');
      expect(healthy.workloads[0]).toMatchObject({ health: 'Healthy', readyReplicas: 2, restarts: 3, recentRestarts: 1 });
      expect(healthy.weights).toBeNull();

      fake.setStatus('deployments', 'dev', 'shop', { observedGeneration: 1, replicas: 2, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
      const degraded = await adapter.observe('dev', 'shop');
      expect(degraded.workloads[0]).toMatchObject({ health: 'Degraded', message: 'Deployment "shop" exceeded its progress deadline' });
    });

    it('lists the applications it runs in an environment', async () => {
      await adapter.apply(app());
      await adapter.apply(app({ application: 'cart', workloads: [workload({ name: 'cart' })] }));
      expect(await adapter.applications('dev')).toEqual(['cart', 'shop']);
      expect(await adapter.applications('prod')).toEqual([]);
    });

    it('blue-green: switching swaps the Service selector', async () => {
      const bg = (active: 'blue' | 'green') =>
        app({
          workloads: [workload({ name: 'shop-blue', slot: 'blue' }), workload({ name: 'shop-green', slot: 'green', specHash: 'hash-g' })],
          weights: [{ slot: active, weight: 100 }, { slot: active === 'blue' ? 'green' : 'blue', weight: 0 }],
        });
      await adapter.apply(bg('blue'));
      expect(fake.object('services', 'dev', 'shop')?.['spec']).toMatchObject({ selector: { 'delivery/slot': 'blue' } });
      const result = await adapter.apply(bg('green'));
      expect(result.changed).toEqual(['Service/shop']);
      expect(fake.object('services', 'dev', 'shop')?.['spec']).toMatchObject({ selector: { 'delivery/slot': 'green' } });
      expect((await adapter.observe('dev', 'shop')).weights).toEqual([{ slot: 'blue', weight: 0 }, { slot: 'green', weight: 100 }]);
    });

    it('canary by replica ratio when no HTTPRoute is discovered, even with a Gateway configured', async () => {
      await fake.stop();
      await startFake(false, { name: 'public' });
      await adapter.apply(canary(30));
      expect(fake.object('deployments', 'dev', 'shop-stable')?.['spec']).toMatchObject({ replicas: 7 });
      expect(fake.object('deployments', 'dev', 'shop-canary')?.['spec']).toMatchObject({ replicas: 3 });
      expect(fake.names('httproutes', 'dev')).toEqual([]);
      expect(fake.requests.some((r) => r.path === '/apis/gateway.networking.k8s.io/v1')).toBe(true);
      expect((await adapter.observe('dev', 'shop')).weights).toEqual([{ slot: 'stable', weight: 70 }, { slot: 'canary', weight: 30 }]);
    });
  });

  describe('with the Gateway API discovered', () => {
    beforeEach(() => startFake(true, { name: 'public' }));

    it('canary sets HTTPRoute backendRefs weights and keeps the replicas', async () => {
      await adapter.apply(canary(10));
      const route = fake.object('httproutes', 'dev', 'shop');
      expect(route?.['spec']).toMatchObject({ parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'shop-stable', weight: 90 }, { name: 'shop-canary', weight: 10 }] }] });
      expect(fake.object('deployments', 'dev', 'shop-canary')?.['spec']).toMatchObject({ replicas: 2 });
      const result = await adapter.apply(canary(50));
      expect(result.changed).toEqual(['HTTPRoute/shop']);
      expect((await adapter.observe('dev', 'shop')).weights).toEqual([{ slot: 'stable', weight: 50 }, { slot: 'canary', weight: 50 }]);
    });

    it('promotion with prune removes the canary Deployment, its Service and the HTTPRoute', async () => {
      await adapter.apply(canary(10));
      await adapter.apply(app({ workloads: [workload({ name: 'shop-stable', slot: 'stable' })], weights: [{ slot: 'stable', weight: 100 }], prune: true }));
      expect(fake.names('deployments', 'dev')).toEqual(['shop-stable']);
      expect(fake.names('services', 'dev')).toEqual(['shop']);
      expect(fake.names('httproutes', 'dev')).toEqual([]);
    });
  });

  describe('watch', () => {
    beforeEach(() => startFake(false));

    it('relists after a 410 Gone and keeps following changes', async () => {
      await adapter.apply(app());
      fake.inject({ method: 'GET', pathIncludes: '/deployments?watch', status: 410 });
      const informer = new KubeInformer(new KubeApiClient({ server }), { kind: 'Deployment', namespace: 'dev', labelSelector: 'app.kubernetes.io/name=shop' });
      await informer.start();
      try {
        await waitFor(() => informer.lists === 2);
        fake.setStatus('deployments', 'dev', 'shop', { observedGeneration: 1, readyReplicas: 2 });
        await waitFor(() => (informer.objects.get('shop')?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === 2);
        expect(fake.requests.filter((r) => r.method === 'GET' && r.path === '/apis/apps/v1/namespaces/dev/deployments' && !r.query['watch'] && r.query['labelSelector'] === 'app.kubernetes.io/name=shop')).toHaveLength(2);
      } finally {
        await informer.stop();
      }
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
