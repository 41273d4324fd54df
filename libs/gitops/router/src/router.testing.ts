import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { routerCommand } from './router-command';

// Test helpers: real loopback backends that say who they are, a free port, and the router CLI spawned as a real
// child process (routerCommand: TypeScript compiled on the fly by @swc/core, the same compiler Jest uses).

export interface TestBackend {
  name: string;
  port: number;
  address: string;
  hits: number;
  close(): Promise<void>;
}

/** A backend answering `{ backend: name, path, method, body }`; `delayMs` delays every response. */
export async function startBackend(name: string, options: { delayMs?: number; status?: number } = {}): Promise<TestBackend> {
  const backend: TestBackend = { name, port: 0, address: '', hits: 0, close: async () => undefined };
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    backend.hits++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ backend: name, path: req.url, method: req.method, body: Buffer.concat(chunks).toString() });
      const send = (): void => {
        res.writeHead(options.status ?? 200, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (options.delayMs) setTimeout(send, options.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as AddressInfo).port;
  backend.address = `127.0.0.1:${backend.port}`;
  backend.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

export function request(port: number, urlPath: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function closeTestAgent(): void {
  agent.destroy();
}

export const revisionOf = (c: string): string => c.repeat(40);

/** Spawns the router CLI as its own process (what a supervisor does); resolves once spawned. */
export function spawnRouter(stateDir: string, port: number, adminPort = 0): ChildProcess {
  const { command, args } = routerCommand(stateDir, port, adminPort);
  return spawn(command, args, {
    cwd: path.resolve(__dirname, '../../../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Retries `check` until it returns without throwing, or rethrows its last error after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
