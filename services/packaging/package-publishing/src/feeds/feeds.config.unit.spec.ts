import path from 'node:path';
import { feedsFromEnv, parseFeeds } from './feeds.config';
import { PackageFeeds } from './package-feeds';

describe('PACKAGE_FEEDS', () => {
  it('defaults to the local NuGet folder feed under .data/feeds/nuget', () => {
    expect(feedsFromEnv({})).toEqual({ local: { kind: 'nuget-folder', path: path.join(process.cwd(), '.data', 'feeds', 'nuget') } });
  });

  it('reads the three kinds and keeps local beside them', () => {
    const feeds = feedsFromEnv({
      PACKAGE_FEEDS: JSON.stringify({
        npm: { kind: 'npm-registry', url: 'http://127.0.0.1:4873', token: 't' },
        azure: { kind: 'azure-artifacts', organization: 'contoso', project: 'web', feed: 'release', token: 'pat' },
        shared: { kind: 'nuget-folder', path: '/srv/nuget' },
      }),
    });
    expect(Object.keys(feeds).sort()).toEqual(['azure', 'local', 'npm', 'shared']);
    expect(new PackageFeeds(feeds).resolve({ kind: 'azure-artifacts', name: 'azure' }, 'npm').kind).toBe('azure-artifacts');
  });

  it('fails on JSON that does not parse, naming the variable', () => {
    expect(() => feedsFromEnv({ PACKAGE_FEEDS: '{nope' })).toThrow(/PACKAGE_FEEDS: not JSON/);
  });

  it('fails naming the entry with an unknown kind', () => {
    expect(() => parseFeeds({ mine: { kind: 'maven' } })).toThrow(/PACKAGE_FEEDS\.mine\.kind/);
  });

  it('fails naming the entry with a missing or bad field', () => {
    expect(() => parseFeeds({ npm: { kind: 'npm-registry' } })).toThrow(/PACKAGE_FEEDS\.npm\.url: required/);
    expect(() => parseFeeds({ npm: { kind: 'npm-registry', url: 'ftp://x' } })).toThrow(/PACKAGE_FEEDS\.npm\.url: must be an http\(s\) URL/);
    expect(() => parseFeeds({ az: { kind: 'azure-artifacts', organization: 'o', feed: 'f' } })).toThrow(/PACKAGE_FEEDS\.az\.token: required/);
    expect(() => parseFeeds({ az: { kind: 'azure-artifacts', organization: 'o/../x', feed: 'f', token: 't' } })).toThrow(/PACKAGE_FEEDS\.az\.organization/);
  });

  it('fails on unknown fields and bad feed names', () => {
    expect(() => parseFeeds({ n: { kind: 'nuget-folder', path: '/x', url: 'http://x' } })).toThrow(/PACKAGE_FEEDS\.n: unknown field\(s\) url/);
    expect(() => parseFeeds({ 'bad name': { kind: 'nuget-folder', path: '/x' } })).toThrow(/PACKAGE_FEEDS\.bad name/);
    expect(() => parseFeeds([])).toThrow(/must be a JSON object/);
  });

  it('resolves a command feed by name, refusing unknown names, other kinds and unsupported formats', () => {
    const feeds = new PackageFeeds(parseFeeds({ npm: { kind: 'npm-registry', url: 'http://127.0.0.1:1' }, nuget: { kind: 'nuget-folder', path: '/tmp/x' } }));
    expect(() => feeds.resolve({ kind: 'npm-registry', name: 'elsewhere' }, 'npm')).toThrow(expect.objectContaining({ code: 'package.feed-unknown' }));
    expect(() => feeds.resolve({ kind: 'nuget-folder', name: 'npm' }, 'npm')).toThrow(expect.objectContaining({ code: 'package.feed-kind-mismatch' }));
    expect(() => feeds.resolve({ kind: 'npm-registry', name: 'npm' }, 'nuget')).toThrow(expect.objectContaining({ code: 'package.format-unsupported' }));
  });
});
