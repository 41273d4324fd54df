import { watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRouter } from './http-router';
import { RECORD_FILE, readRoutesFile, writeRouterRecord, type RouterRecord } from './router-state';
import { promises as fs } from 'node:fs';
import path from 'node:path';

// The router as its own process: serves <stateDir>/routes.json, reloads it on change (fs.watch on the directory,
// because rename replaces the inode, plus a periodic check in case an event is lost), answers the admin
// endpoints, and records itself in <stateDir>/router.json for adoption.

export interface RouterProcessOptions {
  /** admin port (stats, health); 0 picks a free one (router.json records it) */
  adminPort?: number;
  host?: string;
  /** periodic reload check, ms */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface RouterProcess {
  router: HttpRouter;
  record: RouterRecord;
  /** reads routes.json now; keeps the current table when the file is missing or invalid */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRouterProcess(stateDir: string, port: number, options: RouterProcessOptions = {}): Promise<RouterProcess> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const router = new HttpRouter();
  const startedAt = new Date().toISOString();
  const status = { digest: null as string | null, loadedAt: null as string | null, lastError: null as string | null };

  let reloading: Promise<void> | null = null;
  const reload = (): Promise<void> => {
    // one reload at a time; a change during a reload is picked up by the next event or poll
    reloading ??= (async () => {
      try {
        const read = await readRoutesFile(stateDir);
        if (read !== null && read.digest !== status.digest) {
          router.swap(read.table);
          status.digest = read.digest;
          status.loadedAt = new Date().toISOString();
          log(`routes loaded ${read.digest}`);
        }
        status.lastError = null;
      } catch (err) {
        status.lastError = (err as Error).message;
        log(`routes.json rejected, keeping the current table: ${status.lastError}`);
      } finally {
        reloading = null;
      }
    })();
    return reloading;
  };

  await fs.mkdir(stateDir, { recursive: true });
  await reload();
  const boundPort = await router.listen(port, host);

  const admin = http.createServer((req, res) => {
    const url = req.url ?? '/';
    let body: unknown;
    if (req.method === 'GET' && url === '/_router/health') {
      body = { status: 'ok', pid: process.pid, startedAt, port: boundPort, routes: { ...status }, applications: router.table?.applications.length ?? 0 };
    } else if (req.method === 'GET' && url === '/_router/stats') {
      body = router.snapshot();
    } else if (req.method === 'GET' && url === '/_router/stats?peek=1') {
      body = router.peek();
    } else if (req.method === 'GET' && url === '/_router/table') {
      body = { digest: status.digest, table: router.table };
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'not found' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(options.adminPort ?? 0, host, () => resolve());
    });
  } catch (err) {
    await router.close();
    throw err;
  }

  const watcher: FSWatcher = watch(stateDir, (_event, file) => {
    if (file === null || file === 'routes.json') void reload();
  });
  watcher.on('error', (err) => log(`watch error: ${err.message}`));
  const poll = setInterval(() => void reload(), options.pollMs ?? 1_000);
  poll.unref();

  const record: RouterRecord = { version: 1, pid: process.pid, startedAt, host, port: boundPort, adminPort: (admin.address() as AddressInfo).port, stateDir };
  await writeRouterRecord(record);
  log(`router listening on ${host}:${boundPort}, admin ${record.adminPort}`);

  return {
    router,
    record,
    reload,
    stop: async () => {
      clearInterval(poll);
      watcher.close();
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      await router.close();
      // a stopped router leaves no record behind, so nobody tries to adopt it
      await fs.rm(path.join(stateDir, RECORD_FILE), { force: true });
    },
  };
}
