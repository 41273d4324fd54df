import { knownBuildsMigration } from '@delivery/packaging-known-builds';
import type { ServiceDefinition } from '@delivery/service-kit';
import { packagePublishingMigration } from './package-publishing.migration';
import { PackagePublishingModule, type PackagePublishingOptions } from './package-publishing.module';

export const packagePublishingService = (options: PackagePublishingOptions = {}, overrides: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  name: 'package-publishing',
  module: PackagePublishingModule.forRoot(options),
  migrations: [knownBuildsMigration, packagePublishingMigration],
  openapi: {
    title: 'package-publishing service',
    description: 'Publishes npm and NuGet packages of succeeded builds to feeds (npm registries, NuGet folders, Azure Artifacts); a published version is immutable.',
  },
  ...overrides,
});
