import { applicationsOf, jittered, revertedBy, workloadPath } from './gitops.layout';

const SHA = 'b'.repeat(40);

describe('gitops layout', () => {
  it('lists the applications of environments/*/*/workload.json and ignores other files', () => {
    const paths = ['README.md', 'environments/dev1/shop/workload.json', 'environments/dev1/shop/deployment.yaml', 'environments/prod/cart/workload.json', 'environments/x/workload.json'];
    expect(applicationsOf(paths)).toEqual([
      { environment: 'dev1', application: 'shop' },
      { environment: 'prod', application: 'cart' },
    ]);
    expect(applicationsOf(paths, { environment: 'prod' })).toEqual([{ environment: 'prod', application: 'cart' }]);
    expect(applicationsOf(paths, { environment: 'dev1', application: 'cart' })).toEqual([]);
    expect(workloadPath({ environment: 'dev1', application: 'shop' })).toBe('environments/dev1/shop/workload.json');
  });

  it('finds the reverted commit in revertOf, a Revert-Of trailer or the "This reverts commit" line', () => {
    expect(revertedBy({ revertOf: SHA })).toBe(SHA);
    expect(revertedBy({ trailers: { 'Revert-Of': SHA } })).toBe(SHA);
    expect(revertedBy({ message: `Revert "deploy shop 1.4.0"\n\nThis reverts commit ${SHA}.` })).toBe(SHA);
    expect(revertedBy({ message: 'deploy shop 1.4.0' })).toBeUndefined();
    expect(revertedBy({ revertOf: 'not-a-sha', message: '' })).toBeUndefined();
  });

  it('jitters the interval by ± the fraction', () => {
    expect(jittered(30_000, 0.2, () => 0)).toBe(24_000);
    expect(jittered(30_000, 0.2, () => 1)).toBe(36_000);
    expect(jittered(30_000, 0.2, () => 0.5)).toBe(30_000);
  });
});
