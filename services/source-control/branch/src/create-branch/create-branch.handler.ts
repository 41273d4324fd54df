import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { GitConflictError, validateBranchName, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { createEnvelope, NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, RepositoryDirectory } from '@delivery/repository-directory';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { branchRejected, branchStream, SOURCE } from '../branch.events';
import { viaGit } from '../git-errors';

type Command = Envelope<PayloadOf<'CreateBranch'>, 'CreateBranch'>;
type Created = PayloadOf<'BranchCreated'>;

// CreateBranch, for the bus and for POST /repositories/:id/branches. The start point is resolved to a sha first,
// so `from.branch` means a branch (never a tag, HEAD or an abbreviated sha) and the new ref is a compare-and-swap
// from nothing to that sha: of two commands creating the same branch, one wins and the other is refused.
@Injectable()
export class CreateBranchHandler implements CommandHandler<'CreateBranch', Created> {
  constructor(
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<Created>> {
    const { repositoryId, name, from } = command.payload;
    const repository = await this.directory.require(command, repositoryId, origin, manager);
    const locator = locatorOf(repository);
    const sha = await viaGit(async () => {
      validateBranchName(name); // a bad name is a 400 before a missing start point is a 404
      const start = await this.startOf(locator, from);
      return this.create(locator, name, start, origin);
    });
    const payload: Created = { repositoryId, name, sha, fromBranch: 'branch' in from ? from.branch : null };
    const event = createEnvelope('BranchCreated', payload, { source: SOURCE });
    return { appends: [{ stream: branchStream(repositoryId), events: [event], expectedVersion: 'any' }], result: payload };
  }

  failed(command: Command, error: PayloadOf<'BranchCommandRejected'>['error']) {
    return branchRejected(command, command.payload.repositoryId, command.payload.name, error);
  }

  private async startOf(locator: RepositoryLocator, from: Command['payload']['from']): Promise<string> {
    const sha = 'branch' in from ? await this.git.resolveBranch(locator, from.branch) : (await this.git.getCommit(locator, from.sha))?.sha;
    if (!sha) {
      const what = 'branch' in from ? `branch ${from.branch}` : `commit ${from.sha}`;
      throw new NotFoundError('branch.start-not-found', `start point ${what} not found in repository ${locator.name}`);
    }
    return sha;
  }

  private async create(locator: RepositoryLocator, name: string, start: string, origin: CommandOrigin): Promise<string> {
    try {
      return (await this.git.createBranch(locator, name, start)).sha;
    } catch (error) {
      // A redelivery whose earlier attempt created the ref and then crashed before its transaction committed finds
      // the branch exactly where it would put it: adopt it, so the command still yields its one BranchCreated.
      if (error instanceof GitConflictError && origin.deliveries > 1 && (await this.git.resolveBranch(locator, name)) === start) return start;
      throw error;
    }
  }
}
