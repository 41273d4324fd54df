export * from './schema-name';
export * from './migration.factory';
export * from './data-source';
export * from './inbox';
export * from './platform-migrations';
export * from './tenant-scope';
export * from './group-commit.inbox';
