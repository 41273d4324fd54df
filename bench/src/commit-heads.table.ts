import { defineMigration, quoteSchema } from '@delivery/persistence';

// The one-row state change of (c) and (d): the head of a repository's branch, upserted per commit.
export function commitHeadsDdl(schema: string): string {
  return `CREATE TABLE ${quoteSchema(schema)}.commit_heads (
    repository_id text PRIMARY KEY,
    branch text NOT NULL,
    head_envelope_id uuid NOT NULL,
    commits int NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`;
}

export function upsertHeadSql(schema: string): string {
  return `INSERT INTO ${quoteSchema(schema)}.commit_heads AS h (repository_id, branch, head_envelope_id) VALUES ($1, $2, $3)
    ON CONFLICT (repository_id) DO UPDATE SET head_envelope_id = EXCLUDED.head_envelope_id, commits = h.commits + 1, updated_at = now()`;
}

export const commitHeadsMigration = defineMigration({
  name: 'BenchCommitHeads',
  timestamp: 1_767_225_600_300,
  up: (schema) => [commitHeadsDdl(schema)],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.commit_heads`],
});

export interface HeadChange {
  repositoryId: string;
  branch: string;
  envelopeId: string;
}

// Many commits in one statement: one row per repository (the last head wins, commits counts them all), since
// ON CONFLICT DO UPDATE may not touch the same row twice in one statement.
export function upsertHeadsBatch(schema: string, changes: readonly HeadChange[]): [string, unknown[]] {
  const byRepository = new Map<string, { branch: string; head: string; commits: number }>();
  for (const change of changes) {
    const row = byRepository.get(change.repositoryId);
    if (row) Object.assign(row, { branch: change.branch, head: change.envelopeId, commits: row.commits + 1 });
    else byRepository.set(change.repositoryId, { branch: change.branch, head: change.envelopeId, commits: 1 });
  }
  const rows = [...byRepository];
  const sql = `INSERT INTO ${quoteSchema(schema)}.commit_heads AS h (repository_id, branch, head_envelope_id, commits)
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::int[])
    ON CONFLICT (repository_id) DO UPDATE SET head_envelope_id = EXCLUDED.head_envelope_id, commits = h.commits + EXCLUDED.commits, updated_at = now()`;
  return [sql, [rows.map(([id]) => id), rows.map(([, r]) => r.branch), rows.map(([, r]) => r.head), rows.map(([, r]) => r.commits)]];
}
