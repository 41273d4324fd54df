import { Module } from '@nestjs/common';
import type { ArtifactStore } from '@delivery/artifacts';
import { SourceControlModule } from '@delivery/repository-directory';
import { commandConsumer } from '@delivery/service-kit';
import { CancelPipelineRunHandler } from './commands/cancel-pipeline-run.handler';
import { RunPipelineHandler } from './commands/run-pipeline.handler';
import { RunsController } from './rest/runs.controller';
import { RUNNER_CONFIG, runnerConfigFromEnv, type RunnerConfig } from './runner.config';
import { AZURE_PIPELINES_RUNNER, AzurePipelinesRunner } from './runner/azure/azure-pipelines.runner';
import { LocalRunner } from './runner/local.runner';
import { PIPELINE_RUNNER } from './runner/runner.port';
import { ARTIFACT_STORE, artifactStoreProvider } from './runs/artifact-store.provider';
import { RunWorker } from './runs/run.worker';

@Module({
  // repositories: runs are checked out from the repositories this service's copy of the directory knows
  imports: [SourceControlModule.forService(['repositories'])],
  controllers: [commandConsumer('RunPipeline', RunPipelineHandler), commandConsumer('CancelPipelineRun', CancelPipelineRunHandler), RunsController],
  providers: [
    { provide: RUNNER_CONFIG, useFactory: () => runnerConfigFromEnv() },
    artifactStoreProvider,
    {
      provide: PIPELINE_RUNNER,
      inject: [RUNNER_CONFIG, ARTIFACT_STORE],
      useFactory: (config: RunnerConfig, store: ArtifactStore) => new LocalRunner({ workDir: config.workDir, killGraceMs: config.killGraceMs, keepWorkspaces: config.keepWorkspaces }, store),
    },
    {
      // null unless AZURE_DEVOPS_* are set; RunPipeline refuses runner 'azure-pipelines' then
      provide: AZURE_PIPELINES_RUNNER,
      inject: [RUNNER_CONFIG, ARTIFACT_STORE],
      useFactory: (config: RunnerConfig, store: ArtifactStore) => (config.azure ? new AzurePipelinesRunner(config.azure, store) : null),
    },
    RunPipelineHandler,
    CancelPipelineRunHandler,
    RunWorker,
  ],
})
export class PipelineExecutionModule {}
