import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import { defaultApprovalPolicy, parseApprovalPolicy, type ApprovalPolicy } from './domain/approval-policy';
import { DEFAULT_GITOPS, type GitOpsSettings } from './domain/release-saga';

export interface ProjectReleasePolicy {
  policy: ApprovalPolicy;
  gitops: GitOpsSettings;
  /** false: nothing stored, the defaults apply */
  stored: boolean;
}

export type StoredPolicy = { policy: ApprovalPolicy; gitops: GitOpsSettings } | null;

// The approval policy and GitOps target of each tenant/project: data, edited over REST, read in the transaction
// of every decision so a decision and the policy it applied are consistent. Within one transaction it is read
// once (the release's locked row brings it along, see ReleaseReadModel.find): every round trip counts here.
@Injectable()
export class ReleasePolicies {
  private readonly perTransaction = new WeakMap<EntityManager, Map<string, ProjectReleasePolicy>>();

  async of(source: EntityManager | DataSource, tenantId: string, projectId: string): Promise<ProjectReleasePolicy> {
    const known = this.known(source)?.get(keyOf(tenantId, projectId));
    if (known !== undefined) return known;
    const rows: Array<NonNullable<StoredPolicy>> = await source.query(
      `SELECT policy, gitops FROM ${quoteSchema(schemaOf(source))}.release_policies WHERE tenant_id = $1 AND project_id = $2`,
      [tenantId, projectId],
    );
    return this.remember(source, tenantId, projectId, rows[0] ?? null);
  }

  /** Keeps what a query of this transaction read (null: nothing stored, the defaults apply). */
  remember(source: EntityManager | DataSource, tenantId: string, projectId: string, stored: StoredPolicy): ProjectReleasePolicy {
    const value = stored ? { policy: stored.policy, gitops: stored.gitops, stored: true } : { policy: defaultApprovalPolicy(), gitops: DEFAULT_GITOPS, stored: false };
    const known = this.known(source);
    known?.set(keyOf(tenantId, projectId), value);
    return value;
  }

  private known(source: EntityManager | DataSource): Map<string, ProjectReleasePolicy> | undefined {
    if (!('queryRunner' in source) || !source.queryRunner?.isTransactionActive) return undefined;
    let known = this.perTransaction.get(source);
    if (known === undefined) this.perTransaction.set(source, (known = new Map()));
    return known;
  }

  async put(source: EntityManager | DataSource, tenantId: string, projectId: string, body: unknown, actor: Actor): Promise<ProjectReleasePolicy> {
    const { policy, gitops } = parsePolicyBody(body);
    await source.query(
      `INSERT INTO ${quoteSchema(schemaOf(source))}.release_policies (tenant_id, project_id, policy, gitops, updated_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, project_id) DO UPDATE SET policy = EXCLUDED.policy, gitops = EXCLUDED.gitops, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [tenantId, projectId, JSON.stringify(policy), JSON.stringify(gitops), JSON.stringify(actor)],
    );
    return { policy, gitops, stored: true };
  }
}

const BRANCH = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$/;
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** The PUT body: {policy, gitops?}; gitops fields left out take the defaults. */
export function parsePolicyBody(body: unknown): { policy: ApprovalPolicy; gitops: GitOpsSettings } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('invalid-body', 'the body must be {policy, gitops?}');
  const { policy, gitops, ...extra } = body as Record<string, unknown>;
  const unknown = Object.keys(extra)[0];
  if (unknown !== undefined) throw new ValidationError('invalid-body', `unknown field "${unknown}"; the body is {policy, gitops?}`, { field: unknown });
  return { policy: parseApprovalPolicy(policy), gitops: parseGitOps(gitops ?? {}) };
}

function parseGitOps(value: unknown): GitOpsSettings {
  const bad = (field: string, message: string): never => {
    throw new ValidationError('release-policy.invalid', `gitops.${field} ${message}`, { field: `gitops.${field}` });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('', 'must be an object');
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).find((key) => !['repositoryId', 'branch', 'pathTemplate'].includes(key));
  if (unknown !== undefined) bad(unknown, 'is not a field (repositoryId, branch, pathTemplate)');
  const repositoryId = raw.repositoryId ?? null;
  if (repositoryId !== null && (typeof repositoryId !== 'string' || !ENTITY_ID.test(repositoryId))) bad('repositoryId', 'must be a repository id or null (the release’s repository)');
  const branch = raw.branch ?? DEFAULT_BRANCH;
  if (typeof branch !== 'string' || !BRANCH.test(branch) || branch.includes('..')) bad('branch', 'must be a branch name');
  const pathTemplate = raw.pathTemplate ?? DEFAULT_PATH_TEMPLATE;
  // the path is a directory inside the repository: relative, without traversal, naming the environment
  if (typeof pathTemplate !== 'string' || pathTemplate.length > 512 || pathTemplate.startsWith('/') || pathTemplate.split('/').some((s) => s === '..' || s === '')) {
    bad('pathTemplate', 'must be a relative path without empty or ".." segments');
  }
  if (!(pathTemplate as string).includes('{environment}')) bad('pathTemplate', 'must contain {environment} so that environments do not share a directory');
  return { repositoryId: repositoryId as string | null, branch: branch as string, pathTemplate: pathTemplate as string };
}

const keyOf = (tenantId: string, projectId: string) => `${tenantId}/${projectId}`;
const DEFAULT_BRANCH = 'main';
const DEFAULT_PATH_TEMPLATE = 'environments/{environment}/{application}';
