import { gzipSync } from 'node:zlib';
import { npmTarball } from '../testing/package-files.testing';
import { integrityOf, shasumOf } from './package.integrity';
import { packumentPath, publishDocumentOf, sameBytes, tarballUrl, versionInPackument } from './npm-publish.document';
import { readNpmManifest } from './npm-tarball.reader';

describe('npm publish document and packument', () => {
  it('escapes the slash of a scoped name in the packument path and keeps @', () => {
    expect(packumentPath('@acme/widget')).toBe('@acme%2fwidget');
    expect(packumentPath('left-pad')).toBe('left-pad');
  });

  it('builds the document libnpmpublish sends: _id, name, dist-tags, versions with dist, _attachments', async () => {
    const tarball = await npmTarball({ name: '@acme/widget', version: '1.2.3', description: 'a widget', main: 'index.js', _resolved: 'stale' });
    const manifest = await readNpmManifest(tarball);
    const integrity = integrityOf(tarball);
    const shasum = shasumOf(tarball);
    const doc = publishDocumentOf({ manifest, name: '@acme/widget', version: '1.2.3', distTag: 'next', registry: 'http://registry.test/', tarball, integrity, shasum });
    expect(doc).toEqual({
      _id: '@acme/widget',
      name: '@acme/widget',
      description: 'a widget',
      'dist-tags': { next: '1.2.3' },
      access: null,
      versions: {
        '1.2.3': {
          name: '@acme/widget',
          version: '1.2.3',
          description: 'a widget',
          main: 'index.js',
          _id: '@acme/widget@1.2.3',
          dist: { integrity, shasum, tarball: 'http://registry.test/@acme/widget/-/@acme/widget-1.2.3.tgz' },
        },
      },
      _attachments: { '@acme/widget-1.2.3.tgz': { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
    });
    expect(Buffer.from(doc._attachments['@acme/widget-1.2.3.tgz']!.data, 'base64').equals(tarball)).toBe(true);
    expect(tarballUrl('http://r/', 'x', '1.0.0')).toBe('http://r/x/-/x-1.0.0.tgz');
  });

  it('computes integrity as sha512 base64 and shasum as sha1 hex', () => {
    const bytes = Buffer.from('hello');
    expect(integrityOf(bytes)).toBe('sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==');
    expect(shasumOf(bytes)).toBe('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d');
  });

  it('reads one version of a packument and compares bytes by integrity, else by shasum', () => {
    const packument = { versions: { '1.0.0': { dist: { integrity: 'sha512-abc=', shasum: 'ff', tarball: 'http://r/x/-/x-1.0.0.tgz' } }, '2.0.0': { dist: { shasum: 'AB' } } } };
    expect(versionInPackument(packument, '1.0.0')).toEqual({ integrity: 'sha512-abc=', shasum: 'ff', tarball: 'http://r/x/-/x-1.0.0.tgz' });
    expect(versionInPackument(packument, '3.0.0')).toBeUndefined();
    expect(versionInPackument({ error: 'nope' }, '1.0.0')).toBeUndefined();
    expect(sameBytes({ integrity: 'sha512-abc=' }, { integrity: 'sha512-abc=', shasum: 'zz' })).toBe(true);
    expect(sameBytes({ integrity: 'sha512-abc=', shasum: 'zz' }, { integrity: 'sha512-def=', shasum: 'zz' })).toBe(false);
    expect(sameBytes(versionInPackument(packument, '2.0.0')!, { integrity: 'sha512-x', shasum: 'ab' })).toBe(true);
    expect(sameBytes({}, { integrity: 'sha512-x', shasum: 'ab' })).toBe(false);
  });

  it('reads package/package.json from a tarball', async () => {
    expect(await readNpmManifest(await npmTarball({ name: 'a', version: '0.1.0' }))).toEqual({ name: 'a', version: '0.1.0' });
  });

  it('refuses bytes that are not gzip (package.unreadable)', async () => {
    await expect(readNpmManifest(Buffer.from('plain text'))).rejects.toMatchObject({ code: 'package.unreadable' });
  });

  it('refuses a tarball without package/package.json (package.unreadable)', async () => {
    await expect(readNpmManifest(gzipSync(Buffer.alloc(1024)))).rejects.toMatchObject({ code: 'package.unreadable', message: expect.stringContaining('package/package.json') });
  });
});
