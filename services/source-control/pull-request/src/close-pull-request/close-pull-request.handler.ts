import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { type CommandHandler, type Decision } from '@delivery/service-kit';
import { decide } from '../domain/pull-request.decider';
import { payloadOf, PullRequestRepository } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'ClosePullRequest'>, 'ClosePullRequest'>;
type Closed = PayloadOf<'PullRequestClosed'>;

// ClosePullRequest, for the bus and for POST /pull-requests/:id/close. The source branch stays as it is.
@Injectable()
export class ClosePullRequestHandler implements CommandHandler<'ClosePullRequest', Closed> {
  constructor(private readonly pullRequests: PullRequestRepository) {}

  async execute(command: Command, manager: EntityManager): Promise<Decision<Closed>> {
    const loaded = await this.pullRequests.load(manager, command);
    const events = decide(command, loaded.state, { actor: command.actor });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestClosed') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}
