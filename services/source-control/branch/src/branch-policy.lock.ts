import type { EntityManager } from 'typeorm';

// Serialises work on one branch's policy until the transaction ends. A row lock alone cannot: the first
// SetBranchPolicy of a branch has no row to lock, so two of them would both write version 1. Deletion takes the
// lock shared, so it either sees a policy committed before it or commits before the policy is written.
export async function lockBranchPolicy(manager: EntityManager, repositoryId: string, branch: string, mode: 'exclusive' | 'shared'): Promise<void> {
  const lock = mode === 'exclusive' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await manager.query(`SELECT ${lock}(hashtextextended($1, 0))`, [`branch-policy:${repositoryId}:${branch}`]);
}
