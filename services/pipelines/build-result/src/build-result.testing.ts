import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileArtifactStore } from '@delivery/artifacts';
import type { PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, eventually, waitForMessages, type ServiceFixture } from '@delivery/testing';
import { buildResultService } from './build-result.service';
import { buildStream, type BuildCompleted, type IngestionFailed, type RunFinished } from './build.messages';
import { fixtureBytes } from './domain/report.test-fixture';

// The integration tests play pipeline-execution: they leave a run's outputs in a temporary FileArtifactStore under
// runs/<runId>/ and publish the PipelineRunFinished that service would, then watch the pipelines event stream.
export interface BuildHarness {
  fx: ServiceFixture;
  service: RunningService;
  store: FileArtifactStore;
  close(): Promise<void>;
}

export async function startBuildHarness(): Promise<BuildHarness> {
  const root = await mkdtemp(path.join(tmpdir(), 'build-result-'));
  const store = new FileArtifactStore(root);
  const fx = await createServiceFixture('builds');
  const service = await fx.start(buildResultService({}, { artifacts: store }));
  return {
    fx,
    service,
    store,
    async close() {
      await fx.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

type Kind = schemas.ArtifactRef['kind'];
/** a fixture of src/domain/fixtures, or literal content */
export type Output = { name: string; kind: Kind; fixture: string } | { name: string; kind: Kind; content: string | Buffer };

export const sha256 = (content: string | Buffer) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/** puts outputs into the store as the runner does; the refs carry the digest and size the store computed */
export async function putOutputs(store: FileArtifactStore, runId: string, outputs: Output[]): Promise<schemas.ArtifactRef[]> {
  const refs: schemas.ArtifactRef[] = [];
  for (const output of outputs) {
    const location = `runs/${runId}/${output.name}`;
    const stored = await store.put(location, 'fixture' in output ? fixtureBytes(output.fixture) : output.content);
    refs.push({ name: output.name, kind: output.kind, location, digest: stored.digest, size: stored.size });
  }
  return refs;
}

export const newRunId = () => `run-${randomUUID()}`;

export function runFinished(
  runId: string,
  outputs: Partial<PayloadOf<'PipelineRunFinished'>['outputs']>,
  overrides: Partial<Omit<PayloadOf<'PipelineRunFinished'>, 'outputs' | 'runId'>> = {},
  tenantId = 'acme',
): RunFinished {
  const payload: PayloadOf<'PipelineRunFinished'> = {
    runId,
    repositoryId: 'repo-shop',
    branch: 'main',
    sha: 'a'.repeat(40),
    pullRequestId: null,
    result: 'Succeeded',
    startedAt: '2026-11-30T10:10:00.000Z',
    finishedAt: '2026-11-30T10:15:04.000Z',
    durationMs: 304_000,
    steps: [{ name: 'test', status: 'succeeded', exitCode: 0, durationMs: 290_000 }],
    ...overrides,
    outputs: { testResults: [], coverage: [], artifacts: [], ...outputs },
  };
  return createEnvelope('PipelineRunFinished', payload, { source: 'pipeline-execution', tenantId, projectId: 'web', actor: { kind: 'service', id: 'pipeline-execution' } });
}

function eventsOf<T extends BuildCompleted | IngestionFailed>(fx: ServiceFixture, type: T['type'], runId: string, count: number, timeoutMs: number): Promise<T[]> {
  const names = fx.bus.names;
  return waitForMessages<T>(fx.bus, { stream: names.eventStream('pipelines'), subject: names.eventFilter('pipelines', type), predicate: (e) => e.payload.runId === runId, count, timeoutMs });
}

export async function buildCompletedFor(fx: ServiceFixture, runId: string): Promise<BuildCompleted> {
  return (await eventsOf<BuildCompleted>(fx, 'BuildCompleted', runId, 1, 20_000))[0]!;
}

export async function ingestionFailedFor(fx: ServiceFixture, runId: string): Promise<IngestionFailed> {
  return (await eventsOf<IngestionFailed>(fx, 'BuildResultIngestionFailed', runId, 1, 20_000))[0]!;
}

/** how many BuildCompleted of a run reach the bus within a short wait (after the consumer is drained) */
export async function buildsCompletedOnBus(fx: ServiceFixture, runId: string, waitMs = 1_500): Promise<number> {
  try {
    return (await eventsOf<BuildCompleted>(fx, 'BuildCompleted', runId, 2, waitMs)).length;
  } catch (error) {
    const found = /found (\d+) of/.exec(String(error));
    if (!found) throw error;
    return Number(found[1]);
  }
}

/** waits until the service's PipelineRunFinished consumer has settled everything published to it */
export async function consumerDrained(fx: ServiceFixture): Promise<void> {
  const names = fx.bus.names;
  await eventually(async () => {
    const info = await fx.bus.jsm.consumers.info(names.eventStream('pipelines'), names.eventDurable('build-result', 'PipelineRunFinished'));
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  }, 'the PipelineRunFinished consumer to drain');
}

/** the event types of a run's stream in the service's own event store (the outbox), in order */
export async function streamTypes(service: RunningService, runId: string): Promise<string[]> {
  const rows: Array<{ type: string }> = await service.dataSource.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY version`, [buildStream(runId)]);
  return rows.map((row) => row.type);
}

export async function buildRows(service: RunningService, runId: string): Promise<Array<{ build_id: string; status: string }>> {
  return service.dataSource.query(`SELECT build_id, status FROM builds WHERE run_id = $1`, [runId]);
}
