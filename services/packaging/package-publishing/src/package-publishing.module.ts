import { Module, type DynamicModule } from '@nestjs/common';
import { artifactStoreFromEnv, type ArtifactStore } from '@delivery/artifacts';
import { KnownBuilds, KnownBuildsReactions } from '@delivery/packaging-known-builds';
import { feedsFromEnv, type FeedsConfig } from './feeds/feeds.config';
import { PackageFeeds } from './feeds/package-feeds';
import { ARTIFACT_STORE } from './package-publishing.tokens';
import { PackagesController } from './packages/packages.controller';
import { Publications } from './packages/publications';
import { PublishPackageConsumer } from './publish-package/publish-package.consumer';
import { PublishPackageHandler } from './publish-package/publish-package.handler';

export interface PackagePublishingOptions {
  /** default: PACKAGE_FEEDS (validated here, at start) */
  feeds?: FeedsConfig;
  /** default: ARTIFACT_DIR's file store */
  artifacts?: ArtifactStore;
}

@Module({})
export class PackagePublishingModule {
  static forRoot(options: PackagePublishingOptions = {}): DynamicModule {
    return {
      module: PackagePublishingModule,
      controllers: [PublishPackageConsumer, KnownBuildsReactions, PackagesController],
      providers: [
        { provide: PackageFeeds, useFactory: () => new PackageFeeds(options.feeds ?? feedsFromEnv()) },
        { provide: ARTIFACT_STORE, useFactory: () => options.artifacts ?? artifactStoreFromEnv() },
        KnownBuilds,
        Publications,
        PublishPackageHandler,
      ],
    };
  }
}
