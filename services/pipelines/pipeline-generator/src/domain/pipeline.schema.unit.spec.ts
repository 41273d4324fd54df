import YAML from 'yaml';
import publishedSchema from '../../schema/azure-pipelines.schema.json';
import { checkPipeline } from './pipeline.check';
import { generatePipeline } from './pipeline.generator';
import { schemaReasons } from './pipeline.schema';
import { bareModule, dotnetModule, nodeModule } from './module.test-fixture';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** the node module's pipeline, broken by `mutate`, written back as YAML */
function broken(mutate: (doc: Doc) => void): string {
  const doc = YAML.parse(generatePipeline(nodeModule).content) as Doc;
  mutate(doc);
  return YAML.stringify(doc);
}
const steps = (doc: Doc): Doc[] => doc.stages[0].jobs[0].steps;

describe('the Azure Pipelines schema', () => {
  it('is the published draft-07 schema (v1.247.2 subset) with its definition names', () => {
    expect(publishedSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(publishedSchema.$comment).toBe('v1.247.2');
    expect(Object.keys(publishedSchema.definitions)).toEqual(expect.arrayContaining(['pipeline', 'stages', 'stage', 'jobs', 'job', 'steps', 'step', 'task', 'trigger', 'pr', 'variables', 'pool']));
  });

  it('accepts what the generator makes of node, dotnet and bare modules', () => {
    for (const module of [nodeModule, dotnetModule, bareModule]) {
      expect(checkPipeline(module)).toMatchObject({ metadata: [], schema: [] });
    }
  });

  it('rejects a step with an unknown key', () => {
    const reasons = schemaReasons(broken((doc) => (steps(doc)[1]!.workdir = 'services/shop')));
    expect(reasons).toContainEqual({ subject: 'yaml/stages/0/jobs/0/steps/1', message: 'azure-pipelines schema: must NOT have additional properties (workdir)' });
  });

  it('rejects a task step with an unknown task input', () => {
    const reasons = schemaReasons(broken((doc) => (steps(doc)[0]!.inputs.versionSpek = '20.x')));
    expect(reasons).toContainEqual({ subject: 'yaml/stages/0/jobs/0/steps/0/inputs', message: 'azure-pipelines schema: must NOT have additional properties (versionSpek)' });
  });

  it('rejects a task the schema does not know and a task input it requires missing', () => {
    expect(schemaReasons(broken((doc) => (steps(doc)[0]!.task = 'NodeTools@0')))).not.toEqual([]);
    const coverage = broken((doc) => delete steps(doc).find((s) => s.task === 'PublishCodeCoverageResults@2')!.inputs.summaryFileLocation);
    expect(schemaReasons(coverage)).toContainEqual({ subject: 'yaml/stages/0/jobs/0/steps/6/inputs', message: "azure-pipelines schema: must have required property 'summaryFileLocation'" });
  });

  it('rejects a bad trigger shape', () => {
    expect(schemaReasons(broken((doc) => (doc.trigger = { branches: 'main' })))).toContainEqual({ subject: 'yaml/trigger/branches', message: 'azure-pipelines schema: must be object' });
    expect(schemaReasons(broken((doc) => (doc.trigger = { include: ['main'] })))).toContainEqual({ subject: 'yaml/trigger', message: 'azure-pipelines schema: must NOT have additional properties (include)' });
    expect(schemaReasons(broken((doc) => (doc.pr.branches.include = ['feature branch'])))).not.toEqual([]);
  });

  it('rejects an unknown top-level key and a pipeline without stages', () => {
    expect(schemaReasons(broken((doc) => (doc.triggers = 'none')))).not.toEqual([]);
    expect(schemaReasons(broken((doc) => delete doc.stages))).not.toEqual([]);
  });

  it('rejects a job without steps (a rule of this service: the published schema allows it)', () => {
    expect(schemaReasons(broken((doc) => delete doc.stages[0].jobs[0].steps))).toContainEqual({
      subject: 'yaml/stages/0/jobs/0',
      message: "pipeline-generator schema: must have required property 'steps'",
    });
    expect(schemaReasons(broken((doc) => (doc.stages[0].jobs[0].steps = [])))).not.toEqual([]);
  });

  it('rejects a deployment job without an environment', () => {
    expect(schemaReasons(broken((doc) => delete doc.stages[1].jobs[0].environment))).not.toEqual([]);
  });

  it('rejects text that is not YAML', () => {
    expect(schemaReasons('stages: [\n')).toEqual([{ subject: 'yaml', message: expect.stringMatching(/^not valid YAML/) }]);
  });
});
