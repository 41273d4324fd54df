import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { Client } from 'pg';
import { pack } from 'tar-stream';
import { FileArtifactStore } from '@delivery/artifacts';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { BusPublisher, createEnvelope } from '@delivery/messaging';
import { buildCompletedPayload, createTestBus, createTestDatabase, eventually, spawnCompiled } from '@delivery/testing';
import { cpuMeter, LatencyRecorder, nowMs, rate, round, stopwatch, type ScenarioResult } from './stats';
import { freePort, processCpuSeconds, stop } from './child-process';

// Issue 5: image build + push through the container-image service (i1) against `skopeo copy` of the same image to the
// same registry in the same run (i0). i1 leaves its registry and the image it pushed for i0; i0 copies that image
// from an OCI layout to fresh repositories and checks skopeo's manifest digest equals the service's.

const TENANT = 'acme';
const PROJECT = 'web';
const BUILD = 'bench-image-build';
const TAG = '1.0.0';
const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789';
const SCHEMA = 'container_image';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const run = promisify(execFile);

type Observed = Envelope<Record<string, unknown>>;

export interface ImageBenchOptions {
  /** images pushed one at a time, each to a fresh repository (bench/app-<i>) */
  images: number;
  /** how long one BuildContainerImage (or one skopeo copy) may take before the run fails */
  stepTimeoutMs: number;
  /** i0 is selected too: i1 leaves the registry running for it */
  keepRegistry: boolean;
}

/** what i1 leaves for i0: the registry it pushed to and the image's digest */
interface PushedImage {
  registry: LocalRegistry;
  repository: string;
  digest: string;
  size: number;
}
let pushed: PushedImage | undefined;

