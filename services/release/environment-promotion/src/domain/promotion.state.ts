import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { baselineOf, planSteps, type Baseline, type PlannedStep } from './promotion.plan';

export type PromoteCommand = Envelope<PayloadOf<'PromoteDeployment'>, 'PromoteDeployment'>;
export type RollbackCommand = Envelope<PayloadOf<'RollbackDeployment'>, 'RollbackDeployment'>;
export type GateResult = PayloadOf<'DeploymentPromoted'>['gates'][number];

/**
 * One entry of a promotion's history: an envelope of its stream (the commands it took and sent, its events) or a
 * foreign event it observed (a render, a sync, a health report, a commit), at the time it was recorded.
 */
export interface HistoryItem {
  envelope: Envelope;
  at: string;
}

/** What one gate of one step has seen of the new revision since the step synced. */
export interface GateProgress {
  consecutive: number;
  lastStatus?: number | null;
  requests: number;
  errors: number;
  p99Ms?: number;
  result?: GateResult;
}

export interface StepState extends PlannedStep {
  renderId?: string;
  revision?: string;
  changed?: boolean;
  syncedAt?: string;
  shifted: boolean;
  gates: GateProgress[];
}

export interface RollbackState {
  reason: string;
  toRevision?: string;
  /** manifest commits of the attempt, newest first: reverted in this order */
  commits: string[];
  reverts: Array<{ sha: string; revertSha: string }>;
}

export type Status = 'promoting' | 'promoted' | 'failed' | 'rolling-back' | 'rolled-back';

export interface Attempt {
  command: PromoteCommand;
  startedAt: string;
  finishedAt?: string;
  status: Status;
  baseline: Baseline | null;
  steps: StepState[];
  /** index of the step in progress (the last rendered one) */
  current: number;
  /** parent of each manifest commit, from the commit service's CommitCreated */
  parents: Record<string, string | null>;
  failure?: PayloadOf<'PromotionFailed'>;
  promoted?: PayloadOf<'DeploymentPromoted'>;
  rollback?: RollbackState;
  rolledBack?: PayloadOf<'DeploymentRolledBack'>;
}

export interface PromotionState {
  /** version of the stream's last envelope (-1: empty), the expected version of the next append */
  version: number;
  /** the latest attempt; earlier ones stay in the stream only */
  attempt?: Attempt;
}

export const initialState: PromotionState = { version: -1 };

// GitOps reports follow the runtime, not a command: they belong to a step by revision, never by correlation.
const UNCORRELATED = new Set(['GitOpsSynced', 'GitOpsSyncFailed', 'RuntimeHealthReported']);

/** Folds one history item into the state. Pure; stale items (another attempt, another step's revision) change nothing. */
export function evolve(state: PromotionState, item: HistoryItem): PromotionState {
  const { envelope } = item;
  if (envelope.type === 'PromoteDeployment') return { ...state, attempt: started(envelope as PromoteCommand) };
  const attempt = state.attempt;
  if (!attempt || (!UNCORRELATED.has(envelope.type) && envelope.correlationId !== attempt.command.id)) return state;
  const next = apply(attempt, item);
  return next === attempt ? state : { ...state, attempt: next };
}

/** evolve over a whole history, counting the stream's own envelopes for the expected version */
export function fold(items: ReadonlyArray<HistoryItem & { fromStream: boolean }>): PromotionState {
  return items.reduce((state, item) => ({ ...evolve(state, item), version: item.fromStream ? state.version + 1 : state.version }), initialState);
}

// Started when the saga issued the command: deadlines and durations are measured from a time every replay agrees on.
function started(command: PromoteCommand): Attempt {
  return { command, startedAt: command.occurredAt, status: 'promoting', baseline: null, steps: [], current: -1, parents: {} };
}

