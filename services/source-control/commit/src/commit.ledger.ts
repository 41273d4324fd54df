import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PayloadOf } from '@delivery/contracts';
import { ConcurrencyError } from '@delivery/messaging';
import type { CommitFile } from './commit.lineage';

export type CommitAuthor = NonNullable<PayloadOf<'CommitCreated'>['author']>;

/** A commit this service wrote or adopted, as the `commits` table keeps it. */
export interface LedgerEntry {
  repositoryId: string;
  branch: string;
  /** the command whose commit it is (its Command-Id trailer), not necessarily the one that recorded it */
  commandId: string;
  sha: string;
  parentSha: string | null;
  message: string;
  author: CommitAuthor | null;
  files: CommitFile[];
  trailers: Record<string, string>;
  idempotencyKey: string | null;
  artifactId: string | null;
  revertOf: string | null;
}

export interface Claim {
  tenantId: string;
  projectId: string;
  repositoryId: string;
  branch: string;
  commandId: string;
  idempotencyKey?: string;
  message: string;
  author: CommitAuthor;
  artifactId?: string;
  revertOf?: string;
}

export type ClaimResult = { claimed: true; id: string } | { claimed: false; earlier: LedgerEntry };

// The `commits` table (commit.migration.ts). Used inside the command's transaction only.
@Injectable()
export class CommitLedger {
  /**
   * Taken first in the transaction, before git is touched. With an idempotency key, a concurrent command holding
   * the same key makes this insert wait for its transaction; when that one committed, its commit is the answer.
   */
  async claim(manager: EntityManager, claim: Claim): Promise<ClaimResult> {
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO commits (tenant_id, project_id, repository_id, idempotency_key, command_id, branch, message, author, artifact_id, revert_of)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id`,
      [
        claim.tenantId,
        claim.projectId,
        claim.repositoryId,
        claim.idempotencyKey ?? null,
        claim.commandId,
        claim.branch,
        claim.message,
        JSON.stringify(claim.author),
        claim.artifactId ?? null,
        claim.revertOf ?? null,
      ],
    );
    if (inserted[0]) return { claimed: true, id: inserted[0].id };
    const rows: LedgerRow[] = await manager.query(`SELECT ${COLUMNS} FROM commits WHERE repository_id = $1 AND idempotency_key = $2`, [claim.repositoryId, claim.idempotencyKey ?? null]);
    const row = rows[0];
    // a conflict means a committed row, and rows are committed with their sha: this is only a defence
    if (!row?.sha) throw new ConcurrencyError('commit.key-in-flight', `idempotency key ${claim.idempotencyKey ?? ''} is being used by another command`);
    return { claimed: false, earlier: fromRow(row, row.sha) };
  }

  /** completes a claim with the commit written (or adopted) under it */
  async record(manager: EntityManager, id: string, entry: LedgerEntry): Promise<void> {
    await manager.query(
      `UPDATE commits SET command_id = $2, branch = $3, sha = $4, parent_sha = $5, message = $6, author = $7, files = $8, trailers = $9 WHERE id = $1`,
      [id, entry.commandId, entry.branch, entry.sha, entry.parentSha, entry.message, entry.author ? JSON.stringify(entry.author) : 'null', JSON.stringify(entry.files), JSON.stringify(entry.trailers)],
    );
  }
}

const COLUMNS = 'repository_id, branch, command_id, sha, parent_sha, message, author, files, trailers, idempotency_key, artifact_id, revert_of';

interface LedgerRow {
  repository_id: string;
  branch: string;
  command_id: string;
  sha: string | null;
  parent_sha: string | null;
  message: string;
  author: CommitAuthor | null;
  files: CommitFile[];
  trailers: Record<string, string>;
  idempotency_key: string | null;
  artifact_id: string | null;
  revert_of: string | null;
}

function fromRow(row: LedgerRow, sha: string): LedgerEntry {
  return {
    repositoryId: row.repository_id,
    branch: row.branch,
    commandId: row.command_id,
    sha,
    parentSha: row.parent_sha,
    message: row.message,
    author: row.author,
    files: row.files,
    trailers: row.trailers,
    idempotencyKey: row.idempotency_key,
    artifactId: row.artifact_id,
    revertOf: row.revert_of,
  };
}
