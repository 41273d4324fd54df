import { allDefinitions, catalogue, commandsHandledBy, eventsEmittedBy, eventsOfContext, isMessageType, type CommandType, type EventType, type PayloadOf } from './catalogue';
import { contexts, serviceNames, services, type ServiceName } from './contexts';
import { toJsonSchema, type JsonObject, type JsonValue } from './json-schema';

// DESIGN §2, "The 14 services": the catalogue must carry at least these, routed to these services.
const designTable: ReadonlyArray<{ service: ServiceName; commands: string[]; events: string[] }> = [
  { service: 'repository', commands: ['ProvisionRepository'], events: ['RepositoryProvisioned'] },
  { service: 'branch', commands: ['CreateBranch', 'DeleteBranch', 'SetBranchPolicy'], events: ['BranchCreated', 'BranchDeleted', 'BranchPolicySet'] },
  { service: 'commit', commands: ['CreateCommit'], events: ['CommitCreated'] },
  {
    service: 'pull-request',
    commands: ['OpenPullRequest', 'CommentOnPullRequest', 'ReviewPullRequest', 'MergePullRequest', 'ClosePullRequest'],
    events: ['PullRequestOpened', 'PullRequestCommented', 'PullRequestReviewed', 'PullRequestChecksCompleted', 'PullRequestMerged', 'PullRequestClosed'],
  },
  { service: 'pipeline-generator', commands: ['GeneratePipeline'], events: ['PipelineGenerated'] },
  { service: 'pipeline-execution', commands: ['RunPipeline', 'CancelPipelineRun'], events: ['PipelineRunStarted', 'PipelineRunFinished'] },
  { service: 'build-result', commands: [], events: ['BuildCompleted'] },
  { service: 'package-publishing', commands: ['PublishPackage'], events: ['PackagePublished'] },
  { service: 'container-image', commands: ['BuildContainerImage'], events: ['ContainerImagePushed'] },
  {
    service: 'release',
    commands: ['PlanRelease', 'SubmitRelease', 'ApproveRelease', 'RejectRelease', 'RetryRelease'],
    events: ['ReleasePlanned', 'ReleaseSubmitted', 'ReleaseApproved', 'ReleaseRejected', 'ReleaseDeployed', 'ReleaseFailed'],
  },
  {
    service: 'environment-promotion',
    commands: ['PromoteDeployment', 'RollbackDeployment'],
    events: ['DeploymentPromoted', 'HealthGateEvaluated', 'PromotionFailed', 'DeploymentRolledBack'],
  },
  { service: 'deployment-manifest', commands: ['RenderManifest'], events: ['DeploymentManifestRendered'] },
  {
    service: 'iac-provisioning',
    commands: ['PlanInfrastructure', 'ApproveInfrastructure', 'ProvisionInfrastructure'],
    events: ['InfrastructurePlanned', 'InfrastructureProvisioned', 'InfrastructureApplyFailed', 'InfrastructureDriftDetected'],
  },
  { service: 'gitops-sync', commands: ['SyncGitOps'], events: ['GitOpsSynced', 'GitOpsDriftDetected', 'GitOpsDegraded'] },
];

// Named by the issues as later contexts' needs.
const namedByIssues = ['SetPullRequestCheck', 'PipelineGenerationFailed', 'CommitFailed', 'RepositoryProvisioningFailed', 'ReleaseRevised', 'GitOpsAlertRaised', 'GitOpsAlertResolved'];

