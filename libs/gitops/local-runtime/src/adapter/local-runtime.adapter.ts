import path from 'node:path';
import type { ApplyResult, DesiredApplication, ObservedApplication, RuntimeAdapter, TrafficSlot } from '@delivery/gitops-runtime';
import { readRoutesFile, type RoutingTable } from '@delivery/gitops-router';
import { ProcessSupervisor, SupervisorInputError } from '../process.supervisor';
import type { SupervisedWorkload, SupervisorOptions } from '../supervisor.config';
import { AppRouteStore, appRouteOf, buildTable, type AppRoute } from './app-routes';
import { APPLY_FAILED, INVALID_DESIRED_STATE, supervisedName, validateDesired } from './desired-state.validation';
import { ArtifactError, prepareWorkloadDir } from './artifact.preparer';
import { RouterController } from './router.controller';

// The local RuntimeAdapter: per environment one ProcessSupervisor and one router process, both surviving the
// adapter (close() leaves them running; the next adapter on the same state dir adopts them). The adapter only
// applies and observes; gitops-sync decides.

export const ROUTER_UNAVAILABLE = 'runtime.router-unavailable';

export interface LocalRuntimeOptions {
  /** one per machine: <stateDir>/<environment>/{supervisor,router,apps,routes} */
  stateDir: string;
  /** fixed router port per environment; otherwise the previous router's port, else a free one */
  routerPorts?: Record<string, number>;
  /** supervisor tuning (timings, port range) shared by every environment */
  supervisor?: Omit<SupervisorOptions, 'stateDir' | 'beforeStop' | 'log'>;
  /** how often ready backends are compared with the table (routes.json is rewritten only on change) */
  tableRefreshMs?: number;
  /** after a backend left the table, how long its replica keeps serving before SIGTERM (the router reloads in between) */
  drainMs?: number;
  /** after an adapter restart, how long slots without a probed-ready replica keep the router's previous backends */
  recoverGraceMs?: number;
  routerStartTimeoutMs?: number;
  log?: (line: string) => void;
}

interface EnvironmentRuntime {
  environment: string;
  dir: string;
  supervisor: ProcessSupervisor;
  router: RouterController;
  store: AppRouteStore;
  routes: Map<string, AppRoute>;
  /** the table the router served when this adapter found it (restart), used until recoverUntil */
  previous: RoutingTable | null;
  recoverUntil: number;
  timer: NodeJS.Timeout;
  queue: Promise<unknown>;
}

