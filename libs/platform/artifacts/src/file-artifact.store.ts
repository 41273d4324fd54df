import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactConflictError, ArtifactNotFoundError, assertArtifactKey, type ArtifactStore, type StoredArtifact } from './artifact-store.port';

// The embedded artifact store: one file per key under a root directory shared by the services of one machine
// (ARTIFACT_DIR). Writes go to a temporary file and are linked into place, so a reader never sees half a file and
// two writers of one key cannot both win: link() fails on an existing name, which is how immutability is kept.
export class FileArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  async put(key: string, content: Buffer | string | Readable): Promise<StoredArtifact> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.partial`;
    const hash = createHash('sha256');
    let size = 0;
    const source = typeof content === 'string' || Buffer.isBuffer(content) ? Readable.from([Buffer.from(content)]) : content;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, createWriteStream(temporary, { flags: 'wx' }));
      const stored: StoredArtifact = { key, digest: `sha256:${hash.digest('hex')}`, size };
      try {
        await link(temporary, target);
        return stored;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const existing = await this.stat(key);
        if (existing?.digest === stored.digest) return existing;
        throw new ArtifactConflictError(key, existing?.digest ?? 'unknown', stored.digest);
      }
    } finally {
      await rm(temporary, { force: true });
    }
  }

  putFile(key: string, file: string): Promise<StoredArtifact> {
    return this.put(key, createReadStream(file));
  }

  async open(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    await this.mustExist(key, file);
    return createReadStream(file);
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      throw notFound(error, key);
    }
  }

  async stat(key: string): Promise<StoredArtifact | undefined> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      const hash = createHash('sha256');
      await pipeline(createReadStream(file), hash);
      return { key, digest: `sha256:${hash.digest('hex')}`, size: info.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const directory = this.pathOf(prefix.replace(/\/+$/, ''));
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !entry.name.endsWith('.partial')) keys.push(path.relative(this.root, full).split(path.sep).join('/'));
      }
    };
    await walk(directory);
    return keys.sort();
  }

  /** The file behind a key, for adapters that hand a path to a tool (a tarball to a registry client). */
  pathOf(key: string): string {
    return path.join(this.root, ...assertArtifactKey(key).split('/'));
  }

  private async mustExist(key: string, file: string): Promise<void> {
    try {
      await stat(file);
    } catch (error) {
      throw notFound(error, key);
    }
  }
}

function notFound(error: unknown, key: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new ArtifactNotFoundError(key) : error;
}
