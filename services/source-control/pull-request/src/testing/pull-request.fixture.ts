import type { Actor, CommandType, Envelope, PayloadOf, schemas } from '@delivery/contracts';
import type { EnvelopeOptions } from '@delivery/messaging';
import { announcePolicy, createGitSandbox, seedRepository, type GitSandbox, type SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService, ServiceDefinition } from '@delivery/service-kit';
import { createServiceFixture, waitForEvent, type ServiceFixture } from '@delivery/testing';
import { pullRequestService } from '../pull-request.service';

// For the pull-request service's integration tests: the service on the real NATS, Postgres and git, repositories
// announced the way the repository service announces them, policies the way the branch service does, and branches
// and commits made straight in the sandbox's git (what an agent's CreateCommit would leave behind).
export interface PullRequestFixture {
  fx: ServiceFixture;
  service: RunningService;
  sandbox: GitSandbox;
  /** a repository the service has projected */
  repository(name: string, options?: { files?: Record<string, string>; tenantId?: string; projectId?: string }): Promise<SeededRepository>;
  /** a commit on a branch (created from main when new); its sha */
  commit(repository: SeededRepository, branch: string, files: Record<string, string>): Promise<string>;
  /** announces a BranchPolicySet and waits until the service has it */
  policy(repository: SeededRepository, policy: schemas.BranchPolicy, branch?: string): Promise<void>;
  /** a command over the bus (agent-7 of acme/web unless told otherwise) */
  send<T extends CommandType>(type: T, payload: PayloadOf<T>, options?: Partial<EnvelopeOptions>): Promise<Envelope<PayloadOf<T>, T>>;
  /** the event of that type caused by the command */
  answer<P>(command: Envelope, type: string): Promise<Envelope<P>>;
  /** opens over the bus and waits for PullRequestOpened */
  open(repository: SeededRepository, sourceBranch: string, extra?: Partial<PayloadOf<'OpenPullRequest'>>, actor?: Actor): Promise<PayloadOf<'PullRequestOpened'>>;
  /** a bearer token for a user of acme (alice unless told otherwise) */
  bearer(scopes: string[], claims?: { sub?: string; tenant?: string; actorKind?: Actor['kind'] }): Promise<string>;
  close(): Promise<void>;
}

export type Rejection = Envelope<PayloadOf<'PullRequestCommandRejected'>>;

/** `definition`: overrides of the service definition (e.g. the consumers it binds) */
export async function startPullRequestFixture(definition: Partial<ServiceDefinition> = {}): Promise<PullRequestFixture> {
  // the sandbox sets GIT_DATA_DIR, which the service reads when it starts
  const sandbox = await createGitSandbox();
  const fx = await createServiceFixture('pull-request');
  const service = await fx.start(pullRequestService(definition));
  const versions = new Map<string, number>();
  const author = { name: 'test', email: 'test@example.com' };

  const fixture: PullRequestFixture = {
    fx,
    service,
    sandbox,
    repository: (name, options = {}) => seedRepository(fx, sandbox, name, { ...options, knownBy: service }),
    async commit(repository, branch, files) {
      const changes = Object.entries(files).map(([path, content]) => ({ action: 'update' as const, path, content }));
      const result = await sandbox.git.commit(repository.locator, { branch, changes, message: `write ${Object.keys(files).join(', ')}`, author, createBranch: true });
      return result.sha;
    },
    async policy(repository, policy, branch = 'main') {
      const key = `${repository.repositoryId}/${branch}`;
      const version = (versions.get(key) ?? 0) + 1;
      versions.set(key, version);
      await announcePolicy(fx, repository, policy, { branch, version, knownBy: service });
    },
    send: (type, payload, options) => fx.send(type, payload, options),
    answer: <P>(command: Envelope, type: string) => waitForEvent<Envelope<P>>(fx.bus, 'source-control', type, (e) => e.causationId === command.id),
    async open(repository, sourceBranch, extra = {}, actor) {
      const command = await fx.send(
        'OpenPullRequest',
        { repositoryId: repository.repositoryId, sourceBranch, targetBranch: 'main', title: `Merge ${sourceBranch}`, ...extra },
        { tenantId: repository.locator.tenantId, projectId: repository.locator.projectId, ...(actor ? { actor } : {}) },
      );
      const opened = await waitForEvent<Envelope<PayloadOf<'PullRequestOpened'>> | Rejection>(
        fx.bus,
        'source-control',
        '*',
        (e) => e.causationId === command.id && (e.type === 'PullRequestOpened' || e.type === 'PullRequestCommandRejected'),
      );
      if (opened.type !== 'PullRequestOpened') throw new Error(`open refused: ${JSON.stringify(opened.payload)}`);
      return opened.payload as PayloadOf<'PullRequestOpened'>;
    },
    bearer: (scopes, claims = {}) => fx.token({ sub: claims.sub ?? 'alice', tenant: claims.tenant ?? 'acme', scopes, ...(claims.actorKind ? { actorKind: claims.actorKind } : {}) }),
    async close() {
      await fx?.close();
      await sandbox.close();
    },
  };
  return fixture;
}

/** The PullRequestCommandRejected answering a command. */
export function rejectionOf(fixture: PullRequestFixture, command: Envelope): Promise<Rejection> {
  return fixture.answer<PayloadOf<'PullRequestCommandRejected'>>(command, 'PullRequestCommandRejected');
}
