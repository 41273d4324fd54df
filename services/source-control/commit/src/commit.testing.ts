import type { Envelope, PayloadOf } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import { announcePolicy, createGitSandbox, repositoryKnown, seedRepository, type GitSandbox, type SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService, ServiceDefinition } from '@delivery/service-kit';
import { createServiceFixture, waitForEvent, waitForMessages, type ServiceFixture } from '@delivery/testing';
import { commitService } from './commit.service';

// Shared by the commit service's integration tests (real NATS, Postgres and git).
export type CommitCreatedEvent = Envelope<PayloadOf<'CommitCreated'>, 'CommitCreated'>;
export type CommitFailedEvent = Envelope<PayloadOf<'CommitFailed'>, 'CommitFailed'>;

/** seedRepository, then wait until the service's own directory has it (its projection lags by milliseconds) */
export function seedKnown(fx: ServiceFixture, sandbox: GitSandbox, service: RunningService, name: string, options: Parameters<typeof seedRepository>[3] = {}): Promise<SeededRepository> {
  return seedRepository(fx, sandbox, name, { ...options, knownBy: service });
}

/** announces a protected branch the way the branch service does, and waits until the commit service knows it */
export function protectBranch(fx: ServiceFixture, service: RunningService, repositoryId: string, branch: string): Promise<void> {
  const policy = { protected: true, requiredChecks: [], minimumApprovals: 1, reviewerNotAuthor: true, allowedMergeStrategies: ['squash' as const] };
  return announcePolicy(fx, { repositoryId, locator: { tenantId: 'acme', projectId: 'web' } }, policy, { branch, knownBy: service });
}

export function commitCreated(fx: ServiceFixture, predicate: (event: CommitCreatedEvent) => boolean, timeoutMs?: number): Promise<CommitCreatedEvent> {
  return waitForEvent<CommitCreatedEvent>(fx.bus, 'source-control', 'CommitCreated', predicate, timeoutMs);
}

export function commitsCreated(fx: ServiceFixture, count: number, predicate: (event: CommitCreatedEvent) => boolean, timeoutMs = 20_000): Promise<CommitCreatedEvent[]> {
  const names = fx.bus.names;
  return waitForMessages<CommitCreatedEvent>(fx.bus, { stream: names.eventStream('source-control'), subject: names.eventFilter('source-control', 'CommitCreated'), predicate, count, timeoutMs });
}

export function commitFailed(fx: ServiceFixture, predicate: (event: CommitFailedEvent) => boolean): Promise<CommitFailedEvent> {
  return waitForEvent<CommitFailedEvent>(fx.bus, 'source-control', 'CommitFailed', predicate);
}

/** the envelope fx.send would publish, without publishing it (to know its id beforehand) */
export function commandOf<T extends 'CreateCommit' | 'RevertCommit'>(type: T, payload: PayloadOf<T>): Envelope<PayloadOf<T>, T> {
  return createEnvelope(type, payload, { source: 'test-agent', tenantId: 'acme', projectId: 'web', actor: { kind: 'agent', id: 'agent-7' } });
}

/** A service that commits through the commit service (it sends CreateCommit), both running on real NATS, Postgres
 * and git: the integration harness of deployment-manifest and pipeline-generator. */
export interface CommittingHarness {
  fx: ServiceFixture;
  sandbox: GitSandbox;
  service: RunningService;
  /** the commit service, once started */
  commits?: RunningService;
  startCommits(): Promise<RunningService>;
  /** a repository both running services know */
  repository(name: string, files?: Record<string, string>): Promise<SeededRepository>;
  close(): Promise<void>;
}

/** options.commits false: the commit service starts later (startCommits), so CreateCommits wait on the bus */
export async function startCommittingHarness(prefix: string, definition: ServiceDefinition, options: { commits?: boolean } = {}): Promise<CommittingHarness> {
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture(prefix);
  const service = await fx.start(definition);
  const harness: CommittingHarness = {
    fx,
    sandbox,
    service,
    async startCommits() {
      harness.commits = await fx.start(commitService());
      return harness.commits;
    },
    async repository(name, files) {
      const repo = await seedRepository(fx, sandbox, name, { ...(files ? { files } : {}), knownBy: service });
      if (harness.commits) await repositoryKnown(harness.commits, repo.repositoryId);
      return repo;
    },
    async close() {
      await fx.close();
      await sandbox.close();
    },
  };
  if (options.commits ?? true) await harness.startCommits();
  return harness;
}
