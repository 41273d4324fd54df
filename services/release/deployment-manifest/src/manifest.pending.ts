import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RenderedManifests, RenderManifestInput } from './domain/manifest.renderer';
import type { BranchRef } from './manifest.branches';
import type { RenderContext } from './manifest.messages';

/** a render not answered yet: queued behind its branch's commit in flight, or waiting for its own commit */
export interface OpenRender {
  context: RenderContext;
  input: RenderManifestInput;
  /** CreateCommits sent for it so far (0 while queued) */
  attempts: number;
}

/** a render whose CreateCommit is in flight: what its answer needs once the commit service replies */
export interface PendingRender extends OpenRender {
  idempotencyKey: string;
  files: Array<{ path: string; digest: string }>;
  contentDigest: string;
}

interface Row {
  render_id: string;
  idempotency_key: string | null;
  tenant_id: string;
  project_id: string;
  trace_id: string;
  correlation_id: string;
  input: RenderManifestInput;
  files: Array<{ path: string; digest: string }> | null;
  content_digest: string | null;
  attempts: number;
}

const COLUMNS = 'render_id, idempotency_key, tenant_id, project_id, trace_id, correlation_id, input, files, content_digest, attempts';

// The renders not answered yet (manifest_renders), always inside the caller's transaction.
@Injectable()
export class PendingRenders {
  /** a render whose CreateCommit is sent in the same transaction */
  async open(manager: EntityManager, context: RenderContext, input: RenderManifestInput, idempotencyKey: string, rendered: RenderedManifests): Promise<void> {
    await this.insert(manager, context, input, { state: 'pending', attempts: 1, idempotencyKey, files: filesOf(rendered), contentDigest: rendered.contentDigest });
  }

  /** a render that waits for its branch: planned only when its turn comes, against the head it will commit on */
  async queue(manager: EntityManager, context: RenderContext, input: RenderManifestInput): Promise<void> {
    await this.insert(manager, context, input, { state: 'queued', attempts: 0, idempotencyKey: null, files: null, contentDigest: null });
  }

  /** the renders a commit reply answers, locked: a redelivered reply waits and then finds them closed */
  async waitingOn(manager: EntityManager, reply: { tenantId: string; repositoryId: string; idempotencyKey: string }): Promise<PendingRender[]> {
    const rows: Row[] = await manager.query(
      `SELECT ${COLUMNS} FROM manifest_renders
       WHERE repository_id = $1 AND idempotency_key = $2 AND tenant_id = $3 AND state = 'pending' ORDER BY created_at, render_id FOR UPDATE`,
      [reply.repositoryId, reply.idempotencyKey, reply.tenantId],
    );
    return rows.map((row) => ({ ...openOf(row), idempotencyKey: row.idempotency_key ?? '', files: row.files ?? [], contentDigest: row.content_digest ?? '' }));
  }

  /** the branch's oldest queued render (arrival order); only under the branch's lock */
  async nextQueued(manager: EntityManager, ref: BranchRef): Promise<OpenRender | undefined> {
    const rows: Row[] = await manager.query(
      `SELECT ${COLUMNS} FROM manifest_renders WHERE repository_id = $1 AND branch = $2 AND state = 'queued'
       ORDER BY created_at, render_id LIMIT 1 FOR UPDATE`,
      [ref.repositoryId, ref.branch],
    );
    return rows[0] && openOf(rows[0]);
  }

  /** a CreateCommit sent for a queued render or again after a lost compare-and-swap: new bytes mean a new key */
  async sent(manager: EntityManager, renderId: string, idempotencyKey: string, rendered: RenderedManifests): Promise<void> {
    await manager.query(
      `UPDATE manifest_renders SET state = 'pending', idempotency_key = $2, files = $3, content_digest = $4, attempts = attempts + 1, updated_at = now()
       WHERE render_id = $1`,
      [renderId, idempotencyKey, JSON.stringify(filesOf(rendered)), rendered.contentDigest],
    );
  }

  /** back in line (its created_at keeps it at the front): another commit of this service holds its branch */
  async requeue(manager: EntityManager, renderId: string): Promise<void> {
    await manager.query(`UPDATE manifest_renders SET state = 'queued', updated_at = now() WHERE render_id = $1`, [renderId]);
  }

  async close(manager: EntityManager, renderId: string, outcome: { state: 'rendered'; revision: string } | { state: 'failed' }): Promise<void> {
    await manager.query(`UPDATE manifest_renders SET state = $2, revision = $3, updated_at = now() WHERE render_id = $1`, [
      renderId,
      outcome.state,
      outcome.state === 'rendered' ? outcome.revision : null,
    ]);
  }

  private async insert(
    manager: EntityManager,
    context: RenderContext,
    input: RenderManifestInput,
    row: { state: 'queued' | 'pending'; attempts: number; idempotencyKey: string | null; files: unknown; contentDigest: string | null },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO manifest_renders (render_id, state, attempts, idempotency_key, tenant_id, project_id, trace_id, correlation_id, repository_id, branch, input, files, content_digest)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        context.renderId,
        row.state,
        row.attempts,
        row.idempotencyKey,
        context.tenantId,
        context.projectId,
        context.traceId,
        context.correlationId,
        input.gitops.repositoryId,
        input.gitops.branch,
        JSON.stringify(input),
        row.files === null ? null : JSON.stringify(row.files),
        row.contentDigest,
      ],
    );
  }
}

function filesOf(rendered: RenderedManifests): Array<{ path: string; digest: string }> {
  return rendered.files.map(({ path, digest }) => ({ path, digest }));
}

function openOf(row: Row): OpenRender {
  return {
    context: { renderId: row.render_id, tenantId: row.tenant_id, projectId: row.project_id, traceId: row.trace_id, correlationId: row.correlation_id },
    input: row.input,
    attempts: row.attempts,
  };
}
