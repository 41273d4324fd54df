import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { layerEntriesOf } from './artifact-layer.mapper';
import { buildLayer, deterministicGzip, deterministicTar } from './deterministic-tar';
import { sha256Digest } from './digest';
import type { LayerEntry } from './layer-entry';
import { artifactRef, npmTarball, rawTar } from './layer.test-fixture';

async function headersOf(tar: Buffer): Promise<Array<Header & { content: string }>> {
  const out: Array<Header & { content: string }> = [];
  const reader = extract();
  Readable.from([tar]).pipe(reader);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.push({ ...entry.header, content: Buffer.concat(chunks).toString('utf8') });
  }
  return out;
}

const file = (path: string, content: string, executable = false): LayerEntry => ({ type: 'file', path, data: Buffer.from(content), executable });

describe('deterministic tar', () => {
  it('given the same entries in another order, when packed, then the bytes are identical', async () => {
    const a = await deterministicTar([file('app/b.js', 'b'), file('app/a.js', 'a'), file('etc/x', 'x')]);
    const b = await deterministicTar([file('etc/x', 'x'), file('app/a.js', 'a'), file('app/b.js', 'b')]);
    expect(sha256Digest(a)).toBe(sha256Digest(b));
  });

  it('emits parents, sorts by path, and normalizes times, owners and modes', async () => {
    const tar = await deterministicTar([file('app/lib/run.sh', '#!/bin/sh', true), file('app/index.js', 'x')]);
    const headers = await headersOf(tar);
    expect(headers.map((h) => h.name)).toEqual(['app/', 'app/index.js', 'app/lib/', 'app/lib/run.sh']);
    for (const h of headers) {
      expect(h.mtime.getTime()).toBe(0);
      expect([h.uid, h.gid, h.uname, h.gname]).toEqual([0, 0, '', '']);
    }
    expect(headers.map((h) => h.mode)).toEqual([0o755, 0o644, 0o755, 0o755]);
  });

  it('keeps the last of duplicate paths', async () => {
    const headers = await headersOf(await deterministicTar([file('app/a', 'first'), file('./app/a', 'second')]));
    expect(headers.filter((h) => h.name === 'app/a').map((h) => h.content)).toEqual(['second']);
  });

  it('refuses a path that leaves the image root', async () => {
    await expect(deterministicTar([file('app/../../etc/passwd', 'x')])).rejects.toMatchObject({ code: 'image.layer-path' });
  });

  it('refuses a file under a path that is a file', async () => {
    await expect(deterministicTar([file('app', 'x'), file('app/b', 'y')])).rejects.toMatchObject({ code: 'image.layer-path' });
  });
});

describe('deterministic gzip', () => {
  it('writes a fixed header: no name, mtime 0, OS byte unknown', () => {
    const gz = deterministicGzip(Buffer.from('hello'));
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
    expect(gunzipSync(gz).toString()).toBe('hello');
    expect(sha256Digest(deterministicGzip(Buffer.from('hello')))).toBe(sha256Digest(gz));
  });

  it('layer digest is the gzip sha256 and diff_id the tar sha256', async () => {
    const layer = await buildLayer([file('app/a', 'a')]);
    expect(layer.digest).toBe(sha256Digest(layer.blob));
    expect(layer.diffId).toBe(sha256Digest(gunzipSync(layer.blob)));
    expect(layer.diffId).not.toBe(layer.digest);
  });
});

describe('artifact layer mapping', () => {
  it('npm-package: package/ becomes /app, whatever times and owners the tarball had', async () => {
    const one = await npmTarball({ 'package.json': '{"name":"x"}', 'index.js': 'x' }, { mtime: new Date('2020-01-01T00:00:00Z'), uid: 501 });
    const two = await npmTarball({ 'index.js': 'x', 'package.json': '{"name":"x"}' }, { mtime: new Date('2025-02-02T00:00:00Z'), uid: 0 });
    const [a, b] = await Promise.all([one, two].map(async (bytes) => buildLayer(await layerEntriesOf(artifactRef('x.tgz', 'npm-package', bytes), bytes))));
    expect(a!.digest).toBe(b!.digest);
    const headers = await headersOf(gunzipSync(a!.blob));
    expect(headers.map((h) => h.name)).toEqual(['app/', 'app/index.js', 'app/package.json']);
  });

  it('container-context: unpacked as-is at the root, executables kept executable', async () => {
    const bytes = await rawTar([{ name: 'usr/local/bin/tool', content: 'bin', mode: 0o775 }, { name: 'etc/conf', content: 'c' }, { name: 'usr/local/bin/link', type: 'symlink', linkname: 'tool' }]);
    const entries = await layerEntriesOf(artifactRef('ctx.tar', 'container-context', bytes), bytes);
    const headers = await headersOf(gunzipSync((await buildLayer(entries)).blob));
    expect(headers.map((h) => [h.name, h.mode.toString(8)])).toEqual([
      ['etc/', '755'],
      ['etc/conf', '644'],
      ['usr/', '755'],
      ['usr/local/', '755'],
      ['usr/local/bin/', '755'],
      ['usr/local/bin/link', '777'],
      ['usr/local/bin/tool', '755'],
    ]);
  });

  it('a plain file goes to /app/<name>', async () => {
    const bytes = Buffer.from('{"port":3000}');
    expect(await layerEntriesOf(artifactRef('config.json', 'file', bytes), bytes)).toEqual([{ type: 'file', path: 'app/config.json', data: bytes, executable: false }]);
  });

  it('refuses an npm-package that is not a tarball', async () => {
    const bytes = Buffer.from('not a tarball');
    await expect(layerEntriesOf(artifactRef('x.tgz', 'npm-package', bytes), bytes)).rejects.toMatchObject({ code: 'image.artifact-format' });
  });

  it('refuses a container-context entry that climbs out of the root', async () => {
    const bytes = await rawTar([{ name: '../escape', content: 'x' }]);
    await expect(layerEntriesOf(artifactRef('ctx.tar', 'container-context', bytes), bytes)).rejects.toMatchObject({ code: 'image.layer-path' });
  });
});
