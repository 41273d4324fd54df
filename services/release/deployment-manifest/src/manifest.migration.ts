import { defineMigration, quoteSchema } from '@delivery/persistence';

// One row per RenderManifest that sent a CreateCommit: what its answer needs once the commit service replies
// (CommitCreated / CommitFailed carry only the idempotency key). `input` is kept so that a lost compare-and-swap
// can be re-rendered against the new head; the key changes with it when the new head changes the bytes.
export const manifestRendersMigration = defineMigration({
  name: 'ManifestRenders',
  timestamp: 1_767_300_000_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.manifest_renders (
       render_id uuid PRIMARY KEY,
       idempotency_key text NOT NULL,
       state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rendered', 'failed')),
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       trace_id text NOT NULL,
       correlation_id text NOT NULL,
       repository_id text NOT NULL,
       input jsonb NOT NULL,
       files jsonb NOT NULL,
       content_digest text NOT NULL,
       attempts integer NOT NULL DEFAULT 1,
       revision text,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    // several renders may wait on one key (the same manifests asked for twice): the commit answers them all
    `CREATE INDEX manifest_renders_pending ON ${quoteSchema(schema)}.manifest_renders (repository_id, idempotency_key) WHERE state = 'pending'`,
  ],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.manifest_renders`],
});

// One commit in flight per GitOps branch. Every render of every application commits to the same branch with a
// compare-and-swap on its head, so renders planned on one head all but one lose and re-plan: quadratic under
// load. manifest_branches is the lock (taken FOR UPDATE by whoever decides what the branch commits next) and
// names the key of the commit in flight; a render arriving while it is taken waits as a 'queued' manifest_renders
// row, not yet planned (no key, files or digest), until the commit in flight is answered.
export const manifestBranchQueueMigration = defineMigration({
  name: 'ManifestBranchQueue',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.manifest_branches (
         repository_id text NOT NULL,
         branch text NOT NULL,
         in_flight_key text,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (repository_id, branch)
       )`,
      `ALTER TABLE ${s}.manifest_renders ADD COLUMN branch text`,
      `UPDATE ${s}.manifest_renders SET branch = input->'gitops'->>'branch'`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN branch SET NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN idempotency_key DROP NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN files DROP NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN content_digest DROP NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders DROP CONSTRAINT manifest_renders_state_check`,
      `ALTER TABLE ${s}.manifest_renders ADD CONSTRAINT manifest_renders_state_check CHECK (state IN ('queued', 'pending', 'rendered', 'failed'))`,
      // queued renders leave a branch's queue in arrival order
      `CREATE INDEX manifest_renders_queued ON ${s}.manifest_renders (repository_id, branch, created_at, render_id) WHERE state = 'queued'`,
    ];
  },
  down: (schema) => {
    const s = quoteSchema(schema);
    return [
      `DROP TABLE ${s}.manifest_branches`,
      `DROP INDEX ${s}.manifest_renders_queued`,
      `DELETE FROM ${s}.manifest_renders WHERE state = 'queued'`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN idempotency_key SET NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN files SET NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders ALTER COLUMN content_digest SET NOT NULL`,
      `ALTER TABLE ${s}.manifest_renders DROP CONSTRAINT manifest_renders_state_check`,
      `ALTER TABLE ${s}.manifest_renders ADD CONSTRAINT manifest_renders_state_check CHECK (state IN ('pending', 'rendered', 'failed'))`,
      `ALTER TABLE ${s}.manifest_renders DROP COLUMN branch`,
    ];
  },
});
