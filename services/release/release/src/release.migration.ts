import { defineMigration, quoteSchema } from '@delivery/persistence';

// The release service's own tables beside its event store: the builds it may release (fed by BuildCompleted),
// the approval policy of each project (data, edited over REST), and the releases read model (tenant isolation,
// lists and the approvals inbox), written in the transaction that appends the release's events.
export const releaseMigration = defineMigration({
  name: 'ReleaseTables',
  timestamp: 1_767_226_000_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.builds (
       tenant_id text NOT NULL,
       build_id text NOT NULL,
       project_id text NOT NULL,
       status text NOT NULL,
       trace_id text NOT NULL,
       completed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (tenant_id, build_id)
     )`,
    `CREATE TABLE ${quoteSchema(schema)}.release_policies (
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       policy jsonb NOT NULL,
       gitops jsonb NOT NULL,
       updated_by jsonb NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (tenant_id, project_id)
     )`,
    `CREATE TABLE ${quoteSchema(schema)}.releases (
       release_id text PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       status text NOT NULL,
       state jsonb NOT NULL,
       trace_id text NOT NULL,
       -- the PromotionFailed being rolled back: ReleaseFailed reports its error once DeploymentRolledBack arrives
       pending_failure jsonb,
       -- the snapshot's versions: release-<id> folded into state, release-saga-<id> listed in saga
       version integer NOT NULL,
       saga jsonb NOT NULL,
       saga_version integer NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX releases_tenant_status ON ${quoteSchema(schema)}.releases (tenant_id, status, release_id)`,
  ],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.releases`, `DROP TABLE ${quoteSchema(schema)}.release_policies`, `DROP TABLE ${quoteSchema(schema)}.builds`],
});
