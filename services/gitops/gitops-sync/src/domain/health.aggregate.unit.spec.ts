import type { HealthStatus } from '@delivery/gitops-runtime';
import { aggregateHealth, HEALTH_ORDER } from './health.aggregate';

describe('aggregateHealth (worst-of, Argo CD order)', () => {
  it('orders Healthy < Suspended < Progressing < Missing < Degraded < Unknown', () => {
    expect(HEALTH_ORDER).toEqual(['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown']);
  });

  it.each<[HealthStatus[], HealthStatus]>([
    [['Healthy', 'Healthy'], 'Healthy'],
    [['Healthy', 'Suspended'], 'Suspended'],
    [['Suspended', 'Progressing', 'Healthy'], 'Progressing'],
    [['Progressing', 'Missing'], 'Missing'],
    [['Missing', 'Degraded', 'Healthy'], 'Degraded'],
    [['Degraded', 'Unknown'], 'Unknown'],
    [['Unknown', 'Healthy'], 'Unknown'],
  ])('given %j, the application is %s', (statuses, expected) => {
    expect(aggregateHealth(statuses)).toBe(expected);
    expect(aggregateHealth([...statuses].reverse())).toBe(expected);
  });

  it('given no workloads, the application is Healthy', () => {
    expect(aggregateHealth([])).toBe('Healthy');
  });
});
