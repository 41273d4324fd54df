import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import type { BuildContainerImageCommand, PushedImage } from './image.builder';

export const SOURCE = 'container-image';

export function imageStream(command: BuildContainerImageCommand): string {
  return `container-image-${command.tenantId}-${command.payload.buildId}`;
}

export function pushedOf(command: BuildContainerImageCommand, pushed: PushedImage): Envelope<PayloadOf<'ContainerImagePushed'>, 'ContainerImagePushed'> {
  const { image } = pushed;
  return createEnvelope(
    'ContainerImagePushed',
    {
      buildId: command.payload.buildId,
      registry: pushed.registry,
      repository: command.payload.repository,
      tags: command.payload.tags,
      digest: image.digest,
      size: image.size,
      mediaType: image.mediaType,
      configDigest: image.configDigest,
      base: image.base,
      ...(image.baseUnavailable ? { baseUnavailable: image.baseUnavailable } : {}),
    },
    { source: SOURCE },
  );
}

export function buildFailedOf(command: BuildContainerImageCommand, error: schemas.Failure): Envelope<PayloadOf<'ContainerImageBuildFailed'>, 'ContainerImageBuildFailed'> {
  return createEnvelope('ContainerImageBuildFailed', { buildId: command.payload.buildId, repository: command.payload.repository, error }, { source: SOURCE });
}
