import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Envelope, PayloadOf } from '@delivery/contracts';
import { NotFoundError, uuidv7 } from '@delivery/messaging';
import { approvalStatus, decideApproval, requiredApprovals, resolveRule, type RecordedApproval } from '../domain/approval-policy';
import { assertWindowOpen } from '../domain/deployment-window';
import type { ReleaseState } from '../domain/release-plan.decider';
import { ReleaseBuilds } from '../release.builds';
import { ReleaseFlow, type LoadedRelease } from '../release.flow';
import { ReleasePolicies } from '../release.policies';
import { ReleaseCommandHandler, type ReleaseBusCommand } from './release-command.handler';

type Command<T extends ReleaseBusCommand> = Envelope<PayloadOf<T>, T>;

@Injectable()
export class PlanReleaseHandler extends ReleaseCommandHandler<'PlanRelease'> {
  protected readonly type = 'PlanRelease';

  constructor(flow: ReleaseFlow, private readonly builds: ReleaseBuilds) {
    super(flow);
  }

  protected override releaseIdOf(command: Command<'PlanRelease'>): string {
    return command.payload.releaseId ?? uuidv7();
  }

  protected async prepare(command: Command<'PlanRelease'>, loaded: LoadedRelease, manager: EntityManager) {
    const build = await this.builds.find(manager, command.tenantId, command.payload.buildId);
    // the release continues the build's trace when the build is known
    const scope = { tenantId: command.tenantId, projectId: command.projectId, traceId: build?.traceId ?? command.traceId };
    return { context: { releaseId: loaded.releaseId, actor: command.actor, now: new Date(), build: build && { status: build.status } }, scope };
  }
}

@Injectable()
export class ReviseReleaseHandler extends ReleaseCommandHandler<'ReviseRelease'> {
  protected readonly type = 'ReviseRelease';

  constructor(flow: ReleaseFlow, private readonly builds: ReleaseBuilds) {
    super(flow);
  }

  protected async prepare(command: Command<'ReviseRelease'>, _loaded: LoadedRelease, manager: EntityManager) {
    const { buildId } = command.payload;
    const build = buildId === undefined ? undefined : await this.builds.find(manager, command.tenantId, buildId);
    return { context: { actor: command.actor, now: new Date(), build: build && { status: build.status } } };
  }
}

@Injectable()
export class SubmitReleaseHandler extends ReleaseCommandHandler<'SubmitRelease'> {
  protected readonly type = 'SubmitRelease';

  constructor(flow: ReleaseFlow, private readonly policies: ReleasePolicies) {
    super(flow);
  }

  protected async prepare(command: Command<'SubmitRelease'>, loaded: LoadedRelease, manager: EntityManager) {
    const plan = planOf(loaded);
    const { policy } = await this.policies.of(manager, loaded.row?.tenantId ?? command.tenantId, loaded.row?.projectId ?? command.projectId);
    const required = requiredApprovals(policy, plan.environments.map((e) => e.name));
    return { context: { actor: command.actor, now: new Date(), requiredApprovals: required, expiresAt: null } };
  }
}

// Segregation of duties and the deployment window are the policy's: decideApproval refuses the planner (403) and
// a second role by the same approver, a repeated approval is a no-op, and a closed window is a 409 naming the next.
@Injectable()
export class ApproveReleaseHandler extends ReleaseCommandHandler<'ApproveRelease'> {
  protected readonly type = 'ApproveRelease';

  constructor(flow: ReleaseFlow, private readonly policies: ReleasePolicies) {
    super(flow);
  }

  protected async prepare(command: Command<'ApproveRelease'>, loaded: LoadedRelease, manager: EntityManager) {
    const plan = planOf(loaded);
    const { environment, role } = command.payload;
    const now = new Date();
    const { policy } = await this.policies.of(manager, loaded.row?.tenantId ?? command.tenantId, loaded.row?.projectId ?? command.projectId);
    const existing = recordedApprovals(loaded.state);
    const decision = decideApproval({ policy, environment, role, approver: command.actor, planner: plan.plannedBy, existing, now });
    if (decision.outcome === 'duplicate') return { context: { actor: command.actor, now, decision, satisfied: null } };
    assertWindowOpen(resolveRule(policy, environment).entry, now);
    const approvals = [...existing, { environment, role, approver: command.actor, at: now, expiresAt: decision.expiresAt }];
    const status = approvalStatus({ policy, environment, approvals, now });
    return { context: { actor: command.actor, now, decision, satisfied: status.satisfied ? { rule: status.rule, windowOpensAt: null } : null } };
  }
}

@Injectable()
export class RejectReleaseHandler extends ReleaseCommandHandler<'RejectRelease'> {
  protected readonly type = 'RejectRelease';

  constructor(flow: ReleaseFlow) {
    super(flow);
  }

  protected prepare(command: Command<'RejectRelease'>) {
    return Promise.resolve({ context: { actor: command.actor, now: new Date() } });
  }
}

@Injectable()
export class RetryReleaseHandler extends ReleaseCommandHandler<'RetryRelease'> {
  protected readonly type = 'RetryRelease';

  constructor(flow: ReleaseFlow) {
    super(flow);
  }

  protected prepare(command: Command<'RetryRelease'>) {
    return Promise.resolve({ context: { actor: command.actor, now: new Date() } });
  }
}

export const RELEASE_COMMAND_HANDLERS = [PlanReleaseHandler, ReviseReleaseHandler, SubmitReleaseHandler, ApproveReleaseHandler, RejectReleaseHandler, RetryReleaseHandler];

function planOf(loaded: LoadedRelease) {
  if (loaded.state.plan === null) throw new NotFoundError('release.not-found', `release ${loaded.releaseId} not found`);
  return loaded.state.plan;
}

/** every approval that still stands, all environments, as the policy functions count them */
function recordedApprovals(state: ReleaseState): RecordedApproval[] {
  return state.environments.flatMap((e) =>
    e.approvals.map((a) => ({ environment: e.name, role: a.role, approver: a.approver, at: new Date(a.at), expiresAt: a.expiresAt === null ? null : new Date(a.expiresAt) })),
  );
}