function apply(attempt: Attempt, { envelope, at }: HistoryItem): Attempt {
  switch (envelope.type) {
    case 'RenderManifest':
      return rendering(attempt, envelope as Envelope<PayloadOf<'RenderManifest'>>);
    case 'DeploymentManifestRendered':
      return withStep(attempt, (step) =>
        step.renderId === envelope.causationId && step.revision === undefined
          ? { ...step, revision: (envelope.payload as PayloadOf<'DeploymentManifestRendered'>).revision, changed: (envelope.payload as PayloadOf<'DeploymentManifestRendered'>).changed }
          : step,
      );
    case 'GitOpsSynced':
      return withStep(attempt, (step) =>
        step.revision === (envelope.payload as PayloadOf<'GitOpsSynced'>).revision && step.syncedAt === undefined ? { ...step, syncedAt: at } : step,
      );
    case 'RuntimeHealthReported':
      return withStep(attempt, (step) => observeHealth(attempt.command.payload.healthGates, step, releaseRevisions(attempt), envelope.payload as PayloadOf<'RuntimeHealthReported'>));
    case 'TrafficShifted':
      return withStep(attempt, (step) => ({ ...step, shifted: true }));
    case 'HealthGateEvaluated':
      return withStep(attempt, (step) => recordGate(attempt.command.payload.healthGates, step, envelope.payload as PayloadOf<'HealthGateEvaluated'>));
    case 'DeploymentPromoted':
      return { ...attempt, status: 'promoted', finishedAt: at, promoted: envelope.payload as PayloadOf<'DeploymentPromoted'> };
    case 'PromotionFailed':
      return { ...attempt, status: 'failed', finishedAt: at, failure: envelope.payload as PayloadOf<'PromotionFailed'> };
    case 'RollbackDeployment': {
      const { reason, toRevision } = envelope.payload as PayloadOf<'RollbackDeployment'>;
      const rollback = { reason, ...(toRevision ? { toRevision } : {}), commits: committedRevisions(attempt).reverse(), reverts: [] };
      return { ...attempt, status: 'rolling-back', rollback };
    }
    case 'CommitCreated':
      return committed(attempt, envelope.payload as PayloadOf<'CommitCreated'>);
    case 'DeploymentRolledBack':
      return { ...attempt, status: 'rolled-back', rolledBack: envelope.payload as PayloadOf<'DeploymentRolledBack'> };
    default:
      return attempt;
  }
}

// The first render fixes the plan: its pinned slot is the baseline every later step's weights are derived from.
function rendering(attempt: Attempt, render: Envelope<PayloadOf<'RenderManifest'>>): Attempt {
  const isFirst = attempt.steps.length === 0;
  const baseline = isFirst ? baselineOf(render.payload.trafficWeights) : attempt.baseline;
  const planned = isFirst ? planSteps(attempt.command.payload.strategy, baseline) : attempt.steps;
  const current = attempt.current + 1;
  const gates = attempt.command.payload.healthGates.map(() => ({ consecutive: 0, requests: 0, errors: 0 }));
  const steps = planned.map((step, index): StepState => (index === current ? { ...step, renderId: render.id, shifted: false, gates } : { shifted: false, gates: [], ...step }));
  return { ...attempt, baseline, steps, current };
}

function withStep(attempt: Attempt, change: (step: StepState) => StepState): Attempt {
  const step = attempt.steps[attempt.current];
  if (!step) return attempt;
  const changed = change(step);
  if (changed === step) return attempt;
  return { ...attempt, steps: attempt.steps.map((s, index) => (index === attempt.current ? changed : s)) };
}

/**
 * The revisions this attempt committed up to its current step. A runtime counts a slot's traffic under the revision
 * its spec was first applied at, and a canary step that only moves weights leaves the canary's spec as it was: its
 * traffic stays under an earlier step's revision, and it is still this release's traffic.
 */
export function releaseRevisions(attempt: Attempt): ReadonlySet<string> {
  return new Set(attempt.steps.slice(0, attempt.current + 1).flatMap((s) => (s.revision === undefined ? [] : [s.revision])));
}

