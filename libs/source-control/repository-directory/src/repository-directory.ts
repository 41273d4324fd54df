import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Envelope, schemas } from '@delivery/contracts';
import { NotFoundError, TransientError } from '@delivery/messaging';
import type { Principal } from '@delivery/auth';
import type { CommandOrigin } from '@delivery/service-kit';
import type { RepositoryLocator } from '@delivery/git-provider';

type BranchPolicy = schemas.BranchPolicy;

export interface RepositoryRecord {
  repositoryId: string;
  tenantId: string;
  projectId: string;
  name: string;
  defaultBranch: string;
  purpose: 'application' | 'gitops' | 'infrastructure';
  provider: 'local' | 'azure-devops';
  cloneUrl: string;
}

export interface PolicyRecord {
  policy: BranchPolicy;
  version: number;
}

// A projection lags its events by milliseconds. A command naming a repository this service has not heard of yet
// is retried on the bus (a few deliveries with backoff) and waited for briefly over REST before it becomes a 404.
const BUS_ATTEMPTS_BEFORE_NOT_FOUND = 5;
const REST_WAIT_MS = 1_000;

export function locatorOf(repository: RepositoryRecord): RepositoryLocator {
  return { tenantId: repository.tenantId, projectId: repository.projectId, name: repository.name };
}

@Injectable()
export class RepositoryDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, repository: RepositoryRecord, createdByCommand: string | null = null): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO repositories (repository_id, tenant_id, project_id, name, default_branch, purpose, provider, clone_url, created_by_command)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING repository_id`,
      [
        repository.repositoryId,
        repository.tenantId,
        repository.projectId,
        repository.name,
        repository.defaultBranch,
        repository.purpose,
        repository.provider,
        repository.cloneUrl,
        createdByCommand,
      ],
    );
    return rows.length === 1;
  }

  /** a repository of the tenant (and project, when given), or undefined: another tenant's is never visible */
  async find(scope: { tenantId: string; projectId?: string }, repositoryId: string, manager: EntityManager = this.dataSource.manager): Promise<RepositoryRecord | undefined> {
    const rows: RepositoryRow[] = await manager.query(
      `SELECT repository_id, tenant_id, project_id, name, default_branch, purpose, provider, clone_url FROM repositories
       WHERE repository_id = $1 AND tenant_id = $2 AND ($3::text IS NULL OR project_id = $3)`,
      [repositoryId, scope.tenantId, scope.projectId ?? null],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async findByName(scope: { tenantId: string; projectId: string }, name: string, manager: EntityManager = this.dataSource.manager): Promise<(RepositoryRecord & { createdByCommand: string | null }) | undefined> {
    const rows: Array<RepositoryRow & { created_by_command: string | null }> = await manager.query(
      `SELECT repository_id, tenant_id, project_id, name, default_branch, purpose, provider, clone_url, created_by_command FROM repositories
       WHERE tenant_id = $1 AND project_id = $2 AND name = $3`,
      [scope.tenantId, scope.projectId, name],
    );
    return rows[0] && { ...fromRow(rows[0]), createdByCommand: rows[0].created_by_command };
  }

  /** `projects`: the projects a token is limited to (undefined: all of the tenant's) */
  async list(scope: { tenantId: string; projectId?: string; projects?: readonly string[] }, page: { limit: number; after?: string }): Promise<RepositoryRecord[]> {
    const rows: RepositoryRow[] = await this.dataSource.query(
      `SELECT repository_id, tenant_id, project_id, name, default_branch, purpose, provider, clone_url FROM repositories
       WHERE tenant_id = $1 AND ($2::text IS NULL OR project_id = $2) AND ($3::text[] IS NULL OR project_id = ANY($3))
         AND ($4::text IS NULL OR repository_id > $4)
       ORDER BY repository_id LIMIT $5`,
      [scope.tenantId, scope.projectId ?? null, scope.projects ?? null, page.after ?? null, page.limit],
    );
    return rows.map(fromRow);
  }

  /**
   * The repository a REST caller names: another tenant's, one of a project the token is not for, and a missing one
   * are the same 404 (DESIGN §6). One just provisioned is waited for as briefly as a REST command waits.
   */
  async visibleTo(principal: Principal, repositoryId: string, options: { owner?: boolean } = {}): Promise<RepositoryRecord> {
    // the repository service owns the rows: nothing to wait for there
    const deadline = Date.now() + (options.owner ? 0 : REST_WAIT_MS);
    for (;;) {
      const found = await this.find({ tenantId: principal.tenantId }, repositoryId);
      if (found && (principal.projects === undefined || principal.projects.includes(found.projectId))) return found;
      if (found || Date.now() >= deadline) throw new NotFoundError('repository.not-found', `repository ${repositoryId} not found`);
      await sleep(50);
    }
  }

  /**
   * The repository a command names, in the command's tenant and project (see BUS_ATTEMPTS_BEFORE_NOT_FOUND). Pass
   * the command's transaction: a handler that read on a second pooled connection while holding one could starve
   * the pool under load.
   */
  async require(command: Envelope, repositoryId: string, origin: CommandOrigin, manager: EntityManager = this.dataSource.manager): Promise<RepositoryRecord> {
    const scope = { tenantId: command.tenantId, projectId: command.projectId };
    const deadline = Date.now() + (origin.transport === 'rest' ? REST_WAIT_MS : 0);
    for (;;) {
      const found = await this.find(scope, repositoryId, manager);
      if (found) return found;
      if (Date.now() >= deadline) break;
      await sleep(50);
    }
    if (origin.transport === 'bus' && origin.deliveries < BUS_ATTEMPTS_BEFORE_NOT_FOUND) {
      throw new TransientError('repository.unknown-yet', `repository ${repositoryId} is not known here yet`);
    }
    throw new NotFoundError('repository.not-found', `repository ${repositoryId} not found in project ${command.projectId}`);
  }

  async policy(repositoryId: string, branch: string, manager: EntityManager = this.dataSource.manager): Promise<PolicyRecord | undefined> {
    const rows: Array<{ policy: BranchPolicy; version: number }> = await manager.query(
      `SELECT policy, version FROM branch_policies WHERE repository_id = $1 AND branch = $2`,
      [repositoryId, branch],
    );
    return rows[0] && { policy: rows[0].policy, version: rows[0].version };
  }

  /** keeps the newest version: a projection may see an older BranchPolicySet after a newer one */
  async recordPolicy(manager: EntityManager, row: { repositoryId: string; branch: string; tenantId: string; projectId: string; policy: BranchPolicy; version: number }): Promise<void> {
    await manager.query(
      `INSERT INTO branch_policies (repository_id, branch, tenant_id, project_id, policy, version) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (repository_id, branch) DO UPDATE SET policy = EXCLUDED.policy, version = EXCLUDED.version, updated_at = now()
       WHERE branch_policies.version < EXCLUDED.version`,
      [row.repositoryId, row.branch, row.tenantId, row.projectId, JSON.stringify(row.policy), row.version],
    );
  }
}

interface RepositoryRow {
  repository_id: string;
  tenant_id: string;
  project_id: string;
  name: string;
  default_branch: string;
  purpose: RepositoryRecord['purpose'];
  provider: RepositoryRecord['provider'];
  clone_url: string;
}

function fromRow(row: RepositoryRow): RepositoryRecord {
  return {
    repositoryId: row.repository_id,
    tenantId: row.tenant_id,
    projectId: row.project_id,
    name: row.name,
    defaultBranch: row.default_branch,
    purpose: row.purpose,
    provider: row.provider,
    cloneUrl: row.clone_url,
  };
}
