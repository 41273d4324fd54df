import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactConflictError, ArtifactNotFoundError, InvalidArtifactKeyError } from './artifact-store.port';
import { FileArtifactStore } from './file-artifact.store';

const sha = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('FileArtifactStore', () => {
  let root: string;
  let store: FileArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'artifacts-'));
    store = new FileArtifactStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores bytes under a key with their digest and size, and reads them back', async () => {
    const stored = await store.put('runs/r1/junit.xml', '<testsuites/>');
    expect(stored).toEqual({ key: 'runs/r1/junit.xml', digest: sha('<testsuites/>'), size: 13 });
    expect((await store.read('runs/r1/junit.xml')).toString()).toBe('<testsuites/>');
    expect(await store.stat('runs/r1/junit.xml')).toEqual(stored);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open('runs/r1/junit.xml')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('<testsuites/>');
  });

  it('streams large content without holding it, digest computed on the way', async () => {
    const part = 'x'.repeat(64 * 1024);
    const stored = await store.put('runs/r2/big.bin', Readable.from((function* () { for (let i = 0; i < 32; i++) yield Buffer.from(part); })()));
    expect(stored.size).toBe(32 * part.length);
    expect(stored.digest).toBe(sha(part.repeat(32)));
  });

  it('keeps a key immutable: the same bytes again are a no-op, other bytes are refused', async () => {
    const first = await store.put('runs/r3/pkg.tgz', 'one');
    await expect(store.put('runs/r3/pkg.tgz', 'one')).resolves.toEqual(first);
    await expect(store.put('runs/r3/pkg.tgz', 'two')).rejects.toBeInstanceOf(ArtifactConflictError);
    expect((await store.read('runs/r3/pkg.tgz')).toString()).toBe('one');
    // no temporary file is left behind by either attempt
    expect(await readdir(path.join(root, 'runs', 'r3'))).toEqual(['pkg.tgz']);
  });

  it('lets exactly one of two concurrent writers of different bytes win', async () => {
    const results = await Promise.allSettled([store.put('runs/r4/a', 'left'), store.put('runs/r4/a', 'right')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ArtifactConflictError)).toHaveLength(1);
  });

  it('lists the keys under a prefix, sorted', async () => {
    await store.put('runs/r5/b.txt', 'b');
    await store.put('runs/r5/logs/1.log', 'l');
    await store.put('runs/r5/a.txt', 'a');
    await store.put('runs/r6/a.txt', 'a');
    expect(await store.list('runs/r5/')).toEqual(['runs/r5/a.txt', 'runs/r5/b.txt', 'runs/r5/logs/1.log']);
    expect(await store.list('runs/none')).toEqual([]);
  });

  it('answers a missing key with a coded not-found error, and refuses keys that would leave the root', async () => {
    await expect(store.read('runs/none/x')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.open('runs/none/x')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(await store.stat('runs/none/x')).toBeUndefined();
    for (const key of ['../etc/passwd', 'runs/../../x', '/abs', 'runs//x', '', 'runs/a b']) {
      await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    }
  });
});
