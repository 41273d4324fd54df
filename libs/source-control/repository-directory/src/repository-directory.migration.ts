import { defineMigration, quoteSchema } from '@delivery/persistence';

// The source-control services' shared picture of repositories and branch policies, one copy per service schema:
// the repository service writes its rows with its commands, the branch service its policies; the others keep
// theirs from RepositoryProvisioned and BranchPolicySet (DESIGN §4: no service reads another's schema).
export const repositoryDirectoryMigration = defineMigration({
  name: 'RepositoryDirectory',
  timestamp: 1_767_225_700_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.repositories (
       repository_id text PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       name text NOT NULL,
       default_branch text NOT NULL,
       purpose text NOT NULL,
       provider text NOT NULL,
       clone_url text NOT NULL,
       created_by_command uuid,
       created_at timestamptz NOT NULL DEFAULT now(),
       UNIQUE (tenant_id, project_id, name)
     )`,
    `CREATE TABLE ${quoteSchema(schema)}.branch_policies (
       repository_id text NOT NULL,
       branch text NOT NULL,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       policy jsonb NOT NULL,
       version int NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (repository_id, branch)
     )`,
  ],
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.branch_policies`, `DROP TABLE ${quoteSchema(schema)}.repositories`],
});
