import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ObservedWorkload } from '@delivery/gitops-runtime';
import { recentRestartTimes, restartDelay } from './backoff';
import { aggregateHealth, type ReplicaView } from './health';
import { httpProbe } from './http.probe';
import { PortAllocator } from './port.allocator';
import { isSameProcessAlive, readProcStat } from './proc-stat';
import { signalGroup, spawnDetached, waitDead } from './process-group';
import { ProcessRecordStore } from './process-record.store';
import { resolveConfig, templateHash, validateWorkloads, type StoppingReplica, type SupervisedWorkload, type SupervisorConfig, type SupervisorOptions } from './supervisor.config';

interface RunningProcess {
  pid: number;
  startTime: number;
  startedAt: number;
  specHash: string;
  /** null for an adopted process (not our child: its exit is seen by polling /proc) */
  child: ChildProcess | null;
}

interface Replica {
  workload: string;
  /** the replica's number for its whole life (state file and port key); a new replica takes the lowest free one */
  index: number;
  /** what this replica runs (or restarts with); during a rollout not the workload's target */
  spec: SupervisedWorkload;
  port: number | null;
  proc: RunningProcess | null;
  phase: ReplicaView['phase'];
  /** bumped on every spawn and stop: callbacks of an older incarnation are ignored */
  incarnation: number;
  ready: boolean;
  everReady: boolean;
  readySince: number | null;
  readinessFailures: number;
  livenessFailures: number;
  restarts: number;
  restartTimes: number[];
  lastDelayMs: number | null;
  lastExit: string | null;
  killReason: string | null;
  timers: NodeJS.Timeout[];
  probing: Set<string>;
}

interface WorkloadEntry {
  /** the target: the workload as last applied */
  spec: SupervisedWorkload;
  replicas: Map<number, Replica>;
}

export interface ReplicaInfo {
  replica: number;
  pid: number | null;
  port: number | null;
  phase: ReplicaView['phase'];
  ready: boolean;
  restarts: number;
}

export class SupervisorInputError extends Error {
  readonly code = 'INVALID_WORKLOAD';
}

