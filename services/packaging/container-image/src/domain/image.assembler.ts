import type { PayloadOf } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { canonicalJson, sha256Digest } from './digest';
import type { BuiltLayer } from './deterministic-tar';
import {
  BASE_DIGEST_LABEL,
  BASE_NAME_LABEL,
  BASE_UNAVAILABLE_LABEL,
  FIXED_CREATED,
  OCI_CONFIG,
  OCI_MANIFEST,
  type BlobSource,
  type ImageConfigFile,
  type ImageManifest,
  type Platform,
} from './oci.types';

export type ImageSettings = PayloadOf<'BuildContainerImage'>['config'];

/** A base image found locally: its manifest digest, config and layers (in order). */
export interface BaseImage {
  reference: string;
  digest: string;
  config: ImageConfigFile;
  layers: BlobSource[];
}

export interface AppLayer {
  layer: BuiltLayer;
  /** what the history entry says made it (artifact kind, name and digest: content, never ids or times) */
  createdBy: string;
}

export interface AssembleInput {
  platform: Platform;
  settings: ImageSettings;
  layers: AppLayer[];
  /** a base resolved locally, or the reason the requested one is not used (built on scratch) */
  base: BaseImage | null;
  baseUnavailable?: { reference: string; reason: string };
}

export interface BuiltImage {
  manifest: Buffer;
  digest: string;
  mediaType: typeof OCI_MANIFEST;
  config: Buffer;
  configDigest: string;
  /** every layer blob, base first */
  layers: BlobSource[];
  /** manifest + config + layers, bytes */
  size: number;
  base: { reference: string; digest: string } | null;
  baseUnavailable?: string;
}

export const DEFAULT_WORKING_DIR = '/app';

// Pure: the same settings, layers and base give the same bytes, hence the same digests (README "Reproducibility").
export function assembleImage(input: AssembleInput): BuiltImage {
  const { base, platform, settings } = input;
  if (base && (base.config.os !== platform.os || base.config.architecture !== platform.architecture)) {
    throw new ValidationError(
      'image.base-platform',
      `base image ${base.reference} is ${base.config.os}/${base.config.architecture}, the image is to be ${platform.os}/${platform.architecture}`,
    );
  }
  const inherited = base?.config.config ?? {};
  const baseUnavailable = input.baseUnavailable ? `${input.baseUnavailable.reference}: ${input.baseUnavailable.reason}; built on scratch` : undefined;
  const labels: Record<string, string> = {
    ...(inherited.Labels ?? {}),
    ...(settings.labels ?? {}),
    ...(base ? { [BASE_NAME_LABEL]: base.reference, [BASE_DIGEST_LABEL]: base.digest } : {}),
    ...(input.baseUnavailable && baseUnavailable ? { [BASE_NAME_LABEL]: input.baseUnavailable.reference, [BASE_UNAVAILABLE_LABEL]: baseUnavailable.slice(0, 256) } : {}),
  };
  const ports: Record<string, object> = { ...(inherited.ExposedPorts ?? {}) };
  for (const port of settings.exposedPorts ?? []) ports[`${port}/tcp`] = {};

  const configFile: ImageConfigFile = {
    architecture: platform.architecture,
    os: platform.os,
    created: FIXED_CREATED,
    config: {
      ...(settings.entrypoint ?? inherited.Entrypoint ? { Entrypoint: settings.entrypoint ?? inherited.Entrypoint ?? [] } : {}),
      // docker semantics: a new entrypoint drops the base's Cmd unless a Cmd is given too
      ...(settings.cmd ?? (settings.entrypoint ? undefined : inherited.Cmd) ? { Cmd: settings.cmd ?? inherited.Cmd ?? [] } : {}),
      Env: mergeEnv(inherited.Env ?? [], settings.env ?? {}),
      WorkingDir: settings.workingDir ?? inherited.WorkingDir ?? DEFAULT_WORKING_DIR,
      ...(Object.keys(ports).length > 0 ? { ExposedPorts: ports } : {}),
      ...(settings.user ?? inherited.User ? { User: settings.user ?? inherited.User } : {}),
      ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [...(base?.config.rootfs.diff_ids ?? []), ...input.layers.map(({ layer }) => layer.diffId)] },
    history: [...(base?.config.history ?? []), ...input.layers.map(({ createdBy }) => ({ created: FIXED_CREATED, created_by: createdBy }))],
  };
  const config = Buffer.from(canonicalJson(configFile));
  const configDigest = sha256Digest(config);
  const layers: BlobSource[] = [
    ...(base?.layers ?? []),
    ...input.layers.map(({ layer }) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, read: async () => layer.blob })),
  ];
  const manifestFile: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  const manifest = Buffer.from(canonicalJson(manifestFile));
  return {
    manifest,
    digest: sha256Digest(manifest),
    mediaType: OCI_MANIFEST,
    config,
    configDigest,
    layers,
    size: manifest.length + config.length + layers.reduce((sum, layer) => sum + layer.size, 0),
    base: base ? { reference: base.reference, digest: base.digest } : null,
    ...(baseUnavailable ? { baseUnavailable: baseUnavailable.slice(0, 1000) } : {}),
  };
}

/** K=V, the command's values over the base's, sorted by key */
export function mergeEnv(inherited: readonly string[], env: Record<string, string>): string[] {
  const merged = new Map<string, string>();
  for (const pair of inherited) {
    const at = pair.indexOf('=');
    if (at > 0) merged.set(pair.slice(0, at), pair.slice(at + 1));
  }
  for (const [key, value] of Object.entries(env)) merged.set(key, value);
  return [...merged.keys()].sort().map((key) => `${key}=${merged.get(key) ?? ''}`);
}
