import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandHandler, CommandOrigin, Decision } from '@delivery/service-kit';
import type { AppRef } from '../sync/gitops.layout';
import { RepositorySync } from '../sync/repository.sync';

type SyncGitOps = Envelope<PayloadOf<'SyncGitOps'>, 'SyncGitOps'>;
export interface SyncGitOpsResult {
  repositoryId: string;
  environment: string;
  revision: string;
  applications: AppRef[];
}

// SyncGitOps (bus and REST): reconcile an environment, or one application of it, now. A manual sync of a
// rejected (rolled-back) revision is refused (gitops.revision-rejected); the interval and commits do the rest.
@Injectable()
export class SyncGitOpsHandler implements CommandHandler<'SyncGitOps', SyncGitOpsResult> {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly repositories: RepositorySync,
  ) {}

  async execute(command: SyncGitOps, manager: EntityManager, origin: CommandOrigin): Promise<Decision<SyncGitOpsResult>> {
    const { repositoryId, environment, application, revision, prune } = command.payload;
    const repository = await this.directory.require(command, repositoryId, origin, manager);
    if (repository.purpose !== 'gitops') throw new ValidationError('gitops.not-a-gitops-repository', `repository ${repository.name} is a ${repository.purpose} repository, not a GitOps one`);
    const outcome = await this.repositories.sync(manager, repository, {
      trigger: 'manual',
      environment,
      ...(application !== undefined ? { application } : {}),
      ...(revision !== undefined ? { revision } : {}),
      ...(prune !== undefined ? { prune } : {}),
    });
    return { appends: outcome.appends, result: { repositoryId, environment, revision: outcome.revision, applications: outcome.applications } };
  }
}
