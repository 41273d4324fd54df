import { defineMigration, quoteSchema } from '@delivery/persistence';

// One row per commit this service wrote (or adopted). The partial unique key on (repository, idempotency key) is
// the claim a keyed command takes first in its transaction: a second command with the same key waits on it and
// then answers with the first one's commit instead of writing another.
export const commitLedgerMigration = defineMigration({
  name: 'CommitLedger',
  timestamp: 1_767_225_800_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.commits (
       id bigserial PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       repository_id text NOT NULL,
       idempotency_key text,
       command_id text NOT NULL,
       branch text NOT NULL,
       sha text,
       parent_sha text,
       message text NOT NULL,
       author jsonb NOT NULL,
       files jsonb NOT NULL DEFAULT '[]',
       trailers jsonb NOT NULL DEFAULT '{}',
       artifact_id text,
       revert_of text,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE UNIQUE INDEX commits_idempotency_key ON ${quoteSchema(schema)}.commits (repository_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX commits_sha ON ${quoteSchema(schema)}.commits (repository_id, sha)`,
  ],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.commits`],
});
