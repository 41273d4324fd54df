import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { CommitResult, GitProvider } from '@delivery/git-provider';
import { IllegalStateError, NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, gitIdentityOf, locatorOf, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import { type CommandHandler, type CommandOrigin, type Decision } from '@delivery/service-kit';
import type { CommitAuthor } from '../commit.ledger';
import { commitFailed, CommitWriter, type CommitCreatedPayload } from '../commit.writer';

type Command = Envelope<PayloadOf<'CreateCommit'>, 'CreateCommit'>;

// CreateCommit, for the bus and for POST /repositories/:id/commits. Exactly-once lives in CommitWriter; this
// handler decides where the commit goes: on the head (the provider retries a lost race), on expectedParentSha
// (compare-and-swap, a conflict goes back), or on a new branch.
@Injectable()
export class CreateCommitHandler implements CommandHandler<'CreateCommit', CommitCreatedPayload> {
  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly writer: CommitWriter,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async execute(command: Command, manager: EntityManager, origin: CommandOrigin): Promise<Decision<CommitCreatedPayload>> {
    const payload = command.payload;
    const repository = await this.directory.require(command, payload.repositoryId, origin, manager);
    const author: CommitAuthor = payload.author ?? command.actor;
    return this.writer.write(
      command,
      manager,
      origin,
      {
        repository,
        branch: payload.branch,
        message: payload.message,
        author,
        idempotencyKey: payload.idempotencyKey,
        artifactId: payload.artifactId,
        trailers: payload.trailers,
        files: (payload.changes ?? []).map(({ path, action }) => ({ path, action })),
      },
      (trailers) => this.commit(repository, payload, author, trailers),
    );
  }

  failed(command: Command, failure: schemas.Failure) {
    return commitFailed(command.payload.repositoryId, command.payload.branch, command.payload.idempotencyKey, failure);
  }

  private async commit(repository: RepositoryRecord, payload: Command['payload'], author: CommitAuthor, trailers: Record<string, string>): Promise<CommitResult> {
    const locator = locatorOf(repository);
    let expectedParentSha = payload.expectedParentSha ?? undefined;
    let createBranch = payload.createBranch === true;
    if (payload.expectedParentSha === null) {
      if (await this.git.resolveBranch(locator, payload.branch)) {
        throw new IllegalStateError('branch.exists', `branch ${payload.branch} already exists; expectedParentSha null asks for a new branch`);
      }
      // the new branch starts at the default branch's head as a compare-and-swap, so a branch of the same name
      // created meanwhile is a conflict rather than a base to commit on
      expectedParentSha = await this.git.resolveBranch(locator, repository.defaultBranch);
      if (!expectedParentSha) throw new NotFoundError('branch.not-found', `the default branch ${repository.defaultBranch} does not exist`);
      createBranch = true;
    }
    return this.git.commit(locator, {
      branch: payload.branch,
      expectedParentSha,
      createBranch,
      changes: payload.changes ?? [],
      message: payload.message,
      author: gitIdentityOf(author),
      trailers,
    });
  }
}
