import { defineMigration, quoteSchema } from '@delivery/persistence';

// builds: see @delivery/packaging-known-builds (knownBuildsMigration).
// container_images: one row per image in a repository of a registry (digest), its tags the union of every push;
// pushing the same command again (reproducible, same digest) updates build, tags and pushed_at.
export const containerImagesMigration = defineMigration({
  name: 'ContainerImages',
  timestamp: 1_767_400_000_000,
  up: (schema) => {
    const s = quoteSchema(schema);
    return [
      `CREATE TABLE ${s}.container_images (
         tenant_id text NOT NULL,
         project_id text NOT NULL,
         build_id text NOT NULL,
         registry text NOT NULL,
         repository text NOT NULL,
         tags text[] NOT NULL,
         digest text NOT NULL,
         size bigint NOT NULL,
         config_digest text NOT NULL,
         base jsonb,
         base_unavailable text,
         pushed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (tenant_id, registry, repository, digest)
       )`,
      `CREATE INDEX container_images_by_digest ON ${s}.container_images (tenant_id, digest)`,
      `CREATE INDEX container_images_by_repository ON ${s}.container_images (tenant_id, repository, pushed_at DESC)`,
    ];
  },
  down: (schema) => [`DROP TABLE ${quoteSchema(schema)}.container_images`],
});
