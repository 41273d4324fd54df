import { IllegalStateError, TransientError, ValidationError } from '@delivery/messaging';

export type PackageFormat = 'npm' | 'nuget';
export type FeedKind = 'npm-registry' | 'nuget-folder' | 'azure-artifacts';

export interface PackageToPublish {
  format: PackageFormat;
  name: string;
  version: string;
  /** npm dist-tag; ignored by NuGet feeds */
  distTag: string;
  /** the package file: an npm tarball (.tgz) or a .nupkg */
  content: Buffer;
}

export interface PublishOutcome {
  /** Subresource Integrity of the bytes in the feed (sha512-<base64>) */
  integrity: string;
  /** where the package can be fetched from, when the feed has a URL for it */
  url?: string;
  /** the same bytes were already in the feed under this version: nothing was written */
  alreadyPublished: boolean;
}

// A place packages are published to. A version, once published, is immutable: publishing it again with the same
// bytes answers alreadyPublished, with other bytes fails with package.version-immutable, never overwrites. That
// rule is also what makes a publish retried after a crash converge (the feed write is outside the DB transaction).
export interface PackageFeed {
  readonly name: string;
  readonly kind: FeedKind;
  readonly formats: readonly PackageFormat[];
  publish(pkg: PackageToPublish): Promise<PublishOutcome>;
}

export function versionImmutable(name: string, version: string, feed: string, stored: string, offered: string): IllegalStateError {
  return new IllegalStateError('package.version-immutable', `${name}@${version} is already in feed "${feed}" with other bytes (${stored}); a published version is never overwritten (offered ${offered})`);
}

export function manifestMismatch(what: string, expected: string, actual: string | undefined): ValidationError {
  return new ValidationError('package.manifest-mismatch', `the package's ${what} is ${JSON.stringify(actual ?? null)}, the command says ${JSON.stringify(expected)}`);
}

/** the feed cannot be reached or answered 5xx: retried with backoff, dead-lettered after the last delivery */
export function feedUnavailable(feed: string, reason: string): TransientError {
  return new TransientError('package.feed-unavailable', `feed "${feed}" is unavailable: ${reason}`);
}
