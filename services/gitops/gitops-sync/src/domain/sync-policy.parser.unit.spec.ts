import { PlatformError } from '@delivery/messaging';
import { REV_A } from './gitops.test-fixture';
import { DEFAULT_SYNC_POLICY, syncPolicyFromJson } from './sync-policy.parser';

describe('syncPolicyFromJson: an application\'s sync.json', () => {
  it('given no sync.json, then the defaults: prune off', () => {
    expect(syncPolicyFromJson(undefined, REV_A)).toEqual(DEFAULT_SYNC_POLICY);
    expect(DEFAULT_SYNC_POLICY).toEqual({ prune: false });
  });

  it('given prune true or false, then that', () => {
    expect(syncPolicyFromJson('{ "prune": true }', REV_A)).toEqual({ prune: true });
    expect(syncPolicyFromJson('{"prune":false}', REV_A)).toEqual({ prune: false });
    expect(syncPolicyFromJson('{}', REV_A)).toEqual({ prune: false });
  });

  it.each([
    ['not JSON', '{ prune: true', [{ subject: 'sync.json', message: expect.stringContaining('is not JSON') }]],
    ['an array', '[]', [{ subject: 'sync.json', message: 'must be an object' }]],
    ['a prune that is not a boolean, and an unknown setting', '{ "prune": "yes", "selfHeal": true }', [
      { subject: 'selfHeal', message: 'is not a sync policy setting (known: prune)' },
      { subject: 'prune', message: 'must be true or false' },
    ]],
  ])('given %s, then a refusal with every reason', (_what, json, reasons) => {
    let thrown: unknown;
    try {
      syncPolicyFromJson(json, REV_A);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PlatformError);
    expect(thrown).toMatchObject({ code: 'gitops.invalid-sync-policy', disposition: 'reject', details: { reasons } });
  });
});
