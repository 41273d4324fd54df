import { defineMigration, quoteSchema } from '@delivery/persistence';

// The lineage read model (DESIGN §6): one row per envelope (and per dead letter), read by traceId or correlationId.
// The envelope id is the key, so a redelivered or replayed envelope never adds a second row.
export const lineageMigration = defineMigration({
  name: 'CreateLineageEntries',
  timestamp: 1767225601000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.lineage_entries (
       envelope_id uuid PRIMARY KEY,
       trace_id text NOT NULL,
       type text NOT NULL,
       kind text NOT NULL CHECK (kind IN ('command', 'event', 'dead-letter')),
       source text NOT NULL,
       tenant_id text NOT NULL,
       project_id text,
       causation_id uuid,
       correlation_id text,
       actor jsonb,
       occurred_at timestamptz NOT NULL,
       subject text NOT NULL,
       stream text NOT NULL,
       stream_seq bigint NOT NULL,
       payload jsonb,
       dead_letter jsonb,
       recorded_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX lineage_entries_trace_idx ON ${quoteSchema(schema)}.lineage_entries (trace_id, occurred_at, stream_seq)`,
    `CREATE INDEX lineage_entries_correlation_idx ON ${quoteSchema(schema)}.lineage_entries (correlation_id, occurred_at) WHERE correlation_id IS NOT NULL`,
  ],
  down: (schema) => [`DROP TABLE IF EXISTS ${quoteSchema(schema)}.lineage_entries`],
});
