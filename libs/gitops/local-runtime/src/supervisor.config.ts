import { createHash } from 'node:crypto';
import type { DesiredWorkload } from '@delivery/gitops-runtime';

/** A desired workload plus what the local runtime needs to run it: the prepared working directory. */
export interface SupervisedWorkload extends DesiredWorkload {
  /** working directory of every replica (unpacked image / installed package), prepared by the caller */
  cwd: string;
  /** the application it belongs to (listing only: names must be unique per supervisor) */
  application?: string;
}

/** What `beforeStop` is told: the replica about to get SIGTERM, while it still serves. */
export interface StoppingReplica {
  workload: string;
  replica: number;
  endpoint: string;
  reason: 'replaced' | 'scaled-down' | 'removed' | 'shutdown';
}

export interface SupervisorOptions {
  stateDir: string;
  /** host ports handed to PORT, inclusive */
  portRange?: { from: number; to: number };
  readinessPeriodMs?: number;
  livenessPeriodMs?: number;
  probeTimeoutMs?: number;
  failureThreshold?: number;
  /** not ready this long after spawn → Degraded */
  startupDeadlineMs?: number;
  /** without healthPath a replica is ready once alive this long */
  readyWithoutProbeAfterMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** ready this long before exiting → the next restart starts from the base delay again */
  backoffResetMs?: number;
  /** window of recentRestarts */
  recentWindowMs?: number;
  /** a not-ready replica with this many recent restarts is crash-looping */
  crashLoopRestarts?: number;
  gracePeriodMs?: number;
  /** how often adopted (not our children) processes are checked in /proc */
  exitPollMs?: number;
  /** called before SIGTERM, e.g. the router drains the backend; errors are logged, the stop goes on */
  beforeStop?: (replica: StoppingReplica) => Promise<void> | void;
  log?: (message: string) => void;
}

export type SupervisorConfig = Required<Omit<SupervisorOptions, 'beforeStop' | 'log'>> & Pick<SupervisorOptions, 'beforeStop'> & { log: (message: string) => void };

export function resolveConfig(options: SupervisorOptions): SupervisorConfig {
  return {
    portRange: { from: 20000, to: 29999 },
    readinessPeriodMs: 1000,
    livenessPeriodMs: 5000,
    probeTimeoutMs: 1000,
    failureThreshold: 3,
    startupDeadlineMs: 60_000,
    readyWithoutProbeAfterMs: 1000,
    backoffBaseMs: 10_000,
    backoffMaxMs: 300_000,
    backoffResetMs: 600_000,
    recentWindowMs: 600_000,
    crashLoopRestarts: 3,
    gracePeriodMs: 10_000,
    exitPollMs: 500,
    ...stripUndefined(options),
    stateDir: options.stateDir,
    log: options.log ?? (() => undefined),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** Refuses the whole input before anything starts; returns the problems found (empty: valid). */
export function validateWorkloads(workloads: SupervisedWorkload[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const w of workloads) {
    if (!NAME.test(w.name)) problems.push(`workload name "${w.name}" must match ${NAME.source} (it names state files)`);
    if (seen.has(w.name)) problems.push(`workload "${w.name}" appears twice`);
    seen.add(w.name);
    if (!w.command[0] || w.command.some((arg) => typeof arg !== 'string')) problems.push(`workload "${w.name}": command must be a non-empty argv`);
    if (!Number.isInteger(w.replicas) || w.replicas < 0) problems.push(`workload "${w.name}": replicas must be an integer >= 0`);
    if (!w.cwd) problems.push(`workload "${w.name}": cwd is required`);
    if (w.healthPath !== null && !w.healthPath.startsWith('/')) problems.push(`workload "${w.name}": healthPath must start with "/"`);
  }
  return problems;
}

/**
 * Hash of what a process is started from: a change means replacing the process. Unlike specHash it leaves out
 * `replicas` (scaling does not restart) and includes `cwd` (a newly prepared directory does).
 */
export function templateHash(w: SupervisedWorkload): string {
  const { command, env, cwd, healthPath, port, artifact, version, releaseId, slot } = w;
  const sortedEnv = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify({ command, env: sortedEnv, cwd, healthPath, port, artifact, version, releaseId, slot })).digest('hex');
}
