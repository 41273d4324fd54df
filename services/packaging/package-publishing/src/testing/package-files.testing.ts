import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { writeZip } from './zip.writer';

// Real package files for tests: an npm tarball laid out as `npm pack` makes it, and a .nupkg as `nuget pack` does.

export async function npmTarball(manifest: Record<string, unknown>, files: Record<string, string> = { 'index.js': 'module.exports = 42;\n' }): Promise<Buffer> {
  const tar = pack();
  const mtime = new Date('1985-10-26T08:15:00Z'); // npm pack's fixed date
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => {
    if (Buffer.isBuffer(chunk)) chunks.push(chunk);
  });
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  const entries: Record<string, string> = { 'package.json': `${JSON.stringify(manifest, null, 2)}\n`, ...files };
  for (const [name, content] of Object.entries(entries)) tar.entry({ name: `package/${name}`, mode: 0o644, mtime }, content);
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

export function nuspecXml(id: string, version: string, description = 'A test package'): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>${id}</id>
    <version>${version}</version>
    <authors>delivery</authors>
    <description>${description}</description>
  </metadata>
</package>
`;
}

export function nupkg(id: string, version: string, options: { description?: string; nuspecName?: string; method?: 'store' | 'deflate' } = {}): Buffer {
  return writeZip([
    { name: '_rels/.rels', content: '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" />' },
    { name: options.nuspecName ?? `${id}.nuspec`, content: nuspecXml(id, version, options.description), ...(options.method ? { method: options.method } : {}) },
    { name: 'lib/net8.0/Test.dll', content: Buffer.from(`MZ fake assembly of ${id} ${version} ${options.description ?? ''}`) },
    { name: '[Content_Types].xml', content: '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types" />' },
  ]);
}
