import { repositoryKnown } from '@delivery/repository-directory/testing';
import { eventually } from '@delivery/testing';
import { generatePipeline } from '../domain/pipeline.generator';
import { nodeModule } from '../domain/module.test-fixture';
import { generatedFor, generateInput, startPipelineHarness, streamTypes, type PipelineHarness } from '../pipeline.testing';

const PATH = 'services/shop/azure-pipelines.yml';
const someone = { name: 'someone', email: 'someone@example.com' };

// The commit service's replies when the branch moved between plan and commit (the compare-and-swap lost). The commit
// service starts late here, so that the branch can move while the CreateCommit waits on the bus.
describe('commit outcomes of a generation', () => {
  let h: PipelineHarness;

  beforeEach(async () => {
    h = await startPipelineHarness({ commits: false });
  });
  afterEach(async () => {
    await h?.close();
  });

  const pending = (requestId: string) =>
    eventually(async () => ((await h.generator.dataSource.query(`SELECT 1 FROM pipeline_requests WHERE request_id = $1`, [requestId])).length > 0 ? true : undefined), 'request pending');

  /** a GeneratePipeline whose CreateCommit waits, then `move` commits to main, then the commit service starts */
  async function raced(name: string, move: (repo: Awaited<ReturnType<PipelineHarness['repository']>>) => Promise<{ sha: string }>) {
    const repo = await h.repository(name);
    const command = await h.fx.send('GeneratePipeline', generateInput(repo, nodeModule));
    await pending(command.id);
    const moved = await move(repo);
    await repositoryKnown(await h.startCommits(), repo.repositoryId);
    return { repo, command, moved, event: await generatedFor(h.fx, command.id) };
  }

  it('commits again on top of a branch that moved between plan and commit', async () => {
    const { repo, moved, event } = await raced('moved', (repo) =>
      h.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'add', path: 'docs/notes.md', content: 'notes\n' }], message: 'someone else', author: someone }),
    );
    expect(event.payload).toMatchObject({ changed: true, commitSha: await h.sandbox.git.resolveBranch(repo.locator, 'main') });
    expect((await h.sandbox.git.getCommit(repo.locator, event.payload.commitSha!))?.parents).toEqual([moved.sha]);
    expect((await h.sandbox.git.readFile(repo.locator, 'main', 'docs/notes.md'))?.toString()).toBe('notes\n');
    expect(await streamTypes(h.generator, event.payload.pipelineId)).toEqual(['CreateCommit', 'CreateCommit', 'PipelineGenerated']);
  });

  it('answers changed false when the commit that moved the branch wrote these very bytes', async () => {
    const { content } = generatePipeline(nodeModule);
    const { repo, moved, event } = await raced('same-bytes', (repo) =>
      h.sandbox.git.commit(repo.locator, { branch: 'main', changes: [{ action: 'add', path: PATH, content }], message: 'the same file, by hand', author: someone }),
    );
    expect(event.payload).toMatchObject({ changed: false, commitSha: null });
    expect(await h.sandbox.git.resolveBranch(repo.locator, 'main')).toBe(moved.sha);
    expect(await streamTypes(h.generator, event.payload.pipelineId)).toEqual(['CreateCommit', 'PipelineGenerated']);
  });
});
