import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { PipelineGeneratorModule } from './pipeline-generator.module';
import { pipelineDefinitionsMigration } from './pipeline.migration';

export const pipelineGeneratorService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'pipeline-generator',
  module: PipelineGeneratorModule,
  migrations: [repositoryDirectoryMigration, pipelineDefinitionsMigration],
  openapi: {
    title: 'pipeline-generator service',
    description: "Generates a module's Azure Pipelines YAML from its metadata, checks it against the published schema and commits it to the module's repository (pipelines context).",
  },
  ...overrides,
});
