import { deflateRawSync } from 'node:zlib';
import { nupkg, nuspecXml } from '../testing/package-files.testing';
import { writeZip } from '../testing/zip.writer';
import { normalizeNuGetVersion, readNuspec } from './nuspec.reader';
import { readZipEntry, zipEntries } from './zip.reader';

describe('nuspec reader (zip central directory + inflateRaw)', () => {
  it('reads id and version from the root .nuspec of a deflated .nupkg', () => {
    const spec = readNuspec(nupkg('Acme.Widgets', '1.2.0-beta.1'));
    expect(spec).toMatchObject({ fileName: 'Acme.Widgets.nuspec', id: 'Acme.Widgets', version: '1.2.0-beta.1' });
    expect(spec.xml.toString('utf8')).toBe(nuspecXml('Acme.Widgets', '1.2.0-beta.1'));
  });

  it('reads a stored (uncompressed) entry', () => {
    expect(readNuspec(nupkg('Acme.Stored', '3.0.0', { method: 'store' })).id).toBe('Acme.Stored');
  });

  it('finds the central directory behind an archive comment', () => {
    const zip = writeZip([{ name: 'a.txt', content: 'alpha' }, { name: 'dir/b.txt', content: 'beta' }], 'a comment at the end');
    const entries = zipEntries(zip);
    expect(entries.map((e) => e.name)).toEqual(['a.txt', 'dir/b.txt']);
    expect(readZipEntry(zip, entries[1]!).toString()).toBe('beta');
  });

  it('ignores a .nuspec that is not at the root', () => {
    const zip = writeZip([{ name: 'content/Other.nuspec', content: nuspecXml('Other', '1.0.0') }]);
    expect(() => readNuspec(zip)).toThrow(/no \.nuspec at its root/);
  });

  it('refuses bytes that are not a zip (package.unreadable)', () => {
    expect(() => readNuspec(Buffer.from('definitely not a zip archive'))).toThrow(expect.objectContaining({ code: 'package.unreadable' }));
  });

  it('refuses a truncated archive (package.unreadable)', () => {
    const zip = nupkg('Acme.Cut', '1.0.0');
    const entries = zipEntries(zip);
    const nuspec = entries.find((e) => e.name.endsWith('.nuspec'))!;
    const broken = Buffer.from(zip);
    broken.writeUInt32LE(0, nuspec.localHeaderOffset); // damage the entry's local header
    expect(() => readNuspec(broken)).toThrow(expect.objectContaining({ code: 'package.unreadable' }));
  });

  it('refuses a .nuspec without id or version (package.unreadable)', () => {
    const zip = writeZip([{ name: 'x.nuspec', content: '<package><metadata><id>X</id></metadata></package>' }]);
    expect(() => readNuspec(zip)).toThrow(expect.objectContaining({ code: 'package.unreadable' }));
  });

  it('refuses an unknown compression method', () => {
    const zip = writeZip([{ name: 'x.nuspec', content: deflateRawSync(Buffer.from('x')) , method: 'store' }]);
    const entry = zipEntries(zip)[0]!;
    expect(() => readZipEntry(zip, { ...entry, method: 12 })).toThrow(/compression method 12/);
  });

  it('normalizes NuGet versions as folder feeds name their directories', () => {
    expect(normalizeNuGetVersion('1.0')).toBe('1.0.0');
    expect(normalizeNuGetVersion('1.02.3.0')).toBe('1.2.3');
    expect(normalizeNuGetVersion('1.2.3.4')).toBe('1.2.3.4');
    expect(normalizeNuGetVersion('1.2.3-Beta.1+build.5')).toBe('1.2.3-beta.1');
  });
});
