import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { manifestRendersMigration } from './manifest.migration';
import { DeploymentManifestModule } from './deployment-manifest.module';

export const deploymentManifestService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'deployment-manifest',
  module: DeploymentManifestModule,
  migrations: [repositoryDirectoryMigration, manifestRendersMigration],
  openapi: {
    title: 'deployment-manifest service',
    description: 'Renders the desired state of an application in an environment and commits it to the GitOps repository (release context).',
  },
  ...overrides,
});
