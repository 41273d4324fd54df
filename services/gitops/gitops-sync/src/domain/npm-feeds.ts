// workload.json names an npm package's feed by name only; the runtime needs the tarball. GITOPS_NPM_FEEDS maps feed
// names to registry base URLs ({"internal":"http://127.0.0.1:4873"}); the tarball is then at the npm registry layout
// `<registry>/<name>/-/<basename>-<version>.tgz` (`@scope/pkg` → `<registry>/@scope/pkg/-/pkg-1.0.0.tgz`).

export type NpmFeeds = Record<string, string>;

export function npmFeedsOf(json: string | undefined): NpmFeeds {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`GITOPS_NPM_FEEDS is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('GITOPS_NPM_FEEDS must be an object {feedName: registryUrl}');
  const feeds: NpmFeeds = {};
  for (const [name, url] of Object.entries(parsed)) {
    if (typeof url !== 'string' || !/^(https?|file):\/\//.test(url)) throw new Error(`GITOPS_NPM_FEEDS.${name} must be an http(s) or file URL`);
    feeds[name] = url;
  }
  return feeds;
}

export function npmTarballUrl(registry: string, name: string, version: string): string {
  const basename = name.slice(name.lastIndexOf('/') + 1);
  return `${registry.replace(/\/+$/, '')}/${name}/-/${basename}-${version}.tgz`;
}

/** The parser's resolver: a feed not configured leaves the tarball to the runtime (a local runtime then fails the apply). */
export function npmTarballResolver(feeds: NpmFeeds): (pkg: { name: string; version: string; feed: string }) => string | undefined {
  return (pkg) => {
    const registry = feeds[pkg.feed];
    return registry === undefined ? undefined : npmTarballUrl(registry, pkg.name, pkg.version);
  };
}
