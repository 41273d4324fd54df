import type { ServiceDefinition } from '@delivery/service-kit';
import { buildsMigration } from './build.migration';
import { BuildResultModule, type BuildResultOptions } from './build-result.module';

export const buildResultService = (overrides: Partial<ServiceDefinition> = {}, options: BuildResultOptions = {}): ServiceDefinition => ({
  name: 'build-result',
  module: BuildResultModule.register(options),
  migrations: [buildsMigration],
  openapi: {
    title: 'build-result service',
    description: 'Ingests the test results, coverage and artifacts of finished pipeline runs into builds (pipelines context).',
  },
  ...overrides,
});
