import { createHash } from 'node:crypto';

// The digests a package is known by: SRI sha512 (npm dist.integrity, NuGet .sha512), sha1 (npm dist.shasum) and
// the platform's sha256 content digest.
export function sha512Base64(content: Buffer): string {
  return createHash('sha512').update(content).digest('base64');
}

export function integrityOf(content: Buffer): string {
  return `sha512-${sha512Base64(content)}`;
}

export function shasumOf(content: Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}

export function digestOf(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
