import { defineMigration, quoteSchema } from '@delivery/persistence';

// pipeline_definitions: the pipeline file of each module on each branch as this service last left it (the REST
// list; the pipeline id a regeneration keeps). commit_sha is the commit that wrote these bytes, null when the
// branch already held them the first time this service looked.
// pipeline_requests: one row per GeneratePipeline whose CreateCommit is in flight, what its answer needs once the
// commit service replies (CommitCreated / CommitFailed carry only the idempotency key). No per-branch queue: a
// commit that loses the compare-and-swap on the branch head is planned again on the new head (a few times).
export const pipelineDefinitionsMigration = defineMigration({
  name: 'PipelineDefinitions',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.pipeline_definitions (
         pipeline_id text PRIMARY KEY,
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         repository_id text NOT NULL,
         branch text NOT NULL,
         module text NOT NULL,
         path text NOT NULL,
         content_digest text NOT NULL,
         commit_sha text,
         created_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now(),
         UNIQUE (tenant_id, repository_id, branch, path)
       )`,
      `CREATE INDEX pipeline_definitions_repository ON ${s}.pipeline_definitions (tenant_id, repository_id, pipeline_id)`,
      `CREATE TABLE ${s}.pipeline_requests (
         request_id text PRIMARY KEY,
         idempotency_key text NOT NULL,
         state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'generated', 'failed')),
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         trace_id text NOT NULL,
         correlation_id text NOT NULL,
         pipeline_id text NOT NULL,
         repository_id text NOT NULL,
         branch text NOT NULL,
         input jsonb NOT NULL,
         path text NOT NULL,
         content_digest text NOT NULL,
         attempts integer NOT NULL DEFAULT 1,
         commit_sha text,
         created_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE INDEX pipeline_requests_pending ON ${s}.pipeline_requests (repository_id, idempotency_key) WHERE state = 'pending'`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.pipeline_requests`, `DROP TABLE ${quoteSchema(schema)}.pipeline_definitions`],
});
