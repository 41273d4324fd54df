import { defineMigration, quoteSchema } from '@delivery/persistence';

// The pull-request read model, written in the same transaction as the events it reflects (the stream
// `pull-request-<id>` stays the source of truth). Reviews, checks and comments are jsonb: they are only ever read
// with their pull request. The per-repository counter hands out the numbers people use (#1, #2 …); its row is
// locked while a pull request opens, which also serialises the duplicate check of concurrent opens.
export const pullRequestMigration = defineMigration({
  name: 'CreatePullRequests',
  timestamp: 1_767_225_800_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.pull_requests (
       pull_request_id text PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       repository_id text NOT NULL,
       number int NOT NULL,
       source_branch text NOT NULL,
       target_branch text NOT NULL,
       status text NOT NULL CHECK (status IN ('open', 'merged', 'closed')),
       title text NOT NULL,
       description text,
       labels jsonb NOT NULL DEFAULT '[]',
       author jsonb NOT NULL,
       delete_source_branch_on_merge boolean NOT NULL,
       source_sha text NOT NULL,
       target_sha text NOT NULL,
       comments jsonb NOT NULL DEFAULT '[]',
       reviews jsonb NOT NULL DEFAULT '[]',
       checks jsonb NOT NULL DEFAULT '[]',
       last_completed jsonb,
       merge jsonb,
       close_reason text,
       version int NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       UNIQUE (repository_id, number)
     )`,
    // at most one open pull request per source → target pair
    `CREATE UNIQUE INDEX pull_requests_open_pair_idx ON ${quoteSchema(schema)}.pull_requests (repository_id, source_branch, target_branch) WHERE status = 'open'`,
    `CREATE INDEX pull_requests_tenant_idx ON ${quoteSchema(schema)}.pull_requests (tenant_id, repository_id, pull_request_id)`,
    `CREATE TABLE ${quoteSchema(schema)}.pull_request_numbers (
       repository_id text PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       last_number int NOT NULL DEFAULT 0
     )`,
  ],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.pull_request_numbers`, `DROP TABLE ${quoteSchema(schema)}.pull_requests`],
});
