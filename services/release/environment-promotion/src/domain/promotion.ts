import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { evaluateGate, gateDueSeconds } from './promotion.gates';
import { deadlineSeconds, initialWeights, planSteps, weightsChanged, type Baseline, type PlannedStep } from './promotion.plan';
import {
  committedRevisions,
  evolve,
  latestRevision,
  releaseRevisions,
  revertKey,
  type Attempt,
  type GateResult,
  type PromoteCommand,
  type PromotionState,
  type RollbackCommand,
  type StepState,
} from './promotion.state';

// The promotion state machine (issue 4, services/release/README.md): decide(state, input) says what an input
// causes — the messages to send and events to record, the timers to set — and never touches I/O. The state is
// evolve() over the stream and the observations; decide() runs evolve on what it emits to chain steps.

type Sent = 'RenderManifest' | 'TrafficShifted' | 'HealthGateEvaluated' | 'DeploymentPromoted' | 'PromotionFailed' | 'RevertCommit' | 'DeploymentRolledBack';
export type Draft = { [T in Sent]: { type: T; payload: PayloadOf<T> } }[Sent];
export type Stage = PayloadOf<'PromotionFailed'>['stage'];

export type Input =
  | { kind: 'promote'; command: PromoteCommand; baseline: Baseline | null; now: Date }
  | { kind: 'rollback'; command: RollbackCommand; now: Date }
  /** a foreign event: render answers, GitOps reports, runtime health, commit answers */
  | { kind: 'event'; envelope: Envelope; now: Date }
  /** a timer of the attempt fired: whatever is due now (a soak, a probe deadline, the promotion deadline) */
  | { kind: 'tick'; promoteId: string; now: Date };

export interface TimerSpec {
  key: string;
  kind: 'deadline' | 'gate' | 'pause';
  dueAt: Date;
}

export interface Decision {
  /** the input (a command) joins the stream */
  append: boolean;
  /** the input (a foreign event) is kept as an observation: evolve needs it to rebuild the state */
  observe: boolean;
  messages: Draft[];
  timers: TimerSpec[];
  /** the attempt ended: its pending timers are moot */
  cancelTimers: boolean;
  rejection?: { kind: 'illegal-state' | 'dependency'; code: string; message: string };
}

const nothing = (): Decision => ({ append: false, observe: false, messages: [], timers: [], cancelTimers: false });

export function decide(state: PromotionState, input: Input): Decision {
  switch (input.kind) {
    case 'promote':
      return promote(state, input.command, input.baseline, input.now);
    case 'rollback':
      return rollback(state, input.command, input.now);
    case 'tick':
      return state.attempt?.command.id === input.promoteId ? run(state, nothing(), input.now, (ctx) => ctx.advance()) : nothing();
    case 'event':
      return onEvent(state, input.envelope, input.now);
  }
}

/** Timer keys of one attempt share this prefix, so ending it cancels them all. */
export const timerPrefix = (promoteId: string) => `promotion:${promoteId}:`;

function promote(state: PromotionState, command: PromoteCommand, baseline: Baseline | null, now: Date): Decision {
  const attempt = state.attempt;
  if (attempt?.command.id === command.id) return nothing();
  if (attempt && (attempt.status === 'promoting' || attempt.status === 'rolling-back')) {
    return { ...nothing(), rejection: { kind: 'illegal-state', code: 'promotion.in-progress', message: `attempt ${attempt.command.payload.attempt} of this promotion is still ${attempt.status}` } };
  }
  const steps = planSteps(command.payload.strategy, baseline);
  const deadlineAt = new Date(Date.parse(command.occurredAt) + deadlineSeconds(steps, command.payload.healthGates) * 1000);
  const decision: Decision = { ...nothing(), append: true, timers: [{ key: `${timerPrefix(command.id)}deadline`, kind: 'deadline', dueAt: deadlineAt }] };
  return run(state, decision, now, (ctx) => {
    ctx.take(command);
    ctx.render(steps[0] as PlannedStep);
  });
}

function rollback(state: PromotionState, command: RollbackCommand, now: Date): Decision {
  const attempt = state.attempt;
  const refuse = (code: string, message: string): Decision => ({ ...nothing(), rejection: { kind: 'illegal-state', code, message } });
  if (!attempt) return refuse('promotion.not-found', 'this release was never promoted to the environment');
  if (attempt.status === 'promoting') return refuse('promotion.in-progress', 'the promotion is still running: it fails or completes before it can be rolled back');
  if (attempt.status === 'rolling-back' || attempt.status === 'rolled-back') return nothing();
  const latest = latestRevision(attempt);
  if (latest === undefined) return refuse('rollback.nothing-to-revert', 'the promotion never rendered a revision, so there is nothing to roll back');
  return run(state, { ...nothing(), append: true }, now, (ctx) => {
    ctx.take(command);
    ctx.advanceRollback();
  });
}

