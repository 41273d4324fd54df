import { GitInvalidInputError, validateRepoPath } from '@delivery/git-provider';
import { moduleDirOf, type ModuleMetadata } from './pipeline.generator';

/** why a pipeline cannot be generated: what is wrong (a field of the command) and why */
export interface Reason {
  subject: string;
  message: string;
}

// What the contract's JSON Schema cannot say about module metadata: rules across fields, and paths that would
// leave the module or the repository. Every rule is checked, so one answer lists every reason.
export function metadataReasons(module: ModuleMetadata, pipelinePath?: string): Reason[] {
  const reasons: Reason[] = [];
  const add = (subject: string, message: string) => reasons.push({ subject, message });

  const dir = moduleDirOf(module);
  if (dir !== '') pathReason(dir, 'module.path', add);
  if (pipelinePath !== undefined) {
    pathReason(pipelinePath, 'pipelinePath', add);
    if (!/\.ya?ml$/i.test(pipelinePath)) add('pipelinePath', `pipeline path "${pipelinePath}" must end in .yml or .yaml`);
  }

  const packages = module.packages ?? [];
  if (module.pack !== undefined && packages.length === 0) add('module.pack', 'a pack script is given but no packages: name the package files it produces (packages[].path)');
  packages.forEach((pkg, i) => {
    pathReason(pkg.path, `module.packages[${i}].path`, add);
    const expected = module.runtime === 'dotnet' ? 'nuget' : 'npm';
    if (pkg.format !== expected) add(`module.packages[${i}].format`, `a ${module.runtime} module produces ${expected} packages, not ${pkg.format}`);
  });
  const seenPackages = new Set<string>();
  packages.forEach((pkg, i) => {
    if (seenPackages.has(pkg.path)) add(`module.packages[${i}].path`, `package ${pkg.path} is listed twice`);
    seenPackages.add(pkg.path);
  });

  if (module.testResults) {
    globReason(module.testResults.glob, 'module.testResults.glob', add);
    if (module.test === undefined) add('module.testResults', 'test results are named but there is no test script to produce them');
  }
  if (module.coverage) {
    globReason(module.coverage.glob, 'module.coverage.glob', add);
    if (module.test === undefined) add('module.coverage', 'coverage is named but there is no test script to produce it');
  }

  const seenEnvironments = new Set<string>();
  (module.environments ?? []).forEach((environment, i) => {
    if (seenEnvironments.has(environment)) add(`module.environments[${i}]`, `environment ${environment} is listed twice`);
    seenEnvironments.add(environment);
  });

  for (const reserved of ['moduleName', 'modulePath']) {
    if (module.variables?.[reserved] !== undefined) add(`module.variables.${reserved}`, `${reserved} is set by the generator and cannot be a module variable`);
  }
  (module.templates ?? []).forEach((ref, i) => {
    const file = ref.split('@')[0] ?? '';
    if (!/\.ya?ml$/i.test(file) || file.startsWith('/') || file.split('/').includes('..')) {
      add(`module.templates[${i}]`, `template "${ref}" must name a .yml/.yaml file inside a repository, optionally @<repository alias>`);
    }
  });
  return reasons;
}

function pathReason(path: string, subject: string, add: (subject: string, message: string) => void): void {
  try {
    validateRepoPath(path);
  } catch (error) {
    if (!(error instanceof GitInvalidInputError)) throw error;
    add(subject, error.message);
  }
}

// globs are relative to the module directory and must stay in it: Azure resolves them under the search folder
function globReason(glob: string, subject: string, add: (subject: string, message: string) => void): void {
  if (glob.startsWith('/') || /^[A-Za-z]:/.test(glob)) add(subject, `glob "${glob}" must be relative to the module directory`);
  else if (glob.split(/[/\\]/).includes('..')) add(subject, `glob "${glob}" leaves the module directory ("..")`);
}
