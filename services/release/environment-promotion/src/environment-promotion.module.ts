import { Module } from '@nestjs/common';
import { commandConsumer, Timers, timerPoller } from '@delivery/service-kit';
import { PromoteDeploymentHandler } from './promote-deployment/promote-deployment.handler';
import { PromotionEngine } from './promotion.engine';
import { PromotionReactions } from './promotion.reactions';
import { PromotionRepository } from './promotion.repository';
import { PromotionTimers } from './promotion.timers';
import { PromotionsController } from './promotions.controller';
import { RollbackDeploymentHandler } from './rollback-deployment/rollback-deployment.handler';

@Module({
  controllers: [
    commandConsumer('PromoteDeployment', PromoteDeploymentHandler),
    commandConsumer('RollbackDeployment', RollbackDeploymentHandler),
    PromotionReactions,
    PromotionsController,
  ],
  providers: [PromotionRepository, PromotionEngine, Timers, PromotionTimers, timerPoller(PromotionTimers), PromoteDeploymentHandler, RollbackDeploymentHandler],
})
export class EnvironmentPromotionModule {}
