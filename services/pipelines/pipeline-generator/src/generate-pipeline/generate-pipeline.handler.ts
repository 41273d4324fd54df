import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { schemas } from '@delivery/contracts';
import { RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandHandler, CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { contextOf, createCommitOf, generatedOf, generationFailedOf, idempotencyKeyOf, pipelineIdOf, pipelineStream, type GeneratePipelineCommand } from '../pipeline.messages';
import { PipelinePlanner } from '../pipeline.planner';
import { PipelineStore } from '../pipeline.store';
import { defaultPipelinePath } from '../domain/pipeline.generator';

// GeneratePipeline on the bus. Invalid metadata or YAML is refused with every reason (the CommandRunner answers
// with failed()); a file the branch already holds is answered at once; otherwise the CreateCommit goes out through
// the outbox with the pending request, so either both exist or neither. CommitOutcomeReactions answers it.
@Injectable()
export class GeneratePipelineHandler implements CommandHandler<'GeneratePipeline', void> {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly planner: PipelinePlanner,
    private readonly store: PipelineStore,
  ) {}

  async execute(command: GeneratePipelineCommand, manager: EntityManager, origin: CommandOrigin): Promise<Decision<void>> {
    const input = command.payload;
    const repository = await this.directory.require(command, input.repositoryId, origin, manager);
    const plan = await this.planner.checkedPlan(repository, input);
    const context = contextOf(command);
    const { generated } = plan;
    const pipelineId = pipelineIdOf(command.tenantId, input.repositoryId, input.branch, generated.path);
    const stream = pipelineStream(pipelineId);
    const definition = { pipelineId, repositoryId: input.repositoryId, branch: input.branch, module: input.module.name, path: generated.path, contentDigest: generated.contentDigest };
    if (plan.action === null) {
      await this.store.recordDefinition(manager, context, { ...definition, commitSha: null });
      const answer = generatedOf(input, { pipelineId, pipelinePath: generated.path, contentDigest: generated.contentDigest, commitSha: null }, context);
      return { appends: [{ stream, events: [answer] }], result: undefined };
    }
    const idempotencyKey = idempotencyKeyOf(context.requestId, 1);
    await this.store.open(manager, { context, input, pipelineId, path: generated.path, contentDigest: generated.contentDigest, attempts: 1 }, idempotencyKey);
    const commit = createCommitOf(input, { pipelineId, generated, action: plan.action, expectedParentSha: plan.headSha, idempotencyKey }, context, command.id);
    return { appends: [{ stream, events: [commit] }], result: undefined };
  }

  failed(command: GeneratePipelineCommand, failure: schemas.Failure): StreamAppend {
    const input = command.payload;
    const path = input.pipelinePath ?? defaultPipelinePath(input.module);
    return { stream: pipelineStream(pipelineIdOf(command.tenantId, input.repositoryId, input.branch, path)), events: [generationFailedOf(input, failure, contextOf(command))] };
  }
}
