import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { CommandHandler, CommandOrigin, Decision } from '@delivery/service-kit';
import { assertOpen, decide } from './domain/pull-request.decider';
import { PullRequestGit } from './pull-request.git';
import { payloadOf, PullRequestRepository } from './pull-request.repository';

type EvaluatingCommand = 'ReviewPullRequest' | 'SetPullRequestCheck';
type Answer = 'PullRequestReviewed' | 'PullRequestCheckSet';

// Reviews and checks share one flow: load the pull request, resolve the source head now (never a cached sha: a push
// may have happened a moment ago), evaluate the target branch's policy on it, decide. When the required checks have
// settled, the decider adds the verdict (PullRequestChecksCompleted).
@Injectable()
export abstract class PolicyEvaluatingHandler<T extends EvaluatingCommand, A extends Answer> implements CommandHandler<T, PayloadOf<A>> {
  protected abstract readonly answer: A;

  constructor(
    private readonly pullRequests: PullRequestRepository,
    private readonly git: PullRequestGit,
  ) {}

  async execute(command: Envelope<PayloadOf<T>, T>, manager: EntityManager, origin: CommandOrigin): Promise<Decision<PayloadOf<A>>> {
    const loaded = await this.pullRequests.load(manager, command);
    // a merged pull request's source branch may be gone: say not-open rather than branch.not-found
    assertOpen(loaded.state);
    const locator = await this.git.locate(command, loaded.state.repositoryId, origin, manager);
    const headSha = await this.git.head(locator, loaded.state.sourceBranch);
    const policy = await this.git.policy(loaded.state, manager);
    const events = decide(command, loaded.state, { actor: command.actor, headSha, policy });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, this.answer) };
  }

  failed(command: Envelope<PayloadOf<T>, T>, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}
