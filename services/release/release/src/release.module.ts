import { Module } from '@nestjs/common';
import { commandConsumer, timerPoller, Timers } from '@delivery/service-kit';
import { ApprovalsController } from './approvals.controller';
import { ApproveReleaseHandler, PlanReleaseHandler, RejectReleaseHandler, RELEASE_COMMAND_HANDLERS, RetryReleaseHandler, ReviseReleaseHandler, SubmitReleaseHandler } from './commands/release.handlers';
import { ReleaseBuilds } from './release.builds';
import { ReleaseFlow } from './release.flow';
import { ReleasePolicies } from './release.policies';
import { ReleaseReactions } from './release.reactions';
import { ReleaseReadModel } from './release.read-model';
import { ReleaseTimerHandler } from './release.timers';
import { ReleasePolicyController } from './release-policy.controller';
import { ReleasesController } from './releases.controller';

@Module({
  controllers: [
    commandConsumer('PlanRelease', PlanReleaseHandler),
    commandConsumer('ReviseRelease', ReviseReleaseHandler),
    commandConsumer('SubmitRelease', SubmitReleaseHandler),
    commandConsumer('ApproveRelease', ApproveReleaseHandler),
    commandConsumer('RejectRelease', RejectReleaseHandler),
    commandConsumer('RetryRelease', RetryReleaseHandler),
    ReleaseReactions,
    ReleasesController,
    ApprovalsController,
    ReleasePolicyController,
  ],
  providers: [...RELEASE_COMMAND_HANDLERS, ReleaseFlow, ReleaseBuilds, ReleasePolicies, ReleaseReadModel, Timers, ReleaseTimerHandler, timerPoller(ReleaseTimerHandler)],
})
export class ReleaseModule {}
