import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { adoptRouter, readRouterRecord, routerCommand, writeRoutesFile, type RouterRecord, type RoutingTable, type RoutingTableInput } from '@delivery/gitops-router';
import { isSameProcessAlive, readProcStat } from '../proc-stat';

// One router process per environment, spawned detached (it outlives the adapter and is adopted by the next one).
// The controller owns routes.json: it is rewritten only when the table changes.

export interface RouterControllerOptions {
  stateDir: string;
  /** fixed port; otherwise the port of the previous router (stable URLs across restarts), else a free one */
  port?: number;
  startTimeoutMs?: number;
  log: (line: string) => void;
}

export class RouterController {
  private record: RouterRecord | null = null;
  private startTime: number | null = null;
  private written: string | null = null;
  private starting: Promise<RouterRecord> | null = null;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RouterControllerOptions) {}

  get current(): RouterRecord | null {
    return this.record;
  }

  /** Adopts the recorded router when it is alive and answers as itself, otherwise starts one. */
  ensure(): Promise<RouterRecord> {
    this.starting ??= this.adoptOrStart().finally(() => (this.starting = null));
    return this.starting;
  }

  /** Cheap liveness check of the router we know (pid alive, not a zombie, same start time). */
  isAlive(): boolean {
    const rec = this.record;
    return rec !== null && this.startTime !== null && isSameProcessAlive(rec.pid, this.startTime);
  }

  /** Writes routes.json when the table differs from what was last written; true when written. */
  write(table: RoutingTableInput): Promise<boolean> {
    const run = this.writes.then(async () => {
      const text = JSON.stringify(table);
      if (text === this.written) return false;
      await writeRoutesFile(this.options.stateDir, table);
      this.written = text;
      return true;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** The table the router serves now (admin endpoint); null when no router answers. */
  async table(): Promise<RoutingTable | null> {
    const rec = this.record;
    if (!rec) return null;
    try {
      const res = await fetch(`http://${rec.host}:${rec.adminPort}/_router/table`, { signal: AbortSignal.timeout(2_000) });
      return ((await res.json()) as { table: RoutingTable | null }).table;
    } catch {
      return null;
    }
  }

  /** SIGTERM to the router (tests, environment teardown). */
  async stop(): Promise<void> {
    const rec = this.record ?? (await adoptRouter(this.options.stateDir));
    this.record = null;
    if (!rec) return;
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 5_000;
    while (readProcStat(rec.pid) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    try {
      process.kill(rec.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  private async adoptOrStart(): Promise<RouterRecord> {
    if (this.record && this.isAlive()) return this.record;
    const adopted = await adoptRouter(this.options.stateDir);
    if (adopted) {
      this.options.log(`router of ${this.options.stateDir}: adopted pid ${adopted.pid} on port ${adopted.port}`);
      return this.remember(adopted);
    }
    const previous = await readRouterRecord(this.options.stateDir);
    const port = this.options.port ?? previous?.port ?? 0;
    const started = await this.start(port).catch(async (error: unknown) => {
      // the previous port may be taken by now: take any
      if (this.options.port !== undefined || port === 0) throw error;
      this.options.log(`router could not start on port ${port} (${String(error)}), taking a free port`);
      return this.start(0);
    });
    return this.remember(started);
  }

  private remember(record: RouterRecord): RouterRecord {
    this.record = record;
    this.startTime = readProcStat(record.pid)?.startTime ?? null;
    return record;
  }

  private async start(port: number): Promise<RouterRecord> {
    const { stateDir } = this.options;
    mkdirSync(stateDir, { recursive: true });
    const { command, args } = routerCommand(stateDir, port, 0);
    const out = openSync(path.join(stateDir, 'router.log'), 'a');
    let exited: string | null = null;
    try {
      const child = spawn(command, args, { cwd: stateDir, detached: true, stdio: ['ignore', out, out] });
      child.once('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
      child.once('error', (error) => (exited = error.message));
      child.unref();
      const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
      for (;;) {
        const rec = child.pid === undefined ? null : await readRouterRecord(stateDir);
        if (rec && rec.pid === child.pid) {
          const adopted = await adoptRouter(stateDir);
          if (adopted) {
            this.options.log(`router of ${stateDir}: started pid ${adopted.pid} on port ${adopted.port}`);
            return adopted;
          }
        }
        if (exited !== null) throw new Error(`router ${exited}, see ${path.join(stateDir, 'router.log')}`);
        if (Date.now() > deadline) {
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
          throw new Error(`router did not start within ${this.options.startTimeoutMs ?? 20_000} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      closeSync(out);
    }
  }
}
