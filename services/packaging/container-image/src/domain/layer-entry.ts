import path from 'node:path';
import { ValidationError } from '@delivery/messaging';

/** One entry of a layer, path relative to the image root without a leading slash (`app/index.js`). */
export type LayerEntry =
  | { type: 'file'; path: string; data: Buffer; executable: boolean }
  | { type: 'directory'; path: string }
  | { type: 'symlink'; path: string; target: string };

export class LayerPathError extends ValidationError {
  constructor(entry: string, why: string) {
    super('image.layer-path', `layer entry "${entry.slice(0, 300)}" ${why}`);
  }
}

/** `./a//b/` → `a/b`; refuses anything that would leave the image root once unpacked. */
export function normalizeEntryPath(raw: string): string {
  const trimmed = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (trimmed.split('/').includes('..')) throw new LayerPathError(raw, 'leaves the image root (..)');
  const normalized = path.posix.normalize(trimmed).replace(/\/+$/, '');
  if (normalized === '.' || normalized === '') return '';
  if (normalized.includes('\0')) throw new LayerPathError(raw, 'contains a NUL byte');
  return normalized;
}

/** A path joined under a prefix (`app`), normalized. */
export function underPrefix(prefix: string, relative: string): string {
  const inner = normalizeEntryPath(relative);
  return inner === '' ? prefix : `${prefix}/${inner}`;
}