function onEvent(state: PromotionState, envelope: Envelope, now: Date): Decision {
  const attempt = state.attempt;
  if (!attempt) return nothing();
  const step = attempt.steps[attempt.current];
  const promoting = attempt.status === 'promoting' && step !== undefined;
  const observe = (then?: (ctx: Context) => void) => run(state, { ...nothing(), observe: true }, now, (ctx) => {
    ctx.observe(envelope);
    then?.(ctx);
  });
  const correlated = envelope.correlationId === attempt.command.id;
  switch (envelope.type) {
    case 'DeploymentManifestRendered':
      return promoting && correlated && envelope.causationId === step.renderId && step.revision === undefined ? observe((ctx) => ctx.advance()) : nothing();
    case 'DeploymentManifestRenderFailed': {
      if (!promoting || !correlated || envelope.causationId !== step.renderId || step.revision !== undefined) return nothing();
      const { error } = envelope.payload as PayloadOf<'DeploymentManifestRenderFailed'>;
      return run(state, nothing(), now, (ctx) => ctx.fail(commitStage(error.code), error));
    }
    case 'GitOpsSynced': {
      const synced = envelope.payload as PayloadOf<'GitOpsSynced'>;
      if (!promoting || synced.revision !== step.revision) return nothing();
      if (synced.health === 'Degraded' || synced.health === 'Missing') {
        return run(state, nothing(), now, (ctx) => ctx.fail('sync', { code: `sync.${synced.health.toLowerCase()}`, message: `${synced.application} is ${synced.health} at ${synced.revision}`, retryable: false }));
      }
      // gates start when the rollout is done: Synced and Healthy, every replica on this revision's spec and ready.
      // While it is Progressing, replicas of the previous spec still serve in the slot under its new revision's
      // counters (a surge rollout), and a canary's first window would count their answers as the canary's.
      if (synced.sync !== 'Synced' || synced.health !== 'Healthy' || step.syncedAt !== undefined) return nothing();
      return observe((ctx) => {
        ctx.scheduleGates(now);
        ctx.advance();
      });
    }
    case 'GitOpsSyncFailed': {
      const failed = envelope.payload as PayloadOf<'GitOpsSyncFailed'>;
      return promoting && failed.revision === step.revision ? run(state, nothing(), now, (ctx) => ctx.fail('sync', failed.error)) : nothing();
    }
    case 'RuntimeHealthReported': {
      const report = envelope.payload as PayloadOf<'RuntimeHealthReported'>;
      const mine = releaseRevisions(attempt);
      const pending = step?.gated === true && step.gates.some((g) => g.result === undefined);
      return promoting && step.syncedAt !== undefined && pending && (report.probes.some((p) => p.revision === step.revision) || report.traffic.some((t) => mine.has(t.revision))) ? observe((ctx) => ctx.advance()) : nothing();
    }
    case 'CommitCreated': {
      if (!correlated) return nothing();
      const key = (envelope.payload as PayloadOf<'CommitCreated'>).idempotencyKey ?? '';
      if (key.startsWith('manifest:')) return observe();
      return key === currentRevertKey(attempt) ? observe((ctx) => ctx.advanceRollback()) : nothing();
    }
    case 'CommitFailed': {
      const failed = envelope.payload as PayloadOf<'CommitFailed'>;
      if (failed.idempotencyKey === undefined || failed.idempotencyKey !== currentRevertKey(attempt)) return nothing();
      // an operator must see a revert that failed: the answer dead-letters and is replayed once git is fixed
      return { ...nothing(), rejection: { kind: 'dependency', code: 'rollback.revert-failed', message: `${failed.idempotencyKey}: ${failed.error.code}: ${failed.error.message}` } };
    }
    default:
      return nothing();
  }
}

function currentRevertKey(attempt: Attempt): string | undefined {
  const rollback = attempt.rollback;
  const sha = attempt.status === 'rolling-back' ? rollback?.commits[rollback.reverts.length] : undefined;
  return sha === undefined ? undefined : revertKey(attempt.command.id, sha);
}

// render answers of the manifest service name git and commit failures with these code prefixes
const commitStage = (code: string): Stage => (/^(git|commit|branch)\./.test(code) ? 'commit' : 'render');

