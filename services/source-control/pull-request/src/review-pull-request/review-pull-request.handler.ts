import { Injectable } from '@nestjs/common';
import { PolicyEvaluatingHandler } from '../policy-evaluating.handler';

// ReviewPullRequest, for the bus and for POST /pull-requests/:id/reviews. The reviewer is the envelope's actor and
// the review is pinned to the source head resolved now, so a later push can void it (resetApprovalsOnPush).
@Injectable()
export class ReviewPullRequestHandler extends PolicyEvaluatingHandler<'ReviewPullRequest', 'PullRequestReviewed'> {
  protected readonly answer = 'PullRequestReviewed';
}
