import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import type { schemas } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { normalizeEntryPath, underPrefix, type LayerEntry } from './layer-entry';

type ArtifactRef = schemas.ArtifactRef;

/** where npm packages and plain files go in the image */
export const APP_DIR = 'app';
/** an artifact unpacked into a layer: at most this many bytes once gunzipped (a zip bomb is refused) */
const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;

export class ArtifactFormatError extends ValidationError {
  constructor(artifact: ArtifactRef, why: string) {
    super('image.artifact-format', `artifact "${artifact.name}" (${artifact.kind}): ${why}`);
  }
}

export function isGzip(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** POSIX ustar / GNU tar: "ustar" at offset 257 of the first header */
export function isTar(bytes: Buffer): boolean {
  return bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar';
}

// The layer mapping (README "Layer mapping"):
//   npm-package        a .tgz whose top directory (npm's `package/`) becomes /app
//   container-context  a tar or .tgz unpacked as-is at the image root
//   anything else      the bytes as one file /app/<name>
export async function layerEntriesOf(artifact: ArtifactRef, bytes: Buffer): Promise<LayerEntry[]> {
  switch (artifact.kind) {
    case 'npm-package': {
      const tar = unpackedTar(artifact, bytes);
      if (!tar) throw new ArtifactFormatError(artifact, 'an npm package must be a tarball (.tgz)');
      return (await readTar(artifact, tar)).flatMap((entry) => {
        // npm packs everything under one top directory, `package/` (older tools used the package's name)
        const inner = entry.path.split('/').slice(1).join('/');
        return inner === '' ? [] : [{ ...entry, path: underPrefix(APP_DIR, inner) }];
      });
    }
    case 'container-context': {
      const tar = unpackedTar(artifact, bytes);
      if (!tar) throw new ArtifactFormatError(artifact, 'a container context must be a tar or .tgz');
      return readTar(artifact, tar);
    }
    default:
      return [{ type: 'file', path: underPrefix(APP_DIR, artifact.name), data: bytes, executable: false }];
  }
}

function unpackedTar(artifact: ArtifactRef, bytes: Buffer): Buffer | undefined {
  if (isGzip(bytes)) {
    let tar: Buffer;
    try {
      tar = gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED_BYTES });
    } catch (error) {
      throw new ArtifactFormatError(artifact, `not a readable gzip (${(error as Error).message})`);
    }
    return isTar(tar) ? tar : undefined;
  }
  return isTar(bytes) ? bytes : undefined;
}

async function readTar(artifact: ArtifactRef, tar: Buffer): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const reader = extract();
  Readable.from([tar]).pipe(reader);
  try {
    for await (const entry of reader) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const { header } = entry;
      const path = normalizeEntryPath(header.name);
      if (path === '') continue;
      const mode = header.mode ?? 0o644;
      switch (header.type) {
        case 'file':
        case 'contiguous-file':
          entries.push({ type: 'file', path, data: Buffer.concat(chunks), executable: (mode & 0o111) !== 0 });
          break;
        case 'directory':
          entries.push({ type: 'directory', path });
          break;
        case 'symlink':
          entries.push({ type: 'symlink', path, target: header.linkname ?? '' });
          break;
        default:
          // hard links, devices and fifos have no business in an application layer
          throw new ArtifactFormatError(artifact, `entry "${header.name}" is a ${header.type}, which a layer built here does not carry`);
      }
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ArtifactFormatError(artifact, `not a readable tar (${(error as Error).message})`);
  }
  return entries;
}
