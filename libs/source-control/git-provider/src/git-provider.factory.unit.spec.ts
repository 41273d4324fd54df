import { DependencyError, IllegalStateError, NotFoundError, ValidationError } from '@delivery/messaging';
import { AzureDevOpsGitProvider } from './azure-devops';
import { gitProviderFromEnv, platformErrorOf } from './git-provider.factory';
import { GitConflictError, GitInvalidInputError, GitMergeConflictError, GitNotFoundError, GitUnavailableError } from './git-provider.port';
import { LocalGitProvider } from './local-git.adapter';

describe('gitProviderFromEnv', () => {
  it('defaults to local bare repositories and names a bad variable', () => {
    expect(gitProviderFromEnv({ GIT_DATA_DIR: '/tmp/x' })).toBeInstanceOf(LocalGitProvider);
    expect(() => gitProviderFromEnv({ GIT_MAX_FILES: '0' })).toThrow(/GIT_MAX_FILES/);
    expect(() => gitProviderFromEnv({ GIT_PROVIDER: 'github' })).toThrow(/GIT_PROVIDER/);
  });

  it('needs the three Azure DevOps settings together', () => {
    expect(() => gitProviderFromEnv({ GIT_PROVIDER: 'azure-devops', AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/x' })).toThrow(/AZURE_DEVOPS_PROJECT, AZURE_DEVOPS_TOKEN/);
    const provider = gitProviderFromEnv({ GIT_PROVIDER: 'azure-devops', AZURE_DEVOPS_ORG_URL: 'https://dev.azure.com/x', AZURE_DEVOPS_PROJECT: 'p', AZURE_DEVOPS_TOKEN: 't' });
    expect(provider).toBeInstanceOf(AzureDevOpsGitProvider);
  });
});

describe('platformErrorOf', () => {
  it('gives each provider failure one status and one bus disposition', () => {
    expect(platformErrorOf(new GitInvalidInputError('invalid-path', 'bad', { path: '../x', rule: 'parent-segment' }))).toMatchObject({
      constructor: ValidationError,
      code: 'git.invalid-path',
      details: { problems: [{ subject: '../x', message: 'parent-segment: bad' }] },
    });
    expect(platformErrorOf(new GitNotFoundError('not-found', 'gone'))).toBeInstanceOf(NotFoundError);
    expect(platformErrorOf(new GitConflictError('ref-conflict', 'moved'))).toBeInstanceOf(IllegalStateError);
    expect(platformErrorOf(new GitMergeConflictError('merge-conflict', 'both changed', { paths: ['a.txt'] }))).toMatchObject({ details: { problems: [{ subject: 'a.txt' }] } });
    expect(platformErrorOf(new GitUnavailableError('repository-damaged', 'broken'))).toBeInstanceOf(DependencyError);
  });

  it('normalizes adapter spellings into a well-formed code, and leaves other errors alone', () => {
    expect((platformErrorOf(new GitNotFoundError('git.not_found', 'gone')) as NotFoundError).code).toBe('git.not-found');
    const other = new Error('boom');
    expect(platformErrorOf(other)).toBe(other);
  });
});
