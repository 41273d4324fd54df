import YAML from 'yaml';
import { PipelineDefinitionError, type PipelinePlan, type PlannedJob, type PlannedStep, type StepCondition } from './pipeline.plan';
import { taskActionOf } from './task.mapping';

// The supported subset of Azure Pipelines YAML (README): top-level `steps`, `jobs` or `stages`, variables as a map
// or a list of {name, value}, script/bash/checkout/task steps. Anything outside it is refused here, before a run
// starts, rather than half-run on the machine.

type Node = Record<string, unknown>;

export const MAX_STEPS = 500;

export function parsePipeline(text: string): PipelinePlan {
  let document: unknown;
  try {
    document = YAML.parse(text, { prettyErrors: true });
  } catch (error) {
    throw new PipelineDefinitionError('pipeline.invalid-yaml', `the pipeline file is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const root = objectOf(document, 'the pipeline file');
  for (const key of ['extends', 'template']) if (key in root) unsupported('pipeline.invalid-definition', `"${key}" at the top level is not supported by the local runner`, key);
  const variables = variablesOf(root.variables, 'variables');
  const counter = { next: 1 };
  const kinds = ['steps', 'jobs', 'stages'].filter((key) => root[key] !== undefined);
  if (kinds.length !== 1) unsupported('pipeline.invalid-definition', 'the pipeline must have exactly one of steps, jobs or stages');
  let jobs: PlannedJob[];
  if (root.steps !== undefined) {
    jobs = [{ name: 'Job', displayName: 'Job', condition: 'succeeded', variables: {}, steps: stepsOf(root.steps, 'steps', counter) }];
    const timeout = timeoutOf(root.timeoutInMinutes, 'timeoutInMinutes');
    if (timeout !== undefined) jobs[0]!.timeoutInMinutes = timeout;
  } else if (root.jobs !== undefined) {
    jobs = listOf(root.jobs, 'jobs').flatMap((job, i) => (isBuildJob(job) ? [jobOf(job, `jobs[${i}]`, counter, {}, undefined)] : []));
  } else {
    jobs = listOf(root.stages, 'stages').flatMap((value, s) => {
      const stage = objectOf(value, `stages[${s}]`);
      if ('template' in stage) unsupported('pipeline.invalid-definition', `stages[${s}]: stage templates are not supported`, `stages[${s}]`);
      const stageVariables = variablesOf(stage.variables, `stages[${s}].variables`);
      const stageCondition = stage.condition === undefined ? undefined : conditionOf(stage.condition, `stages[${s}].condition`);
      return listOf(stage.jobs, `stages[${s}].jobs`).flatMap((job, j) => (isBuildJob(job) ? [jobOf(job, `stages[${s}].jobs[${j}]`, counter, stageVariables, stageCondition)] : []));
    });
  }
  if (jobs.every((job) => job.steps.length === 0)) unsupported('pipeline.invalid-definition', 'the pipeline has no steps');
  // PipelineRunFinished reports every step
  if (counter.next - 1 > MAX_STEPS) unsupported('pipeline.invalid-definition', `the pipeline has ${counter.next - 1} steps; at most ${MAX_STEPS} are supported`);
  return { variables, jobs };
}

// Deployment jobs (`deployment: ... environment: ...`) are not run: environments are promoted by the release context,
// through GitOps, not by the pipeline. The runner runs what builds, tests and packs.
function isBuildJob(value: unknown): boolean {
  return !(typeof value === 'object' && value !== null && 'deployment' in value);
}

function jobOf(value: unknown, at: string, counter: { next: number }, inherited: Record<string, string>, stageCondition: StepCondition | undefined): PlannedJob {
  const job = objectOf(value, at);
  if ('template' in job) unsupported('pipeline.invalid-definition', `${at}: job templates are not supported by the local runner`, at);
  const name = optionalString(job.job, `${at}.job`) ?? `Job${counter.next}`;
  const planned: PlannedJob = {
    name,
    displayName: optionalString(job.displayName, `${at}.displayName`) ?? name,
    condition: job.condition === undefined ? (stageCondition ?? 'succeeded') : conditionOf(job.condition, `${at}.condition`),
    variables: { ...inherited, ...variablesOf(job.variables, `${at}.variables`) },
    steps: stepsOf(job.steps, `${at}.steps`, counter),
  };
  const timeout = timeoutOf(job.timeoutInMinutes, `${at}.timeoutInMinutes`);
  if (timeout !== undefined) planned.timeoutInMinutes = timeout;
  return planned;
}

function stepsOf(value: unknown, at: string, counter: { next: number }): PlannedStep[] {
  return listOf(value, at).map((item, i) => stepOf(objectOf(item, `${at}[${i}]`), `${at}[${i}]`, counter.next++));
}

function stepOf(step: Node, at: string, index: number): PlannedStep {
  const displayName = optionalString(step.displayName, `${at}.displayName`);
  const label = `step ${index}${displayName ? ` (${displayName})` : ''}`;
  const base = {
    index,
    condition: step.condition === undefined ? ('succeeded' as const) : conditionOf(step.condition, `${at}.condition`),
    continueOnError: booleanOf(step.continueOnError, `${at}.continueOnError`),
    env: stringMapOf(step.env, `${at}.env`),
  };
  const timeout = timeoutOf(step.timeoutInMinutes, `${at}.timeoutInMinutes`);
  const workingDirectory = optionalString(step.workingDirectory, `${at}.workingDirectory`);
  const extras = { ...(timeout !== undefined ? { timeoutInMinutes: timeout } : {}), ...(workingDirectory ? { workingDirectory } : {}) };
  if (typeof step.script === 'string' || typeof step.bash === 'string') {
    const source = typeof step.script === 'string' ? 'script' : 'bash';
    const script = (step.script ?? step.bash) as string;
    return { ...base, ...extras, name: displayName ?? firstLine(script), source, action: { kind: 'script', script } };
  }
  if (step.checkout !== undefined) return { ...base, ...extras, name: displayName ?? `Checkout ${String(step.checkout)}`, source: 'checkout', action: { kind: 'checkout' } };
  if (typeof step.publish === 'string') {
    const artifactName = optionalString(step.artifact, `${at}.artifact`) ?? 'drop';
    return { ...base, ...extras, name: displayName ?? `Publish ${artifactName}`, source: 'publish', action: { kind: 'publish-artifact', targetPath: step.publish, artifactName } };
  }
  if (typeof step.task === 'string') {
    const task = step.task.trim();
    const action = taskActionOf(task, stringMapOf(step.inputs, `${at}.inputs`), label);
    return { ...base, ...extras, name: displayName ?? task, source: task, action };
  }
  const kind = Object.keys(step).find((key) => !['displayName', 'name', 'condition', 'continueOnError', 'env', 'timeoutInMinutes', 'workingDirectory', 'enabled'].includes(key));
  throw new PipelineDefinitionError('pipeline.unsupported-step', `${label}: "${kind ?? 'empty'}" steps are not supported by the local runner (script, bash, checkout, publish and the tasks of the README are)`, label);
}

/** `succeeded()` (the default), `succeededOrFailed()`, `always()` or `failed()`; any other expression is refused rather than misread. */
export function conditionOf(value: unknown, at: string): StepCondition {
  const text = typeof value === 'string' ? value.replace(/\s+/g, '') : '';
  if (text === 'succeeded()') return 'succeeded';
  if (text === 'succeededOrFailed()') return 'succeededOrFailed';
  if (text === 'always()') return 'always';
  if (text === 'failed()') return 'failed';
  return unsupported('pipeline.invalid-definition', `${at}: condition ${JSON.stringify(value)} is not supported (succeeded(), succeededOrFailed(), always() or failed())`, at);
}

export function variablesOf(value: unknown, at: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) return stringMapOf(value, at);
  const variables: Record<string, string> = {};
  value.forEach((item, i) => {
    const entry = objectOf(item, `${at}[${i}]`);
    if (typeof entry.name !== 'string') unsupported('pipeline.invalid-definition', `${at}[${i}]: only {name, value} variables are supported (no groups or templates)`, `${at}[${i}]`);
    variables[entry.name] = scalarOf(entry.value ?? '', `${at}[${i}].value`);
  });
  return variables;
}

function stringMapOf(value: unknown, at: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const node = objectOf(value, at);
  return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, scalarOf(item, `${at}.${key}`)]));
}

function scalarOf(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '';
  return unsupported('pipeline.invalid-definition', `${at} must be a string, number or boolean`, at);
}

function timeoutOf(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const minutes = typeof value === 'string' ? Number(value) : value;
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) return unsupported('pipeline.invalid-definition', `${at} must be a number of minutes`, at);
  // 0 is Azure's "no limit of its own" (the run's timeout still applies)
  return minutes === 0 ? undefined : minutes;
}

function booleanOf(value: unknown, at: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return unsupported('pipeline.invalid-definition', `${at} must be true or false`, at);
}

function optionalString(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return unsupported('pipeline.invalid-definition', `${at} must be a string`, at);
  return value;
}

function objectOf(value: unknown, at: string): Node {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return unsupported('pipeline.invalid-definition', `${at} must be a mapping`, at);
  return value as Node;
}

function listOf(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) return unsupported('pipeline.invalid-definition', `${at} must be a list`, at);
  return value;
}

function firstLine(script: string): string {
  const line = script.trim().split('\n')[0] ?? 'script';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line || 'script';
}

function unsupported(code: PipelineDefinitionError['code'], message: string, subject?: string): never {
  throw new PipelineDefinitionError(code, message, subject);
}
