import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { schemas } from '@delivery/contracts';
import { RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandHandler, CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { ManifestPlanner } from '../gitops/manifest.planner';
import { contextOf, manifestStream, renderFailedOf, type RenderManifestCommand } from '../manifest.messages';
import { PendingRenders } from '../manifest.pending';
import { submissionOf } from '../manifest.submission';

// RenderManifest on the bus (the promotion's strategy steps). The inbox of the CommandRunner makes a redelivery a
// no-op; the CreateCommit goes out through the outbox with the pending render, so either both exist or neither.
@Injectable()
export class RenderManifestHandler implements CommandHandler<'RenderManifest', void> {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly planner: ManifestPlanner,
    private readonly pending: PendingRenders,
  ) {}

  async execute(command: RenderManifestCommand, manager: EntityManager, origin: CommandOrigin): Promise<Decision<void>> {
    const input = command.payload;
    const repository = await this.directory.require(command, input.gitops.repositoryId, origin, manager);
    const plan = await this.planner.plan(repository, input);
    const context = contextOf(command);
    const submission = submissionOf(input, plan, context, command.id);
    const stream = manifestStream(input);
    if (submission.kind === 'unchanged') return { appends: [{ stream, events: [submission.answer] }], result: undefined };
    await this.pending.open(manager, context, input, submission.idempotencyKey, plan.rendered);
    return { appends: [{ stream, events: [submission.command] }], result: undefined };
  }

  failed(command: RenderManifestCommand, failure: schemas.Failure): StreamAppend {
    return { stream: manifestStream(command.payload), events: [renderFailedOf(command.payload, failure, contextOf(command))] };
  }
}
