import type { Envelope, PayloadOf } from '@delivery/contracts';
import { createGitSandbox, seedRepository, type GitSandbox, type SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { createServiceFixture, eventually, waitForEvent, type ServiceFixture } from '@delivery/testing';
import { branchService } from './branch.service';

type BranchEvent = 'BranchCreated' | 'BranchDeleted' | 'BranchPolicySet' | 'BranchCommandRejected';

// What the branch service's integration tests share: the service on the real NATS, Postgres and git, repositories
// announced the way the repository service announces them, and waits on the events it answers with.
export interface BranchTestbed {
  fx: ServiceFixture;
  service: RunningService;
  sandbox: GitSandbox;
  /** a repository of acme/web (unless told), announced and already in this service's directory */
  seed(name: string, options?: Parameters<typeof seedRepository>[3]): Promise<SeededRepository>;
  event<T extends BranchEvent>(type: T, predicate: (payload: PayloadOf<T>) => boolean): Promise<Envelope<PayloadOf<T>, T>>;
  /** `Bearer <token>` of alice at acme with these scopes (and claims) */
  auth(scopes: string[], claims?: { tenant?: string; projects?: string[] }): Promise<string>;
  /** how many events of a type the service appended for a repository */
  count(type: BranchEvent, repositoryId: string): Promise<number>;
  /** resolves once the service's command consumer has settled every delivery */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startBranchTestbed(prefix: string): Promise<BranchTestbed> {
  const fx = await createServiceFixture(prefix);
  const sandbox = await createGitSandbox(); // before start: the git provider reads GIT_DATA_DIR when the service starts
  const service = await fx.start(branchService());
  return {
    fx,
    service,
    sandbox,
    seed: (name, options) => seedRepository(fx, sandbox, name, { ...options, knownBy: service }),
    event: (type, predicate) => waitForEvent(fx.bus, 'source-control', type, (e: Envelope<PayloadOf<typeof type>, typeof type>) => predicate(e.payload), 5_000),
    auth: async (scopes, claims = {}) => `Bearer ${await fx.token({ scopes, ...claims })}`,
    async count(type, repositoryId) {
      const rows: Array<{ n: number }> = await service.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE type = $1 AND data->>'repositoryId' = $2`, [type, repositoryId]);
      return rows[0]?.n ?? 0;
    },
    async settled() {
      await eventually(async () => {
        const info = await fx.bus.jsm.consumers.info(fx.bus.names.commandStream('source-control'), fx.bus.names.commandsDurable('branch'));
        return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
      }, 'branch-commands settled');
    },
    async close() {
      await fx?.close();
      await sandbox?.close();
    },
  };
}
