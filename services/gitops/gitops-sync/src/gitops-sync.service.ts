import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import { timersMigration, type ServiceDefinition } from '@delivery/service-kit';
import { gitopsApplicationsMigration } from './gitops.migration';
import { GitOpsSyncModule, type GitOpsSyncOptions } from './gitops-sync.module';

export const gitopsSyncService = (options: GitOpsSyncOptions = {}, overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'gitops-sync',
  module: GitOpsSyncModule.forRoot(options),
  migrations: [repositoryDirectoryMigration, timersMigration, gitopsApplicationsMigration],
  openapi: {
    title: 'gitops-sync service',
    description: "Reconciles each environment's desired state from the GitOps repository onto a runtime and reports sync and health per application.",
  },
  ...overrides,
});
