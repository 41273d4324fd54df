import type { EntityManager } from 'typeorm';

export interface BranchRef {
  repositoryId: string;
  branch: string;
}

// The per-branch commit queue's lock (manifest_branches): at most one CreateCommit of this service in flight per
// GitOps branch, so a compare-and-swap only loses to commits from outside the service. Whoever decides what the
// branch commits next (a RenderManifest arriving, the answer of the commit in flight) takes the row first, before
// any manifest_renders row, and holds it to the end of its transaction: two handlers never both see it free.

/** locks the branch's row (created on first use) and returns the key of the commit in flight, null when free */
export async function lockBranch(manager: EntityManager, ref: BranchRef): Promise<string | null> {
  // an upsert rather than INSERT … DO NOTHING + SELECT … FOR UPDATE: one statement, and it locks the row either way
  const rows: Array<{ in_flight_key: string | null }> = await manager.query(
    `INSERT INTO manifest_branches (repository_id, branch) VALUES ($1, $2)
     ON CONFLICT (repository_id, branch) DO UPDATE SET updated_at = now() RETURNING in_flight_key`,
    [ref.repositoryId, ref.branch],
  );
  return rows[0]?.in_flight_key ?? null;
}

/** the key of the CreateCommit now in flight on the branch (null: none); only under lockBranch's lock */
export async function setInFlight(manager: EntityManager, ref: BranchRef, idempotencyKey: string | null): Promise<void> {
  await manager.query(`UPDATE manifest_branches SET in_flight_key = $3, updated_at = now() WHERE repository_id = $1 AND branch = $2`, [
    ref.repositoryId,
    ref.branch,
    idempotencyKey,
  ]);
}
