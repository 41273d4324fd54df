import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '@delivery/contracts';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { PageRequest } from '@delivery/service-kit';
import { sameActor } from './domain/approval-policy';
import type { ReleaseFailure, ReleaseState } from './domain/release-plan.decider';
import type { ApprovalPolicy } from './domain/approval-policy';
import type { GitOpsSettings, SentCommand } from './domain/release-saga';
import type { StoredPolicy } from './release.policies';

export interface ReleaseRow {
  releaseId: string;
  tenantId: string;
  projectId: string;
  status: string;
  state: ReleaseState;
  /** the release's trace: the build's when it was planned from a known build */
  traceId: string;
  /** the PromotionFailed being rolled back, reported by ReleaseFailed once DeploymentRolledBack arrives */
  pendingFailure: ReleaseFailure | null;
  /** the version of `release-<id>` that `state` folds */
  version: number;
  /** the commands of `release-saga-<id>` and its version */
  sent: SentCommand[];
  sagaVersion: number;
}

export interface AwaitingApproval {
  releaseId: string;
  projectId: string;
  application: string;
  version: string;
  environment: string;
  rule: string | null;
  roles: string[];
}

interface Row {
  release_id: string;
  tenant_id: string;
  project_id: string;
  status: string;
  state: ReleaseState;
  trace_id: string;
  pending_failure: ReleaseFailure | null;
  version: number;
  saga: SentCommand[];
  saga_version: number;
}

const rowOf = (row: Row): ReleaseRow => ({
  releaseId: row.release_id,
  tenantId: row.tenant_id,
  projectId: row.project_id,
  status: row.status,
  state: row.state,
  traceId: row.trace_id,
  pendingFailure: row.pending_failure,
  version: row.version,
  sent: row.saga,
  sagaVersion: row.saga_version,
});

// The releases read model, written in the transaction that appends the release's events (never behind them): it
// holds the tenant and project for isolation, the status for lists and the folded state for the approvals inbox.
// Being exact at the versions it names, it is also the snapshot every decision starts from: one locked row read
// instead of reading and folding both streams (the appends still check those versions).
@Injectable()
export class ReleaseReadModel {
  async save(manager: EntityManager, row: ReleaseRow): Promise<void> {
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.releases (release_id, tenant_id, project_id, status, state, trace_id, pending_failure, version, saga, saga_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (release_id) DO UPDATE SET status = EXCLUDED.status, state = EXCLUDED.state, pending_failure = EXCLUDED.pending_failure,
         version = EXCLUDED.version, saga = EXCLUDED.saga, saga_version = EXCLUDED.saga_version, updated_at = now()`,
      [
        row.releaseId,
        row.tenantId,
        row.projectId,
        row.status,
        JSON.stringify(row.state),
        row.traceId,
        row.pendingFailure === null ? null : JSON.stringify(row.pendingFailure),
        row.version,
        JSON.stringify(row.sent),
        row.sagaVersion,
      ],
    );
  }

  async find(source: EntityManager | DataSource, releaseId: string): Promise<ReleaseRow | undefined> {
    const rows: Row[] = await source.query(`SELECT * FROM ${quoteSchema(schemaOf(source))}.releases WHERE release_id = $1`, [releaseId]);
    const row = rows[0];
    return row ? rowOf(row) : undefined;
  }

  /**
   * The row FOR UPDATE (commands and reactions of one release queue behind each other) and, in the same round
   * trip, its project's stored policy, which the decision will apply.
   */
  async lock(manager: EntityManager, releaseId: string): Promise<{ row: ReleaseRow; policy: StoredPolicy } | undefined> {
    const schema = quoteSchema(schemaOf(manager));
    const rows: Array<Row & { policy: ApprovalPolicy | null; gitops: GitOpsSettings | null }> = await manager.query(
      `SELECT r.*, p.policy, p.gitops FROM ${schema}.releases r
         LEFT JOIN ${schema}.release_policies p ON p.tenant_id = r.tenant_id AND p.project_id = r.project_id
        WHERE r.release_id = $1 FOR UPDATE OF r`,
      [releaseId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { row: rowOf(row), policy: row.policy === null || row.gitops === null ? null : { policy: row.policy, gitops: row.gitops } };
  }

  async list(source: DataSource, filter: { tenantId: string; projects: readonly string[] | undefined; status: string | undefined }, page: PageRequest): Promise<ReleaseRow[]> {
    const rows: Row[] = await source.query(
      `SELECT * FROM ${quoteSchema(schemaOf(source))}.releases
        WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR release_id > $4)
        ORDER BY release_id LIMIT $5`,
      [filter.tenantId, filter.projects ?? null, filter.status ?? null, page.after ?? null, page.limit],
    );
    return rows.map(rowOf);
  }

  /** Environments whose approval the actor could still give: not approved, not the actor's own release or approval. */
  async awaiting(source: DataSource, filter: { tenantId: string; projects: readonly string[] | undefined; actor: Actor }): Promise<AwaitingApproval[]> {
    const rows = await source.query(
      `SELECT * FROM ${quoteSchema(schemaOf(source))}.releases
        WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND status IN ('pending-approval', 'approved', 'promoting', 'failed')
        ORDER BY release_id LIMIT 500`,
      [filter.tenantId, filter.projects ?? null],
    );
    return (rows as Row[]).map(rowOf).flatMap((row) => awaitingIn(row, filter.actor));
  }
}

function awaitingIn(row: ReleaseRow, actor: Actor): AwaitingApproval[] {
  const plan = row.state.plan;
  if (plan === null || [plan.plannedBy, plan.revisedBy].some((a) => a !== null && sameActor(a, actor))) return [];
  return row.state.environments
    .filter((e) => e.approved === null && !e.autoApprove && !e.approvals.some((a) => sameActor(a.approver, actor)))
    .map((e) => ({ releaseId: row.releaseId, projectId: row.projectId, application: plan.application, version: plan.version, environment: e.name, rule: e.rule, roles: e.roles }));
}
