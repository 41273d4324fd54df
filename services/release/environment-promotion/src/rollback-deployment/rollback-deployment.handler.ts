import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { CommandHandler, Decision } from '@delivery/service-kit';
import { PromotionEngine } from '../promotion.engine';
import { promotionStream } from '../promotion.repository';

type Command = Envelope<PayloadOf<'RollbackDeployment'>, 'RollbackDeployment'>;

// RollbackDeployment (from the release saga after PromotionFailed): revert every manifest commit of the latest
// attempt, newest first. Refused with a coded IllegalStateError when the promotion is unknown, still running, or
// never rendered a revision (the saga only asks when PromotionFailed.revision is set).
@Injectable()
export class RollbackDeploymentHandler implements CommandHandler<'RollbackDeployment', { stream: string }> {
  constructor(private readonly engine: PromotionEngine) {}

  async execute(command: Command, manager: EntityManager): Promise<Decision<{ stream: string }>> {
    const stream = promotionStream(command.payload.releaseId, command.payload.environment);
    const appends = await this.engine.handle(manager, stream, { kind: 'rollback', command, now: new Date() });
    return { appends, result: { stream } };
  }
}
