import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { sha256Digest } from './digest';
import type { schemas } from '@delivery/contracts';

export interface RawEntry {
  name: string;
  content?: string;
  type?: 'file' | 'directory' | 'symlink';
  mode?: number;
  mtime?: Date;
  uid?: number;
  uname?: string;
  linkname?: string;
}

/** A tar as other tools make it: whatever times, owners and order the caller gives. */
export async function rawTar(entries: RawEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const header: Partial<Header> & { name: string } = {
      name: e.name,
      type: e.type ?? 'file',
      mode: e.mode ?? (e.type === 'directory' ? 0o775 : 0o664),
      mtime: e.mtime ?? new Date('2024-05-06T07:08:09Z'),
      uid: e.uid ?? 1000,
      gid: e.uid ?? 1000,
      uname: e.uname ?? 'builder',
      gname: e.uname ?? 'builder',
      ...(e.linkname ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (error?: Error | null) => (error ? reject(error) : resolve());
      if (header.type === 'file') tar.entry(header, Buffer.from(e.content ?? ''), cb);
      else tar.entry(header, cb);
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** an npm-pack-shaped tarball: everything under package/ */
export async function npmTarball(files: Record<string, string>, options: Partial<RawEntry> = {}): Promise<Buffer> {
  const entries = Object.entries(files).map(([name, content]) => ({ ...options, name: `package/${name}`, content }));
  return gzipSync(await rawTar(entries));
}

export function artifactRef(name: string, kind: schemas.ArtifactRef['kind'], bytes: Buffer, location = `runs/run-1/${name}`): schemas.ArtifactRef {
  return { name, kind, location, digest: sha256Digest(bytes), size: bytes.length };
}
