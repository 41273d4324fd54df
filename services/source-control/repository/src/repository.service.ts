import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { RepositoryModule } from './repository.module';

export const repositoryService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'repository',
  module: RepositoryModule,
  migrations: [repositoryDirectoryMigration],
  openapi: { title: 'repository service', description: 'Repositories of a project on the configured git provider (source-control context).' },
  ...overrides,
});
