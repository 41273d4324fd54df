import { resolveConfig, templateHash, validateWorkloads, type SupervisedWorkload } from './supervisor.config';

const valid: SupervisedWorkload = {
  name: 'shop-stable', slot: 'stable', version: '1.0.0', releaseId: null, command: ['/usr/bin/node', 'server.js'], port: 8080,
  healthPath: '/health', env: {}, replicas: 2, artifact: { kind: 'npm-package', name: 'shop', version: '1.0.0', feed: 'local' }, specHash: 'a'.repeat(64), cwd: '/tmp/shop',
};

describe('validateWorkloads', () => {
  it('accepts a valid workload', () => {
    expect(validateWorkloads([valid])).toEqual([]);
  });

  it('refuses a name unfit for a file name', () => {
    expect(validateWorkloads([{ ...valid, name: '../etc' }])[0]).toMatch(/workload name/);
  });

  it('refuses a duplicate name', () => {
    expect(validateWorkloads([valid, valid])[0]).toMatch(/appears twice/);
  });

  it('refuses an empty command', () => {
    expect(validateWorkloads([{ ...valid, command: [] }])[0]).toMatch(/command/);
    expect(validateWorkloads([{ ...valid, command: [''] }])[0]).toMatch(/command/);
  });

  it('refuses negative or fractional replicas', () => {
    expect(validateWorkloads([{ ...valid, replicas: -1 }])[0]).toMatch(/replicas/);
    expect(validateWorkloads([{ ...valid, replicas: 1.5 }])[0]).toMatch(/replicas/);
  });

  it('refuses a missing cwd', () => {
    expect(validateWorkloads([{ ...valid, cwd: '' }])[0]).toMatch(/cwd/);
  });

  it('refuses a relative healthPath', () => {
    expect(validateWorkloads([{ ...valid, healthPath: 'health' }])[0]).toMatch(/healthPath/);
  });
});

describe('resolveConfig', () => {
  it('has kubelet-like defaults and keeps overrides', () => {
    const config = resolveConfig({ stateDir: '/tmp/x', backoffBaseMs: 200, gracePeriodMs: undefined });
    expect(config).toMatchObject({ stateDir: '/tmp/x', backoffBaseMs: 200, backoffMaxMs: 300_000, gracePeriodMs: 10_000, readinessPeriodMs: 1000, livenessPeriodMs: 5000, startupDeadlineMs: 60_000, failureThreshold: 3, portRange: { from: 20000, to: 29999 } });
  });
});

describe('templateHash', () => {
  it('ignores replicas and the order of env keys', () => {
    expect(templateHash({ ...valid, replicas: 5, env: { B: '2', A: '1' } })).toBe(templateHash({ ...valid, env: { A: '1', B: '2' } }));
  });

  it('changes with the command, env, cwd or version', () => {
    const base = templateHash(valid);
    expect(templateHash({ ...valid, command: ['/usr/bin/node', 'other.js'] })).not.toBe(base);
    expect(templateHash({ ...valid, env: { A: '1' } })).not.toBe(base);
    expect(templateHash({ ...valid, cwd: '/tmp/shop-2' })).not.toBe(base);
    expect(templateHash({ ...valid, version: '1.0.1' })).not.toBe(base);
  });
});
