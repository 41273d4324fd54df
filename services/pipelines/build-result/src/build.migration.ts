import { defineMigration, quoteSchema } from '@delivery/persistence';

// builds: the read model of BuildCompleted, one row per build, written in the transaction that appends the event.
// A run is built once: (tenant_id, run_id) is unique, so a second PipelineRunFinished of a run (a new envelope for
// the same run, past the inbox) builds nothing. Lists page newest first by build_id (a UUIDv7, so time ordered).
export const buildsMigration = defineMigration({
  name: 'Builds',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.builds (
         build_id uuid PRIMARY KEY,
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         run_id text NOT NULL,
         repository_id text NOT NULL,
         branch text NOT NULL,
         sha text NOT NULL,
         pull_request_id text,
         status text NOT NULL CHECK (status IN ('Succeeded', 'Failed', 'Canceled')),
         tests jsonb NOT NULL,
         coverage jsonb,
         failed_tests jsonb NOT NULL,
         artifacts jsonb NOT NULL,
         trace_id text NOT NULL,
         run_finished_at timestamptz NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         UNIQUE (tenant_id, run_id)
       )`,
      `CREATE INDEX builds_by_tenant ON ${s}.builds (tenant_id, build_id DESC)`,
      `CREATE INDEX builds_by_repository ON ${s}.builds (tenant_id, repository_id, build_id DESC)`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.builds`],
});
