import path from 'node:path';
import { artifactStoreFromEnv, type ArtifactStore } from '@delivery/artifacts';
import { DEFAULT_RETRY, type RetryPolicy } from './registry/registry.client';
import { parseRegistries, type RegistryConfig } from './registry/registries.config';

export const IMAGE_OPTIONS = Symbol('container-image options');

export interface ContainerImageOptions {
  registries: Record<string, RegistryConfig>;
  defaultRegistry?: string;
  /** the local OCI image layout base images are taken from */
  baseImageDir: string;
  artifacts: ArtifactStore;
  retry: RetryPolicy;
  /** the command consumer's max_deliver (deploy/nats): on the last delivery an unreachable registry is answered with ContainerImageBuildFailed */
  maxDeliveries: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** Validated once at start; a bad variable fails with its name (DESIGN §6). */
export function containerImageOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ContainerImageOptions {
  const registries = parseRegistries(env.CONTAINER_REGISTRIES);
  const defaultRegistry = env.DEFAULT_REGISTRY || undefined;
  if (defaultRegistry && !registries[defaultRegistry]) throw new Error(`DEFAULT_REGISTRY: "${defaultRegistry}" is not a key of CONTAINER_REGISTRIES`);
  return {
    registries,
    ...(defaultRegistry ? { defaultRegistry } : {}),
    baseImageDir: path.resolve(env.BASE_IMAGE_DIR || path.join('.data', 'base-images')),
    artifacts: artifactStoreFromEnv(env),
    retry: {
      attempts: positiveInt(env, 'REGISTRY_RETRY_ATTEMPTS', DEFAULT_RETRY.attempts),
      initialDelayMs: positiveInt(env, 'REGISTRY_RETRY_INITIAL_MS', DEFAULT_RETRY.initialDelayMs),
      maxDelayMs: positiveInt(env, 'REGISTRY_RETRY_MAX_MS', DEFAULT_RETRY.maxDelayMs),
      requestTimeoutMs: positiveInt(env, 'REGISTRY_REQUEST_TIMEOUT_MS', DEFAULT_RETRY.requestTimeoutMs),
    },
    maxDeliveries: positiveInt(env, 'IMAGE_MAX_DELIVERIES', 5),
  };
}
