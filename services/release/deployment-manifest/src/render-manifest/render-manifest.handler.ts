import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { schemas } from '@delivery/contracts';
import { RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandHandler, CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { ManifestPlanner } from '../gitops/manifest.planner';
import { lockBranch, setInFlight } from '../manifest.branches';
import { contextOf, manifestStream, renderFailedOf, type RenderManifestCommand } from '../manifest.messages';
import { PendingRenders } from '../manifest.pending';
import { submissionOf } from '../manifest.submission';

// RenderManifest on the bus (the promotion's strategy steps). The inbox of the CommandRunner makes a redelivery a
// no-op; the CreateCommit goes out through the outbox with the pending render, so either both exist or neither.
// While another commit of this service is in flight on the branch the render only joins the branch's queue: the
// answer of that commit plans and sends it (CommitOutcomeReactions), on the head that commit made.
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
    const context = contextOf(command);
    const branch = { repositoryId: input.gitops.repositoryId, branch: input.gitops.branch };
    if ((await lockBranch(manager, branch)) !== null) {
      await this.pending.queue(manager, context, input);
      return { appends: [], result: undefined };
    }
    const plan = await this.planner.plan(repository, input);
    const submission = submissionOf(input, plan, context, command.id);
    const stream = manifestStream(input);
    if (submission.kind === 'unchanged') return { appends: [{ stream, events: [submission.answer] }], result: undefined };
    await this.pending.open(manager, context, input, submission.idempotencyKey, plan.rendered);
    await setInFlight(manager, branch, submission.idempotencyKey);
    return { appends: [{ stream, events: [submission.command] }], result: undefined };
  }

  failed(command: RenderManifestCommand, failure: schemas.Failure): StreamAppend {
    return { stream: manifestStream(command.payload), events: [renderFailedOf(command.payload, failure, contextOf(command))] };
  }
}
