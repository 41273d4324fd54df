import { knownBuildsMigration } from '@delivery/packaging-known-builds';
import type { ServiceDefinition } from '@delivery/service-kit';
import { containerImagesMigration } from './container-image.migration';
import { ContainerImageModule } from './container-image.module';
import { containerImageOptionsFromEnv, type ContainerImageOptions } from './container-image.options';

/** options: what the environment would configure (tests pass their registry, layout and artifact store) */
export const containerImageService = (overrides: Partial<ServiceDefinition> = {}, options: Partial<ContainerImageOptions> = {}): ServiceDefinition => ({
  name: 'container-image',
  module: ContainerImageModule.forRoot({ ...containerImageOptionsFromEnv(), ...options }),
  migrations: [knownBuildsMigration, containerImagesMigration],
  openapi: {
    title: 'container-image service',
    description: 'Assembles reproducible OCI images from build artifacts and pushes them to a registry (packaging context).',
  },
  ...overrides,
});
