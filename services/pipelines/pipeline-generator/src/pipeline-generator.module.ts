import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { CommitOutcomeReactions } from './commit-outcome/commit-outcome.reactions';
import { GeneratePipelineHandler } from './generate-pipeline/generate-pipeline.handler';
import { PipelinePlanner } from './pipeline.planner';
import { PipelineStore } from './pipeline.store';
import { PipelinesController } from './rest/pipelines.controller';

@Module({
  // repositories: the repository a GeneratePipeline names is resolved in this service's copy of the directory
  imports: [SourceControlModule.forService(['repositories'])],
  controllers: [commandConsumer('GeneratePipeline', GeneratePipelineHandler), CommitOutcomeReactions, PipelinesController],
  providers: [PipelinePlanner, PipelineStore, GeneratePipelineHandler],
})
export class PipelineGeneratorModule {}
