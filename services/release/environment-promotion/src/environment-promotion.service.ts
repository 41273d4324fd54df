import { timersMigration, type ServiceDefinition } from '@delivery/service-kit';
import { EnvironmentPromotionModule } from './environment-promotion.module';
import { promotionMigration } from './promotion.migration';

export const environmentPromotionService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'environment-promotion',
  module: EnvironmentPromotionModule,
  migrations: [timersMigration, promotionMigration],
  openapi: {
    title: 'environment-promotion service',
    description: 'Promotes a release into one environment: render, GitOps sync, traffic steps and health gates, and rolls it back (release context).',
  },
  ...overrides,
});
