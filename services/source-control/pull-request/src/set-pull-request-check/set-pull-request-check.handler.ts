import { Injectable } from '@nestjs/common';
import { PolicyEvaluatingHandler } from '../policy-evaluating.handler';

// SetPullRequestCheck, for the bus and for POST /pull-requests/:id/checks (pipelines, IaC plans, policy bots).
// Without a sourceSha the check is about the live head. The policy is always evaluated against the live head, so
// a late report about an older commit is recorded but settles nothing.
@Injectable()
export class SetPullRequestCheckHandler extends PolicyEvaluatingHandler<'SetPullRequestCheck', 'PullRequestCheckSet'> {
  protected readonly answer = 'PullRequestCheckSet';
}
