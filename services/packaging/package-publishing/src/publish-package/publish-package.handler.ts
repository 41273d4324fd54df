import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PayloadOf, schemas } from '@delivery/contracts';
import type { ArtifactStore } from '@delivery/artifacts';
import { IllegalStateError, TransientError, ValidationError } from '@delivery/messaging';
import type { CommandHandler, CommandOrigin, Decision, StreamAppend } from '@delivery/service-kit';
import { KnownBuilds } from '@delivery/packaging-known-builds';
import { PackageFeeds } from '../feeds/package-feeds';
import { digestOf } from '../feeds/package.integrity';
import { publicationStream, publishedOf, publishFailedOf, type PublishPackageCommand } from '../package-publishing.messages';
import { ARTIFACT_STORE } from '../package-publishing.tokens';
import { Publications } from '../packages/publications';

export type PublishResult = PayloadOf<'PackagePublished'>;

// A BuildCompleted may reach this service just after the PublishPackage its build caused: an unknown build is
// waited for over this many deliveries (nak with backoff) before the command is refused.
const UNKNOWN_BUILD_DELIVERIES = 3;
const ARTIFACT_KINDS: Record<'npm' | 'nuget', readonly string[]> = { npm: ['npm-package', 'file'], nuget: ['nuget-package', 'file'] };

// PublishPackage. The feed write is an external side effect inside the command's transaction but not part of it:
// if the process dies after the feed took the package and before the commit, the redelivery publishes again and
// the feed's immutability check answers alreadyPublished for the same bytes, so the outcome converges.
// Feed outages are TransientErrors: nak with backoff, dead letter after the last delivery, replayable.
@Injectable()
export class PublishPackageHandler implements CommandHandler<'PublishPackage', PublishResult> {
  constructor(
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    private readonly feeds: PackageFeeds,
    private readonly builds: KnownBuilds,
    private readonly publications: Publications,
  ) {}

  async execute(command: PublishPackageCommand, manager: EntityManager, origin: CommandOrigin): Promise<Decision<PublishResult>> {
    const input = command.payload;
    await this.requireSucceededBuild(manager, command, origin);
    const feed = this.feeds.resolve(input.feed, input.format);
    const content = await this.artifact(input);
    const stored = { digest: digestOf(content), size: content.length };

    const outcome = await feed.publish({ format: input.format, name: input.name, version: input.version, distTag: input.distTag ?? 'latest', content });
    await this.publications.record(manager, {
      tenantId: command.tenantId,
      projectId: command.projectId,
      buildId: input.buildId,
      format: input.format,
      name: input.name,
      version: input.version,
      feed: feed.name,
      feedKind: feed.kind,
      integrity: outcome.integrity,
      ...stored,
      ...(outcome.url ? { url: outcome.url } : {}),
      commandId: command.id,
      traceId: command.traceId,
    });
    const event = publishedOf(command, outcome, stored);
    return { appends: [{ stream: publicationStream(input), events: [event] }], result: event.payload };
  }

  failed(command: PublishPackageCommand, failure: schemas.Failure): StreamAppend {
    return { stream: publicationStream(command.payload), events: [publishFailedOf(command, failure)] };
  }

  private async requireSucceededBuild(manager: EntityManager, command: PublishPackageCommand, origin: CommandOrigin): Promise<void> {
    const { buildId } = command.payload;
    const status = await this.builds.statusOf(manager, command.tenantId, buildId);
    if (status === 'Succeeded') return;
    if (status !== undefined) throw new IllegalStateError('package.build-not-succeeded', `build ${buildId} ${status.toLowerCase()}: only a succeeded build publishes packages`);
    if (origin.transport === 'bus' && origin.deliveries < UNKNOWN_BUILD_DELIVERIES) {
      throw new TransientError('package.build-unknown', `build ${buildId} is not known yet (no BuildCompleted); waiting for it`);
    }
    throw new IllegalStateError('package.build-unknown', `build ${buildId} is unknown: no BuildCompleted was received for it`);
  }

  private async artifact(input: PayloadOf<'PublishPackage'>): Promise<Buffer> {
    const { artifact, format } = input;
    if (!ARTIFACT_KINDS[format].includes(artifact.kind)) {
      throw new ValidationError('package.artifact-kind', `a ${format} package is published from an artifact of kind ${ARTIFACT_KINDS[format].join(' or ')}, not ${artifact.kind}`);
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(artifact.location)) {
      throw new ValidationError('package.artifact-location', `artifact ${artifact.name}: only artifact-store keys are read, not URLs (${artifact.location.slice(0, 200)})`);
    }
    const content = await this.artifacts.read(artifact.location);
    const digest = digestOf(content);
    if (digest !== artifact.digest) {
      throw new ValidationError('package.artifact-digest-mismatch', `artifact ${artifact.location} holds ${digest}, the command says ${artifact.digest}`);
    }
    return content;
  }
}
