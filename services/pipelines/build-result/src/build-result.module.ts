import { Module, type DynamicModule } from '@nestjs/common';
import type { ArtifactStore } from '@delivery/artifacts';
import { artifactStoreProvider } from './artifact-store.provider';
import { BuildsController } from './builds/builds.controller';
import { BuildsReadModel } from './builds/builds.read-model';
import { RunFinishedReactions } from './ingest/run-finished.reactions';
import { RunIngestion } from './ingest/run.ingestion';

export interface BuildResultOptions {
  /** where the runs' reports are read; default: the machine's store (ARTIFACT_DIR) */
  artifacts?: ArtifactStore;
}

@Module({})
export class BuildResultModule {
  static register(options: BuildResultOptions = {}): DynamicModule {
    return {
      module: BuildResultModule,
      controllers: [RunFinishedReactions, BuildsController],
      providers: [artifactStoreProvider(options.artifacts), RunIngestion, BuildsReadModel],
    };
  }
}
