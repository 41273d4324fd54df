import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { commitLedgerMigration } from './commit.migration';
import { CommitModule } from './commit.module';

export const commitService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'commit',
  module: CommitModule,
  migrations: [repositoryDirectoryMigration, commitLedgerMigration],
  openapi: { title: 'commit service', description: 'Commits and reverts on the branches of a repository, exactly once (source-control context).' },
  ...overrides,
});
