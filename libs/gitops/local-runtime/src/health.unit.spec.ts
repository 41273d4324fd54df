import { aggregateHealth, type HealthInput, type ReplicaView } from './health';

const now = 1_000_000;
const replica = (over: Partial<ReplicaView> = {}): ReplicaView => ({ index: 0, phase: 'running', ready: true, startedAt: now - 5000, recentRestarts: 0, specHash: 'h1', lastExit: null, ...over });
const input = (replicas: ReplicaView[], desiredReplicas = replicas.length): HealthInput => ({ desiredReplicas, specHash: 'h1', replicas, now, startupDeadlineMs: 60_000, crashLoopRestarts: 3 });

describe('aggregateHealth', () => {
  it('Healthy when every desired replica is ready', () => {
    expect(aggregateHealth(input([replica(), replica({ index: 1 })]))).toEqual({ health: 'Healthy', readyReplicas: 2, specHash: 'h1' });
  });

  it('Progressing while a replica starts within the deadline', () => {
    const result = aggregateHealth(input([replica(), replica({ index: 1, ready: false, startedAt: now - 59_000 })]));
    expect(result).toMatchObject({ health: 'Progressing', readyReplicas: 1, message: '1/2 ready' });
  });

  it('Progressing while fewer replicas exist than desired', () => {
    expect(aggregateHealth(input([replica()], 2)).health).toBe('Progressing');
  });

  it('Degraded when a replica is not ready after the startup deadline', () => {
    const result = aggregateHealth(input([replica({ ready: false, startedAt: now - 61_000 })]));
    expect(result).toMatchObject({ health: 'Degraded', message: 'replica 0 not ready 60s after start' });
  });

  it('Degraded when a not-ready replica crash-loops', () => {
    const result = aggregateHealth(input([replica({ phase: 'backoff', ready: false, startedAt: null, recentRestarts: 3, lastExit: 'exited (code 1, signal null)' })]));
    expect(result.health).toBe('Degraded');
    expect(result.message).toContain('replica 0 crash-looping (3 restarts');
  });

  it('a replica that restarted often but is ready again is not crash-looping', () => {
    expect(aggregateHealth(input([replica({ recentRestarts: 5 })])).health).toBe('Healthy');
  });

  it('Missing when replicas are desired but no process exists', () => {
    expect(aggregateHealth(input([], 2)).health).toBe('Missing');
    expect(aggregateHealth(input([replica({ phase: 'stopped', ready: false, startedAt: null })])).health).toBe('Missing');
  });

  it('during a rollout: the target specHash, Progressing while a replica of another spec remains, even with all ready', () => {
    const result = aggregateHealth(input([replica(), replica({ index: 2, specHash: 'h0' })], 2));
    expect(result).toEqual({ health: 'Progressing', readyReplicas: 2, specHash: 'h1', message: '2/2 ready; 1 replica(s) of the previous spec still to replace' });
  });

  it('reports no specHash when no process runs', () => {
    expect(aggregateHealth(input([replica({ phase: 'backoff', ready: false, startedAt: null })])).specHash).toBeNull();
  });
});
