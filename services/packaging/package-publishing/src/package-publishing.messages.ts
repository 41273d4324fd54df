import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import type { PublishOutcome } from './feeds/package-feed.port';

export const SERVICE = 'package-publishing';
const ACTOR = { kind: 'service', id: SERVICE } as const;

export type PublishPackageCommand = Envelope<PayloadOf<'PublishPackage'>, 'PublishPackage'>;
type Published = Envelope<PayloadOf<'PackagePublished'>, 'PackagePublished'>;
type PublishFailed = Envelope<PayloadOf<'PackagePublishFailed'>, 'PackagePublishFailed'>;

/** one stream per package version in a feed: its publications and refusals, in order */
export function publicationStream(payload: PayloadOf<'PublishPackage'>): string {
  return `package-${payload.feed.name}-${payload.format}-${payload.name}@${payload.version}`;
}

export function publishedOf(command: PublishPackageCommand, outcome: PublishOutcome, stored: { digest: string; size: number }): Published {
  const { buildId, format, name, version, feed } = command.payload;
  const payload: PayloadOf<'PackagePublished'> = {
    buildId,
    format,
    name,
    version,
    feed,
    integrity: outcome.integrity,
    digest: stored.digest,
    size: stored.size,
    ...(outcome.url && outcome.url.length <= 2048 ? { url: outcome.url } : {}),
    alreadyPublished: outcome.alreadyPublished,
  };
  return createEnvelope('PackagePublished', payload, optionsOf(command));
}

export function publishFailedOf(command: PublishPackageCommand, error: schemas.Failure): PublishFailed {
  const { buildId, format, name, version, feed } = command.payload;
  return createEnvelope('PackagePublishFailed', { buildId, format, name, version, feed, error }, optionsOf(command));
}

// explicit rather than inherited, so an answer built outside the command's trace context still belongs to it
function optionsOf(command: PublishPackageCommand) {
  const { tenantId, projectId, traceId, correlationId } = command;
  return { source: SERVICE, actor: ACTOR, tenantId, projectId, traceId, correlationId, causationId: command.id };
}
