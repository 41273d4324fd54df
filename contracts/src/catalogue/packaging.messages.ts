import { Type } from '@sinclair/typebox';
import { command, event } from '../message';
import {
  ArtifactRef,
  EntityId,
  EnvVars,
  Failure,
  FeedRef,
  ImageRepository,
  ImageTag,
  Labels,
  PackageFormat,
  PackageName,
  RegistryHost,
  Sha256Digest,
  StrictObject,
  StringEnum,
  Version,
} from './shared.schemas';

// Package publishing and container images (DESIGN §2, issue 5). Both start from the artifacts of a
// succeeded build; a published version is immutable, an image build is reproducible (same inputs, same digest).
const context = 'packaging';
const buildId = EntityId;
const Integrity = Type.String({ pattern: '^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$', maxLength: 200, description: 'Subresource Integrity string, e.g. sha512-…' });

export const packagingMessages = [
  // --- package-publishing
  command('PublishPackage', {
    service: 'package-publishing',
    summary: 'Publish an npm tarball or NuGet package from build artifacts to a feed.',
    payload: StrictObject({
      buildId,
      format: PackageFormat,
      artifact: ArtifactRef,
      name: PackageName,
      version: Version,
      feed: FeedRef,
      distTag: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,49}$', description: 'npm dist-tag, defaults to latest' })),
    }),
  }),
  event('PackagePublished', {
    service: 'package-publishing',
    context,
    summary: 'A package version is in the feed (republishing identical bytes is a no-op reported here).',
    payload: StrictObject({
      buildId,
      format: PackageFormat,
      name: PackageName,
      version: Version,
      feed: FeedRef,
      integrity: Integrity,
      digest: Sha256Digest,
      size: Type.Integer({ minimum: 0 }),
      url: Type.Optional(Type.String({ maxLength: 2048 })),
      alreadyPublished: Type.Boolean(),
    }),
  }),
  event('PackagePublishFailed', {
    service: 'package-publishing',
    context,
    summary: 'A package could not be published (version exists with other bytes, feed unreachable after retries).',
    payload: StrictObject({ buildId, format: PackageFormat, name: PackageName, version: Version, feed: FeedRef, error: Failure }),
  }),

  // --- container-image
  command('BuildContainerImage', {
    service: 'container-image',
    summary: 'Assemble an OCI image from build artifacts and push it to a registry.',
    payload: StrictObject({
      buildId,
      registry: Type.Optional(RegistryHost),
      repository: ImageRepository,
      tags: Type.Array(ImageTag, { minItems: 1, maxItems: 10, uniqueItems: true }),
      baseImage: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'reference, e.g. node:20-slim or a digest reference' })),
      layers: Type.Array(ArtifactRef, { minItems: 1, maxItems: 20, description: 'artifacts unpacked into the image, in order' }),
      config: StrictObject({
        entrypoint: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64 })),
        cmd: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64 })),
        env: Type.Optional(EnvVars),
        workingDir: Type.Optional(Type.String({ maxLength: 1024 })),
        exposedPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 20, uniqueItems: true })),
        user: Type.Optional(Type.String({ maxLength: 100 })),
        labels: Type.Optional(Labels),
      }),
      platform: Type.Optional(StrictObject({ os: StringEnum(['linux']), architecture: StringEnum(['amd64', 'arm64']) })),
    }),
  }),
  event('ContainerImagePushed', {
    service: 'container-image',
    context,
    summary: 'An image manifest is in the registry; pull by digest.',
    payload: StrictObject({
      buildId,
      registry: RegistryHost,
      repository: ImageRepository,
      tags: Type.Array(ImageTag, { maxItems: 10 }),
      digest: Sha256Digest,
      size: Type.Integer({ minimum: 0, description: 'manifest + config + layers, bytes' }),
      mediaType: Type.String({ maxLength: 255 }),
      configDigest: Sha256Digest,
      base: Type.Union([StrictObject({ reference: Type.String({ maxLength: 500 }), digest: Sha256Digest }), Type.Null()], {
        description: 'null when the image has no base (scratch)',
      }),
      baseUnavailable: Type.Optional(Type.String({ maxLength: 1000, description: 'set when the requested base image was not available locally: what was used instead' })),
    }),
  }),
  event('ContainerImageBuildFailed', {
    service: 'container-image',
    context,
    summary: 'An image could not be built or pushed.',
    payload: StrictObject({ buildId, repository: ImageRepository, error: Failure }),
  }),
] as const;
