import { IllegalStateError, TransientError } from '@delivery/messaging';

/** The registry could not be reached, or kept answering 5xx/429, after the bounded retries: nak and retry later. */
export class RegistryUnavailableError extends TransientError {
  constructor(registry: string, cause: string) {
    super('image.registry-unavailable', `registry ${registry} unavailable: ${cause}`);
  }
}

/** The registry answered a 4xx that retrying will not change (denied, invalid manifest, unknown repository). */
export class RegistryRejectedError extends IllegalStateError {
  constructor(registry: string, what: string, status: number, body: string) {
    super('image.registry-rejected', `registry ${registry} refused ${what}: HTTP ${status} ${body.slice(0, 500)}`.trim(), { status });
  }
}

export class RegistryAuthError extends IllegalStateError {
  constructor(registry: string, why: string) {
    super('image.registry-auth', `could not authenticate to registry ${registry}: ${why}`);
  }
}

export class DigestMismatchError extends IllegalStateError {
  constructor(registry: string, ours: string, theirs: string) {
    super('image.registry-digest-mismatch', `registry ${registry} stored the manifest as ${theirs}, we computed ${ours}`);
  }
}
