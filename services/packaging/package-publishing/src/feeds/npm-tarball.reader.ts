import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { ValidationError } from '@delivery/messaging';

export interface NpmManifest {
  name?: unknown;
  version?: unknown;
  [key: string]: unknown;
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

// The manifest an npm tarball carries: package/package.json (npm pack's layout). Some tools use another top
// folder name, so the first <dir>/package.json at depth one is accepted when package/ has none.
export async function readNpmManifest(tarball: Buffer): Promise<NpmManifest> {
  let tar: Buffer;
  try {
    tar = gunzipSync(tarball);
  } catch (error) {
    throw new ValidationError('package.unreadable', `the npm package is not a gzip tarball: ${(error as Error).message}`);
  }
  const found = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      const wanted = header.type === 'file' && /^[^/]+\/package\.json$/.test(name) && (header.size ?? 0) <= MAX_MANIFEST_BYTES;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        if (wanted && Buffer.isBuffer(chunk)) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (wanted && !found.has(name)) found.set(name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from([tar]).pipe(reader);
  try {
    await done;
  } catch (error) {
    throw new ValidationError('package.unreadable', `the npm tarball cannot be read: ${(error as Error).message}`);
  }
  const raw = found.get('package/package.json') ?? [...found.values()][0];
  if (!raw) throw new ValidationError('package.unreadable', 'the npm tarball has no package/package.json');
  try {
    const manifest: unknown = JSON.parse(raw.toString('utf8'));
    if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw new Error('not an object');
    return manifest as NpmManifest;
  } catch (error) {
    throw new ValidationError('package.unreadable', `package/package.json is not a JSON object: ${(error as Error).message}`);
  }
}
