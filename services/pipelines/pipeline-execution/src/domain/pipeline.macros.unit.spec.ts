import { envNameOf, expandMacros, predefinedVariables, resolveVariables, shouldRun, slugOf, stepEnvironment } from './pipeline.macros';

const facts = {
  runId: 'run-1',
  repositoryName: 'shop',
  branch: 'feature/login',
  sha: 'a'.repeat(40),
  reason: 'manual',
  sourcesDirectory: '/w/s',
  artifactStagingDirectory: '/w/a',
  binariesDirectory: '/w/b',
  tempDirectory: '/w/_temp',
  workspaceDirectory: '/w',
};

describe('pipeline macros', () => {
  it('provides the predefined build variables', () => {
    expect(predefinedVariables(facts)).toMatchObject({
      'Build.SourceVersion': 'a'.repeat(40),
      'Build.SourceBranchName': 'login',
      'Build.SourceBranch': 'refs/heads/feature/login',
      'Build.BuildId': 'run-1',
      'Build.SourcesDirectory': '/w/s',
      'Build.ArtifactStagingDirectory': '/w/a',
    });
  });

  it('expands known macros case-insensitively and leaves unknown ones as written', () => {
    const variables = { 'Build.SourceVersion': 'abc', configuration: 'Release' };
    expect(expandMacros('git show $(build.sourceversion) -c $(Configuration) $(nope)', variables)).toBe('git show abc -c Release $(nope)');
  });

  it('layers variables (later wins, case-insensitively) and resolves macros inside values', () => {
    const resolved = resolveVariables(predefinedVariables(facts), { out: '$(Build.ArtifactStagingDirectory)/out', Mode: 'a' }, { mode: 'b' }, { self: '$(self)' });
    expect(resolved.out).toBe('/w/a/out');
    expect(resolved.mode).toBe('b');
    expect(resolved.Mode).toBeUndefined();
    expect(resolved.self).toBe('$(self)');
  });

  it('exposes variables AZP-style and lets the step env win', () => {
    expect(envNameOf('Build.SourceVersion')).toBe('BUILD_SOURCEVERSION');
    const env = stepEnvironment({ PATH: '/bin' }, { 'Build.BuildId': '7', configuration: 'Release' }, { CONFIG: '$(configuration)', PATH: '/usr/bin' });
    expect(env).toEqual({ PATH: '/usr/bin', BUILD_BUILDID: '7', CONFIGURATION: 'Release', CONFIG: 'Release' });
  });

  it('decides conditions from whether anything failed before', () => {
    expect([shouldRun('succeeded', false), shouldRun('succeeded', true)]).toEqual([true, false]);
    expect([shouldRun('failed', false), shouldRun('failed', true)]).toEqual([false, true]);
    expect([shouldRun('always', false), shouldRun('always', true)]).toEqual([true, true]);
    expect([shouldRun('succeededOrFailed', false), shouldRun('succeededOrFailed', true)]).toEqual([true, true]);
  });

  it('slugs step names for log keys', () => {
    expect(slugOf('Run the Tests (unit)!')).toBe('run-the-tests-unit');
    expect(slugOf('***')).toBe('step');
  });
});
