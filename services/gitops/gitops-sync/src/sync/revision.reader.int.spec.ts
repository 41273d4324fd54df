import type { GitProvider } from '@delivery/git-provider';
import { createGitSandbox, type GitSandbox } from '@delivery/repository-directory/testing';
import { RevisionReader } from './revision.reader';

// The real local git provider, its calls counted: what a sha holds is read once, a branch name every time.
describe('RevisionReader', () => {
  const locator = { tenantId: 'acme', projectId: 'web', name: 'gitops-reader' };
  const author = { name: 'test', email: 'test@example.com' };
  let sandbox: GitSandbox;
  let calls: string[];
  let reader: RevisionReader;
  let first: string;
  let second: string;

  beforeAll(async () => {
    sandbox = await createGitSandbox();
    first = (await sandbox.git.createRepository(locator, { defaultBranch: 'main', author, initialFiles: [{ action: 'add', path: 'environments/dev1/shop/workload.json', content: '{"v":1}' }] })).headSha;
    second = (await sandbox.git.commit(locator, { branch: 'main', author, message: 'v2', changes: [{ action: 'update', path: 'environments/dev1/shop/workload.json', content: '{"v":2}' }] })).sha;
    calls = [];
    const counted = new Proxy(sandbox.git, {
      get: (target, name: keyof GitProvider) => {
        const value = target[name];
        return typeof value === 'function' ? (...args: unknown[]) => (calls.push(String(name)), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    });
    reader = new RevisionReader(counted);
  });
  afterAll(() => sandbox.close());
  beforeEach(() => (calls = []));

  it('reads a file, a listing and a commit of a sha from git once, and each sha apart', async () => {
    const path = 'environments/dev1/shop/workload.json';
    const reads = await Promise.all([reader.readFile(locator, first, path), reader.readFile(locator, first, path), reader.readFile(locator, second, path)]);
    expect(reads.map((b) => b?.toString())).toEqual(['{"v":1}', '{"v":1}', '{"v":2}']);
    expect((await reader.readFile(locator, first, path))?.toString()).toBe('{"v":1}');
    expect(await reader.listFiles(locator, second, 'environments')).toEqual([path]);
    expect(await reader.listFiles(locator, second, 'environments')).toEqual([path]);
    expect((await reader.getCommit(locator, second))?.sha).toBe(second);
    expect((await reader.getCommit(locator, second))?.sha).toBe(second);
    expect(calls).toEqual(['readFile', 'readFile', 'listFiles', 'getCommit']);
  });

  it('reads through a branch name every time (it moves)', async () => {
    const path = 'environments/dev1/shop/workload.json';
    expect((await reader.readFile(locator, 'main', path))?.toString()).toBe('{"v":2}');
    expect((await reader.readFile(locator, 'main', path))?.toString()).toBe('{"v":2}');
    expect(calls).toEqual(['readFile', 'readFile']);
  });
});