export class LocalRuntimeAdapter implements RuntimeAdapter {
  readonly kind = 'local' as const;
  private readonly environments = new Map<string, Promise<EnvironmentRuntime>>();
  private readonly log: (line: string) => void;
  private closed = false;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.log = options.log ?? (() => undefined);
  }

  async apply(desired: DesiredApplication): Promise<ApplyResult> {
    const problems = validateDesired(desired);
    if (problems.length > 0) return { changed: [], error: { code: INVALID_DESIRED_STATE, message: problems.join('; ') } };
    const env = await this.environment(desired.environment);
    return this.serial(env, async () => {
      const app = desired.application;
      const supervised: SupervisedWorkload[] = [];
      try {
        for (const w of desired.workloads) {
          const name = supervisedName(app, w.name);
          const cwd = await prepareWorkloadDir(path.join(env.dir, 'apps'), name, w);
          supervised.push({ ...w, name, cwd, application: app });
        }
      } catch (error) {
        if (error instanceof ArtifactError) return { changed: [], error: { code: error.code, message: error.message } };
        throw error;
      }
      let changed: string[];
      try {
        changed = await env.supervisor.apply(supervised);
      } catch (error) {
        if (error instanceof SupervisorInputError) return { changed: [], error: { code: INVALID_DESIRED_STATE, message: error.message } };
        throw error;
      }
      // the new split goes to the router before pruning, so traffic leaves a pruned slot before it stops
      const route = appRouteOf(desired, env.routes.get(app));
      if (route.slots.length > 0) {
        env.routes.set(app, route);
        env.store.write(route);
      } else {
        env.routes.delete(app);
        env.store.delete(app);
      }
      await this.syncTable(env);
      if (desired.prune) {
        const wanted = new Set(supervised.map((w) => w.name));
        for (const name of env.supervisor.names(app)) {
          if (wanted.has(name)) continue;
          await env.supervisor.remove(name);
          changed.push(name);
        }
      }
      const result: ApplyResult = { changed: changed.map((n) => unprefixed(app, n)) };
      try {
        await env.router.ensure();
      } catch (error) {
        result.error = { code: ROUTER_UNAVAILABLE, message: `router of ${desired.environment}: ${(error as Error).message}` };
      }
      return result;
    }).catch((error: unknown) => ({ changed: [], error: { code: APPLY_FAILED, message: (error as Error).message } }));
  }

  async observe(environment: string, application: string): Promise<ObservedApplication> {
    const env = await this.environment(environment);
    const workloads = env.supervisor.names(application).map((name) => ({ ...env.supervisor.observeWorkload(name), name: unprefixed(application, name) }));
    let weights: ObservedApplication['weights'] = null;
    if (env.routes.size > 0) {
      try {
        await env.router.ensure();
        const table = await env.router.table();
        const route = table?.applications.find((a) => a.application === application);
        if (route) weights = route.slots.map((s) => ({ slot: s.slot, weight: s.weight }));
      } catch (error) {
        this.log(`observe ${environment}/${application}: router unavailable: ${(error as Error).message}`);
      }
    }
    return { environment, application, workloads, weights };
  }

  async applications(environment: string): Promise<string[]> {
    const env = await this.environment(environment);
    const apps = new Set(env.supervisor.names().map((n) => n.split('--')[0] ?? n));
    return [...apps].sort();
  }

  /** The router's base URL; reach an application with Host `<app>.<env>.localhost` or the path prefix `/<app>/`. */
  async routerUrl(environment: string): Promise<string> {
    const env = await this.environment(environment);
    const rec = await env.router.ensure();
    return `http://${rec.host}:${rec.port}`;
  }

  /** The router's admin URL (`/_router/stats`: per-revision counters of the window, then reset; `/_router/health`). */
  async routerAdminUrl(environment: string): Promise<string> {
    const env = await this.environment(environment);
    const rec = await env.router.ensure();
    return `http://${rec.host}:${rec.adminPort}`;
  }

  /** Stops the loops; processes and routers keep running for the next adapter to adopt. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.environments.values()) {
      const env = await pending.catch(() => null);
      if (!env) continue;
      clearInterval(env.timer);
      await env.queue;
      env.supervisor.close();
    }
  }

  /** Tears everything down (tests): every workload process and every router, then close(). */
  async stopAll(): Promise<void> {
    for (const pending of this.environments.values()) {
      const env = await pending.catch(() => null);
      if (!env) continue;
      clearInterval(env.timer);
      await env.supervisor.stopAll();
      await env.router.stop();
    }
    await this.close();
  }

  private environment(environment: string): Promise<EnvironmentRuntime> {
    if (this.closed) return Promise.reject(new Error('LocalRuntimeAdapter is closed'));
    let pending = this.environments.get(environment);
    if (!pending) {
      pending = this.openEnvironment(environment);
      this.environments.set(environment, pending);
      pending.catch(() => this.environments.delete(environment));
    }
    return pending;
  }

  private async openEnvironment(environment: string): Promise<EnvironmentRuntime> {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(environment)) throw new Error(`environment "${environment}" must be a DNS label`);
    const dir = path.join(path.resolve(this.options.stateDir), environment);
    const routerDir = path.join(dir, 'router');
    const log = (line: string): void => this.log(`[${environment}] ${line}`);
    // the supervisor's beforeStop needs the runtime that owns it
    const self: { env?: EnvironmentRuntime } = {};
    const supervisor = new ProcessSupervisor({
      ...this.options.supervisor,
      stateDir: path.join(dir, 'supervisor'),
      log,
      beforeStop: async () => {
        // the stopping replica is no longer an endpoint: drop it from the table, give the router time to reload
        if (self.env) await this.syncTable(self.env);
        await new Promise((resolve) => setTimeout(resolve, this.options.drainMs ?? 1_500));
      },
    });
    const recovered = await supervisor.recover();
    if (recovered.adopted.length + recovered.restarting.length > 0) log(`recovered: adopted ${recovered.adopted.join(', ') || '-'}; restarting ${recovered.restarting.join(', ') || '-'}`);
    const store = new AppRouteStore(path.join(dir, 'routes'));
    const previous = await readRoutesFile(routerDir).catch(() => null);
    const env: EnvironmentRuntime = {
      environment, dir, supervisor, store,
      router: new RouterController({ stateDir: routerDir, port: this.options.routerPorts?.[environment], startTimeoutMs: this.options.routerStartTimeoutMs, log }),
      routes: new Map(store.readAll().map((r) => [r.application, r])),
      previous: previous?.table ?? null,
      recoverUntil: recovered.adopted.length > 0 ? Date.now() + (this.options.recoverGraceMs ?? 5_000) : 0,
      timer: setInterval(() => void this.syncTable(env).catch((error: Error) => log(`table refresh failed: ${error.message}`)), this.options.tableRefreshMs ?? 500),
      queue: Promise.resolve(),
    };
    env.timer.unref();
    self.env = env;
    return env;
  }

  /** Rewrites routes.json when the ready backends or the routes changed. */
  private async syncTable(env: EnvironmentRuntime): Promise<void> {
    const previous = Date.now() < env.recoverUntil ? env.previous : null;
    const fallback = previous
      ? (application: string, slot: TrafficSlot) => [...(previous.applications.find((a) => a.application === application)?.slots.find((s) => s.slot === slot)?.backends ?? [])]
      : undefined;
    const table = buildTable(env.environment, env.routes.values(), (w) => env.supervisor.endpoints(w), fallback);
    if (await env.router.write(table)) this.log(`[${env.environment}] routes.json rewritten`);
  }

  private serial<T>(env: EnvironmentRuntime, fn: () => Promise<T>): Promise<T> {
    const run = env.queue.then(fn, fn);
    env.queue = run.catch(() => undefined);
    return run;
  }
}

function unprefixed(application: string, name: string): string {
  const prefix = `${application}--`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}
