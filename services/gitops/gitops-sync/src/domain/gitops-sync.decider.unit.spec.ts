import { validatePayload } from '@delivery/contracts';
import type { DesiredApplication, ObservedApplication, ObservedWorkload } from '@delivery/gitops-runtime';
import { alertKeyOf, evaluate, initialSyncState, recordApply, syncedPayload, type SyncDecision, type SyncEvent, type SyncResult, type SyncState } from './gitops-sync.decider';
import { at, observedOf, REV_A, REV_B, rollingDesired, t0 } from './gitops.test-fixture';

// given(state) / when(evaluate | recordApply) / then(decisions); every event payload must satisfy its contract
const desired = rollingDesired(REV_A);
const healthy = observedOf(desired);
const observedWith = (patch: Partial<ObservedWorkload>): ObservedApplication => observedOf(desired, { 'shop-api': patch });
const specDrift = observedWith({ specHash: 'f'.repeat(64) });

const eventsOf = (result: SyncResult): SyncEvent[] => result.decisions.flatMap((d) => (d.kind === 'event' ? [d.event] : []));
const typesOf = (result: SyncResult) => eventsOf(result).map((e) => e.type);
const appliesOf = (result: SyncResult) => result.decisions.filter((d): d is Extract<SyncDecision, { kind: 'apply' }> => d.kind === 'apply');
const reportOf = (result: SyncResult) => result.decisions.find((d): d is Extract<SyncDecision, { kind: 'report' }> => d.kind === 'report');
const eventOf = <T extends SyncEvent['type']>(result: SyncResult, type: T) => {
  const event = eventsOf(result).find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} in ${typesOf(result).join(', ')}`);
  return event.payload as Extract<SyncEvent, { type: T }>['payload'];
};
const expectValid = (result: SyncResult) => {
  for (const event of eventsOf(result)) expect(validatePayload(event.type, event.payload)).toMatchObject({ ok: true });
};
const when = (state: SyncState, observed: ObservedApplication, seconds: number, want: DesiredApplication = desired): SyncResult => {
  const result = evaluate(state, { desired: want, observed, now: at(seconds) });
  expectValid(result);
  return result;
};
/** REV_A applied at t0 and reported Synced/Healthy */
const givenSynced = (want: DesiredApplication = desired): SyncState => {
  const applied = recordApply(evaluate(initialSyncState('dev1', 'shop'), { desired: want, observed: { ...healthy, workloads: [] }, now: t0 }).state, { revision: want.revision, now: t0 });
  return evaluate(applied.state, { desired: want, observed: observedOf(want), now: t0 }).state;
};
/** evaluate with `observed` at each wake-up until `until` seconds */
const runUntil = (state: SyncState, observed: ObservedApplication, from: number, until: number): SyncResult[] => {
  const results: SyncResult[] = [];
  let current = when(state, observed, from);
  results.push(current);
  while (current.wakeAt && current.wakeAt.getTime() <= at(until).getTime()) {
    current = when(current.state, observed, (current.wakeAt.getTime() - t0.getTime()) / 1000);
    results.push(current);
  }
  return results;
};
const failure = (retryable: boolean) => ({ code: retryable ? 'runtime.unavailable' : 'gitops.invalid-workload', message: 'it failed', retryable });

describe('evaluate: syncing a revision', () => {
  it('given a revision never applied, then apply it at once, without a report', () => {
    const result = when(initialSyncState('dev1', 'shop'), healthy, 0);
    expect(result.decisions).toEqual([{ kind: 'apply', revision: REV_A, reason: 'sync', healAttempt: 0 }]);
    expect(result.state.revision).toBe(REV_A);
  });

  it('given the apply succeeded and the runtime runs it, then report Synced/Healthy once', () => {
    const applied = recordApply(when(initialSyncState('dev1', 'shop'), healthy, 0).state, { revision: REV_A, now: at(1) });
    expect(applied.decisions).toEqual([]);
    const first = when(applied.state, healthy, 2);
    expect(first.decisions).toEqual([{ kind: 'report', revision: REV_A, sync: 'Synced', health: 'Healthy' }]);
    expect(when(first.state, healthy, 30).decisions).toEqual([]);
  });

  it('builds a GitOpsSynced payload that satisfies the contract', () => {
    const payload = syncedPayload(desired, observedWith({ message: 'ok' }), { sync: 'Synced', health: 'Healthy' }, { repositoryId: 'gitops-1', durationMs: 12.4 });
    expect(payload).toMatchObject({ revision: REV_A, durationMs: 12, workloads: [{ name: 'shop-api', health: 'Healthy', replicas: 2, readyReplicas: 2, restarts: 0, message: 'ok' }] });
    expect(validatePayload('GitOpsSynced', payload)).toMatchObject({ ok: true });
  });

  it('is plain JSON data (the service persists it)', () => {
    const state = when(givenSynced(), specDrift, 10).state;
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('evaluate: drift and self-heal', () => {
  it('given drift, then GitOpsDriftDetected with the first heal 2 s later, and the heal when it falls due', () => {
    const seen = when(givenSynced(), specDrift, 10);
    expect(appliesOf(seen)).toEqual([]);
    expect(eventOf(seen, 'GitOpsDriftDetected')).toMatchObject({ revision: REV_A, healAttempt: 0, nextHealAt: at(12).toISOString(), drifts: [{ class: 'spec-mismatch', workload: 'shop-api' }] });
    expect(reportOf(seen)).toEqual({ kind: 'report', revision: REV_A, sync: 'OutOfSync', health: 'Healthy' });
    expect(seen.wakeAt).toEqual(at(12));
    expect(when(seen.state, specDrift, 11).decisions).toEqual([]);
    const healed = when(seen.state, specDrift, 12);
    expect(healed.decisions.map((d) => d.kind)).toEqual(['event', 'apply']);
    expect(appliesOf(healed)).toEqual([{ kind: 'apply', revision: REV_A, reason: 'heal', healAttempt: 1 }]);
    expect(eventOf(healed, 'GitOpsDriftDetected')).toMatchObject({ healAttempt: 1, nextHealAt: at(18).toISOString() });
  });

  it('given the drift persists, then heals follow the backoff 2, 6, 18, 54, 162 s', () => {
    const heals = runUntil(givenSynced(), specDrift, 10, 400).flatMap((r) => appliesOf(r).map(() => (r.state.heal.entries[0]?.lastAttemptAt ?? '')));
    expect(heals).toEqual([12, 18, 36, 90, 252].map((s) => at(s).toISOString()));
  });

  it('given the drift clears, then the report goes back to Synced and the counter resets after 5 min Healthy', () => {
    const healed = when(when(givenSynced(), specDrift, 10).state, specDrift, 12);
    const clean = when(healed.state, healthy, 14);
    expect(reportOf(clean)).toMatchObject({ sync: 'Synced', health: 'Healthy' });
    expect(clean.wakeAt).toEqual(at(14 + 300));
    const back = when(when(clean.state, healthy, 314).state, specDrift, 320);
    expect(eventOf(back, 'GitOpsDriftDetected')).toMatchObject({ healAttempt: 0, nextHealAt: at(322).toISOString() });
  });

  it('given a Degraded workload (unhealthy), then the drift is reported but not healed by an apply', () => {
    const result = when(givenSynced(), observedWith({ health: 'Degraded' }), 10);
    expect(eventOf(result, 'GitOpsDriftDetected')).toMatchObject({ drifts: [{ class: 'unhealthy' }], nextHealAt: null });
    expect(appliesOf(when(result.state, observedWith({ health: 'Degraded' }), 20))).toEqual([]);
    expect(reportOf(result)).toMatchObject({ sync: 'Synced', health: 'Degraded' });
  });

  it('given an extraneous workload and prune off, then it is reported once and never healed', () => {
    const observed = { ...healthy, workloads: [...healthy.workloads, { ...healthy.workloads[0]!, name: 'shop-old' }] };
    const first = when(givenSynced(), observed, 10);
    expect(eventOf(first, 'GitOpsDriftDetected')).toMatchObject({ drifts: [{ class: 'extraneous-workload', workload: 'shop-old' }], nextHealAt: null });
    expect(when(first.state, observed, 700).decisions).toEqual([]);
  });

  it('given an extraneous workload and prune on, then it is healed (pruned) by an apply', () => {
    const pruning = { ...desired, prune: true };
    const observed = { ...healthy, workloads: [...healthy.workloads, { ...healthy.workloads[0]!, name: 'shop-old' }] };
    const first = evaluate(givenSynced(pruning), { desired: pruning, observed, now: at(10) });
    expect(appliesOf(evaluate(first.state, { desired: pruning, observed, now: at(12) }))).toHaveLength(1);
  });
});

describe('evaluate: escalation, alert dedupe and recovery', () => {
  it('given 5 heals that did not clear the drift, then Degraded and a warning alert (heal-attempts-exhausted)', () => {
    const results = runUntil(givenSynced(), specDrift, 10, 590);
    const raised = results.filter((r) => typesOf(r).includes('GitOpsAlertRaised'));
    expect(raised).toHaveLength(1);
    expect(eventOf(raised[0]!, 'GitOpsAlertRaised')).toMatchObject({ alertKey: alertKeyOf('dev1', 'shop', REV_A, 'heal-attempts-exhausted'), reason: 'heal-attempts-exhausted', severity: 'warning' });
    expect(eventOf(raised[0]!, 'GitOpsDegraded')).toMatchObject({ reason: 'heal-attempts-exhausted', detail: '5 heals did not clear: spec-mismatch shop-api' });
    expect(reportOf(raised[0]!)).toMatchObject({ sync: 'OutOfSync', health: 'Degraded' });
  });

  it('given drift unresolved for over 10 minutes, then unresolved-timeout since the drift was first seen', () => {
    const degraded = observedWith({ health: 'Degraded' });
    const seen = when(givenSynced(), degraded, 10);
    expect(typesOf(when(seen.state, degraded, 610))).not.toContain('GitOpsAlertRaised');
    const late = when(seen.state, degraded, 611);
    expect(eventOf(late, 'GitOpsDegraded')).toMatchObject({ reason: 'unresolved-timeout', since: at(10).toISOString() });
    expect(eventOf(late, 'GitOpsAlertRaised')).toMatchObject({ reason: 'unresolved-timeout' });
  });

  it('given a workload with 5 restarts in 10 minutes, then a critical crash-loop alert', () => {
    const result = when(givenSynced(), observedWith({ recentRestarts: 5, restarts: 9 }), 10);
    expect(eventOf(result, 'GitOpsAlertRaised')).toMatchObject({ reason: 'crash-loop', severity: 'critical', message: expect.stringContaining('shop-api restarted 5 times in 10 min') });
    expect(typesOf(when(givenSynced(), observedWith({ recentRestarts: 4 }), 10))).toEqual([]);
  });

  it('given health still Progressing past the progress deadline since first applied, then progress-deadline', () => {
    const quick = { ...desired, progressDeadlineSeconds: 60 };
    const progressing = observedOf(quick, { 'shop-api': { health: 'Progressing' } });
    const early = evaluate(givenSynced(quick), { desired: quick, observed: progressing, now: at(60) });
    expect(typesOf(early)).toEqual([]);
    expect(early.wakeAt).toEqual(new Date(at(60).getTime() + 1));
    const late = evaluate(early.state, { desired: quick, observed: progressing, now: at(61) });
    expectValid(late);
    expect(eventOf(late, 'GitOpsDegraded')).toMatchObject({ reason: 'progress-deadline', since: at(60).toISOString() });
  });

  it('given the same condition on every evaluation, then one alert only (deduplicated by alertKey)', () => {
    const crashing = observedWith({ recentRestarts: 7 });
    let state = givenSynced();
    const raised: string[] = [];
    for (const s of [10, 20, 30, 40]) {
      const result = when(state, crashing, s);
      raised.push(...eventsOf(result).filter((e) => e.type === 'GitOpsAlertRaised').map((e) => (e.payload as { alertKey: string }).alertKey));
      state = result.state;
    }
    expect(raised).toEqual([alertKeyOf('dev1', 'shop', REV_A, 'crash-loop')]);
    expect(state.alerts).toHaveLength(1);
  });

  it('given the condition clears, then the recovery notice with how long it lasted, and Healthy again', () => {
    const raised = when(givenSynced(), observedWith({ recentRestarts: 7 }), 10);
    const recovered = when(raised.state, healthy, 70);
    expect(eventOf(recovered, 'GitOpsAlertResolved')).toEqual({ alertKey: alertKeyOf('dev1', 'shop', REV_A, 'crash-loop'), environment: 'dev1', application: 'shop', revision: REV_A, raisedAt: at(10).toISOString(), durationMs: 60_000 });
    expect(reportOf(recovered)).toMatchObject({ health: 'Healthy' });
    expect(recovered.state.alerts).toEqual([]);
  });

  it('given a new revision, then the alerts of the old one resolve and the new one is applied', () => {
    const raised = when(givenSynced(), observedWith({ recentRestarts: 7 }), 10);
    const next = when(raised.state, healthy, 20, rollingDesired(REV_B));
    expect(typesOf(next)).toEqual(['GitOpsAlertResolved']);
    expect(appliesOf(next)).toEqual([{ kind: 'apply', revision: REV_B, reason: 'sync', healAttempt: 0 }]);
  });
});

describe('recordApply: apply failures, tracked apart from drift', () => {
  const start = () => when(initialSyncState('dev1', 'shop'), healthy, 0).state;

  it('given a retryable failure, then GitOpsSyncFailed and a retry after the backoff', () => {
    const failed = recordApply(start(), { revision: REV_A, error: failure(true), now: at(0) });
    expectValid(failed);
    expect(eventOf(failed, 'GitOpsSyncFailed')).toMatchObject({ revision: REV_A, sync: 'OutOfSync', attempt: 1, error: failure(true) });
    expect(failed.wakeAt).toEqual(at(2));
    expect(appliesOf(when(failed.state, healthy, 1))).toEqual([]);
    expect(appliesOf(when(failed.state, healthy, 2))).toEqual([{ kind: 'apply', revision: REV_A, reason: 'sync', healAttempt: 0 }]);
  });

  it('given 3 consecutive failures, then Degraded with a critical apply-failures alert, resolved by a success', () => {
    let state = start();
    const results: SyncResult[] = [];
    for (const [i, s] of [0, 2, 8].entries()) {
      const result = recordApply(state, { revision: REV_A, error: failure(true), now: at(s) });
      expectValid(result);
      expect(eventOf(result, 'GitOpsSyncFailed').attempt).toBe(i + 1);
      results.push(result);
      state = result.state;
    }
    expect(results.map(typesOf)).toEqual([['GitOpsSyncFailed'], ['GitOpsSyncFailed'], ['GitOpsSyncFailed', 'GitOpsDegraded', 'GitOpsAlertRaised']]);
    expect(eventOf(results[2]!, 'GitOpsAlertRaised')).toMatchObject({ reason: 'apply-failures', severity: 'critical' });
    const again = when(state, healthy, 30);
    expect(typesOf(again)).toEqual([]);
    const success = recordApply(again.state, { revision: REV_A, now: at(31) });
    expect(typesOf(success)).toEqual(['GitOpsAlertResolved']);
    expect(reportOf(when(success.state, healthy, 32))).toMatchObject({ sync: 'Synced', health: 'Healthy' });
  });

  it('given a failure that cannot succeed (an invalid manifest), then no retry until a new revision', () => {
    const refused = recordApply(initialSyncState('dev1', 'shop'), { revision: REV_A, releaseId: null, error: failure(false), now: at(0) });
    expect(eventOf(refused, 'GitOpsSyncFailed')).toMatchObject({ releaseId: null, error: { code: 'gitops.invalid-workload', retryable: false } });
    expect(refused.wakeAt).toBeNull();
    expect(when(refused.state, healthy, 3600).decisions).toEqual([]);
    expect(appliesOf(when(refused.state, healthy, 3601, rollingDesired(REV_B)))).toHaveLength(1);
  });
});
