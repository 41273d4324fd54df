import { execFileSync } from 'node:child_process';
import type { DesiredApplication } from '@delivery/gitops-runtime';
import { kubeConnectionOf, type KubeConfigCluster, type KubeConfigUser } from './kube-config.loader';
import { KubernetesRuntimeAdapter } from './kubernetes-runtime.adapter';

// Against a real cluster, only when KUBECONFIG is set; otherwise the suite is reported as skipped.
// Jest cannot import the ESM-only @kubernetes/client-node, so a child node process reads the kubeconfig with it.

const kubeconfig = process.env['KUBECONFIG'];
const namespace = process.env['KUBE_SMOKE_NAMESPACE'] ?? 'default';
const suite = kubeconfig ? describe : describe.skip;

function connectionFromKubeconfig() {
  const script =
    "import { KubeConfig } from '@kubernetes/client-node'; const kc = new KubeConfig(); kc.loadFromDefault();" +
    ' console.log(JSON.stringify({ cluster: kc.getCurrentCluster(), user: kc.getCurrentUser() }));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
  const { cluster, user } = JSON.parse(out) as { cluster: KubeConfigCluster | null; user: KubeConfigUser | null };
  return kubeConnectionOf(cluster, user);
}

function desired(workloads: DesiredApplication['workloads'], prune = false): DesiredApplication {
  return { environment: 'smoke', application: 'delivery-smoke', revision: 'smoke', releaseId: null, workloads, weights: [], prune, progressDeadlineSeconds: 120 };
}

suite(`Kubernetes smoke test (KUBECONFIG=${kubeconfig ?? 'unset: skipped'}, namespace ${namespace})`, () => {
  const adapter = kubeconfig ? new KubernetesRuntimeAdapter({ connection: connectionFromKubeconfig(), namespaceOf: () => namespace }) : undefined;

  afterAll(async () => {
    await adapter?.apply(desired([], true));
  });

  it('applies, observes and prunes a pause Deployment', async () => {
    const workload = {
      name: 'delivery-smoke',
      slot: null,
      version: '3.9',
      releaseId: null,
      command: [],
      port: null,
      healthPath: null,
      env: {},
      replicas: 1,
      artifact: { kind: 'image' as const, reference: 'registry.k8s.io/pause:3.9' },
      specHash: 'smoke-1',
    };
    const result = await adapter!.apply(desired([workload]));
    expect(result.error).toBeUndefined();
    expect(await adapter!.applications('smoke')).toContain('delivery-smoke');
    const observed = await adapter!.observe('smoke', 'delivery-smoke');
    expect(observed.workloads.map((w) => w.specHash)).toEqual(['smoke-1']);
    expect(await adapter!.apply(desired([workload]))).toEqual({ changed: [] });
    expect((await adapter!.apply(desired([], true))).changed).toEqual(['delivery-smoke']);
  });
});
