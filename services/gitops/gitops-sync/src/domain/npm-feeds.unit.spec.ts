import { fixtureDoc } from './gitops.test-fixture';
import { npmFeedsOf, npmTarballResolver, npmTarballUrl } from './npm-feeds';
import { desiredFromWorkloadJson } from './workload-json.parser';

const REVISION = 'a'.repeat(40);

describe('npm feeds', () => {
  it('builds the npm registry tarball URL, scoped and unscoped', () => {
    expect(npmTarballUrl('http://127.0.0.1:4873/', '@shop/api', '1.4.0')).toBe('http://127.0.0.1:4873/@shop/api/-/api-1.4.0.tgz');
    expect(npmTarballUrl('file:///srv/feed', 'shop-app', '2.0.0')).toBe('file:///srv/feed/shop-app/-/shop-app-2.0.0.tgz');
  });

  it('reads GITOPS_NPM_FEEDS and refuses what is not {name: url}', () => {
    expect(npmFeedsOf(undefined)).toEqual({});
    expect(npmFeedsOf('{"internal":"http://verdaccio:4873"}')).toEqual({ internal: 'http://verdaccio:4873' });
    expect(() => npmFeedsOf('[')).toThrow('not JSON');
    expect(() => npmFeedsOf('["x"]')).toThrow('must be an object');
    expect(() => npmFeedsOf('{"internal":"ftp://x"}')).toThrow('GITOPS_NPM_FEEDS.internal');
  });

  it('gives a configured feed tarball to the desired npm-package artifact, and changes its spec hash', () => {
    const json = JSON.stringify(fixtureDoc('rolling-npm'));
    const resolved = desiredFromWorkloadJson(json, REVISION, { npmTarball: npmTarballResolver({ internal: 'http://feed.local' }) });
    const bare = desiredFromWorkloadJson(json, REVISION, { npmTarball: npmTarballResolver({ other: 'http://feed.local' }) });
    expect(resolved.workloads[0]!.artifact).toEqual({ kind: 'npm-package', name: '@shop/api', version: '1.4.0', feed: 'internal', tarball: 'http://feed.local/@shop/api/-/api-1.4.0.tgz' });
    expect(bare.workloads[0]!.artifact).toEqual({ kind: 'npm-package', name: '@shop/api', version: '1.4.0', feed: 'internal' });
    expect(resolved.workloads[0]!.specHash).not.toBe(bare.workloads[0]!.specHash);
  });
});
