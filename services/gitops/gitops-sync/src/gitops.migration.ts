import { defineMigration, quoteSchema } from '@delivery/persistence';

// gitops_applications: one row per (tenant, project, GitOps repository, environment, application): the decider's
// SyncState, the rejected revisions, the desired state last applied (the `previous` a slotted workload.json needs)
// and the view the REST door serves. Locked FOR UPDATE by whoever reconciles the application.
export const gitopsApplicationsMigration = defineMigration({
  name: 'GitOpsApplications',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.gitops_applications (
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         repository_id text NOT NULL,
         environment text NOT NULL,
         application text NOT NULL,
         state jsonb NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (tenant_id, project_id, repository_id, environment, application)
       )`,
      `CREATE INDEX gitops_applications_environment ON ${s}.gitops_applications (tenant_id, environment, application)`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.gitops_applications`],
});
