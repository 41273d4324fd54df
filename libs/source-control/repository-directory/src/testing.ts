import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { LocalGitProvider, type FileChange, type RepositoryLocator } from '@delivery/git-provider';
import type { schemas } from '@delivery/contracts';
import type { RunningService } from '@delivery/service-kit';
import { eventually, type ServiceFixture } from '@delivery/testing';

// For the source-control services' integration tests: a git data directory of the test file's own (the services
// read GIT_DATA_DIR when they start), and repositories made the way the repository service makes them, announced
// by the same RepositoryProvisioned event, so the service under test learns them through its real projection.
export interface GitSandbox {
  dataDir: string;
  git: LocalGitProvider;
  close(): Promise<void>;
}

export async function createGitSandbox(): Promise<GitSandbox> {
  const dataDir = await mkdtemp(join(tmpdir(), 'source-control-'));
  process.env.GIT_DATA_DIR = dataDir;
  return {
    dataDir,
    git: new LocalGitProvider({ dataDir }),
    async close() {
      delete process.env.GIT_DATA_DIR;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SeededRepository {
  repositoryId: string;
  locator: RepositoryLocator;
  headSha: string;
}

export async function seedRepository(
  fx: Pick<ServiceFixture, 'publisher'>,
  sandbox: GitSandbox,
  name: string,
  options: { files?: Record<string, string>; tenantId?: string; projectId?: string; defaultBranch?: string; knownBy?: RunningService } = {},
): Promise<SeededRepository> {
  const locator = { tenantId: options.tenantId ?? 'acme', projectId: options.projectId ?? 'web', name };
  const defaultBranch = options.defaultBranch ?? 'main';
  const initialFiles: FileChange[] = Object.entries(options.files ?? { 'README.md': `# ${name}\n` }).map(([path, content]) => ({ action: 'add', path, content }));
  const info = await sandbox.git.createRepository(locator, { defaultBranch, initialFiles, author: { name: 'seed', email: 'seed@example.com' } });
  const repositoryId = uuidv7();
  await fx.publisher.publish(
    createEnvelope(
      'RepositoryProvisioned',
      { repositoryId, name, defaultBranch, purpose: 'application', provider: 'local', cloneUrl: info.cloneUrl, headSha: info.headSha },
      { source: 'repository', tenantId: locator.tenantId, projectId: locator.projectId },
    ),
  );
  // a projection lags its event by milliseconds: wait until the service under test has it, when asked
  if (options.knownBy) await repositoryKnown(options.knownBy, repositoryId);
  return { repositoryId, locator, headSha: info.headSha };
}

export function repositoryKnown(service: RunningService, repositoryId: string): Promise<true> {
  return projected(service, `SELECT 1 FROM repositories WHERE repository_id = $1`, [repositoryId], `repository ${repositoryId}`);
}

/** announces a branch policy the way the branch service does (BranchPolicySet) and waits until `knownBy` has it */
export async function announcePolicy(
  fx: Pick<ServiceFixture, 'publisher'>,
  repository: { repositoryId: string; locator: Pick<RepositoryLocator, 'tenantId' | 'projectId'> },
  policy: schemas.BranchPolicy,
  options: { branch?: string; version?: number; knownBy: RunningService },
): Promise<void> {
  const { branch = 'main', version = 1 } = options;
  const { tenantId, projectId } = repository.locator;
  await fx.publisher.publish(createEnvelope('BranchPolicySet', { repositoryId: repository.repositoryId, branch, policy, version }, { source: 'branch', tenantId, projectId }));
  await projected(options.knownBy, `SELECT 1 FROM branch_policies WHERE repository_id = $1 AND branch = $2 AND version = $3`, [repository.repositoryId, branch, version], `policy of ${branch} v${version}`);
}

function projected(service: RunningService, sql: string, params: unknown[], what: string): Promise<true> {
  return eventually(async () => ((await service.dataSource.query(sql, params)).length > 0 ? (true as const) : undefined), `${what} projected`);
}
