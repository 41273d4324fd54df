// The scopes gitops-sync checks (DESIGN §6 auth).
export const GITOPS_READ = 'devops.gitops.read';
/** SyncGitOps over REST */
export const GITOPS_WRITE = 'devops.gitops.write';
