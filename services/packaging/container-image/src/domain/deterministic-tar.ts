import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { sha256Digest } from './digest';
import { LayerPathError, normalizeEntryPath, type LayerEntry } from './layer-entry';

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** every entry's mtime: the epoch, like SOURCE_DATE_EPOCH=0 */
export const FIXED_MTIME = new Date(0);
const GZIP_LEVEL = 9;
/** RFC 1952 OS byte "unknown": zlib writes the OS it was built for (3 on Unix, 11 on NTFS…), which would leak into the digest */
const GZIP_OS_UNKNOWN = 0xff;

export interface BuiltLayer {
  /** the gzip bytes pushed as the blob */
  blob: Buffer;
  /** sha256 of the gzip */
  digest: string;
  /** sha256 of the uncompressed tar (rootfs.diff_ids) */
  diffId: string;
  size: number;
  mediaType: typeof LAYER_MEDIA_TYPE;
  entries: number;
}

// Reproducible layer rules (README "Reproducibility"): paths normalized and sorted, parents emitted, later
// duplicates win, mtime 0, uid/gid 0, empty uname/gname, modes 0755 (dirs, executables, symlinks 0777) or 0644.
export function normalizeEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of entries) {
    const path = normalizeEntryPath(entry.path);
    if (path === '') continue;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = byPath.get(parent);
      if (existing && existing.type !== 'directory') throw new LayerPathError(path, `is under "${parent}", which is not a directory`);
      if (!existing) byPath.set(parent, { type: 'directory', path: parent });
    }
    const existing = byPath.get(path);
    // a directory met again (explicitly, or after being implied) stays; a file replaces whatever was there
    if (existing?.type === 'directory' && entry.type === 'directory') continue;
    byPath.set(path, { ...entry, path });
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function headerOf(entry: LayerEntry): Partial<Header> & { name: string } {
  const common = { mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  switch (entry.type) {
    case 'directory':
      return { ...common, name: `${entry.path}/`, type: 'directory', mode: 0o755 };
    case 'symlink':
      return { ...common, name: entry.path, type: 'symlink', mode: 0o777, linkname: entry.target };
    case 'file':
      return { ...common, name: entry.path, type: 'file', mode: entry.executable ? 0o755 : 0o644, size: entry.data.length };
  }
}

export async function deterministicTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const entry of normalizeEntries(entries)) {
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (entry.type === 'file') tar.entry(headerOf(entry), entry.data, callback);
      else tar.entry(headerOf(entry), callback);
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** gzip with a fixed header: no name (FLG 0), MTIME 0, XFL from the fixed level, OS byte "unknown". */
export function deterministicGzip(data: Buffer): Buffer {
  const gz = gzipSync(data, { level: GZIP_LEVEL });
  if (gz[0] !== 0x1f || gz[1] !== 0x8b || gz[3] !== 0) throw new Error('unexpected gzip header from zlib');
  gz.writeUInt32LE(0, 4);
  gz[9] = GZIP_OS_UNKNOWN;
  return gz;
}

export async function buildLayer(entries: readonly LayerEntry[]): Promise<BuiltLayer> {
  const tar = await deterministicTar(entries);
  const blob = deterministicGzip(tar);
  return { blob, digest: sha256Digest(blob), diffId: sha256Digest(tar), size: blob.length, mediaType: LAYER_MEDIA_TYPE, entries: normalizeEntries(entries).length };
}
