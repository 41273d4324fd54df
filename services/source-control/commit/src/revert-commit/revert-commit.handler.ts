import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { platformErrorOf, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, gitIdentityOf, locatorOf, RepositoryDirectory } from '@delivery/repository-directory';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import { commitFailed, CommitWriter, type CommitCreatedPayload } from '../commit.writer';

type Command = Envelope<PayloadOf<'RevertCommit'>, 'RevertCommit'>;

// RevertCommit: how desired state in git is rolled back. A new commit undoing `sha` on the branch, written with
// the same trailers and exactly-once rules as CreateCommit; its CommitCreated says which commit it reverts.
@Injectable()
export class RevertCommitHandler implements CommandHandler<'RevertCommit', CommitCreatedPayload> {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly writer: CommitWriter,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<CommitCreatedPayload>> {
    const { repositoryId, branch, sha, expectedParentSha, idempotencyKey, trailers } = command.payload;
    const repository = await this.directory.require(command, repositoryId, origin, manager);
    const locator = locatorOf(repository);
    const message = command.payload.message ?? (await this.defaultMessage(locator, sha));
    return this.writer.write(command, manager, origin, { repository, branch, message, author: command.actor, idempotencyKey, revertOf: sha, trailers }, (lineage) =>
      this.git.revert(locator, { branch, sha, message, author: gitIdentityOf(command.actor), expectedParentSha, trailers: lineage }),
    );
  }

  failed(command: Command, failure: schemas.Failure) {
    return commitFailed(command.payload.repositoryId, command.payload.branch, command.payload.idempotencyKey, failure);
  }

  // git's own wording, so a revert made here reads like one made with `git revert`
  private async defaultMessage(locator: RepositoryLocator, sha: string): Promise<string> {
    const reverted = await this.git.getCommit(locator, sha).catch((error: unknown) => {
      throw platformErrorOf(error);
    });
    if (!reverted) throw new NotFoundError('commit.not-found', `commit ${sha} not found`);
    const subject = reverted.message.split('\n', 1)[0] ?? '';
    return `Revert "${subject.slice(0, 200)}"\n\nThis reverts commit ${reverted.sha}.`;
  }
}
