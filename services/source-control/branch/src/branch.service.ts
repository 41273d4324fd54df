import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { BranchModule } from './branch.module';

export const branchService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'branch',
  module: BranchModule,
  // this service owns branch_policies; its repositories table is a projection of RepositoryProvisioned
  migrations: [repositoryDirectoryMigration],
  openapi: { title: 'branch service', description: 'Branches of a repository and their merge policies (source-control context).' },
  ...overrides,
});
