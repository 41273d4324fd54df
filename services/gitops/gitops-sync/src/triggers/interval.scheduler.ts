import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RepositoryRecord } from '@delivery/repository-directory';
import { Timers } from '@delivery/service-kit';
import { jittered } from '../sync/gitops.layout';
import { INTERVAL_TIMER, intervalKey, SYNC_SETTINGS, type IntervalPayload, type SyncSettings } from './sync.settings';

// One durable interval timer per GitOps repository, moved on after every firing.
@Injectable()
export class IntervalScheduler {
  constructor(
    private readonly timers: Timers,
    @Inject(SYNC_SETTINGS) private readonly settings: SyncSettings,
  ) {}

  async next(manager: EntityManager, repository: Pick<RepositoryRecord, 'tenantId' | 'projectId' | 'repositoryId'>): Promise<void> {
    const payload: IntervalPayload = { tenantId: repository.tenantId, projectId: repository.projectId, repositoryId: repository.repositoryId };
    const dueAt = new Date(Date.now() + jittered(this.settings.intervalMs, this.settings.jitter));
    await this.timers.schedule(manager, { key: intervalKey(repository.repositoryId), kind: INTERVAL_TIMER, dueAt, payload });
  }
}
