import YAML from 'yaml';
import { defaultPipelinePath, digestOf, generatePipeline, HEADER, type ModuleMetadata } from './pipeline.generator';
import { bareModule, dotnetModule, nodeModule } from './module.test-fixture';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const parse = (module: ModuleMetadata): Doc => YAML.parse(generatePipeline(module).content) as Doc;
const buildSteps = (doc: Doc): Doc[] => doc.stages[0].jobs[0].steps;

/** the same object with its keys in reverse order, recursively (arrays keep their order: it means something) */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)])) as T;
}

describe('generatePipeline', () => {
  it('produces identical bytes for the same metadata, generated twice', () => {
    const first = generatePipeline(nodeModule);
    const second = generatePipeline(structuredClone(nodeModule));
    expect(second.content).toBe(first.content);
    expect(second.contentDigest).toBe(first.contentDigest);
    expect(first.contentDigest).toBe(digestOf(first.content));
    expect(first.contentDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not depend on the key order of the metadata or of its variables', () => {
    const reordered = reversedKeys(nodeModule);
    expect(Object.keys(reordered)).not.toEqual(Object.keys(nodeModule));
    expect(generatePipeline(reordered).content).toBe(generatePipeline(nodeModule).content);
  });

  it('changes the bytes when the metadata changes', () => {
    expect(generatePipeline({ ...nodeModule, build: 'npm run build:prod' }).contentDigest).not.toBe(generatePipeline(nodeModule).contentDigest);
  });

  it('starts with the header and keys in a fixed order', () => {
    const { content } = generatePipeline(nodeModule);
    expect(content.split('\n')[0]).toBe(HEADER);
    expect(Object.keys(parse(nodeModule))).toEqual(['trigger', 'pr', 'variables', 'pool', 'stages']);
  });

  it('renders a node module: triggers, sorted variables, tool, scripts, publishing and one deploy stage per environment', () => {
    const doc = parse(nodeModule);
    const filters = { branches: { include: ['main'] }, paths: { include: ['services/shop'] } };
    expect(doc.trigger).toEqual(filters);
    expect(doc.pr).toEqual(filters);
    expect(Object.keys(doc.variables)).toEqual(['CI', 'NODE_ENV', 'moduleName', 'modulePath']);
    expect(doc.variables).toMatchObject({ CI: 'true', moduleName: 'shop', modulePath: 'services/shop' });

    const steps = buildSteps(doc);
    expect(steps.map((s) => s.task ?? s.displayName)).toEqual([
      'NodeTool@0',
      'Install',
      'Build',
      'Test',
      'Pack',
      'PublishTestResults@2',
      'PublishCodeCoverageResults@2',
      'PublishPipelineArtifact@1',
    ]);
    expect(steps[0]).toEqual({ task: 'NodeTool@0', displayName: 'Use Node.js 20.x', inputs: { versionSource: 'spec', versionSpec: '20.x' } });
    expect(steps[1]).toEqual({ script: 'npm ci', displayName: 'Install', workingDirectory: 'services/shop' });
    expect(steps[5]).toEqual({
      task: 'PublishTestResults@2',
      displayName: 'Publish test results',
      condition: 'succeededOrFailed()',
      inputs: { testResultsFormat: 'JUnit', testResultsFiles: 'reports/junit.xml', searchFolder: '$(System.DefaultWorkingDirectory)/services/shop', testRunTitle: 'shop' },
    });
    expect(steps[6]).toMatchObject({ condition: 'succeededOrFailed()', inputs: { summaryFileLocation: '$(System.DefaultWorkingDirectory)/services/shop/coverage/cobertura-coverage.xml' } });
    expect(steps[7]?.inputs).toEqual({ targetPath: '$(System.DefaultWorkingDirectory)/services/shop/shop-1.0.0.tgz', artifact: 'shop-npm' });

    expect(doc.stages.map((s: Doc) => s.stage)).toEqual(['Build', 'Deploy_dev1', 'Deploy_stage1', 'Deploy_prod1']);
    const deploy = doc.stages[3];
    expect(deploy).toMatchObject({ dependsOn: 'Build', displayName: 'Deploy to prod1' });
    expect(deploy.jobs[0]).toMatchObject({ deployment: 'Deploy', environment: 'prod1' });
    expect(deploy.jobs[0].strategy.runOnce.deploy.steps[0].script).toMatch(/release context/);
  });

  it('renders a dotnet module: UseDotNet, VSTest results, templates as steps, one artifact per package', () => {
    const doc = parse(dotnetModule);
    const steps = buildSteps(doc);
    expect(steps[0]).toEqual({ task: 'UseDotNet@2', displayName: 'Use .NET SDK 8.0', inputs: { packageType: 'sdk', version: '8.0' } });
    expect(steps[1]).toEqual({ template: 'steps/dotnet-auth.yml@templates' });
    const results = steps.find((s) => s.task === 'PublishTestResults@2');
    expect(results?.inputs).toMatchObject({ testResultsFormat: 'VSTest', testResultsFiles: 'TestResults/*.trx' });
    expect(steps.find((s) => s.task === 'PublishCodeCoverageResults@2')).toBeUndefined();
    const artifacts = steps.filter((s) => s.task === 'PublishPipelineArtifact@1').map((s) => s.inputs.artifact);
    expect(artifacts).toEqual(['billing-nuget-1', 'billing-nuget-2']);
    expect(doc.stages.map((s: Doc) => s.stage)).toEqual(['Build', 'Deploy_dev1']);
  });

  it('defaults the runtime version and, for a module at the root, the path filters and working directories', () => {
    const doc = parse(bareModule);
    expect(doc.trigger).toEqual({ branches: { include: ['main'] } });
    expect(buildSteps(doc)).toEqual([{ task: 'NodeTool@0', displayName: 'Use Node.js 20.x', inputs: { versionSource: 'spec', versionSpec: '20.x' } }]);
    expect(buildSteps(parse({ name: 'api', runtime: 'dotnet', build: 'dotnet build' }))[0]?.inputs.version).toBe('8.0.x');
    expect(buildSteps(parse({ ...bareModule, install: 'npm ci' }))[1]).toEqual({ script: 'npm ci', displayName: 'Install' });
    expect(doc.stages).toHaveLength(1);
  });

  it('puts the file beside the module unless told otherwise', () => {
    expect(defaultPipelinePath(nodeModule)).toBe('services/shop/azure-pipelines.yml');
    expect(defaultPipelinePath({ path: './services/shop/' })).toBe('services/shop/azure-pipelines.yml');
    expect(defaultPipelinePath(bareModule)).toBe('azure-pipelines.yml');
    expect(generatePipeline(nodeModule, 'ci/shop.yml').path).toBe('ci/shop.yml');
  });

  it('quotes what YAML would read as something else, and reads back every value as written', () => {
    const variables = { A_BOOL: 'yes', A_NUMBER: '1.5', A_NULL: 'null', COLON: 'a: b', HASH: 'x #y', QUOTE: '"q"', MULTI: 'line1\nline2', EMPTY: '', LEAD: '-x' };
    const doc = parse({ ...bareModule, variables });
    expect(doc.variables).toMatchObject(variables);
  });
});
