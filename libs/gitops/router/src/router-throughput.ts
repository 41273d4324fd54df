import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HttpRouter } from './http-router';
import { routerCommand } from './router-command';
import { readRouterRecord, writeRoutesFile } from './router-state';
import { createRoutingTable, type RoutingTableInput } from './routing-table';

// For the benchmark (no timed assertions in tests): requests/s straight to a backend vs through the router, on
// loopback, keep-alive clients, fixed concurrency. Target: ratio ≥ 0.5.

export interface ThroughputResult {
  requests: number;
  failures: number;
  seconds: number;
  requestsPerSecond: number;
}

/** Fires `requests` GETs at `url` with `concurrency` keep-alive connections. */
export async function measureThroughput(url: string, requests: number, concurrency: number, headers: Record<string, string> = {}): Promise<ThroughputResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failures = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent, headers }, (res) => {
        if (res.statusCode !== 200) failures++;
        res.resume();
        res.once('end', resolve);
      });
      req.once('error', () => {
        failures++;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (next++ < requests) await one();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, failures, seconds, requestsPerSecond: requests / seconds };
}

export interface RouterBenchResult {
  direct: ThroughputResult;
  routed: ThroughputResult;
  /** routed / direct requests per second */
  ratio: number;
}

/**
 * Starts a tiny backend here and the router as its own process, as deployed (`inProcess: true` runs it in this
 * event loop instead: client, router and backend then share one core), measures both paths, stops everything.
 */
export async function benchmarkRouter(options: { requests?: number; concurrency?: number; inProcess?: boolean } = {}): Promise<RouterBenchResult> {
  const requests = options.requests ?? 20_000;
  const concurrency = options.concurrency ?? 32;
  const payload = Buffer.from('{"ok":true}');
  const backend = http.createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
    res.end(payload);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as AddressInfo).port;
  const table: RoutingTableInput = {
    environment: 'bench',
    applications: [{ application: 'app', slots: [{ slot: 'stable', revision: 'b'.repeat(40), weight: 100, backends: [`127.0.0.1:${backendPort}`] }] }],
  };
  const router = options.inProcess ? await startInProcess(table) : await startChildRouter(table);
  try {
    const direct = `http://127.0.0.1:${backendPort}/`;
    const routed = `http://127.0.0.1:${router.port}/app/`;
    const key = { 'x-route-key': 'bench' };
    await measureThroughput(direct, 500, concurrency); // warm-up
    const directResult = await measureThroughput(direct, requests, concurrency);
    await measureThroughput(routed, 500, concurrency, key);
    const routedResult = await measureThroughput(routed, requests, concurrency, key);
    return { direct: directResult, routed: routedResult, ratio: routedResult.requestsPerSecond / directResult.requestsPerSecond };
  } finally {
    await router.stop();
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
}

interface BenchRouter {
  port: number;
  stop(): Promise<void>;
}

async function startInProcess(table: RoutingTableInput): Promise<BenchRouter> {
  const router = new HttpRouter(createRoutingTable(table));
  return { port: await router.listen(0), stop: () => router.close() };
}

async function startChildRouter(table: RoutingTableInput): Promise<BenchRouter> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'router-bench-'));
  await writeRoutesFile(stateDir, table);
  const { command, args } = routerCommand(stateDir, 0);
  const child = spawn(command, args, { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = await readRouterRecord(stateDir);
    if (record !== null && record.pid === child.pid) return { port: record.port, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('the router process did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
