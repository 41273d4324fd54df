// Connection, naming and error plumbing shared by the Azure DevOps adapter's repository and pull-request halves.
import * as azdev from 'azure-devops-node-api';
import type { IGitApi } from 'azure-devops-node-api/GitApi';
import { GitUnavailableError, type RepositoryLocator } from '../git-provider.port';
import { mapAzureDevOpsError } from './azure-devops-errors';

export interface AzureDevOpsGitConfig {
  /** e.g. https://dev.azure.com/contoso */
  organizationUrl: string;
  /** the ADO project holding the repositories: one name, or one per platform tenant/project */
  project: string | ((tenantId: string, projectId: string) => string);
  /** a PAT with Code (read, write & manage) scope */
  token: string;
  /** ADO repository name for a locator; default: the locator's name */
  repositoryName?: (locator: RepositoryLocator) => string;
  /** polling of ADO's asynchronous operations (pull-request completion, revert) */
  pollIntervalMs?: number;
  pollTimeoutMs?: number;
}

export class AzureDevOpsContext {
  private gitApiPromise: Promise<IGitApi> | undefined;

  constructor(readonly config: AzureDevOpsGitConfig) {}

  project(repo: RepositoryLocator): string {
    const p = this.config.project;
    return typeof p === 'string' ? p : p(repo.tenantId, repo.projectId);
  }

  /** ADO accepts the repository name wherever a repositoryId is asked for, which saves a lookup per call. */
  repository(repo: RepositoryLocator): string {
    return this.config.repositoryName ? this.config.repositoryName(repo) : repo.name;
  }

  private gitApi(): Promise<IGitApi> {
    if (!this.gitApiPromise) {
      const webApi = new azdev.WebApi(this.config.organizationUrl, azdev.getPersonalAccessTokenHandler(this.config.token));
      // area discovery (Location/ResourceAreas) happens here; forget a failed attempt so the next call retries
      this.gitApiPromise = webApi.getGitApi().catch((err: unknown) => {
        this.gitApiPromise = undefined;
        throw err;
      });
    }
    return this.gitApiPromise;
  }

  /** Runs one client call and maps whatever it throws to the port's typed errors. */
  async call<T>(operation: string, fn: (api: IGitApi) => Promise<T>, details?: Record<string, unknown>): Promise<T> {
    try {
      return await fn(await this.gitApi());
    } catch (err) {
      throw mapAzureDevOpsError(err, { operation, details });
    }
  }

  /** Polls until `probe` yields a value; ADO completes merges and reverts asynchronously. */
  async poll<T>(operation: string, probe: () => Promise<T | undefined>): Promise<T> {
    const interval = this.config.pollIntervalMs ?? 1000;
    const deadline = Date.now() + (this.config.pollTimeoutMs ?? 120_000);
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new GitUnavailableError('git.unavailable', `azure devops ${operation} did not finish in time`);
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}
