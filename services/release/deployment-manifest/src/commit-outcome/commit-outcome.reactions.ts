import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import { PlatformError, type JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { RepositoryDirectory } from '@delivery/repository-directory';
import { appendAll, EVENT_STORE, failureOf, type StreamAppend } from '@delivery/service-kit';
import { ManifestPlanner, type ManifestPlan } from '../gitops/manifest.planner';
import { manifestStream, renderedOf, renderFailedOf } from '../manifest.messages';
import { PendingRenders, type PendingRender } from '../manifest.pending';
import { submissionOf } from '../manifest.submission';

type CommitCreated = Envelope<PayloadOf<'CommitCreated'>, 'CommitCreated'>;
type CommitFailed = Envelope<PayloadOf<'CommitFailed'>, 'CommitFailed'>;
type Failure = PayloadOf<'CommitFailed'>['error'];

/** only manifest commits are ours (README: `manifest:<releaseId>:<environment>:<digest>`) */
const KEY_PREFIX = 'manifest:';
/** commits one RenderManifest may send in all: the first and those after the branch moved under it */
const MAX_ATTEMPTS = 4;
const REF_CONFLICT = 'git.ref-conflict';

// The commit service's replies to the CreateCommits this service sent: each answers the renders waiting on its
// idempotency key. A reply nobody waits on (another service's commit, an attempt already answered) is acked.
@Controller()
export class CommitOutcomeReactions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly pending: PendingRenders,
    private readonly directory: RepositoryDirectory,
    private readonly planner: ManifestPlanner,
  ) {}

  @EventPattern('CommitCreated')
  async created(@Payload() event: CommitCreated, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.answer(event, ctx, async (render, manager) => {
      // the key named an earlier commit: the branch may have moved on to other manifests since (this release
      // deployed again after another one), so check that it still holds these bytes before answering with it
      if (event.payload.duplicate) return this.replan(render, manager, event, render.context.renderId);
      const { sha } = event.payload;
      await this.pending.close(manager, render.context.renderId, { state: 'rendered', revision: sha });
      return { stream: manifestStream(render.input), events: [renderedOf(render.input, render, { changed: true, revision: sha }, render.context)] };
    });
  }

  @EventPattern('CommitFailed')
  async failed(@Payload() event: CommitFailed, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.answer(event, ctx, (render, manager) => {
      const { error } = event.payload;
      // the branch moved between render and commit (another release of the environment won the race):
      // render again on top of it, so the slots see what now runs there
      if (error.code === REF_CONFLICT) return this.replan(render, manager, event);
      return this.fail(render, manager, error);
    });
  }

  private async answer(event: CommitCreated | CommitFailed, ctx: JetStreamContext, reply: (render: PendingRender, manager: EntityManager) => Promise<StreamAppend>): Promise<void> {
    const { idempotencyKey, repositoryId } = event.payload;
    if (idempotencyKey === undefined || !idempotencyKey.startsWith(KEY_PREFIX)) return;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const renders = await this.pending.waitingOn(manager, { tenantId: event.tenantId, repositoryId, idempotencyKey });
      const appends: StreamAppend[] = [];
      for (const render of renders) appends.push(await reply(render, manager));
      await appendAll(this.store, appends, manager);
    });
  }

  /** renders again against the branch as it is now: answered at once when it holds the bytes, else committed again */
  private async replan(render: PendingRender, manager: EntityManager, reply: CommitCreated | CommitFailed, uniqueTo?: string): Promise<StreamAppend> {
    const { context, input } = render;
    const planned = await this.plan(render, manager);
    if (!('baseSha' in planned)) return this.fail(render, manager, planned);
    const submission = submissionOf(input, planned, context, reply.id, uniqueTo);
    const stream = manifestStream(input);
    if (submission.kind === 'unchanged') {
      await this.pending.close(manager, context.renderId, { state: 'rendered', revision: planned.baseSha });
      return { stream, events: [submission.answer] };
    }
    if (render.attempts >= MAX_ATTEMPTS) {
      const failure = reply.type === 'CommitFailed' ? reply.payload.error : undefined;
      return this.fail(render, manager, failure ?? { code: 'manifest.gave-up', message: `the branch kept moving: ${render.attempts} commits of these manifests did not land`, retryable: true });
    }
    await this.pending.retry(manager, context.renderId, submission.idempotencyKey, planned.rendered);
    return { stream, events: [submission.command] };
  }

  // what can never render (the release no longer fits the new head, the repository is gone) is the answer;
  // anything else (git unavailable) is thrown, and the reply redelivered
  private async plan(render: PendingRender, manager: EntityManager): Promise<ManifestPlan | Failure> {
    const { context, input } = render;
    const repository = await this.directory.find({ tenantId: context.tenantId, projectId: context.projectId }, input.gitops.repositoryId, manager);
    if (!repository) return { code: 'repository.not-found', message: `repository ${input.gitops.repositoryId} not found in project ${context.projectId}`, retryable: false };
    try {
      return await this.planner.plan(repository, input);
    } catch (error) {
      if (error instanceof PlatformError && error.disposition === 'reject' && !failureOf(error).retryable) return failureOf(error);
      throw error;
    }
  }

  private async fail(render: PendingRender, manager: EntityManager, error: Failure): Promise<StreamAppend> {
    await this.pending.close(manager, render.context.renderId, { state: 'failed' });
    return { stream: manifestStream(render.input), events: [renderFailedOf(render.input, error, render.context)] };
  }
}
