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
  /** the spec this replica runs (or restarts with) */
  specHash: string;
  lastExit: string | null;
}

export interface HealthInput {
  desiredReplicas: number;
  /** the spec the workload converges to: replicas on another one are being replaced (a rollout) */
  specHash: string;
  replicas: ReplicaView[];
  now: number;
  startupDeadlineMs: number;
  crashLoopRestarts: number;
}

export interface AggregatedHealth {
  health: HealthStatus;
  readyReplicas: number;
  /** the spec the workload converges to (as a Deployment's spec during a rollout); null when no process runs */
  specHash: string | null;
  message?: string;
}

export function aggregateHealth(input: HealthInput): AggregatedHealth {
  const { replicas, now } = input;
  const readyReplicas = replicas.filter((r) => r.phase === 'running' && r.ready).length;
  const specHash = replicas.some((r) => r.phase === 'running') ? input.specHash : null;
  const outdated = replicas.filter((r) => r.specHash !== input.specHash).length;

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
  if (readyReplicas === input.desiredReplicas && replicas.length === input.desiredReplicas && outdated === 0) {
    return { health: 'Healthy', readyReplicas, specHash };
  }
  const rolling = outdated > 0 ? [`${outdated} replica(s) of the previous spec still to replace`] : [];
  const waiting = replicas.filter((r) => r.phase === 'backoff').map((r) => `replica ${r.index} restarting (${r.lastExit ?? 'exited'})`);
  return { health: 'Progressing', readyReplicas, specHash, message: [`${readyReplicas}/${input.desiredReplicas} ready`, ...rolling, ...waiting].join('; ') };
}
