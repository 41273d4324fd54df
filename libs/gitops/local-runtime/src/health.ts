import type { HealthStatus } from '@delivery/gitops-runtime';

/** What the supervisor knows of one replica, for aggregation. */
export interface ReplicaView {
  index: number;
  /** running: a live process; backoff: waiting to restart; stopping: being stopped */
  phase: 'running' | 'backoff' | 'stopping' | 'stopped';
  ready: boolean;
  /** epoch ms of the current process' spawn (or adoption record), null without a process */
  startedAt: number | null;
  recentRestarts: number;
  specHash: string | null;
  lastExit: string | null;
}

export interface HealthInput {
  desiredReplicas: number;
  replicas: ReplicaView[];
  now: number;
  startupDeadlineMs: number;
  crashLoopRestarts: number;
}

export interface AggregatedHealth {
  health: HealthStatus;
  readyReplicas: number;
  /** the spec all processes run; null when none run or they differ (mid-replacement) */
  specHash: string | null;
  message?: string;
}

export function aggregateHealth(input: HealthInput): AggregatedHealth {
  const { replicas, now } = input;
  const readyReplicas = replicas.filter((r) => r.phase === 'running' && r.ready).length;
  const hashes = new Set(replicas.filter((r) => r.phase === 'running').map((r) => r.specHash));
  const specHash = hashes.size === 1 ? ([...hashes][0] ?? null) : null;

  const crashLooping = replicas.filter((r) => !r.ready && r.recentRestarts >= input.crashLoopRestarts);
  if (crashLooping.length > 0) {
    const detail = crashLooping.map((r) => `replica ${r.index} crash-looping (${r.recentRestarts} restarts in the window${r.lastExit ? `, last: ${r.lastExit}` : ''})`);
    return { health: 'Degraded', readyReplicas, specHash, message: detail.join('; ') };
  }
  const late = replicas.filter((r) => r.phase === 'running' && !r.ready && r.startedAt !== null && now - r.startedAt > input.startupDeadlineMs);
  if (late.length > 0) {
    const seconds = Math.round(input.startupDeadlineMs / 1000);
    return { health: 'Degraded', readyReplicas, specHash, message: late.map((r) => `replica ${r.index} not ready ${seconds}s after start`).join('; ') };
  }
  if (input.desiredReplicas > 0 && replicas.every((r) => r.phase === 'stopped')) {
    return { health: 'Missing', readyReplicas, specHash, message: 'no process' };
  }
  if (readyReplicas === input.desiredReplicas && replicas.length === input.desiredReplicas) {
    return { health: 'Healthy', readyReplicas, specHash };
  }
  const waiting = replicas.filter((r) => r.phase === 'backoff').map((r) => `replica ${r.index} restarting (${r.lastExit ?? 'exited'})`);
  return { health: 'Progressing', readyReplicas, specHash, message: [`${readyReplicas}/${input.desiredReplicas} ready`, ...waiting].join('; ') };
}
