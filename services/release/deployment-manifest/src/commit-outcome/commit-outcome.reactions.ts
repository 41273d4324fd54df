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
import { lockBranch, setInFlight, type BranchRef } from '../manifest.branches';
import { manifestStream, renderedOf, renderFailedOf } from '../manifest.messages';
import { PendingRenders, type OpenRender, type PendingRender } from '../manifest.pending';
import { submissionOf } from '../manifest.submission';

type CommitCreated = Envelope<PayloadOf<'CommitCreated'>, 'CommitCreated'>;
type CommitFailed = Envelope<PayloadOf<'CommitFailed'>, 'CommitFailed'>;
type Failure = PayloadOf<'CommitFailed'>['error'];
/** what a reply means for one render waiting on it: its answer, or another commit on the head as it is now */
type Reply = { answer: StreamAppend } | { again: true; uniqueTo?: string };

/** only manifest commits are ours (README: `manifest:<releaseId>:<environment>:<digest>`) */
const KEY_PREFIX = 'manifest:';
/**
 * commits one RenderManifest may send in all. This service has one commit in flight per branch (the queue), so a
 * lost compare-and-swap means a commit from outside it (a person, another tool) landed on the GitOps branch
 * between plan and commit: a few more tries ride out such a commit, one that keeps losing names the culprit.
 */
const MAX_ATTEMPTS = 4;
const REF_CONFLICT = 'git.ref-conflict';

// The commit service's replies to the CreateCommits this service sent: each answers the renders waiting on its
// idempotency key, and hands the branch on to the next render queued on it (planned on the head the reply leaves,
// so it cannot lose to this service's own commits). A reply nobody waits on (another service's commit, an attempt
// already answered) is acked.
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
      if (event.payload.duplicate) return { again: true, uniqueTo: render.context.renderId };
      const { sha } = event.payload;
      await this.pending.close(manager, render.context.renderId, { state: 'rendered', revision: sha });
      return { answer: { stream: manifestStream(render.input), events: [renderedOf(render.input, render, { changed: true, revision: sha }, render.context)] } };
    });
  }

  @EventPattern('CommitFailed')
  async failed(@Payload() event: CommitFailed, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.answer(event, ctx, async (render, manager) => {
      const { error } = event.payload;
      if (error.code !== REF_CONFLICT) return { answer: await this.fail(render, manager, error) };
      if (render.attempts >= MAX_ATTEMPTS) {
        const { repositoryId, branch } = event.payload;
        const message = `branch ${branch} of repository ${repositoryId} moved under each of ${render.attempts} commits of these manifests: something outside deployment-manifest keeps committing to it`;
        return { answer: await this.fail(render, manager, { ...error, message }) };
      }
      // someone outside this service committed between plan and commit: render again on top of it, so the slots
      // see what now runs there
      return { again: true };
    });
  }

  private async answer(event: CommitCreated | CommitFailed, ctx: JetStreamContext, reply: (render: PendingRender, manager: EntityManager) => Promise<Reply>): Promise<void> {
    const { idempotencyKey, repositoryId, branch } = event.payload;
    if (idempotencyKey === undefined || !idempotencyKey.startsWith(KEY_PREFIX)) return;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const ref: BranchRef = { repositoryId, branch };
      // the branch before its renders, the order RenderManifest takes them in: neither waits on the other's lock
      const inFlight = await lockBranch(manager, ref);
      const renders = await this.pending.waitingOn(manager, { tenantId: event.tenantId, repositoryId, idempotencyKey });
      if (renders.length === 0) return;
      const appends: StreamAppend[] = [];
      const again: Array<{ render: PendingRender; uniqueTo?: string }> = [];
      for (const render of renders) {
        const outcome = await reply(render, manager);
        if ('answer' in outcome) appends.push(outcome.answer);
        else again.push({ render, uniqueTo: outcome.uniqueTo });
      }
      // this reply ends the commit in flight, so the branch is its to hand on; a reply to another key than the one
      // in flight (never expected: only the key in flight has renders waiting) leaves the branch to that one
      const handsOn = inFlight === null || inFlight === idempotencyKey;
      let next = handsOn ? null : inFlight;
      // first a render that must commit again (it waited longest), then the queue in arrival order; a render the
      // branch already holds is answered at once and the next one taken
      for (const { render, uniqueTo } of again) {
        if (next !== null) await this.pending.requeue(manager, render.context.renderId);
        else next = await this.submit(render, manager, event.id, appends, uniqueTo);
      }
      while (next === null) {
        const queued = await this.pending.nextQueued(manager, ref);
        if (!queued) break;
        next = await this.submit(queued, manager, event.id, appends);
      }
      if (handsOn) await setInFlight(manager, ref, next);
      await appendAll(this.store, appends, manager);
    });
  }

  /**
   * plans a render against the branch as it is now and adds what follows to appends: its answer when the branch
   * already holds its bytes or it can no longer render, else its CreateCommit, whose key is returned (in flight)
   */
  private async submit(render: OpenRender, manager: EntityManager, causationId: string, appends: StreamAppend[], uniqueTo?: string): Promise<string | null> {
    const { context, input } = render;
    const planned = await this.plan(render, manager);
    if (!('baseSha' in planned)) {
      appends.push(await this.fail(render, manager, planned));
      return null;
    }
    const submission = submissionOf(input, planned, context, causationId, uniqueTo);
    const stream = manifestStream(input);
    if (submission.kind === 'unchanged') {
      await this.pending.close(manager, context.renderId, { state: 'rendered', revision: planned.baseSha });
      appends.push({ stream, events: [submission.answer] });
      return null;
    }
    await this.pending.sent(manager, context.renderId, submission.idempotencyKey, planned.rendered);
    appends.push({ stream, events: [submission.command] });
    return submission.idempotencyKey;
  }

  // what can never render (the release no longer fits the new head, the repository is gone) is the answer;
  // anything else (git unavailable) is thrown, and the reply redelivered
  private async plan(render: OpenRender, manager: EntityManager): Promise<ManifestPlan | Failure> {
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

  private async fail(render: OpenRender, manager: EntityManager, error: Failure): Promise<StreamAppend> {
    await this.pending.close(manager, render.context.renderId, { state: 'failed' });
    return { stream: manifestStream(render.input), events: [renderFailedOf(render.input, error, render.context)] };
  }
}
