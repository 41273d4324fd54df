import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import type { DesiredApplication, DesiredWorkload } from '@delivery/gitops-runtime';

// Test helpers of the adapter: a tiny npm package tarball (package/server.js answering /health and / with its
// version; /health is 503 for READY_AFTER_MS after its start when that env is set), a tarball server, desired
// states and HTTP requests through the router.

const SERVER_JS = `
const http = require('http');
const { version } = require('./package.json');
const startedAt = Date.now();
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    const ready = Date.now() - startedAt >= Number(process.env.READY_AFTER_MS || 0);
    res.writeHead(ready ? 200 : 503); return res.end(ready ? 'ok' : 'starting');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version, pid: process.pid, path: req.url }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); process.exit(0); });
`;

/** Builds `<dir>/shop-<version>.tgz` the way `npm pack` lays it out (everything under package/). */
export async function buildPackageTarball(dir: string, version: string): Promise<string> {
  const p = pack();
  p.entry({ name: 'package/package.json', mode: 0o644 }, JSON.stringify({ name: 'shop', version, main: 'server.js' }));
  p.entry({ name: 'package/server.js', mode: 0o644 }, SERVER_JS);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  const file = path.join(dir, `shop-${version}.tgz`);
  writeFileSync(file, gzipSync(Buffer.concat(chunks)));
  return file;
}

/** Serves files by absolute path: GET /<path> (a stand-in for a feed's tarball URL). */
export async function startFileServer(files: Record<string, Buffer>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    res.writeHead(body ? 200 : 404);
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const REV1 = '1'.repeat(40);
export const REV2 = '2'.repeat(40);

export function shopWorkload(name: string, slot: DesiredWorkload['slot'], version: string, tarball: string, over: Partial<DesiredWorkload> = {}): DesiredWorkload {
  const base: Omit<DesiredWorkload, 'specHash'> = {
    name, slot, version, releaseId: null, command: [process.execPath, 'server.js'], port: 8080, healthPath: '/health', env: {}, replicas: 1,
    artifact: { kind: 'npm-package', name: 'shop', version, feed: 'local', tarball }, ...over,
  };
  return { ...base, specHash: createHash('sha256').update(JSON.stringify(base)).digest('hex') };
}

export function desiredApp(workloads: DesiredWorkload[], over: Partial<DesiredApplication> = {}): DesiredApplication {
  return { environment: 'dev', application: 'shop', revision: REV1, releaseId: null, workloads, weights: [], prune: false, progressDeadlineSeconds: 60, ...over };
}

export interface Answer {
  status: number;
  body: string;
}

export function get(baseUrl: string, urlPath: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(urlPath, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, headers, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

/** The version a keyed request through the router answers (throws on a non-200). */
export async function versionVia(routerUrl: string, key: string, host = 'shop.dev.localhost', urlPath = '/'): Promise<string> {
  const res = await get(routerUrl, urlPath, { host, 'x-route-key': key });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.body}`);
  return (JSON.parse(res.body) as { version: string }).version;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(entries: Array<{ name: string; body?: string; type?: 'directory' }>): Promise<Buffer> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, mode: e.type ? 0o755 : 0o644, ...(e.type ? { type: e.type } : {}) }, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface TestImage {
  manifest: Buffer;
  manifestDigest: string;
  /** digest → blob (config and layers) */
  blobs: Map<string, Buffer>;
}

/**
 * An OCI image of the shop server in /app (WorkingDir /app): a gzip layer with the app and a stale file, and an
 * uncompressed layer that whites the stale file out.
 */
export async function buildImage(version: string): Promise<TestImage> {
  const layer1 = gzipSync(await tarOf([
    { name: 'app/', type: 'directory' },
    { name: 'app/package.json', body: JSON.stringify({ name: 'shop', version }) },
    { name: 'app/server.js', body: SERVER_JS },
    { name: 'app/stale.txt', body: 'removed by the next layer' },
  ]));
  const layer2 = await tarOf([{ name: 'app/.wh.stale.txt' }]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { WorkingDir: '/app' }, rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer1), size: layer1.length },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer2), size: layer2.length },
    ],
  }));
  return { manifest, manifestDigest: sha(manifest), blobs: new Map([config, layer1, layer2].map((b) => [sha(b), b])) };
}

/** Writes the image as an OCI image layout directory, tagged `tag`. */
export function writeOciLayout(dir: string, image: TestImage, tag: string): void {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const [digest, blob] of [...image.blobs, [image.manifestDigest, image.manifest] as const]) writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), blob);
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
}

/** Pushes the image to a registry (distribution API v2: monolithic blob uploads, then the manifest by tag). */
export async function pushImage(registry: string, name: string, tag: string, image: TestImage): Promise<void> {
  for (const [digest, blob] of image.blobs) {
    const start = await fetch(`${registry}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', registry);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`blob ${digest}: HTTP ${put.status} ${await put.text()}`);
  }
  const res = await fetch(`${registry}/v2/${name}/manifests/${tag}`, { method: 'PUT', body: image.manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (res.status !== 201) throw new Error(`manifest: HTTP ${res.status} ${await res.text()}`);
}

/** Starts /usr/bin/docker-registry on a free port with its storage in `dir`. */
export async function startRegistry(dir: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/v2/`).then((r) => r.ok, () => false);
    if (ok) return { url, child };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('docker-registry did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
