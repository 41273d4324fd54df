import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { busOrigin, CommandRunner, type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { assertOpen, decide } from '../domain/pull-request.decider';
import { PullRequestGit } from '../pull-request.git';
import { payloadOf, PullRequestRepository } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'ReviewPullRequest'>, 'ReviewPullRequest'>;
type Reviewed = PayloadOf<'PullRequestReviewed'>;

// ReviewPullRequest, for the bus and for POST /pull-requests/:id/reviews. The reviewer is the envelope's actor and
// the review is pinned to the source head resolved now, so a later push can void it (resetApprovalsOnPush). When the
// required checks have settled, the decider adds the policy verdict (PullRequestChecksCompleted).
@Injectable()
export class ReviewPullRequestHandler implements CommandHandler<'ReviewPullRequest', Reviewed> {
  constructor(
    private readonly pullRequests: PullRequestRepository,
    private readonly git: PullRequestGit,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<Reviewed>> {
    const loaded = await this.pullRequests.load(manager, command);
    // a merged pull request's source branch may be gone: say not-open rather than branch.not-found
    assertOpen(loaded.state);
    const locator = await this.git.locate(command, loaded.state.repositoryId, origin, manager);
    const headSha = await this.git.head(locator, loaded.state.sourceBranch);
    const policy = await this.git.policy(loaded.state, manager);
    const events = decide(command, loaded.state, { actor: command.actor, headSha, policy });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestReviewed') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}

@Controller()
export class ReviewPullRequestConsumer {
  constructor(
    private readonly runner: CommandRunner,
    private readonly handler: ReviewPullRequestHandler,
  ) {}

  @EventPattern('ReviewPullRequest')
  async handle(@Payload() command: Command, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.runner.run(command, busOrigin(ctx), this.handler);
  }
}
