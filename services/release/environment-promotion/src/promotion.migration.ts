import { defineMigration, quoteSchema } from '@delivery/persistence';

// Beside the event store: the promotions index (routes GitOps and runtime reports, which name an environment and an
// application but no promotion, and is the row each handler locks so one promotion decides one input at a time),
// the observations (foreign events the state machine folds in: contract events cannot be appended to our stream,
// the relay would publish them again) and the last GitOps report per application (the baseline of the next plan).
export const promotionMigration = defineMigration({
  name: 'Promotions',
  timestamp: 1_767_225_900_000,
  up: (schema) => [
    `CREATE TABLE ${quoteSchema(schema)}.promotions (
       stream text PRIMARY KEY,
       tenant_id text NOT NULL,
       project_id text NOT NULL,
       release_id text NOT NULL,
       environment text NOT NULL,
       application text NOT NULL,
       promote_id uuid NOT NULL,
       status text NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX promotions_target ON ${quoteSchema(schema)}.promotions (tenant_id, environment, application) WHERE status IN ('promoting', 'rolling-back')`,
    `CREATE INDEX promotions_promote_id ON ${quoteSchema(schema)}.promotions (promote_id)`,
    `CREATE TABLE ${quoteSchema(schema)}.promotion_observations (
       id bigserial PRIMARY KEY,
       stream text NOT NULL,
       after_version integer NOT NULL,
       observed_at timestamptz NOT NULL,
       envelope jsonb NOT NULL
     )`,
    `CREATE INDEX promotion_observations_stream ON ${quoteSchema(schema)}.promotion_observations (stream, id)`,
    `CREATE TABLE ${quoteSchema(schema)}.runtime_reports (
       tenant_id text NOT NULL,
       environment text NOT NULL,
       application text NOT NULL,
       occurred_at timestamptz NOT NULL,
       envelope jsonb NOT NULL,
       PRIMARY KEY (tenant_id, environment, application)
     )`,
  ],
  down: (schema) => [
    `DROP TABLE ${quoteSchema(schema)}.runtime_reports`,
    `DROP TABLE ${quoteSchema(schema)}.promotion_observations`,
    `DROP TABLE ${quoteSchema(schema)}.promotions`,
  ],
});
