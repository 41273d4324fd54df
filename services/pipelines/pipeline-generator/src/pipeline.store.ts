import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { GenerationContext, GeneratePipelineInput } from './pipeline.messages';

/** a GeneratePipeline whose CreateCommit is in flight */
export interface PendingRequest {
  context: GenerationContext;
  input: GeneratePipelineInput;
  pipelineId: string;
  path: string;
  contentDigest: string;
  /** CreateCommits sent for it so far */
  attempts: number;
}

export interface PipelineDefinition {
  pipelineId: string;
  projectId: string;
  repositoryId: string;
  branch: string;
  module: string;
  path: string;
  contentDigest: string;
  commitSha: string | null;
  updatedAt: string;
}

interface RequestRow {
  request_id: string;
  tenant_id: string;
  project_id: string;
  trace_id: string;
  correlation_id: string;
  pipeline_id: string;
  input: GeneratePipelineInput;
  path: string;
  content_digest: string;
  attempts: number;
}

interface DefinitionRow {
  pipeline_id: string;
  project_id: string;
  repository_id: string;
  branch: string;
  module: string;
  path: string;
  content_digest: string;
  commit_sha: string | null;
  updated_at: Date;
}

// The requests waiting on a commit (pipeline_requests) and the pipeline files as last left (pipeline_definitions),
// always inside the caller's transaction.
@Injectable()
export class PipelineStore {
  async open(manager: EntityManager, request: PendingRequest, idempotencyKey: string): Promise<void> {
    const { context, input } = request;
    await manager.query(
      `INSERT INTO pipeline_requests (request_id, idempotency_key, tenant_id, project_id, trace_id, correlation_id, pipeline_id, repository_id, branch, input, path, content_digest, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        context.requestId,
        idempotencyKey,
        context.tenantId,
        context.projectId,
        context.traceId,
        context.correlationId,
        request.pipelineId,
        input.repositoryId,
        input.branch,
        JSON.stringify(input),
        request.path,
        request.contentDigest,
        request.attempts,
      ],
    );
  }

  /** the request a commit reply answers, locked: a redelivered reply waits and then finds it closed */
  async waitingOn(manager: EntityManager, reply: { tenantId: string; repositoryId: string; idempotencyKey: string }): Promise<PendingRequest | undefined> {
    const rows: RequestRow[] = await manager.query(
      `SELECT request_id, tenant_id, project_id, trace_id, correlation_id, pipeline_id, input, path, content_digest, attempts FROM pipeline_requests
       WHERE repository_id = $1 AND idempotency_key = $2 AND tenant_id = $3 AND state = 'pending' FOR UPDATE`,
      [reply.repositoryId, reply.idempotencyKey, reply.tenantId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      context: { requestId: row.request_id, tenantId: row.tenant_id, projectId: row.project_id, traceId: row.trace_id, correlationId: row.correlation_id },
      input: row.input,
      pipelineId: row.pipeline_id,
      path: row.path,
      contentDigest: row.content_digest,
      attempts: row.attempts,
    };
  }

  /** another CreateCommit after a lost compare-and-swap, under a new key */
  async resent(manager: EntityManager, requestId: string, idempotencyKey: string): Promise<void> {
    await manager.query(`UPDATE pipeline_requests SET idempotency_key = $2, attempts = attempts + 1, updated_at = now() WHERE request_id = $1`, [requestId, idempotencyKey]);
  }

  async close(manager: EntityManager, requestId: string, outcome: { state: 'generated'; commitSha: string | null } | { state: 'failed' }): Promise<void> {
    await manager.query(`UPDATE pipeline_requests SET state = $2, commit_sha = $3, updated_at = now() WHERE request_id = $1`, [
      requestId,
      outcome.state,
      outcome.state === 'generated' ? outcome.commitSha : null,
    ]);
  }

  /** the file as the branch now holds it; commitSha null keeps the commit known from before (the bytes are the same) */
  async recordDefinition(manager: EntityManager, context: GenerationContext, definition: Omit<PipelineDefinition, 'projectId' | 'updatedAt'>): Promise<void> {
    await manager.query(
      `INSERT INTO pipeline_definitions (pipeline_id, tenant_id, project_id, repository_id, branch, module, path, content_digest, commit_sha)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (pipeline_id) DO UPDATE SET module = EXCLUDED.module, content_digest = EXCLUDED.content_digest,
         commit_sha = CASE WHEN EXCLUDED.commit_sha IS NOT NULL THEN EXCLUDED.commit_sha
                           WHEN pipeline_definitions.content_digest = EXCLUDED.content_digest THEN pipeline_definitions.commit_sha
                           ELSE NULL END,
         updated_at = now()`,
      [
        definition.pipelineId,
        context.tenantId,
        context.projectId,
        definition.repositoryId,
        definition.branch,
        definition.module,
        definition.path,
        definition.contentDigest,
        definition.commitSha,
      ],
    );
  }

  /** `projects`: the projects a token is limited to (undefined: all of the tenant's) */
  async list(
    manager: EntityManager,
    scope: { tenantId: string; projects?: readonly string[]; repositoryId?: string },
    page: { limit: number; after?: string },
  ): Promise<PipelineDefinition[]> {
    const rows: DefinitionRow[] = await manager.query(
      `SELECT pipeline_id, project_id, repository_id, branch, module, path, content_digest, commit_sha, updated_at FROM pipeline_definitions
       WHERE tenant_id = $1 AND ($2::text[] IS NULL OR project_id = ANY($2)) AND ($3::text IS NULL OR repository_id = $3)
         AND ($4::text IS NULL OR pipeline_id > $4)
       ORDER BY pipeline_id LIMIT $5`,
      [scope.tenantId, scope.projects ?? null, scope.repositoryId ?? null, page.after ?? null, page.limit],
    );
    return rows.map((row) => ({
      pipelineId: row.pipeline_id,
      projectId: row.project_id,
      repositoryId: row.repository_id,
      branch: row.branch,
      module: row.module,
      path: row.path,
      contentDigest: row.content_digest,
      commitSha: row.commit_sha,
      updatedAt: row.updated_at.toISOString(),
    }));
  }
}
