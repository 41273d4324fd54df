import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { EventStore } from '@delivery/eventstore';
import type { JetStreamContext } from '@delivery/messaging';
import { handleOnce } from '@delivery/persistence';
import { RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { appendAll, EVENT_STORE } from '@delivery/service-kit';
import { Inject } from '@nestjs/common';
import { RepositorySync, type SyncRequest } from '../sync/repository.sync';
import { IntervalScheduler } from './interval.scheduler';

// The bus triggers: this service's copy of the repository directory (a GitOps repository starts its interval
// timer), and the commits and merges that move a GitOps repository's default branch.
@Controller()
export class GitOpsTriggerReactions {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly directory: RepositoryDirectory,
    private readonly repositories: RepositorySync,
    private readonly interval: IntervalScheduler,
  ) {}

  @EventPattern('RepositoryProvisioned')
  async provisioned(@Payload() event: Envelope<PayloadOf<'RepositoryProvisioned'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { repositoryId, name, defaultBranch, purpose, provider, cloneUrl } = event.payload;
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const record: RepositoryRecord = { repositoryId, tenantId: event.tenantId, projectId: event.projectId, name, defaultBranch, purpose, provider, cloneUrl };
      await this.directory.record(manager, record);
      if (purpose === 'gitops') await this.interval.next(manager, record);
    });
  }

  @EventPattern('CommitCreated')
  async committed(@Payload() event: Envelope<PayloadOf<'CommitCreated'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    const { repositoryId, branch, sha, message, trailers, revertOf } = event.payload;
    const commit = { sha, ...(message !== undefined ? { message } : {}), ...(trailers ? { trailers } : {}), ...(revertOf ? { revertOf } : {}) };
    await this.trigger(event, ctx, repositoryId, branch, { trigger: 'commit', commit });
  }

  @EventPattern('PullRequestMerged')
  async merged(@Payload() event: Envelope<PayloadOf<'PullRequestMerged'>>, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.trigger(event, ctx, event.payload.repositoryId, event.payload.targetBranch, { trigger: 'merge' });
  }

  // the branch head is synced, not the event's sha: an event that arrives late never takes the runtime back
  private async trigger(event: Envelope, ctx: JetStreamContext, repositoryId: string, branch: string, request: SyncRequest): Promise<void> {
    await handleOnce(this.dataSource, { consumer: ctx.getConsumer(), envelopeId: event.id }, async (manager) => {
      const repository = await this.directory.find({ tenantId: event.tenantId, projectId: event.projectId }, repositoryId, manager);
      if (!repository || repository.purpose !== 'gitops' || repository.defaultBranch !== branch) return;
      const outcome = await this.repositories.sync(manager, repository, request);
      await appendAll(this.store, outcome.appends, manager);
    });
  }
}
