import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileArtifactStore } from '@delivery/artifacts';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import { newTraceId } from '@delivery/observability';
import type { RunningService } from '@delivery/service-kit';
import { buildCompletedPayload, createServiceFixture, eventually, type ServiceFixture, waitForMessages } from '@delivery/testing';
import type { FeedsConfig } from './feeds/feeds.config';
import { digestOf } from './feeds/package.integrity';
import { packagePublishingService } from './package-publishing.service';

export type PublishedEvent = Envelope<PayloadOf<'PackagePublished'>, 'PackagePublished'>;
export type PublishFailedEvent = Envelope<PayloadOf<'PackagePublishFailed'>, 'PackagePublishFailed'>;
export type PublishInput = PayloadOf<'PublishPackage'>;

// Shared by the service's integration tests: the service on real NATS and Postgres, with a temp artifact store
// and the feeds a test configures.
export interface PublishingHarness {
  fx: ServiceFixture;
  service: RunningService;
  artifacts: FileArtifactStore;
  dir: string;
  /** BuildCompleted as build-result publishes it; resolves once the service knows the build */
  build(buildId: string, status?: 'Succeeded' | 'Failed' | 'Canceled'): Promise<void>;
  /** puts the bytes into the artifact store under runs/<runId>/<name> and returns their ArtifactRef */
  artifact(runId: string, name: string, content: Buffer, kind: 'npm-package' | 'nuget-package'): Promise<schemas.ArtifactRef>;
  publish(input: PublishInput): Promise<Envelope<PublishInput, 'PublishPackage'>>;
  /** the one answer (PackagePublished or PackagePublishFailed) caused by a command */
  answerTo(commandId: string, timeoutMs?: number): Promise<PublishedEvent | PublishFailedEvent>;
  /** the first `count` answers caused by a command, in order */
  answersTo(commandId: string, count: number, timeoutMs?: number): Promise<Array<PublishedEvent | PublishFailedEvent>>;
  close(): Promise<void>;
}

export async function startPublishingHarness(feeds: (dir: string) => FeedsConfig): Promise<PublishingHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'package-publishing-'));
  const artifacts = new FileArtifactStore(path.join(dir, 'artifacts'));
  const fx = await createServiceFixture('packages');
  const service = await fx.start(packagePublishingService({ feeds: feeds(dir), artifacts }));
  const harness: PublishingHarness = {
    fx,
    service,
    artifacts,
    dir,
    async build(buildId, status = 'Succeeded') {
      const payload = buildCompletedPayload(buildId, status);
      await fx.publisher.publish(createEnvelope('BuildCompleted', payload, { source: 'build-result', tenantId: 'acme', projectId: 'web', traceId: newTraceId() }));
      await eventually(
        async () => ((await service.dataSource.query(`SELECT 1 FROM package_publishing.builds WHERE build_id = $1 AND status = $2`, [buildId, status])) as unknown[]).length > 0 || undefined,
        `build ${buildId} known`,
      );
    },
    async artifact(runId, name, content, kind) {
      const key = `runs/${runId}/${name}`;
      const stored = await artifacts.put(key, content);
      if (stored.digest !== digestOf(content)) throw new Error(`artifact store digest ${stored.digest} differs from the bytes'`);
      return { name, kind, location: key, digest: stored.digest, size: stored.size };
    },
    publish: (input) => fx.send('PublishPackage', input),
    async answerTo(commandId, timeoutMs = 20_000) {
      const [answer] = await harness.answersTo(commandId, 1, timeoutMs);
      return answer!;
    },
    answersTo(commandId, count, timeoutMs = 20_000) {
      const names = fx.bus.names;
      return waitForMessages<PublishedEvent | PublishFailedEvent>(fx.bus, {
        stream: names.eventStream('packaging'),
        subject: names.eventFilter('packaging'),
        predicate: (e) => e.causationId === commandId && (e.type === 'PackagePublished' || e.type === 'PackagePublishFailed'),
        count,
        timeoutMs,
      });
    },
    async close() {
      await fx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function expectPublished(answer: PublishedEvent | PublishFailedEvent): PublishedEvent {
  if (answer.type !== 'PackagePublished') throw new Error(`expected PackagePublished, got ${answer.type}: ${JSON.stringify(answer.payload)}`);
  return answer;
}

export function expectFailed(answer: PublishedEvent | PublishFailedEvent): PublishFailedEvent {
  if (answer.type !== 'PackagePublishFailed') throw new Error(`expected PackagePublishFailed, got ${answer.type}: ${JSON.stringify(answer.payload)}`);
  return answer;
}
