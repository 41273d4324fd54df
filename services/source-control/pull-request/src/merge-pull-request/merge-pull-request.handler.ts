import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { platformErrorOf, type CommitInfo, type RepositoryLocator } from '@delivery/git-provider';
import { errorCodeOf, errorMessageOf } from '@delivery/messaging';
import { gitIdentityOf } from '@delivery/repository-directory';
import { LOGGER, type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { assertMergeable, assertOpen, decide, type PullRequestState } from '../domain/pull-request.decider';
import { PullRequestGit } from '../pull-request.git';
import { payloadOf, PullRequestRepository, type LoadedPullRequest } from '../pull-request.repository';

type Command = Envelope<PayloadOf<'MergePullRequest'>, 'MergePullRequest'>;
type Merged = PayloadOf<'PullRequestMerged'>;

// MergePullRequest, for the bus and for POST /pull-requests/:id/merge. The policy is evaluated on the live heads
// before git is touched; the merge itself is a compare-and-swap on the target head just read, so a target that
// moves meanwhile refuses the merge instead of merging into something nobody evaluated. Deleting the source
// branch is a courtesy: when it fails, the merge stands and the event says the branch is still there.
@Injectable()
export class MergePullRequestHandler implements CommandHandler<'MergePullRequest', Merged> {
  constructor(
    private readonly pullRequests: PullRequestRepository,
    private readonly git: PullRequestGit,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<Merged>> {
    const loaded = await this.pullRequests.load(manager, command);
    const { state } = loaded;
    assertOpen(state);
    const locator = await this.git.locate(command, state.repositoryId, origin, manager);
    const earlier = await this.earlierMerge(state, locator);
    if (earlier) return this.recover(command, loaded, manager, locator, earlier);
    const headSha = await this.git.head(locator, state.sourceBranch);
    const targetSha = await this.git.head(locator, state.targetBranch);
    const policy = await this.git.currentPolicy(state, manager);
    assertMergeable(state, command.payload, { headSha, policy });
    const mergeSha = await this.merge(command, state, locator, { headSha, targetSha });
    const wantsDelete = command.payload.deleteSourceBranch ?? state.deleteSourceBranchOnMerge;
    const sourceBranchDeleted = wantsDelete && (await this.deleteSource(state, locator, headSha));
    const events = decide(command, state, { actor: command.actor, headSha, policy, mergeSha, sourceBranchDeleted });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestMerged') };
  }

  failed(command: Command, failure: schemas.Failure) {
    return this.pullRequests.rejection(command, failure);
  }

  // A merge commit carrying this pull request's id is already on the target: an earlier attempt merged, then lost
  // its transaction (a crash, a database failure) before recording it. Merging again would squash twice or fail on
  // the deleted source branch; recording what git holds is the redelivery's job.
  private async earlierMerge(state: PullRequestState, locator: RepositoryLocator): Promise<CommitInfo | undefined> {
    try {
      const commits = await this.git.git.log(locator, state.targetBranch, { base: state.targetSha, limit: 200 });
      return commits.find((commit) => commit.trailers['Pull-Request-Id'] === state.pullRequestId);
    } catch {
      return undefined; // the target was rewritten past the opening head: nothing to recover from
    }
  }

  private async recover(command: Command, loaded: LoadedPullRequest, manager: EntityManager, locator: RepositoryLocator, earlier: CommitInfo): Promise<Decision<Merged>> {
    const { state } = loaded;
    const live = await this.git.resolve(locator, state.sourceBranch);
    // a merge commit's second parent is the merged head; a squash keeps no link to it, so a source branch still
    // there after a squash is left alone (it may hold work pushed since)
    const mergedHead = earlier.parents[1];
    const headSha = mergedHead ?? live ?? state.sourceSha;
    const wantsDelete = command.payload.deleteSourceBranch ?? state.deleteSourceBranchOnMerge;
    const sourceBranchDeleted = wantsDelete && (live === undefined || (live === mergedHead && (await this.deleteSource(state, locator, live))));
    this.logger.info({ pullRequestId: state.pullRequestId, mergeSha: earlier.sha }, 'recorded a merge an earlier attempt made');
    const events = decide(command, state, { actor: command.actor, headSha, policy: undefined, mergeSha: earlier.sha, sourceBranchDeleted, recovered: true });
    const { append } = await this.pullRequests.save(manager, loaded, events);
    return { appends: [append], result: payloadOf(events, 'PullRequestMerged') };
  }

  // the merge is of the head the policy passed, onto the target it saw: a push or a merge in between is a conflict
  private async merge(command: Command, state: PullRequestState, locator: RepositoryLocator, heads: { headSha: string; targetSha: string }): Promise<string> {
    try {
      const result = await this.git.git.merge(locator, {
        source: state.sourceBranch,
        target: state.targetBranch,
        strategy: command.payload.strategy,
        message: command.payload.message ?? `Merge pull request #${state.number}: ${state.title}`,
        author: gitIdentityOf(command.actor),
        expectedTargetSha: heads.targetSha,
        expectedSourceSha: heads.headSha,
        trailers: { 'Pull-Request-Id': state.pullRequestId, 'Trace-Id': command.traceId },
      });
      return result.sha;
    } catch (error) {
      throw platformErrorOf(error);
    }
  }

  private async deleteSource(state: PullRequestState, locator: RepositoryLocator, mergedSha: string): Promise<boolean> {
    try {
      // only the commit that was merged: a branch that moved on keeps its new work
      await this.git.git.deleteBranch(locator, state.sourceBranch, mergedSha);
      return true;
    } catch (error) {
      this.logger.warn({ pullRequestId: state.pullRequestId, branch: state.sourceBranch, code: errorCodeOf(error), err: errorMessageOf(error) }, 'merged, but the source branch was not deleted');
      return false;
    }
  }
}
