import type { Envelope, MessageType, PayloadOf } from '@delivery/contracts';
import { KubernetesRuntimeAdapter } from '@delivery/gitops-kubernetes';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { createGitSandbox, repositoryKnown, type GitSandbox } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, waitForMessages, type ServiceFixture } from '@delivery/testing';
// the Kubernetes API is third-party: the adapter's own loopback fake API server stands in for a cluster
import { FakeKubeApiServer } from '../../../../libs/gitops/kubernetes/src/testing/fake-kube-apiserver';
// the real commit service writes the commits and reverts (integration tests only: services never import each other)
import { commitService } from '../../../source-control/commit/src/commit.service';
import { fixtureDoc } from './domain/gitops.test-fixture';
import { gitopsSyncService } from './gitops-sync.service';
import { workloadPath } from './sync/gitops.layout';

// Shared by the service's integration tests: gitops-sync and the commit service on real NATS, Postgres and git,
// the Kubernetes adapter against the fake API server.
export interface GitOpsHarness {
  fx: ServiceFixture;
  sandbox: GitSandbox;
  fake: FakeKubeApiServer;
  /** the fake API server's URL */
  kubeServer: string;
  sync: RunningService;
  commits: RunningService;
  /** a GitOps repository both services know, seeded with these files */
  gitops(name: string, files: Record<string, string>, scope?: { tenantId?: string; projectId?: string }): Promise<{ repositoryId: string; headSha: string }>;
  close(): Promise<void>;
}

export async function startGitOpsHarness(options: { intervalMs?: number; settleMs?: number; healthReportIntervalMs?: number; dbPoolSize?: number } = {}): Promise<GitOpsHarness> {
  const sandbox = await createGitSandbox();
  const fake = new FakeKubeApiServer();
  const server = await fake.start();
  const fx = await createServiceFixture('gitops');
  const runtime = new KubernetesRuntimeAdapter({ connection: { server } });
  const settings = { runtime, intervalMs: options.intervalMs ?? 60_000, jitter: 0, settleMs: options.settleMs ?? 300, ...(options.healthReportIntervalMs !== undefined ? { healthReportIntervalMs: options.healthReportIntervalMs } : {}) };
  const sync = await fx.start(gitopsSyncService(settings), options.dbPoolSize !== undefined ? { DB_POOL_SIZE: options.dbPoolSize } : {});
  const commits = await fx.start(commitService());
  return {
    fx,
    sandbox,
    fake,
    kubeServer: server,
    sync,
    commits,
    async gitops(name, files, scope = {}) {
      const locator = { tenantId: scope.tenantId ?? 'acme', projectId: scope.projectId ?? 'web', name };
      const initialFiles = Object.entries(files).map(([path, content]) => ({ action: 'add' as const, path, content }));
      const info = await sandbox.git.createRepository(locator, { defaultBranch: 'main', initialFiles, author: { name: 'seed', email: 'seed@example.com' } });
      const repositoryId = uuidv7();
      const payload = { repositoryId, name, defaultBranch: 'main', purpose: 'gitops' as const, provider: 'local' as const, cloneUrl: info.cloneUrl, headSha: info.headSha };
      await fx.publisher.publish(createEnvelope('RepositoryProvisioned', payload, { source: 'repository', tenantId: locator.tenantId, projectId: locator.projectId }));
      await repositoryKnown(sync, repositoryId);
      await repositoryKnown(commits, repositoryId);
      return { repositoryId, headSha: info.headSha };
    },
    async close() {
      await fx.close();
      await fake.stop();
      await sandbox.close();
    },
  };
}

export const SHOP = { environment: 'dev1', application: 'shop' } as const;
export const SHOP_PATH = workloadPath(SHOP);
const DIGEST_A = `sha256:${'a'.repeat(64)}`;

/** the rolling fixture of the domain, run from an image (the Kubernetes adapter runs images only) */
export function shopWorkload(overrides: Record<string, unknown> = {}, digest = DIGEST_A): string {
  const doc = fixtureDoc('rolling-npm');
  return `${JSON.stringify({ ...doc, runtime: { kind: 'image', image: `registry.local:5000/shop/api@${digest}` }, ...overrides }, null, 2)}\n`;
}

export type GitOpsEvent<T extends MessageType> = Envelope<PayloadOf<T>, T>;

/** the gitops events of one type that match, in order */
export function gitopsEvents<T extends MessageType>(fx: ServiceFixture, type: T, predicate: (e: GitOpsEvent<T>) => boolean, count = 1, timeoutMs = 20_000): Promise<Array<GitOpsEvent<T>>> {
  const names = fx.bus.names;
  return waitForMessages<GitOpsEvent<T>>(fx.bus, { stream: names.eventStream('gitops'), subject: names.eventFilter('gitops', type), predicate, count, timeoutMs });
}

/** play the Deployment controller: every replica updated and available at the current generation */
export function markReady(fake: FakeKubeApiServer, namespace: string, name: string): void {
  const object = fake.object('deployments', namespace, name);
  if (!object) throw new Error(`no deployment ${namespace}/${name}`);
  const generation = Number(object.metadata.generation ?? 1);
  const replicas = Number((object.spec as { replicas?: number } | undefined)?.replicas ?? 1);
  fake.setStatus('deployments', namespace, name, { observedGeneration: generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas });
}