function run(state: PromotionState, decision: Decision, now: Date, work: (ctx: Context) => void): Decision {
  const ctx = new Context(state, decision, now);
  work(ctx);
  return ctx.decision;
}

// The working state of one decision: every emitted message is folded in at once, so the next rule sees it.
class Context {
  constructor(
    private state: PromotionState,
    readonly decision: Decision,
    private readonly now: Date,
  ) {}

  private get attempt(): Attempt {
    const attempt = this.state.attempt;
    if (!attempt) throw new Error('no promotion attempt');
    return attempt;
  }

  private get step(): StepState | undefined {
    return this.attempt.steps[this.attempt.current];
  }

  take(command: PromoteCommand | RollbackCommand): void {
    this.state = evolve(this.state, { envelope: command, at: this.now.toISOString() });
  }

  observe(envelope: Envelope): void {
    this.state = evolve(this.state, { envelope, at: this.now.toISOString() });
  }

  private emit(draft: Draft): void {
    this.decision.messages.push(draft);
    const attempt = this.attempt;
    const envelope: Envelope = {
      ...attempt.command,
      id: '',
      type: draft.type,
      kind: draft.type === 'RenderManifest' || draft.type === 'RevertCommit' ? 'command' : 'event',
      causationId: null,
      occurredAt: this.now.toISOString(),
      payload: draft.payload,
    };
    this.state = evolve(this.state, { envelope, at: this.now.toISOString() });
    if (draft.type === 'DeploymentPromoted' || draft.type === 'PromotionFailed' || draft.type === 'DeploymentRolledBack') this.decision.cancelTimers = true;
  }

  render(step: PlannedStep): void {
    const { releaseId, environment, application, version, artifacts, workload, strategy, gitops } = this.attempt.command.payload;
    const payload = { releaseId, environment, application, version, artifacts, workload, strategy, gitops, ...(step.weights ? { trafficWeights: step.weights } : {}) };
    this.emit({ type: 'RenderManifest', payload });
  }

  /** Timers for the time-bound gates and the pause of the step that just synced. */
  scheduleGates(syncedAt: Date): void {
    const step = this.step;
    if (!step) return;
    const prefix = `${timerPrefix(this.attempt.command.id)}step-${step.index}:`;
    if (step.pauseSeconds) this.decision.timers.push({ key: `${prefix}pause`, kind: 'pause', dueAt: new Date(syncedAt.getTime() + step.pauseSeconds * 1000) });
    if (!step.gated) return;
    this.attempt.command.payload.healthGates.forEach((gate, index) => {
      const seconds = gateDueSeconds(gate);
      if (seconds === undefined) return;
      this.decision.timers.push({ key: `${prefix}gate-${index}`, kind: 'gate', dueAt: new Date(syncedAt.getTime() + seconds * 1000) });
    });
  }

  fail(stage: Stage, error: schemas.Failure, failedGate?: GateResult): void {
    const { releaseId, environment } = this.attempt.command.payload;
    const revision = committedRevisions(this.attempt).at(-1) ?? null;
    this.emit({ type: 'PromotionFailed', payload: { releaseId, environment, revision, stage, ...(failedGate ? { failedGate } : {}), error } });
  }

  /** Moves the attempt as far as what it has seen allows: deadline, traffic, gates, next step, done. */
  advance(): void {
    for (;;) {
      const attempt = this.attempt;
      const step = this.step;
      if (attempt.status !== 'promoting' || !step) return;
      const deadline = Date.parse(attempt.startedAt) + deadlineSeconds(attempt.steps, attempt.command.payload.healthGates) * 1000;
      if (this.now.getTime() >= deadline) {
        return this.fail('deadline', { code: 'promotion.deadline', message: `the promotion did not complete by ${new Date(deadline).toISOString()}`, retryable: true });
      }
      if (step.revision === undefined || step.syncedAt === undefined) return;
      this.shiftTraffic(step);
      if (step.gated && !this.evaluateGates()) return;
      // only a pause waits on the clock (its timer comes back): without one, an input stamped a moment before the
      // sync it is decided after must not hold the step
      if (step.pauseSeconds && this.now.getTime() < Date.parse(step.syncedAt) + step.pauseSeconds * 1000) return;
      const next = attempt.steps[attempt.current + 1];
      if (next) {
        this.render(next);
        continue;
      }
      return this.promoted();
    }
  }

