import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { JetStreamContext } from '@delivery/messaging';
import { busOrigin, CommandRunner, type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { assertOpen, decide } from '../domain/pull-request.decider';
import { PullRequestGit } from '../pull-request.git';
import { payloadOf, PullRequestRepository } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'SetPullRequestCheck'>, 'SetPullRequestCheck'>;
type CheckSet = PayloadOf<'PullRequestCheckSet'>;

// SetPullRequestCheck, for the bus and for POST /pull-requests/:id/checks (pipelines, IaC plans, policy bots).
// Without a sourceSha the check is about the live head. The policy is always evaluated against the live head, so
// a late report about an older commit is recorded but settles nothing.
@Injectable()
export class SetPullRequestCheckHandler implements CommandHandler<'SetPullRequestCheck', CheckSet> {
  constructor(
    private readonly pullRequests: PullRequestRepository,
    private readonly git: PullRequestGit,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<CheckSet>> {
    const loaded = await this.pullRequests.load(manager, command);
    assertOpen(loaded.state);
    const locator = await this.git.locate(command, loaded.state.repositoryId, origin, manager);
    const headSha = await this.git.head(locator, loaded.state.sourceBranch);
    const policy = await this.git.policy(loaded.state, manager);
    const events = decide(command, loaded.state, { actor: command.actor, headSha, policy });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestCheckSet') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}

@Controller()
export class SetPullRequestCheckConsumer {
  constructor(
    private readonly runner: CommandRunner,
    private readonly handler: SetPullRequestCheckHandler,
  ) {}

  @EventPattern('SetPullRequestCheck')
  async handle(@Payload() command: Command, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.runner.run(command, busOrigin(ctx), this.handler);
  }
}
