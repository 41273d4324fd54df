import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DueTimer, StreamAppend, TimerHandler } from '@delivery/service-kit';
import { ReleaseFlow } from './release.flow';
import { APPROVAL_EXPIRY_TIMER, WINDOW_TIMER, type ApprovalExpiryTimer } from './release.timer-keys';

// Fires the release service's timers inside the transaction that deletes them: a deployment window opened (the
// saga looks again), or an approval expired (ExpireApproval; the domain ignores one renewed or no longer needed).
@Injectable()
export class ReleaseTimerHandler implements TimerHandler {
  constructor(private readonly flow: ReleaseFlow) {}

  async fire(timer: DueTimer, manager: EntityManager): Promise<StreamAppend[]> {
    const { releaseId } = timer.payload as { releaseId: string };
    const loaded = await this.flow.load(manager, releaseId);
    if (loaded.row === undefined) return [];
    const scope = this.flow.scopeOf(loaded);
    if (timer.kind === WINDOW_TIMER) return (await this.flow.commit(manager, loaded, [], scope)).appends;
    if (timer.kind === APPROVAL_EXPIRY_TIMER) {
      const { environment, approver, role } = timer.payload as ApprovalExpiryTimer;
      const command = { type: 'ExpireApproval' as const, payload: { releaseId, environment, approver, role, expiredAt: timer.dueAt } };
      return (await this.flow.decide(manager, loaded, command, { now: new Date() }, scope)).appends;
    }
    throw new Error(`unknown release timer kind ${timer.kind}`);
  }
}
