import type { StepCondition } from './pipeline.plan';

// `$(name)` macros and variables as environment, the Azure Pipelines way: names are case-insensitive, an unknown
// macro is left as written, and a variable reaches a step's environment upper-cased with dots as underscores.

export interface RunFacts {
  runId: string;
  repositoryName: string;
  branch: string;
  sha: string;
  reason: string;
  sourcesDirectory: string;
  artifactStagingDirectory: string;
  binariesDirectory: string;
  tempDirectory: string;
  workspaceDirectory: string;
}

/** The predefined variables the local runner provides (README). */
export function predefinedVariables(facts: RunFacts): Record<string, string> {
  return {
    'Build.BuildId': facts.runId,
    'Build.BuildNumber': facts.runId,
    'Build.SourceVersion': facts.sha,
    'Build.SourceBranch': `refs/heads/${facts.branch}`,
    'Build.SourceBranchName': facts.branch.split('/').pop() ?? facts.branch,
    'Build.Reason': facts.reason,
    'Build.Repository.Name': facts.repositoryName,
    'Build.SourcesDirectory': facts.sourcesDirectory,
    'Build.ArtifactStagingDirectory': facts.artifactStagingDirectory,
    'Build.StagingDirectory': facts.artifactStagingDirectory,
    'Build.BinariesDirectory': facts.binariesDirectory,
    'System.DefaultWorkingDirectory': facts.sourcesDirectory,
    'Pipeline.Workspace': facts.workspaceDirectory,
    'Agent.TempDirectory': facts.tempDirectory,
    'Agent.BuildDirectory': facts.workspaceDirectory,
    'Agent.OS': 'Linux',
    'System.JobId': facts.runId,
    TF_BUILD: 'True',
  };
}

const MACRO = /\$\(([A-Za-z0-9_.\- ]+)\)/g;

/** Replaces the `$(name)` macros of `text` with the variables' values (case-insensitive names). */
export function expandMacros(text: string, variables: Readonly<Record<string, string>>): string {
  const lookup = lowerKeys(variables);
  return text.replace(MACRO, (whole, name: string) => lookup.get(name.trim().toLowerCase()) ?? whole);
}

/**
 * The variables of one job, layered (predefined < pipeline < job < queue-time) with macros inside values resolved
 * against the others, a few levels deep (a variable naming itself stays as written).
 */
export function resolveVariables(...layers: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      const existing = Object.keys(merged).find((key) => key.toLowerCase() === name.toLowerCase());
      if (existing !== undefined) delete merged[existing];
      merged[name] = value;
    }
  }
  for (let depth = 0; depth < 5; depth++) {
    let changed = false;
    for (const [name, value] of Object.entries(merged)) {
      const expanded = expandMacros(value, merged);
      if (expanded !== value) {
        merged[name] = expanded;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return merged;
}

/** `Build.SourceVersion` → `BUILD_SOURCEVERSION` */
export function envNameOf(variable: string): string {
  return variable.replace(/[.\s]/g, '_').toUpperCase();
}

/** A step's environment: the runner's base, the variables (AZP-style names), then the step's own `env` (macros expanded). */
export function stepEnvironment(base: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>, stepEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(variables)) env[envNameOf(name)] = value;
  for (const [name, value] of Object.entries(stepEnv)) env[name] = expandMacros(value, variables);
  return env;
}

/** Whether a step (or job) with `condition` runs, given whether anything before it failed. */
export function shouldRun(condition: StepCondition, failedSoFar: boolean): boolean {
  if (condition === 'always' || condition === 'succeededOrFailed') return true;
  return condition === 'failed' ? failedSoFar : !failedSoFar;
}

/** A file-name-safe slug of a step name, for its log key. */
export function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug || 'step';
}

function lowerKeys(variables: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(variables).map(([key, value]) => [key.toLowerCase(), value]));
}
