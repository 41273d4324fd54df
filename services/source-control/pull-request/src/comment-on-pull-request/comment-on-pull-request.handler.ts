import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { uuidv7 } from '@delivery/messaging';
import { type CommandHandler, type Decision } from '@delivery/service-kit';
import { decide } from '../domain/pull-request.decider';
import { payloadOf, PullRequestRepository } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'CommentOnPullRequest'>, 'CommentOnPullRequest'>;
type Commented = PayloadOf<'PullRequestCommented'>;

// CommentOnPullRequest, for the bus and for POST /pull-requests/:id/comments. A keyed comment replaces the
// earlier one of that key (a re-posted plan or cost report), keeping its commentId.
@Injectable()
export class CommentOnPullRequestHandler implements CommandHandler<'CommentOnPullRequest', Commented> {
  constructor(private readonly pullRequests: PullRequestRepository) {}

  async execute(command: Command, manager: EntityManager): Promise<Decision<Commented>> {
    const loaded = await this.pullRequests.load(manager, command);
    const events = decide(command, loaded.state, { actor: command.actor, commentId: uuidv7() });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestCommented') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}
