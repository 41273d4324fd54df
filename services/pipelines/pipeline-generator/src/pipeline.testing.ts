import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { waitForMessages, type ServiceFixture } from '@delivery/testing';
// the real commit service answers the CreateCommits (integration tests only: services never import each other)
import { startCommittingHarness, type CommittingHarness } from '../../../source-control/commit/src/commit.testing';
import { pipelineGeneratorService } from './pipeline-generator.service';
import type { ModuleMetadata } from './domain/pipeline.generator';
import type { GeneratePipelineInput } from './pipeline.messages';

// Shared by the service's integration tests: this service and the commit service on real NATS, Postgres and git.
export type GeneratedEvent = Envelope<PayloadOf<'PipelineGenerated'>, 'PipelineGenerated'>;
export type GenerationFailedEvent = Envelope<PayloadOf<'PipelineGenerationFailed'>, 'PipelineGenerationFailed'>;

export type PipelineHarness = CommittingHarness & { generator: RunningService };

/** options.commits false: the commit service starts later (startCommits), so CreateCommits wait on the bus */
export async function startPipelineHarness(options: { commits?: boolean } = {}): Promise<PipelineHarness> {
  const harness = await startCommittingHarness('pipelines', pipelineGeneratorService(), options);
  return Object.assign(harness, { generator: harness.service });
}

export function generateInput(repo: SeededRepository, module: ModuleMetadata, overrides: Partial<GeneratePipelineInput> = {}): GeneratePipelineInput {
  return { repositoryId: repo.repositoryId, branch: 'main', module, ...overrides };
}

/** the answers to one GeneratePipeline (causationId), in order */
export function answersTo<T extends GeneratedEvent | GenerationFailedEvent>(fx: ServiceFixture, type: T['type'], requestId: string, count = 1, timeoutMs = 20_000): Promise<T[]> {
  const names = fx.bus.names;
  return waitForMessages<T>(fx.bus, { stream: names.eventStream('pipelines'), subject: names.eventFilter('pipelines', type), predicate: (e) => e.causationId === requestId, count, timeoutMs });
}

export async function generatedFor(fx: ServiceFixture, requestId: string): Promise<GeneratedEvent> {
  const [event] = await answersTo<GeneratedEvent>(fx, 'PipelineGenerated', requestId);
  return event!;
}

export async function generationFailedFor(fx: ServiceFixture, requestId: string): Promise<GenerationFailedEvent> {
  const [event] = await answersTo<GenerationFailedEvent>(fx, 'PipelineGenerationFailed', requestId);
  return event!;
}

/** the types of the events this service appended to the stream of one pipeline file */
export async function streamTypes(generator: RunningService, pipelineId: string): Promise<string[]> {
  const rows: Array<{ type: string }> = await generator.dataSource.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY version`, [`pipeline-${pipelineId}`]);
  return rows.map((row) => row.type);
}