/** Supervises the processes of one environment: spawn, probe, restart with backoff, stop gracefully, adopt after a restart. */
export class ProcessSupervisor {
  private readonly config: SupervisorConfig;
  private readonly records: ProcessRecordStore;
  private readonly ports: PortAllocator;
  private readonly workloads = new Map<string, WorkloadEntry>();
  /** workloads whose rollout loop runs */
  private readonly rolling = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: SupervisorOptions) {
    this.config = resolveConfig(options);
    this.records = new ProcessRecordStore(options.stateDir);
    this.ports = new PortAllocator(options.stateDir, this.config.portRange);
  }

  /** Loads the persisted records: live processes are adopted, dead ones (exited, zombie, recycled pid) restarted per policy. */
  recover(): Promise<{ adopted: string[]; restarting: string[] }> {
    return this.serial(async () => {
      const adopted: string[] = [];
      const restarting: string[] = [];
      for (const rec of this.records.readAll()) {
        let entry = this.workloads.get(rec.workload);
        if (entry?.replicas.has(rec.replica)) continue;
        if (!entry) this.workloads.set(rec.workload, (entry = { spec: this.records.readTarget(rec.workload) ?? rec.spec, replicas: new Map() }));
        const r = this.newReplica(rec.spec, rec.replica);
        Object.assign(r, { port: rec.port, restarts: rec.restarts, restartTimes: rec.restartTimes, lastDelayMs: rec.lastDelayMs });
        entry.replicas.set(rec.replica, r);
        const key = keyOf(r);
        if (rec.pid !== null && rec.startTime !== null && isSameProcessAlive(rec.pid, rec.startTime)) {
          r.proc = { pid: rec.pid, startTime: rec.startTime, startedAt: rec.startedAt ?? Date.now(), specHash: rec.specHash, child: null };
          r.phase = 'running';
          this.ports.assign(key, rec.port);
          this.startProbes(r, ++r.incarnation);
          adopted.push(key);
        } else {
          r.phase = 'running';
          const incarnation = ++r.incarnation;
          if (rec.pid === null) this.scheduleRestart(r, incarnation, rec.lastDelayMs ?? this.config.backoffBaseMs);
          else this.onExit(r, incarnation, `process ${rec.pid} found dead (exited, zombie or recycled pid)`);
          restarting.push(key);
        }
      }
      // a rollout the previous supervisor left unfinished goes on (its old and new replicas were adopted above)
      for (const [name, entry] of this.workloads) if (outdatedReplicas(entry).length > 0) this.roll(name);
      return { adopted, restarting };
    });
  }

  /**
   * Converges the given workloads (one application). A changed process template (anything but replicas) starts a
   * rolling update in the background (`roll`); otherwise replicas are started or stopped at once (scaling). Workloads
   * not named are left alone: `remove` them. Never waits for readiness; returns the workloads whose processes change.
   */
  apply(workloads: SupervisedWorkload[]): Promise<string[]> {
    const problems = validateWorkloads(workloads);
    if (problems.length > 0) return Promise.reject(new SupervisorInputError(problems.join('; ')));
    return this.serial(async () => {
      const changed = new Set<string>();
      for (const w of workloads) {
        const previous = this.workloads.get(w.name);
        const entry: WorkloadEntry = previous ?? { spec: w, replicas: new Map() };
        const retargeted = previous !== undefined && templateHash(previous.spec) !== templateHash(w);
        entry.spec = w;
        this.workloads.set(w.name, entry);
        this.records.writeTarget(w);
        for (const r of entry.replicas.values()) if (templateHash(r.spec) === templateHash(w)) this.runsSpec(r, w);
        if (outdatedReplicas(entry).length > 0) {
          if (retargeted || !this.rolling.has(w.name)) changed.add(w.name);
          this.roll(w.name);
        } else if (await this.scale(entry)) {
          changed.add(w.name);
        }
      }
      return [...changed];
    });
  }

  /** Stops every replica of a workload and forgets it (records, ports). False when unknown. */
  remove(name: string): Promise<boolean> {
    return this.serial(async () => {
      const entry = this.workloads.get(name);
      if (!entry) return false;
      for (const r of [...entry.replicas.values()]) await this.retire(entry, r, 'removed');
      this.workloads.delete(name);
      this.records.deleteTarget(name);
      return true;
    });
  }

  /** Stops every process of every workload and forgets them (an environment's teardown). */
  async stopAll(): Promise<void> {
    for (const name of [...this.workloads.keys()]) await this.remove(name);
  }

  /** Stops supervising without stopping the processes: a successor on the same stateDir adopts them. */
  close(): void {
    this.closed = true;
    for (const entry of this.workloads.values()) for (const r of entry.replicas.values()) this.clearTimers(r);
  }

  names(application?: string): string[] {
    return [...this.workloads.values()].filter((e) => application === undefined || e.spec.application === application).map((e) => e.spec.name);
  }

  observe(): ObservedWorkload[] {
    return [...this.workloads.keys()].map((name) => this.observeWorkload(name));
  }

  /** Missing for a workload the supervisor does not run. */
  observeWorkload(name: string): ObservedWorkload {
    const entry = this.workloads.get(name);
    if (!entry) return { name, slot: null, specHash: null, health: 'Missing', replicas: 0, readyReplicas: 0, restarts: 0, recentRestarts: 0, message: 'not running' };
    const now = Date.now();
    const views: ReplicaView[] = [...entry.replicas.values()].map((r) => ({
      index: r.index,
      phase: r.phase,
      ready: r.ready,
      startedAt: r.proc?.startedAt ?? null,
      recentRestarts: recentRestartTimes(r.restartTimes, now, this.config.recentWindowMs).length,
      specHash: r.spec.specHash,
      lastExit: r.lastExit,
    }));
    const health = aggregateHealth({ desiredReplicas: entry.spec.replicas, specHash: entry.spec.specHash, replicas: views, now, startupDeadlineMs: this.config.startupDeadlineMs, crashLoopRestarts: this.config.crashLoopRestarts });
    return {
      name,
      slot: entry.spec.slot,
      specHash: health.specHash,
      health: health.health,
      replicas: views.filter((v) => v.phase === 'running' && v.startedAt !== null).length,
      readyReplicas: health.readyReplicas,
      restarts: [...entry.replicas.values()].reduce((sum, r) => sum + r.restarts, 0),
      recentRestarts: views.reduce((sum, v) => sum + v.recentRestarts, 0),
      ...(health.message ? { message: health.message } : {}),
    };
  }

  /** host:port of the ready replicas (the router's backends). */
  endpoints(name: string): string[] {
    const entry = this.workloads.get(name);
    if (!entry) return [];
    return [...entry.replicas.values()].filter((r) => r.phase === 'running' && r.ready && r.proc && r.port !== null).map((r) => `127.0.0.1:${r.port}`);
  }

  processes(name: string): ReplicaInfo[] {
    const entry = this.workloads.get(name);
    if (!entry) return [];
    return [...entry.replicas.values()].map((r) => ({ replica: r.index, pid: r.proc?.pid ?? null, port: r.port, phase: r.phase, ready: r.ready, restarts: r.restarts }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts the rollout loop of a workload unless it runs: one step at a time, each re-reading the target. */
  private roll(name: string): void {
    if (this.rolling.has(name)) return;
    this.rolling.add(name);
    void (async () => {
      while (!this.closed) {
        const next = await this.serial(() => this.rollStep(name)).catch((error: unknown) => {
          this.config.log(`${name}: rollout step failed (${String(error)}), trying again`);
          return 'wait' as const;
        });
        if (next === 'done') return;
        if (next === 'wait') await new Promise((resolve) => setTimeout(resolve, this.config.readinessPeriodMs).unref());
      }
    })();
  }

  /**
   * One step of a rolling update, as a Deployment with maxSurge 1 and maxUnavailable 0: an old replica is stopped
   * only when enough new ones are ready to make up for it; a new one is started only when every new one is ready.
   * A new replica that never becomes ready stalls the rollout, and the old replicas keep serving.
   */
  private async rollStep(name: string): Promise<'done' | 'wait' | 'progressed'> {
    const entry = this.workloads.get(name);
    const old = entry ? outdatedReplicas(entry) : [];
    if (!entry || old.length === 0 || this.closed) {
      // cleared within the serialized step: an apply queued behind it starts a new loop if it needs one
      this.rolling.delete(name);
      if (entry && !this.closed) await this.scale(entry);
      return 'done';
    }
    const fresh = [...entry.replicas.values()].filter((r) => !old.includes(r));
    const freshReady = fresh.filter((r) => r.ready).length;
    if (old.length + freshReady > entry.spec.replicas) {
      // a not-ready old replica serves nobody: it goes first
      await this.retire(entry, old.find((r) => !r.ready) ?? (old[0] as Replica), 'replaced');
      return 'progressed';
    }
    if (fresh.length === freshReady) {
      await this.startNew(entry);
      return 'progressed';
    }
    return 'wait';
  }

  /** Same process template: starts the missing replicas, stops those with the highest numbers. True when any. */
  private async scale(entry: WorkloadEntry): Promise<boolean> {
    const extra = [...entry.replicas.values()].sort((a, b) => b.index - a.index).slice(0, Math.max(0, entry.replicas.size - entry.spec.replicas));
    for (const r of extra) await this.retire(entry, r, 'scaled-down');
    const missing = Math.max(0, entry.spec.replicas - entry.replicas.size);
    for (let i = 0; i < missing; i++) await this.startNew(entry);
    return extra.length + missing > 0;
  }

  /** Same process template, new spec (e.g. only replicas changed): the running process now runs it as it is. */
  private runsSpec(r: Replica, spec: SupervisedWorkload): void {
    if (r.spec.specHash === spec.specHash && (r.proc?.specHash ?? spec.specHash) === spec.specHash) return;
    r.spec = spec;
    if (r.proc) r.proc.specHash = spec.specHash;
    this.persist(r);
  }

  /** Starts a replica of the target spec with the lowest free number (a rollout's surge replica gets n). */
  private async startNew(entry: WorkloadEntry): Promise<void> {
    let index = 0;
    while (entry.replicas.has(index)) index++;
    const r = this.newReplica(entry.spec, index);
    entry.replicas.set(index, r);
    // e.g. no free port: counts as an exit, retried with backoff like a restart
    await this.startProcess(r).catch((error: unknown) => this.onExit(r, r.incarnation, `start failed: ${String(error)}`));
  }

  private async retire(entry: WorkloadEntry, r: Replica, reason: StoppingReplica['reason']): Promise<void> {
    await this.stopReplica(r, reason);
    this.forget(r);
    entry.replicas.delete(r.index);
  }

  private newReplica(spec: SupervisedWorkload, index: number): Replica {
    return {
      workload: spec.name, index, spec, port: null, proc: null, phase: 'stopped', incarnation: 0,
      ready: false, everReady: false, readySince: null, readinessFailures: 0, livenessFailures: 0,
      restarts: 0, restartTimes: [], lastDelayMs: null, lastExit: null, killReason: null, timers: [], probing: new Set(),
    };
  }

  private async startProcess(r: Replica): Promise<void> {
    const incarnation = ++r.incarnation;
    this.clearTimers(r);
    r.phase = 'running';
    const key = keyOf(r);
    const port = await this.ports.acquire(key);
    if (r.incarnation !== incarnation || this.closed) return; // stopped while the port was tested
    r.port = port;
    Object.assign(r, { proc: null, ready: false, everReady: false, readySince: null, readinessFailures: 0, livenessFailures: 0, killReason: null });
    const spec = r.spec;
    // PATH is passed along (unless the workload sets it) so that a bare command name resolves
    const env = { ...(process.env.PATH ? { PATH: process.env.PATH } : {}), ...spec.env, PORT: String(port) };
    const child = spawnDetached({ command: spec.command, cwd: spec.cwd, env, logFile: path.join(this.config.stateDir, 'logs', `${key}.log`) });
    child.once('exit', (code, signal) => this.onExit(r, incarnation, r.killReason ?? `exited (code ${code}, signal ${signal})`));
    child.once('error', (error) => {
      if (child.pid === undefined) this.onExit(r, incarnation, `spawn failed: ${error.message}`);
    });
    if (child.pid === undefined) return; // the error event follows
    const stat = readProcStat(child.pid);
    r.proc = { pid: child.pid, startTime: stat?.startTime ?? -1, startedAt: Date.now(), specHash: spec.specHash, child };
    this.config.log(`${key}: started pid ${child.pid} on port ${port}`);
    this.persist(r);
    this.startProbes(r, incarnation);
  }

  private onExit(r: Replica, incarnation: number, reason: string): void {
    if (r.incarnation !== incarnation || r.phase !== 'running' || this.closed) return;
    this.clearTimers(r);
    const now = Date.now();
    const readyFor = r.ready && r.readySince !== null ? now - r.readySince : 0;
    const delay = restartDelay(r.lastDelayMs, readyFor, { baseMs: this.config.backoffBaseMs, maxMs: this.config.backoffMaxMs, resetAfterMs: this.config.backoffResetMs });
    r.restarts += 1;
    r.restartTimes = [...recentRestartTimes(r.restartTimes, now, this.config.recentWindowMs), now];
    Object.assign(r, { lastDelayMs: delay, lastExit: reason, proc: null, ready: false, readySince: null });
    this.config.log(`${keyOf(r)}: ${reason}; restart #${r.restarts} in ${delay} ms`);
    this.scheduleRestart(r, incarnation, delay);
  }

  private scheduleRestart(r: Replica, incarnation: number, delay: number): void {
    r.phase = 'backoff';
    this.persist(r);
    const timer = setTimeout(() => {
      if (r.incarnation !== incarnation || r.phase !== 'backoff' || this.closed) return;
      this.startProcess(r).catch((error: unknown) => this.onExit(r, r.incarnation, `restart failed: ${String(error)}`));
    }, delay);
    timer.unref();
    r.timers.push(timer);
  }

  private startProbes(r: Replica, incarnation: number): void {
    const every = (ms: number, fn: () => unknown) => {
      const timer = setInterval(fn, ms);
      timer.unref();
      r.timers.push(timer);
    };
    every(this.config.readinessPeriodMs, () => this.probeReadiness(r, incarnation));
    if (r.spec.healthPath) every(this.config.livenessPeriodMs, () => this.probeLiveness(r, incarnation));
    if (r.proc && !r.proc.child) {
      const proc = r.proc;
      every(this.config.exitPollMs, () => {
        if (!isSameProcessAlive(proc.pid, proc.startTime)) this.onExit(r, incarnation, r.killReason ?? 'exited (adopted: exit status unknown)');
      });
    }
  }

  private async probeReadiness(r: Replica, incarnation: number): Promise<void> {
    const guard = `readiness:${incarnation}`;
    const proc = r.proc;
    if (r.incarnation !== incarnation || r.phase !== 'running' || !proc || r.port === null || r.probing.has(guard)) return;
    r.probing.add(guard);
    try {
      const ok = r.spec.healthPath
        ? await httpProbe(r.port, r.spec.healthPath, this.config.probeTimeoutMs)
        : Date.now() - proc.startedAt >= this.config.readyWithoutProbeAfterMs;
      if (r.incarnation !== incarnation || r.phase !== 'running') return;
      if (ok) {
        r.readinessFailures = 0;
        if (!r.ready) Object.assign(r, { ready: true, everReady: true, readySince: Date.now() });
      } else if (++r.readinessFailures >= this.config.failureThreshold && r.ready) {
        Object.assign(r, { ready: false, readySince: null });
      }
    } finally {
      r.probing.delete(guard);
    }
  }

  // Liveness starts once the replica was ready (the startup deadline covers the time before).
  private async probeLiveness(r: Replica, incarnation: number): Promise<void> {
    const guard = `liveness:${incarnation}`;
    const proc = r.proc;
    if (r.incarnation !== incarnation || r.phase !== 'running' || !proc || !r.everReady || !r.spec.healthPath || r.port === null || r.probing.has(guard)) return;
    r.probing.add(guard);
    try {
      const ok = await httpProbe(r.port, r.spec.healthPath, this.config.probeTimeoutMs);
      if (r.incarnation !== incarnation || r.phase !== 'running') return;
      if (ok) r.livenessFailures = 0;
      else if (++r.livenessFailures >= this.config.failureThreshold && isSameProcessAlive(proc.pid, proc.startTime)) {
        r.killReason = `liveness probe failed ${r.livenessFailures} times`;
        this.config.log(`${keyOf(r)}: ${r.killReason}, killing`);
        signalGroup(proc.pid, 'SIGKILL');
      }
    } finally {
      r.probing.delete(guard);
    }
  }

  /** beforeStop, SIGTERM to the group, grace period, SIGKILL to the group. */
  private async stopReplica(r: Replica, reason: StoppingReplica['reason']): Promise<void> {
    r.incarnation++;
    this.clearTimers(r);
    const proc = r.proc;
    Object.assign(r, { phase: 'stopping', ready: false, readySince: null });
    if (proc && isSameProcessAlive(proc.pid, proc.startTime)) {
      if (this.config.beforeStop && r.port !== null) {
        try {
          await this.config.beforeStop({ workload: r.workload, replica: r.index, endpoint: `127.0.0.1:${r.port}`, reason });
        } catch (error) {
          this.config.log(`${keyOf(r)}: beforeStop failed (${String(error)}), stopping anyway`);
        }
      }
      signalGroup(proc.pid, 'SIGTERM');
      if (!(await waitDead(proc.pid, proc.startTime, this.config.gracePeriodMs))) {
        this.config.log(`${keyOf(r)}: still alive after ${this.config.gracePeriodMs} ms, SIGKILL`);
        signalGroup(proc.pid, 'SIGKILL');
        await waitDead(proc.pid, proc.startTime, 5000);
      }
      signalGroup(proc.pid, 'SIGKILL'); // what the leader left behind in its group
    }
    Object.assign(r, { proc: null, phase: 'stopped' });
  }

  private forget(r: Replica): void {
    this.records.delete(r.workload, r.index);
    this.ports.release(keyOf(r));
  }

  private persist(r: Replica): void {
    this.records.write({
      workload: r.workload, replica: r.index, pid: r.proc?.pid ?? null, startTime: r.proc?.startTime ?? null, startedAt: r.proc?.startedAt ?? null,
      specHash: r.proc?.specHash ?? r.spec.specHash, port: r.port ?? 0, command: r.spec.command,
      restarts: r.restarts, restartTimes: r.restartTimes, lastDelayMs: r.lastDelayMs, spec: r.spec,
    });
  }

  private clearTimers(r: Replica): void {
    for (const timer of r.timers) clearTimeout(timer);
    r.timers = [];
  }
}

/** Replicas whose process template is not the workload's: a rollout replaces them. */
function outdatedReplicas(entry: WorkloadEntry): Replica[] {
  const target = templateHash(entry.spec);
  return [...entry.replicas.values()].filter((r) => templateHash(r.spec) !== target).sort((a, b) => a.index - b.index);
}

function keyOf(r: { workload: string; index: number }): string {
  return `${r.workload}-${r.index}`;
}
