import { parsePipeline } from './pipeline.parser';
import { PipelineDefinitionError } from './pipeline.plan';

function refusal(text: string): PipelineDefinitionError {
  try {
    parsePipeline(text);
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error;
    throw error;
  }
  throw new Error('expected the pipeline to be refused');
}

describe('parsePipeline', () => {
  it('reads top-level steps and map variables into one job, numbering steps from 1', () => {
    const plan = parsePipeline(`
trigger: [main]
pool: { vmImage: ubuntu-latest }
variables:
  configuration: Release
  retries: 3
steps:
  - script: echo hi
    displayName: Say hi
    env: { GREETING: hello }
  - bash: |
      set -x
      npm test
    condition: always()
    continueOnError: true
    timeoutInMinutes: 0.5
    workingDirectory: app
`);
    expect(plan.variables).toEqual({ configuration: 'Release', retries: '3' });
    expect(plan.jobs).toHaveLength(1);
    const [first, second] = plan.jobs[0]!.steps;
    expect(first).toMatchObject({ index: 1, name: 'Say hi', source: 'script', condition: 'succeeded', continueOnError: false, env: { GREETING: 'hello' }, action: { kind: 'script', script: 'echo hi' } });
    expect(second).toMatchObject({ index: 2, name: 'set -x', source: 'bash', condition: 'always', continueOnError: true, timeoutInMinutes: 0.5, workingDirectory: 'app' });
  });

  it('leaves deployment jobs to the release context and reads succeededOrFailed()', () => {
    const plan = parsePipeline(`
stages:
  - stage: Build
    jobs:
      - job: Build
        steps:
          - script: npm test
          - task: PublishTestResults@2
            condition: succeededOrFailed()
            inputs: { testResultsFormat: JUnit, testResultsFiles: reports/junit.xml }
  - stage: Deploy_dev1
    dependsOn: Build
    jobs:
      - deployment: Deploy
        environment: dev1
        strategy: { runOnce: { deploy: { steps: [{ script: echo deployed by the release context }] } } }
`);
    expect(plan.jobs.map((job) => job.name)).toEqual(['Build']);
    expect(plan.jobs[0]!.steps.map((step) => step.condition)).toEqual(['succeeded', 'succeededOrFailed']);
  });

  it('reads list variables, jobs and stages in declared order, dependsOn ignored', () => {
    const plan = parsePipeline(`
variables:
  - name: a
    value: one
stages:
  - stage: Build
    variables: { s: stage }
    jobs:
      - job: Compile
        timeoutInMinutes: 10
        variables: [{ name: j, value: job }]
        steps: [{ script: make }]
      - job: Test
        dependsOn: Compile
        condition: failed()
        steps: [{ script: make test }]
  - stage: Pack
    dependsOn: Build
    jobs:
      - job: Pack
        steps: [{ checkout: self }, { script: npm pack }]
`);
    expect(plan.variables).toEqual({ a: 'one' });
    expect(plan.jobs.map((job) => job.name)).toEqual(['Compile', 'Test', 'Pack']);
    expect(plan.jobs[0]).toMatchObject({ timeoutInMinutes: 10, variables: { s: 'stage', j: 'job' } });
    expect(plan.jobs[1]!.condition).toBe('failed');
    expect(plan.jobs.flatMap((job) => job.steps.map((step) => step.index))).toEqual([1, 2, 3, 4]);
    expect(plan.jobs[2]!.steps[0]!.action).toEqual({ kind: 'checkout' });
  });

  it('maps the supported tasks, with case-insensitive names and inputs', () => {
    const plan = parsePipeline(`
jobs:
  - job: Build
    steps:
      - task: NodeTool@0
        inputs: { versionSpec: 20.x }
      - task: npm@1
        inputs: { command: custom, customCommand: run build, workingDir: web }
      - task: Npm@1
        inputs: { command: ci }
      - task: PublishTestResults@2
        inputs:
          testResultsFormat: VSTest
          testResultsFiles: |
            **/*.trx
            !**/old/**
      - task: PublishCodeCoverageResults@2
        inputs: { summaryFileLocation: coverage/cobertura-coverage.xml }
      - task: PublishPipelineArtifact@1
        inputs: { targetPath: $(Build.ArtifactStagingDirectory)/pkg.tgz, artifact: package }
      - task: PublishBuildArtifacts@1
`);
    expect(plan.jobs[0]!.steps.map((step) => step.action)).toEqual([
      { kind: 'node-tool', versionSpec: '20.x' },
      { kind: 'npm', command: 'custom', customCommand: 'run build', workingDir: 'web' },
      { kind: 'npm', command: 'ci' },
      { kind: 'publish-test-results', format: 'VSTest', files: ['**/*.trx', '!**/old/**'] },
      { kind: 'publish-coverage', summaryFileLocation: 'coverage/cobertura-coverage.xml' },
      { kind: 'publish-artifact', targetPath: '$(Build.ArtifactStagingDirectory)/pkg.tgz', artifactName: 'package' },
      { kind: 'publish-artifact', targetPath: '$(Build.ArtifactStagingDirectory)', artifactName: 'drop' },
    ]);
  });

  it('refuses an unknown task, naming the task and the step', () => {
    const error = refusal(`steps:\n  - script: echo ok\n  - task: Docker@2\n    displayName: Build image\n    inputs: { command: build }\n`);
    expect(error.code).toBe('pipeline.unsupported-task');
    expect(error.message).toContain('Docker@2');
    expect(error.message).toContain('step 2 (Build image)');
  });

  it('refuses Npm@1 publish and a NUnit test results format', () => {
    expect(refusal(`steps:\n  - task: Npm@1\n    inputs: { command: publish }\n`).message).toMatch(/command "publish" is not supported/);
    expect(refusal(`steps:\n  - task: PublishTestResults@2\n    inputs: { testResultsFormat: NUnit }\n`).code).toBe('pipeline.unsupported-task');
  });

  it('refuses unsupported step kinds, conditions, templates and invalid YAML', () => {
    expect(refusal(`steps:\n  - pwsh: Write-Host hi\n`).code).toBe('pipeline.unsupported-step');
    expect(refusal(`steps:\n  - script: x\n    condition: eq(variables.a, 'b')\n`).message).toMatch(/condition .* is not supported/);
    expect(refusal(`steps:\n  - template: steps/node.yml\n`).code).toBe('pipeline.unsupported-step');
    expect(refusal(`extends:\n  template: base.yml\n`).code).toBe('pipeline.invalid-definition');
    expect(refusal(`steps: [ script: x\n`).code).toBe('pipeline.invalid-yaml');
    expect(refusal(`trigger: [main]\n`).message).toMatch(/exactly one of steps, jobs or stages/);
    expect(refusal(`steps:\n${'  - script: x\n'.repeat(501)}`).message).toMatch(/501 steps; at most 500/);
    expect(refusal(`variables:\n  - group: secrets\nsteps: [{ script: x }]\n`).message).toMatch(/no groups/);
  });
});
