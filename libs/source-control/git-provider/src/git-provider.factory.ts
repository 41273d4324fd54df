import { resolve } from 'node:path';
import { DependencyError, IllegalStateError, NotFoundError, ValidationError, type PlatformError } from '@delivery/messaging';
import { AzureDevOpsGitProvider } from './azure-devops';
import { GitConflictError, GitInvalidInputError, GitMergeConflictError, GitNotFoundError, GitProviderError, type GitProvider } from './git-provider.port';
import { LocalGitProvider } from './local-git.adapter';

// The git provider a source-control service uses, chosen by configuration (DESIGN §5): the local bare
// repositories by default, Azure DevOps when GIT_PROVIDER=azure-devops.
export function gitProviderFromEnv(env: NodeJS.ProcessEnv = process.env): GitProvider {
  const kind = env.GIT_PROVIDER ?? 'local';
  if (kind === 'local') {
    return new LocalGitProvider({
      dataDir: resolve(env.GIT_DATA_DIR ?? '.data/git'),
      maxFiles: positive(env, 'GIT_MAX_FILES'),
      maxFileBytes: positive(env, 'GIT_MAX_FILE_BYTES'),
    });
  }
  if (kind === 'azure-devops') {
    const missing = ['AZURE_DEVOPS_ORG_URL', 'AZURE_DEVOPS_PROJECT', 'AZURE_DEVOPS_TOKEN'].filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`GIT_PROVIDER=azure-devops needs ${missing.join(', ')}`);
    return new AzureDevOpsGitProvider({ organizationUrl: env.AZURE_DEVOPS_ORG_URL!, project: env.AZURE_DEVOPS_PROJECT!, token: env.AZURE_DEVOPS_TOKEN! });
  }
  throw new Error(`GIT_PROVIDER must be local or azure-devops, not "${kind}"`);
}

function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return value;
}

// Provider failures as the platform's coded errors: one HTTP status and one bus disposition each. A damaged or
// unwritable repository is a DependencyError: answered with a failure event, dead-lettered for replay after a fix.
export function platformErrorOf(error: unknown): unknown {
  if (!(error instanceof GitProviderError)) return error;
  // one well-formed code whatever the adapter's spelling (Azure DevOps: git.not_found)
  const code = `git.${error.code.replace(/^git\./, '').replace(/_/g, '-')}`;
  const details = detailsOf(error);
  let mapped: PlatformError;
  if (error instanceof GitInvalidInputError) mapped = new ValidationError(code, error.message, details);
  else if (error instanceof GitNotFoundError) mapped = new NotFoundError(code, error.message, details);
  else if (error instanceof GitConflictError || error instanceof GitMergeConflictError) mapped = new IllegalStateError(code, error.message, details);
  else mapped = new DependencyError(code, error.message, details);
  return mapped;
}

function detailsOf(error: GitProviderError): Record<string, unknown> | undefined {
  const details = error.details;
  if (!details) return undefined;
  // a rejected path names the path and the rule it broke: {subject: path, message: rule}
  if (typeof details.path === 'string') return { problems: [{ subject: details.path, message: `${String(details.rule ?? error.code)}: ${error.message}` }] };
  if (Array.isArray(details.paths)) return { problems: details.paths.map((path) => ({ subject: String(path), message: 'conflicts' })) };
  return details;
}
