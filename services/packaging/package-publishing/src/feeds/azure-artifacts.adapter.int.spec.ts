import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { IllegalStateError, TransientError, ValidationError } from '@delivery/messaging';
import { npmTarball } from '../testing/package-files.testing';
import { freePort } from '../testing/verdaccio.testing';
import { azureArtifactsFeed, azureArtifactsRegistryUrl } from './azure-artifacts.adapter';
import { integrityOf, shasumOf } from './package.integrity';
import type { PublishDocument } from './npm-publish.document';

// Azure Artifacts is SaaS: a loopback server replays the response shapes of __fixtures__/azure-artifacts (see the
// README there for their origin) and keeps what was PUT, the way the feed would.
const FIXTURES = path.join(__dirname, '__fixtures__', 'azure-artifacts');
const PREFIX = '/acme-org/web/_packaging/acme-feed/npm/registry/';
const PAT = 'azure-pat-0123456789abcdefghijklmnop';

function fixture(file: string, values: Record<string, string>): string {
  return readFileSync(path.join(FIXTURES, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? '');
}

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

describe('Azure Artifacts npm feed (loopback replay of recorded shapes)', () => {
  let server: Server;
  let baseUrl: string;
  const requests: Recorded[] = [];
  const stored = new Map<string, { version: string; integrity: string; shasum: string }>();
  let mode: 'normal' | 'down' | 'hide-next-get' = 'normal';

  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => resolve(body));
    });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const body = await read(req);
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const reply = (status: number, text: string) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(text);
      if (mode === 'down') return reply(503, '{"message":"Service Unavailable"}');
      const expected = `Basic ${Buffer.from(`delivery:${PAT}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return reply(401, fixture('unauthorized.json', {}));
      if (!req.url?.startsWith(PREFIX)) return reply(404, fixture('not-found.json', { name: req.url ?? '' }));
      const name = decodeURIComponent(req.url.slice(PREFIX.length));
      const registry = `${baseUrl}${PREFIX}`;
      if (req.method === 'GET') {
        const hit = stored.get(name);
        if (!hit || mode === 'hide-next-get') {
          if (mode === 'hide-next-get') mode = 'normal';
          return reply(404, fixture('not-found.json', { name }));
        }
        return reply(200, fixture('packument.json', { name, registry, file: `${name.split('/').pop()}-${hit.version}.tgz`, ...hit }));
      }
      if (req.method === 'PUT') {
        const doc = JSON.parse(body) as PublishDocument;
        const [version, manifest] = Object.entries(doc.versions)[0]!;
        if (stored.has(name)) return reply(409, fixture('conflict.json', { name, version }));
        const dist = manifest.dist as { integrity: string; shasum: string };
        stored.set(name, { version, integrity: dist.integrity, shasum: dist.shasum });
        return reply(200, fixture('publish-ok.json', {}));
      }
      return reply(405, '{}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests.length = 0;
    mode = 'normal';
  });

  const feed = (token = PAT) => azureArtifactsFeed({ name: 'azure', organization: 'acme-org', project: 'web', feed: 'acme-feed', token, baseUrl });
  const pkg = (content: Buffer, name = '@acme/widget', version = '1.0.0') => ({ format: 'npm' as const, name, version, distTag: 'latest', content });

  it('builds the pkgs.dev.azure.com registry URL, with or without a project', () => {
    expect(azureArtifactsRegistryUrl({ organization: 'contoso', project: 'Fabrikam Web', feed: 'release' })).toBe('https://pkgs.dev.azure.com/contoso/Fabrikam%20Web/_packaging/release/npm/registry/');
    expect(azureArtifactsRegistryUrl({ organization: 'contoso', feed: 'org-feed' })).toBe('https://pkgs.dev.azure.com/contoso/_packaging/org-feed/npm/registry/');
  });

  it('publishes with the PAT as Basic auth: GET the packument (404), then PUT the npm publish document', async () => {
    const tarball = await npmTarball({ name: '@acme/widget', version: '1.0.0', description: 'a widget' });
    const outcome = await feed().publish(pkg(tarball));
    expect(outcome).toEqual({ integrity: integrityOf(tarball), alreadyPublished: false, url: `${baseUrl}${PREFIX}@acme/widget/-/@acme/widget-1.0.0.tgz` });
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', `${PREFIX}@acme%2fwidget`],
      ['PUT', `${PREFIX}@acme%2fwidget`],
    ]);
    const doc = JSON.parse(requests[1]!.body) as PublishDocument;
    expect(doc._attachments['@acme/widget-1.0.0.tgz']).toEqual({ content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length });
    expect(doc.versions['1.0.0']).toMatchObject({ name: '@acme/widget', version: '1.0.0', dist: { integrity: integrityOf(tarball), shasum: shasumOf(tarball) } });
  });

  it('answers alreadyPublished for the same bytes without a PUT', async () => {
    const tarball = await npmTarball({ name: '@acme/widget', version: '1.0.0', description: 'a widget' });
    const outcome = await feed().publish(pkg(tarball));
    expect(outcome.alreadyPublished).toBe(true);
    expect(outcome.url).toBe(`${baseUrl}${PREFIX}@acme/widget/-/widget-1.0.0.tgz`);
    expect(requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('refuses other bytes for a published version (package.version-immutable)', async () => {
    const other = await npmTarball({ name: '@acme/widget', version: '1.0.0', description: 'rebuilt' });
    const error = await feed().publish(pkg(other)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IllegalStateError);
    expect(error).toMatchObject({ code: 'package.version-immutable' });
    expect(requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('converges on a 409 from a concurrent publish of the same bytes: the packument is read again', async () => {
    const tarball = await npmTarball({ name: '@acme/widget', version: '1.0.0', description: 'a widget' });
    mode = 'hide-next-get';
    const outcome = await feed().publish(pkg(tarball));
    expect(outcome.alreadyPublished).toBe(true);
    expect(requests.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET']);
  });

  it('turns a refused PAT (401) into a ValidationError carrying the feed message', async () => {
    const error = await feed('wrong-pat').publish(pkg(await npmTarball({ name: 'other', version: '1.0.0' }), 'other')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'package.registry-rejected' });
    expect((error as Error).message).toContain('TF400813');
  });

  it('turns a 503 into a retryable package.feed-unavailable', async () => {
    mode = 'down';
    const error = await feed().publish(pkg(await npmTarball({ name: 'later', version: '1.0.0' }), 'later')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'package.feed-unavailable' });
  });

  it('turns a closed port into a retryable package.feed-unavailable', async () => {
    const closed = azureArtifactsFeed({ name: 'azure', organization: 'acme-org', feed: 'acme-feed', token: PAT, baseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await closed.publish(pkg(await npmTarball({ name: 'later', version: '1.0.0' }), 'later')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});
