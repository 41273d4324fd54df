import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope } from '@delivery/contracts';
import { platformErrorOf, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, ProjectionFreshness, RepositoryDirectory } from '@delivery/repository-directory';
import type { CommandOrigin } from '@delivery/service-kit';
import type { BranchPolicy } from './domain/merge-policy';
import type { PullRequestState } from './domain/pull-request.decider';

// What the handlers read from outside the aggregate before deciding: where the repository lives, the live heads
// of its branches (never a cached sha: a push may have happened a moment ago) and the target branch's policy.
@Injectable()
export class PullRequestGit {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly freshness: ProjectionFreshness,
    @Inject(GIT_PROVIDER) readonly git: GitProvider,
  ) {}

  async locate(command: Envelope, repositoryId: string, origin: CommandOrigin, manager: EntityManager): Promise<RepositoryLocator> {
    return locatorOf(await this.directory.require(command, repositoryId, origin, manager));
  }

  /** The head of a branch, or 404 branch.not-found. */
  async head(locator: RepositoryLocator, branch: string): Promise<string> {
    const sha = await this.resolve(locator, branch);
    if (!sha) throw new NotFoundError('branch.not-found', `branch ${branch} not found in repository ${locator.name}`);
    return sha;
  }

  async resolve(locator: RepositoryLocator, branch: string): Promise<string | undefined> {
    try {
      return await this.git.resolveBranch(locator, branch);
    } catch (error) {
      throw platformErrorOf(error);
    }
  }

  /** The target branch's policy; undefined when it has none (the merge policy's default applies). */
  async policy(state: PullRequestState, manager?: EntityManager): Promise<BranchPolicy | undefined> {
    return (await this.directory.policy(state.repositoryId, state.targetBranch, manager))?.policy;
  }

  /** The policy a merge is judged by: only once every BranchPolicySet published so far has been applied here. */
  async currentPolicy(state: PullRequestState, manager: EntityManager): Promise<BranchPolicy | undefined> {
    await this.freshness.assertCaughtUp('BranchPolicySet');
    return this.policy(state, manager);
  }
}
