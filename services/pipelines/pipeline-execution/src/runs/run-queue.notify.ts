import type { EntityManager } from 'typeorm';

// Workers wait on this channel between polls: a queued run or a cancel request wakes them when its transaction
// commits (NOTIFY is delivered at commit, and per database), instead of after the rest of RUNNER_POLL_MS.
export const RUN_QUEUE_CHANNEL = 'pipeline_runs_changed';

export async function wakeRunWorkers(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_notify('${RUN_QUEUE_CHANNEL}', '')`);
}
