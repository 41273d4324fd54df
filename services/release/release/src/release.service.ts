import { timersMigration, type ServiceDefinition } from '@delivery/service-kit';
import { releaseMigration } from './release.migration';
import { ReleaseModule } from './release.module';

export const releaseService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'release',
  module: ReleaseModule,
  migrations: [timersMigration, releaseMigration],
  openapi: { title: 'release service', description: 'Release plans, approvals by policy, and the saga that promotes a release through its environments (release context).' },
  ...overrides,
});
