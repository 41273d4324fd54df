import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { PlatformError, type JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { appendAll, EVENT_STORE, failureOf, type StreamAppend } from '@delivery/service-kit';
import { generatePipeline } from '../domain/pipeline.generator';
import { createCommitOf, generatedOf, generationFailedOf, idempotencyKeyOf, KEY_PREFIX, pipelineStream } from '../pipeline.messages';
import { PipelinePlanner, type PipelinePlan } from '../pipeline.planner';
import { PipelineStore, type PendingRequest } from '../pipeline.store';

type CommitCreated = Envelope<PayloadOf<'CommitCreated'>, 'CommitCreated'>;
type CommitFailed = Envelope<PayloadOf<'CommitFailed'>, 'CommitFailed'>;
type Failure = PayloadOf<'CommitFailed'>['error'];

/**
 * CreateCommits one GeneratePipeline may send in all. There is no per-branch queue: generations on one branch
 * (other modules, the same module twice) race on its head, and the loser plans again on the head the winner left.
 * A few tries ride out a burst; one that keeps losing names the culprit.
 */
const MAX_ATTEMPTS = 5;
const REF_CONFLICT = 'git.ref-conflict';

// The commit service's replies to the CreateCommits this service sent (keys `pipeline:<requestId>:<attempt>`). A
// reply nobody waits on (another service's commit, an attempt already answered) is acked.
@Controller()
export class CommitOutcomeReactions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    private readonly store: PipelineStore,
    private readonly directory: RepositoryDirectory,
    private readonly planner: PipelinePlanner,
  ) {}

  // a duplicate (redelivered CreateCommit) names the commit this very attempt made: the answer all the same
  @EventPattern('CommitCreated')
  async created(@Payload() event: CommitCreated, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.answer(event, ctx, async (request, manager) => {
      const { sha } = event.payload;
      await this.store.close(manager, request.context.requestId, { state: 'generated', commitSha: sha });
      return this.generated(request, manager, sha);
    });
  }

  @EventPattern('CommitFailed')
  async failed(@Payload() event: CommitFailed, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.answer(event, ctx, async (request, manager) => {
      const { error } = event.payload;
      if (error.code !== REF_CONFLICT) return this.fail(request, manager, error);
      if (request.attempts >= MAX_ATTEMPTS) {
        const message = `branch ${request.input.branch} of repository ${request.input.repositoryId} moved under each of ${request.attempts} commits of this pipeline file`;
        return this.fail(request, manager, { ...error, message });
      }
      return this.again(request, manager, event.id);
    });
  }

  private async answer(event: CommitCreated | CommitFailed, ctx: JetStreamContext, reply: (request: PendingRequest, manager: EntityManager) => Promise<StreamAppend>): Promise<void> {
    const { idempotencyKey, repositoryId } = event.payload;
    if (idempotencyKey === undefined || !idempotencyKey.startsWith(KEY_PREFIX)) return;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const request = await this.store.waitingOn(manager, { tenantId: event.tenantId, repositoryId, idempotencyKey });
      if (!request) return;
      await appendAll(this.eventStore, [await reply(request, manager)], manager);
    });
  }

  /** someone committed to the branch between plan and commit: compare with the new head, commit again if needed */
  private async again(request: PendingRequest, manager: EntityManager, causationId: string): Promise<StreamAppend> {
    const planned = await this.plan(request, manager);
    if (!('headSha' in planned)) return this.fail(request, manager, planned);
    if (planned.action === null) {
      // the winner wrote these very bytes (the same metadata asked for twice): nothing left to commit
      await this.store.close(manager, request.context.requestId, { state: 'generated', commitSha: null });
      return this.generated(request, manager, null);
    }
    const idempotencyKey = idempotencyKeyOf(request.context.requestId, request.attempts + 1);
    await this.store.resent(manager, request.context.requestId, idempotencyKey);
    const commit = createCommitOf(
      request.input,
      { pipelineId: request.pipelineId, generated: planned.generated, action: planned.action, expectedParentSha: planned.headSha, idempotencyKey },
      request.context,
      causationId,
    );
    return { stream: pipelineStream(request.pipelineId), events: [commit] };
  }

  // what can never succeed (the repository or the branch is gone) is the answer; anything else (git unavailable)
  // is thrown, and the reply redelivered
  private async plan(request: PendingRequest, manager: EntityManager): Promise<PipelinePlan | Failure> {
    const { context, input } = request;
    const repository = await this.directory.find({ tenantId: context.tenantId, projectId: context.projectId }, input.repositoryId, manager);
    if (!repository) return { code: 'repository.not-found', message: `repository ${input.repositoryId} not found in project ${context.projectId}`, retryable: false };
    try {
      return await this.planner.plan(repository, input, generatePipeline(input.module, input.pipelinePath));
    } catch (error) {
      if (error instanceof PlatformError && error.disposition === 'reject' && !failureOf(error).retryable) return failureOf(error);
      throw error;
    }
  }

  private async generated(request: PendingRequest, manager: EntityManager, commitSha: string | null): Promise<StreamAppend> {
    const { context, input, pipelineId, path, contentDigest } = request;
    await this.store.recordDefinition(manager, context, { pipelineId, repositoryId: input.repositoryId, branch: input.branch, module: input.module.name, path, contentDigest, commitSha });
    return { stream: pipelineStream(pipelineId), events: [generatedOf(input, { pipelineId, pipelinePath: path, contentDigest, commitSha }, context)] };
  }

  private async fail(request: PendingRequest, manager: EntityManager, error: Failure): Promise<StreamAppend> {
    await this.store.close(manager, request.context.requestId, { state: 'failed' });
    return { stream: pipelineStream(request.pipelineId), events: [generationFailedOf(request.input, error, request.context)] };
  }
}
