import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { pullRequestMigration } from './pull-request.migration';
import { PullRequestModule } from './pull-request.module';

export const pullRequestService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'pull-request',
  module: PullRequestModule,
  migrations: [repositoryDirectoryMigration, pullRequestMigration],
  openapi: { title: 'pull-request service', description: 'Pull requests, reviews, status checks and merge policy (source-control context).' },
  ...overrides,
});