  private shiftTraffic(step: StepState): void {
    const attempt = this.attempt;
    const before = attempt.current === 0 ? initialWeights(attempt.baseline) : attempt.steps[attempt.current - 1]?.weights;
    if (step.shifted || step.weights === undefined || !weightsChanged(before, step.weights)) return;
    const revision = step.revision as string;
    const weights = step.weights.map((w) => (w.revision === undefined ? { ...w, revision } : w));
    const { releaseId, environment } = attempt.command.payload;
    this.emit({ type: 'TrafficShifted', payload: { releaseId, environment, revision, step: step.step, weights } });
  }

  /** true when every gate of the step passed; emits each verdict once, and the failure on the first failed gate */
  private evaluateGates(): boolean {
    const gates = this.attempt.command.payload.healthGates;
    for (const [index, gate] of gates.entries()) {
      const step = this.step as StepState;
      const progress = step.gates[index];
      if (!progress || progress.result) continue;
      const verdict = evaluateGate(gate, progress, step.syncedAt as string, this.now);
      if (verdict.outcome === 'wait') continue;
      const result: GateResult = { gate, passed: verdict.outcome === 'pass', observed: verdict.observed, message: verdict.message };
      const { releaseId, environment } = this.attempt.command.payload;
      this.emit({ type: 'HealthGateEvaluated', payload: { releaseId, environment, revision: step.revision as string, step: step.step, ...result } });
      if (!result.passed) {
        this.fail('health-gate', { code: `health-gate.${gate.kind}`, message: `${gate.name ?? gate.kind}: ${verdict.message}`, retryable: false }, result);
        return false;
      }
    }
    return (this.step as StepState).gates.every((g) => g.result?.passed === true);
  }

  private promoted(): void {
    const attempt = this.attempt;
    const { releaseId, environment, application, version, strategy } = attempt.command.payload;
    const gates = attempt.steps.flatMap((s) => s.gates.map((g) => g.result).filter((r): r is GateResult => r !== undefined));
    const revision = this.step?.revision as string;
    const durationMs = Math.max(0, this.now.getTime() - Date.parse(attempt.startedAt));
    this.emit({ type: 'DeploymentPromoted', payload: { releaseId, environment, application, version, revision, strategy: strategy.kind, gates, durationMs } });
  }

  /** Reverts the attempt's manifest commits one at a time, newest first; the last answer ends the rollback. */
  advanceRollback(): void {
    const attempt = this.attempt;
    const rollback = attempt.rollback;
    if (attempt.status !== 'rolling-back' || !rollback) return;
    const { releaseId, environment, application, version, gitops } = attempt.command.payload;
    const next = rollback.commits[rollback.reverts.length];
    if (next !== undefined) {
      const message = `Roll back ${application} ${version} in ${environment}\n\n${rollback.reason}\n\nThis reverts commit ${next}.`;
      const payload = { repositoryId: gitops.repositoryId, branch: gitops.branch, sha: next, message, idempotencyKey: revertKey(attempt.command.id, next), trailers: { 'Release-Id': releaseId } };
      return this.emit({ type: 'RevertCommit', payload });
    }
    // nothing committed: the environment already serves what it served before, the rendered revision
    const latest = latestRevision(attempt) as string;
    const first = rollback.commits.at(-1);
    const last = rollback.reverts.at(-1)?.revertSha ?? latest;
    const toRevision = first === undefined ? latest : (attempt.parents[first] ?? rollback.toRevision ?? last);
    this.emit({ type: 'DeploymentRolledBack', payload: { releaseId, environment, fromRevision: latest, toRevision, revertSha: last, reason: rollback.reason } });
  }
}

/**
 * Folds a decision into the state the way it is stored: the observed input, the taken command, then every message
 * as the envelope `envelopeOf` makes of it. Returns the new state and the envelopes to append to the stream.
 */
export function applyDecision(
  state: PromotionState,
  input: Input,
  decision: Decision,
  envelopeOf: (draft: Draft, attempt: Attempt, causationId: string) => Envelope,
): { state: PromotionState; events: Envelope[] } {
  const taken = input.kind === 'tick' ? undefined : input.kind === 'event' ? input.envelope : input.command;
  const at = input.now.toISOString();
  let next = state;
  const events: Envelope[] = [];
  if (taken && (decision.observe || decision.append)) next = evolve(next, { envelope: taken, at });
  if (taken && decision.append) events.push(taken);
  const attempt = next.attempt;
  if (!attempt) return { state: next, events };
  for (const draft of decision.messages) {
    const envelope = envelopeOf(draft, attempt, taken?.id ?? attempt.command.id);
    events.push(envelope);
    next = evolve(next, { envelope, at });
  }
  return { state: { ...next, version: state.version + events.length }, events };
}
