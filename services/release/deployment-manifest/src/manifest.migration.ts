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
