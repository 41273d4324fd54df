export * from './git-provider.port';
