import { ValidationError } from '@delivery/messaging';
import { azureArtifactsFeed } from './azure-artifacts.adapter';
import type { FeedsConfig } from './feeds.config';
import { NpmRegistryFeed } from './npm-registry.adapter';
import { NuGetFolderFeed } from './nuget-folder.adapter';
import type { FeedKind, PackageFeed, PackageFormat } from './package-feed.port';

// The configured feeds by name; a command names one by {kind, name} and both must match.
export class PackageFeeds {
  private readonly feeds = new Map<string, PackageFeed>();

  constructor(config: FeedsConfig) {
    for (const [name, feed] of Object.entries(config)) {
      if (feed.kind === 'npm-registry') this.feeds.set(name, new NpmRegistryFeed({ name, url: feed.url, ...(feed.token ? { authorization: `Bearer ${feed.token}` } : {}) }));
      else if (feed.kind === 'nuget-folder') this.feeds.set(name, new NuGetFolderFeed(name, feed.path));
      else this.feeds.set(name, azureArtifactsFeed({ name, ...feed }));
    }
  }

  names(): string[] {
    return [...this.feeds.keys()].sort();
  }

  resolve(ref: { kind: FeedKind; name: string }, format: PackageFormat): PackageFeed {
    const feed = this.feeds.get(ref.name);
    if (!feed) throw new ValidationError('package.feed-unknown', `no feed named "${ref.name}" is configured (known: ${this.names().join(', ') || 'none'})`);
    if (feed.kind !== ref.kind) throw new ValidationError('package.feed-kind-mismatch', `feed "${ref.name}" is a ${feed.kind} feed, the command says ${ref.kind}`);
    if (!feed.formats.includes(format)) throw new ValidationError('package.format-unsupported', `feed "${ref.name}" (${feed.kind}) does not take ${format} packages`);
    return feed;
  }
}
