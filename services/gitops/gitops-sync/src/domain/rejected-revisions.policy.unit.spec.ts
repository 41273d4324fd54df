import { validatePayload } from '@delivery/contracts';
import { IllegalStateError } from '@delivery/messaging';
import { at, REV_A, REV_B, REV_C } from './gitops.test-fixture';
import { assertManualSync, initialRejectedRevisions, isRejected, recordRollback, revisionRejectedPayload, shouldAutoSync } from './rejected-revisions.policy';

// C reverts B back to A's content
const rolledBack = () => recordRollback(initialRejectedRevisions('prod1', 'shop'), { revision: REV_C, revertOf: REV_B, rolledBackTo: REV_A, releaseId: 'rel-2' }, at(0));

describe('rejected revisions', () => {
  it('given a revert of B to A, then B is rejected once, with what it was rolled back to', () => {
    const { state, rejected } = rolledBack();
    expect(rejected).toEqual({ revision: REV_B, rolledBackTo: REV_A, revertedBy: REV_C, releaseId: 'rel-2', rejectedAt: at(0).toISOString() });
    expect(isRejected(state, REV_B)).toBe(true);
    expect(recordRollback(state, { revision: REV_C, revertOf: REV_B, rolledBackTo: REV_A }, at(5)).rejected).toBeNull();
  });

  it('given a rejected revision, then auto-sync never applies it; the revert and A still sync', () => {
    const { state } = rolledBack();
    expect(shouldAutoSync(state, REV_B)).toBe(false);
    expect(shouldAutoSync(state, REV_C)).toBe(true);
    expect(shouldAutoSync(state, REV_A)).toBe(true);
  });

  it('given a manual sync of a rejected revision, then it is refused unless forced', () => {
    const { state } = rolledBack();
    expect(() => assertManualSync(state, REV_B, false)).toThrow(IllegalStateError);
    expect(() => assertManualSync(state, REV_B, false)).toThrow(/rolled back to a{12}/);
    expect(() => assertManualSync(state, REV_B, true)).not.toThrow();
    expect(() => assertManualSync(state, REV_C, false)).not.toThrow();
  });

  it('given a history entry that names no reverted commit, then nothing is rejected', () => {
    const { state, rejected } = recordRollback(initialRejectedRevisions('prod1', 'shop'), { revision: REV_C, rolledBackTo: REV_A }, at(0));
    expect(rejected).toBeNull();
    expect(state.revisions).toEqual([]);
  });
});

describe('revisionRejectedPayload', () => {
  it('builds a GitOpsRevisionRejected payload that satisfies the contract', () => {
    const { state, rejected } = rolledBack();
    const payload = revisionRejectedPayload(state, rejected!);
    expect(payload).toEqual({ environment: 'prod1', application: 'shop', revision: REV_B, rolledBackTo: REV_A, releaseId: 'rel-2' });
    expect(validatePayload('GitOpsRevisionRejected', payload)).toMatchObject({ ok: true });
  });
});
