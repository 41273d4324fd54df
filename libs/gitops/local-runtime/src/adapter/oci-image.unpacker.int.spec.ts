import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { tempDir } from '../local-runtime.testing';
import { buildImage, writeOciLayout } from './adapter.testing';
import { unpackOciImage } from './oci-image.unpacker';

// Real files: OCI layout directories written by the test, unpacked into temp roots.

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layoutWithLayer(entries: Array<{ name: string; body?: string; type?: 'symlink'; linkname?: string }>): Promise<string> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, ...(e.type ? { type: e.type, linkname: e.linkname } : {}) }, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const layer = gzipSync(Buffer.concat(chunks));
  const config = Buffer.from('{"config":{}}');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: sha(config) }, layers: [{ digest: sha(layer) }] }));
  const dir = tempDir('oci-evil');
  writeOciLayout(dir, { manifest, manifestDigest: sha(manifest), blobs: new Map([[sha(config), config], [sha(layer), layer]]) }, 'evil');
  return dir;
}

describe('unpackOciImage (OCI layout)', () => {
  it('unpacks the layers in order with whiteouts, pinned by manifest digest, and reports WorkingDir', async () => {
    const image = await buildImage('3.0.0');
    const layout = tempDir('oci');
    writeOciLayout(layout, image, '3.0.0');
    const root = tempDir('root');
    expect(await unpackOciImage(`oci:${layout}`, image.manifestDigest, root)).toEqual({ digest: image.manifestDigest, workingDir: '/app' });
    expect(JSON.parse(readFileSync(path.join(root, 'app', 'package.json'), 'utf8'))).toMatchObject({ version: '3.0.0' });
    expect(existsSync(path.join(root, 'app', 'stale.txt'))).toBe(false);
  });

  it('refuses a blob whose content does not match its digest', async () => {
    const image = await buildImage('3.0.0');
    const layout = tempDir('oci');
    writeOciLayout(layout, image, '3.0.0');
    const [layerDigest] = [...image.blobs.keys()].filter((d) => (image.blobs.get(d)?.[0] ?? 0) === 0x1f);
    writeFileSync(path.join(layout, 'blobs', 'sha256', (layerDigest ?? '').slice(7)), gzipSync(Buffer.from('tampered')));
    await expect(unpackOciImage(`oci:${layout}:3.0.0`, undefined, tempDir('root'))).rejects.toThrow(/does not match its digest/);
  });

  it('never writes outside the root: ../ entries and writes through a symlink that leads out are skipped', async () => {
    const outside = tempDir('outside');
    const layout = await layoutWithLayer([
      { name: `../../../../../../..${outside}/escaped.txt`, body: 'x' },
      { name: 'link', type: 'symlink', linkname: outside },
      { name: 'link/through.txt', body: 'x' },
      { name: 'ok.txt', body: 'fine' },
    ]);
    const root = tempDir('root');
    mkdirSync(root, { recursive: true });
    await unpackOciImage(`oci:${layout}:evil`, undefined, root);
    expect(readFileSync(path.join(root, 'ok.txt'), 'utf8')).toBe('fine');
    expect(existsSync(path.join(outside, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'through.txt'))).toBe(false);
  });
});
