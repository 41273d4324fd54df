import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenRegistryAuth } from './registry.auth';
import { OciRegistryClient, type PushableImage } from './registry.client';

// Registry behaviours docker-registry does not show on demand (a 503, a relative upload Location with its own
// query, a wrong Docker-Content-Digest, a 400), from a loopback fake speaking the distribution API.
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const layer = Buffer.from('layer bytes');
const config = Buffer.from('{"config":true}');
const manifest = Buffer.from('{"manifest":true}');
const image: PushableImage = {
  manifest,
  digest: sha(manifest),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config,
  configDigest: sha(config),
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length, read: async () => layer }],
};
const retry = { attempts: 3, initialDelayMs: 10, maxDelayMs: 20, requestTimeoutMs: 2_000 };

describe('OciRegistryClient against a loopback fake', () => {
  let server: Server;
  let url: string;
  const log: string[] = [];
  const stored = new Map<string, Buffer>();
  let headFailures = 0;
  let manifestAnswer: { status: number; digest?: string } = { status: 201 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const u = new URL(req.url ?? '/', 'http://x');
        log.push(`${req.method} ${u.pathname}${u.search}`);
        const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(u.pathname);
        if (req.method === 'HEAD' && blob) {
          if (headFailures > 0) {
            headFailures--;
            return res.writeHead(503).end();
          }
          return res.writeHead(stored.has(blob[2]!) ? 200 : 404).end();
        }
        if (req.method === 'POST' && u.pathname.endsWith('/blobs/uploads/')) return res.writeHead(202, { location: '/uploads/u-1?_state=abc' }).end();
        if (req.method === 'PUT' && u.pathname === '/uploads/u-1') {
          const digest = u.searchParams.get('digest') ?? '';
          if (u.searchParams.get('_state') !== 'abc' || sha(body) !== digest) return res.writeHead(400).end('{"errors":[{"code":"DIGEST_INVALID"}]}');
          stored.set(digest, body);
          return res.writeHead(201).end();
        }
        if (req.method === 'PUT' && u.pathname.includes('/manifests/')) {
          return res.writeHead(manifestAnswer.status, { 'docker-content-digest': manifestAnswer.digest ?? sha(body) }).end(manifestAnswer.status >= 400 ? '{"errors":[{"code":"MANIFEST_INVALID"}]}' : '');
        }
        res.writeHead(404).end();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    log.length = 0;
    stored.clear();
    headFailures = 0;
    manifestAnswer = { status: 201 };
  });

  const client = () => new OciRegistryClient('fake', url, new TokenRegistryAuth('fake'), retry);

  it('retries a 503, uploads to the relative Location keeping its query, and tags the manifest', async () => {
    headFailures = 1;
    const report = await client().push('shop/api', image, ['1', 'latest']);
    expect(report.uploaded).toEqual([image.layers[0]!.digest, image.configDigest]);
    expect(log.filter((l) => l.startsWith('HEAD'))).toHaveLength(3);
    expect(log).toContain(`PUT /uploads/u-1?_state=abc&digest=${encodeURIComponent(image.layers[0]!.digest)}`);
    expect(log.filter((l) => l.startsWith('PUT /v2/shop/api/manifests/'))).toEqual(['PUT /v2/shop/api/manifests/1', 'PUT /v2/shop/api/manifests/latest']);
  });

  it('skips blobs the registry has', async () => {
    stored.set(image.layers[0]!.digest, layer);
    stored.set(image.configDigest, config);
    expect((await client().push('shop/api', image, ['1'])).skipped).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('POST'))).toEqual([]);
  });

  it('gives up after the bounded attempts with a transient error', async () => {
    headFailures = 10;
    await expect(client().push('shop/api', image, ['1'])).rejects.toMatchObject({ code: 'image.registry-unavailable', disposition: 'retry' });
    expect(log).toHaveLength(3);
  });

  it('refuses a registry that stores the manifest under another digest', async () => {
    manifestAnswer = { status: 201, digest: `sha256:${'b'.repeat(64)}` };
    await expect(client().push('shop/api', image, ['1'])).rejects.toMatchObject({ code: 'image.registry-digest-mismatch' });
  });

  it('a 400 is a refusal, not retried', async () => {
    manifestAnswer = { status: 400 };
    await expect(client().push('shop/api', image, ['1'])).rejects.toMatchObject({ code: 'image.registry-rejected', message: expect.stringMatching(/MANIFEST_INVALID/) });
    expect(log.filter((l) => l.includes('/manifests/'))).toHaveLength(1);
  });
});
