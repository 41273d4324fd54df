import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { DueTimer, StreamAppend, TimerHandler } from '@delivery/service-kit';
import { PromotionEngine, type PromotionTimerPayload } from './promotion.engine';

// Gate deadlines, soak ends and the promotion deadline: a fired timer asks its attempt what is due now. The poller
// may run a little before the database's clock reaches due_at on this host, so now is never earlier than dueAt.
@Injectable()
export class PromotionTimers implements TimerHandler {
  constructor(private readonly engine: PromotionEngine) {}

  fire(timer: DueTimer, manager: EntityManager): Promise<StreamAppend[]> {
    const { stream, promoteId } = timer.payload as PromotionTimerPayload;
    const now = new Date(Math.max(Date.now(), timer.dueAt.getTime()));
    return this.engine.handle(manager, stream, { kind: 'tick', promoteId, now });
  }
}
