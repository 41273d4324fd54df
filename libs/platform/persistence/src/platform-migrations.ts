import type { MigrationClass, MigrationFactory } from './migration.factory';
import { inboxMigration } from './inbox';

// The platform tables every service schema gets. Other platform libs (event store, relay checkpoint) pass their
// factories as `extra`, so a service lists one array and nothing twice.
export const PLATFORM_MIGRATIONS: readonly MigrationFactory[] = [inboxMigration];

export function platformMigrations(schema: string, ...extra: MigrationFactory[]): MigrationClass[] {
  return [...PLATFORM_MIGRATIONS, ...extra].map((factory) => factory(schema));
}