// i1: the container-image service (compiled, its own process) pushes N images of one artifact set (an npm tarball and
// a plain file), one at a time, each to a fresh repository: every blob is uploaded again, every layer built again.
export async function imageServiceBench(options: ImageBenchOptions): Promise<ScenarioResult> {
  await releasePushed();
  const registry = await startRegistry();
  const bus = await createTestBus();
  const database = await createTestDatabase('benchimage');
  const publisher = new BusPublisher(bus.js, bus.names);
  const pg = new Client({ connectionString: database.url, application_name: 'bench-image' });
  const artifactDir = mkdtempSync(path.join(os.tmpdir(), 'bench-artifacts-'));
  const service = spawnCompiled('services/packaging/container-image/src/main.ts', {
    BUS_NAMESPACE: bus.names.namespace,
    DATABASE_URL: database.url,
    JWT_SECRET,
    SERVICE_PORT: String(await freePort()),
    SERVICE_HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    CONTAINER_REGISTRIES: JSON.stringify({ [registry.host]: { url: registry.url, kind: 'distribution' } }),
    DEFAULT_REGISTRY: registry.host,
    ARTIFACT_DIR: artifactDir,
    BASE_IMAGE_DIR: path.join(artifactDir, 'no-base-images'),
  });
  const exited = service.exited.then(({ code, signal }) => {
    throw new Error(`the container-image service exited (code ${code}, signal ${signal})`);
  });
  exited.catch(() => undefined);
  const unlessExited = <T>(wait: Promise<T>) => Promise.race([wait, exited]);

  // the answer to each command, by causationId (the relay publishes it on the packaging events subject)
  const answers = new Map<string, (message: Observed) => void>();
  const subscription: Subscription = bus.nc.subscribe(bus.names.eventFilter('packaging'), {
    callback: (_error: unknown, msg: Msg) => {
      const message = msg.json<Observed>();
      if (message.causationId) answers.get(message.causationId)?.(message);
    },
  });
  const push = async (payload: PayloadOf<'BuildContainerImage'>): Promise<PayloadOf<'ContainerImagePushed'>> => {
    const command = createEnvelope('BuildContainerImage', payload, { source: 'bench-agent', tenantId: TENANT, projectId: PROJECT, actor: { kind: 'agent', id: 'bench-agent' } });
    const answer = new Promise<Observed>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${payload.repository}: no answer to BuildContainerImage within ${options.stepTimeoutMs} ms (BENCH_IMAGE_STEP_TIMEOUT_MS)`)), options.stepTimeoutMs);
      answers.set(command.id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    await publisher.publish(command);
    const message = await unlessExited(answer).finally(() => answers.delete(command.id));
    if (message.type !== 'ContainerImagePushed') throw new Error(`${payload.repository}: ${message.type}: ${JSON.stringify(message.payload)}`);
    return message.payload as unknown as PayloadOf<'ContainerImagePushed'>;
  };

  let keep = false;
  try {
    await pg.connect();
    const artifacts = new FileArtifactStore(artifactDir);
    const layers = [
      await storeArtifact(artifacts, 'bench-app-1.0.0.tgz', 'npm-package', await npmTarball()),
      await storeArtifact(artifacts, 'settings.json', 'file', Buffer.from('{"port":3000,"log":"info"}\n')),
    ];
    await publisher.publish(createEnvelope('BuildCompleted', buildCompletedPayload(BUILD), { source: 'build-result', tenantId: TENANT, projectId: PROJECT }));
    await unlessExited(
      eventually(async () => ((await pg.query(`SELECT 1 FROM ${SCHEMA}.builds WHERE build_id = $1`, [BUILD])).rowCount ? true : undefined), `build ${BUILD} known to the container-image service`, 60_000),
    );
    const command = (repository: string): PayloadOf<'BuildContainerImage'> => ({
      buildId: BUILD,
      repository,
      tags: [TAG],
      layers,
      config: { cmd: ['node', 'index.js'], env: { NODE_ENV: 'production', PORT: '3000' }, exposedPorts: [3000], user: '1000' },
    });

    // one image before the clock: the service's connections, JIT and the registry's storage are warm
    const warm = await push(command('bench/warm'));
    const latency = new LatencyRecorder(options.images);
    const digests = new Set<string>();
    let first: PayloadOf<'ContainerImagePushed'> | undefined;
    const cpu = cpuMeter();
    const serviceCpu = processCpuSeconds(service.process.pid);
    const before = registry.requests();
    const elapsed = stopwatch();
    for (let i = 0; i < options.images; i++) {
      const started = nowMs();
      const image = await push(command(`bench/app-${i}`));
      latency.record(nowMs() - started);
      digests.add(image.digest);
      first ??= image;
    }
    const seconds = elapsed();
    const usage = cpu();
    const serviceCores = (processCpuSeconds(service.process.pid) - serviceCpu) / seconds;
    const after = registry.requests();
    if (!first) throw new Error('no image pushed');
    // reproducible: the same command to another repository is the same image
    if (digests.size !== 1 || !digests.has(warm.digest)) throw new Error(`digests differ between pushes: ${[warm.digest, ...digests].join(', ')}`);
    pushed = { registry, repository: 'bench/app-0', digest: first.digest, size: first.size };
    keep = options.keepRegistry;
    return {
      scenario: 'i1',
      description: 'image build + push through the container-image service (npm tarball + file, fresh repository each)',
      messages: options.images,
      seconds,
      rate: rate(options.images, seconds),
      latency: latency.summary('BuildContainerImage → ContainerImagePushed'),
      details: {
        images: options.images,
        imagesPerSecond: round(rate(options.images, seconds), 2),
        bytesPerImage: first.size,
        layerBytes: layers.reduce((sum, layer) => sum + layer.size, 0),
        blobUploads: after.uploads - before.uploads,
        blobMounts: after.mounts - before.mounts,
        digest: first.digest,
        processCpu: usage.process,
        serviceCpu: round(serviceCores, 2),
        machineCpu: usage.machine,
      },
    };
  } finally {
    subscription.unsubscribe();
    await stop(service);
    await pg.end().catch(() => undefined);
    await bus.close();
    await database.drop();
    rmSync(artifactDir, { recursive: true, force: true });
    if (!keep) {
      pushed = undefined;
      await registry.stop();
    }
  }
}

// i0: the image i1 pushed, pulled once into an OCI layout (untimed), then copied N times by skopeo to fresh
// repositories of the same registry; each copy's manifest digest must be the service's.
export async function skopeoCopyBench(options: Omit<ImageBenchOptions, 'keepRegistry'>): Promise<ScenarioResult> {
  const image = pushed;
  if (!image) throw new Error('i0 copies the image i1 pushed: run i1 before i0 (BENCH_ONLY=i1,i0)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-skopeo-'));
  const layout = `oci:${path.join(dir, 'layout')}:${TAG}`;
  const host = image.registry.host;
  // skopeo remembers in its blob-info cache where it has seen each blob and then mounts it from that repository
  // instead of uploading it (the untimed pull and every earlier copy would feed it). Each timed copy gets an empty
  // cache of its own, so it uploads every blob to the fresh repository as the service does; containers/image takes
  // the cache from XDG_DATA_HOME when it believes it runs rootless (_CONTAINERS_ROOTLESS_UID).
  const skopeo = (args: string[], cacheDir?: string) =>
    run('skopeo', args, {
      timeout: options.stepTimeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: cacheDir ? { ...process.env, _CONTAINERS_ROOTLESS_UID: String(process.getuid?.() || 1), XDG_DATA_HOME: cacheDir } : process.env,
    });
  try {
    await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${host}/${image.repository}:${TAG}`, layout], path.join(dir, 'cache-pull'));
    const layoutDigest = sha256((await skopeo(['inspect', '--raw', layout])).stdout);
    if (layoutDigest !== image.digest) throw new Error(`the OCI layout holds ${layoutDigest}, the service pushed ${image.digest}`);

    const latency = new LatencyRecorder(options.images);
    const before = image.registry.requests();
    const cpu = cpuMeter();
    const elapsed = stopwatch();
    for (let i = 0; i < options.images; i++) {
      const cache = path.join(dir, `cache-${i}`);
      const started = nowMs();
      await skopeo(['copy', '--quiet', '--dest-tls-verify=false', layout, `docker://${host}/bench/skopeo-${i}:${TAG}`], cache);
      latency.record(nowMs() - started);
    }
    const seconds = elapsed();
    const usage = cpu();
    const after = image.registry.requests();

    // the registry's digest of every copied manifest (HEAD, as a client pulling by tag would see it)
    const copied = new Set<string>();
    for (let i = 0; i < options.images; i++) copied.add(await manifestDigest(image.registry.url, `bench/skopeo-${i}`, TAG));
    const skopeoDigest = [...copied].join(',');
    console.log(`\n  i0 digests: service ${image.digest}, skopeo ${skopeoDigest}`);
    if (copied.size !== 1 || !copied.has(image.digest)) throw new Error(`skopeo pushed ${skopeoDigest}, the service pushed ${image.digest}`);
    return {
      scenario: 'i0',
      description: 'skopeo copy of the same image (OCI layout → registry, fresh repository each)',
      messages: options.images,
      seconds,
      rate: rate(options.images, seconds),
      latency: latency.summary('skopeo copy'),
      details: {
        copies: options.images,
        copiesPerSecond: round(rate(options.images, seconds), 2),
        bytesPerImage: image.size,
        blobUploads: after.uploads - before.uploads,
        blobMounts: after.mounts - before.mounts,
        serviceDigest: image.digest,
        skopeoDigest,
        processCpu: usage.process,
        machineCpu: usage.machine,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await releasePushed();
  }
}

