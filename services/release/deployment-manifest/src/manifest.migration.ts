import { defineMigration, quoteSchema } from '@delivery/persistence';

// manifest_renders: one row per RenderManifest, what its answer needs once the commit service replies
// (CommitCreated / CommitFailed carry only the idempotency key). `input` is kept so that a lost compare-and-swap
// can be re-rendered against the new head; the key changes with it when the new head changes the bytes.
// manifest_branches: one commit in flight per GitOps branch. Every application commits to the same branch with a
// compare-and-swap on its head, so renders planned on one head would all but one lose and re-plan: quadratic under
// load. The row is the lock (taken FOR UPDATE by whoever decides what the branch commits next) and names the key
// of the commit in flight; a render arriving meanwhile waits as a 'queued' row, not yet planned (no key, files or
// digest), until that commit is answered.
export const manifestRendersMigration = defineMigration({
  name: 'ManifestRenders',
  timestamp: 1_767_300_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.manifest_renders (
         render_id uuid PRIMARY KEY,
         idempotency_key text,
         state text NOT NULL DEFAULT 'pending' CHECK (state IN ('queued', 'pending', 'rendered', 'failed')),
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         trace_id text NOT NULL,
         correlation_id text NOT NULL,
         repository_id text NOT NULL,
         branch text NOT NULL,
         input jsonb NOT NULL,
         files jsonb,
         content_digest text,
         attempts integer NOT NULL DEFAULT 1,
         revision text,
         created_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      // several renders may wait on one key (the same manifests asked for twice): the commit answers them all
      `CREATE INDEX manifest_renders_pending ON ${s}.manifest_renders (repository_id, idempotency_key) WHERE state = 'pending'`,
      // queued renders leave a branch's queue in arrival order
      `CREATE INDEX manifest_renders_queued ON ${s}.manifest_renders (repository_id, branch, created_at, render_id) WHERE state = 'queued'`,
      `CREATE TABLE ${s}.manifest_branches (
         repository_id text NOT NULL,
         branch text NOT NULL,
         in_flight_key text,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (repository_id, branch)
       )`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.manifest_branches`, `DROP TABLE ${quoteSchema(schema)}.manifest_renders`],
});
