import { randomUUID } from 'node:crypto';
import type { Envelope, MessageType, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import { waitForEvent, waitForMessages, type ServiceFixture } from '@delivery/testing';

// The integration tests play the release saga, deployment-manifest, the commit service and GitOps sync: they publish
// exactly what those services would, with the correlation and causation ids the README promises.
export type Promote = Envelope<PayloadOf<'PromoteDeployment'>, 'PromoteDeployment'>;
export type Render = Envelope<PayloadOf<'RenderManifest'>, 'RenderManifest'>;
export const ENV = 'prod1';
export const sha = (c: string) => c.repeat(40);
let revisionCount = 0;
/** a fresh 40-hex revision for each render of a test run */
export const newRevision = () => `${randomUUID().replace(/-/g, '')}${(revisionCount++).toString(16).padStart(8, '0')}`;

export function promoteDeployment(application: string, strategy: schemas.Strategy, healthGates: schemas.HealthGate[]): Promote {
  return createEnvelope(
    'PromoteDeployment',
    {
      releaseId: `rel-${randomUUID()}`,
      environment: ENV,
      application,
      version: '1.4.0',
      artifacts: { packages: [], images: [{ registry: 'registry.local:5000', repository: 'shop/api', digest: `sha256:${'d'.repeat(64)}` }] },
      workload: { name: application, command: ['node', 'main.js'], port: 8080, replicas: 2 },
      strategy,
      healthGates,
      gitops: { repositoryId: 'gitops-repo', branch: 'main', path: `envs/${ENV}/${application}` },
      attempt: 1,
    },
    { source: 'release', tenantId: 'acme', projectId: 'web', actor: { kind: 'service', id: 'release' } },
  );
}

/** a message from another service, following from `cause` (its correlation and trace) */
export function answer<T extends MessageType>(type: T, payload: PayloadOf<T>, cause: Envelope, source: string): Envelope<PayloadOf<T>, T> {
  return createEnvelope(type, payload, { source, tenantId: cause.tenantId, projectId: cause.projectId, traceId: cause.traceId, correlationId: cause.correlationId, causationId: cause.id });
}

export function commandsSent<T extends 'RenderManifest' | 'RevertCommit'>(fx: ServiceFixture, type: T, promote: Promote, count: number, timeoutMs = 15_000): Promise<Array<Envelope<PayloadOf<T>, T>>> {
  const names = fx.bus.names;
  const [context, service] = type === 'RenderManifest' ? (['release', 'deployment-manifest'] as const) : (['source-control', 'commit'] as const);
  return waitForMessages<Envelope<PayloadOf<T>, T>>(fx.bus, {
    stream: names.commandStream(context),
    subject: `${names.namespace}.*.cmd.${service}.${type}`,
    predicate: (c) => c.correlationId === promote.id,
    count,
    timeoutMs,
  });
}

export async function nthRender(fx: ServiceFixture, promote: Promote, n: number): Promise<Render> {
  return (await commandsSent(fx, 'RenderManifest', promote, n)).at(-1) as Render;
}

/** deployment-manifest's answer to a render: the commit service's CommitCreated, then DeploymentManifestRendered */
export async function rendered(fx: ServiceFixture, render: Render, revision: string, parentSha = sha('0')): Promise<void> {
  const { releaseId, environment, application } = render.payload;
  await fx.publisher.publish(
    answer('CommitCreated', { repositoryId: 'gitops-repo', branch: 'main', sha: revision, parentSha, idempotencyKey: `manifest:${releaseId}:${environment}:${revision.slice(0, 32)}` }, render, 'commit'),
  );
  const files = [{ path: `envs/${environment}/${application}/workload.json`, digest: `sha256:${'e'.repeat(64)}` }];
  await fx.publisher.publish(
    answer(
      'DeploymentManifestRendered',
      { releaseId, environment, application, repositoryId: 'gitops-repo', branch: 'main', files, contentDigest: `sha256:${'f'.repeat(64)}`, changed: true, revision },
      render,
      'deployment-manifest',
    ),
  );
}

/** GitOps sync's report: not caused by a command of the promotion, so its own correlation */
export async function synced(fx: ServiceFixture, application: string, revision: string, options: { weights?: schemas.TrafficWeight[]; health?: PayloadOf<'GitOpsSynced'>['health'] } = {}): Promise<void> {
  const payload = { environment: ENV, application, repositoryId: 'gitops-repo', revision, releaseId: null, sync: 'Synced' as const, health: options.health ?? 'Healthy', workloads: [], durationMs: 12, ...(options.weights ? { weights: options.weights } : {}) };
  await fx.publisher.publish(createEnvelope('GitOpsSynced', payload, { source: 'gitops-sync', tenantId: 'acme', projectId: 'web' }));
}

export async function healthReported(fx: ServiceFixture, application: string, revision: string, report: { okProbes?: number; requests?: number; errors?: number; p99Ms?: number }): Promise<void> {
  const now = new Date().toISOString();
  const probes = Array.from({ length: report.okProbes ?? 0 }, () => ({ revision, path: '/health', status: 200, ok: true, latencyMs: 4 }));
  const traffic = report.requests === undefined ? [] : [{ revision, weight: 100, requests: report.requests, errors5xx: report.errors ?? 0, p50Ms: 20, p99Ms: report.p99Ms ?? 80 }];
  const payload = { environment: ENV, application, windowStart: now, windowEnd: now, health: 'Healthy' as const, probes, traffic };
  await fx.publisher.publish(createEnvelope('RuntimeHealthReported', payload, { source: 'gitops-sync', tenantId: 'acme', projectId: 'web' }));
}

export function promotionEvent<T extends 'DeploymentPromoted' | 'PromotionFailed' | 'DeploymentRolledBack' | 'TrafficShifted' | 'HealthGateEvaluated'>(
  fx: ServiceFixture,
  type: T,
  promote: Promote,
  timeoutMs = 15_000,
): Promise<Envelope<PayloadOf<T>, T>> {
  return waitForEvent<Envelope<PayloadOf<T>, T>>(fx.bus, 'release', type, (e) => e.correlationId === promote.id, timeoutMs);
}

export function promotionEvents<T extends 'TrafficShifted' | 'HealthGateEvaluated'>(fx: ServiceFixture, type: T, promote: Promote, count: number): Promise<Array<Envelope<PayloadOf<T>, T>>> {
  const names = fx.bus.names;
  return waitForMessages(fx.bus, { stream: names.eventStream('release'), subject: names.eventFilter('release', type), predicate: (e: Envelope<PayloadOf<T>, T>) => e.correlationId === promote.id, count, timeoutMs: 15_000 });
}
