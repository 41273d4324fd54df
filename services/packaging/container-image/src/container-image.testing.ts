import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FileArtifactStore } from '@delivery/artifacts';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import type { RunningService } from '@delivery/service-kit';
import { buildCompletedPayload, createServiceFixture, eventually, type ServiceFixture, waitForMessages } from '@delivery/testing';
import { containerImageService } from './container-image.service';
import type { ContainerImageOptions } from './container-image.options';

// Shared by the service's integration tests: the service on real NATS and Postgres, Debian's docker-registry on
// loopback, a file artifact store and base image layout in temp dirs.
export type PushedEvent = Envelope<PayloadOf<'ContainerImagePushed'>, 'ContainerImagePushed'>;
export type BuildFailedEvent = Envelope<PayloadOf<'ContainerImageBuildFailed'>, 'ContainerImageBuildFailed'>;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LocalRegistry {
  url: string;
  host: string;
  /** the access log lines so far (one per request: `"POST /v2/…/blobs/uploads/ HTTP/1.1" 202 …`) */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** `/usr/bin/docker-registry serve <config>` with filesystem storage in a temp dir, no auth, on a free port. */
export async function startRegistry(): Promise<LocalRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'registry-'));
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.includes('HTTP/1.1"')));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${url}/v2/`)).status === 200 ? true : undefined), 'docker-registry /v2/', 15_000);
  return {
    url,
    host: `127.0.0.1:${port}`,
    accessLog: () => [...lines],
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** a real npm tarball: `npm pack` of a small package (no dependencies, nothing fetched) */
export async function npmPack(dir: string, name = 'shop-api', version = '1.0.0'): Promise<Buffer> {
  const pkg = path.join(dir, `${name}-src`);
  await mkdir(path.join(pkg, 'bin'), { recursive: true });
  await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name, version, main: 'index.js', bin: { [name]: 'bin/cli.js' }, files: ['index.js', 'bin'] }, null, 2));
  await writeFile(path.join(pkg, 'index.js'), "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT || 3000);\n");
  await writeFile(path.join(pkg, 'bin', 'cli.js'), '#!/usr/bin/env node\nrequire("../index.js");\n', { mode: 0o755 });
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: pkg, env: { ...process.env, npm_config_update_notifier: 'false' } }).toString().trim();
  return readFile(path.join(dir, out.split('\n').pop() ?? ''));
}

export interface ImageHarness {
  fx: ServiceFixture;
  service: RunningService;
  artifacts: FileArtifactStore;
  dir: string;
  /** stores bytes as a run's artifact and returns its ArtifactRef */
  artifact(name: string, kind: schemas.ArtifactRef['kind'], bytes: Buffer): Promise<schemas.ArtifactRef>;
  /** BuildCompleted as build-result would publish it; resolves once this service has recorded it */
  buildCompleted(status?: 'Succeeded' | 'Failed' | 'Canceled', buildId?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startImageHarness(options: Partial<ContainerImageOptions>, prefix = 'image'): Promise<ImageHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'container-image-'));
  const artifacts = new FileArtifactStore(path.join(dir, 'artifacts'));
  const fx = await createServiceFixture(prefix);
  const service = await fx.start(
    containerImageService({}, { artifacts, baseImageDir: path.join(dir, 'no-base-images'), retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 50, requestTimeoutMs: 5_000 }, ...options }),
  );
  const runId = uuidv7();
  return {
    fx,
    service,
    artifacts,
    dir,
    async artifact(name, kind, bytes) {
      const location = `runs/${runId}/${name}`;
      const stored = await artifacts.put(location, bytes);
      return { name, kind, location, digest: stored.digest, size: stored.size };
    },
    async buildCompleted(status = 'Succeeded', buildId = uuidv7()) {
      const payload = buildCompletedPayload(buildId, status, { runId, repositoryId: 'repo-shop' });
      await fx.publisher.publish(createEnvelope('BuildCompleted', payload, { source: 'build-result', tenantId: 'acme', projectId: 'web' }));
      await eventually(async () => {
        const rows: unknown[] = await service.dataSource.query(`SELECT 1 FROM builds WHERE build_id = $1`, [buildId]);
        return rows.length > 0 ? true : undefined;
      }, `BuildCompleted ${buildId} recorded`);
      return buildId;
    },
    async close() {
      await fx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** the answer (ContainerImagePushed or ContainerImageBuildFailed) to one BuildContainerImage */
export async function answerTo<T extends PushedEvent | BuildFailedEvent>(fx: ServiceFixture, type: T['type'], commandId: string, timeoutMs = 30_000): Promise<T> {
  const names = fx.bus.names;
  const [event] = await waitForMessages<T>(fx.bus, { stream: names.eventStream('packaging'), subject: names.eventFilter('packaging', type), predicate: (e) => e.causationId === commandId, timeoutMs });
  return event!;
}
