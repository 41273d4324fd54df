import { parseServiceUrls } from './service-urls';

describe('parseServiceUrls (SERVICE_URLS)', () => {
  it('given name=url pairs, when parsed, then maps each service to its URL without a trailing slash', () => {
    expect(parseServiceUrls(' release=http://10.0.0.7:3000/ , pull-request=https://pr.internal/base ')).toEqual(
      new Map([
        ['release', 'http://10.0.0.7:3000'],
        ['pull-request', 'https://pr.internal/base'],
      ]),
    );
    expect(parseServiceUrls(undefined).size).toBe(0);
    expect(parseServiceUrls('').size).toBe(0);
  });

  it('given a bad entry, when parsed, then fails naming the variable', () => {
    expect(() => parseServiceUrls('release')).toThrow(/SERVICE_URLS: "release"/);
    expect(() => parseServiceUrls('Release=http://x')).toThrow(/SERVICE_URLS/);
    expect(() => parseServiceUrls('release=not a url')).toThrow(/SERVICE_URLS: "not a url"/);
    expect(() => parseServiceUrls('release=ftp://x')).toThrow(/http\(s\)/);
  });
});
