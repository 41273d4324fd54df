import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { schemas } from '@delivery/contracts';
import { quoteSchema, schemaOf } from '@delivery/persistence';
import type { CommandHandler, Decision, StreamAppend } from '@delivery/service-kit';
import { buildFailedOf, imageStream, pushedOf } from './build-image.messages';
import type { BuildContainerImageCommand, PushedImage } from './image.builder';

/** what happened outside the transaction: the image pushed, or why not */
export type Prepared = { pushed: PushedImage } | { error: unknown };

// Records a BuildContainerImage's outcome in the CommandRunner's transaction (inbox claim, container_images row,
// ContainerImagePushed in the event store). A coded error from building or pushing is rethrown here, so the
// runner answers it with ContainerImageBuildFailed and the transport settles it like any other refusal.
@Injectable()
export class BuildContainerImageHandler {
  for(prepared: Prepared): CommandHandler<'BuildContainerImage', PushedImage> {
    return {
      execute: (command, manager) => this.record(command, manager, prepared),
      failed: (command, failure) => this.failed(command, failure),
    };
  }

  private async record(command: BuildContainerImageCommand, manager: EntityManager, prepared: Prepared): Promise<Decision<PushedImage>> {
    if ('error' in prepared) throw prepared.error;
    const { pushed } = prepared;
    const { image } = pushed;
    const { payload } = command;
    await manager.query(
      `INSERT INTO ${quoteSchema(schemaOf(manager))}.container_images
         (tenant_id, project_id, build_id, registry, repository, tags, digest, size, config_digest, base, base_unavailable, pushed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
       ON CONFLICT (tenant_id, registry, repository, digest) DO UPDATE SET
         project_id = EXCLUDED.project_id, build_id = EXCLUDED.build_id, pushed_at = now(),
         tags = ARRAY(SELECT DISTINCT t FROM unnest(container_images.tags || EXCLUDED.tags) AS t ORDER BY t)`,
      [
        command.tenantId,
        command.projectId,
        payload.buildId,
        pushed.registry,
        payload.repository,
        [...payload.tags].sort(),
        image.digest,
        image.size,
        image.configDigest,
        image.base ? JSON.stringify(image.base) : null,
        image.baseUnavailable ?? null,
      ],
    );
    return { appends: [{ stream: imageStream(command), events: [pushedOf(command, pushed)] }], result: pushed };
  }

  private failed(command: BuildContainerImageCommand, failure: schemas.Failure): StreamAppend {
    return { stream: imageStream(command), events: [buildFailedOf(command, failure)] };
  }
}
