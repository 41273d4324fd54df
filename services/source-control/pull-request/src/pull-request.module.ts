import { Module } from '@nestjs/common';
import { commandConsumer } from '@delivery/service-kit';
import { SourceControlModule } from '@delivery/repository-directory';
import { ClosePullRequestHandler } from './close-pull-request/close-pull-request.handler';
import { CommentOnPullRequestHandler } from './comment-on-pull-request/comment-on-pull-request.handler';
import { MergePullRequestHandler } from './merge-pull-request/merge-pull-request.handler';
import { OpenPullRequestHandler } from './open-pull-request/open-pull-request.handler';
import { PullRequestGit } from './pull-request.git';
import { PullRequestReadModel } from './pull-request.read-model';
import { PullRequestRepository } from './pull-request.repository';
import { PullRequestsController } from './pull-requests.controller';
import { ReviewPullRequestHandler } from './review-pull-request/review-pull-request.handler';
import { SetPullRequestCheckHandler } from './set-pull-request-check/set-pull-request-check.handler';

@Module({
  // the repositories it works in and the target branches' policies, projected from their owners' events
  imports: [SourceControlModule.forService(['repositories', 'branch-policies'])],
  controllers: [
    commandConsumer('OpenPullRequest', OpenPullRequestHandler),
    commandConsumer('CommentOnPullRequest', CommentOnPullRequestHandler),
    commandConsumer('ReviewPullRequest', ReviewPullRequestHandler),
    commandConsumer('SetPullRequestCheck', SetPullRequestCheckHandler),
    commandConsumer('MergePullRequest', MergePullRequestHandler),
    commandConsumer('ClosePullRequest', ClosePullRequestHandler),
    PullRequestsController,
  ],
  providers: [
    PullRequestReadModel,
    PullRequestRepository,
    PullRequestGit,
    OpenPullRequestHandler,
    CommentOnPullRequestHandler,
    ReviewPullRequestHandler,
    SetPullRequestCheckHandler,
    MergePullRequestHandler,
    ClosePullRequestHandler,
  ],
})
export class PullRequestModule {}
