import { defineMigration, quoteSchema } from '@delivery/persistence';

// pipeline_runs: the queue and the record of every accepted run. A RunPipeline inserts a 'queued' row; a worker
// claims it (FOR UPDATE SKIP LOCKED, runner_* name the process that owns it, heartbeat_at proves it alive) and
// finishes it in the transaction that appends PipelineRunFinished. cancel_requested_at asks the owner to stop.
// The trace columns let the worker's events continue the trace of the command that queued the run.
export const pipelineRunsMigration = defineMigration({
  name: 'PipelineRuns',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.pipeline_runs (
         run_id uuid PRIMARY KEY,
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         repository_id text NOT NULL,
         branch text NOT NULL,
         sha text NOT NULL,
         pipeline_path text NOT NULL,
         pull_request_id text,
         reason text NOT NULL,
         variables jsonb NOT NULL DEFAULT '{}',
         timeout_seconds integer NOT NULL,
         status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'finished', 'canceled')),
         result text CHECK (result IN ('Succeeded', 'Failed', 'Canceled')),
         error jsonb,
         runner text NOT NULL DEFAULT 'local',
         runner_host text,
         runner_pid integer,
         runner_instance text,
         attempt integer NOT NULL DEFAULT 0,
         heartbeat_at timestamptz,
         cancel_requested_at timestamptz,
         cancel_reason text,
         steps jsonb NOT NULL DEFAULT '[]',
         outputs jsonb,
         command_id uuid NOT NULL,
         trace_id text NOT NULL,
         correlation_id text NOT NULL,
         actor jsonb NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         started_at timestamptz,
         finished_at timestamptz,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      // the queue, oldest first
      `CREATE INDEX pipeline_runs_queued ON ${s}.pipeline_runs (created_at, run_id) WHERE status = 'queued'`,
      `CREATE INDEX pipeline_runs_running ON ${s}.pipeline_runs (runner_host) WHERE status = 'running'`,
      `CREATE INDEX pipeline_runs_repository ON ${s}.pipeline_runs (tenant_id, repository_id, run_id)`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.pipeline_runs`],
});
