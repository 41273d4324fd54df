import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, uuidv7 } from '@delivery/messaging';
import { LocalGitProvider, type FileChange, type RepositoryLocator } from '@delivery/git-provider';
import type { ServiceFixture } from '@delivery/testing';

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
  options: { files?: Record<string, string>; tenantId?: string; projectId?: string; defaultBranch?: string } = {},
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
  return { repositoryId, locator, headSha: info.headSha };
}
