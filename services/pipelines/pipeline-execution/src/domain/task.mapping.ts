import { PipelineDefinitionError, type StepAction, type TestResultsFormat } from './pipeline.plan';

// The Azure Pipelines tasks the local runner has an equivalent for (README, task mapping). Task names and input
// names are case-insensitive, as on Azure. Any other task, or a supported task used in a way the local equivalent
// cannot honour, refuses the whole run before it starts.

export const SUPPORTED_TASKS = ['NodeTool@0', 'Npm@1', 'PublishTestResults@2', 'PublishCodeCoverageResults@2', 'PublishPipelineArtifact@1', 'PublishBuildArtifacts@1'] as const;

export function taskActionOf(task: string, rawInputs: Record<string, string>, label: string): StepAction {
  const inputs = new Map(Object.entries(rawInputs).map(([key, value]) => [key.toLowerCase(), value]));
  const input = (...names: string[]) => names.map((name) => inputs.get(name.toLowerCase())).find((value) => value !== undefined && value !== '');
  const refuse = (why: string): never => {
    throw new PipelineDefinitionError('pipeline.unsupported-task', `${label}: task ${task} ${why}`, `${task} in ${label}`);
  };
  switch (task.toLowerCase()) {
    case 'nodetool@0': {
      const versionSpec = input('versionSpec') ?? refuse('needs a versionSpec');
      return { kind: 'node-tool', versionSpec };
    }
    case 'npm@1': {
      const command = (input('command') ?? 'install').toLowerCase();
      if (command !== 'install' && command !== 'ci' && command !== 'test' && command !== 'custom') return refuse(`command "${command}" is not supported locally (install, ci, test, custom)`);
      const customCommand = input('customCommand');
      if (command === 'custom' && !customCommand) return refuse('with command custom needs a customCommand');
      const workingDir = input('workingDir');
      return { kind: 'npm', command, ...(command === 'custom' ? { customCommand } : {}), ...(workingDir ? { workingDir } : {}) };
    }
    case 'publishtestresults@2': {
      const raw = input('testResultsFormat', 'testRunner') ?? 'JUnit';
      const format: TestResultsFormat | undefined = raw.toLowerCase() === 'junit' ? 'JUnit' : raw.toLowerCase() === 'vstest' ? 'VSTest' : undefined;
      if (!format) return refuse(`testResultsFormat "${raw}" is not supported (JUnit, VSTest)`);
      const files = linesOf(input('testResultsFiles') ?? (format === 'JUnit' ? '**/TEST-*.xml' : '**/*.trx'));
      const searchFolder = input('searchFolder');
      return { kind: 'publish-test-results', format, files, ...(searchFolder ? { searchFolder } : {}) };
    }
    case 'publishcodecoverageresults@2': {
      const summaryFileLocation = input('summaryFileLocation') ?? refuse('needs a summaryFileLocation');
      return { kind: 'publish-coverage', summaryFileLocation };
    }
    case 'publishpipelineartifact@1': {
      const targetPath = input('targetPath', 'path') ?? refuse('needs a targetPath');
      return { kind: 'publish-artifact', targetPath, artifactName: input('artifact', 'artifactName') ?? 'drop' };
    }
    case 'publishbuildartifacts@1': {
      if ((input('publishLocation') ?? 'Container').toLowerCase() !== 'container') return refuse('publishLocation FilePath is not supported locally');
      return { kind: 'publish-artifact', targetPath: input('PathtoPublish') ?? '$(Build.ArtifactStagingDirectory)', artifactName: input('ArtifactName') ?? 'drop' };
    }
    default:
      return refuse(`is not supported by the local runner (supported: ${SUPPORTED_TASKS.join(', ')})`);
  }
}

/** A multi-line glob input: one pattern a line, blanks dropped. */
export function linesOf(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** NodeTool's versionSpec against a node version: `20.x`, `20`, `20.11.x`, `20.11.1`, `>=18`. */
export function nodeVersionSatisfies(versionSpec: string, nodeVersion: string): boolean {
  const actual = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const spec = versionSpec.trim();
  const atLeast = /^>=\s*(\d+)(?:\.(\d+))?/.exec(spec);
  if (atLeast) {
    const major = Number(atLeast[1]);
    const minor = Number(atLeast[2] ?? 0);
    return (actual[0] ?? 0) > major || ((actual[0] ?? 0) === major && (actual[1] ?? 0) >= minor);
  }
  const parts = spec.replace(/^v/, '').split('.');
  if (parts.length === 0 || parts.length > 3) return false;
  return parts.every((part, i) => part === 'x' || part === '*' || (/^\d+$/.test(part) && Number(part) === actual[i]));
}

/** The ArtifactRef kind of a published file, by its extension. */
export function artifactKindOf(fileName: string): 'npm-package' | 'nuget-package' | 'file' {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.tgz')) return 'npm-package';
  if (lower.endsWith('.nupkg')) return 'nuget-package';
  return 'file';
}