describe('catalogue', () => {
  it('has unique PascalCase types', () => {
    const types = allDefinitions.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(type).toMatch(/^[A-Z][A-Za-z0-9]{1,99}$/);
    expect(Object.keys(catalogue)).toHaveLength(types.length);
  });

  it.each(designTable)('routes every DESIGN §2 command and event of $service', ({ service, commands, events }) => {
    for (const type of commands) {
      expect(isMessageType(type)).toBe(true);
      expect(catalogue[type as keyof typeof catalogue]).toMatchObject({ kind: 'command', service });
    }
    for (const type of events) {
      expect(isMessageType(type)).toBe(true);
      expect(catalogue[type as keyof typeof catalogue]).toMatchObject({ kind: 'event', service, context: services[service] });
    }
    expect(commandsHandledBy(service).map((d) => d.type)).toEqual(expect.arrayContaining(commands));
    expect(eventsEmittedBy(service).map((d) => d.type)).toEqual(expect.arrayContaining(events));
  });

  it('covers all fourteen domain services, and the ops app only emits its audit events', () => {
    expect(designTable.map((r) => r.service).sort()).toEqual(serviceNames.filter((s) => s !== 'ops').sort());
    expect(commandsHandledBy('ops')).toEqual([]);
    expect(eventsEmittedBy('ops').map((d) => d.type)).toEqual(['DeadLetterDiscarded', 'DeadLetterReplayed']);
  });

  it('contains the messages the later issues name', () => {
    for (const type of namedByIssues) expect(isMessageType(type)).toBe(true);
  });

  it('gives every event the context of the service that emits it', () => {
    for (const d of allDefinitions) {
      if (d.kind === 'event') expect({ type: d.type, context: d.context }).toEqual({ type: d.type, context: services[d.service] });
    }
    for (const c of contexts) expect(eventsOfContext(c).length).toBeGreaterThan(0);
  });

  it('follows verb-noun for commands and noun-past-tense for events', () => {
    for (const d of allDefinitions) {
      if (d.kind === 'event') expect(d.type).toMatch(/(ed|Set|RolledBack)$/);
      else expect(d.type).not.toMatch(/ed$/);
      expect(d.summary.length).toBeGreaterThan(10);
    }
  });
});

// Every payload must be strict and bounded: an unbounded field is a way around MAX_ENVELOPE_BYTES checks
// inside a service, and an open object lets typos through silently.
function looseSpots(schema: JsonValue, at: string, out: string[]): string[] {
  if (Array.isArray(schema) || schema === null || typeof schema !== 'object') return out;
  const s = schema as JsonObject;
  if (s.type === 'object' && s.additionalProperties !== false) out.push(`${at}: object without additionalProperties:false`);
  if (s.type === 'object' && s.patternProperties && typeof s.maxProperties !== 'number') out.push(`${at}: map without maxProperties`);
  if (s.type === 'array' && typeof s.maxItems !== 'number') out.push(`${at}: array without maxItems`);
  if (s.type === 'string' && s.enum === undefined && s.const === undefined && s.format === undefined && typeof s.maxLength !== 'number') {
    const pattern = typeof s.pattern === 'string' ? s.pattern : '';
    if (!pattern || /[+*]/.test(pattern.replace(/\\[+*]/g, ''))) out.push(`${at}: string without maxLength or bounded pattern`);
  }
  for (const [key, value] of Object.entries(s)) looseSpots(value, `${at}/${key}`, out);
  return out;
}

describe('payload schemas', () => {
  it('are strict objects with bounded strings, arrays and maps', () => {
    const problems = allDefinitions.flatMap((d) => looseSpots(toJsonSchema(d.payload), d.type, []));
    expect(problems).toEqual([]);
  });

  it('have a description or summary for every message', () => {
    for (const d of allDefinitions) expect(d.summary).toMatch(/\.$/);
  });
});

describe('typed map', () => {
  it('derives payload types from the schemas', () => {
    // Compile-time checks: these lines fail `tsc` if the derived types drift from the schemas.
    const minimal: PayloadOf<'CreateCommit'> = { repositoryId: 'repo-1', branch: 'main', message: 'm' };
    const change: NonNullable<PayloadOf<'CreateCommit'>['changes']>[number] = { action: 'delete', path: 'old.txt' };
    const status: PayloadOf<'BuildCompleted'>['status'] = 'Succeeded';
    // @ts-expect-error: an unknown decision is not a ReviewPullRequest payload
    const review: PayloadOf<'ReviewPullRequest'> = { pullRequestId: 'pr-1', decision: 'maybe' };
    const command: CommandType = 'SyncGitOps';
    const evt: EventType = 'GitOpsSynced';
    expect([minimal.branch, change.action, status, review.pullRequestId, command, evt]).toHaveLength(6);
  });
});
