import path from 'node:path';
import { ConfigError } from '@delivery/service-kit';

export type FeedConfig =
  | { kind: 'npm-registry'; url: string; token?: string }
  | { kind: 'nuget-folder'; path: string }
  | { kind: 'azure-artifacts'; organization: string; project?: string; feed: string; token: string; baseUrl?: string };

export type FeedsConfig = Record<string, FeedConfig>;

const FEED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const AZURE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/;

/** `local`: the embedded NuGet folder feed, present unless PACKAGE_FEEDS names another feed `local` */
export function defaultFeeds(cwd = process.cwd()): FeedsConfig {
  return { local: { kind: 'nuget-folder', path: path.join(cwd, '.data', 'feeds', 'nuget') } };
}

// PACKAGE_FEEDS (JSON: name → feed) is validated once at start; a bad entry fails naming it.
export function feedsFromEnv(env: NodeJS.ProcessEnv = process.env): FeedsConfig {
  const raw = env.PACKAGE_FEEDS;
  if (raw === undefined || raw.trim() === '') return defaultFeeds();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError([`PACKAGE_FEEDS: not JSON (${(error as Error).message})`]);
  }
  return { ...defaultFeeds(), ...parseFeeds(parsed) };
}

export function parseFeeds(value: unknown): FeedsConfig {
  if (!isObject(value)) throw new ConfigError(['PACKAGE_FEEDS: must be a JSON object of feed name → feed']);
  const problems: string[] = [];
  const feeds: FeedsConfig = {};
  for (const [name, entry] of Object.entries(value)) {
    const where = `PACKAGE_FEEDS.${name}`;
    if (!FEED_NAME.test(name)) {
      problems.push(`${where}: a feed name is letters, digits, . _ - (at most 100, starting with a letter or digit)`);
      continue;
    }
    const feed = parseFeed(entry, where, problems);
    if (feed) feeds[name] = feed;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return feeds;
}

function parseFeed(entry: unknown, where: string, problems: string[]): FeedConfig | undefined {
  if (!isObject(entry)) return void problems.push(`${where}: must be an object with a kind`);
  const fields = (allowed: string[]): boolean => {
    const unknown = Object.keys(entry).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) problems.push(`${where}: unknown field(s) ${unknown.join(', ')} for kind ${String(entry.kind)}`);
    return unknown.length === 0;
  };
  const text = (key: string, required: boolean, check?: (value: string) => string | undefined): string | undefined => {
    const value = entry[key];
    if (value === undefined) {
      if (required) problems.push(`${where}.${key}: required`);
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') return void problems.push(`${where}.${key}: must be a non-empty string`);
    const problem = check?.(value);
    if (problem) return void problems.push(`${where}.${key}: ${problem}`);
    return value;
  };
  const before = problems.length;
  switch (entry.kind) {
    case 'npm-registry': {
      fields(['kind', 'url', 'token']);
      const url = text('url', true, httpUrl);
      const token = text('token', false);
      if (problems.length > before || !url) return undefined;
      return { kind: 'npm-registry', url, ...(token ? { token } : {}) };
    }
    case 'nuget-folder': {
      fields(['kind', 'path']);
      const folder = text('path', true);
      if (problems.length > before || !folder) return undefined;
      return { kind: 'nuget-folder', path: path.resolve(folder) };
    }
    case 'azure-artifacts': {
      fields(['kind', 'organization', 'project', 'feed', 'token', 'baseUrl']);
      const segment = (value: string) => (AZURE_SEGMENT.test(value) ? undefined : 'letters, digits, . _ - and spaces only');
      const organization = text('organization', true, segment);
      const project = text('project', false, segment);
      const feed = text('feed', true, segment);
      const token = text('token', true);
      const baseUrl = text('baseUrl', false, httpUrl);
      if (problems.length > before || !organization || !feed || !token) return undefined;
      return { kind: 'azure-artifacts', organization, feed, token, ...(project ? { project } : {}), ...(baseUrl ? { baseUrl } : {}) };
    }
    default:
      problems.push(`${where}.kind: must be npm-registry, nuget-folder or azure-artifacts (got ${JSON.stringify(entry.kind ?? null)})`);
      return undefined;
  }
}

function httpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
