import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '@delivery/contracts';
import type { PageRequest } from '@delivery/service-kit';
import type { PullRequestCheck, PullRequestComment, PullRequestReview, PullRequestState } from './domain/pull-request.decider';

export type ListedStatus = 'open' | 'merged' | 'closed';

/** A pull request as the read model keeps it: the aggregate's state plus what only people read. */
export interface PullRequestRecord {
  pullRequestId: string;
  tenantId: string;
  projectId: string;
  repositoryId: string;
  number: number;
  sourceBranch: string;
  targetBranch: string;
  status: ListedStatus;
  title: string;
  description: string | null;
  labels: string[];
  author: Actor;
  deleteSourceBranchOnMerge: boolean;
  /** the latest source head the aggregate has seen */
  sourceSha: string;
  targetSha: string;
  comments: PullRequestComment[];
  reviews: PullRequestReview[];
  checks: PullRequestCheck[];
  lastCompleted: PullRequestState['lastCompleted'] | null;
  merge: PullRequestState['merge'] | null;
  closeReason: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  pull_request_id: string;
  tenant_id: string;
  project_id: string;
  repository_id: string;
  number: number;
  source_branch: string;
  target_branch: string;
  status: ListedStatus;
  title: string;
  description: string | null;
  labels: string[];
  author: Actor;
  delete_source_branch_on_merge: boolean;
  source_sha: string;
  target_sha: string;
  comments: PullRequestComment[];
  reviews: PullRequestReview[];
  checks: PullRequestCheck[];
  last_completed: PullRequestState['lastCompleted'] | null;
  merge: PullRequestState['merge'] | null;
  close_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

@Injectable()
export class PullRequestReadModel {
  constructor(private readonly dataSource: DataSource) {}

  /** The next number of the repository. The counter row stays locked until the transaction ends. */
  async allocateNumber(manager: EntityManager, scope: { tenantId: string; projectId: string }, repositoryId: string): Promise<number> {
    await manager.query(`INSERT INTO pull_request_numbers (repository_id, tenant_id, project_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [repositoryId, scope.tenantId, scope.projectId]);
    const locked: Array<{ last_number: number }> = await manager.query(`SELECT last_number FROM pull_request_numbers WHERE repository_id = $1 FOR UPDATE`, [repositoryId]);
    const next = (locked[0]?.last_number ?? 0) + 1;
    await manager.query(`UPDATE pull_request_numbers SET last_number = $2 WHERE repository_id = $1`, [repositoryId, next]);
    return next;
  }

  async openBetween(manager: EntityManager, repositoryId: string, sourceBranch: string, targetBranch: string): Promise<{ pullRequestId: string; number: number } | undefined> {
    const rows: Array<{ pull_request_id: string; number: number }> = await manager.query(
      `SELECT pull_request_id, number FROM pull_requests WHERE repository_id = $1 AND source_branch = $2 AND target_branch = $3 AND status = 'open'`,
      [repositoryId, sourceBranch, targetBranch],
    );
    return rows[0] && { pullRequestId: rows[0].pull_request_id, number: rows[0].number };
  }

  /** Locks the row of a pull request of this tenant and project; false when there is none. */
  async lock(manager: EntityManager, scope: { tenantId: string; projectId: string }, pullRequestId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM pull_requests WHERE pull_request_id = $1 AND tenant_id = $2 AND project_id = $3 FOR UPDATE`, [
      pullRequestId,
      scope.tenantId,
      scope.projectId,
    ]);
    return rows.length === 1;
  }

  async insert(manager: EntityManager, state: PullRequestState, extra: { tenantId: string; projectId: string; description?: string; labels?: string[] }, version: number): Promise<void> {
    await manager.query(
      `INSERT INTO pull_requests (pull_request_id, tenant_id, project_id, repository_id, number, source_branch, target_branch, status, title, description,
         labels, author, delete_source_branch_on_merge, source_sha, target_sha, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        state.pullRequestId,
        extra.tenantId,
        extra.projectId,
        state.repositoryId,
        state.number,
        state.sourceBranch,
        state.targetBranch,
        state.status,
        state.title,
        extra.description ?? null,
        json(extra.labels ?? []),
        json(state.author),
        state.deleteSourceBranchOnMerge,
        state.sourceSha,
        state.targetSha,
        version,
      ],
    );
  }

  async update(manager: EntityManager, state: PullRequestState, version: number): Promise<void> {
    await manager.query(
      `UPDATE pull_requests SET status = $2, source_sha = $3, comments = $4, reviews = $5, checks = $6, last_completed = $7, merge = $8, close_reason = $9,
         version = $10, updated_at = now()
       WHERE pull_request_id = $1`,
      [
        state.pullRequestId,
        state.status,
        state.sourceSha,
        json(state.comments),
        json(state.reviews),
        json(state.checks),
        json(state.lastCompleted),
        json(state.merge),
        state.closeReason ?? null,
        version,
      ],
    );
  }

  /** A pull request of the tenant, limited to the given projects when there are some: anything else is not there. */
  async find(scope: { tenantId: string; projects?: readonly string[] }, pullRequestId: string): Promise<PullRequestRecord | undefined> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM pull_requests WHERE pull_request_id = $1 AND tenant_id = $2 AND ($3::text[] IS NULL OR project_id = ANY($3))`, [
      pullRequestId,
      scope.tenantId,
      scope.projects ?? null,
    ]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(scope: { tenantId: string; projects?: readonly string[] }, filter: { repositoryId?: string; status?: ListedStatus }, page: PageRequest): Promise<PullRequestRecord[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM pull_requests
       WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR repository_id = $3) AND ($4::text IS NULL OR status = $4)
         AND ($5::text IS NULL OR pull_request_id > $5)
       ORDER BY pull_request_id LIMIT $6`,
      [scope.tenantId, scope.projects ?? null, filter.repositoryId ?? null, filter.status ?? null, page.after ?? null, page.limit],
    );
    return rows.map(fromRow);
  }
}

/** The aggregate's state as the read model last saw it (for evaluating the policy on a read). */
export function stateOf(record: PullRequestRecord): PullRequestState {
  return {
    status: record.status,
    pullRequestId: record.pullRequestId,
    repositoryId: record.repositoryId,
    number: record.number,
    sourceBranch: record.sourceBranch,
    targetBranch: record.targetBranch,
    sourceSha: record.sourceSha,
    targetSha: record.targetSha,
    author: record.author,
    title: record.title,
    deleteSourceBranchOnMerge: record.deleteSourceBranchOnMerge,
    comments: record.comments,
    reviews: record.reviews,
    checks: record.checks,
    ...(record.lastCompleted ? { lastCompleted: record.lastCompleted } : {}),
    ...(record.merge ? { merge: record.merge } : {}),
    ...(record.closeReason ? { closeReason: record.closeReason } : {}),
  };
}

function fromRow(row: Row): PullRequestRecord {
  return {
    pullRequestId: row.pull_request_id,
    tenantId: row.tenant_id,
    projectId: row.project_id,
    repositoryId: row.repository_id,
    number: row.number,
    sourceBranch: row.source_branch,
    targetBranch: row.target_branch,
    status: row.status,
    title: row.title,
    description: row.description,
    labels: row.labels,
    author: row.author,
    deleteSourceBranchOnMerge: row.delete_source_branch_on_merge,
    sourceSha: row.source_sha,
    targetSha: row.target_sha,
    comments: row.comments,
    reviews: row.reviews,
    checks: row.checks,
    lastCompleted: row.last_completed,
    merge: row.merge,
    closeReason: row.close_reason,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
