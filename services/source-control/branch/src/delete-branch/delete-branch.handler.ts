import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { GitProvider } from '@delivery/git-provider';
import { createEnvelope, IllegalStateError, NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, RepositoryDirectory } from '@delivery/repository-directory';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { branchRejected, branchStream, SOURCE } from '../branch.events';
import { lockBranchPolicy } from '../branch-policy.lock';
import { viaGit } from '../git-errors';

type Command = Envelope<PayloadOf<'DeleteBranch'>, 'DeleteBranch'>;
type Deleted = PayloadOf<'BranchDeleted'>;

// DeleteBranch, for the bus and for DELETE /repositories/:id/branches/:name. The default branch and protected
// branches are refused here, not left to the provider (Azure DevOps would delete either). The ref is removed by
// compare-and-swap on the sha we read (or the caller's expectedSha), so lastSha is exactly what was deleted.
// A redelivery whose earlier attempt deleted the ref but crashed before committing is answered "not found".
@Injectable()
export class DeleteBranchHandler implements CommandHandler<'DeleteBranch', Deleted> {
  constructor(
    private readonly directory: RepositoryDirectory,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<Deleted>> {
    const { repositoryId, name, expectedSha } = command.payload;
    const repository = await this.directory.require(command, repositoryId, origin, manager);
    const locator = locatorOf(repository);
    const current = await viaGit(() => this.git.resolveBranch(locator, name));
    if (!current) throw new NotFoundError('branch.not-found', `branch ${name} not found in repository ${repository.name}`);
    if (name === repository.defaultBranch) throw new IllegalStateError('branch.default', `branch ${name} is the default branch of ${repository.name} and cannot be deleted`);
    await lockBranchPolicy(manager, repositoryId, name, 'shared');
    const policy = await this.directory.policy(repositoryId, name, manager);
    if (policy?.policy.protected) throw new IllegalStateError('branch.protected', `branch ${name} is protected (policy version ${policy.version}) and cannot be deleted`);
    const lastSha = expectedSha ?? current;
    await viaGit(() => this.git.deleteBranch(locator, name, lastSha));
    const payload: Deleted = { repositoryId, name, lastSha };
    const event = createEnvelope('BranchDeleted', payload, { source: SOURCE });
    return { appends: [{ stream: branchStream(repositoryId), events: [event], expectedVersion: 'any' }], result: payload };
  }

  failed(command: Command, error: PayloadOf<'BranchCommandRejected'>['error']) {
    return branchRejected(command, command.payload.repositoryId, command.payload.name, error);
  }
}
