import { defineMigration, quoteSchema } from '@delivery/persistence';

// builds: see @delivery/packaging-known-builds (knownBuildsMigration).
// package_publications: one row per package version a tenant published to a feed; the first publication wins,
// a republish of the same bytes (alreadyPublished) leaves it as it is.
export const packagePublishingMigration = defineMigration({
  name: 'PackagePublications',
  timestamp: 1_767_310_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.package_publications (
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         build_id text NOT NULL,
         format text NOT NULL CHECK (format IN ('npm', 'nuget')),
         name text NOT NULL,
         version text NOT NULL,
         feed text NOT NULL,
         feed_kind text NOT NULL,
         integrity text NOT NULL,
         digest text NOT NULL,
         size bigint NOT NULL,
         url text,
         command_id uuid NOT NULL,
         trace_id text NOT NULL,
         published_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (tenant_id, feed, format, name, version)
       )`,
      `CREATE INDEX package_publications_by_name ON ${s}.package_publications (tenant_id, name, published_at)`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.package_publications`],
});
