import { metadataReasons } from './metadata.rules';
import type { ModuleMetadata } from './pipeline.generator';
import { dotnetModule, nodeModule } from './module.test-fixture';

const subjects = (module: ModuleMetadata, pipelinePath?: string) => metadataReasons(module, pipelinePath).map((r) => r.subject);

// Each rule the JSON Schema of the contract cannot express, one test each.
describe('metadataReasons', () => {
  it('finds nothing wrong with complete node and dotnet modules', () => {
    expect(metadataReasons(nodeModule)).toEqual([]);
    expect(metadataReasons(dotnetModule)).toEqual([]);
  });

  it('refuses a pack script without packages', () => {
    const { packages: _, ...module } = nodeModule;
    expect(metadataReasons(module)).toEqual([{ subject: 'module.pack', message: expect.stringMatching(/no packages/) }]);
    expect(subjects({ ...nodeModule, packages: [] })).toEqual(['module.pack']);
  });

  it('refuses a test results glob that leaves the module directory', () => {
    expect(metadataReasons({ ...nodeModule, testResults: { format: 'junit', glob: '../other/junit.xml' } })).toEqual([
      { subject: 'module.testResults.glob', message: expect.stringMatching(/leaves the module directory/) },
    ]);
    expect(subjects({ ...nodeModule, testResults: { format: 'junit', glob: 'reports/../../x.xml' } })).toEqual(['module.testResults.glob']);
  });

  it('refuses an absolute test results glob', () => {
    expect(subjects({ ...nodeModule, testResults: { format: 'junit', glob: '/tmp/junit.xml' } })).toEqual(['module.testResults.glob']);
  });

  it('refuses a coverage glob that leaves the module directory', () => {
    expect(subjects({ ...nodeModule, coverage: { format: 'lcov', glob: '../coverage/lcov.info' } })).toEqual(['module.coverage.glob']);
  });

  it('refuses duplicate environments', () => {
    expect(metadataReasons({ ...nodeModule, environments: ['dev1', 'prod1', 'dev1'] })).toEqual([{ subject: 'module.environments[2]', message: 'environment dev1 is listed twice' }]);
  });

  it('refuses npm packages from a dotnet module', () => {
    const module: ModuleMetadata = { ...dotnetModule, packages: [{ format: 'npm', path: 'src/Billing/out/billing.tgz' }] };
    expect(metadataReasons(module)).toEqual([{ subject: 'module.packages[0].format', message: 'a dotnet module produces nuget packages, not npm' }]);
  });

  it('refuses nuget packages from a node module', () => {
    expect(subjects({ ...nodeModule, packages: [{ format: 'nuget', path: 'services/shop/x.nupkg' }] })).toEqual(['module.packages[0].format']);
  });

  it('refuses a package listed twice', () => {
    const pkg = { format: 'npm' as const, path: 'services/shop/shop-1.0.0.tgz' };
    expect(subjects({ ...nodeModule, packages: [pkg, pkg] })).toEqual(['module.packages[1].path']);
  });

  it('refuses test results or coverage without a test script', () => {
    const { test: _, ...module } = nodeModule;
    expect(subjects(module)).toEqual(['module.testResults', 'module.coverage']);
  });

  it('refuses module, package and pipeline paths that leave the repository or enter .git', () => {
    expect(subjects({ ...nodeModule, path: '../elsewhere' })).toEqual(['module.path']);
    expect(subjects({ ...nodeModule, path: '/abs/shop' })).toEqual(['module.path']);
    expect(subjects({ ...nodeModule, packages: [{ format: 'npm', path: 'services/../../x.tgz' }] })).toEqual(['module.packages[0].path']);
    expect(subjects(nodeModule, '.git/hooks/pipeline.yml')).toEqual(['pipelinePath']);
  });

  it('refuses a pipeline path that is not a YAML file', () => {
    expect(metadataReasons(nodeModule, 'ci/pipeline.txt')).toEqual([{ subject: 'pipelinePath', message: 'pipeline path "ci/pipeline.txt" must end in .yml or .yaml' }]);
  });

  it('refuses module variables the generator sets itself', () => {
    expect(subjects({ ...nodeModule, variables: { moduleName: 'x', modulePath: 'y' } })).toEqual(['module.variables.moduleName', 'module.variables.modulePath']);
  });

  it('refuses a template reference that is not a YAML file in a repository', () => {
    expect(subjects({ ...nodeModule, templates: ['steps/ok.yml@templates', 'steps/build', '../up.yml'] })).toEqual(['module.templates[1]', 'module.templates[2]']);
  });

  it('lists every reason at once', () => {
    const { packages: _, ...module } = nodeModule;
    expect(subjects({ ...module, environments: ['dev1', 'dev1'], testResults: { format: 'junit', glob: '../x.xml' } })).toEqual([
      'module.pack',
      'module.testResults.glob',
      'module.environments[1]',
    ]);
  });
});
