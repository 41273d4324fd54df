export * from './repository-directory';
export * from './repository-directory.migration';
export * from './repository-directory.projection';
export * from './source-control.module';
export * from './source-control.scopes';
export * from './projection-freshness';