async function releasePushed(): Promise<void> {
  const previous = pushed;
  pushed = undefined;
  await previous?.registry.stop();
}

async function manifestDigest(registryUrl: string, repository: string, tag: string): Promise<string> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: OCI_MANIFEST } });
  const digest = response.headers.get('docker-content-digest');
  if (response.status !== 200 || !digest) throw new Error(`HEAD ${repository}:${tag}: ${response.status}`);
  return digest;
}

async function storeArtifact(store: FileArtifactStore, name: string, kind: schemas.ArtifactRef['kind'], bytes: Buffer): Promise<schemas.ArtifactRef> {
  const location = `runs/run-${BUILD}/${name}`;
  const stored = await store.put(location, bytes);
  return { name, kind, location, digest: stored.digest, size: stored.size };
}

// An npm-pack-shaped tarball, the same bytes every run: package/package.json, 200 small modules and a 2 MB asset of
// seeded pseudo-random bytes (incompressible, so gzip's work and the pushed bytes are those of a real bundle).
function npmTarball(): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    tar.on('end', () => resolve(gzipSync(Buffer.concat(chunks), { level: 9 })));
    tar.on('error', reject);
  });
  const mtime = new Date('1985-10-26T08:15:00Z');
  const file = (name: string, content: Buffer) => tar.entry({ name: `package/${name}`, mode: 0o644, mtime }, content);
  file('package.json', Buffer.from(JSON.stringify({ name: 'bench-app', version: '1.0.0', main: 'index.js' }, null, 2) + '\n'));
  file('index.js', Buffer.from("require('./lib/module-0');\nrequire('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT || 3000);\n"));
  for (let i = 0; i < 200; i++) {
    const body = `'use strict';\n// module ${i}\nexports.id = ${i};\nexports.next = () => require('./module-${(i + 1) % 200}');\n`;
    file(`lib/module-${i}.js`, Buffer.from(body.repeat(1 + (i % 8))));
  }
  file('assets/blob.bin', seededBytes(2 * 1024 * 1024, 'bench-image'));
  tar.finalize();
  return done;
}

// sha256 in counter mode: deterministic, incompressible bytes without a PRNG dependency
function seededBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; offset += 32, counter++) {
    createHash('sha256').update(`${seed}:${counter}`).digest().copy(out, offset);
  }
  return out;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}


interface LocalRegistry {
  url: string;
  host: string;
  /** blob uploads started (POST …/blobs/uploads/) and cross-repository mounts (the same POST with ?mount=) so far */
  requests(): { uploads: number; mounts: number };
  stop(): Promise<void>;
}

// `/usr/bin/docker-registry serve <config>`, filesystem storage in a temp dir, no auth, loopback (as the service's
// tests start it). Killed on exit too, should i0 never run to stop it.
async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-registry-'));
  const port = await freePort();
  const config = ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`, ''];
  await writeFile(path.join(dir, 'config.yml'), config.join('\n'));
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  // the access log (one line per request, whatever the log level): shows whether a client uploaded or mounted blobs
  const counts = { uploads: 0, mounts: 0 };
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!/"POST \/v2\/\S+\/blobs\/uploads\/\S* HTTP/.test(line)) continue;
      if (/[?&]mount=/.test(line)) counts.mounts++;
      else counts.uploads++;
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => ((await fetch(`${url}/v2/`)).status === 200 ? true : undefined), 'docker-registry /v2/', 15_000);
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    requests: () => ({ ...counts }),
    async stop() {
      process.off('exit', cleanup);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
