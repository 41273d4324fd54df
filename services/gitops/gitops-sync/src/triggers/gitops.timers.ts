import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RepositoryDirectory } from '@delivery/repository-directory';
import type { DueTimer, StreamAppend, TimerHandler } from '@delivery/service-kit';
import { WAKE_TIMER, type WakePayload } from '../sync/application.reconciler';
import { RepositorySync } from '../sync/repository.sync';
import { IntervalScheduler } from './interval.scheduler';
import { INTERVAL_TIMER, type IntervalPayload } from './sync.settings';

// interval: every application of the repository at its head, then the next interval; wake: the one application
// the decider (or a rollout in progress) asked to see again, at the revision it was evaluated at.
@Injectable()
export class GitOpsTimers implements TimerHandler {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly repositories: RepositorySync,
    private readonly interval: IntervalScheduler,
  ) {}

  async fire(timer: DueTimer, manager: EntityManager): Promise<StreamAppend[]> {
    if (timer.kind === INTERVAL_TIMER) {
      const { tenantId, projectId, repositoryId } = timer.payload as IntervalPayload;
      const repository = await this.directory.find({ tenantId, projectId }, repositoryId, manager);
      if (!repository) return [];
      // a sync that throws rolls this back too: the poller then fires this timer again a little later
      await this.interval.next(manager, repository);
      return (await this.repositories.sync(manager, repository, { trigger: 'interval' })).appends;
    }
    if (timer.kind === WAKE_TIMER) {
      const key = timer.payload as WakePayload;
      const repository = await this.directory.find({ tenantId: key.tenantId, projectId: key.projectId }, key.repositoryId, manager);
      if (!repository) return [];
      // the revision it was evaluated at: a new commit is the triggers' and the interval's to find, not a wake's
      return this.repositories.wake(manager, repository, key);
    }
    return [];
  }
}
