import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RenderedManifests, RenderManifestInput } from './domain/manifest.renderer';
import type { RenderContext } from './manifest.messages';

export interface PendingRender {
  context: RenderContext;
  idempotencyKey: string;
  input: RenderManifestInput;
  files: Array<{ path: string; digest: string }>;
  contentDigest: string;
  attempts: number;
}

interface Row {
  render_id: string;
  idempotency_key: string;
  tenant_id: string;
  project_id: string;
  trace_id: string;
  correlation_id: string;
  input: RenderManifestInput;
  files: Array<{ path: string; digest: string }>;
  content_digest: string;
  attempts: number;
}

// The renders waiting for a commit (manifest_renders), always inside the caller's transaction.
@Injectable()
export class PendingRenders {
  async open(manager: EntityManager, context: RenderContext, input: RenderManifestInput, idempotencyKey: string, rendered: RenderedManifests): Promise<void> {
    await manager.query(
      `INSERT INTO manifest_renders (render_id, idempotency_key, tenant_id, project_id, trace_id, correlation_id, repository_id, input, files, content_digest)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        context.renderId,
        idempotencyKey,
        context.tenantId,
        context.projectId,
        context.traceId,
        context.correlationId,
        input.gitops.repositoryId,
        JSON.stringify(input),
        JSON.stringify(filesOf(rendered)),
        rendered.contentDigest,
      ],
    );
  }

  /** the renders a commit reply answers, locked: a redelivered reply waits and then finds them closed */
  async waitingOn(manager: EntityManager, reply: { tenantId: string; repositoryId: string; idempotencyKey: string }): Promise<PendingRender[]> {
    const rows: Row[] = await manager.query(
      `SELECT render_id, idempotency_key, tenant_id, project_id, trace_id, correlation_id, input, files, content_digest, attempts FROM manifest_renders
       WHERE repository_id = $1 AND idempotency_key = $2 AND tenant_id = $3 AND state = 'pending' ORDER BY created_at FOR UPDATE`,
      [reply.repositoryId, reply.idempotencyKey, reply.tenantId],
    );
    return rows.map(fromRow);
  }

  /** another attempt after a lost compare-and-swap: new bytes mean a new key to wait on */
  async retry(manager: EntityManager, renderId: string, idempotencyKey: string, rendered: RenderedManifests): Promise<void> {
    await manager.query(
      `UPDATE manifest_renders SET idempotency_key = $2, files = $3, content_digest = $4, attempts = attempts + 1, updated_at = now() WHERE render_id = $1`,
      [renderId, idempotencyKey, JSON.stringify(filesOf(rendered)), rendered.contentDigest],
    );
  }

  async close(manager: EntityManager, renderId: string, outcome: { state: 'rendered'; revision: string } | { state: 'failed' }): Promise<void> {
    await manager.query(`UPDATE manifest_renders SET state = $2, revision = $3, updated_at = now() WHERE render_id = $1`, [
      renderId,
      outcome.state,
      outcome.state === 'rendered' ? outcome.revision : null,
    ]);
  }
}

function filesOf(rendered: RenderedManifests): Array<{ path: string; digest: string }> {
  return rendered.files.map(({ path, digest }) => ({ path, digest }));
}

function fromRow(row: Row): PendingRender {
  return {
    context: { renderId: row.render_id, tenantId: row.tenant_id, projectId: row.project_id, traceId: row.trace_id, correlationId: row.correlation_id },
    idempotencyKey: row.idempotency_key,
    input: row.input,
    files: row.files,
    contentDigest: row.content_digest,
    attempts: row.attempts,
  };
}
