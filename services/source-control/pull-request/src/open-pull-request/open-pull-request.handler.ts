import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { IllegalStateError, uuidv7 } from '@delivery/messaging';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { decide, initialState } from '../domain/pull-request.decider';
import { PullRequestReadModel } from '../pull-request.read-model';
import { PullRequestGit } from '../pull-request.git';
import { payloadOf, PullRequestRepository } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'OpenPullRequest'>, 'OpenPullRequest'>;
type Opened = PayloadOf<'PullRequestOpened'>;

// OpenPullRequest, for the bus and for POST /pull-requests. Both heads are read from git before anything is
// locked; the repository's counter row is then locked, which numbers the pull request and makes concurrent opens
// of the same source → target pair queue up, so the duplicate check below sees the winner.
@Injectable()
export class OpenPullRequestHandler implements CommandHandler<'OpenPullRequest', Opened> {
  constructor(
    private readonly readModel: PullRequestReadModel,
    private readonly pullRequests: PullRequestRepository,
    private readonly git: PullRequestGit,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<Opened>> {
    const { repositoryId, sourceBranch, targetBranch, description, labels } = command.payload;
    const locator = await this.git.locate(command, repositoryId, origin, manager);
    const sourceSha = await this.git.head(locator, sourceBranch);
    const targetSha = await this.git.head(locator, targetBranch);
    const scope = { tenantId: command.tenantId, projectId: command.projectId };
    const number = await this.readModel.allocateNumber(manager, scope, repositoryId);
    const open = await this.readModel.openBetween(manager, repositoryId, sourceBranch, targetBranch);
    if (open) {
      throw new IllegalStateError('pull-request.duplicate', `pull request #${open.number} from ${sourceBranch} into ${targetBranch} is already open`, {
        problems: [{ subject: open.pullRequestId, message: `#${open.number} is open` }],
      });
    }
    const events = decide(command, initialState, { actor: command.actor, pullRequestId: uuidv7(), number, sourceSha, targetSha });
    const append = await this.pullRequests.create(manager, events, { ...scope, ...(description === undefined ? {} : { description }), ...(labels === undefined ? {} : { labels }) });
    return { appends: [append], result: payloadOf(events, 'PullRequestOpened') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }
}
