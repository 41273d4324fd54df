export * from './azure-devops-git.adapter';
export type { AzureDevOpsGitConfig } from './azure-devops-context';
export { mapAzureDevOpsError } from './azure-devops-errors';
