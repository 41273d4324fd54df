export * from './artifact-store.port';
export * from './file-artifact.store';
export * from './artifact-store.config';
