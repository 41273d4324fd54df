import type { Envelope, MessageType, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import { applyDecision, decide, type Decision, type Input, type TimerSpec } from './promotion';
import type { Baseline } from './promotion.plan';
import { initialState, type PromoteCommand, type PromotionState } from './promotion.state';

// A promotion driven by hand: what the engine does around decide(), without a database.
export const sha = (c: string) => c.repeat(40);
export const T0 = new Date('2026-12-01T10:00:00.000Z');
export const RELEASE = 'rel-1';
export const ENV = 'prod1';
export const APP = 'shop-api';
const tenant = { tenantId: 'acme', projectId: 'web' };

export function promoteCommand(strategy: schemas.Strategy, healthGates: schemas.HealthGate[] = []): PromoteCommand {
  return createEnvelope(
    'PromoteDeployment',
    {
      releaseId: RELEASE,
      environment: ENV,
      application: APP,
      version: '1.4.0',
      artifacts: { packages: [], images: [{ registry: 'registry.local:5000', repository: 'shop/api', digest: `sha256:${'d'.repeat(64)}` }] },
      workload: { name: APP, command: ['node', 'main.js'], port: 8080, replicas: 2 },
      strategy,
      healthGates,
      gitops: { repositoryId: 'gitops-repo', branch: 'main', path: 'envs/prod1/shop-api' },
      attempt: 1,
    },
    { source: 'release', ...tenant, occurredAt: T0 },
  );
}

export function foreign<T extends MessageType>(type: T, payload: PayloadOf<T>, options: { correlationId?: string; causationId?: string } = {}): Envelope<PayloadOf<T>, T> {
  return createEnvelope(type, payload, { source: 'test', ...tenant, ...options });
}

export class Sim {
  state: PromotionState = initialState;
  sent: Envelope[] = [];
  timers: TimerSpec[] = [];
  now = T0;
  promoteId = '';

  at(seconds: number): this {
    this.now = new Date(T0.getTime() + seconds * 1000);
    return this;
  }

  input(input: Input): Decision {
    const decision = decide(this.state, input);
    if (decision.rejection) return decision;
    const { state, events } = applyDecision(this.state, input, decision, (draft, attempt, causationId) =>
      createEnvelope(draft.type, draft.payload as never, { source: 'environment-promotion', ...tenant, correlationId: attempt.command.id, causationId, occurredAt: this.now }) as Envelope,
    );
    this.state = state;
    this.sent.push(...events.filter((e) => e.source === 'environment-promotion'));
    this.timers.push(...decision.timers);
    if (decision.cancelTimers) this.timers = [];
    return decision;
  }

  promote(command: PromoteCommand, baseline: Baseline | null = null): Decision {
    const decision = this.input({ kind: 'promote', command, baseline, now: this.now });
    if (decision.append) this.promoteId = command.id;
    return decision;
  }

  event(envelope: Envelope): Decision {
    return this.input({ kind: 'event', envelope, now: this.now });
  }

  tick(): Decision {
    return this.input({ kind: 'tick', promoteId: this.promoteId, now: this.now });
  }

  of<T extends MessageType>(type: T): Array<Envelope<PayloadOf<T>, T>> {
    return this.sent.filter((e) => e.type === type) as Array<Envelope<PayloadOf<T>, T>>;
  }

  lastRender(): Envelope<PayloadOf<'RenderManifest'>, 'RenderManifest'> {
    const render = this.of('RenderManifest').at(-1);
    if (!render) throw new Error('nothing rendered');
    return render;
  }

  /** the manifest service's answer to the last RenderManifest, and the commit service's CommitCreated before it */
  rendered(revision: string, options: { changed?: boolean; parentSha?: string } = {}): Decision {
    const render = this.lastRender();
    const changed = options.changed ?? true;
    if (changed) {
      const key = `manifest:${RELEASE}:${ENV}:${'0'.repeat(32)}`;
      this.event(foreign('CommitCreated', { repositoryId: 'gitops-repo', branch: 'main', sha: revision, parentSha: options.parentSha ?? sha('0'), idempotencyKey: key }, { correlationId: this.promoteId }));
    }
    const files = [{ path: 'envs/prod1/shop-api/workload.json', digest: `sha256:${'e'.repeat(64)}` }];
    return this.event(
      foreign(
        'DeploymentManifestRendered',
        { releaseId: RELEASE, environment: ENV, application: APP, repositoryId: 'gitops-repo', branch: 'main', files, contentDigest: `sha256:${'f'.repeat(64)}`, changed, revision },
        { correlationId: this.promoteId, causationId: render.id },
      ),
    );
  }

  synced(revision: string, health: PayloadOf<'GitOpsSynced'>['health'] = 'Healthy', sync: PayloadOf<'GitOpsSynced'>['sync'] = 'Synced'): Decision {
    return this.event(foreign('GitOpsSynced', { environment: ENV, application: APP, repositoryId: 'gitops-repo', revision, releaseId: RELEASE, sync, health, workloads: [], durationMs: 5 }));
  }

  health(revision: string, report: { probes?: Array<{ ok: boolean; status?: number | null; path?: string }>; requests?: number; errors?: number; p99Ms?: number | null }): Decision {
    const probes = (report.probes ?? []).map((p) => ({ revision, path: p.path ?? '/health', status: p.status === undefined ? (p.ok ? 200 : 500) : p.status, ok: p.ok, latencyMs: 3 }));
    const traffic =
      report.requests === undefined ? [] : [{ revision, weight: 100, requests: report.requests, errors5xx: report.errors ?? 0, p50Ms: null, p99Ms: report.p99Ms ?? null }];
    return this.event(
      foreign('RuntimeHealthReported', { environment: ENV, application: APP, windowStart: this.now.toISOString(), windowEnd: this.now.toISOString(), health: 'Healthy', probes, traffic }),
    );
  }
}
