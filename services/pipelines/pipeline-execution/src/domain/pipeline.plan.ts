// What a run executes: the Azure Pipelines YAML reduced to an ordered list of jobs of local steps. Everything the
// runner needs is here; nothing in it depends on the machine (macros are expanded later, per run).

// succeededOrFailed(): runs unless the run was canceled (a cancel stops every later step here, whatever its condition)
export type StepCondition = 'succeeded' | 'succeededOrFailed' | 'always' | 'failed';

export type TestResultsFormat = 'JUnit' | 'VSTest';

export type StepAction =
  | { kind: 'script'; script: string }
  | { kind: 'checkout' }
  | { kind: 'node-tool'; versionSpec: string }
  | { kind: 'npm'; command: 'install' | 'ci' | 'test' | 'custom'; customCommand?: string; workingDir?: string }
  | { kind: 'publish-test-results'; format: TestResultsFormat; files: string[]; searchFolder?: string }
  | { kind: 'publish-coverage'; summaryFileLocation: string }
  | { kind: 'publish-artifact'; targetPath: string; artifactName: string };

export interface PlannedStep {
  /** 1-based position in the whole run: the `<n>` of the step's log key and of the REST log route */
  index: number;
  /** displayName, or a name derived from the step */
  name: string;
  /** `task@version` for task steps, `script` / `bash` / `checkout` otherwise */
  source: string;
  action: StepAction;
  condition: StepCondition;
  continueOnError: boolean;
  timeoutInMinutes?: number;
  env: Record<string, string>;
  workingDirectory?: string;
}

export interface PlannedJob {
  name: string;
  displayName: string;
  condition: StepCondition;
  timeoutInMinutes?: number;
  /** the job's own variables (stage's, then job's), on top of the pipeline's */
  variables: Record<string, string>;
  steps: PlannedStep[];
}

export interface PipelinePlan {
  variables: Record<string, string>;
  jobs: PlannedJob[];
}

/** A pipeline file the runner cannot run: the run is rejected before it starts. */
export class PipelineDefinitionError extends Error {
  constructor(
    readonly code: 'pipeline.unsupported-task' | 'pipeline.unsupported-step' | 'pipeline.invalid-yaml' | 'pipeline.invalid-definition',
    message: string,
    readonly subject?: string,
  ) {
    super(message);
    this.name = 'PipelineDefinitionError';
  }
}
