import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, REPO_ROOT } from '@delivery/testing';

// A real Verdaccio on a free loopback port, its storage and htpasswd in a temp dir; stop() and start() again
// keep port and storage (a registry outage and its recovery).
export interface Verdaccio {
  url: string;
  port: number;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** creates a user (PUT /-/user/org.couchdb.user:<name>) and returns its token */
  addUser(name: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startVerdaccio(): Promise<Verdaccio> {
  const dir = await mkdtemp(path.join(tmpdir(), 'verdaccio-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = path.join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'max_body_size: 50mb',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';
  const verdaccio: Verdaccio = {
    url,
    port,
    dir,
    async start() {
      output = '';
      const started = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'verdaccio'), ['--config', config, '--listen', `127.0.0.1:${port}`], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child = started;
      await eventually(
        async () => {
          if (started.exitCode !== null) throw new Error(`verdaccio exited (${started.exitCode}): ${output}`);
          return (await fetch(`${url}-/ping`)).ok || undefined;
        },
        'verdaccio answering',
        30_000,
      );
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async addUser(name, password) {
      const response = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!response.ok || !body.token) throw new Error(`could not add user ${name}: ${response.status} ${body.error ?? ''}`);
      return body.token;
    },
    async close() {
      await verdaccio.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await verdaccio.start();
  return verdaccio;
}
