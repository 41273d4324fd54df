import { NpmRegistryFeed } from './npm-registry.adapter';

export interface AzureArtifactsOptions {
  name: string;
  organization: string;
  /** omitted for an organization-scoped feed */
  project?: string;
  feed: string;
  /** a personal access token with Packaging (read & write) */
  token: string;
  /** default https://pkgs.dev.azure.com (tests point it at a loopback replay server) */
  baseUrl?: string;
}

const DEFAULT_BASE = 'https://pkgs.dev.azure.com';

/** https://pkgs.dev.azure.com/<org>/<project>/_packaging/<feed>/npm/registry/ */
export function azureArtifactsRegistryUrl(options: Pick<AzureArtifactsOptions, 'organization' | 'project' | 'feed' | 'baseUrl'>): string {
  const base = (options.baseUrl ?? DEFAULT_BASE).replace(/\/+$/, '');
  const segments = [options.organization, ...(options.project ? [options.project] : []), '_packaging', options.feed, 'npm', 'registry'];
  return `${base}/${segments.map(encodeURIComponent).join('/')}/`;
}

// Azure Artifacts npm feeds speak the npm registry protocol; a PAT authenticates as HTTP Basic (any user name, the
// PAT as password), which is what the `_password` of an Azure .npmrc amounts to.
export function azureArtifactsFeed(options: AzureArtifactsOptions): NpmRegistryFeed {
  return new NpmRegistryFeed({
    name: options.name,
    kind: 'azure-artifacts',
    url: azureArtifactsRegistryUrl(options),
    authorization: `Basic ${Buffer.from(`delivery:${options.token}`).toString('base64')}`,
  });
}
