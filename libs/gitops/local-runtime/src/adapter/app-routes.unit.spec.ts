import { createRoutingTable } from '@delivery/gitops-router';
import { appRouteOf, buildTable } from './app-routes';
import { desiredApp, REV1, REV2, shopWorkload } from './adapter.testing';

const stable = shopWorkload('shop-stable', 'stable', '1.0.0', '/t/v1.tgz');
const canary = shopWorkload('shop-canary', 'canary', '2.0.0', '/t/v2.tgz');

describe('appRouteOf / buildTable', () => {
  it('a single workload without slot takes the stable slot with weight 100', () => {
    const route = appRouteOf(desiredApp([shopWorkload('shop', null, '1.0.0', '/t/v1.tgz')]), undefined);
    expect(route.slots).toEqual([expect.objectContaining({ slot: 'stable', workload: 'shop--shop', weight: 100, revision: REV1 })]);
  });

  it('an unchanged slot keeps the revision it was deployed at, a changed one takes the new revision', () => {
    const first = appRouteOf(desiredApp([stable]), undefined);
    const second = appRouteOf(desiredApp([stable, canary], { revision: REV2, weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] }), first);
    expect(second.slots.map((s) => [s.slot, s.weight, s.revision])).toEqual([['stable', 90, REV1], ['canary', 10, REV2]]);
    const changed = shopWorkload('shop-stable', 'stable', '1.0.1', '/t/v1.tgz');
    expect(appRouteOf(desiredApp([changed], { revision: REV2 }), second).slots[0]?.revision).toBe(REV2);
  });

  it('a release that moves to the other slot keeps its revision, so its traffic is not counted as the new release\'s', () => {
    const [r1, r2] = ['0192f3a4-0000-7000-8000-000000000001', '0192f3a4-0000-7000-8000-000000000002'];
    const promoted = appRouteOf(desiredApp([shopWorkload('shop-canary', 'canary', '1.0.1', '/t/v1.tgz', { releaseId: r1 })], { releaseId: r1, weights: [{ slot: 'canary', weight: 100 }] }), undefined);
    const next = desiredApp([shopWorkload('shop-stable', 'stable', '1.0.1', '/t/v1.tgz', { releaseId: r1 }), shopWorkload('shop-canary', 'canary', '1.0.2', '/t/v2.tgz', { releaseId: r2 })], {
      revision: REV2, releaseId: r2, weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }],
    });
    expect(appRouteOf(next, promoted).slots.map((s) => [s.slot, s.revision])).toEqual([['stable', REV1], ['canary', REV2]]);
  });

  it('lists ready endpoints per slot and falls back to the previous backends only for a slot without any', () => {
    const route = appRouteOf(desiredApp([stable, canary], { weights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] }), undefined);
    const endpoints = (w: string) => (w === 'shop--shop-stable' ? ['127.0.0.1:26100'] : []);
    const table = buildTable('dev', [route], endpoints);
    expect(table.applications[0]?.slots.map((s) => s.backends)).toEqual([['127.0.0.1:26100'], []]);
    expect(() => createRoutingTable(table)).not.toThrow();
    const withFallback = buildTable('dev', [route], endpoints, (_app, slot) => (slot === 'canary' ? ['127.0.0.1:26101'] : ['127.0.0.1:1']));
    expect(withFallback.applications[0]?.slots.map((s) => s.backends)).toEqual([['127.0.0.1:26100'], ['127.0.0.1:26101']]);
  });
});
