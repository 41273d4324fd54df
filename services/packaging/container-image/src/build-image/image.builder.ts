import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';
import { KnownBuilds } from '@delivery/packaging-known-builds';
import { layerEntriesOf } from '../domain/artifact-layer.mapper';
import { resolveBaseImage } from '../domain/base-image.resolver';
import { buildLayer } from '../domain/deterministic-tar';
import { sha256Digest } from '../domain/digest';
import { assembleImage, type AppLayer, type AssembleInput, type BuiltImage } from '../domain/image.assembler';
import type { Platform } from '../domain/oci.types';
import { IMAGE_OPTIONS, type ContainerImageOptions } from '../container-image.options';
import { RegistryClients } from '../registry/registries.config';
import type { PushReport } from '../registry/registry.client';

export type BuildContainerImageCommand = Envelope<PayloadOf<'BuildContainerImage'>, 'BuildContainerImage'>;

export interface PushedImage {
  registry: string;
  image: BuiltImage;
  report: PushReport;
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

// Everything a BuildContainerImage does before its answer is recorded: check the build, read the artifacts,
// assemble the image (pure, reproducible) and push it. Runs outside the database transaction: the push is an
// external effect, idempotent because every blob and the manifest are addressed by content.
@Injectable()
export class ImageBuilder {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(IMAGE_OPTIONS) private readonly options: ContainerImageOptions,
    private readonly registries: RegistryClients,
    private readonly builds: KnownBuilds,
  ) {}

  async buildAndPush(command: BuildContainerImageCommand): Promise<PushedImage> {
    const { payload } = command;
    await this.requireSucceededBuild(command);
    const { host, client } = this.registries.resolve(payload.registry);
    const image = await this.build(payload);
    const report = await client.push(payload.repository, image, payload.tags);
    return { registry: host, image, report };
  }

  async build(payload: PayloadOf<'BuildContainerImage'>): Promise<BuiltImage> {
    const platform: Platform = payload.platform ?? DEFAULT_PLATFORM;
    const layers: AppLayer[] = [];
    for (const artifact of payload.layers) {
      const bytes = await this.options.artifacts.read(artifact.location);
      const digest = sha256Digest(bytes);
      if (digest !== artifact.digest) {
        throw new ValidationError('image.artifact-digest', `artifact "${artifact.name}" at ${artifact.location} holds ${digest}, the command names ${artifact.digest}`);
      }
      const layer = await buildLayer(await layerEntriesOf(artifact, bytes));
      layers.push({ layer, createdBy: `container-image: ${artifact.kind} ${artifact.name} ${artifact.digest}` });
    }
    const input: AssembleInput = { platform, settings: payload.config, layers, base: null };
    if (payload.baseImage) {
      const resolved = await resolveBaseImage(this.options.baseImageDir, payload.baseImage, platform);
      if ('found' in resolved) input.base = resolved.found;
      else input.baseUnavailable = { reference: payload.baseImage, reason: resolved.unavailable };
    }
    return assembleImage(input);
  }

  private async requireSucceededBuild(command: BuildContainerImageCommand): Promise<void> {
    const status = await this.builds.statusOf(this.dataSource, command.tenantId, command.payload.buildId, command.projectId);
    if (status === undefined) throw new NotFoundError('image.build-unknown', `build ${command.payload.buildId} is unknown here (no BuildCompleted for it)`);
    if (status !== 'Succeeded') throw new IllegalStateError('image.build-not-succeeded', `build ${command.payload.buildId} ${status.toLowerCase()}: images are made from succeeded builds only`);
  }
}
