import { createHash } from 'node:crypto';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope, type EnvelopeOptions } from '@delivery/messaging';
import type { GeneratedPipeline } from './domain/pipeline.generator';

// The messages this service sends and the correlation they carry.
export const SERVICE = 'pipeline-generator';
const ACTOR = { kind: 'service', id: SERVICE } as const;

export type GeneratePipelineCommand = Envelope<PayloadOf<'GeneratePipeline'>, 'GeneratePipeline'>;
export type GeneratePipelineInput = PayloadOf<'GeneratePipeline'>;
type Generated = Envelope<PayloadOf<'PipelineGenerated'>, 'PipelineGenerated'>;
type GenerationFailed = Envelope<PayloadOf<'PipelineGenerationFailed'>, 'PipelineGenerationFailed'>;

/** What every answer to one GeneratePipeline inherits from it, kept with the request until the commit replies. */
export interface GenerationContext {
  requestId: string;
  tenantId: string;
  projectId: string;
  traceId: string;
  correlationId: string;
}

export function contextOf(command: GeneratePipelineCommand): GenerationContext {
  return { requestId: command.id, tenantId: command.tenantId, projectId: command.projectId, traceId: command.traceId, correlationId: command.correlationId };
}

/**
 * One id per pipeline file (tenant, repository, branch, path) whoever asks and however often: a name-based UUID
 * (version 8, RFC 9562's custom layout, over SHA-256), so concurrent first generations agree on it.
 */
export function pipelineIdOf(tenantId: string, repositoryId: string, branch: string, path: string): string {
  const hex = createHash('sha256').update([tenantId, repositoryId, branch, path].join('\n')).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function pipelineStream(pipelineId: string): string {
  return `pipeline-${pipelineId}`;
}

/** one key per attempt of one request: a redelivered CreateCommit yields its commit once, a new attempt is new */
export function idempotencyKeyOf(requestId: string, attempt: number): string {
  return `pipeline:${requestId}:${attempt}`;
}

export const KEY_PREFIX = 'pipeline:';

/** The commit of the pipeline file, compare-and-swap on the head it was compared with. */
export function createCommitOf(
  input: GeneratePipelineInput,
  commit: { pipelineId: string; generated: GeneratedPipeline; action: 'add' | 'update'; expectedParentSha: string; idempotencyKey: string },
  context: GenerationContext,
  causationId: string,
): Envelope<PayloadOf<'CreateCommit'>, 'CreateCommit'> {
  const { generated } = commit;
  const payload: PayloadOf<'CreateCommit'> = {
    repositoryId: input.repositoryId,
    branch: input.branch,
    message: `Generate the pipeline of ${input.module.name}`,
    changes: [{ action: commit.action, path: generated.path, content: generated.content }],
    expectedParentSha: commit.expectedParentSha,
    idempotencyKey: commit.idempotencyKey,
    // lineage: from the pipeline file's commit back to the pipeline and the metadata that produced it
    trailers: { 'Pipeline-Id': commit.pipelineId, Module: input.module.name, 'Content-Digest': generated.contentDigest },
  };
  return createEnvelope('CreateCommit', payload, optionsOf(context, causationId));
}

export function generatedOf(
  input: GeneratePipelineInput,
  outcome: { pipelineId: string; pipelinePath: string; contentDigest: string; commitSha: string | null },
  context: GenerationContext,
): Generated {
  const payload: PayloadOf<'PipelineGenerated'> = {
    pipelineId: outcome.pipelineId,
    repositoryId: input.repositoryId,
    branch: input.branch,
    module: input.module.name,
    pipelinePath: outcome.pipelinePath,
    contentDigest: outcome.contentDigest,
    changed: outcome.commitSha !== null,
    commitSha: outcome.commitSha,
  };
  return createEnvelope('PipelineGenerated', payload, optionsOf(context, context.requestId));
}

export function generationFailedOf(input: GeneratePipelineInput, error: schemas.Failure, context: GenerationContext): GenerationFailed {
  const payload: PayloadOf<'PipelineGenerationFailed'> = { repositoryId: input.repositoryId, branch: input.branch, module: input.module.name.slice(0, 100), error };
  return createEnvelope('PipelineGenerationFailed', payload, optionsOf(context, context.requestId));
}

// explicit rather than inherited: answers built when the commit replies are not inside the command's trace
function optionsOf(context: GenerationContext, causationId: string): EnvelopeOptions {
  const { tenantId, projectId, traceId, correlationId } = context;
  return { source: SERVICE, actor: ACTOR, tenantId, projectId, traceId, correlationId, causationId };
}
