import type { schemas } from '@delivery/contracts';

type Strategy = schemas.Strategy;
type TrafficWeight = schemas.TrafficWeight;
type Slot = TrafficWeight['slot'];

/** What serves the environment before this promotion: the slot and the revision the new release is measured against. */
export interface Baseline {
  slot: Slot;
  revision: string;
}

/** One strategy step: one render with these weights, one sync, then (if gated) every health gate. */
export interface PlannedStep {
  index: number;
  /** undefined: no traffic split (rolling, or the very first release of a slotted strategy) */
  weights?: TrafficWeight[];
  /** the weight of the new release's slot, for the step field of the events; null for single-step plans */
  step: { index: number; weight: number } | null;
  gated: boolean;
  /** a canary step's pause: traffic stays at this weight at least this long after the step synced */
  pauseSeconds?: number;
}

const OTHER: Record<Slot, Slot> = { blue: 'green', green: 'blue', stable: 'canary', canary: 'stable' };

// The renderer pins every slot but the new release's to a revision, so the plan needs to know what runs now. Without
// a baseline (nothing ever synced) a slotted strategy has nothing to shift from: the release lands in the first
// slot of the pair with all traffic, in one step, exactly as a rolling update would.
export function planSteps(strategy: Strategy, baseline: Baseline | null): PlannedStep[] {
  if (strategy.kind === 'rolling' || baseline === null) return [{ index: 0, step: null, gated: true }];
  if (strategy.kind === 'blue-green') {
    const active = baseline.slot === 'blue' || baseline.slot === 'green' ? baseline.slot : 'blue';
    const idle = OTHER[active];
    const pinned = (weight: number): TrafficWeight => ({ slot: active, revision: baseline.revision, weight });
    // the idle slot gets the release at weight 0 and is gated there; the switch moves traffic to gated pods
    return [
      { index: 0, weights: [pinned(100), { slot: idle, weight: 0 }], step: { index: 0, weight: 0 }, gated: true },
      { index: 1, weights: [pinned(0), { slot: idle, weight: 100 }], step: { index: 1, weight: 100 }, gated: false },
    ];
  }
  return strategy.steps.map((s, index) => ({
    index,
    weights: [
      { slot: 'stable', revision: baseline.revision, weight: 100 - s.weight },
      { slot: 'canary', weight: s.weight },
    ],
    step: { index, weight: s.weight },
    gated: true,
    ...(s.pauseSeconds ? { pauseSeconds: s.pauseSeconds } : {}),
  }));
}

/** The baseline a step-0 render was planned from: its pinned slot (none pinned: no baseline). */
export function baselineOf(weights: readonly TrafficWeight[] | undefined): Baseline | null {
  const pinned = weights?.find((w) => w.revision !== undefined);
  return pinned?.revision === undefined ? null : { slot: pinned.slot, revision: pinned.revision };
}

/**
 * The baseline from the last GitOps report of the application: the slot serving most traffic (a pinned revision
 * of it if the report has one), else the first slot of the strategy's pair, which is where a first release lands.
 */
export function baselineFromRuntime(strategy: Strategy, runtime: { revision: string; weights?: TrafficWeight[] } | null): Baseline | null {
  if (runtime === null || strategy.kind === 'rolling') return null;
  const pair: readonly Slot[] = strategy.kind === 'canary' ? ['stable', 'canary'] : ['blue', 'green'];
  const serving = [...(runtime.weights ?? [])].filter((w) => pair.includes(w.slot)).sort((a, b) => b.weight - a.weight)[0];
  if (strategy.kind === 'canary') return { slot: 'stable', revision: serving?.revision ?? runtime.revision };
  return { slot: serving?.slot ?? 'blue', revision: serving?.revision ?? runtime.revision };
}

/** The traffic before step 0: everything on the baseline's slot. */
export function initialWeights(baseline: Baseline | null): TrafficWeight[] | undefined {
  if (baseline === null) return undefined;
  return [
    { slot: baseline.slot, revision: baseline.revision, weight: 100 },
    { slot: OTHER[baseline.slot], weight: 0 },
  ];
}

/** Whether traffic moves between two weight sets (only the per-slot numbers count). */
export function weightsChanged(before: readonly TrafficWeight[] | undefined, after: readonly TrafficWeight[] | undefined): boolean {
  if (after === undefined) return false;
  const weightOf = (set: readonly TrafficWeight[] | undefined, slot: Slot) => set?.find((w) => w.slot === slot)?.weight ?? 0;
  return after.some((w) => weightOf(before, w.slot) !== w.weight);
}

const DEFAULT_DEADLINE_SECONDS = 30 * 60;
const STEP_MARGIN_SECONDS = 5 * 60;

/**
 * The whole promotion's deadline: what its gates may take at every gated step plus a margin per step for render,
 * commit and sync; never shorter than 30 minutes, so a promotion without slow gates still has time to sync.
 */
export function deadlineSeconds(steps: readonly PlannedStep[] | number, gates: readonly schemas.HealthGate[]): number {
  const perGatedStep = gates.reduce((sum, gate) => sum + gateBudgetSeconds(gate), 0);
  const count = typeof steps === 'number' ? steps : steps.length;
  const pauses = typeof steps === 'number' ? 0 : steps.reduce((sum, step) => sum + (step.pauseSeconds ?? 0), 0);
  return Math.max(DEFAULT_DEADLINE_SECONDS, count * (perGatedStep + STEP_MARGIN_SECONDS) + pauses);
}

function gateBudgetSeconds(gate: schemas.HealthGate): number {
  switch (gate.kind) {
    case 'http-probe':
      return gate.timeoutSeconds;
    case 'soak':
      return gate.minSeconds;
    default:
      return gate.windowSeconds;
  }
}
