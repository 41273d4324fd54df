import type { Envelope, PayloadOf } from '@delivery/contracts';
import { DeliverPolicy } from '@nats-io/jetstream';
import { createEnvelope } from '@delivery/messaging';
import { newTraceId } from '@delivery/observability';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { RunningService } from '@delivery/service-kit';
import { buildCompletedPayload, eventually, type ServiceFixture, waitForEvent, waitForMessages } from '@delivery/testing';

// Shared by the release service's integration tests (real NATS and Postgres). The tests play build-result (they
// publish BuildCompleted) and environment-promotion (they answer PromoteDeployment with its id as correlationId).
export type PromoteCommand = Envelope<PayloadOf<'PromoteDeployment'>, 'PromoteDeployment'>;
export type RollbackCommand = Envelope<PayloadOf<'RollbackDeployment'>, 'RollbackDeployment'>;
type Answer = 'DeploymentPromoted' | 'PromotionFailed' | 'DeploymentRolledBack';

export const stage = (name: string): PayloadOf<'PlanRelease'>['environments'][number] => ({ name, strategy: { kind: 'rolling' }, healthGates: [] });

export function planBody(buildId: string, environments = ['dev1', 'stage1', 'prod1']): Omit<PayloadOf<'PlanRelease'>, 'releaseId'> {
  return {
    application: 'shop',
    version: '1.4.0',
    buildId,
    repositoryId: 'repo-1',
    sourceSha: 'a'.repeat(40),
    artifacts: { packages: [], images: [{ registry: 'localhost:5000', repository: 'shop/api', tag: '1.4.0', digest: `sha256:${'b'.repeat(64)}` }] },
    workload: { name: 'shop', command: ['node', 'server.js'], port: 8080, replicas: 1 },
    environments: environments.map(stage),
  };
}

/** Publishes BuildCompleted as build-result does and waits until the release service knows the build; returns its traceId. */
export async function knownBuild(fx: ServiceFixture, service: RunningService, buildId: string, status: 'Succeeded' | 'Failed' = 'Succeeded'): Promise<string> {
  const traceId = newTraceId();
  const payload = buildCompletedPayload(buildId, status);
  await fx.publisher.publish(createEnvelope('BuildCompleted', payload, { source: 'build-result', tenantId: 'acme', projectId: 'web', traceId }));
  const table = `${quoteSchema(schemaOf(service.dataSource))}.builds`;
  await eventually(async () => ((await service.dataSource.query(`SELECT 1 FROM ${table} WHERE build_id = $1`, [buildId])) as unknown[]).length > 0 || undefined, `build ${buildId} known`);
  return traceId;
}

const commandSubject = (fx: ServiceFixture, type: 'PromoteDeployment' | 'RollbackDeployment') => `${fx.bus.names.namespace}.*.cmd.environment-promotion.${type}`;

function commandsOf<T>(fx: ServiceFixture, type: 'PromoteDeployment' | 'RollbackDeployment', count: number, predicate: (c: T) => boolean, timeoutMs = 10_000): Promise<T[]> {
  const names = fx.bus.names;
  return waitForMessages<T>(fx.bus, { stream: names.commandStream('release'), subject: commandSubject(fx, type), predicate, count, timeoutMs });
}

export async function promoteCommand(fx: ServiceFixture, releaseId: string, environment: string, attempt = 1): Promise<PromoteCommand> {
  const [command] = await commandsOf<PromoteCommand>(fx, 'PromoteDeployment', 1, (c) => c.payload.releaseId === releaseId && c.payload.environment === environment && c.payload.attempt === attempt);
  return command!;
}

/** Every PromoteDeployment of the release on the bus so far (reads the stream to its end). */
export async function promoteCommandsOf(fx: ServiceFixture, releaseId: string): Promise<PromoteCommand[]> {
  const names = fx.bus.names;
  const consumer = await fx.bus.js.consumers.get(names.commandStream('release'), { filter_subjects: commandSubject(fx, 'PromoteDeployment'), deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  const timer = setTimeout(() => messages.stop(), 5000);
  const found: PromoteCommand[] = [];
  try {
    for await (const msg of messages) {
      const command = msg.json<PromoteCommand>();
      if (command.payload.releaseId === releaseId) found.push(command);
      if (msg.info.pending === 0) break;
    }
  } finally {
    clearTimeout(timer);
    messages.stop();
  }
  return found;
}

export async function rollbackCommand(fx: ServiceFixture, releaseId: string): Promise<RollbackCommand> {
  const [command] = await commandsOf<RollbackCommand>(fx, 'RollbackDeployment', 1, (c) => c.payload.releaseId === releaseId);
  return command!;
}

/** environment-promotion's answer to `promote`: same correlation and trace. */
export function answerOf<T extends Answer>(promote: PromoteCommand, type: T, payload: PayloadOf<T>): Envelope<PayloadOf<T>, T> {
  return createEnvelope(type, payload, {
    source: 'environment-promotion',
    tenantId: promote.tenantId,
    projectId: promote.projectId,
    traceId: promote.traceId,
    correlationId: promote.id,
    causationId: promote.id,
    actor: { kind: 'service', id: 'environment-promotion' },
  });
}

export function promoted(promote: PromoteCommand, revision = 'c'.repeat(40)): Envelope<PayloadOf<'DeploymentPromoted'>, 'DeploymentPromoted'> {
  const { releaseId, environment, application, version } = promote.payload;
  return answerOf(promote, 'DeploymentPromoted', { releaseId, environment, application, version, revision, strategy: 'rolling', gates: [], durationMs: 1000 });
}

export function releaseEvent<T extends string>(fx: ServiceFixture, type: T, predicate: (e: Envelope<Record<string, unknown>>) => boolean, timeoutMs?: number): Promise<Envelope<Record<string, unknown>>> {
  return waitForEvent<Envelope<Record<string, unknown>>>(fx.bus, 'release', type, predicate, timeoutMs);
}
