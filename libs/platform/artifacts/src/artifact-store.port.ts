import type { Readable } from 'node:stream';
import { IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';

/** What the store holds under a key: the contracts' ArtifactRef takes digest and size from here. */
export interface StoredArtifact {
  key: string;
  /** sha256:<64 hex> of the bytes */
  digest: string;
  size: number;
}

// Where runs leave their outputs (test results, coverage, packages, image contexts, logs) and where build-result,
// package-publishing and container-image read them: the `location` of an ArtifactRef is a key of this store.
// Keys are immutable: writing different bytes under a stored key fails, the same bytes again is a no-op.
export interface ArtifactStore {
  put(key: string, content: Buffer | string | Readable): Promise<StoredArtifact>;
  putFile(key: string, file: string): Promise<StoredArtifact>;
  /** a stream of the bytes; ArtifactNotFoundError when the key holds nothing */
  open(key: string): Promise<Readable>;
  read(key: string): Promise<Buffer>;
  stat(key: string): Promise<StoredArtifact | undefined>;
  /** the keys under a prefix (`runs/<runId>/`), sorted */
  list(prefix: string): Promise<string[]>;
}

// Segments of letters, digits, dot, dash, underscore, plus and @ (npm scopes), never "." or "..": a key is also
// a relative path under the store's root and must not leave it.
const SEGMENT = /^[A-Za-z0-9@+_.-]{1,255}$/;

export function assertArtifactKey(key: string): string {
  const segments = typeof key === 'string' ? key.split('/') : [];
  const valid =
    key.length > 0 && key.length <= 2048 && segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
  if (!valid) throw new InvalidArtifactKeyError(String(key));
  return key;
}

export class InvalidArtifactKeyError extends ValidationError {
  constructor(key: string) {
    super('artifact.invalid-key', `invalid artifact key "${key.slice(0, 200)}": use /-separated segments of letters, digits, @ + _ . -, no "." or ".."`);
  }
}

export class ArtifactNotFoundError extends NotFoundError {
  constructor(key: string) {
    super('artifact.not-found', `artifact "${key}" not found`);
  }
}

export class ArtifactConflictError extends IllegalStateError {
  constructor(key: string, stored: string, offered: string) {
    super('artifact.immutable', `artifact "${key}" already holds ${stored}; refusing different bytes (${offered})`);
  }
}
