export * from './git-provider.port';
export * from './path-policy';
export * from './commit-message';
export * from './local-git.adapter';
export * from './azure-devops';
export * from './git-provider.factory';
