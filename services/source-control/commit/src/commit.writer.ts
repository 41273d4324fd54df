import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { platformErrorOf, type CommitResult, type GitProvider } from '@delivery/git-provider';
import { createEnvelope, IllegalStateError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, RepositoryDirectory, type RepositoryRecord } from '@delivery/repository-directory';
import type { CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { CommitLedger, type CommitAuthor, type LedgerEntry } from './commit.ledger';
import { COMMAND_ID, eventTrailers, filesBetween, findCommitOf, lineageTrailers, type CommitFile } from './commit.lineage';

export type CommitCreatedPayload = PayloadOf<'CommitCreated'>;
const SOURCE = 'commit';

export const commitStream = (repositoryId: string) => `commit-${repositoryId}`;

/** What a CreateCommit or RevertCommit asks to write. */
export interface CommitIntent {
  repository: RepositoryRecord;
  branch: string;
  message: string;
  author: CommitAuthor;
  idempotencyKey?: string;
  artifactId?: string;
  revertOf?: string;
  trailers?: Record<string, string>;
  /** what this command's own commit changes; undefined: read it from git afterwards (a revert) */
  files?: CommitFile[];
}

/** The git effect of a command, given the trailers to write; git errors are mapped by the writer. */
export type CommitEffect = (trailers: Record<string, string>) => Promise<CommitResult>;

// The exactly-once path both commands share (DESIGN §3): claim the idempotency key, refuse a protected branch,
// adopt the commit a crashed attempt left (redelivery or keyed command), else write it, then record it and answer
// with CommitCreated in the same transaction.
@Injectable()
export class CommitWriter {
  // git effects on one branch queue up in this process: concurrent commits on a head would otherwise mostly lose
  // the provider's compare-and-swap and redo their work (other processes are still kept honest by the swap)
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(
    private readonly directory: RepositoryDirectory,
    private readonly ledger: CommitLedger,
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
  ) {}

  async write(command: Envelope, manager: EntityManager, origin: CommandOrigin, intent: CommitIntent, effect: CommitEffect): Promise<Decision<CommitCreatedPayload>> {
    const { repository, branch } = intent;
    const trailers = lineageTrailers(command, { artifactId: intent.artifactId, idempotencyKey: intent.idempotencyKey, extra: intent.trailers });
    const claim = await this.ledger.claim(manager, {
      tenantId: command.tenantId,
      projectId: command.projectId,
      repositoryId: repository.repositoryId,
      branch,
      commandId: command.id,
      idempotencyKey: intent.idempotencyKey,
      message: intent.message,
      author: intent.author,
      artifactId: intent.artifactId,
      revertOf: intent.revertOf,
    });
    if (!claim.claimed) return answer(claim.earlier, claim.earlier.commandId !== command.id);

    if ((await this.directory.policy(repository.repositoryId, branch, manager))?.policy.protected) {
      throw new IllegalStateError('branch.protected', `branch ${branch} is protected: changes arrive through pull requests`);
    }
    const locator = locatorOf(repository);
    const mayExist = origin.deliveries > 1 || intent.idempotencyKey !== undefined;
    const adopted = mayExist ? await findCommitOf(this.git, locator, branch, { commandId: command.id, idempotencyKey: intent.idempotencyKey }) : undefined;

    let entry: LedgerEntry;
    if (adopted) {
      const producer = adopted.trailers[COMMAND_ID] ?? '';
      const own = producer === command.id;
      const parentSha = adopted.parents[0] ?? null;
      entry = {
        ...lineageOf(intent),
        branch,
        commandId: producer || command.id,
        sha: adopted.sha,
        parentSha,
        // another command's commit (same key) is described by git, not by this command
        message: own ? intent.message : adopted.message.slice(0, 10_000),
        author: own ? intent.author : null,
        files: own && intent.files ? intent.files : await filesBetween(this.git, locator, parentSha, adopted.sha),
        trailers: eventTrailers(adopted.trailers),
      };
      await this.ledger.record(manager, claim.id, entry);
      return answer(entry, !own);
    }

    const result = await this.inLane(`${repository.repositoryId}\n${branch}`, () => effect(trailers)).catch((error: unknown) => {
      throw platformErrorOf(error);
    });
    entry = {
      ...lineageOf(intent),
      branch: result.branch,
      commandId: command.id,
      sha: result.sha,
      parentSha: result.parentSha || null,
      message: intent.message,
      author: intent.author,
      files: intent.files ?? (await filesBetween(this.git, locator, result.parentSha || null, result.sha)),
      trailers,
    };
    await this.ledger.record(manager, claim.id, entry);
    return answer(entry, false);
  }

  private async inLane<T>(lane: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(lane);
    const current = (previous ?? Promise.resolve()).catch(() => undefined).then(work);
    this.lanes.set(lane, current);
    try {
      return await current;
    } finally {
      if (this.lanes.get(lane) === current) this.lanes.delete(lane);
    }
  }
}

/** CommitFailed on the repository's commit stream: how a bus client learns why its command was refused. */
export function commitFailed(repositoryId: string, branch: string, idempotencyKey: string | undefined, error: schemas.Failure): StreamAppend {
  const event = createEnvelope('CommitFailed', { repositoryId, branch, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}), error }, { source: SOURCE });
  return { stream: commitStream(repositoryId), events: [event] };
}

function lineageOf(intent: CommitIntent) {
  return {
    repositoryId: intent.repository.repositoryId,
    idempotencyKey: intent.idempotencyKey ?? null,
    artifactId: intent.artifactId ?? null,
    revertOf: intent.revertOf ?? null,
  };
}

function answer(entry: LedgerEntry, duplicate: boolean): Decision<CommitCreatedPayload> {
  const payload: CommitCreatedPayload = {
    repositoryId: entry.repositoryId,
    branch: entry.branch,
    sha: entry.sha,
    parentSha: entry.parentSha,
    message: entry.message,
    files: entry.files,
    ...(entry.author ? { author: entry.author } : {}),
    ...(entry.idempotencyKey !== null ? { idempotencyKey: entry.idempotencyKey } : {}),
    ...(entry.artifactId !== null ? { artifactId: entry.artifactId } : {}),
    ...(entry.revertOf !== null ? { revertOf: entry.revertOf } : {}),
    ...(Object.keys(entry.trailers).length > 0 ? { trailers: entry.trailers } : {}),
    ...(duplicate ? { duplicate: true } : {}),
  };
  const event = createEnvelope('CommitCreated', payload, { source: SOURCE });
  return { appends: [{ stream: commitStream(entry.repositoryId), events: [event], expectedVersion: 'any' }], result: payload };
}
