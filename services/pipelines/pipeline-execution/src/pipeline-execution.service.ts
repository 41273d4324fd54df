import { repositoryDirectoryMigration } from '@delivery/repository-directory';
import type { ServiceDefinition } from '@delivery/service-kit';
import { PipelineExecutionModule } from './pipeline-execution.module';
import { pipelineRunsMigration } from './runs/pipeline-runs.migration';

export const pipelineExecutionService = (overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'pipeline-execution',
  module: PipelineExecutionModule,
  migrations: [repositoryDirectoryMigration, pipelineRunsMigration],
  openapi: {
    title: 'pipeline-execution service',
    description: 'Queues and runs Azure Pipelines YAML from a repository on the local runner: step logs, test results, coverage and artifacts (pipelines context).',
  },
  ...overrides,
});