// Probe streaks of the step's revision and traffic counters of this release's revisions, per gate: each http-probe
// gate has its own path and status.
function observeHealth(gates: readonly schemas.HealthGate[], step: StepState, mine: ReadonlySet<string>, report: PayloadOf<'RuntimeHealthReported'>): StepState {
  if (step.revision === undefined || step.syncedAt === undefined) return step;
  const probes = report.probes.filter((p) => p.revision === step.revision);
  const traffic = sumTraffic(report.traffic.filter((t) => mine.has(t.revision)));
  const progress = step.gates.map((gate, index): GateProgress => {
    const spec = gates[index];
    if (!spec || gate.result) return gate;
    let next = gate;
    if (spec.kind === 'http-probe') {
      for (const probe of probes.filter((p) => p.path === spec.path)) {
        const ok = probe.ok && probe.status === (spec.expectStatus ?? 200);
        next = { ...next, consecutive: ok ? next.consecutive + 1 : 0, lastStatus: probe.status };
      }
    }
    if (traffic) {
      next = { ...next, requests: next.requests + traffic.requests, errors: next.errors + traffic.errors5xx, ...(traffic.p99Ms === null ? {} : { p99Ms: traffic.p99Ms }) };
    }
    return next;
  });
  return { ...step, gates: progress };
}

type Traffic = PayloadOf<'RuntimeHealthReported'>['traffic'][number];
/** one window's counters over several revisions (p99: the worst of them); undefined when none */
function sumTraffic(entries: readonly Traffic[]): { requests: number; errors5xx: number; p99Ms: number | null } | undefined {
  if (entries.length === 0) return undefined;
  const p99s = entries.flatMap((t) => (t.p99Ms === null ? [] : [t.p99Ms]));
  return { requests: entries.reduce((n, t) => n + t.requests, 0), errors5xx: entries.reduce((n, t) => n + t.errors5xx, 0), p99Ms: p99s.length > 0 ? Math.max(...p99s) : null };
}

// HealthGateEvaluated carries the gate itself, not its index: the first unresolved gate with the same spec is it.
function recordGate(specs: readonly schemas.HealthGate[], step: StepState, evaluated: PayloadOf<'HealthGateEvaluated'>): StepState {
  const { gate, passed, observed, message } = evaluated;
  const spec = JSON.stringify(gate);
  const at = step.gates.findIndex((g, i) => g.result === undefined && JSON.stringify(specs[i]) === spec);
  if (at < 0 || evaluated.revision !== step.revision) return step;
  return { ...step, gates: step.gates.map((g, i) => (i === at ? { ...g, result: { gate, passed, observed, message } } : g)) };
}

function committed(attempt: Attempt, commit: PayloadOf<'CommitCreated'>): Attempt {
  const key = commit.idempotencyKey ?? '';
  if (key.startsWith('manifest:')) return { ...attempt, parents: { ...attempt.parents, [commit.sha]: commit.parentSha ?? null } };
  const rollback = attempt.rollback;
  const reverting = rollback?.commits[rollback.reverts.length];
  if (!rollback || reverting === undefined || key !== revertKey(attempt.command.id, reverting)) return attempt;
  return { ...attempt, rollback: { ...rollback, reverts: [...rollback.reverts, { sha: reverting, revertSha: commit.sha }] } };
}

/** The revisions this attempt committed (changed renders), oldest first, each once. */
export function committedRevisions(attempt: Attempt): string[] {
  const revisions = attempt.steps.filter((s) => s.changed === true && s.revision !== undefined).map((s) => s.revision as string);
  return [...new Set(revisions)];
}

/** The newest revision any step of the attempt rendered (committed or already there). */
export function latestRevision(attempt: Attempt): string | undefined {
  return attempt.steps.map((s) => s.revision).filter((r): r is string => r !== undefined).at(-1);
}

/** The commit service's idempotency key of one revert of a rollback (README, correlation rules). */
export function revertKey(promoteId: string, sha: string): string {
  return `rollback:${promoteId}:${sha}`;
}
