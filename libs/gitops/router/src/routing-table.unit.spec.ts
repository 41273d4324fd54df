import { bucketAssignment, createRoutingTable, effectiveWeights, RoutingTableError, type RoutingTableInput, type SlotRoute } from './routing-table';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const slot = (s: Partial<SlotRoute> & Pick<SlotRoute, 'slot' | 'weight'>): SlotRoute => ({ revision: A, backends: ['127.0.0.1:8080'], ...s });
const table = (slots: SlotRoute[], extra: Partial<RoutingTableInput['applications'][number]> = {}): RoutingTableInput => ({
  environment: 'dev',
  applications: [{ application: 'shop', slots, ...extra }],
});
const invalid = (input: unknown, message: RegExp): void => {
  expect(() => createRoutingTable(input as RoutingTableInput)).toThrow(RoutingTableError);
  expect(() => createRoutingTable(input as RoutingTableInput)).toThrow(message);
};

describe('createRoutingTable', () => {
  it('accepts a canary pair and deep-freezes it', () => {
    const t = createRoutingTable(table([slot({ slot: 'stable', weight: 90 }), slot({ slot: 'canary', weight: 10, revision: B })]));
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.applications)).toBe(true);
    expect(Object.isFrozen(t.applications[0])).toBe(true);
    expect(Object.isFrozen(t.applications[0]?.slots[0])).toBe(true);
    expect(Object.isFrozen(t.applications[0]?.slots[0]?.backends)).toBe(true);
    expect(t.applications[0]?.preview).toBeNull();
  });

  it('does not share arrays with its input', () => {
    const backends = ['127.0.0.1:1'];
    const t = createRoutingTable(table([slot({ slot: 'stable', weight: 100, backends })]));
    backends.push('127.0.0.1:2');
    expect(t.applications[0]?.slots[0]?.backends).toEqual(['127.0.0.1:1']);
  });

  it('rejects weights that do not sum to 100', () => {
    invalid(table([slot({ slot: 'stable', weight: 90 }), slot({ slot: 'canary', weight: 20 })]), /sum to 110/);
  });

  it('rejects an unknown slot', () => {
    invalid(table([slot({ slot: 'purple' as never, weight: 100 })]), /unknown slot "purple"/);
  });

  it('rejects a duplicate slot', () => {
    invalid(table([slot({ slot: 'stable', weight: 50 }), slot({ slot: 'stable', weight: 50 })]), /appears twice/);
  });

  it('rejects a non-integer or out-of-range weight', () => {
    invalid(table([slot({ slot: 'stable', weight: 99.5 }), slot({ slot: 'canary', weight: 0.5 })]), /integer 0..100/);
    invalid(table([slot({ slot: 'stable', weight: 110 }), slot({ slot: 'canary', weight: -10 })]), /integer 0..100/);
  });

  it('rejects a revision that is not a git sha', () => {
    invalid(table([slot({ slot: 'stable', weight: 100, revision: 'v1.2.3' })]), /40-hex/);
  });

  it('rejects a backend that is not host:port', () => {
    invalid(table([slot({ slot: 'stable', weight: 100, backends: ['localhost'] })]), /not host:port/);
    invalid(table([slot({ slot: 'stable', weight: 100, backends: ['127.0.0.1:70000'] })]), /not host:port/);
  });

  it('rejects an application without slots', () => {
    invalid(table([]), /non-empty/);
  });

  it('rejects a duplicate application', () => {
    const app = { application: 'shop', slots: [slot({ slot: 'stable', weight: 100 })] };
    invalid({ environment: 'dev', applications: [app, app] }, /"shop" appears twice/);
  });

  it('rejects application and environment names that are not DNS labels', () => {
    invalid({ environment: 'dev', applications: [{ application: 'Shop_1', slots: [slot({ slot: 'stable', weight: 100 })] }] }, /DNS label/);
    invalid({ environment: 'preview', applications: [{ application: 'preview', slots: [slot({ slot: 'stable', weight: 100 })] }] }, /DNS label/);
    invalid({ environment: 'dev.x', applications: [] }, /environment/);
  });

  it('rejects a preview slot the application does not have', () => {
    invalid(table([slot({ slot: 'blue', weight: 100 })], { preview: 'green' }), /preview slot "green"/);
  });
});

describe('bucketAssignment', () => {
  it('gives the canary the low buckets and the stable the rest', () => {
    const canary = slot({ slot: 'canary', weight: 10 });
    const stable = slot({ slot: 'stable', weight: 90 });
    const buckets = bucketAssignment([stable, canary]);
    expect(buckets).toHaveLength(100);
    expect(buckets.slice(0, 10).every((b) => b === canary)).toBe(true);
    expect(buckets.slice(10).every((b) => b === stable)).toBe(true);
  });

  it('hands the buckets of a slot without ready backends to the other slot', () => {
    const canary = slot({ slot: 'canary', weight: 30, backends: [] });
    const stable = slot({ slot: 'stable', weight: 70 });
    expect(bucketAssignment([stable, canary]).every((b) => b === stable)).toBe(true);
    expect(effectiveWeights([stable, canary])).toEqual([
      { slot: 'stable', weight: 100 },
      { slot: 'canary', weight: 0 },
    ]);
  });

  it('routes to a ready slot even at weight 0 when the weighted slot has no backend', () => {
    const blue = slot({ slot: 'blue', weight: 100, backends: [] });
    const green = slot({ slot: 'green', weight: 0 });
    expect(bucketAssignment([blue, green]).every((b) => b === green)).toBe(true);
  });

  it('is all null when no slot has a backend', () => {
    const buckets = bucketAssignment([slot({ slot: 'stable', weight: 50, backends: [] }), slot({ slot: 'canary', weight: 50, backends: [] })]);
    expect(buckets.every((b) => b === null)).toBe(true);
  });
});
