import type { Attempt } from './domain/promotion.state';

// What GET /promotions/:releaseId/:environment answers: the latest attempt and its step timeline.
export function promotionView(attempt: Attempt) {
  const { command } = attempt;
  const { releaseId, environment, application, version, strategy } = command.payload;
  return {
    releaseId,
    environment,
    application,
    version,
    attempt: command.payload.attempt,
    promoteId: command.id,
    status: attempt.status,
    strategy: strategy.kind,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt ?? null,
    revision: attempt.promoted?.revision ?? attempt.steps.map((s) => s.revision).filter((r) => r !== undefined).at(-1) ?? null,
    steps: attempt.steps.map((step) => ({
      index: step.index,
      step: step.step,
      weights: step.weights ?? null,
      state: step.renderId === undefined ? 'planned' : step.revision === undefined ? 'rendering' : step.syncedAt === undefined ? 'syncing' : 'gating',
      revision: step.revision ?? null,
      changed: step.changed ?? null,
      syncedAt: step.syncedAt ?? null,
      trafficShifted: step.shifted,
      gates: step.gated ? step.gates.map((g, index) => ({ gate: command.payload.healthGates[index], result: g.result ?? null })) : [],
    })),
    failure: attempt.failure ?? null,
    rollback: attempt.rollback ? { reason: attempt.rollback.reason, commits: attempt.rollback.commits, reverts: attempt.rollback.reverts, result: attempt.rolledBack ?? null } : null,
  };
}
