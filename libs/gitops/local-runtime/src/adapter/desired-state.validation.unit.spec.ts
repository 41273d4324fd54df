import type { DesiredApplication, DesiredWorkload } from '@delivery/gitops-runtime';
import { supervisedName, validateDesired } from './desired-state.validation';

const wl = (over: Partial<DesiredWorkload> = {}): DesiredWorkload => ({
  name: 'shop', slot: null, version: '1.0.0', releaseId: null, command: ['node', 'server.js'], port: 8080, healthPath: '/health', env: {},
  replicas: 1, artifact: { kind: 'npm-package', name: 'shop', version: '1.0.0', feed: 'local', tarball: '/tmp/x.tgz' }, specHash: 'a'.repeat(64), ...over,
});
const app = (over: Partial<DesiredApplication> = {}): DesiredApplication => ({
  environment: 'dev', application: 'shop', revision: 'b'.repeat(40), releaseId: null, workloads: [wl()], weights: [], prune: false,
  progressDeadlineSeconds: 600, ...over,
});
const canary = [wl({ name: 'shop-stable', slot: 'stable' }), wl({ name: 'shop-canary', slot: 'canary' })];

describe('validateDesired', () => {
  it('accepts a single workload without weights and a canary pair whose weights sum to 100', () => {
    expect(validateDesired(app())).toEqual([]);
    expect(validateDesired(app({ workloads: canary, weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] }))).toEqual([]);
  });
  it('refuses weights that do not sum to 100', () => {
    expect(validateDesired(app({ workloads: canary, weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 20 }] }))).toEqual(['weights sum to 110, not 100']);
  });
  it('refuses a weight for a slot without workload', () => {
    expect(validateDesired(app({ weights: [{ slot: 'canary', weight: 100 }] })).join()).toMatch(/slot "canary" has no workload/);
  });
  it('refuses two slots without weights', () => {
    expect(validateDesired(app({ workloads: canary })).join()).toMatch(/weights are empty/);
  });
  it('refuses an empty command', () => {
    expect(validateDesired(app({ workloads: [wl({ command: [] })] })).join()).toMatch(/command must be a non-empty argv/);
  });
  it('refuses bad names: environment, application, workload, duplicate workload', () => {
    expect(validateDesired(app({ environment: 'Dev_1' })).join()).toMatch(/environment/);
    expect(validateDesired(app({ application: 'a--b' })).join()).toMatch(/must not contain "--"/);
    expect(validateDesired(app({ workloads: [wl({ name: '../x' })] })).join()).toMatch(/name must match/);
    expect(validateDesired(app({ workloads: [wl(), wl()] })).join()).toMatch(/appears twice/);
  });
  it('refuses negative or fractional replicas and a revision that is not a sha', () => {
    expect(validateDesired(app({ workloads: [wl({ replicas: -1 })] })).join()).toMatch(/replicas/);
    expect(validateDesired(app({ workloads: [wl({ replicas: 1.5 })] })).join()).toMatch(/replicas/);
    expect(validateDesired(app({ revision: 'main' })).join()).toMatch(/revision/);
  });
  it('prefixes supervised names per application', () => {
    expect(supervisedName('shop', 'shop-canary')).toBe('shop--shop-canary');
  });
});
