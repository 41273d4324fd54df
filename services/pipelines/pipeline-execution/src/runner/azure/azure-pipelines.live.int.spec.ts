// Against a real Azure DevOps organization; runs only when AZURE_DEVOPS_ORG_URL, AZURE_DEVOPS_PROJECT,
// AZURE_DEVOPS_TOKEN (PAT with Build read & execute) and AZURE_PIPELINES_TEST_DEFINITION ("<repository>:<yaml path>",
// e.g. "orders-service:azure-pipelines.yml", optionally ":<branch>:<sha>") are set. Queues one real build.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@delivery/artifacts';
import { uuidv7 } from '@delivery/messaging';
import { azurePipelinesConfigFromEnv } from './azure-pipelines.client';
import { AzurePipelinesRunner } from './azure-pipelines.runner';

const config = azurePipelinesConfigFromEnv();
const target = process.env['AZURE_PIPELINES_TEST_DEFINITION'];
const configured = Boolean(config && target);
const suite = configured ? describe : describe.skip;
const title = configured ? 'AzurePipelinesRunner (live)' : 'AzurePipelinesRunner (live) (skipped: AZURE_DEVOPS_* / AZURE_PIPELINES_TEST_DEFINITION not set)';

suite(title, () => {
  it('queues the definition, follows it to the end, stores its logs and artifacts; a second queue finds the tagged build', async () => {
    const [repository = '', pipelinePath = '', branch = 'main', sha = ''] = (target ?? '').split(':');
    const root = await mkdtemp(join(tmpdir(), 'azure-live-'));
    try {
      const runner = new AzurePipelinesRunner({ ...config!, pollMs: 5000 }, new FileArtifactStore(root));
      const request = { runId: uuidv7(), repository: { name: repository, source: '' }, branch, sha, pipelinePath, reason: 'manual', variables: {}, timeoutSeconds: 1500 };
      const definition = await runner.findDefinition(request);
      const build = await runner.queue(definition, request);
      expect((await runner.queue(definition, request)).id).toBe(build.id);
      const outcome = await runner.execute(request, { signal: new AbortController().signal, progress: async () => undefined });
      expect(['Succeeded', 'Failed']).toContain(outcome.result);
      expect(outcome.steps.length).toBeGreaterThan(0);
      for (const step of outcome.steps.filter((s) => s.log)) expect(step.log).toMatch(new RegExp(`^runs/${request.runId}/logs/\\d+-`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 1_800_000);
});
