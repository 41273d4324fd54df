import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { CommitOutcomeReactions } from './commit-outcome/commit-outcome.reactions';
import { ManifestPlanner } from './gitops/manifest.planner';
import { PendingRenders } from './manifest.pending';
import { RenderManifestHandler } from './render-manifest/render-manifest.handler';
import { RenderPreviewController } from './render-manifest/render-preview.controller';

@Module({
  // repositories: the GitOps repository a RenderManifest names is resolved in this service's copy of the directory
  imports: [SourceControlModule.forService(['repositories'])],
  controllers: [commandConsumer('RenderManifest', RenderManifestHandler), CommitOutcomeReactions, RenderPreviewController],
  providers: [ManifestPlanner, PendingRenders, RenderManifestHandler],
})
export class DeploymentManifestModule {}
