import { baselineFromRuntime, baselineOf, planSteps, weightsChanged } from './promotion.plan';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

// Where a slotted strategy shifts traffic from: the last GitOps report of the application.
describe('promotion plan', () => {
  it('takes the serving slot of the last report as the baseline, or the first slot of the pair', () => {
    const blueGreen = { kind: 'blue-green' as const };
    expect(baselineFromRuntime(blueGreen, { revision: NEW, weights: [{ slot: 'blue', revision: OLD, weight: 0 }, { slot: 'green', revision: NEW, weight: 100 }] })).toEqual({ slot: 'green', revision: NEW });
    expect(baselineFromRuntime(blueGreen, { revision: OLD })).toEqual({ slot: 'blue', revision: OLD });
    expect(baselineFromRuntime({ kind: 'canary', steps: [{ weight: 100 }] }, { revision: OLD, weights: [{ slot: 'canary', revision: NEW, weight: 100 }] })).toEqual({ slot: 'stable', revision: NEW });
    expect(baselineFromRuntime({ kind: 'rolling' }, { revision: OLD })).toBeNull();
    expect(baselineFromRuntime(blueGreen, null)).toBeNull();
  });

  it('recovers the baseline from the weights of the first render', () => {
    const [first] = planSteps({ kind: 'blue-green' }, { slot: 'green', revision: OLD });
    expect(baselineOf(first?.weights)).toEqual({ slot: 'green', revision: OLD });
    expect(baselineOf(undefined)).toBeNull();
  });

  it('sees a traffic change only in the per-slot weights', () => {
    const before = [{ slot: 'blue' as const, revision: OLD, weight: 100 }, { slot: 'green' as const, weight: 0 }];
    expect(weightsChanged(before, [{ slot: 'green', weight: 0 }, { slot: 'blue', weight: 100 }])).toBe(false);
    expect(weightsChanged(before, [{ slot: 'green', weight: 100 }, { slot: 'blue', weight: 0 }])).toBe(true);
    expect(weightsChanged(before, undefined)).toBe(false);
  });
});
