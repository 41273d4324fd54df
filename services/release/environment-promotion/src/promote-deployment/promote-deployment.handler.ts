import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { CommandHandler, Decision } from '@delivery/service-kit';
import { baselineFromRuntime } from '../domain/promotion.plan';
import { PromotionEngine } from '../promotion.engine';
import { PromotionRepository, promotionStream } from '../promotion.repository';

type Command = Envelope<PayloadOf<'PromoteDeployment'>, 'PromoteDeployment'>;

// PromoteDeployment (from the release saga): a new attempt, planned from what the environment runs now (the last
// GitOps report of the application), starts with the render of its first step.
@Injectable()
export class PromoteDeploymentHandler implements CommandHandler<'PromoteDeployment', { stream: string }> {
  constructor(
    private readonly engine: PromotionEngine,
    private readonly repository: PromotionRepository,
  ) {}

  async execute(command: Command, manager: EntityManager): Promise<Decision<{ stream: string }>> {
    const { releaseId, environment, application, strategy } = command.payload;
    const stream = promotionStream(releaseId, environment);
    const runtime = await this.repository.runtime(manager, command.tenantId, environment, application);
    const baseline = baselineFromRuntime(strategy, runtime ? { revision: runtime.payload.revision, ...(runtime.payload.weights ? { weights: runtime.payload.weights } : {}) } : null);
    const appends = await this.engine.handle(manager, stream, { kind: 'promote', command, baseline, now: new Date() });
    return { appends, result: { stream } };
  }
}
